"""A piece over events to a numpy array, in a few lines (for notebooks and tests).

    >>> import synthlearn
    >>> audio = synthlearn.render_array("ldd", notes=[(0.0, 60, 100, 1.5)], seconds=2.0)
    >>> audio.shape, audio.dtype
    ((96000, 2), dtype('float32'))

The same engine, piece and limiter as ``synthlearn render`` and a live performance, on pyo's
manual server: block by block, no files, no audio device. The same arguments give the same
array, bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from synthlearn import events as ev
from synthlearn.errors import UserError


def note_events(notes: Iterable[tuple], sr: int) -> list[ev.Event]:
    """``(start_s, note, velocity, duration_s)`` tuples as note-on/off events at ``sr``."""
    out = []
    for i, item in enumerate(notes):
        try:
            start_s, note, velocity, dur_s = item
            on, off = round(float(start_s) * sr), round((float(start_s) + float(dur_s)) * sr)
            note, velocity = int(note), int(velocity)
        except (TypeError, ValueError):
            raise UserError(f"notes[{i}] = {item!r}: expected (start_s, note, velocity, "
                            "duration_s)") from None
        if not (0 <= note <= 127 and 1 <= velocity <= 127 and 0 <= on <= off):
            raise UserError(f"notes[{i}] = {item!r}: expected a MIDI note 0..127, velocity "
                            "1..127, a start at or after 0 and a duration of 0 or more")
        out += [ev.note_on(on, note, velocity), ev.note_off(off, note)]
    return sorted(out, key=lambda e: (e.time_smp, e.kind != ev.Kind.NOTE_OFF))


def render_array(piece, events: Iterable[ev.Event] = (), *, notes: Iterable[tuple] = (),
                 lines: Iterable[tuple[float, str]] = (), seconds: float, sr: int = 48000,
                 block: int = 64, seed: int = 0, faithful: bool = False,
                 voices: str = "numba") -> np.ndarray:
    """``seconds`` of ``piece`` (a name, or a piece object made by the caller) as float32
    frames of shape (n, 2), n = ``seconds * sr`` rounded up to whole blocks.

    ``events``: synthlearn events stamped in samples; ``notes``: ``(start_s, note, velocity,
    duration_s)`` tuples; ``lines``: ``(time_s, "command line")`` pairs of the console
    language, checked before anything plays (commands that run in the audio thread)."""
    from synthlearn.audio.engine import Engine
    from synthlearn.commands.language import SCORE, Where
    from synthlearn.pieces import piece_class

    if not (seconds > 0 and np.isfinite(seconds)):
        raise UserError(f"seconds {seconds!r}: expected a positive number")
    made = piece_class(piece)(seed=seed, faithful=faithful) if isinstance(piece, str) else piece
    language = type(made).language()
    stamped = list(events) + note_events(notes, sr)
    for time_s, text in lines:
        cmd = language.parse(text, SCORE)
        if cmd.spec.where is not Where.AUDIO:
            raise UserError(f"{text!r}: runs outside the audio thread; render_array plays "
                            "only commands of the block hook (use synthlearn render)")
        stamped.append(ev.command(round(float(time_s) * sr), cmd))
    stamped.sort(key=lambda e: e.time_smp)
    n_blocks = -(-round(seconds * sr) // block)
    out = np.zeros((n_blocks * block, 2), np.float32)
    engine = Engine("manual", sr=sr, block=block, seed=seed, voices=voices)
    try:
        engine.play(made, stamped)
        for b in range(n_blocks):
            engine.process(out[b * block:(b + 1) * block])
    finally:
        engine.close()
    return out
