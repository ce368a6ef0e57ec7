"""The stage is the one owner of the playing piece (issue 20, item 2): the engine's hook plays
what it hands over, and the autosave, the window and the console are told when it changes;
nobody else assigns the piece."""

import ast
from pathlib import Path

import pytest

import synthlearn
from synthlearn.audio.engine import Engine
from synthlearn.pieces.additive import Additive
from synthlearn.pieces.ldd import Ldd
from synthlearn.runtime.sessions import Autosaver, Session
from synthlearn.runtime.stage import Stage

SR, BLOCK = 48000, 256


def test_a_switch_hands_the_piece_to_the_engine_then_tells_each_watcher_in_order():
    engine = Engine("manual", sr=SR, block=BLOCK)
    first, second = Additive(seed=1), Ldd(seed=2)  # two graphs: their pools' names differ
    stage = Stage(engine, first)
    told = []
    try:
        stage.play()
        assert stage.piece is first and engine.piece is first
        stage.watch(lambda old, new: told.append(("a", old, new, engine.piece)))
        stage.watch(lambda old, new: told.append(("b", old, new, stage.piece)))
        engine.process()
        assert stage.switch(second) is first
        assert stage.piece is second and engine.piece is second
        # in the order they watched; the engine plays the new piece before any is told
        assert told == [("a", first, second, second), ("b", first, second, second)]
    finally:
        engine.close()
    assert engine.piece is None  # the engine let it go; the stage still names it
    assert stage.piece is second


def test_a_switch_the_engine_refuses_changes_nothing_and_tells_no_one():
    class Broken(Additive):
        def build(self, engine):
            raise RuntimeError("no graph")

    engine = Engine("manual", sr=SR, block=BLOCK)
    piece = Additive()
    stage = Stage(engine, piece)
    told = []
    try:
        stage.play()
        stage.watch(lambda old, new: told.append(new))
        with pytest.raises(RuntimeError, match="no graph"):
            stage.switch(Broken())
        assert stage.piece is piece and engine.piece is piece and told == []
    finally:
        engine.close()


def test_an_unwatched_watcher_is_told_nothing_more():
    stage = Stage(piece=Additive())
    told = []
    watcher = stage.watch(lambda old, new: told.append(new))
    later = Additive()
    stage.switch(later)
    stage.unwatch(watcher)
    stage.switch(Additive())
    assert told == [later]


def test_the_autosave_reads_the_stages_piece_and_saves_the_one_that_left(tmp_path):
    first = Additive(seed=4)
    stage = Stage(piece=first)
    session = Session(tmp_path / "s")
    saver = Autosaver(session, stage, history=[]).start()
    assert saver.stage is stage
    stage.switch(Additive(seed=5))  # the stage switches; the saver is told, never assigned
    assert session.load()[0]["seed"] == 5
    assert saver.close() is None
    stage.switch(Additive(seed=6))  # closed: no longer watching
    assert session.load()[0]["seed"] == 5


ROOT = Path(synthlearn.__file__).parent
# Where the playing piece was kept in step by hand before the stage: the runtime, the engine,
# the benches, the console and the window. (A score's or a fault's ``piece`` is a name.)
OWNED = ("runtime", "audio", "bench", "commands/console.py", "visuals/window.py", "cli.py")


def _piece_assignments(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and t.attr == "piece":
                    lines.append(node.lineno)
    return lines


def test_nobody_but_the_stage_assigns_the_playing_piece():
    found = []
    for part in OWNED:
        paths = [ROOT / part] if part.endswith(".py") else sorted((ROOT / part).rglob("*.py"))
        for path in paths:
            if path == ROOT / "runtime" / "stage.py":
                continue
            found += [f"{path.relative_to(ROOT)}:{line}" for line in _piece_assignments(path)]
    assert found == []


def test_the_runtime_gives_a_piece_its_context_when_it_is_made_and_sets_nothing_on_it():
    """A piece's names and folders come with its context (a constructor argument): nothing
    assigns them from outside, and a piece cannot be given them afterwards."""
    from synthlearn.pieces.base import Context

    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
            found += [f"{path.relative_to(ROOT)}:{node.lineno}" for t in targets
                      if isinstance(t, ast.Attribute) and t.attr in ("names", "files", "context")
                      and not (isinstance(t.value, ast.Name) and t.value.id == "self")]
    assert found == []
    context = Context()
    piece = Additive(context=context)
    assert piece.context is context and piece.names is context.names
    with pytest.raises(AttributeError):
        piece.files = context.files


def _show(tmp_path, said):
    from synthlearn.runtime.perform import Performance, PerformOptions, WindowOptions

    session = Session(tmp_path / "s")
    engine = Engine("manual", sr=SR, block=BLOCK)
    options = PerformOptions(piece="additive", console_in=False,
                             window=WindowOptions(show=False))
    return Performance(Stage(engine, Additive()), session, [], options=options, say=said.append)


def test_a_switch_that_fails_leaves_the_piece_on_stage_and_says_it_plays_on(tmp_path):
    from synthlearn.errors import UserError

    said = []
    show = _show(tmp_path, said)
    try:
        show.open([])
        playing = show.stage.piece
        (tmp_path / "s" / "ldd.npz").write_bytes(b"not a state")  # a damaged state file
        with pytest.raises(UserError, match="piece ldd: .*; additive plays on"):
            show.switch_to("ldd")
        assert show.stage.piece is playing and show.engine.piece is playing
        assert show.switches == 0
        show.console.handle("piece ldd")  # from the console: a main-thread job
        show.run_main_jobs()
        assert said[-1].startswith("? piece ldd: ") and said[-1].endswith("additive plays on")
        assert show.stage.piece is playing
    finally:
        show.close()


def test_a_switch_tells_the_console_and_the_autosave_through_the_stage(tmp_path):
    said = []
    show = _show(tmp_path, said)
    try:
        show.open([])
        first = show.stage.piece
        reply = show.switch_to("ldd")
        assert reply.startswith("playing ldd") and show.switches == 1
        assert show.stage.piece.name == "ldd" and show.engine.piece is show.stage.piece
        # made in the run's context: the same names and folders, nothing set on it after
        assert show.stage.piece.context is first.context and show.names is first.names
        assert "part" in show.console.complete("pa")  # ldd's language now
        assert show.saver.stage is show.stage  # the autosave reads the stage's piece
        assert Session(tmp_path / "s").load()[0]["piece"] == "ldd"  # told, and saved it
        for _ in range(20):  # the fade; then the old graph is freed between blocks
            show.engine.process()
        assert show.switch_to("additive").startswith("playing additive")
        assert show.stage.piece is not first  # made anew from the session, as it was
    finally:
        show.close()
