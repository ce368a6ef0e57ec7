"""Draws the window's console line (see synthlearn.commands.window_line) along the bottom edge.

A dark strip with one line of text over the picture, on the screen surface only: the scene's
frame is never touched. Nothing is drawn while the line has nothing to show; the rendered text
is cached until it changes.
"""

from __future__ import annotations

TEXT = (235, 235, 235)
STRIP = (0, 0, 0, 170)  # RGBA: the picture shows through


class ConsoleBar:
    def __init__(self, line, width: int, height: int, *, font_px: int | None = None):
        import pygame

        pygame.font.init()
        self.line = line
        self.font_px = font_px or max(14, height // 36)
        self._font = pygame.font.Font(None, self.font_px)
        pad = self.font_px // 3
        self.rect = pygame.Rect(0, height - self.font_px - 2 * pad, width, self.font_px + 2 * pad)
        self._strip = pygame.Surface(self.rect.size, pygame.SRCALPHA)
        self._strip.fill(STRIP)
        self._pad = pad
        self._shown = None
        self._text = None

    def __call__(self, screen) -> None:
        shown = self.line.shown()
        if not shown:
            return
        if shown != self._shown:
            self._shown = shown
            self._text = self._font.render(shown, True, TEXT)
        screen.blit(self._strip, self.rect.topleft)
        screen.blit(self._text, (self.rect.x + self._pad, self.rect.y + self._pad))
