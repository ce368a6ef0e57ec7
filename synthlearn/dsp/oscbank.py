"""A bank of sine partials rendered by one numba kernel per block. Pure (numpy + numba).

Every block the voice kernel (``synthlearn.dsp.voicing``) gives each partial a target frequency (Hz)
and amplitude. Here both reach the oscillator through a one-pole smoother per sample, exactly
the recursion of pyo's ``Port`` (``y += (x - y) * c`` with ``c = 1 / ((smooth_s + 0.00025) * sr)``),
so the two voice paths sound the same; each partial is panned with constant power and the bank
is summed into a stereo block.

Cost is what makes this path worth having: per partial pyo runs five objects (TableIndex, two
Ports, Sine, pan), each a pass over the block with a function call per object; here a partial is
one loop with no dependency from one sample to the next, which the compiler vectorises:

- The smoother has a closed form: after ``n + 1`` samples ``y = x + (y0 - x) * g[n]`` with
  ``g[n] = (1 - c) ** (n + 1)``, and the phase at sample ``n`` is the sum of the frequencies up
  to it, ``ph0 + (x * (n + 1) + (y0 - x) * P[n + 1]) / sr`` with ``P[m] = sum(g[:m])``; both
  tables depend only on ``c`` and the block size and are made once.
- The sine is an odd polynomial on a quarter period (error under 1e-7, -140 dB; pyo's 512-point
  table reads to about -100 dB).
- The phase is a float64 in cycles, so it neither drifts nor loses precision over hours.
- Silent partials are skipped (a partial whose amplitude and target are both exactly 0 costs a
  comparison), so cost follows what sounds. Smoothers snap to their targets once within 1e-12,
  so nothing decays through the subnormal numbers that make CPUs slow.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TWO_PI = 2.0 * math.pi
PORT_EXTRA_S = 0.00025  # pyo's Port adds this to its rise and fall times
SNAP = 1e-12  # a smoother this close to its target is at its target
# Taylor coefficients of sin(t) on [-pi/2, pi/2] up to t^13: error < 6e-9 there.
S3, S5, S7, S9, S11, S13 = (-1 / 6, 1 / 120, -1 / 5040, 1 / 362880, -1 / 39916800,
                            1 / 6227020800)

# Columns of the per-partial state.
PH, FREQ, AMP = range(3)
N_STATE = 3


def smoothing_tables(block: int, sr: int, smooth_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(g, P): ``g[n] = (1 - c)^(n + 1)`` for n < block, ``P[n] = sum(g[:n])`` for n <= block."""
    c = 1.0 / ((smooth_s + PORT_EXTRA_S) * sr)
    g = (1.0 - c) ** np.arange(1, block + 1, dtype=np.float64)
    p = np.concatenate([[0.0], np.cumsum(g)])
    return g, p


@njit(cache=True, inline="always")
def _sin_cycles(x):
    """sin(2*pi*x) for x in [0, 1)."""
    y = x - 0.5  # sin(2 pi x) = -sin(2 pi y), y in [-0.5, 0.5)
    if y > 0.25:
        y = 0.5 - y
    elif y < -0.25:
        y = -0.5 - y
    t = TWO_PI * y
    t2 = t * t
    return -t * (1.0 + t2 * (S3 + t2 * (S5 + t2 * (S7 + t2 * (S9 + t2 * (S11 + t2 * S13))))))


@njit(cache=True)
def render(freq_hz, amp, state, gain_l, gain_r, g, p, inv_sr, acc_l, acc_r, out_l, out_r):
    """One block of the whole bank into ``out_l``/``out_r`` (float32, length ``block``).

    freq_hz, amp: (n,) block-rate targets. state: (n, 3) float64 phase (cycles), smoothed
    frequency (Hz) and amplitude. gain_l, gain_r: (n,) constant-power pan gains. g, p: the
    smoothing tables. acc_l, acc_r: float64 scratch of the block's length. Returns the number
    of partials that sounded.
    """
    B = out_l.shape[0]
    for i in range(B):
        acc_l[i] = 0.0
        acc_r[i] = 0.0
    g_end = g[B - 1]
    p_end = p[B]
    sounding = 0
    for k in range(freq_hz.shape[0]):
        a0 = state[k, AMP]
        at = amp[k]
        ft = freq_hz[k]
        if a0 == 0.0:
            if at == 0.0:
                state[k, FREQ] = ft  # silent: the next note starts on its own frequency
                continue
            state[k, PH] = 0.0  # a partial starting from silence starts at phase 0
            state[k, FREQ] = ft
        sounding += 1
        ph0 = state[k, PH]
        df = state[k, FREQ] - ft
        da = a0 - at
        gl = gain_l[k]
        gr = gain_r[k]
        ft_c = ft * inv_sr
        df_c = df * inv_sr
        for n in range(B):
            # The phase after this sample's increment: a partial starting from silence (phase
            # 0) has a first sample that is not 0, so both paths begin on the same sample.
            x = ph0 + ft_c * (n + 1) + df_c * p[n + 1]
            x -= math.floor(x)
            s = _sin_cycles(x) * (at + da * g[n])
            acc_l[n] += s * gl
            acc_r[n] += s * gr
        x = ph0 + ft_c * B + df_c * p_end
        state[k, PH] = x - math.floor(x)
        f = ft + df * g_end
        a = at + da * g_end
        state[k, FREQ] = ft if abs(f - ft) <= SNAP * ft else f
        state[k, AMP] = at if abs(a - at) <= SNAP else a
    for i in range(B):
        out_l[i] = acc_l[i]
        out_r[i] = acc_r[i]
    return sounding


class OscBank:
    """``n`` smoothed, panned sine partials rendered a block at a time.

    ``pans``: (n,) positions 0 (left) .. 1 (right). ``smooth_s``: the smoothers' time (as pyo's
    ``Port`` risetime/falltime). ``process(freq_hz, amp, out_l, out_r)`` renders one block.
    """

    def __init__(self, pans: np.ndarray, *, block: int, sr: int, smooth_s: float,
                 init_hz: float = 100.0):
        pans = np.asarray(pans, np.float64)
        if pans.ndim != 1 or pans.size == 0:
            raise ValueError("an oscillator bank needs a 1-D array of at least one pan")
        if not (block >= 1 and sr > 0 and smooth_s >= 0.0):
            raise ValueError(f"bad bank format: block {block}, sr {sr}, smooth {smooth_s} s")
        self.n, self.block, self.sr = pans.size, block, sr
        self.gain_l = np.cos(pans * np.pi / 2)
        self.gain_r = np.sin(pans * np.pi / 2)
        self.g, self.p = smoothing_tables(block, sr, smooth_s)
        self.state = np.zeros((self.n, N_STATE), np.float64)
        self.state[:, FREQ] = init_hz
        self._acc = np.zeros((2, block), np.float64)
        self.sounding = 0

    def process(self, freq_hz, amp, out_l, out_r) -> int:
        self.sounding = render(freq_hz, amp, self.state, self.gain_l, self.gain_r, self.g,
                               self.p, 1.0 / self.sr, self._acc[0], self._acc[1], out_l, out_r)
        return self.sounding

    def warm(self) -> None:
        """Compile for float32 targets and outputs, then return to silence."""
        saved = self.state.copy()
        f = np.full(self.n, 440.0, np.float32)
        a = np.full(self.n, 0.1, np.float32)
        out = np.zeros((2, self.block), np.float32)
        self.process(f, a, out[0], out[1])
        self.state[:] = saved
        self.sounding = 0
