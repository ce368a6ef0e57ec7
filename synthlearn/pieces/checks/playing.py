"""What the checks share: a piece playing on a manual server with notes held and its example
lines run, and a fingerprint of everything it holds that is plain data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthlearn import events
from synthlearn.commands.language import Where
from synthlearn.commands.score import run_off_audio
from synthlearn.files import Folders
from synthlearn.pieces.base import Context, Piece
from synthlearn.snapshot import Snapshot

SR, BLOCK = 48000, 64


NOTES = (48, 60, 64, 67, 72)  # low and high, so every part of a piece has something to do


WARM_BLOCKS = 40


def candidates(param, folder: str = "") -> list:
    """Values to try for one parameter: its example, the ends and middle of its range, every
    choice, on and off."""
    if param.example is not None:
        return [param.example.format(dir=folder) if isinstance(param.example, str)
                else param.example]
    if param.kind == "choice":
        return list(param.options())
    if param.kind == "onoff":
        return [True, False]
    if param.kind in ("float", "int") and param.low is not None and param.high is not None:
        mid = (param.low + param.high) / 2
        values = [param.high, param.low, mid]
        return [int(v) for v in values] if param.kind == "int" else values
    raise AssertionError(f"parameter {param.name!r} ({param.kind}) needs an example= to check")


def fingerprint(value, depth: int = 0, seen=None) -> list:
    """Everything a piece holds that is plain data: numbers, strings, numpy arrays, and the
    same inside its learners, voice banks, snapshots and lists (pyo objects are left out)."""
    from synthlearn.audio.synths import PresetSynth
    from synthlearn.audio.voices import PartialPool
    from synthlearn.commands.names import Names
    from synthlearn.dsp.voicing import VoiceBank
    from synthlearn.learners.base import Learner

    seen = set() if seen is None else seen
    if isinstance(value, (bool, int, float, str, type(None))):
        return [repr(value)]
    if isinstance(value, np.ndarray):
        return [value.dtype.str, value.shape, value.tobytes()]
    if isinstance(value, (list, tuple)) and depth < 4:
        return [fingerprint(v, depth + 1, seen) for v in value]
    if isinstance(value, dict) and depth < 4:  # a measured duration is not state
        return [(repr(k), fingerprint(v, depth + 1, seen)) for k, v in
                sorted(value.items(), key=lambda kv: repr(kv[0])) if k != "seconds"]
    if isinstance(value, Names):
        return fingerprint(value.values, depth + 1, seen)
    if isinstance(value, Context):  # its folders are where, not what
        return fingerprint(value.names, depth + 1, seen)
    if isinstance(value, PresetSynth):
        return [value.sounding, fingerprint(value.values, depth + 1, seen)]
    if isinstance(value, (Learner, VoiceBank, PartialPool, Snapshot)) and depth < 4 and \
            id(value) not in seen:
        seen.add(id(value))
        return [(k, fingerprint(v, depth + 1, seen)) for k, v in sorted(vars(value).items())
                if not k.startswith("_keys")]
    return []


def observed(engine, piece) -> list:
    # The published copy of what is learned (``_learned...``) is no more state: its timing
    # follows when the state moved, which a command that changes nothing may still announce.
    return [fingerprint(v) for k, v in sorted(vars(piece).items())
            if not k.startswith("_learned")] + [engine.volume_db]


class Before(Piece):
    """What plays before a checked piece is switched to: one silent voice."""

    name = "before"

    def build(self, engine):
        return engine.pool("before", 1, 1).output


def playing(cls, faithful: bool = False, *, switched: bool = False,
             voices: str = "numba", watch=None):
    """A piece playing on a manual server: notes held, and its example lines run (in a folder
    holding its example files, which lives as long as the process needs it). ``switched``: as
    a performance switches to it, another piece playing first, its notes sent once it plays;
    ``watch``: a context entered once the piece is built and warmed, around its notes and
    example lines (and left entered: the caller runs its blocks, then leaves it)."""
    from synthlearn.audio.engine import Engine

    engine = Engine("manual", sr=SR, block=BLOCK, seed=3, voices=voices)
    folder = examples(cls)
    piece = cls(seed=3, faithful=faithful, context=Context(files=Folders(
        reads=(Path(folder),), base=Path(folder), exports=Path(folder) / "out")))
    notes = [events.note_on(0, n, 100) for n in NOTES]
    if switched:
        engine.play(Before())
        engine.switch(piece)  # builds and warms it, as a performance does
    else:
        engine.play(piece, notes)
    if watch is not None:
        watch.__enter__()
    if switched:
        for note in notes:
            engine.push(note._replace(time_smp=engine.now_smp()))
    language = cls.language()
    for line in cls.example_lines:
        cmd = language.parse(line.format(dir=folder))
        if cmd.spec.where is Where.AUDIO:
            engine.push(events.command(engine.now_smp(), cmd))
        else:
            run_off_audio(cmd, piece, source=f"{cls.name}.example_lines")
    return engine, piece


_EXAMPLE_DIRS: dict[str, str] = {}


def examples(cls) -> str:
    """A folder with ``cls.example_files`` written in it (made once per piece class)."""
    import tempfile

    key = f"{cls.__module__}.{cls.__qualname__}"
    if key not in _EXAMPLE_DIRS:
        folder = tempfile.mkdtemp(prefix=f"synthlearn-{cls.name}-")
        for name, text in cls.example_files.items():
            (Path(folder) / name).write_text(text)
        _EXAMPLE_DIRS[key] = folder
    return _EXAMPLE_DIRS[key]


def run_blocks(engine, blocks: int) -> np.ndarray:
    out = np.zeros((blocks * BLOCK, 2), np.float32)
    for b in range(blocks):
        engine.process(out[b * BLOCK:(b + 1) * BLOCK])
    return out


REFUSED = ["refused"]  # what after holds when the command said no (a UserError)


def state_after(cls, faithful: bool, cmd=None) -> list:
    """What a playing piece (and its engine) holds a few blocks after ``cmd`` (or none): an
    audio command through the block hook, any other run where the runtime runs it. In the
    faithful variant a command may refuse in words (the original had no such thing):
    REFUSED."""
    from synthlearn.errors import UserError

    engine, piece = playing(cls, faithful)
    try:
        run_blocks(engine, WARM_BLOCKS)
        if cmd is not None and cmd.spec.where is Where.AUDIO:
            engine.push(events.command(engine.now_smp(), cmd))
        elif cmd is not None:
            try:
                cmd.run(engine if cmd.spec.owner == "engine" else piece)
            except UserError:
                if not faithful:
                    raise
                return REFUSED
        run_blocks(engine, 2)
        return observed(engine, piece)
    finally:
        engine.close()


def holds(holder, piece) -> bool:
    """Whether ``holder`` keeps ``piece`` (or one of its bound methods) in an attribute, or in
    a list, tuple or dict there."""
    values = list(vars(holder).values()) if hasattr(holder, "__dict__") else []
    for value in values:
        inside = list(value.values()) if isinstance(value, dict) else \
            list(value) if isinstance(value, (list, tuple)) else [value]
        if any(v is piece or getattr(v, "__self__", None) is piece for v in inside):
            return True
    return False
