"""A look-ahead peak limiter whose output never exceeds its ceiling. Pure (numpy + numba).

For each sample the gain that would put it exactly at the limit is ``t = min(1, limit/peak)``
(peak over both channels, so the stereo image stays put). The gain applied to sample ``j`` is the
mean of ``h[j-W+1..j]``, where ``h[k] <= min(t[k..k+W-1])`` (a sliding minimum, then a release
that only lets the gain rise slowly). Every term of that mean covers sample ``j``'s own ``t``, so
the applied gain is at most ``t[j]``: a brickwall, reached by a smooth ``W``-sample ramp instead
of a step. Latency is ``W - 1`` samples.

pyo's ``Compress`` was measured here first: its detector follows the mean square, so 64 loud
voices (crest factor ~10 dB) still drove 1.35 % of samples into the hard clip behind it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

S_POS, S_H, S_MIN_GAIN = range(3)


@njit(cache=True)
def _limit(in_l, in_r, out_l, out_r, ring_x, ring_t, ring_h, state, limit, release):
    W = ring_t.shape[0]
    pos = int(state[S_POS])
    h_prev = state[S_H]
    min_gain = 1.0
    # Exact sums and minimum once per block; updated incrementally per sample.
    h_sum = 0.0
    m = 1.0
    for k in range(W):
        h_sum += ring_h[k]
        if ring_t[k] < m:
            m = ring_t[k]
    for i in range(in_l.shape[0]):
        xl = in_l[i]
        xr = in_r[i]
        if not math.isfinite(xl):  # a runaway synth is silenced, never passed on
            xl = 0.0
        if not math.isfinite(xr):
            xr = 0.0
        a = max(abs(xl), abs(xr))
        t = 1.0 if a <= limit else limit / a
        pos += 1
        if pos == W:
            pos = 0
        leaving = ring_t[pos]
        ring_x[pos, 0] = xl
        ring_x[pos, 1] = xr
        ring_t[pos] = t
        if t <= m:
            m = t
        elif leaving <= m:  # the minimum left the window: find the new one
            m = 1.0
            for k in range(W):
                if ring_t[k] < m:
                    m = ring_t[k]
        h = h_prev + (1.0 - h_prev) * release
        if m < h:
            h = m
        h_prev = h
        h_sum += h - ring_h[pos]
        ring_h[pos] = h
        g = h_sum / W
        if g < min_gain:
            min_gain = g
        oldest = pos + 1
        if oldest == W:
            oldest = 0
        out_l[i] = ring_x[oldest, 0] * g
        out_r[i] = ring_x[oldest, 1] * g
    state[S_POS] = pos
    state[S_H] = h_prev
    state[S_MIN_GAIN] = min_gain


class Limiter:
    """Stereo look-ahead limiter: ``process(in_l, in_r, out_l, out_r)`` per block, in place."""

    def __init__(
        self,
        sr: int,
        *,
        ceiling_dbfs: float = -1.0,
        lookahead_s: float = 0.00134,  # 64 samples at 48 kHz
        release_s: float = 0.08,
    ):
        self.window = max(2, round(lookahead_s * sr))
        # A hair under the ceiling so float rounding of the mean can never cross it.
        self.limit = 10.0 ** (ceiling_dbfs / 20.0) * 0.9999
        self.release = 1.0 - math.exp(-1.0 / (release_s * sr))
        self.ring_x = np.zeros((self.window, 2), np.float64)
        self.ring_t = np.ones(self.window, np.float64)
        self.ring_h = np.ones(self.window, np.float64)
        self.state = np.array([0.0, 1.0, 1.0])

    @property
    def latency_samples(self) -> int:
        return self.window - 1

    @property
    def gain_reduction_db(self) -> float:
        """Deepest gain reduction in the last block, in dB (0 = untouched)."""
        return -20.0 * math.log10(max(self.state[S_MIN_GAIN], 1e-9))

    def process(self, in_l, in_r, out_l, out_r) -> None:
        _limit(in_l, in_r, out_l, out_r, self.ring_x, self.ring_t, self.ring_h, self.state,
               self.limit, self.release)

    def warm(self, block: int) -> None:
        """Compile for float32 blocks (pyo's table views), then restore the silent state."""
        buf = np.zeros(block, np.float32)
        self.process(buf, buf, buf.copy(), buf.copy())
        self.ring_x[:] = 0.0
        self.ring_t[:] = 1.0
        self.ring_h[:] = 1.0
        self.state[:] = (0.0, 1.0, 1.0)
