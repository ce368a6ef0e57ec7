"""Play a score in real time on jack or portaudio (the demo's live path), with or without a
window.

The full live shell (MIDI ports, keyboard, console, recording) is ``perform``. Both run
through the one live driver (:mod:`synthlearn.runtime.live`): the audio thread does all the
sound work; the main thread runs the piece's main tick and the score's off-hook commands
(before the block their stamp falls in, as a render does), and either waits or runs the
window, which draws the piece's published snapshot and drops frames rather than delaying
anything.
"""

from __future__ import annotations

from pathlib import Path

from synthlearn.commands.score import read_score, schedule, split_off_audio
from synthlearn.errors import UserError
from synthlearn.files import for_score
from synthlearn.pieces import piece_class
from synthlearn.pieces.base import Context
from synthlearn.runtime.compiling import Compiling
from synthlearn.runtime.live import Driver, LiveWindow, Watchdog
from synthlearn.runtime.offhook import OffHook
from synthlearn.runtime.stage import Stage
from synthlearn.runtime.stopping import STALL_LIMIT_S


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
            # reads by the score; played live, no writes
            made = cls(seed=score.seed, faithful=score.faithful,
                       context=Context(files=for_score(score.path)))
            stage = Stage(engine, made)
            stage.play(events)
        compiles.done()
        if window:  # before the score's first block: its pictures start with its sound
            win = LiveWindow(stage, size=size, fps=fps, title=f"synthlearn: {name}",
                             video_source=video_source, say=say)
        watchdog = Watchdog(engine, say, limit_s=stall_limit_s)
        driver = Driver(stage, watchdog, say=say, duration_s=duration_s,
                        off_hook=OffHook(off_audio, source=str(path)))
        driver.start()
        figures = driver.run(win)
    finally:
        if win is not None:
            win.close()
        engine.close()
    return {"backend": engine.backend, "duration_s": duration_s, "audio_lost": watchdog.lost,
            **figures}
