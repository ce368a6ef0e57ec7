"""RuLer's budget: within it the rules are the same however the work is cut; past its memory or
its time, or cancelled, it stops in one line, having held no more than its memory budget; the
CLI says so and exits 2, in a child process whose peak memory stays under the budget."""

import subprocess
import sys
import threading
import tracemalloc

import pytest
from helpers import random_presets, random_presets_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from synthlearn import cli
from synthlearn.errors import UserError
from synthlearn.learners import ruler as ruler_module
from synthlearn.learners.presets import Presets
from synthlearn.learners.ruler import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIME_S,
    MB,
    BudgetReached,
    RuLer,
)

table = random_presets  # (rows, cols, seed, levels=10, labels=4)
csv_text = random_presets_csv


def learned_of(found):
    return [(r.label, r.sets, r.size, r.new) for r in found.rules], found.passes


def learned(presets, **params):
    return learned_of(RuLer(**params).fit(presets))


# A table that grows candidates, the hash table and the rules past their first sizes.
GROWING = table(90, 4, seed=3, levels=6, labels=2)


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_within_budget_the_rules_are_the_same_however_the_work_is_cut(monkeypatch, chunk):
    whole = learned(GROWING, distance=2, consistency=0.3)
    assert len(whole[0]) > 40 and whole[1] >= 3  # it grew past 16 candidates and 64 slots
    monkeypatch.setattr(ruler_module, "CHUNK_WORK", chunk)
    monkeypatch.setattr(ruler_module, "GROW_SLICE_BYTES", 64)  # grown rows a few at a time
    assert learned(GROWING, distance=2, consistency=0.3) == whole


@pytest.mark.parametrize("knob, value", [("POSTINGS_BITS_MAX_BYTES", 0), ("SCREEN_BLOCK", 1),
                                         ("SCREEN_BLOCK", 7), ("NEAR_SLOTS", 1),
                                         ("COVER_KEYS_MAX", 0)])
@pytest.mark.parametrize("presets, distance, consistency", [(GROWING, 2, 0.3),
                                                            (table(60, 3, seed=8), 3, 0.2)])
def test_the_ways_of_working_faster_change_no_rule(monkeypatch, knob, value, presets, distance,
                                                   consistency):
    """The new rules indexed by value as lists (not bitsets), pairs screened a few at a time,
    a row's unions not cached, no covers: each changes how fast, never what is learned."""
    whole = learned(presets, distance=distance, consistency=consistency)
    assert len(whole[0]) > 40
    monkeypatch.setattr(ruler_module, knob, value)
    assert learned(presets, distance=distance, consistency=consistency) == whole


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 3),
                          st.sampled_from("abc")), min_size=1, max_size=40),
       st.integers(0, 3), st.sampled_from([0.0, 0.3, 1.0]), st.integers(1, 60))
def test_any_chunk_of_work_gives_the_same_rules(rows, distance, consistency, chunk):
    presets = Presets.from_rows(("x", "y", "z"), rows)
    whole = learned(presets, distance=distance, consistency=consistency)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ruler_module, "CHUNK_WORK", chunk)
        assert learned(presets, distance=distance, consistency=consistency) == whole


def test_a_tight_budget_that_still_fits_grows_as_far_as_it_fits():
    whole = learned(GROWING, distance=2, consistency=0.3)
    sizes = []
    for mb in (1, 2, 4, 8):
        try:
            sizes.append((mb, learned(GROWING, distance=2, consistency=0.3, memory_mb=mb)))
        except BudgetReached as exc:
            assert exc.what == "memory" and exc.limit == mb
    assert sizes and all(found == whole for _, found in sizes)


RUNAWAY = table(200, 12, seed=1)  # the issue's 5 KB CSV: distance 12, consistency 0 never ends
WIDE = table(5000, 40, seed=5)  # the issue's 0.4 MB CSV (distance 64): 25 KB a rule in arrays


@pytest.mark.parametrize("presets, memory_mb", [(RUNAWAY, 4), (RUNAWAY, 16), (RUNAWAY, 64),
                                                (WIDE, 128)])
def test_the_memory_budget_stops_it_before_its_arrays_pass_it(presets, memory_mb):
    RuLer().reset().warm()  # numba's own allocations compiling are not the fit's
    tracemalloc.start()  # numpy's arrays are traced: every array the fit grows is counted
    try:
        with pytest.raises(BudgetReached) as err:
            RuLer(distance=64, consistency=0.0, memory_mb=memory_mb, time_s=1e9).fit(presets)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.what == "memory" and err.value.rules > 0
    # held: the arrays (WIDE: most of the budget), the rest kept for the rules' Python objects
    assert peak <= memory_mb * MB
    if presets is WIDE:
        assert peak > memory_mb * MB / 2
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"ruler: stopped at the memory budget "
                                                f"({memory_mb} MB, ")
    assert text.endswith("try a higher consistency or a lower distance")


