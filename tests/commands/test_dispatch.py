"""Commands bound to their handlers: every spec has its code, every front-end line is run where
its spec says, assignments are kept and autosaved."""

import threading
from pathlib import Path

import pytest

from synthlearn import events
from synthlearn.audio.engine import Engine
from synthlearn.commands.console import SESSION, Console, Names
from synthlearn.commands.language import ENGINE, Param, Spec, Where, check_handlers
from synthlearn.commands.score import Cue, Score, schedule
from synthlearn.errors import UserError
from synthlearn.events import Kind
from synthlearn.pieces import PIECES, live_language, piece_class
from synthlearn.pieces.base import Piece
from synthlearn.runtime.sessions import Autosaver, Session
from synthlearn.runtime.worker import Worker


def test_every_registered_owner_has_a_handler_for_each_command_and_no_stray_handler():
    assert check_handlers(Engine, ENGINE, "engine") == []
    assert check_handlers(Console, SESSION, "session") == []
    for name in PIECES:
        cls = piece_class(name)
        assert check_handlers(cls, cls.commands) == [], name


def test_the_check_catches_each_kind_of_mistake():
    class Owner:
        def cmd_known(self):
            pass

        def cmd_stray(self):
            pass

    specs = (Spec("known"), Spec("missing"), Spec("known"), Spec("volume", owner="engine"))
    problems = check_handlers(Owner, specs)
    assert "command 'missing' has no handler cmd_missing()" in problems
    assert "cmd_stray() handles no declared command" in problems
    assert "command 'known' is declared twice" in problems
    assert "command 'volume' is owned by the engine, not the piece" in problems


def test_a_piece_with_a_command_and_no_code_cannot_be_defined():
    with pytest.raises(TypeError, match="command 'wobble' has no handler cmd_wobble"):
        class Typo(Piece):  # noqa: F841 - defining it is the test
            commands = (Spec("wobble", (Param("x"),)),)

            def cmd_wobbel(self, x):
                pass


def test_an_audio_command_cannot_be_assigned():
    with pytest.raises(ValueError, match="cannot be assigned"):
        Spec("grab", takes_target=True)


