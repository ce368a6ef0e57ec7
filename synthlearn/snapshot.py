"""A record the audio hook publishes and a drawing thread reads, without locks.

Visuals read, never write: the piece fills named float64 fields in the back buffer at the end of
a block and publishes; a window or renderer copies the front buffer whenever it draws. Two
buffers and a publish count make a slow reader harmless: it copies the last complete record and
retries (a bounded number of times) if the writer published while it was copying.
"""

from __future__ import annotations

import numpy as np


class Snapshot:
    def __init__(self, **sizes: int):
        self.fields = dict(sizes)
        offsets, at = {}, 0
        for name, size in sizes.items():
            offsets[name] = slice(at, at + size)
            at += size
        self._buf = np.zeros((2, at), np.float64)
        # Views made once: publishing allocates nothing in the audio thread.
        self._views = [{n: self._buf[i, s] for n, s in offsets.items()} for i in range(2)]
        self._offsets = offsets
        self.published = 0

    def back(self) -> dict[str, np.ndarray]:
        """The buffer to fill before :meth:`publish` (writer side)."""
        return self._views[(self.published + 1) % 2]

    def publish(self) -> None:
        self.published += 1

    def read(self, retries: int = 4) -> dict[str, np.ndarray | float]:
        """A copy of the last published record; size-1 fields as floats (reader side)."""
        for _ in range(retries):
            seen = self.published
            row = self._buf[seen % 2].copy()
            if self.published == seen:
                break
        out: dict[str, np.ndarray | float] = {}
        for name, s in self._offsets.items():
            out[name] = float(row[s.start]) if s.stop - s.start == 1 else row[s]
        return out
