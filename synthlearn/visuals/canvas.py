"""One frame, two views: a numpy array that kernels draw into and a pygame Surface on it.

The Surface is made with ``pygame.image.frombuffer`` on the array's memory, so text blitted by
pygame and pixels written by numba land in the same bytes and nothing is copied per frame. Only
``pygame.font`` is initialised (never ``pygame.init()``: its mixer would fight the audio engine
for the sound device). Works headless with ``SDL_VIDEODRIVER=dummy``.
"""

from __future__ import annotations

import os

import numpy as np


def _pygame():
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    return pygame


class Canvas:
    """A C-contiguous (height, width, 3) uint8 ``array`` shared with ``surface``."""

    def __init__(self, width: int, height: int, *, font_px: int | None = None):
        pygame = _pygame()
        self.width, self.height = width, height
        self.array = np.zeros((height, width, 3), np.uint8)
        self.surface = pygame.image.frombuffer(self.array, (width, height), "RGB")
        pygame.font.init()
        self.font_px = font_px or max(12, height // 32)
        self._font = pygame.font.Font(None, self.font_px)  # pygame's bundled default font

    def text(self, s: str, x: int, y: int, colour: tuple[int, int, int] = (255, 255, 255), *,
             shadow: bool = True) -> None:
        """Draw ``s`` with its top-left corner at (x, y) px, anti-aliased, over the frame.

        ``shadow`` puts a black copy 1 px down-right first, so the text reads over bright video.
        """
        if shadow:
            self.surface.blit(self._font.render(s, True, (0, 0, 0)), (x + 1, y + 1))
        self.surface.blit(self._font.render(s, True, colour), (x, y))
