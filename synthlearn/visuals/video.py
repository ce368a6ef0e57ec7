"""Video files from RGB frames, through imageio-ffmpeg's bundled ffmpeg (H.264 MP4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class VideoWriter:
    def __init__(self, path: str | Path, width: int, height: int, fps: float):
        import imageio_ffmpeg

        self.path = Path(path)
        self.size = (width, height)
        self._gen = imageio_ffmpeg.write_frames(
            str(self.path), self.size, fps=fps, codec="libx264", pix_fmt_out="yuv420p",
            quality=7, macro_block_size=8, ffmpeg_log_level="error",
        )
        self._gen.send(None)
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        self._gen.send(np.ascontiguousarray(frame))
        self.frames += 1

    def close(self) -> None:
        """Finish the file. A video with no frames is not a video: it is removed, and
        imageio-ffmpeg's own warning about it is not printed (whoever stopped says why)."""
        if self._gen is None:
            return
        import logging

        quiet = logging.getLogger("imageio_ffmpeg")
        level = quiet.level
        if self.frames == 0:
            quiet.setLevel(logging.ERROR)
        try:
            self._gen.close()
        finally:
            quiet.setLevel(level)
            self._gen = None
        if self.frames == 0:
            self.path.unlink(missing_ok=True)


def count_frames(path: str | Path) -> tuple[int, tuple[int, int]]:
    """(frames, (width, height)) of a video file, by decoding it."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    n = sum(1 for _ in reader)
    return n, tuple(meta["size"])
