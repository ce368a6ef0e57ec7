"""The only live driver: the main thread of every real-time run (the demo's live play of a
score, ``perform``, and the real-time benches), and what it needs: the window, the watchdog.

The audio thread does all the sound work. The main thread, each turn (a window frame, or
every ``poll_s`` while it only waits), in this order:

1. the watchdog: a server silent too long ends the run (a dead JACK server that comes back
   is rejoined);
2. the caller's chores (perform: the commands that run in the main thread, in the order they
   came; a recording that failed, said once);
3. the playing piece's ``main_tick``, then the score's off-hook commands now due (one rule
   with a render: :func:`synthlearn.runtime.offhook.due`);
4. what to tell the performer: the piece's news, faults in the hook and here, the caller's
   reports (OSC, wrong lines);
5. whether to stop: the caller's ``stop()`` or ``duration_s`` of audio.

Then the audio stops and the run is measured (blocks, late blocks, the callback interval's
p99, the window's frames). What a bench varies is an argument, never a library constant.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

import numpy as np

from synthlearn.faults import Faults
from synthlearn.runtime.compiling import compiling
from synthlearn.runtime.stopping import STALL_LIMIT_S

POLL_S = 0.05  # the main thread's turn while it only waits (no window)
WATCHDOG_S = 1.0  # no audio callback for this long: say so, and look at the server


def display_available() -> bool:
    """Whether a window can be shown (a desktop session, or SDL told to draw off screen)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("SDL_VIDEODRIVER") or os.name == "nt")


class LiveWindow:
    """A live run's visuals: the video source, the scene of the piece on ``stage`` (every
    drawing kernel warmed before it draws; a first run's compiling said with ``say``) and the
    pygame window, opened and closed together. It is the view the window draws, and it
    watches the stage: a piece switch changes the scene under a window that stays open."""

    def __init__(self, stage, *, size: tuple[int, int], fps: float, title: str,
                 video_source: str | None = None, say=None):
        from synthlearn.visuals.window import Window

        self.stage, self.size, self.fps, self.video_source = stage, size, fps, video_source
        self.say = say
        self.view = self._scene(stage.piece)
        self.win = None
        try:
            self.win = Window(*size, fps=fps, title=title)
        except BaseException:
            self.close()
            raise
        stage.watch(self._switched)

    def _scene(self, piece):
        """``piece``'s scene over a freshly opened video source, every kernel warmed."""
        source = None
        if self.video_source is not None:
            from synthlearn.visuals.sources import open_source

            source = open_source(self.video_source, *self.size)
        try:
            view = piece.scene(self.stage.engine, *self.size, self.fps, source=source)
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

    def _switched(self, old, piece) -> None:
        """Draw ``piece`` from now on (main thread: the stage switched)."""
        view, old_view = self._scene(piece), self.view
        self.view = view
        old_view.close()
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
        self.stage.unwatch(self._switched)
        if self.win is not None:
            self.win.close()
            self.win = None
        self.view.close()


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
        from synthlearn.audio.liveness import ALIVE, BACK, GONE

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
                    overlay=None, poll_s: float = POLL_S) -> None:
    """The main thread of a live run: the window, or just waiting, until ``until()``."""
    if window is not None:
        window.run(until, on_key, overlay)
        return
    while not until():
        time.sleep(poll_s)  # the main thread only waits; the audio thread does the work


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


class Driver:
    """The main thread of a live run of the piece on ``stage`` (see the module docstring).

    ``watchdog``: a :class:`Watchdog` of the stage's engine; ``say``: the performer's lines
    (None: dropped); ``duration_s``: audio seconds to run (None: until ``stop()``);
    ``off_hook``: a score's :class:`~synthlearn.runtime.offhook.OffHook`; ``chores``: called
    each turn after the watchdog; ``reports``: each returns a line to say, or None;
    ``stop()``: True ends the run; ``on_lost()``: called once when the watchdog ends it,
    before anything closes; ``poll_s``: the turn while no window runs."""

    def __init__(self, stage, watchdog: Watchdog, *, say: Callable[[str], None] | None = None,
                 duration_s: float | None = None, off_hook=None,
                 chores: Sequence[Callable[[], None]] = (),
                 reports: Sequence[Callable[[], str | None]] = (),
                 stop: Callable[[], bool] | None = None,
                 on_lost: Callable[[], object] | None = None, poll_s: float = POLL_S):
        self.stage, self.engine, self.watchdog = stage, stage.engine, watchdog
        self.say, self.duration_s, self.off_hook = say, duration_s, off_hook
        self.chores, self.reports, self.stop, self.on_lost = chores, reports, stop, on_lost
        self.poll_s = poll_s
        self.faults = Faults("between blocks", "the music goes on")  # a piece's, here

    def start(self) -> None:
        """Real-time audio starts (the piece is on stage and the engine plays it)."""
        self.engine.start()

    def turn(self) -> bool:
        """One turn of the main thread; True once the run must end."""
        engine = self.engine
        if self.watchdog():
            if self.on_lost is not None:
                self.on_lost()
            return True
        for chore in self.chores:
            chore()
        piece, time_s = self.stage.piece, engine.time_s
        try:
            piece.main_tick(time_s)
        except Exception as exc:  # a piece's bug must not end the show
            self.faults.record(piece, exc, time_s)
        if self.off_hook is not None:
            self.off_hook.run_due(piece, engine.block_index, engine.block)
        try:
            news = piece.news()
        except Exception as exc:  # as above
            self.faults.record(piece, exc, time_s)
            news = []
        lines = [*news, engine.faults.report(), self.faults.report(),
                 *(report() for report in self.reports)]
        if self.say is not None:
            for line in lines:
                if line:
                    self.say(line)
        return ((self.stop is not None and self.stop())
                or (self.duration_s is not None and engine.time_s >= self.duration_s))

    def loop(self, window: LiveWindow | None = None, on_key=None, overlay=None) -> None:
        """Turn until the run ends: the window's frames, or waiting ``poll_s`` a turn."""
        run_main_thread(self.turn, window, on_key, overlay, poll_s=self.poll_s)

    def finish(self, window: LiveWindow | None = None) -> dict:
        """Stop the audio; the run's figures (see :func:`stop_and_measure`)."""
        return stop_and_measure(self.engine, window)

    def run(self, window: LiveWindow | None = None, on_key=None, overlay=None) -> dict:
        """:meth:`loop`, then :meth:`finish`."""
        self.loop(window, on_key, overlay)
        return self.finish(window)