def test_a_table_too_big_for_the_budget_is_refused_before_learning():
    wide = Presets.from_rows(("a", "b"), [(i, i * 7 % 3001, "xy"[i % 2]) for i in range(3000)])
    with pytest.raises(BudgetReached, match=r"its table alone needs 2 MB: 2 parameters, "
                                            r"3,000 values, 3,000 presets\) after .*: try "
                                            r"fewer presets or fewer distinct values"):
        RuLer(memory_mb=1).fit(wide)


class Ticks:
    """A clock that moves one second each time it is read."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_the_time_budget_is_read_between_chunks_on_its_clock():
    clock = Ticks()  # a tick each look: one label at a time, so the looks are counted
    with pytest.raises(BudgetReached) as err:
        RuLer(distance=12, consistency=0.0, time_s=5.0, threads=1).fit(RUNAWAY, clock=clock)
    assert err.value.what == "time" and err.value.seconds == 5.0 and clock.now == 6.0
    assert str(err.value).startswith("ruler: stopped at the time budget (5 s, ")
    # a fit done within its first chunk, its arrays never grown, is never stopped
    small = Presets.from_rows(("x", "y"), [(1, 2, "a"), (2, 2, "a"), (2, 3, "a")])
    assert learned(small, time_s=0.0) == learned(small)


class CancelAfter:
    """A cancel flag that is set once it has been looked at ``n`` times."""

    def __init__(self, n: int):
        self.n, self.looks = n, 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > self.n


@pytest.mark.parametrize("looks", [0, 3])
def test_a_cancel_is_seen_at_the_next_chunk(looks):
    flag = CancelAfter(looks)  # one label at a time, so the looks are counted
    with pytest.raises(BudgetReached) as err:
        RuLer(distance=12, consistency=0.0, memory_mb=100_000, time_s=1e9, threads=1).fit(
            RUNAWAY, cancel=flag)
    assert err.value.what == "cancelled" and flag.looks == looks + 1
    assert str(err.value).startswith("ruler: cancelled after ")
    event = threading.Event()
    event.set()
    with pytest.raises(BudgetReached, match="cancelled"):
        RuLer(distance=12, consistency=0.0).fit(RUNAWAY, cancel=event)


@pytest.mark.parametrize("params, says", [
    ({"memory_mb": 0}, "memory_mb 0 must be a whole number, at least 1"),
    ({"memory_mb": 1.5}, "memory_mb 1.5 must be a whole number"),
    ({"time_s": -1.0}, "time_s -1.0 must be 0 or more"),
])
def test_budgets_out_of_range_are_one_line(params, says):
    with pytest.raises(UserError, match=says):
        RuLer(**params).reset()


def test_the_cli_defaults_are_the_learners():
    assert (cli.RULER_MEMORY_MB, cli.RULER_TIME_S) == (DEFAULT_MEMORY_MB, DEFAULT_TIME_S)


@pytest.mark.parametrize("options, says", [
    (["--memory-mb", "8"], "stopped at the memory budget (8 MB, "),
    (["--time-s", "1e-9", "--memory-mb", "100000"], "stopped at the time budget (1e-09 s, "),
])
def test_the_cli_stops_in_one_line_and_exits_2(tmp_path, capsys, options, says):
    path = tmp_path / "runaway.csv"
    path.write_text(csv_text(200, 12, seed=1))
    code = cli.main(["ruler", str(path), "--distance", "12", "--consistency", "0", *options])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"synthlearn ruler: error: {says}")
    raise_to = "--memory-mb 16" if "memory" in says else "--time-s 2e-09"
    assert err.rstrip().endswith(f"try a higher consistency or a lower distance, or {raise_to}")


@pytest.mark.parametrize("value", ["0", "x", "1.5"])
def test_the_cli_refuses_a_budget_that_is_no_whole_mb(capsys, value):
    assert cli.main(["ruler", "x.csv", "--memory-mb", value]) == 2
    assert "--memory-mb" in capsys.readouterr().err


CHILD = """import resource, subprocess, sys
run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(run.stderr)
print(run.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mb(*argv) -> tuple[int, str, float]:
    """Run ``python -m synthlearn ARGV`` under a fresh parent: (exit code, stderr, the child's
    peak resident memory in MB)."""
    run = subprocess.run([sys.executable, "-c", CHILD, sys.executable, "-m", "synthlearn", *argv],
                         capture_output=True, text=True, timeout=600)
    code, kb = run.stdout.split()
    return int(code), run.stderr, int(kb) / 1024  # ru_maxrss: KB on Linux


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KB on Linux")
def test_the_issues_5_kb_table_stops_in_one_line_under_its_budget(tmp_path):
    """200 x 12 at distance 12, consistency 0 ended in a MemoryError traceback."""
    tiny = tmp_path / "tiny.csv"
    tiny.write_text(csv_text(20, 12, seed=1))
    code, _, baseline = peak_rss_mb("ruler", str(tiny), "--distance", "1")
    assert code == 0
    big = tmp_path / "runaway.csv"
    big.write_text(csv_text(200, 12, seed=1))
    budget_mb = 64
    code, err, peak = peak_rss_mb("ruler", str(big), "--distance", "12", "--consistency", "0",
                                  "--memory-mb", str(budget_mb))
    assert code == 2 and "Traceback" not in err
    assert err.count("\n") == 1 and \
        err.startswith(f"synthlearn ruler: error: stopped at the memory budget ({budget_mb} MB")
    assert peak < baseline + budget_mb, (peak, baseline)


@pytest.mark.parametrize("presets, distance, consistency", [
    (GROWING, 2, 0.3), (table(60, 3, seed=8), 3, 0.2), (table(120, 5, seed=2, labels=7), 3, 0.1)])
def test_labels_learned_side_by_side_give_the_same_rules_as_one_at_a_time(presets, distance,
                                                                         consistency):
    alone = learned(presets, distance=distance, consistency=consistency, threads=1)
    assert len(alone[0]) > 40
    for threads in (2, 3, 4):
        assert learned(presets, distance=distance, consistency=consistency,
                       threads=threads) == alone


def test_labels_side_by_side_all_stop_at_a_cancel_or_the_time_budget():
    event = threading.Event()
    seen = []

    def progress(p):  # told one label at a time; the fit's first look at two labels cancels
        seen.append(p.label)
        if len(set(seen)) >= 2:
            event.set()

    with pytest.raises(BudgetReached, match="cancelled"):
        RuLer(distance=12, consistency=0.0, memory_mb=100_000, time_s=1e9, threads=4).fit(
            RUNAWAY, cancel=event, progress=progress)
    assert len(set(seen)) >= 2  # two labels were learning at once
    with pytest.raises(BudgetReached, match="stopped at the time budget"):
        RuLer(distance=12, consistency=0.0, memory_mb=100_000, time_s=0.05, threads=4).fit(
            RUNAWAY)
    # nothing left running: a fit's threads end with it
    assert not [t for t in threading.enumerate() if t.name.startswith("synthlearn-ruler")]


def test_side_by_side_past_the_memory_budget_it_learns_one_at_a_time_as_one_thread_would():
    wide = table(5000, 40, seed=5)  # each label's first arrays take most of 128 MB
    for threads in (1, 2):
        tracemalloc.start()
        try:
            with pytest.raises(BudgetReached) as err:
                RuLer(distance=64, consistency=0.0, memory_mb=128, time_s=1e9,
                      threads=threads).fit(wide)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert err.value.what == "memory" and peak <= 128 * MB


def test_threads_out_of_range_are_one_line():
    with pytest.raises(UserError, match=r"threads 0 must be a whole number, 1\.\.4"):
        RuLer(threads=0).reset()


def test_covers_skip_pairs_inside_a_candidate_so_fewer_candidates_are_held(monkeypatch):
    """A row skips the rules inside the largest candidate holding its rule: the same rules, but
    fewer candidates on the way (what a fit holds: its progress's rules in flight)."""
    monkeypatch.setattr(ruler_module, "CHUNK_WORK", 64)  # looks often enough to see the most

    def most_held():
        seen = []
        found = RuLer(distance=2, consistency=0.3, threads=1).fit(
            GROWING, progress=lambda p: seen.append(p.rules))
        return max(seen), learned_of(found)

    covering = most_held()
    monkeypatch.setattr(ruler_module, "COVER_KEYS_MAX", 0)
    plain = most_held()
    assert covering[1] == plain[1] and covering[0] < plain[0]


@pytest.mark.parametrize("cores, live", [(1, 1), (2, 1), (3, 2), (16, 4), (None, 1)])
def test_a_live_fit_leaves_one_core_to_the_audio(monkeypatch, cores, live):
    monkeypatch.setattr(ruler_module.os, "cpu_count", lambda: cores)
    assert ruler_module.live_threads() == live
    labels = Presets.from_rows(("x",), [(k, f"l{k}") for k in range(8)])
    assert RuLer(threads=live).threads_for(labels) == live
    assert RuLer().threads_for(labels) == min(4, cores or 1)
