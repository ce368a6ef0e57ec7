"""A live retrain you can see (issue 19, item 5): it says when it starts and when it ends (rules,
presets per label, seconds); ``status`` and ``rules`` say how far it got; ``cancel NAME`` stops
it, running or queued, in one line and the old rules stay; a newer retrain of the same name
replaces the one queued or running, and says so. The worker cancels one job by its key and
keeps close's semantics (quit: the running job cancelled, the queue dropped)."""

import random
import threading

import pytest
from helpers import ruler_console

from synthlearn.commands import osc
from synthlearn.commands.names import Names, Said
from synthlearn.learners.ruler import RuLer
from synthlearn.pieces import live_language
from synthlearn.pieces.ruler import Ruler
from synthlearn.runtime.worker import Worker

WAIT_S = 60.0  # only how long a test waits for a thread to get somewhere: never asserted on
RUNAWAY = "ruler runaway.csv distance:12 consistency:0"  # learns until it is stopped


# -- the worker: jobs with keys, cancelled one at a time ------------------------------------------

class Blocker:
    """A job that runs until its thread's own flag is set (as RuLer looks between chunks)."""

    def __init__(self):
        self.started, self.saw_cancel = threading.Event(), []

    def __call__(self):
        self.started.set()
        self.saw_cancel.append(threading.current_thread().cancel.wait(WAIT_S))


def test_a_queued_job_is_dropped_by_its_key_and_the_others_run():
    ran, said = [], []
    worker = Worker(say=said.append).start()
    started, release = threading.Event(), threading.Event()
    worker.submit(lambda: (started.set(), release.wait(WAIT_S)), key="a", what="a = one")
    b = worker.submit(lambda: ran.append("b"), key="b", what="b = two")
    worker.submit(lambda: ran.append("c"), key="c", what="c = three")
    assert started.wait(WAIT_S)
    assert [str(j) for j in worker.jobs()] == ["a = one: running, starting", "b = two: queued",
                                               "c = three: queued"]
    assert worker.cancel_jobs("b") == [b] and (b.state, b.why) == ("dropped", "cancelled")
    assert worker.cancel_jobs("b") == []  # gone already
    release.set()
    assert worker.close() is True
    assert ran == ["c"] and said == []
    assert not worker.cancel.is_set()  # one job's cancel is not a close


def test_a_running_job_is_cancelled_by_its_key_and_the_next_one_runs():
    ran = []
    worker = Worker(say=ran.append).start()
    first = Blocker()
    a = worker.submit(first, key="a", what="a = one")
    worker.submit(lambda: ran.append("next"), key="b")
    assert first.started.wait(WAIT_S)
    a.note("12 rules so far")
    assert str(a) == "a = one: running, 12 rules so far"
    assert worker.cancel_jobs("a", "replaced") == [a] and a.why == "replaced"
    assert str(a) == "a = one: replaced, stopping"
    assert worker.close() is True
    assert first.saw_cancel == [True] and ran == ["next"] and a.state == "done"


def test_a_job_whose_result_is_being_kept_is_not_cancelled_and_one_cancelled_keeps_nothing():
    worker = Worker(say=lambda line: None).start()
    keeping, release, kept, ran = threading.Event(), threading.Event(), [], []

    def finishing():
        kept.append(worker.keep(threading.current_thread().job))  # its result is being kept
        keeping.set()
        release.wait(WAIT_S)

    r = worker.submit(finishing, key="r")
    s = worker.submit(lambda: ran.append("s"), key="s")
    assert keeping.wait(WAIT_S) and kept == [True]
    assert worker.cancel_jobs("r") == [] and not r.cancel.is_set()  # too late: it is kept
    assert worker.cancel_jobs("s") == [s] and worker.keep(s) is False
    release.set()
    assert worker.close() is True and ran == []


def test_close_still_cancels_the_running_job_and_drops_the_queue():
    said = []
    worker = Worker(say=said.append).start()
    first = Blocker()
    a = worker.submit(first, key="a")
    b = worker.submit(lambda: said.append("ran"), key="b")
    assert first.started.wait(WAIT_S)
    worker.close(timeout_s=0.0)
    worker._thread.join(WAIT_S)
    assert first.saw_cancel == [True] and a.why == "closing" and worker.cancel.is_set()
    assert b.state == "dropped" and said == ["worker: closing, 1 queued command not run"]


