"""A long RuLer fit shows how far it got: between chunks of work ``fit(progress=)`` is handed a
Progress (rules so far, label, pass and the share of its step, seconds on the fit's clock),
which changes nothing learned; ``synthlearn ruler`` draws it on stderr (a bar on a terminal, a
line every few seconds in a log, nothing for a short fit), never on stdout."""

import io
import json
import re

import pytest
from helpers import random_presets, random_presets_csv

from synthlearn import cli
from synthlearn.learners import ruler as ruler_module
from synthlearn.learners.presets import Presets
from synthlearn.learners.ruler import BudgetReached, Progress, RuLer

table_of = random_presets  # (rows, cols, seed, levels=10, labels=4)
csv_text = random_presets_csv


GROWING = table_of(90, 4, seed=3, levels=6, labels=2)  # grows past its first array sizes
RUNAWAY = table_of(200, 12, seed=1)  # distance 12, consistency 0: never ends


class Ticks:
    """A clock that moves ``step_s`` each time it is read."""

    def __init__(self, step_s: float):
        self.now_s, self.step_s = 0.0, step_s

    def __call__(self) -> float:
        self.now_s += self.step_s
        return self.now_s


def rules_of(found):
    return [(r.label, r.sets, r.size, r.new) for r in found.rules], found.passes


def test_progress_is_told_between_chunks_and_changes_nothing_learned(monkeypatch):
    whole = rules_of(RuLer(distance=2, consistency=0.3).fit(GROWING))
    monkeypatch.setattr(ruler_module, "CHUNK_WORK", 7)  # many chunks: many looks
    seen: list[Progress] = []
    found = RuLer(distance=2, consistency=0.3, time_s=1e9).fit(GROWING, progress=seen.append,
                                                               clock=Ticks(0.5))
    assert rules_of(found) == whole
    assert len(seen) > 10
    # every look at the fit's clock between chunks is told, in the fit's own seconds
    assert [p.seconds for p in seen] == [0.5 * k for k in range(1, len(seen) + 1)]
    assert {p.label for p in seen} == set(GROWING.labels) and {p.labels for p in seen} == {2}
    assert [p.labels_done for p in seen] == sorted(p.labels_done for p in seen)
    assert {p.step for p in seen} == {"pairs", "pruning"}
    assert all(0.0 <= p.share <= 1.0 and p.passes >= 1 and p.rules > 0 for p in seen)
    assert max(p.passes for p in seen) == found.passes
    # within a label, a step's share only grows (labels learned side by side interleave)
    for label in GROWING.labels:
        runs = [(p.passes, p.step, p.share) for p in seen if p.label == label]
        for a, b in zip(runs, runs[1:], strict=False):
            if a[:2] == b[:2]:
                assert b[2] >= a[2]


def test_a_fit_done_in_one_chunk_tells_nothing():
    seen = []
    RuLer(distance=2).fit(Presets.from_rows(("x", "y"), [(1, 2, "a"), (2, 2, "a"),
                                                         (1, 3, "b")]), progress=seen.append)
    assert seen == []


def test_a_stopped_fit_told_how_far_it_got_before_it_stopped():
    seen = []
    with pytest.raises(BudgetReached) as err:
        RuLer(distance=12, consistency=0.0, time_s=5.0).fit(RUNAWAY, progress=seen.append,
                                                           clock=Ticks(1.0))
    assert err.value.what == "time"
    assert [p.seconds for p in seen] == [1.0, 2.0, 3.0, 4.0]  # 5.0: stopped, not told
    assert seen[-1].rules <= err.value.rules


def test_progress_says_itself_in_a_line():
    p = Progress(41230, 3, "tone", 0, 2, 12.34, "pruning", 0.4)
    assert str(p) == "41,230 rules so far, label tone (0 of 2 done), pass 3 pruning 40 %, 12.3 s"


# -- the CLI ------------------------------------------------------------------------------------

def slow_fits(monkeypatch, step_s: float, chunk: int = 50):
    """``synthlearn ruler``'s fits on a clock moving ``step_s`` a read, in small chunks."""
    fit = RuLer.fit

    def on_ticks(self, presets, **kw):
        return fit(self, presets, clock=Ticks(step_s), **kw)

    monkeypatch.setattr(RuLer, "fit", on_ticks)
    monkeypatch.setattr(ruler_module, "CHUNK_WORK", chunk)


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(csv_text(60, 4, seed=3))
    return path


def test_the_cli_says_a_long_fit_on_stderr_every_few_seconds_in_a_log(monkeypatch, capsys,
                                                                       table):
    with monkeypatch.context() as patch:
        slow_fits(patch, 1e-6)  # the same chunks, a fit over within a second: nothing more
        assert cli.main(["ruler", str(table), "--json"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    slow_fits(monkeypatch, 0.25)
    assert cli.main(["ruler", str(table), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["rules"] == json.loads(quiet.out)["rules"]  # stdout: the JSON only
    lines = err.splitlines()
    assert len(lines) >= 2 and "\r" not in err
    seconds = [float(line.rsplit(", ", 1)[1].split(" s ")[0]) for line in lines]
    assert seconds[0] >= 1.0 and all(b - a >= 5.0 for a, b in zip(seconds, seconds[1:],
                                                                  strict=False))
    assert lines[0].startswith("ruler big.csv: ") and " rules so far, label " in lines[0]
    assert lines[0].endswith(" s (of 60 s at most)")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_cli_redraws_one_line_at_most_ten_times_a_second(monkeypatch,
                                                                           capsys, table):
    slow_fits(monkeypatch, 0.03)
    monkeypatch.setenv("COLUMNS", "200")  # the whole line: its seconds are read back below
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert cli.main(["ruler", str(table)]) == 0
    drawn = terminal.getvalue()
    frames = [f for f in drawn.split("\r\x1b[2K") if f]
    assert len(frames) >= 3 and "\n" not in drawn
    assert drawn.endswith("\r\x1b[2K")  # cleared at the end: the table follows
    assert frames[0].startswith("ruler big.csv: pass ") and " rules so far, label " in frames[0]
    assert all(re.search(r" \[[#-]{20}\] +\d+ %, ", f) for f in frames)
    seconds = [float(f.rsplit(", ", 1)[1].split(" of ")[0]) for f in frames]
    assert seconds[0] >= 1.0
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(seconds, seconds[1:], strict=False))
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("label ") and "rules from 60 presets" in out


def test_a_terminals_bar_is_cleared_when_the_fit_stops_at_its_budget(monkeypatch, capsys,
                                                                     tmp_path):
    path = tmp_path / "runaway.csv"
    path.write_text(csv_text(200, 12, seed=1))
    slow_fits(monkeypatch, 0.05, chunk=1 << 16)
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code = cli.main(["ruler", str(path), "--distance", "12", "--consistency", "0",
                     "--time-s", "3"])
    drawn = terminal.getvalue()
    assert code == 2 and "\r\x1b[2Kruler runaway.csv: pass " in drawn
    cleared, said = drawn.rsplit("\r\x1b[2K", 1)
    assert said.startswith("synthlearn ruler: error: stopped at the time budget (3 s, ")
    assert capsys.readouterr().out == ""
