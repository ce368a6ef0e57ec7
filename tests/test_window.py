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


def test_computer_keyboard_plays_notes_through_posted_pygame_key_events():
    import pygame

    from synthlearn.events import CC_SUSTAIN, Kind
    from synthlearn.midi.keyboard import KeyboardPiano

    win = Window(64, 48)
    piano = KeyboardPiano()
    got = []

    def on_key(down, name):
        got.extend((piano.key_down if down else piano.key_up)(name, 480))

    try:
        for kind, key in ((pygame.KEYDOWN, pygame.K_z), (pygame.KEYDOWN, pygame.K_q),
                          (pygame.KEYDOWN, pygame.K_RIGHT), (pygame.KEYUP, pygame.K_z),
                          (pygame.KEYDOWN, pygame.K_z), (pygame.KEYDOWN, pygame.K_SPACE),
                          (pygame.KEYUP, pygame.K_SPACE)):
            pygame.event.post(pygame.event.Event(kind, key=key))
        assert win.poll(on_key)
    finally:
        win.close()
    assert [(e.kind, e.number, e.value) for e in got] == [
        (Kind.NOTE_ON, 48, 100),  # z: C3
        (Kind.NOTE_ON, 60, 100),  # q: C4
        (Kind.NOTE_OFF, 48, 0),  # z released after the octave shift: the note it started
        (Kind.NOTE_ON, 60, 100),  # z an octave up
        (Kind.CONTROL, CC_SUSTAIN, 127),
        (Kind.CONTROL, CC_SUSTAIN, 0),
    ]
    assert all(e.time_smp == 480 for e in got)
