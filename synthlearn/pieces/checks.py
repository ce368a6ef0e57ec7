"""Conformance checks every piece passes (as Gymnasium's ``check_env`` does for environments):
run over the registry by the tests, and by a new piece's author on the day it is registered.

``check_piece(cls)`` raises AssertionError naming what failed. On a manual server it checks that
the piece builds, warms and sounds; that every command has its handler and changes something
observable (the piece's state, its learners', its voices' or the engine's); that what it learns
round-trips bit for bit through ``learned_state``/``restore``; that it is published as the base
class promises (whole, without allocating, by the hook while the piece plays: each copy the
autosave reads is the state at one block's end); and that its scene draws frames of the size
asked for.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from synthlearn import events
from synthlearn.commands.language import Command, Where, check_handlers
from synthlearn.files import Folders

SR, BLOCK = 48000, 64
NOTES = (48, 60, 64, 67, 72)  # low and high, so every part of a piece has something to do
WARM_BLOCKS = 40


def _candidates(param, folder: str = "") -> list:
    """Values to try for one parameter: its example, the ends and middle of its range, every
    choice, on and off."""
    if param.example is not None:
        return [param.example.format(dir=folder) if isinstance(param.example, str)
                else param.example]
    if param.kind == "choice":
        return list(param.choices)
    if param.kind == "onoff":
        return [True, False]
    if param.kind in ("float", "int") and param.low is not None and param.high is not None:
        mid = (param.low + param.high) / 2
        values = [param.high, param.low, mid]
        return [int(v) for v in values] if param.kind == "int" else values
    raise AssertionError(f"parameter {param.name!r} ({param.kind}) needs an example= to check")


def _fingerprint(value, depth: int = 0, seen=None) -> list:
    """Everything a piece holds that is plain data: numbers, strings, numpy arrays, and the
    same inside its learners, voice banks, snapshots and lists (pyo objects are left out)."""
    from synthlearn.audio.synths import PresetSynth
    from synthlearn.audio.voices import PartialPool
    from synthlearn.commands.names import Names
    from synthlearn.dsp.voicing import VoiceBank
    from synthlearn.learners.base import Learner
    from synthlearn.snapshot import Snapshot

    seen = set() if seen is None else seen
    if isinstance(value, (bool, int, float, str, type(None))):
        return [repr(value)]
    if isinstance(value, np.ndarray):
        return [value.dtype.str, value.shape, value.tobytes()]
    if isinstance(value, (list, tuple)) and depth < 4:
        return [_fingerprint(v, depth + 1, seen) for v in value]
    if isinstance(value, dict) and depth < 4:  # a measured duration is not state
        return [(repr(k), _fingerprint(v, depth + 1, seen)) for k, v in
                sorted(value.items(), key=lambda kv: repr(kv[0])) if k != "seconds"]
    if isinstance(value, Names):
        return _fingerprint(value.values, depth + 1, seen)
    if isinstance(value, PresetSynth):
        return [value.sounding, _fingerprint(value.values, depth + 1, seen)]
    if isinstance(value, (Learner, VoiceBank, PartialPool, Snapshot)) and depth < 4 and \
            id(value) not in seen:
        seen.add(id(value))
        return [(k, _fingerprint(v, depth + 1, seen)) for k, v in sorted(vars(value).items())
                if not k.startswith("_keys")]
    return []


def _observed(engine, piece) -> list:
    # The published copy of what is learned (``_learned...``) is no more state: its timing
    # follows when the state moved, which a command that changes nothing may still announce.
    return [_fingerprint(v) for k, v in sorted(vars(piece).items())
            if not k.startswith("_learned")] + [engine.volume_db]


def _playing(cls, voices: str = "numba"):
    """A piece playing on a manual server: notes held, and its example lines run (in a folder
    holding its example files, which lives as long as the process needs it)."""
    from synthlearn.audio.engine import Engine
    from synthlearn.runtime.render import run_off_audio

    engine = Engine("manual", sr=SR, block=BLOCK, seed=3, voices=voices)
    piece = cls(seed=3)
    folder = _examples(cls)
    piece.files = Folders(reads=(Path(folder),), base=Path(folder), exports=Path(folder) / "out")
    engine.play(piece, [events.note_on(0, n, 100) for n in NOTES])
    language = cls.language()
    for line in cls.example_lines:
        cmd = language.parse(line.format(dir=folder))
        if cmd.spec.where is Where.AUDIO:
            engine.push(events.command(engine.now_smp(), cmd))
        else:
            run_off_audio(cmd, piece, source=f"{cls.name}.example_lines")
    return engine, piece


_EXAMPLE_DIRS: dict[str, str] = {}


def _examples(cls) -> str:
    """A folder with ``cls.example_files`` written in it (made once per piece class)."""
    import tempfile

    key = f"{cls.__module__}.{cls.__qualname__}"
    if key not in _EXAMPLE_DIRS:
        folder = tempfile.mkdtemp(prefix=f"synthlearn-{cls.name}-")
        for name, text in cls.example_files.items():
            (Path(folder) / name).write_text(text)
        _EXAMPLE_DIRS[key] = folder
    return _EXAMPLE_DIRS[key]


def _run(engine, blocks: int) -> np.ndarray:
    out = np.zeros((blocks * BLOCK, 2), np.float32)
    for b in range(blocks):
        engine.process(out[b * BLOCK:(b + 1) * BLOCK])
    return out


def check_piece(cls) -> None:
    name = cls.name
    problems = check_handlers(cls, cls.commands)
    assert not problems, f"{name}: " + "; ".join(problems)
    _check_sounds(cls, name)
    for spec in cls.language().specs.values():  # audio, main and worker commands alike
        _check_command_changes_something(cls, name, spec)
    _check_state_round_trip(cls, name)
    _check_publishes(cls, name)
    _check_scene(cls, name)


def _check_sounds(cls, name: str) -> None:
    engine, piece = _playing(cls)
    try:
        out = _run(engine, WARM_BLOCKS)
        assert np.all(np.isfinite(out)), f"{name}: the output is not finite"
        assert np.abs(out).max() > 1e-3, f"{name}: held notes make no sound"
        assert engine.tables.release(prefix="nothing.") == []
    finally:
        leaked = engine.close()
    assert leaked == [], f"{name}: table views outlived the engine: {leaked}"


def _after(cls, cmd=None) -> list:
    """What a playing piece (and its engine) holds a few blocks after ``cmd`` (or none): an
    audio command through the block hook, any other run where the runtime runs it."""
    engine, piece = _playing(cls)
    try:
        _run(engine, WARM_BLOCKS)
        if cmd is not None and cmd.spec.where is Where.AUDIO:
            engine.push(events.command(engine.now_smp(), cmd))
        elif cmd is not None:
            cmd.run(engine if cmd.spec.owner == "engine" else piece)
        _run(engine, 2)
        return _observed(engine, piece)
    finally:
        engine.close()


def _check_command_changes_something(cls, name: str, spec) -> None:
    """Some value of the command's parameters leaves the piece (or the engine) holding other
    values than the same performance without it (everything is seeded: the two runs are the
    same but for the command)."""
    if spec.owner == "session" or spec.where is Where.NOW:
        return  # the console's own, and commands that only answer: nothing to change
    without = _after(cls)
    assert _after(cls) == without, f"{name}: two identical runs differ (not deterministic)"
    folder = _examples(cls)
    values = [_candidates(p, folder) for p in spec.params]
    for args in itertools.islice(itertools.product(*values), 12):
        if _after(cls, Command(spec.name, tuple(args), spec.name, None, spec)) != without:
            return
    raise AssertionError(f"{name}: command {spec.name!r} changes nothing observable")


def _check_state_round_trip(cls, name: str) -> None:
    from synthlearn.runtime.sessions import same_state

    engine, piece = _playing(cls)
    try:
        _run(engine, 3 * WARM_BLOCKS)  # held notes: the learners learn something
        state = piece.learned_state()
    finally:
        engine.close()
    fresh = cls(seed=99)
    fresh.restore(state)
    assert same_state(fresh.learned_state(), state), \
        f"{name}: a restored state does not come back bit for bit"


def _record(layout: dict, fill: int) -> dict[str, np.ndarray]:
    """A record of ``layout``'s fields, every byte ``fill``."""
    from synthlearn.snapshot import Snapshot

    record = Snapshot(**layout).back()
    for value in record.values():
        value.view(np.uint8)[...] = fill
    return record


