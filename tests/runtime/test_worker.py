"""The worker never wedges a quit: close lets queued jobs finish only as long as it is told,
then cancels the running one (a RuLer fit stops at its next chunk) and starts no other; a live
retrain past its budget, or cancelled, is one line and the rules kept play on."""

import random
import threading

from helpers import ruler_console

from synthlearn.learners.presets import Presets
from synthlearn.learners.ruler import BudgetReached, RuLer
from synthlearn.runtime.worker import CANCEL_JOIN_S, Worker

WAIT_S = 60.0  # only how long a test waits for a thread to get somewhere: never asserted on


def runaway_rows(rows: int = 200, cols: int = 12, seed: int = 1) -> list[tuple]:
    """The issue's 5 KB table: at distance 12, consistency 0 it learns for ever."""
    rnd = random.Random(seed)
    return [tuple(rnd.randrange(10) for _ in range(cols)) + (f"l{rnd.randrange(4)}",)
            for _ in range(rows)]


def test_close_finishes_the_queued_jobs_when_they_fit_in_its_timeout():
    ran = []
    worker = Worker(say=ran.append).start()
    for k in range(3):
        worker.submit(lambda k=k: ran.append(k))
    assert worker.close() is True
    assert ran == [0, 1, 2] and worker.done == 3 and not worker.cancel.is_set()


def test_a_closed_or_never_started_worker_closes_at_once():
    assert Worker().close(timeout_s=0.0) is True
    worker = Worker().start()
    assert worker.close() and worker.close(timeout_s=0.0)


def test_close_cancels_a_long_fit_and_the_thread_ends():
    RuLer().reset().warm()  # compiling is not cancellable: done before the worker learns
    presets = Presets.from_rows(tuple(f"p{i}" for i in range(12)), runaway_rows())
    started, outcome, said = threading.Event(), [], []
    worker = Worker(say=said.append).start()

    def learn():
        started.set()
        learner = RuLer(distance=12, consistency=0.0, memory_mb=1_000_000, time_s=1e9)
        try:
            learner.fit(presets, cancel=threading.current_thread().cancel)
        except BudgetReached as exc:
            outcome.append(exc.what)
            raise

    never = []
    worker.submit(learn)
    worker.submit(lambda: never.append("ran"))  # queued behind it: never starts
    assert started.wait(WAIT_S)
    worker.close(timeout_s=0.0)  # joins at most CANCEL_JOIN_S after the cancel
    worker._thread.join(WAIT_S)  # (a loaded machine may need longer than the join allowed)
    assert not worker._thread.is_alive() and worker.cancel.is_set()
    assert outcome == ["cancelled"] and never == []
    failed = [line for line in said if line.startswith("? ")]
    assert len(failed) == 1 and failed[0].startswith("? worker: BudgetReached: ruler: cancelled")
    assert said[-1] == "worker: closing, 1 queued command not run"
    assert CANCEL_JOIN_S <= 0.5


def test_a_job_that_looks_at_the_flag_is_cancelled_and_the_next_never_starts():
    seen, after, said = [], [], []
    worker = Worker(say=said.append).start()
    gate = threading.Event()

    def wait_for_cancel():
        gate.set()
        seen.append(threading.current_thread().cancel.wait(WAIT_S))

    worker.submit(wait_for_cancel)
    worker.submit(lambda: after.append(1))
    worker.submit(lambda: after.append(2))
    assert gate.wait(WAIT_S)
    worker.close(timeout_s=0.0)
    worker._thread.join(WAIT_S)
    assert seen == [True] and after == [] and worker.done == 1
    assert said[-1] == "worker: closing, 2 queued commands not run"


def test_a_job_deaf_to_the_flag_is_left_and_said_so():
    release, said = threading.Event(), []
    worker = Worker(say=said.append).start()
    gate = threading.Event()

    def deaf():
        gate.set()
        release.wait(WAIT_S)  # never looks at the cancel flag

    worker.submit(deaf)
    assert gate.wait(WAIT_S)
    assert worker.close(timeout_s=0.0) is False  # released only after: it is still running
    assert said == ["worker: closing, a command still running was left unfinished"]
    release.set()
    worker._thread.join(WAIT_S)
    assert not worker._thread.is_alive()


def _live(tmp_path):
    """Piece ruler behind a console with a worker, reading tables in ``tmp_path``."""
    said: list[str] = []
    piece, console, worker = ruler_console(tmp_path, said)
    lines = ["p" + ",p".join(str(i) for i in range(12)) + ",label"]
    lines += [",".join(str(v) for v in row) for row in runaway_rows()]
    (tmp_path / "runaway.csv").write_text("\n".join(lines) + "\n")
    return piece, console, said, worker


def test_a_live_retrain_past_its_budget_is_one_line_and_the_old_rules_stay(tmp_path):
    piece, console, said, worker = _live(tmp_path)
    console.handle("r = ruler small.csv distance:2")
    assert worker.close() is True  # (learned: a newer retrain of r would replace it)
    worker = console.worker = Worker(say=said.append).start()
    console.handle("r = ruler runaway.csv distance:12 consistency:0 memory_mb:16")
    assert worker.close() is True
    kept = piece.names["r"]
    assert said[:2] == ["r = ruler small.csv distance:2 consistency:0.5: learning (worker)",
                        "r = ruler small.csv: 3 rules (a 3 presets, b 1), learned in "
                        f"{piece.model('r').seconds:.2f} s"]
    assert said[2] == ("r = ruler runaway.csv distance:12 consistency:0 memory_mb:16: "
                       "learning (worker)") and len(said) == 4
    assert said[3].startswith("? ruler: stopped at the memory budget (16 MB, ")
    assert said[3].endswith("; the rules kept before stay as they were: try a higher "
                            "consistency or a lower distance, or memory_mb:32")
    assert sorted(map(tuple, kept["training"])) == [(1, 2, "a"), (1, 3, "b"), (2, 2, "a"),
                                                    (2, 3, "a")]
    assert console.handle("help ruler").startswith("ruler data [distance (int 0..64)] "
                                                   "[consistency (float 0..1)] [memory_mb")


def test_quit_cancels_a_live_retrain_and_the_old_rules_stay(tmp_path, monkeypatch):
    RuLer().reset().warm()
    piece, console, said, worker = _live(tmp_path)
    console.handle("r = ruler small.csv distance:2")
    assert worker.close() is True  # (the first learned: a second worker for the long one)
    kept = piece.names["r"]
    worker = console.worker = Worker(say=said.append).start()
    started = threading.Event()
    fit = RuLer.fit

    def noting_fit(self, presets, **kw):
        started.set()
        return fit(self, presets, **kw)

    monkeypatch.setattr(RuLer, "fit", noting_fit)
    console.handle("r = ruler runaway.csv distance:12 consistency:0 memory_mb:4096 time_s:600")
    assert started.wait(WAIT_S)
    worker.close(timeout_s=0.0)  # as a quit does
    worker._thread.join(WAIT_S)
    assert not worker._thread.is_alive()
    assert said[-1].startswith("? ruler: cancelled after ") and \
        said[-1].endswith("; the rules kept before stay as they were")
    assert piece.names["r"] is kept
