"""Learner gradients to picture warps (piece ldd's scene). Pure functions.

A diverged learner's gradient is NaN or infinite: NaN moves nothing (there is no direction to
show) and infinity goes as far as the limit, so a warp is always a finite, bounded number.
"""

from __future__ import annotations

import math


def split_shift_px(grad: float, px_per_grad: float, limit_px: float) -> float:
    """How far (px) one colour channel moves for a gradient: ``grad × px_per_grad`` within
    ±``limit_px``; 0 for NaN."""
    if math.isnan(grad):
        return 0.0
    return max(-limit_px, min(limit_px, grad * px_per_grad))


def clipped_gradient(grad: float, clip: float) -> float:
    """A gradient within ±``clip`` (the bubbles' warp); 0 for NaN."""
    if math.isnan(grad):
        return 0.0
    return max(-clip, min(clip, grad))
