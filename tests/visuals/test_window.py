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

    def on_key(down, name, text=""):
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


def _keys(text):
    """Posted key-down events typing ``text`` (pygame key names and the characters they type)."""
    import pygame

    names = {" ": pygame.K_SPACE, "\n": pygame.K_RETURN, "\t": pygame.K_TAB,
             "\x1b": pygame.K_ESCAPE, "\b": pygame.K_BACKSPACE}
    for ch in text:
        key = names.get(ch) or pygame.key.key_code(ch)
        shown = ch if ch in " " or ch.isprintable() else ""
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=shown))


def test_console_line_in_the_window_runs_commands_and_leaves_the_piano_alone():
    import threading

    import pygame

    from synthlearn.commands import language as console
    from synthlearn.commands.console import SESSION, Console
    from synthlearn.commands.window_line import ConsoleLine, WindowKeys
    from synthlearn.events import Kind
    from synthlearn.midi.keyboard import KeyboardPiano
    from synthlearn.pieces.ldd import Ldd
    from synthlearn.visuals.console_bar import ConsoleBar

    lang = console.Language.of(console.ENGINE, Ldd.commands, SESSION)
    pushed, said = [], []
    cons = Console(lang, pushed.append, lambda: 960, stop=threading.Event(), say=said.append,
                   piece=lambda: Ldd(seed=1))
    clock = [100.0]
    line = ConsoleLine(cons.complete, cons.handle, cons.history, clock=lambda: clock[0])
    keys = WindowKeys(KeyboardPiano(), line, pushed.append, lambda: 960)
    win = Window(320, 180)
    bar = ConsoleBar(line, 320, 180)
    frame = np.full((180, 320, 3), 90, np.uint8)

    def screen():
        win.show(frame, bar)
        return pygame.surfarray.array3d(win.screen).transpose(1, 0, 2)

    try:
        assert np.array_equal(screen(), frame)  # closed, nothing said: the picture only
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_z, unicode="z"))
        _keys("\npa\t")  # open, type "pa": two commands start so, both offered
        assert win.poll(keys) and line.text == "pa" and line.reply == "panic part"
        _keys("r\t2")  # "par" completes to "part ", then 2
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_z, unicode=""))
        assert win.poll(keys)
        assert line.open and line.text == "part 2"
        shown = screen()
        assert not np.array_equal(shown[-bar.rect.height:], frame[-bar.rect.height:])
        assert np.array_equal(shown[:-bar.rect.height], frame[:-bar.rect.height])  # bar only
        _keys("\n\nprat 3\n")  # run "part 2"; open, a typo, run: one line back
        _keys("\nzz\b\x1b")  # typed then abandoned: nothing runs
        assert win.poll(keys) and not line.open
        _keys("\n")
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_UP, unicode=""))
        assert win.poll(keys) and line.text == "part 2"  # the history, newest first
        _keys("\x1b")
        assert win.poll(keys)
    finally:
        win.close()
    got = [(e.kind, e.number) if e.kind != Kind.COMMAND else (e.kind, e.command.text)
           for e in pushed]
    # The z key played and (its release reaching the piano while the line was open) ended.
    assert got == [(Kind.NOTE_ON, 48), (Kind.NOTE_OFF, 48), (Kind.COMMAND, "part 2")]
    assert said[0] == "ok: part 2 (knot)"  # what worked says the state it leaves
    assert said[1:] == [line.reply] and line.reply.startswith("? ") and "prat" in line.reply
    assert cons.history == ["part 2"]
    clock[0] += 10  # the reply fades: the picture is clear again
    assert line.shown() == "" and not line.open


def test_console_line_completes_the_word_being_typed_and_keeps_the_rest():
    from synthlearn.commands.window_line import ConsoleLine
    from synthlearn.pieces import live_language
    from synthlearn.pieces.ldd import Ldd

    line = ConsoleLine(live_language(Ldd).complete, lambda text: None, [], clock=lambda: 0.0)
    for name, text in (("return", ""), *((None, c) for c in "detune "), ("tab", "")):
        line.key(name or text, text)
    assert line.text == "detune " and line.reply == "loss residual mae"  # choices offered
    line.key("r", "r")
    line.key("tab", "")
    assert line.text == "detune residual "
