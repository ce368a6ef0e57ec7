"""Video sources for the visuals: a built-in test pattern, a video file, a camera.

Each source has ``read(time_s) -> (H, W, 3) uint8`` (a buffer the source owns and may reuse on
the next read) and ``close()``. Frames are chosen by time, not by how often ``read`` is called,
so an offline render at 30 fps and a live window at 60 fps show the same picture at a given
second.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from numba import njit

from synthlearn.errors import UserError

_DEFAULT_FILE_FPS = 30.0  # when ffmpeg cannot tell a file's frame rate

# SMPTE-like bars: white, yellow, cyan, green, magenta, red, blue, black.
_BARS = np.array([[235, 235, 235], [235, 235, 16], [16, 235, 235], [16, 235, 16],
                  [235, 16, 235], [235, 16, 16], [16, 16, 235], [16, 16, 16]], np.uint8)


def _pattern_background(width: int, height: int) -> np.ndarray:
    """Colour bars over the top two thirds, a grey ramp below (drawn once)."""
    bg = np.empty((height, width, 3), np.uint8)
    split = (2 * height) // 3
    bar = (np.arange(width) * len(_BARS)) // width
    bg[:split] = _BARS[bar][None, :, :]
    ramp = (np.arange(width) * 255 // max(1, width - 1)).astype(np.uint8)
    bg[split:] = ramp[None, :, None]
    return bg


@njit(cache=True, nogil=True)
def _pattern(bg, frame, time_s, cell_px):
    """Copy ``bg``, then a drifting grid (inverted colours, 2 px lines) and an orbiting orange
    disc, all hard-edged. Only the grid lines and the disc's box are visited after the copy."""
    h, w = frame.shape[0], frame.shape[1]
    b = bg.reshape(bg.size)
    f = frame.reshape(frame.size)
    for i in range(f.size):
        f[i] = b[i]
    ox = int(math.floor(time_s * cell_px * 0.5)) % cell_px  # grid drifts right and down
    oy = int(math.floor(time_s * cell_px * 0.25)) % cell_px
    for y in range(h):
        if (y - oy) % cell_px < 2:  # a whole grid row
            for x in range(w):
                for k in range(3):
                    frame[y, x, k] = 255 - bg[y, x, k]
            continue
        for x0 in range(ox - cell_px, w, cell_px):  # the grid columns crossing this row
            for x in range(max(x0, 0), min(x0 + 2, w)):
                for k in range(3):
                    frame[y, x, k] = 255 - bg[y, x, k]
    cx = 0.5 * w + 0.35 * w * math.cos(2.0 * math.pi * 0.1 * time_s)
    cy = 0.5 * h + 0.30 * h * math.sin(2.0 * math.pi * 0.13 * time_s)
    rad = h / 10.0
    xa, xb = max(0, int(cx - rad)), min(w - 1, int(cx + rad) + 1)
    ya, yb = max(0, int(cy - rad)), min(h - 1, int(cy + rad) + 1)
    for y in range(ya, yb + 1):
        for x in range(xa, xb + 1):
            if (x - cx) * (x - cx) + (y - cy) * (y - cy) <= rad * rad:
                frame[y, x, 0] = 255
                frame[y, x, 1] = 140
                frame[y, x, 2] = 0