# -- the console: a retrain's lines, status, rules, cancel ----------------------------------------

def runaway_csv() -> str:
    rnd = random.Random(1)
    lines = ["p" + ",p".join(str(i) for i in range(12)) + ",label"]
    lines += [",".join([str(rnd.randrange(10)) for _ in range(12)] + [f"l{rnd.randrange(4)}"])
              for _ in range(200)]
    return "\n".join(lines) + "\n"


class Gate:
    """Holds the first fit that tells its progress (after the job noted it) until released:
    a retrain caught in the middle, where the test looks at it."""

    def __init__(self, monkeypatch):
        self.reached, self.go = threading.Event(), threading.Event()
        fit = RuLer.fit

        def gated(learner, presets, **kw):
            noted = kw.get("progress")

            def progress(p):
                if noted is not None:
                    noted(p)
                if not self.reached.is_set():
                    self.reached.set()
                    assert self.go.wait(WAIT_S)

            return fit(learner, presets, **{**kw, "progress": progress})

        monkeypatch.setattr(RuLer, "fit", gated)


@pytest.fixture
def live(tmp_path, monkeypatch):
    """Piece ruler behind a console with a worker, reading tables in ``tmp_path``; a gate
    holding the first fit that runs long."""
    RuLer().reset().warm()
    said: list[str] = []
    piece, console, worker = ruler_console(tmp_path, said)
    (tmp_path / "runaway.csv").write_text(runaway_csv())
    gate = Gate(monkeypatch)
    yield piece, console, said, worker, gate
    gate.go.set()
    console.worker.close(timeout_s=0.0)  # a runaway left: cancelled


def learned(console, worker, said, line):
    """``line`` learned to the end (a worker of its own, closed after)."""
    console.handle(line)
    assert worker.close() is True
    console.worker = Worker(say=said.append).start()
    return console.worker


def test_a_retrain_says_when_it_starts_and_ends_with_its_counts(live):
    piece, console, said, worker, _ = live
    worker = learned(console, worker, said, "r = ruler small.csv distance:2")
    seconds = piece.model("r").seconds
    assert seconds > 0  # the fit's own time, said to two decimals
    assert said == ["r = ruler small.csv distance:2 consistency:0.5: learning (worker)",
                    f"r = ruler small.csv: 3 rules (a 3 presets, b 1), learned in "
                    f"{seconds:.2f} s"]
    assert piece.names["r"]["kind"] == "synthlearn.rules/1"  # the state kept, not the words


def test_status_and_rules_say_how_far_a_running_retrain_got(live):
    piece, console, said, worker, gate = live
    worker = learned(console, worker, said, "r = ruler small.csv distance:2")
    console.handle(f"big = {RUNAWAY}")
    console.handle("s = ruler small.csv distance:1")
    assert gate.reached.wait(WAIT_S)
    assert said[-1] == ("s = ruler small.csv distance:1 consistency:0.5: queued behind big = "
                        "ruler runaway.csv distance:12 consistency:0 (worker)")
    status = console.handle("status").splitlines()
    assert status[:2] == ["ruler: sounding nothing; no section",
                          "r: 3 rules (distance 2, consistency 0.5); presets a 3, b 1"]
    assert status[2].startswith("worker: big = ruler runaway.csv distance:12 consistency:0: "
                                "learning, ") and " rules so far, label l" in status[2]
    assert " (0 of 4 done), pass 1 pairs " in status[2] and status[2].endswith(" s")
    assert status[3:] == ["worker: s = ruler small.csv distance:1 consistency:0.5: queued"]
    rules = console.handle("rules").splitlines()
    assert rules[0] == status[1]
    assert rules[1] == status[2].removeprefix("worker: ") + "; the rules kept play on until " \
                                                            "it ends"
    assert console.handle("cancel big").startswith("cancel big: ruler runaway.csv distance:12 "
                                                   "consistency:0 stops (")
    gate.go.set()
    assert worker.close() is True
    assert console.handle("rules") == ("r: 3 rules (distance 2, consistency 0.5); presets a 3, "
                                       "b 1\ns: 3 rules (distance 1, consistency 0.5); presets "
                                       "a 3, b 1")


