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
from synthlearn.runtime.compiling import Compiling, compiling
from synthlearn.runtime.stopping import STALL_LIMIT_S


def display_available() -> bool:
    """Whether a window can be shown (a desktop session, or SDL told to draw off screen)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("SDL_VIDEODRIVER") or os.name == "nt")


class LiveWindow:
    """A live run's visuals: the video source, the piece's scene (every drawing kernel warmed
    before it draws; a first run's compiling said with ``say``) and the pygame window, opened
    and closed together. It is the view the window draws, so a piece switch changes the scene
    under a window that stays open."""

    def __init__(self, engine, *, size: tuple[int, int], fps: float, title: str,
                 video_source: str | None = None, say=None):
        from synthlearn.visuals.window import Window

        self.engine, self.size, self.fps, self.video_source = engine, size, fps, video_source
        self.say = say
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
            with compiling(f"the {piece.name} drawing kernels", self.say):
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


WATCHDOG_S = 1.0  # no audio callback for this long: say so, and look at the server


class _Silence:
    """One stretch without audio, as the watchdog follows it."""

    def __init__(self, at_s: float):
        self.at_s = at_s  # the audio clock when it began (it stands still meanwhile)
        self.longest_s = 0.0  # silent for this long at the last look
        self.said_s = 0  # the whole seconds said so far
        self.why: str | None = None  # why the last rejoin failed
        self.rejoined = False


class Watchdog:
    """Called by the main thread as it waits, each turn: True (and one line said) once the
    show must end. No audio callback for ``after_s``: the engine looks at the server without
    asking it anything (:meth:`~synthlearn.audio.engine.Engine.server_status`):

    - alive (its process still listens: stopped, starved) or unknown (portaudio): waited for;
    - gone (jackd killed): waited for, to come back under its name;
    - back (it shut pyo down, and a server listens under its name): rejoined with ``rejoin``
      (default ``engine.rejoin``: the piece's graph rebuilt, what it learned kept).

    While silent it says once a second for how long; when blocks come again, one line says
    so and the show goes on; after ``limit_s`` without audio it ends. A server that cannot be
    rejoined (PipeWire) ends the show as soon as it is gone, and a JACK server that changes
    its period ends it at once (the graph would play garbled). pyo's own shutdown on a dead
    JACK server is silent and would leave the process running forever.
    """

    def __init__(self, engine, say=None, after_s: float = WATCHDOG_S,
                 limit_s: float = STALL_LIMIT_S, rejoin=None):
        self.engine, self.say, self.after_s, self.limit_s = engine, say, after_s, limit_s
        self.rejoin = engine.rejoin if rejoin is None else rejoin
        self.lost: str | None = None
        self.silences = 0  # stretches without audio waited out (stalls and rejoins)
        self.rejoins = 0
        self._silence: _Silence | None = None

    def __call__(self) -> bool:
        if self.lost is not None:
            return True
        engine = self.engine
        block = engine.server_block()
        if block is not None and block != engine.block:
            return self._end(f"the {engine.backend} server changed its period from "
                             f"{engine.block} to {block} frames mid-show (another program "
                             "asked); ending, as the sound would be garbled (--resume continues)")
        silent_s = engine.silent_for_s()
        quiet = self._silence
        if silent_s < self.after_s:
            if quiet is not None:
                self._resumed(quiet)
            return False
        if quiet is None:
            quiet = self._silence = _Silence(engine.time_s)
        quiet.longest_s = max(quiet.longest_s, silent_s)
        second = int(silent_s)
        if second <= quiet.said_s:
            return False  # at most once a second
        quiet.said_s = second
        from synthlearn.audio.engine import ALIVE, BACK, GONE

        status = engine.server_status()
        if status == BACK and engine.can_rejoin:
            try:
                self.rejoin()
            except Exception as exc:  # noqa: BLE001 - said, and tried again next second
                quiet.why = str(exc) or type(exc).__name__
            else:
                quiet.rejoined = True
                self.rejoins += 1
                return False
        label, limit = engine.server_label, f"{self.limit_s:g} s"
        if status in (BACK, GONE) and not engine.can_rejoin:
            what = "is gone" if status == GONE else "shut our client down"
            return self._end(f"no audio for {second} s: {label} {what}, and only a JACK server "
                             "(jackd) is rejoined; ending (--resume continues)")
        if second >= self.limit_s:
            why = {ALIVE: "still runs but stayed stalled all that time",
                   GONE: "did not come back",
                   BACK: f"came back but could not be rejoined ({quiet.why})",
                   }.get(status, "stopped or the audio device was lost")
            return self._end(f"no audio for {second} s: {label} {why}; ending "
                             "(--resume continues)")
        doing = {ALIVE: "still runs but calls us no more (stopped or starved?)",
                 GONE: "is gone (if it comes back under its name, it is rejoined)",
                 BACK: f"is back, but rejoining it failed ({quiet.why}); trying again",
                 }.get(status, "calls us no more")
        self._say(f"no audio for {second} s: {label} {doing}; waiting up to {limit} "
                  f"(at {quiet.at_s:.1f} s of the show)")
        return False

    def _resumed(self, quiet: _Silence) -> None:
        self._silence = None
        self.silences += 1
        how = (f"rejoined {self.engine.server_label}, which had died; the piece plays on with "
               "what it learned" if quiet.rejoined else
               f"{self.engine.server_label} runs us again; the show goes on")
        self._say(f"audio back after {quiet.longest_s:.1f} s without: {how} (at "
                  f"{self.engine.time_s:.1f} s of the show)")

    def _end(self, line: str) -> bool:
        self.lost = line
        self._say(line)
        return True

    def _say(self, line: str) -> None:
        if self.say is not None:
            self.say(line)


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
         video_source: str | None = None, voices: str = "numba",
         stall_limit_s: float = STALL_LIMIT_S, say=None) -> dict:
    """Play ``path`` live until its end; return late-block counts, the backend used and, with a
    window, frame figures. A server silent for ``stall_limit_s`` ends it (see Watchdog)."""
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
        compiles = Compiling(say)  # a first run compiles the piece's kernels: said as it does
        with compiles.watch(f"the {name} kernels"):
            piece = cls(seed=score.seed, faithful=score.faithful)
            piece.files = for_score(score.path)  # reads by the score; played live, no writes
            engine.play(piece, events)
        compiles.done()
        if window:  # before the score's first block: its pictures start with its sound
            win = LiveWindow(engine, size=size, fps=fps, title=f"synthlearn: {name}",
                             video_source=video_source, say=say)
        watchdog = Watchdog(engine, say, limit_s=stall_limit_s)
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
