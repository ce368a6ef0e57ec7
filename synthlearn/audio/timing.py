"""The engine's own clock figures: what each block cost (manual/offline) and when each block
hook ran (real time), kept in preallocated rings the block hook writes without allocating."""

from __future__ import annotations

import numpy as np

# Real-time runs keep this many block costs / callback intervals (a ring).
COST_RING = 1 << 16


class BlockTimes:
    """Per-block compute times (s) of a manual run, or the intervals (s) between block hooks
    of a real-time one, ``time.perf_counter()`` readings the caller takes."""

    def __init__(self) -> None:
        self._costs_s = np.zeros(COST_RING, np.float64)
        self._intervals_s = np.zeros(COST_RING, np.float64)
        self._n = 0
        self.last_callback = 0.0  # perf_counter() of the last block hook (real time)
        self._started_at: float | None = None

    def start(self, now: float) -> None:
        """Real-time audio starts at ``now``: the first interval is measured from here."""
        self.last_callback = self._started_at = now

    def cost(self, seconds: float) -> None:
        """One manual block took ``seconds``."""
        self._costs_s[self._n % COST_RING] = seconds
        self._n += 1

    def callback(self, now: float) -> None:
        """A block hook began at ``now`` (audio thread)."""
        self._intervals_s[self._n % COST_RING] = now - self.last_callback
        self.last_callback = now
        self._n += 1

    def block_costs_s(self) -> np.ndarray:
        """Per-block compute times (offline/manual), oldest first, at most COST_RING."""
        return self._ring(self._costs_s)

    def callback_times_s(self) -> np.ndarray | None:
        """``time.perf_counter()`` of every block hook in real time since ``start`` (None once
        the ring has wrapped)."""
        if self._n > COST_RING or self._started_at is None:
            return None
        return self._started_at + np.cumsum(self._intervals_s[:self._n])

    def callback_intervals_s(self) -> np.ndarray:
        """Times between block hooks in real time (the first one dropped), oldest first."""
        return self._ring(self._intervals_s)[1:]

    def _ring(self, ring: np.ndarray) -> np.ndarray:
        n = self._n
        if n <= COST_RING:
            return ring[:n].copy()
        i = n % COST_RING
        return np.concatenate([ring[i:], ring[:i]])