def test_cancel_stops_a_running_retrain_in_one_line_and_the_old_rules_stay(live):
    piece, console, said, worker, gate = live
    worker = learned(console, worker, said, "r = ruler small.csv distance:2")
    kept, before = piece.names["r"], len(said)
    console.handle(f"r = {RUNAWAY}")
    assert gate.reached.wait(WAIT_S)
    reply = console.handle("cancel r")
    assert reply.startswith("cancel r: ruler runaway.csv distance:12 consistency:0 stops (")
    assert " rules so far, label l" in reply and reply.endswith(" s); r stays as it was")
    gate.go.set()
    assert worker.close() is True
    assert said[before:] == [f"r = {RUNAWAY}: learning (worker)", reply]  # nothing more
    assert piece.names["r"] is kept
    assert console.handle("status").splitlines()[-1].startswith("r: 3 rules")  # no job left


def test_cancel_drops_a_queued_retrain(live):
    piece, console, said, worker, gate = live
    console.handle(f"big = {RUNAWAY}")
    console.handle("r = ruler small.csv")
    assert gate.reached.wait(WAIT_S)
    assert console.handle("cancel r") == ("cancel r: ruler small.csv distance:2 "
                                          "consistency:0.5 was queued and will not run; r "
                                          "stays unset")
    console.handle("cancel big")
    gate.go.set()
    assert worker.close() is True
    assert "r" not in piece.names and "big" not in piece.names
    assert not any(line.startswith("?") for line in said), said


def test_cancel_without_a_name_or_with_an_unknown_one_is_one_line(live):
    piece, console, said, worker, gate = live
    assert console.handle("cancel") == "? cancel: nothing is learning or queued"
    assert console.handle("cancel r") == "? cancel: nothing is learning or queued for 'r'"
    console.handle(f"big = {RUNAWAY}")
    console.handle("r = ruler small.csv")
    assert gate.reached.wait(WAIT_S)
    assert console.handle("cancel") == "? cancel: name what to cancel: big (learning), r (queued)"
    assert console.handle("cancel x") == ("? cancel: nothing is learning or queued for 'x'; "
                                          "big (learning), r (queued)")
    assert [j.key for j in worker.jobs()] == ["big", "r"]  # nothing was cancelled


def test_a_newer_retrain_replaces_the_queued_one_and_says_so(live):
    piece, console, said, worker, gate = live
    console.handle(f"big = {RUNAWAY}")
    console.handle("r = ruler small.csv distance:2")
    assert gate.reached.wait(WAIT_S)
    console.handle("r = ruler small.csv distance:1")
    assert said[-1] == ("r = ruler small.csv distance:1 consistency:0.5: queued behind big = "
                        "ruler runaway.csv distance:12 consistency:0 (worker); the queued "
                        "retrain of r (ruler small.csv distance:2 consistency:0.5) is replaced "
                        "by this one")
    assert [j.what for j in worker.jobs()] == [
        "big = ruler runaway.csv distance:12 consistency:0",
        "r = ruler small.csv distance:1 consistency:0.5"]
    console.handle("cancel big")
    gate.go.set()
    assert worker.close() is True
    assert piece.names["r"]["distance"] == 1
    assert [line for line in said if line.startswith("r = ruler small.csv:")] == [said[-1]]


def test_a_newer_retrain_cancels_the_running_one_and_says_so(live):
    piece, console, said, worker, gate = live
    console.handle(f"r = {RUNAWAY}")
    assert gate.reached.wait(WAIT_S)
    console.handle("r = ruler small.csv distance:2")
    assert said[-1].startswith("r = ruler small.csv distance:2 consistency:0.5: learning "
                               "(worker); the running retrain of r (ruler runaway.csv "
                               "distance:12 consistency:0; ")
    assert said[-1].endswith(" s) is cancelled for this one")
    gate.go.set()
    assert worker.close() is True
    assert piece.names["r"]["distance"] == 2 and len(piece.names["r"]["rules"]) == 3
    assert said[-1].startswith("r = ruler small.csv: 3 rules (a 3 presets, b 1), learned in ")
    assert len(said) == 3  # the start, the replacement, the end: the cancelled one is silent


def test_osc_may_cancel_a_retrain():
    language = live_language(Ruler)
    assert language.parse("cancel r", osc.grant()).args == ("r",)


def test_an_assignment_keeps_a_results_value_not_its_words():
    names = Names()
    names.assign("r", Said({"rules": []}, "ruler blip: 0 rules"))
    assert names["r"] == {"rules": []} and names.version == 1