CAPTURE_ALLOCATES_AT_MOST = 4096  # bytes: views and numbers, never a copy of an array


def _check_publishes(cls, name: str) -> None:
    """The base class's publishing contract, which the autosave relies on."""
    import tracemalloc

    from synthlearn.runtime.sessions import same_state

    piece = cls(seed=3)
    layout = piece.learned_layout()
    assert piece.learned_version() >= 1 and piece.learned_state().keys() == layout.keys(), \
        f"{name}: what it learned is not published when the piece is made"
    zeros, ones = _record(layout, 0x00), _record(layout, 0xFF)
    piece.capture_learned(zeros)
    tracemalloc.start()
    try:
        piece.capture_learned(ones)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    unwritten = [k for k in layout if zeros[k].tobytes() != ones[k].tobytes()]
    assert not unwritten, f"{name}: capture_learned leaves {unwritten} unwritten"
    assert peak <= CAPTURE_ALLOCATES_AT_MOST, \
        f"{name}: capture_learned allocates {peak} bytes (the hook calls it: copy, never make)"
    engine, piece = _playing(cls)  # its example lines and held notes: it learns something
    try:
        before, seen, published = piece.learned_state(), piece.learned_version(), 0
        for _ in range(3 * WARM_BLOCKS):
            engine.process()
            if piece.learned_version() == seen:
                continue
            seen, published = piece.learned_version(), published + 1
            now = _record(layout, 0)
            piece.capture_learned(now)  # between blocks: the state at this block's end
            assert same_state(piece.learned_state(), now), \
                f"{name}: the hook published something else than the state at a block's end"
        now = _record(layout, 0)
        piece.capture_learned(now)
    finally:
        engine.close()
    assert published or same_state(before, now), \
        f"{name}: it learned while playing and the hook published none of it"


def _check_scene(cls, name: str) -> None:
    engine, piece = _playing(cls)
    try:
        _run(engine, WARM_BLOCKS)
        scene = piece.scene(engine, 160, 96, 30.0)
        try:
            scene.warm()
            frames = [scene.draw().copy() for _ in range(3)]
        finally:
            scene.close()
    finally:
        engine.close()
    for frame in frames:
        assert frame.shape == (96, 160, 3) and frame.dtype == np.uint8, \
            f"{name}: the scene drew a {frame.shape} {frame.dtype} frame, not (96, 160, 3) uint8"
    assert any(f.any() for f in frames), f"{name}: the scene draws nothing while notes sound"
