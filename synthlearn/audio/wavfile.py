"""24-bit PCM WAV files, written in chunks so a file is readable however the writer stops.

Python's ``wave`` rewrites the RIFF header after every ``writeframes`` when the length was not
known in advance; we flush after each chunk, so after a crash (or ``kill -9``) the file holds a
valid header and every chunk written so far.
"""

from __future__ import annotations

import errno
import os
import stat
import wave
from pathlib import Path

import numpy as np

FULL_SCALE_24 = 8388608  # 2**23


def float_to_pcm24(frames: np.ndarray) -> bytes:
    """float samples (n, channels) in [-1, 1] to interleaved little-endian 24-bit PCM bytes."""
    ints = np.rint(np.clip(frames, -1.0, (FULL_SCALE_24 - 1) / FULL_SCALE_24) * FULL_SCALE_24)
    as32 = ints.astype("<i4").reshape(-1)
    return as32.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


# Never through a symlink planted at the name; O_NONBLOCK: a FIFO there fails (or is refused
# below) instead of blocking until someone reads it.
_OPEN_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK
               | os.O_CLOEXEC)


def open_regular(path: Path):
    """``path`` opened for writing as a regular file: never through a symlink, never a FIFO
    or a device (OSError, with a reason, for those)."""
    fd = os.open(path, _OPEN_FLAGS, 0o644)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file")
    return os.fdopen(fd, "wb")


class WavWriter:
    def __init__(self, path: str | Path, sr: int, channels: int = 2):
        self.path = Path(path)
        self._file = open_regular(self.path)
        self._wav = wave.open(self._file, "wb")
        self._wav.setnchannels(channels)
        self._wav.setsampwidth(3)
        self._wav.setframerate(sr)
        self.channels = channels
        self.frames_written = 0

    def write(self, frames: np.ndarray) -> None:
        """Append float frames of shape (n, channels), header patched and flushed."""
        if frames.ndim != 2 or frames.shape[1] != self.channels:
            raise ValueError(f"expected frames of shape (n, {self.channels})")
        self._wav.writeframes(float_to_pcm24(frames))
        self._file.flush()
        self.frames_written += frames.shape[0]

    def close(self) -> None:
        if self._wav is not None:
            wav, self._wav = self._wav, None
            try:
                wav.close()  # the header's last patch
            finally:
                self._file.close()

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_wav(path: str | Path) -> tuple[int, np.ndarray]:
    """(sample rate, float64 frames (n, channels)) of a 16- or 24-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        sr, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(n)
    if width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        ints = (b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8)
                | (b[:, 2].astype(np.int32) << 16))
        ints = np.where(ints >= FULL_SCALE_24, ints - 2 * FULL_SCALE_24, ints)
        data = ints.astype(np.float64) / FULL_SCALE_24
    else:
        raise ValueError(f"{path}: {8 * width}-bit WAV not supported (16 or 24 expected)")
    return sr, data.reshape(-1, ch)
