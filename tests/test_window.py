"""The pygame window on SDL's dummy driver: frames reach the screen surface unchanged."""

import numpy as np

from synthlearn.visuals.window import Window


class Counting:
    """A view whose n-th frame is filled with n (so the screen says which frame it shows)."""

    def __init__(self, w, h):
        self.frame = np.zeros((h, w, 3), np.uint8)
        self.n = 0

    def draw(self):
        self.n += 1
        self.frame[:] = self.n
        self.frame[0, 0] = (255, 0, 7)
        return self.frame


def test_window_shows_each_frame_exactly_and_stops_when_asked():
    import pygame

    win = Window(64, 48, fps=1000.0)
    view = Counting(64, 48)
    try:
        win.run(view, until=lambda: view.n >= 5)
        shown = pygame.surfarray.array3d(win.screen).transpose(1, 0, 2)
        assert win.frames_shown == 5
        assert np.array_equal(shown, view.frame)  # (H, W, 3) order, no copy artefacts
    finally:
        win.close()
