"""Play a score in real time on jack or portaudio (the demo's live path), with or without a
window.

The full live shell (MIDI ports, keyboard, console, recording) is ``perform``. Here the audio
thread does all the sound work; the main thread either waits or runs the window, which draws
the piece's published snapshot and drops frames rather than delaying anything.
"""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path

import numpy as np

from synthlearn.commands.score import read_score, schedule, split_off_audio
from synthlearn.errors import UserError
from synthlearn.files import for_score
from synthlearn.pieces import piece_class


def display_available() -> bool:
    """Whether a window can be shown (a desktop session, or SDL told to draw off screen)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("SDL_VIDEODRIVER") or os.name == "nt")


class LiveWindow:
    """A live run's visuals: the video source, the piece's scene (warmed before audio starts)
    and the pygame window, opened and closed together. It is the view the window draws, so a
    piece switch changes the scene under a window that stays open."""

    def __init__(self, engine, *, size: tuple[int, int], fps: float, title: str,
                 video_source: str | None = None):
        from synthlearn.visuals.window import Window

        self.engine, self.size, self.fps, self.video_source = engine, size, fps, video_source
        self.view = self._scene(engine.piece)
        self.win = None
        try:
            self.win = Window(*size, fps=fps, title=title)
        except BaseException:
            self.close()
            raise

    def _scene(self, piece):
        """``piece``'s scene over a freshly opened video source, every kernel warmed."""
        source = None
        if self.video_source is not None:
            from synthlearn.visuals.sources import open_source

            source = open_source(self.video_source, *self.size)
        try:
            view = piece.scene(self.engine, *self.size, self.fps, source=source)
        except BaseException:
            if source is not None:
                source.close()
            raise
        try:
            view.warm()  # every drawing kernel compiled before it draws
        except BaseException:
            view.close()
            raise
        return view

    def switch(self, piece) -> None:
        """Draw ``piece`` from now on (main thread)."""
        view, old = self._scene(piece), self.view
        self.view = view
        old.close()
        self.win.set_title(f"synthlearn: {piece.name}")

    def draw(self) -> np.ndarray:
        return self.view.draw()

    def run(self, until, on_key=None, overlay=None) -> None:
        self.win.run(self, until=until, on_key=on_key, overlay=overlay)

    def figures(self) -> dict:
        draw_ms = np.array(self.win.draw_s) * 1e3
        if draw_ms.size == 0:
            return {"frames_shown": 0, "frames_dropped": self.win.frames_dropped}
        return {"frames_shown": self.win.frames_shown, "frames_dropped": self.win.frames_dropped,
                "frame_p50_ms": round(float(np.median(draw_ms)), 2),
                "frame_p99_ms": round(float(np.percentile(draw_ms, 99)), 2)}

    def close(self) -> None:
        if self.win is not None:
            self.win.close()
            self.win = None
        self.view.close()


WATCHDOG_S = 1.0  # no audio callback for this long: the server or the device is gone


class Watchdog:
    """Called by the main thread as it waits: True (and one line said, once) when the audio
    thread has not run for ``after_s`` (jackd killed, the device unplugged). pyo's own
    shutdown on a dead JACK server is silent and leaves the process running forever."""

    def __init__(self, engine, say=None, after_s: float = WATCHDOG_S):
        self.engine, self.say, self.after_s = engine, say, after_s
        self.lost: str | None = None

    def __call__(self) -> bool:
        if self.lost is None:
            block = self.engine.server_block()
            silent_s = self.engine.silent_for_s()
            if block is not None and block != self.engine.block:
                self.lost = (f"the {self.engine.backend} server changed its period from "
                             f"{self.engine.block} to {block} frames mid-show (another program "
                             "asked); ending, as the sound would be garbled (--resume continues)")
            elif silent_s < self.after_s:
                return False
            else:
                self.lost = (f"no audio for {silent_s:.1f} s: the {self.engine.backend} "
                             "server stopped or the audio device was lost; ending")
            if self.say is not None:
                self.say(self.lost)
        return True


def run_main_thread(until, window: LiveWindow | None = None, on_key=None,
                    overlay=None) -> None:
    """The main thread of a live run: the window, or just waiting, until ``until()``."""
    if window is not None:
        window.run(until, on_key, overlay)
        return
    while not until():
        time.sleep(0.05)  # the main thread only waits; the audio thread does the work


def main_ticker(engine, piece, off_audio: list, *, source: str):
    """What the main thread of a live score does each turn: the piece's ``main_tick`` and the
    score's off-hook commands (``off_audio``, in time order), each once its time has come."""
    from synthlearn.runtime.render import run_off_audio

    pending = collections.deque(off_audio)

    def tick() -> None:
        piece.main_tick(engine.time_s)
        while pending and pending[0].time_smp <= engine.now_smp():
            run_off_audio(pending.popleft().command, piece, source=source)

    return tick


def stop_and_measure(engine, window: LiveWindow | None = None) -> dict:
    """Stop real-time audio; blocks, late blocks (an interval over two blocks), the callback
    interval p99 and, with a window, its frame figures."""
    engine.stop()
    intervals = engine.callback_intervals_s()
    figures = {"blocks": len(intervals) + 1,
               "late_blocks": int((intervals > 2 * engine.block_s).sum()),
               "interval_p99_ms": round(float(np.percentile(intervals, 99)) * 1e3, 2)
               if len(intervals) else None}
    if window is not None:
        figures.update(window.figures())
    return figures


def play(path: str | Path, backend: str = "auto", *, block: int = 256, sr: int = 48000,
         piece: str | None = None, duration_s: float | None = None, window: bool = False,
         size: tuple[int, int] = (1280, 720), fps: float = 60.0,
         video_source: str | None = None, voices: str = "numba", say=None) -> dict:
    """Play ``path`` live until its end; return late-block counts, the backend used and, with a
    window, frame figures."""
    from synthlearn.audio.engine import Engine

    score = read_score(path)
    name = piece or score.piece
    if name is None:
        raise UserError("which piece plays this? give --piece NAME", source=str(path))
    cls = piece_class(name)
    schedule(score, cls.language(), sr)  # every line checked before any audio is asked for
    engine = Engine(backend, sr=sr, block=block, seed=score.seed, voices=voices)
    if say is not None:
        say(engine.route.line)  # which server and library play
        if engine.format_note:
            say(engine.format_note)
    events, score_s = schedule(score, cls.language(), engine.sr)  # stamped at the server's rate
    events, off_audio = split_off_audio(events)
    duration_s = score_s if duration_s is None else duration_s
    win = None
    try:
        engine.boot()
        if engine.boot_note and say is not None:
            say(engine.boot_note)
        piece = cls(seed=score.seed, faithful=score.faithful)
        piece.files = for_score(score.path)  # reads by the score; played live, no writes
        engine.play(piece, events)
        if window:
            win = LiveWindow(engine, size=size, fps=fps, title=f"synthlearn: {name}",
                             video_source=video_source)
        watchdog = Watchdog(engine, say)
        engine.start()
        tick = main_ticker(engine, piece, off_audio, source=str(path))

        def until() -> bool:
            tick()
            return watchdog() or engine.time_s >= duration_s

        run_main_thread(until, win)
        figures = stop_and_measure(engine, win)
    finally:
        if win is not None:
            win.close()
        engine.close()
    return {"backend": engine.backend, "duration_s": duration_s, "audio_lost": watchdog.lost,
            **figures}