class Counting(Piece):
    """A piece whose worker command returns something worth keeping."""

    name = "counting"
    commands = (
        Spec("count", (Param("n", "int", 0, 100),), "the numbers below n", takes_target=True,
             where=Where.WORKER),
        Spec("louder", (Param("db", "float", -10, 10),), "a block-hook command"),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.worker_thread = None
        self.louder_db = 0.0

    def cmd_count(self, n: int) -> list[int]:
        self.worker_thread = threading.current_thread().name
        if n == 13:
            raise UserError("count: 13 is unlucky")
        return list(range(n))

    def cmd_louder(self, db: float) -> None:
        self.louder_db = db


def _console(piece, **kwargs):
    pushed, said = [], []
    console = Console(live_language(Counting), pushed.append, lambda: 480, stop=threading.Event(),
                      say=said.append, stream=None, piece=lambda: piece, **kwargs)
    return console, pushed, said


def test_each_line_runs_where_its_spec_says():
    piece = Counting()
    main_jobs = []
    worker = Worker(say=lambda line: None).start()
    console, pushed, said = _console(piece, main=main_jobs.append, worker=worker,
                                     on_piece=lambda name: f"would play {name}")
    try:
        # audio: into the queue, stamped, untouched here
        assert console.handle("louder 3") == "ok: louder 3 (a block-hook command)"
        (event,) = pushed
        assert (event.kind, event.time_smp, event.command.args) == (Kind.COMMAND, 480, (3.0,))
        assert piece.louder_db == 0.0
        piece.on_event(event)  # what the block hook does with it
        assert piece.louder_db == 3.0
        # now: answered in this thread
        assert console.handle("help count") == "count n (int 0..100)\n  the numbers below n"
        # main: handed to the main thread, run when it looks
        assert console.handle("piece additive") is None and len(main_jobs) == 1
        assert said[-1].startswith("count n")
        main_jobs.pop()()
        assert said[-1] == "would play additive"
        # worker: in the worker's thread, the result kept under its name
        console.handle("c = count 4")
        worker.close()
    finally:
        worker.close()
    assert piece.worker_thread == "synthlearn-worker"
    assert console.names["c"] == [0, 1, 2, 3] and console.names.version == 1
    assert said[-1] == "c = count: kept"
    assert console.history == ["louder 3", "help count", "piece additive", "c = count 4"]


def test_a_failing_worker_command_is_one_line_and_keeps_nothing():
    piece = Counting()
    console, _, said = _console(piece)  # no worker: it runs here
    assert console.handle("c = count 13") == "? count: 13 is unlucky"
    assert "c" not in console.names and console.history == []
    assert console.handle("louder = louder 1").startswith("? louder: its result cannot be")


def test_assigned_names_are_autosaved_and_come_back(tmp_path):
    names = Names()
    session = Session(tmp_path / "s")
    saver = Autosaver(session, Counting(), history=[], names=names).start()
    try:
        names.assign("c", [0, 1, 2])
        assert saver.save_now() >= 1
        with pytest.raises(UserError, match="cannot be kept as a name"):
            names.assign("bad", object())
    finally:
        saver.close()
    assert Session(tmp_path / "s").load_names() == {"c": [0, 1, 2]}
    (tmp_path / "s" / "names.json").write_text("[1, 2]")
    with pytest.raises(UserError, match="names.json: expected names"):
        Session(tmp_path / "s").load_names()


def test_a_score_refuses_commands_that_only_run_live(tmp_path):
    for line in ("piece ldd", "quit", "help"):
        score = Score(Path("s.toml"), piece="additive", cues=[Cue(1.0, line, 7)])
        with pytest.raises(UserError, match=f"s.toml:7: {line.split()[0]} is for the live "
                                            "console, not a score"):
            schedule(score, piece_class("additive").language(), 48000)
    score = Score(Path("s.toml"), piece="additive", cues=[Cue(1.0, "volume -3", 7)],
                  duration_s=2.0)
    (event,), _ = schedule(score, piece_class("additive").language(), 48000)
    assert event.time_smp == 48000 and event.command.spec.owner == "engine"


def test_the_engine_runs_its_own_commands_from_the_spec():
    engine = Engine("manual", block=64)
    try:
        lang = piece_class("additive").language()
        engine.play(piece_class("additive")(), [events.command(0, lang.parse("volume -6"))])
        engine.process()
        assert engine.volume_db == -6.0
    finally:
        engine.close()


def test_what_works_answers_in_one_line_and_osc_streams_stay_quiet_and_bounded():
    from synthlearn.commands import console as console_module
    from synthlearn.commands.console import MAX_HISTORY, Console
    from synthlearn.pieces import live_language
    from synthlearn.pieces.ldd import Ldd

    said, pushed = [], []
    console = Console(live_language(Ldd), pushed.append, lambda: 0, stop=threading.Event(),
                      say=said.append, stream=None, piece=lambda: Ldd(seed=1))
    assert console.handle("lr 0.02") == "ok: lr 0.02 for the cubic (was 0.01)"
    # a fresh target's loss is defined before the first step: said, never "not yet"
    assert console.handle("status").startswith("ldd: part 1 (cubic), loss 0.")
    said.clear()
    for i in range(5000):  # a controller's stream: quiet, one history line per run
        console.handle(f"gain {i % 20}", quiet=True)
    assert said == [] and console.history[-1] == "gain 0" and len(pushed) == 5001
    assert console.history.count("gain 0") == 1
    console.handle("part 9", quiet=True)  # what went wrong is still said
    assert said == ["? part: n '9' is not in 1..4"]
    console.history[:] = ["x"] * MAX_HISTORY
    console.handle("part 2")
    assert len(console.history) == MAX_HISTORY  # bounded
    assert console_module.done_line("new", console.language.parse("new")).startswith("ok: new")


def test_output_while_the_prompt_waits_goes_above_it(capsys, monkeypatch):
    said = []
    console = Console(live_language(Counting), lambda e: None, lambda: 0, stop=threading.Event(),
                      say=said.append, stream=None)
    console.emit("before the prompt")
    assert said == ["before the prompt"]
    console._reading = True  # the terminal thread waits in input("> ")
    import readline

    monkeypatch.setattr(readline, "get_line_buffer", lambda: "lr 0.0")
    console.emit("the cubic diverged")
    assert capsys.readouterr().out == "\r\x1b[2Kthe cubic diverged\n> lr 0.0"
    assert said == ["before the prompt"]
