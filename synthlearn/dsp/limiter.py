"""A look-ahead limiter whose output never exceeds its ceiling, true peaks included. Pure
(numpy + numba).

For each sample ``j`` the detector takes the largest absolute value of both channels at ``j`` and
at ``j + 1/4, 1/2, 3/4`` (the 4x interpolation of :mod:`synthlearn.dsp.truepeak`, as BS.1770
reads true peak; both channels, so the stereo image stays put): ``P[j]``, and the gain that would
put it exactly at the limit, ``t[j] = min(1, limit/P[j])``. The values near ``j`` are weighted
sums of the ``2K`` samples ``x[j-K+1..j+K]`` (``K = 6``), so each of those samples must be turned
down at least as far as that peak needs: the gain applied to sample ``n`` is held under
``T[n] = min(t[n-K..n+K-1])``, every peak ``n`` contributes to. That gain is the mean of
``h[n-W+1..n]``, where ``h[k] <= min(T[k..k+W-1])`` (a sliding minimum of ``t`` over
``W + 2K - 1`` samples, then a release that only lets the gain rise slowly). Every term of the
mean covers sample ``n``'s own ``T``, so the applied gain is at most ``T[n]``: a brickwall
reached by a smooth ``W``-sample ramp. Latency is ``W - 1 + 2K - 1`` samples (``W - 1`` with
a sample-peak detector): sample ``n``'s gain waits for ``T[n+W-1]``, which needs
``t[n+W+K-2]``, which reads ``x[n+W+2K-2]``.

That holds every sample exactly, and an inter-sample value exactly where the gain is the same
over its ``2K`` samples. Where the gain moves under the interpolator, ``sum(c[m] g[m] x[m])``
with every ``g[m] <= t`` can exceed ``t * sum(c[m] x[m])`` a little (the negative taps). The gain
moves slowly: down by at most ``t/W`` a sample (the ramp), up by the release, here capped at
``1/(4W)`` of the gain a sample (the default 80 ms release is faster than that only below
-24 dB). The largest excess, as a linear program over the input samples under every constraint the
detector puts on them, is a factor ``1 + 0.554/W`` (0.075 dB at ``W = 64``), for a drop to any
depth; random gain profiles (drops and releases) gave no more, and without the cap a release
from deep down gave more. So the detector's limit is the ceiling over ``1 + TP_SLACK/W``.
A fixed margin would not do: the excess grows as the look-ahead shrinks (1.1 dB at ``W = 4``).

pyo's ``Compress`` was measured here first: its detector follows the mean square, so 64 loud
voices (crest factor ~10 dB) still drove 1.35 % of samples into the hard clip behind it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from synthlearn.dsp.truepeak import TAPS_PER_SIDE, interpolator

S_POS, S_HPOS, S_H, S_MIN_GAIN, S_LOUD = range(5)
TP_SLACK = 0.6  # over the 0.554 measured (see above)


@njit(cache=True)
def _limit(in_l, in_r, out_l, out_r, ring_x, ring_t, ring_h, fold, state, limit, quiet,
           release, rise):
    N = ring_t.shape[0]  # W + 2K - 1: the delay line and the detector's window
    W = ring_h.shape[0]
    K = fold.shape[1]  # 2K samples under each inter-sample value
    pos = int(state[S_POS])
    hpos = int(state[S_HPOS])
    loud = int(state[S_LOUD])
    h_prev = state[S_H]
    min_gain = 1.0
    # Exact sum and minimum once per block; updated incrementally per sample.
    h_sum = 0.0
    for k in range(W):
        h_sum += ring_h[k]
    m = 1.0
    for k in range(N):
        if ring_t[k] < m:
            m = ring_t[k]
    for i in range(in_l.shape[0]):
        xl = in_l[i]
        xr = in_r[i]
        if not math.isfinite(xl):  # a runaway synth is silenced, never passed on
            xl = 0.0
        if not math.isfinite(xr):
            xr = 0.0
        pos += 1
        if pos == N:
            pos = 0
        # Written twice (ring_x is two copies of the ring): the last 2K samples are contiguous.
        ring_x[0, pos] = xl
        ring_x[0, pos + N] = xl
        ring_x[1, pos] = xr
        ring_x[1, pos + N] = xr
        # A sample no louder than limit / sum|c| makes no peak over the limit: while every
        # sample under the interpolator is that quiet, t is 1 without reading them.
        if max(abs(xl), abs(xr)) > quiet:
            loud = 2 * K
        t = 1.0
        if loud > 0:
            loud -= 1
            # The window x[d-K+1..d+K] around the detector's sample d, folded: phases 1/4 and
            # 3/4 mirror each other and 1/2 is symmetric, so with s = x[k] + x[2K-1-k] and
            # d = x[k] - x[2K-1-k]: y(1/4), y(3/4) = A +- B and y(1/2) = C, half the products.
            lo = pos + N - 2 * K + 1
            hi = pos + N
            al = bl = cl = ar = br = cr = 0.0
            for k in range(K):
                s = ring_x[0, lo + k] + ring_x[0, hi - k]
                dd = ring_x[0, lo + k] - ring_x[0, hi - k]
                al += fold[0, k] * s
                bl += fold[1, k] * dd
                cl += fold[2, k] * s
                s = ring_x[1, lo + k] + ring_x[1, hi - k]
                dd = ring_x[1, lo + k] - ring_x[1, hi - k]
                ar += fold[0, k] * s
                br += fold[1, k] * dd
                cr += fold[2, k] * s
            c = lo + K - 1
            peak = max(abs(ring_x[0, c]), abs(ring_x[1, c]), abs(al) + abs(bl), abs(cl),
                       abs(ar) + abs(br), abs(cr))
            if peak > limit:
                t = limit / peak
        leaving = ring_t[pos]
        ring_t[pos] = t
        if t <= m:
            m = t
        elif leaving <= m:  # the minimum left the window: find the new one
            m = 1.0
            for k in range(N):
                if ring_t[k] < m:
                    m = ring_t[k]
        h = h_prev + (1.0 - h_prev) * release
        if h > h_prev * rise:  # deep down, the release is slow in dB too (see above)
            h = h_prev * rise
        if m < h:
            h = m
        h_prev = h
        hpos += 1
        if hpos == W:
            hpos = 0
        h_sum += h - ring_h[hpos]
        ring_h[hpos] = h
        g = h_sum / W
        if g < min_gain:
            min_gain = g
        out_l[i] = ring_x[0, pos + 1] * g  # the oldest sample, N - 1 behind the newest
        out_r[i] = ring_x[1, pos + 1] * g
    state[S_POS] = pos
    state[S_HPOS] = hpos
    state[S_H] = h_prev
    state[S_MIN_GAIN] = min_gain
    state[S_LOUD] = loud


def _fold(coef: np.ndarray) -> np.ndarray:
    """The interpolator ``(3, 2K)`` as the kernel uses it, ``(3, K)``: rows for ``A``, ``B``
    and ``C`` (phase 1/4 is phase 3/4 reversed, phase 1/2 is symmetric)."""
    k = coef.shape[1] // 2
    q1, mirror = coef[0, :k], coef[0, ::-1][:k]
    return np.array([(q1 + mirror) / 2, (q1 - mirror) / 2, coef[1, :k]])


class Limiter:
    """Stereo look-ahead true-peak limiter: ``process(in_l, in_r, out_l, out_r)`` per block."""

    def __init__(
        self,
        sr: int,
        *,
        ceiling_dbfs: float = -1.0,
        lookahead_s: float = 0.00134,  # 64 samples at 48 kHz
        release_s: float = 0.08,
    ):
        self.window = max(2, round(lookahead_s * sr))
        # A hair under the ceiling so float rounding of the mean can never cross it, and the
        # margin for the gain's movement under the interpolator.
        self.limit = 10.0 ** (ceiling_dbfs / 20.0) * 0.9999 / (1.0 + TP_SLACK / self.window)
        self.release = 1.0 - math.exp(-1.0 / (release_s * sr))
        self.rise = 1.0 + 0.25 / self.window
        coef = interpolator(TAPS_PER_SIDE)
        self.quiet = self.limit / max(1.0, float(np.abs(coef).sum(axis=1).max()))
        self.fold = _fold(coef)
        self.delay = self.window + 2 * TAPS_PER_SIDE - 1
        self.ring_x = np.zeros((2, 2 * self.delay), np.float64)
        self.ring_t = np.ones(self.delay, np.float64)
        self.ring_h = np.ones(self.window, np.float64)
        self.state = np.array([0.0, 0.0, 1.0, 1.0, 0.0])

    @property
    def latency_samples(self) -> int:
        return self.delay - 1

    @property
    def gain_reduction_db(self) -> float:
        """Deepest gain reduction in the last block, in dB (0 = untouched)."""
        return -20.0 * math.log10(max(self.state[S_MIN_GAIN], 1e-9))

    def process(self, in_l, in_r, out_l, out_r) -> None:
        _limit(in_l, in_r, out_l, out_r, self.ring_x, self.ring_t, self.ring_h, self.fold,
               self.state, self.limit, self.quiet, self.release, self.rise)

    def warm(self, block: int) -> None:
        """Compile for float32 blocks (pyo's table views), then restore the silent state."""
        buf = np.zeros(block, np.float32)
        self.process(buf, buf, buf.copy(), buf.copy())
        self.ring_x[:] = 0.0
        self.ring_t[:] = 1.0
        self.ring_h[:] = 1.0
        self.state[:] = (0.0, 0.0, 1.0, 1.0, 0.0)
