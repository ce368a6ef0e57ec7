"""How well a rule set generalises, before it is heard: ``check NAME`` and ``synthlearn ruler
DATA --check``.

Per label: its rules, its training presets (and how many its rules hold), the new presets they
stand for, a leave-one-out score and how far the new presets stray from the training data.

- Leave-one-out: each training preset is left out in turn, the rules learned again without it
  (same distance and consistency), and the preset looked up in the new rules: *right* when only
  its own label's rules hold it, *wrong* when another label's do, *unknown* when none does (a
  value the others never had is unknown: no rule can hold it).
- Stray: each new preset's distance to the nearest training preset (any label), in parameter
  -range units (each column's span over the table is 1, a word column 0 or 1), Euclidean:
  median and max over the new presets (all of them up to ``SAMPLE``, else ``SAMPLE`` drawn with
  a seeded generator). "700 new variations with the risk of unpleasant surprises" as a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthlearn.learners import _kernels as K
from synthlearn.learners.presets import Presets
from synthlearn.learners.ruler import RuLer, RuleSet

SAMPLE = 400  # new presets measured per label


@dataclass
class LabelReport:
    label: str
    rules: int
    training: int
    held: int  # training presets of the label its rules hold
    new: int
    right: int
    wrong: int
    unknown: int
    stray_median: float | None
    stray_max: float | None

    def line(self) -> str:
        stray = ("no new presets" if self.stray_median is None else
                 f"new presets stray {self.stray_median:.2f} (median), {self.stray_max:.2f} "
                 "(max) from the nearest training preset")
        return (f"{self.label}: {self.rules} rules, {self.held} of {self.training} training "
                f"presets held, {self.new:,} new; left out one at a time: {self.right} right, "
                f"{self.wrong} wrong, {self.unknown} unknown; {stray}")


def holds(rules: RuleSet, label: str, preset: tuple) -> bool:
    return any(all(v in s for v, s in zip(preset, rule.sets, strict=True))
               for rule in rules.rules if rule.label == label)


def _spans(presets: Presets) -> list[tuple[float, float] | None]:
    """Each column's (low, span) when it is numbers, None for words."""
    spans = []
    for values in presets.values:
        if all(isinstance(v, (int, float)) for v in values):
            low, high = float(min(values)), float(max(values))
            spans.append((low, (high - low) or 1.0))
        else:
            spans.append(None)
    return spans


def _distance(a: tuple, b: tuple, spans) -> float:
    total = 0.0
    for x, y, span in zip(a, b, spans, strict=True):
        d = (abs(float(x) - float(y)) / span[1]) if span is not None else float(x != y)
        total += d * d
    return math.sqrt(total)


def check(presets: Presets, rules: RuleSet, *, seed: int = 0, cancel=None,
          time_s: float | None = None, threads: int | None = None) -> list[LabelReport]:
    """The report of ``rules`` (learned from ``presets``), a label a line. Learning again for
    each training preset left out takes as long as learning once, that many times: ``cancel``
    and ``time_s`` bound each fit as for learning (BudgetReached)."""
    learner_args = {"distance": rules.distance, "consistency": rules.consistency,
                    "threads": threads}  # None: one per core (see RuLer.threads_for)
    if time_s is not None:
        learner_args["time_s"] = time_s
    training = [(presets.row(i), presets.labels[presets.label_of[i]])
                for i in range(len(presets))]
    outcome = {label: [0, 0, 0] for label in presets.labels}  # right, wrong, unknown
    for i, (row, label) in enumerate(training):
        rest = [(*r, lab) for j, (r, lab) in enumerate(training) if j != i]
        if not rest:
            outcome[label][2] += 1
            continue
        again = RuLer(**learner_args).fit(Presets.from_rows(presets.names, rest), cancel=cancel)
        others = [lab for lab in again.labels if lab != label and holds(again, lab, row)]
        own = label in again.labels and holds(again, label, row)
        outcome[label][1 if others else 0 if own else 2] += 1
    spans = _spans(presets)
    rows = [row for row, _ in training]
    seen = set(rows)
    state = np.array([np.uint64(seed * 0x9E3779B97F4A7C15 % (1 << 64))], np.uint64)
    reports = []
    for label in presets.labels:
        total = rules.count(label)
        picks = range(total) if total <= SAMPLE else \
            sorted({K.splitmix_below(state, total) for _ in range(SAMPLE)})
        strays = [min(_distance(p, r, spans) for r in rows)
                  for p in (rules.preset(label, n) for n in picks) if p not in seen]
        mine = [row for row, lab in training if lab == label]
        held = sum(holds(rules, label, row) for row in mine)
        right, wrong, unknown = outcome[label]
        reports.append(LabelReport(
            label, len(rules.of(label)), len(mine), held, total - held, right, wrong, unknown,
            float(np.median(strays)) if strays else None, max(strays) if strays else None))
    return reports
