"""check: leave-one-out and how far new presets stray, on tables small enough to work out by
hand."""

import json
import subprocess
import sys

import pytest

from synthlearn.learners.presets import Presets
from synthlearn.learners.ruler import RuLer
from synthlearn.learners.validation import check


def report(rows, distance, consistency):
    presets = Presets.from_rows(("x", "y"), rows)
    rules = RuLer(distance=distance, consistency=consistency).fit(presets)
    return {r.label: r for r in check(presets, rules)}


def test_two_apart_clusters_each_preset_left_out_is_found_again():
    # a: the square (1..2)^2, b: the square (5..6)^2. Leave (1,1) out: (1,2)+(2,1) make
    # {1,2}x{1,2}, 3 of its 4 presets trained (>= 0.5), no b inside: it holds (1,1): right.
    rows = [(1, 1, "a"), (1, 2, "a"), (2, 1, "a"), (2, 2, "a"),
            (5, 5, "b"), (5, 6, "b"), (6, 5, "b"), (6, 6, "b")]
    found = report(rows, 2, 0.5)
    assert (found["a"].right, found["a"].wrong, found["a"].unknown) == (4, 0, 0)
    assert (found["b"].right, found["b"].wrong, found["b"].unknown) == (4, 0, 0)
    assert found["a"].new == 0 and found["a"].stray_median is None  # the square, nothing new


def test_a_value_nobody_else_has_is_unknown_and_a_lone_label_is_taken_by_the_other():
    # The learner's own small table: a's rules {1,2,3}x{1,2} and {2,3}x{1,2,3}, b's (1,3).
    # Leave an 'a' out and its value (x=1 for (1,2)) is held by no rule of a: unknown, each
    # of the four. Leave b's only preset out and a's rules, no b to avoid, hold it: wrong.
    rows = [(1, 2, "a"), (2, 2, "a"), (2, 3, "a"), (1, 3, "b"), (3, 1, "a")]
    found = report(rows, 2, 0.5)
    assert (found["a"].right, found["a"].wrong, found["a"].unknown) == (0, 0, 4)
    assert (found["b"].right, found["b"].wrong, found["b"].unknown) == (0, 1, 0)
    # a's 4 new presets: (2,1), (1,1), (3,2), (3,3); each 0.5 of a range from a trained one
    assert found["a"].new == 4 and found["a"].held == 4
    assert found["a"].stray_median == pytest.approx(0.5) and found["a"].stray_max == \
        pytest.approx(0.5)


def test_the_cli_prints_a_line_a_label_and_json_carries_the_report(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("x,y,label\n1,1,a\n1,2,a\n2,1,a\n2,2,a\n5,5,b\n5,6,b\n6,5,b\n6,6,b\n")
    run = [sys.executable, "-m", "synthlearn", "ruler", str(table), "--distance", "2",
           "--check"]
    text = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    assert "a: 1 rules, 4 of 4 training presets held, 0 new; left out one at a time: 4 " \
           "right, 0 wrong, 0 unknown; no new presets" in text
    out = json.loads(subprocess.run([*run, "--json"], capture_output=True, text=True,
                                    check=True).stdout)
    assert [(r["label"], r["right"]) for r in out["check"]] == [("a", 4), ("b", 4)]


def test_fuzzy_presets_fall_between_the_training_values_of_one_rule_and_repeat_by_seed():
    import numpy as np

    rows = [(100.0, 1.0, "a"), (200.0, 1.0, "a"), (100.0, 3.0, "a"), (900.0, 9.0, "b")]
    presets = Presets.from_rows(("freq", "amp"), rows)
    rules = RuLer(distance=2, consistency=0.5).fit(presets)
    rules.fuzzy = True

    def draws(seed):
        state = np.array([seed], np.uint64)
        return [rules.fuzzy_preset("a", state) for _ in range(50)]

    got = draws(7)
    assert got == draws(7) and got != draws(8)
    boxes = [rule.sets for rule in rules.of("a")]
    for freq, amp in got:
        assert any(min(f) <= freq <= max(f) and min(a) <= amp <= max(a) for f, a in boxes)
    trained = {(f, a) for f, a, _ in rows}
    assert sum((freq, amp) not in trained for freq, amp in got) > 40  # between, not at them
    kept = type(rules).from_state(rules.to_state())
    assert kept.fuzzy is True