class TestPattern:
    """Colour bars, a drifting grid and an orbiting disc: every warp and split shows on it."""

    __test__ = False  # not a pytest class, despite the name

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.cell_px = max(8, height // 12)
        self._bg = _pattern_background(width, height)
        self.frame = np.zeros((height, width, 3), np.uint8)

    def read(self, time_s: float) -> np.ndarray:
        _pattern(self._bg, self.frame, float(time_s), int(self.cell_px))
        return self.frame

    def close(self) -> None:
        pass


class FileSource:
    """Frames of a video file scaled to width x height by ffmpeg, looping at the end.

    Frame ``floor(time_s * fps)`` of the file (modulo its length) is shown. Decoding runs
    forward in an ffmpeg subprocess; a jump back in time restarts it from the beginning.
    """

    def __init__(self, path: str | Path, width: int, height: int):
        self.path = Path(path)
        self.width, self.height = width, height
        self.frame = np.zeros((height, width, 3), np.uint8)
        self.fps = _DEFAULT_FILE_FPS
        self.frame_count: int | None = None  # known once the end has been reached
        self._gen = None
        self._next_index = 0  # index of the frame the decoder yields next
        self._shown = -1  # index of the frame in self.frame
        self._start()
        self._advance_to(0)

    def _fail(self, reason: str) -> UserError:
        return UserError(f"cannot read video: {reason}", source=str(self.path))

    def _start(self) -> None:
        import imageio_ffmpeg

        if not self.path.is_file():
            raise self._fail("no such file")
        self._stop()
        gen = imageio_ffmpeg.read_frames(
            str(self.path), output_params=["-vf", f"scale={self.width}:{self.height}"])
        try:
            meta = next(gen)
        except Exception as exc:  # ffmpeg's reasons vary: no video stream, bad header, ...
            gen.close()
            lines = [s for s in str(exc).splitlines() if s.strip() and not s.startswith("===")]
            raise self._fail(lines[-1] if lines else type(exc).__name__) from None
        if tuple(meta.get("size", ())) != (self.width, self.height):
            gen.close()
            raise self._fail(f"ffmpeg gave frames of {meta.get('size')}, "
                             f"not {self.width}x{self.height}")
        fps = float(meta.get("fps") or 0.0)
        self.fps = fps if fps > 0 and math.isfinite(fps) else _DEFAULT_FILE_FPS
        self._gen = gen
        self._next_index = 0

    def _advance_to(self, index: int) -> None:
        """Decode until frame ``index`` is in self.frame (restarting or looping as needed)."""
        if index < self._next_index:
            self._start()
        data = None
        while self._next_index <= index:
            try:
                data = next(self._gen)
            except StopIteration:
                if self._next_index == 0:
                    raise self._fail("the file holds no video frames") from None
                self.frame_count = self._next_index
                index %= self.frame_count
                self._start()
                data = None
                continue
            self._next_index += 1
        if data is not None:
            np.copyto(self.frame, np.frombuffer(data, np.uint8).reshape(self.frame.shape))
        self._shown = index

    def read(self, time_s: float) -> np.ndarray:
        index = max(0, int(math.floor(time_s * self.fps + 1e-6)))
        if self.frame_count:
            index %= self.frame_count
        if index != self._shown:
            self._advance_to(index)
        return self.frame

    def _stop(self) -> None:
        if self._gen is not None:
            self._gen.close()  # terminates the ffmpeg process
            self._gen = None

    def close(self) -> None:
        self._stop()


def camera_names() -> list[str]:
    """Cameras pygame can open here ([] when there are none or pygame.camera cannot start)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame.camera

        pygame.camera.init()
        return list(pygame.camera.list_cameras())
    except Exception:  # no backend, no /dev/video*, no permission: all mean "no camera"
        return []


class CameraSource:
    """The first camera pygame finds; the last frame is kept until the camera has a new one."""

    def __init__(self, width: int, height: int):
        names = camera_names()
        if not names:
            raise UserError("no camera found", source="camera")
        import pygame
        import pygame.camera

        self.size = (width, height)
        self.frame = np.zeros((height, width, 3), np.uint8)
        self._cam = pygame.camera.Camera(names[0], self.size, "RGB")
        self._cam.start()

    def read(self, time_s: float) -> np.ndarray:
        import pygame

        if self._cam.query_image():  # never block the drawing thread waiting for a frame
            img = self._cam.get_image()
            if img.get_size() != self.size:
                img = pygame.transform.scale(img, self.size)
            self.frame[...] = pygame.surfarray.pixels3d(img).transpose(1, 0, 2)
        return self.frame

    def close(self) -> None:
        self._cam.stop()


def open_source(spec: str | None, width: int, height: int):
    """``None``: a camera if there is one, else the test pattern; ``"test"``; ``"camera"``;
    anything else is a video file path."""
    if spec is None:
        return CameraSource(width, height) if camera_names() else TestPattern(width, height)
    if spec == "test":
        return TestPattern(width, height)
    if spec == "camera":
        return CameraSource(width, height)
    return FileSource(spec, width, height)
