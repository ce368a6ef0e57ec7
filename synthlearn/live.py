"""Play a score in real time on jack or portaudio (the demo's live path).

The full live shell (MIDI ports, keyboard, console, window, recording) is ``perform``.
"""

from __future__ import annotations

import time
from pathlib import Path

from synthlearn.errors import UserError
from synthlearn.pieces import piece_class
from synthlearn.score import read_score, schedule


def play(path: str | Path, backend: str = "auto", *, block: int = 256, sr: int = 48000,
         piece: str | None = None, duration_s: float | None = None) -> dict:
    """Play ``path`` live until its end; return late-block counts and the backend used."""
    from synthlearn.audio.engine import Engine

    score = read_score(path)
    name = piece or score.piece
    if name is None:
        raise UserError("which piece plays this? give --piece NAME", source=str(path))
    cls = piece_class(name)
    events, score_s = schedule(score, cls.language(), sr)
    duration_s = score_s if duration_s is None else duration_s
    engine = Engine(backend, sr=sr, block=block, seed=score.seed)
    try:
        engine.boot()
        engine.play(cls(seed=score.seed, faithful=score.faithful), events)
        engine.start()
        # The live edge: the main thread only waits; the audio thread does the work.
        while engine.time_s < duration_s:
            time.sleep(0.05)
        engine.stop()
        intervals = engine.callback_intervals_s()
    finally:
        engine.close()
    late = int((intervals > 2 * engine.block_s).sum())
    return {"backend": engine.backend, "duration_s": duration_s, "blocks": len(intervals) + 1,
            "late_blocks": late}
