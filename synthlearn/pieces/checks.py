"""Conformance checks every piece passes (as Gymnasium's ``check_env`` does for environments):
run over the registry by the tests, and by a new piece's author on the day it is registered.

``check_piece(cls)`` raises AssertionError naming what failed. On a manual server, for the
piece as it is and again with ``faithful=True``, it checks that once ``warm_kernels()`` and the
piece's ``warm()`` have run (as a performance switches to it), its blocks with notes and its
example lines compile nothing; that the piece builds, warms and sounds; that every command has
its handler and changes something observable (the piece's state, its learners', its voices' or
the engine's); that what it learns round-trips bit for bit through ``learned_state``/
``restore``; that it is published as the base class promises (whole, without allocating, by
the hook while the piece plays: each copy the autosave reads, between blocks or while the hook
runs in another thread, is the state at one block's end); and that its scene draws frames of
the size asked for from a published record, holding nothing of the piece.

``check_synth(name)`` does the same for a synth of the registry (``synthlearn.audio.synths``):
its parameters' ranges hold their defaults, it is silent until set, sounds once set, keeps its
values inside their ranges and fades out when stopped.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import threading
from pathlib import Path

import numpy as np

from synthlearn import events
from synthlearn.commands.language import Command, Where, check_handlers
from synthlearn.commands.score import run_off_audio
from synthlearn.files import Folders
from synthlearn.pieces.base import Context, Piece
from synthlearn.snapshot import Snapshot, SnapshotBusy, same_state

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
    if isinstance(value, Context):  # its folders are where, not what
        return _fingerprint(value.names, depth + 1, seen)
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


class _Before(Piece):
    """What plays before a checked piece is switched to: one silent voice."""

    name = "before"

    def build(self, engine):
        return engine.pool("before", 1, 1).output


def _playing(cls, faithful: bool = False, *, switched: bool = False,
             voices: str = "numba", watch=None):
    """A piece playing on a manual server: notes held, and its example lines run (in a folder
    holding its example files, which lives as long as the process needs it). ``switched``: as
    a performance switches to it, another piece playing first, its notes sent once it plays;
    ``watch``: a context entered once the piece is built and warmed, around its notes and
    example lines (and left entered: the caller runs its blocks, then leaves it)."""
    from synthlearn.audio.engine import Engine

    engine = Engine("manual", sr=SR, block=BLOCK, seed=3, voices=voices)
    folder = _examples(cls)
    piece = cls(seed=3, faithful=faithful, context=Context(files=Folders(
        reads=(Path(folder),), base=Path(folder), exports=Path(folder) / "out")))
    notes = [events.note_on(0, n, 100) for n in NOTES]
    if switched:
        engine.play(_Before())
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
    for faithful in (False, True):  # the piece as it is, and as the original was
        _check_variant(cls, f"{name} (faithful)" if faithful else name, faithful)


def _check_variant(cls, name: str, faithful: bool) -> None:
    _check_warm_then_switch(cls, name, faithful)  # first: the fewer kernels compiled, the better
    _check_sounds(cls, name, faithful)
    for spec in cls.language().specs.values():  # audio, main and worker commands alike
        _check_command_changes_something(cls, name, spec, faithful)
    _check_state_round_trip(cls, name, faithful)
    _check_publishes(cls, name, faithful)
    _check_scene(cls, name, faithful)


class _Compiled:
    """What numba compiles (its compile events, in any thread) or loads from its cache (new
    signatures of synthlearn's kernels and the piece module's) while entered."""

    def __init__(self, module: str):
        from numba.core import event

        self.module = module
        self.compiled: list[str] = []
        self._listener = type("Listener", (event.Listener,), {
            "on_start": lambda _, ev: self.compiled.append(_kernel_name(ev.data)),
            "on_end": lambda _, ev: None})()
        self._before: dict | None = None  # the kernels' signatures, while entered

    def _kernels(self) -> dict:
        from numba.core.dispatcher import Dispatcher

        found = {}
        for module_name, module in list(sys.modules.items()):
            if module_name.split(".")[0] == "synthlearn" or module_name == self.module:
                for value in list(vars(module).values()):
                    if isinstance(value, Dispatcher):
                        found[value] = set(value.signatures)
        return found

    def __enter__(self):
        from numba.core import event

        self._before = self._kernels()
        event.register("numba:compile", self._listener)
        return self

    def __exit__(self, *exc) -> None:
        from numba.core import event

        if self._before is None:
            return
        event.unregister("numba:compile", self._listener)
        for kernel, signatures in self._kernels().items():
            for sig in signatures - self._before.get(kernel, set()):
                line = f"{kernel.py_func.__qualname__}({', '.join(map(str, sig))})"
                if line not in self.compiled:
                    self.compiled.append(line)
        self._before = None


def _kernel_name(data) -> str:
    dispatcher = data.get("dispatcher") if isinstance(data, dict) else None
    func = getattr(dispatcher, "py_func", None)
    args = ", ".join(map(str, data.get("args", ()))) if isinstance(data, dict) else ""
    return f"{getattr(func, '__qualname__', dispatcher)}({args})" if dispatcher is not None \
        else repr(data)


def check_warm_then_switch(cls) -> None:
    """The first of :func:`check_piece`'s checks alone, both variants: run first in a fresh
    process, it sees every kernel the warm leaves out (one loaded from numba's cache too)."""
    for faithful in (False, True):
        _check_warm_then_switch(cls, f"{cls.name} (faithful)" if faithful else cls.name,
                                faithful)


def _check_warm_then_switch(cls, name: str, faithful: bool) -> None:
    """As a performance switches to the piece: ``warm_kernels()``, then made, built and warmed
    (``warm()``, its pools) while another piece plays; from then on, its blocks with notes and
    its example lines compile nothing and load nothing from numba's cache (the hook would
    stall). The check is as sharp as the process is fresh: a kernel already compiled here by
    something else is not seen missing from the warm."""
    cls.warm_kernels()
    watch = _Compiled(cls.__module__)
    try:
        engine, piece = _playing(cls, faithful, switched=True, watch=watch)
        try:
            _run(engine, WARM_BLOCKS)
        finally:
            watch.__exit__(None, None, None)
            engine.close()
    finally:
        watch.__exit__(None, None, None)  # _playing failed while watching
    assert not watch.compiled, (
        f"{name}: after warm_kernels() and warm(), playing compiled " + ", ".join(
            watch.compiled[:6]) + (" ..." if len(watch.compiled) > 6 else "")
        + " (the hook would stall: warm them)")


def _check_sounds(cls, name: str, faithful: bool) -> None:
    engine, piece = _playing(cls, faithful)
    try:
        out = _run(engine, WARM_BLOCKS)
        assert np.all(np.isfinite(out)), f"{name}: the output is not finite"
        assert np.abs(out).max() > 1e-3, f"{name}: held notes make no sound"
        assert engine.tables.release(prefix="nothing.") == []
    finally:
        leaked = engine.close()
    assert leaked == [], f"{name}: table views outlived the engine: {leaked}"


REFUSED = ["refused"]  # what _after holds when the command said no (a UserError)


def _after(cls, faithful: bool, cmd=None) -> list:
    """What a playing piece (and its engine) holds a few blocks after ``cmd`` (or none): an
    audio command through the block hook, any other run where the runtime runs it. In the
    faithful variant a command may refuse in words (the original had no such thing):
    REFUSED."""
    from synthlearn.errors import UserError

    engine, piece = _playing(cls, faithful)
    try:
        _run(engine, WARM_BLOCKS)
        if cmd is not None and cmd.spec.where is Where.AUDIO:
            engine.push(events.command(engine.now_smp(), cmd))
        elif cmd is not None:
            try:
                cmd.run(engine if cmd.spec.owner == "engine" else piece)
            except UserError:
                if not faithful:
                    raise
                return REFUSED
        _run(engine, 2)
        return _observed(engine, piece)
    finally:
        engine.close()


def _check_command_changes_something(cls, name: str, spec, faithful: bool) -> None:
    """Some value of the command's parameters leaves the piece (or the engine) holding other
    values than the same performance without it (everything is seeded: the two runs are the
    same but for the command)."""
    if spec.owner == "session" or spec.where is Where.NOW:
        return  # the console's own, and commands that only answer: nothing to change
    without = _after(cls, faithful)
    assert _after(cls, faithful) == without, \
        f"{name}: two identical runs differ (not deterministic)"
    folder = _examples(cls)
    values = [_candidates(p, folder) for p in spec.params]
    refused = 0
    tried = list(itertools.islice(itertools.product(*values), 12))
    for args in tried:
        after = _after(cls, faithful, Command(spec.name, tuple(args), spec.name, None, spec))
        if after is REFUSED:
            refused += 1
        elif after != without:
            return
    if refused == len(tried):
        return  # faithful: it says why not, for every value tried
    raise AssertionError(f"{name}: command {spec.name!r} changes nothing observable")


def _check_state_round_trip(cls, name: str, faithful: bool) -> None:
    engine, piece = _playing(cls, faithful)
    try:
        _run(engine, 3 * WARM_BLOCKS)  # held notes: the learners learn something
        state = piece.learned_state()
    finally:
        engine.close()
    fresh = cls(seed=99, faithful=faithful)
    fresh.restore(state)
    assert same_state(fresh.learned_state(), state), \
        f"{name}: a restored state does not come back bit for bit"


def _record(layout: dict, fill: int) -> dict[str, np.ndarray]:
    """A record of ``layout``'s fields, every byte ``fill``."""
    record = Snapshot(**layout).back()
    for value in record.values():
        value.view(np.uint8)[...] = fill
    return record


def _digest(state: dict[str, np.ndarray]) -> bytes:
    """A state's every field (name, dtype, shape, bytes), hashed: saves compared by it."""
    h = hashlib.sha256()
    for key in sorted(state):
        value = np.asarray(state[key])
        h.update(f"{key}:{value.dtype.str}:{value.shape}".encode())
        h.update(value.tobytes())
    return h.digest()


CAPTURE_ALLOCATES_AT_MOST = 4096  # bytes: views and numbers, never a copy of an array
SWITCH_INTERVAL_S = 1e-4  # while saves race the hook: threads take turns often


def _check_publishes(cls, name: str, faithful: bool) -> None:
    """The base class's publishing contract, which the autosave relies on: between blocks,
    and while the hook runs in another thread."""
    import tracemalloc

    piece = cls(seed=3, faithful=faithful)
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
    engine, piece = _playing(cls, faithful)  # its example lines and held notes: it learns
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
        assert published or same_state(before, now), \
            f"{name}: it learned while playing and the hook published none of it"
        _check_saves_while_the_hook_runs(engine, piece, layout, name)
    finally:
        engine.close()


def _check_saves_while_the_hook_runs(engine, piece, layout: dict, name: str) -> None:
    """The autosave's side: saves taken in this thread while another runs blocks (the hook),
    whenever they land, are each the state at one block's end (or what was published before
    the first)."""
    ends = {_digest(piece.learned_state())}
    saves: list[bytes] = []
    done = threading.Event()
    failed: list[BaseException] = []

    def blocks() -> None:
        try:
            for _ in range(3 * WARM_BLOCKS):
                engine.process()
                now = _record(layout, 0)
                piece.capture_learned(now)  # in the hook's thread, between its blocks
                ends.add(_digest(now))
        except BaseException as exc:  # noqa: BLE001 - said below, in the checking thread
            failed.append(exc)
        finally:
            done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    hook = threading.Thread(target=blocks, name="checks-hook")
    try:
        hook.start()
        while not done.is_set():
            try:
                saves.append(_digest(piece.learned_state()))
            except SnapshotBusy:  # the autosave tries again later
                continue
    finally:
        hook.join()
        sys.setswitchinterval(interval)
    if failed:
        raise failed[0]
    torn = [i for i, save in enumerate(saves) if save not in ends]
    assert not torn, (f"{name}: {len(torn)} of {len(saves)} saves taken while the hook ran "
                      "are the state at no block's end")


def _holds(holder, piece) -> bool:
    """Whether ``holder`` keeps ``piece`` (or one of its bound methods) in an attribute, or in
    a list, tuple or dict there."""
    values = list(vars(holder).values()) if hasattr(holder, "__dict__") else []
    for value in values:
        inside = list(value.values()) if isinstance(value, dict) else \
            list(value) if isinstance(value, (list, tuple)) else [value]
        if any(v is piece or getattr(v, "__self__", None) is piece for v in inside):
            return True
    return False


def _check_scene(cls, name: str, faithful: bool) -> None:
    engine, piece = _playing(cls, faithful)
    try:
        _run(engine, WARM_BLOCKS)
        view = piece.scene(engine, 160, 96, 30.0)
        try:
            parts = [view, getattr(view, "scene", None), getattr(view, "published", None)]
            held = [type(p).__name__ for p in parts if p is not None and _holds(p, piece)]
            assert not held, (f"{name}: its scene holds the piece ({', '.join(held)}): a scene "
                              "draws what the piece published")
            view.warm()
            frames = [view.draw().copy() for _ in range(3)]
        finally:
            view.close()
    finally:
        engine.close()
    for frame in frames:
        assert frame.shape == (96, 160, 3) and frame.dtype == np.uint8, \
            f"{name}: the scene drew a {frame.shape} {frame.dtype} frame, not (96, 160, 3) uint8"
    assert any(f.any() for f in frames), f"{name}: the scene draws nothing while notes sound"


# -- the synths' registry -------------------------------------------------------------------

SYNTH_BLOCKS = 120  # 160 ms at 48 kHz, block 64: past a glide (50 ms) and a release (300 ms)...


def check_synth(name: str) -> None:
    """A registered synth (``synthlearn.audio.synths``) on a manual server: its parameters'
    ranges hold their defaults; silent until its first preset; then it sounds (finite, stereo);
    a value out of range is brought inside it, a name it does not have refused; stopped, it
    fades to silence."""
    from synthlearn.audio import synths
    from synthlearn.audio.engine import Engine
    from synthlearn.errors import UserError

    spec = synths.synth(name)
    for p in spec.params:
        assert p.low <= p.default <= p.high, \
            f"synth {name}: {p.name}'s default {p.default} is outside {p.low}..{p.high}"

    class One(Piece):
        def build(self, engine):
            self.synth = synths.PresetSynth(name)
            return self.synth.output

        def release(self):
            self.synth.release()

    engine, piece = Engine("manual", sr=SR, block=BLOCK, seed=3), One()
    try:
        engine.play(piece)
        silent = _run(engine, 4)
        synth = piece.synth
        defaults = {p.name: p.default for p in spec.params}
        synth.set(defaults)
        out = _run(engine, SYNTH_BLOCKS)
        high = {p.name: p.high + abs(p.high) + 1.0 for p in spec.params}
        applied = synth.set(high)
        try:
            synth.set({"no such parameter": 1.0})
        except UserError:
            refused = True
        else:
            refused = False
        synth.set(defaults)
        synth.stop()
        stopped = _run(engine, 4 * SYNTH_BLOCKS)
    finally:
        engine.close()
    assert out.shape[1] == 2, f"synth {name}: not stereo"
    assert not np.abs(silent).any(), f"synth {name}: sounds before its first preset"
    assert np.all(np.isfinite(out)) and np.abs(out).max() > 1e-3, \
        f"synth {name}: its defaults make no (finite) sound"
    assert applied == {p.name: p.high for p in spec.params}, \
        f"synth {name}: values out of range are not brought inside it: {applied}"
    assert refused, f"synth {name}: a parameter it does not have is not refused"
    tail = stopped[-SYNTH_BLOCKS * BLOCK // 4:]
    assert np.abs(tail).max() < 1e-4, f"synth {name}: stopped, it does not fade out"
