"""Recording the master output live, without file I/O in the audio thread.

The block hook copies each finished master block into a preallocated ring (one numba call, no
allocation); a writer thread moves whole blocks from the ring to a 24-bit WAV every quarter
second, patching the header and flushing each time, so after ``kill -9`` the file plays up to
within about half a second of the kill. If the writer ever fell a whole ring behind, the blocks
it lost are counted (``dropped_blocks``) rather than waited for.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from numba import njit

from synthlearn.audio.wavfile import WavWriter

RING_S = 4.0
WRITE_EVERY_S = 0.25


@njit(cache=True)
def _capture(ring, slot, left, right):
    for i in range(left.shape[0]):
        ring[slot, i, 0] = left[i]
        ring[slot, i, 1] = right[i]


class Recorder:
    def __init__(self, path: str | Path, sr: int, block: int):
        self.path = Path(path)
        self.sr, self.block = sr, block
        self._slots = max(4, int(RING_S * sr / block))
        self._ring = np.zeros((self._slots, block, 2), np.float32)
        self._written = 0  # blocks the writer has taken
        self.captured = 0  # blocks the hook has put in (only the audio thread writes it)
        self.dropped_blocks = 0
        self._writer = WavWriter(self.path, sr)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="synthlearn-recorder", daemon=True)

    def warm(self) -> None:
        scratch = np.zeros((1, self.block, 2), np.float32)
        z = np.zeros(self.block, np.float32)
        _capture(scratch, 0, z, z)

    def start(self) -> None:
        self._thread.start()

    def capture(self, left: np.ndarray, right: np.ndarray) -> None:
        """In the audio thread: one finished master block into the ring."""
        _capture(self._ring, self.captured % self._slots, left, right)
        self.captured += 1

    def _drain(self) -> None:
        end = self.captured
        if end - self._written > self._slots:  # overwritten before we got to them
            lost = end - self._written - self._slots
            self.dropped_blocks += lost
            self._written += lost
        while self._written < end:
            a = self._written % self._slots
            n = min(end - self._written, self._slots - a)  # up to the ring's end
            frames = self._ring[a:a + n].reshape(-1, 2)
            self._writer.write(frames)
            self._written += n

    def _run(self) -> None:
        while not self._stop.wait(WRITE_EVERY_S):
            self._drain()

    def close(self) -> None:
        """Write what is left and finish the file (after the audio has stopped)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._drain()
        self._writer.close()

    @property
    def seconds(self) -> float:
        return self._writer.frames_written / self.sr
