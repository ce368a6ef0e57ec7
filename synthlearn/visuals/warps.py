"""Gradient-driven distortions of a video frame: RGB channel split and warped bubbles.

Kernels are ``@njit(cache=True, nogil=True)``, read ``src`` and write a preallocated ``dst`` of
the same C-contiguous (H, W, 3) uint8 shape, and allocate nothing. ``src`` and ``dst`` must be
different arrays. Shifts are in pixels and rounded half up; samples that fall outside the frame
are black (split) or clamped to the edge (bubbles).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _shift_px(v: float, limit: int) -> int:
    """Round a shift to whole pixels; NaN counts as 0 and huge shifts stop just off-frame."""
    if not (v == v):
        return 0
    v = min(max(v, -float(limit)), float(limit))
    return int(math.floor(v + 0.5))


# Constant arguments for _split, typed: a bare 0 or False is a literal to numba, and each
# literal compiles _split once more (rgb_split and rgb_split_alpha share one compiled _split).
_ZERO, _FALSE, _TRUE = np.int64(0), np.bool_(False), np.bool_(True)


@njit(cache=True, nogil=True)
def _split(src, dst, dx, dy, g0, g1, g2, scaled):
    """Channel k translated by (dx[k], dy[k]); times gain gk (16.16 fixed point) if ``scaled``.

    Walks flat views channel by channel, row by row: the inner loops are plain strided copies.
    """
    h, w = src.shape[0], src.shape[1]
    s = src.reshape(src.size)
    d = dst.reshape(dst.size)
    half = np.uint32(32768)
    sixteen = np.uint32(16)
    for k in range(3):
        sx = _shift_px(dx[k], w)
        sy = _shift_px(dy[k], h)
        g = np.uint32(g0 if k == 0 else g1 if k == 1 else g2)
        xa, xb = max(0, sx), min(w, w + sx)  # dst columns whose source lies inside the frame
        for y in range(h):
            row = y * w * 3 + k
            yy = y - sy
            if yy < 0 or yy >= h:
                for x in range(w):
                    d[row + 3 * x] = 0
                continue
            src_row = yy * w * 3 + k - 3 * sx
            for x in range(0, xa):
                d[row + 3 * x] = 0
            if scaled:
                for x in range(xa, xb):
                    d[row + 3 * x] = np.uint8((np.uint32(s[src_row + 3 * x]) * g + half) >> sixteen)
            else:
                for x in range(xa, xb):
                    d[row + 3 * x] = s[src_row + 3 * x]
            for x in range(max(xb, xa), w):
                d[row + 3 * x] = 0


@njit(cache=True, nogil=True)
def rgb_split(src, dst, dx, dy):
    """Channel k of ``src`` translated by (dx[k], dy[k]) px into ``dst``.

    Content at (x, y) lands at (x + dx[k], y + dy[k]). With all shifts 0, ``dst == src`` exactly:
    the channels recombine into the source picture when the gradients vanish.
    """
    _split(src, dst, dx, dy, _ZERO, _ZERO, _ZERO, _FALSE)


@njit(cache=True, nogil=True)
def rgb_split_alpha(src, dst, dx, dy, order, alpha):
    """The original's split: single-channel layers composited over black with ``alpha``.

    Starting from black, for each channel k in ``order`` (a permutation of 0, 1, 2), the image
    holding only channel k of ``src``, translated by (dx[k], dy[k]), is laid over the result:
    ``dst = dst * (1 - alpha) + layer * alpha`` on all three bytes. The last channel in ``order``
    dominates, so a new order each frame makes the picture flicker as the original did.

    A layer is black outside its own channel, so the composite is linear per channel: channel k
    ends as its shifted source times a gain (alpha, dimmed by (1 - alpha) for each later layer).
    The gains are computed first and applied in one pass (to within 1/500 of a level).
    """
    alpha = min(max(alpha, 0.0), 1.0)
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    for j in range(order.shape[0]):
        g0 *= 1.0 - alpha
        g1 *= 1.0 - alpha
        g2 *= 1.0 - alpha
        k = order[j]
        if k == 0:
            g0 += alpha
        elif k == 1:
            g1 += alpha
        elif k == 2:
            g2 += alpha
    q = 65536.0
    _split(src, dst, dx, dy, int(min(g0, 1.0) * q + 0.5), int(min(g1, 1.0) * q + 0.5),
           int(min(g2, 1.0) * q + 0.5), _TRUE)


@njit(cache=True, nogil=True)
def bubble_warp(src, dst, cx, cy, radius, phx, phy, amp_x, amp_y):
    """Warp the disc of ``radius`` px at (cx, cy): ``dst[y, x] = src[sy, sx]`` inside it.

    sx = x + amp_x cos(phx + x/300), sy = y + amp_y sin(phy + x/300), rounded and clamped to the
    frame. Only the disc's bounding box is visited; pixels outside the disc are untouched, and
    with both amplitudes 0 nothing is written at all.
    """
    if amp_x == 0.0 and amp_y == 0.0:
        return
    finite = abs(cx) < 1e7 and abs(cy) < 1e7 and abs(amp_x) < 1e7 and abs(amp_y) < 1e7
    if not (finite and radius > 0.0 and abs(phx) < 1e12 and abs(phy) < 1e12):
        return
    h, w = src.shape[0], src.shape[1]
    xa = max(0, int(math.ceil(cx - radius)))
    xb = min(w - 1, int(math.floor(cx + radius)))
    ya = max(0, int(math.ceil(cy - radius)))
    yb = min(h - 1, int(math.floor(cy + radius)))
    rr = radius * radius
    # Both offsets depend on x only: one cos and one sin per column.
    for x in range(xa, xb + 1):
        ox = amp_x * math.cos(phx + x / 300.0)
        oy = amp_y * math.sin(phy + x / 300.0)
        sx = int(math.floor(x + ox + 0.5))
        sx = min(max(sx, 0), w - 1)
        for y in range(ya, yb + 1):
            if (x - cx) * (x - cx) + (y - cy) * (y - cy) > rr:
                continue
            sy = int(math.floor(y + oy + 0.5))
            sy = min(max(sy, 0), h - 1)
            dst[y, x, 0] = src[sy, sx, 0]
            dst[y, x, 1] = src[sy, sx, 1]
            dst[y, x, 2] = src[sy, sx, 2]
