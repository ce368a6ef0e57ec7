"""Play a score in real time on jack or portaudio (the demo's live path), with or without a
window.

The full live shell (MIDI ports, keyboard, console, recording) is ``perform``. Here the audio
thread does all the sound work; the main thread either waits or runs the window, which draws
the piece's published snapshot and drops frames rather than delaying anything.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from synthlearn.errors import UserError
from synthlearn.pieces import piece_class
from synthlearn.score import read_score, schedule


def display_available() -> bool:
    """Whether a window can be shown (a desktop session, or SDL told to draw off screen)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("SDL_VIDEODRIVER") or os.name == "nt")


def play(path: str | Path, backend: str = "auto", *, block: int = 256, sr: int = 48000,
         piece: str | None = None, duration_s: float | None = None, window: bool = False,
         size: tuple[int, int] = (1280, 720), fps: float = 60.0,
         video_source: str | None = None) -> dict:
    """Play ``path`` live until its end; return late-block counts, the backend used and, with a
    window, frame figures."""
    from synthlearn.audio.engine import Engine

    score = read_score(path)
    name = piece or score.piece
    if name is None:
        raise UserError("which piece plays this? give --piece NAME", source=str(path))
    cls = piece_class(name)
    events, score_s = schedule(score, cls.language(), sr)
    duration_s = score_s if duration_s is None else duration_s
    source = None
    if window and video_source is not None:
        from synthlearn.visuals.sources import open_source

        source = open_source(video_source, *size)
    engine = Engine(backend, sr=sr, block=block, seed=score.seed)
    view = win = None
    frames = {}
    try:
        engine.boot()
        engine.play(cls(seed=score.seed, faithful=score.faithful), events)
        if window:
            from synthlearn.visuals.window import Window

            view = engine.piece.scene(engine, *size, fps, source=source)
            view.warm()  # every drawing kernel compiled before audio starts
            win = Window(*size, fps=fps, title=f"synthlearn: {name}")
        engine.start()
        if win is not None:
            win.run(view, until=lambda: engine.time_s >= duration_s)
        else:
            # The live edge: the main thread only waits; the audio thread does the work.
            while engine.time_s < duration_s:
                time.sleep(0.05)
        engine.stop()
        intervals = engine.callback_intervals_s()
        if win is not None:
            draw_ms = np.array(win.draw_s) * 1e3
            frames = {"frames_shown": win.frames_shown, "frames_dropped": win.frames_dropped,
                      "frame_p50_ms": round(float(np.median(draw_ms)), 2),
                      "frame_p99_ms": round(float(np.percentile(draw_ms, 99)), 2)}
    finally:
        if win is not None:
            win.close()
        if view is not None:
            view.close()
        elif source is not None:
            source.close()
        engine.close()
    late = int((intervals > 2 * engine.block_s).sum())
    return {"backend": engine.backend, "duration_s": duration_s, "blocks": len(intervals) + 1,
            "late_blocks": late,
            "interval_p99_ms": round(float(np.percentile(intervals, 99)) * 1e3, 2)
            if len(intervals) else None, **frames}
