"""The pygame window, in the main thread: shows a view's frames at a target rate.

Visuals read, never write, and audio never waits for them: the loop draws the piece's latest
snapshot, shows it, and when a frame comes late the next ones are skipped to catch up (a slow
frame is dropped, never queued). Headless under SDL_VIDEODRIVER=dummy.
"""

from __future__ import annotations

import os
import time

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


class Window:
    def __init__(self, width: int, height: int, *, fps: float = 60.0, title: str = "synthlearn"):
        import pygame

        # display only: pygame.init() would also open the mixer and fight pyo for the device
        pygame.display.init()
        self._pg = pygame
        self.size = (width, height)
        self.fps = fps
        self.screen = pygame.display.set_mode(self.size)
        pygame.display.set_caption(title)
        self.frames_shown = 0
        self.frames_dropped = 0
        self.draw_s: list[float] = []
        self.closed = False

    def show(self, frame: np.ndarray, overlay=None) -> None:
        """Blit an (H, W, 3) uint8 frame (shared, not copied, into a surface), draw the overlay
        on the screen (never on the frame) and flip."""
        surface = self._pg.image.frombuffer(frame, self.size, "RGB")
        self.screen.blit(surface, (0, 0))
        if overlay is not None:
            overlay(self.screen)
        self._pg.display.flip()
        self.frames_shown += 1

    def poll(self, on_key=None) -> bool:
        """Handle window events (keys to ``on_key(down, name, text)``, ``text`` what the key
        types, if anything); False once the window was closed."""
        pg = self._pg
        for event in pg.event.get():
            if event.type == pg.QUIT:
                self.closed = True
            elif on_key is not None and event.type in (pg.KEYDOWN, pg.KEYUP):
                on_key(event.type == pg.KEYDOWN, pg.key.name(event.key),
                       getattr(event, "unicode", ""))
        return not self.closed

    def run(self, view, until, on_key=None, overlay=None) -> None:
        """Draw ``view`` at the target rate until ``until()`` is true or the window closes;
        ``overlay(screen)``, if given, draws over each frame before it is shown."""
        period_s = 1.0 / self.fps
        deadline = time.perf_counter()
        while not until() and self.poll(on_key):
            t0 = time.perf_counter()
            self.show(view.draw(), overlay)
            self.draw_s.append(time.perf_counter() - t0)
            deadline += period_s
            now = time.perf_counter()
            if now > deadline:  # late: drop the frames we missed instead of queueing them
                missed = int((now - deadline) / period_s) + 1
                self.frames_dropped += missed
                deadline += missed * period_s
            # The UI thread paces itself with the wall clock; audio runs on its own thread.
            time.sleep(max(0.0, deadline - time.perf_counter()))

    def set_title(self, title: str) -> None:
        self._pg.display.set_caption(title)

    def close(self) -> None:
        self._pg.display.quit()
