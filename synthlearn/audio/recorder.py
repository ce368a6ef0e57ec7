"""Recording the master output live, without file I/O in the audio thread.

The block hook copies each finished master block into a preallocated ring (one numba call, no
allocation); a writer thread moves whole blocks from the ring to a 24-bit WAV every quarter
second, patching the header and flushing each time, so after ``kill -9`` the file plays up to
within about half a second of the kill. If the writer ever fell a whole ring behind, the blocks
it lost are counted (``dropped_blocks``) rather than waited for.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
from numba import njit

from synthlearn.audio.wavfile import WavWriter
from synthlearn.errors import UserError

RING_S = 4.0
WRITE_EVERY_S = 0.25


@njit(cache=True)
def _capture(ring, slot, left, right):
    for i in range(left.shape[0]):
        ring[slot, i, 0] = left[i]
        ring[slot, i, 1] = right[i]


def take_path(path: str | Path, *, force: bool = False) -> tuple[Path, str | None]:
    """Where a recording asked for at ``path`` goes, and a line to say about it: never over an
    existing file unless ``force`` (the next free ``NAME-2.wav``, ``NAME-3.wav``... instead).
    A folder, or a file in a folder that does not exist, is one line (UserError)."""
    path = Path(path)
    if path.is_dir():
        raise UserError("--record names a folder: give a file in it, e.g. "
                        f"{path / 'take.wav'}", source=str(path))
    if not path.parent.is_dir():
        raise UserError("--record: its folder does not exist", source=str(path))
    # lexists: a link at the name (even to nowhere) is taken, and never written through
    if not os.path.lexists(path) or force:
        return path, None
    n = 2
    while os.path.lexists(numbered := path.with_name(f"{path.stem}-{n}{path.suffix}")):
        n += 1
    return numbered, f"recording to {numbered} ({path.name} exists; --force overwrites it)"


class Recorder:
    def __init__(self, path: str | Path, sr: int, block: int):
        self.path = Path(path)
        self.sr, self.block = sr, block
        self._slots = max(4, int(RING_S * sr / block))
        self._ring = np.zeros((self._slots, block, 2), np.float32)
        self._written = 0  # blocks the writer has taken
        self.captured = 0  # blocks the hook has put in (only the audio thread writes it)
        self.dropped_blocks = 0
        self.failed: str | None = None  # why the file stopped growing (a full disk), if it did
        try:
            self._writer = WavWriter(self.path, sr)
        except OSError as exc:
            raise UserError(f"cannot record here: {exc.strerror or exc}",
                            source=str(self.path)) from None
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
            if not self._drain_or_stop():
                return

    def _drain_or_stop(self) -> bool:
        """Drain; on a write error (a full disk) keep the file as it is and stop recording:
        the music goes on, and :attr:`failed` says why. False once failed."""
        if self.failed is not None:
            return False
        try:
            self._drain()
            return True
        except OSError as exc:
            self.failed = exc.strerror or str(exc)
            self._finish()
            return False

    def _finish(self) -> None:
        try:  # the header as far as it was patched: the file plays up to there
            self._writer.close()
        except OSError:
            pass

    def close(self) -> None:
        """Write what is left and finish the file (after the audio has stopped)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._drain_or_stop():
            self._finish()

    @property
    def seconds(self) -> float:
        return self._writer.frames_written / self.sr
