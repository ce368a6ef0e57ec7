"""Raster kernels: lines, discs and whole-frame operations on an (H, W, 3) uint8 frame.

Every kernel is ``@njit(cache=True, nogil=True)``, takes arrays and scalars only and allocates
nothing, so the drawing thread can run while the audio thread holds the GIL (clearing and
copying a frame are numpy's fill and copy, which release it too). Drawing is additive
and saturating: a colour (three floats 0..255) times an intensity is added to each byte and
capped at 255, so overlapping strokes brighten instead of hiding one another.

Coordinates are float pixels (x right, y down); a pixel is hit when the rounded coordinate falls
on it. Segments are clipped to the frame first, and non-finite or absurd coordinates (a diverged
learner) are skipped, so no input can make a kernel loop for long or write out of bounds.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Coordinates beyond this are treated as garbage (NaN and inf compare false against it too).
_FAR_PX = 1.0e7
# A typed False for _line: a bare False is a literal to numba and would compile _line once more
# (draw_polyline passes a computed bool).
_FALSE = np.bool_(False)


# Whole-frame kernels walk a flat view of the (C-contiguous) frame: one simple loop over bytes
# that LLVM vectorises, about 10x faster here than nested (y, x, channel) loops.


def clear(frame: np.ndarray) -> None:
    """Set every byte of ``frame`` to 0 (numpy's fill: as fast, and nothing to compile)."""
    frame.fill(0)


@njit(cache=True, nogil=True)
def fade(frame: np.ndarray, n: int) -> None:
    """Subtract ``n`` from every byte, stopping at 0."""
    if n <= 0:
        return
    m = np.uint8(min(n, 255))
    f = frame.reshape(frame.size)
    for i in range(f.size):
        v = f[i]
        f[i] = v - m if v > m else np.uint8(0)


def copy_frame(src: np.ndarray, dst: np.ndarray) -> None:
    """``dst[...] = src`` (same shape; numpy's copy: as fast, and nothing to compile)."""
    np.copyto(dst, src)


@njit(cache=True, nogil=True)
def add_frame(src: np.ndarray, dst: np.ndarray) -> None:
    """``dst = min(dst + src, 255)`` per byte (same shape, both C-contiguous)."""
    s = src.reshape(src.size)
    d = dst.reshape(dst.size)
    top = np.uint8(255)
    for i in range(d.size):
        a, b = s[i], d[i]
        d[i] = b + a if b <= top - a else top


@njit(cache=True, nogil=True)
def _add_px(frame, x, y, r, g, b):
    v = np.int32(frame[y, x, 0]) + r
    frame[y, x, 0] = v if v < 255 else 255
    v = np.int32(frame[y, x, 1]) + g
    frame[y, x, 1] = v if v < 255 else 255
    v = np.int32(frame[y, x, 2]) + b
    frame[y, x, 2] = v if v < 255 else 255


@njit(cache=True, nogil=True)
def _amounts(colour, intensity):
    lv = min(max(intensity, 0.0), 1.0)
    r = np.int32(math.floor(min(max(colour[0], 0.0), 255.0) * lv + 0.5))
    g = np.int32(math.floor(min(max(colour[1], 0.0), 255.0) * lv + 0.5))
    b = np.int32(math.floor(min(max(colour[2], 0.0), 255.0) * lv + 0.5))
    return r, g, b


@njit(cache=True, nogil=True)
def _clip(x0, y0, x1, y1, xmax, ymax):
    """Liang-Barsky clip of a segment to [0, xmax] x [0, ymax]; (ok, t0, t1)."""
    t0, t1 = 0.0, 1.0
    dx, dy = x1 - x0, y1 - y0
    for i in range(4):
        if i == 0:
            p, q = -dx, x0
        elif i == 1:
            p, q = dx, xmax - x0
        elif i == 2:
            p, q = -dy, y0
        else:
            p, q = dy, ymax - y0
        if p == 0.0:
            if q < 0.0:
                return False, t0, t1
        else:
            t = q / p
            if p < 0.0:
                if t > t1:
                    return False, t0, t1
                if t > t0:
                    t0 = t
            else:
                if t < t0:
                    return False, t0, t1
                if t < t1:
                    t1 = t
    return True, t0, t1


@njit(cache=True, nogil=True)
def _line(frame, x0, y0, x1, y1, r, g, b, skip_first):
    """One pixel per column (or row, whichever the line is longer in), additive: no gaps and
    no pixel lit twice. ``skip_first`` leaves out the start pixel (shared polyline joints)."""
    if not (abs(x0) < _FAR_PX and abs(y0) < _FAR_PX and abs(x1) < _FAR_PX and abs(y1) < _FAR_PX):
        return
    h, w = frame.shape[0], frame.shape[1]
    ok, t0, t1 = _clip(x0, y0, x1, y1, w - 1.0, h - 1.0)  # to the box of pixel centres
    if not ok:
        return
    dx, dy = x1 - x0, y1 - y0
    if t0 > 0.0:
        skip_first = False  # the true start lies outside the frame
    ax, ay = x0 + t0 * dx, y0 + t0 * dy
    bx, by = x0 + t1 * dx, y0 + t1 * dy
    x_major = abs(bx - ax) >= abs(by - ay)
    if x_major:
        start, stop, origin = int(math.floor(ax + 0.5)), int(math.floor(bx + 0.5)), ax
        slope = (by - ay) / (bx - ax) if bx != ax else 0.0
        base = ay
    else:
        start, stop, origin = int(math.floor(ay + 0.5)), int(math.floor(by + 0.5)), ay
        slope = (bx - ax) / (by - ay)
        base = ax
    step = 1 if stop >= start else -1
    first = start + step if skip_first else start
    for major in range(first, stop + step, step):
        minor = int(math.floor(base + (major - origin) * slope + 0.5))
        px, py = (major, minor) if x_major else (minor, major)
        if 0 <= px < w and 0 <= py < h:
            _add_px(frame, px, py, r, g, b)


@njit(cache=True, nogil=True)
def draw_lines(frame, x0, y0, x1, y1, colour, intensity):
    """Segments (x0[i], y0[i]) -> (x1[i], y1[i]) in ``colour`` (3 floats) x ``intensity``."""
    r, g, b = _amounts(colour, intensity)
    for i in range(x0.shape[0]):
        _line(frame, x0[i], y0[i], x1[i], y1[i], r, g, b, _FALSE)


@njit(cache=True, nogil=True)
def draw_polyline(frame, xs, ys, levels, colour):
    """Joined segments through the vertices; segment i has intensity ``levels[i]``.

    Each joint is lit once (no bright beads where segments meet).
    """
    for i in range(xs.shape[0] - 1):
        r, g, b = _amounts(colour, levels[i])
        _line(frame, xs[i], ys[i], xs[i + 1], ys[i + 1], r, g, b, i > 0)


@njit(cache=True, nogil=True)
def draw_discs(frame, xs, ys, radius_px, colour, intensity):
    """Filled discs of ``radius_px`` centred on (xs[i], ys[i]), additive."""
    h, w = frame.shape[0], frame.shape[1]
    r, g, b = _amounts(colour, intensity)
    rr = radius_px * radius_px
    for i in range(xs.shape[0]):
        cx, cy = xs[i], ys[i]
        if not (abs(cx) < _FAR_PX and abs(cy) < _FAR_PX):
            continue
        xa = max(0, int(math.ceil(cx - radius_px)))
        xb = min(w - 1, int(math.floor(cx + radius_px)))
        ya = max(0, int(math.ceil(cy - radius_px)))
        yb = min(h - 1, int(math.floor(cy + radius_px)))
        for y in range(ya, yb + 1):
            for x in range(xa, xb + 1):
                if (x - cx) * (x - cx) + (y - cy) * (y - cy) <= rr:
                    _add_px(frame, x, y, r, g, b)
