"""RuLer: rule induction over labeled synth presets (Paz et al., Entropy 22(9):969, 2020), made
fast enough to retrain between two phrases.

A rule is one set of values per parameter plus a label; it stands for every combination of its
sets (their cartesian product). Each training preset starts as a rule of singleton sets; each
label is learned on its own. A pass compares every pair of the label's rules: when at most
``distance`` parameters have sets sharing no value, the per-parameter union is a candidate,
accepted as follows:

- distance 0: never;
- distance 1: only when every combination it stands for is a training preset of the label
  (``consistency`` is ignored);
- distance 2 or more: never when it holds a training preset of another label (always checked
  against the *original* presets, so the result does not depend on row order), else when the
  label's presets inside it are at least ``consistency`` of its size.

Accepted candidates join, rules inside another rule go, and passes repeat until one changes
nothing. Identical rows count once; rules come out in a canonical order. The passes run as
numba kernels over bitsets (see ``_ruler_kernels``), counting coverage instead of expanding
products; ``RuleSet`` counts, numbers and draws the presets the rules stand for, also without
expanding them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from synthlearn.errors import UserError
from synthlearn.learners import _kernels as K
from synthlearn.learners import _ruler_kernels as R
from synthlearn.learners.base import Learner, finite, whole
from synthlearn.learners.presets import Presets

MAX_DISTANCE = 1024


def _words(n: int) -> int:
    return max(1, -(-n // 64))


def _bits(indices, words: int) -> np.ndarray:
    out = np.zeros(words, np.uint64)
    for i in indices:
        out[i // 64] |= np.uint64(1) << np.uint64(i % 64)
    return out


def _indices(bits: np.ndarray) -> list[int]:
    return [w * 64 + b for w in range(bits.shape[0]) for b in range(64)
            if int(bits[w]) >> b & 1]


class RuLer(Learner):
    """The RuLer learner: ``fit(presets)`` returns the :class:`RuleSet` of ``distance`` and
    ``consistency``; the seed draws random presets from it."""

    kind = "ruler"

    def __init__(self, *, distance: int = 2, consistency: float = 0.5):
        super().__init__()
        self.distance = distance
        self.consistency = consistency

    def validate(self) -> None:
        whole(self, "distance", 0, MAX_DISTANCE)
        c = finite(self, "consistency")
        if not 0.0 <= c <= 1.0:
            raise UserError(f"ruler: consistency {c!r} must be within 0..1")

    def _exercise(self, twin) -> None:
        rows = [(1, 2, "a"), (2, 2, "a"), (2, 3, "a"), (1, 3, "b")]
        twin.distance = 2
        twin.fit(Presets.from_rows(("x", "y"), rows)).random_preset("a", twin._rng_state)

    def fit(self, presets: Presets) -> RuleSet:
        """The rules of every label (validating the parameters first)."""
        self.validate()
        t0 = time.perf_counter()
        P = len(presets.names)
        n = len(presets)
        Wv = _words(max(len(v) for v in presets.values))
        Wp = _words(n)
        pmask, combos = self._masks(presets)
        everyone = _bits(range(n), Wp)
        rules, labels, passes = [], [], 0
        for k, _label in enumerate(presets.labels):
            mine = np.flatnonzero(presets.label_of == k)
            label_mask = _bits(mine, Wp)
            start = np.zeros((mine.size, P, Wv), np.uint64)
            for r, i in enumerate(mine):
                for p in range(P):
                    c = presets.codes[i, p]
                    start[r, p, c // 64] |= np.uint64(1) << np.uint64(c % 64)
            found, label_passes = R.induce(start, pmask, label_mask, everyone & ~label_mask,
                                           int(self.distance), float(self.consistency))
            passes = max(passes, label_passes)
            rules.append(found)
            labels.extend([k] * found.shape[0])
        bits = np.concatenate(rules) if rules else np.zeros((0, P, Wv), np.uint64)
        return RuleSet(presets, bits, np.array(labels, np.int64), self.distance,
                       self.consistency, seconds=time.perf_counter() - t0, passes=passes,
                       pmask=pmask, combos=combos)

    @staticmethod
    def _masks(presets: Presets) -> tuple[np.ndarray, np.ndarray]:
        """(pmask (P, V, Wp): per parameter and value, the presets having it; one preset per
        distinct combination of values, two labels may share one: what "not a training
        preset" is counted against)."""
        P, n = len(presets.names), len(presets)
        Wp = _words(n)
        V = max(len(v) for v in presets.values)
        pmask = np.zeros((P, V, Wp), np.uint64)
        for i in range(n):
            for p in range(P):
                v = presets.codes[i, p]
                pmask[p, v, i // 64] |= np.uint64(1) << np.uint64(i % 64)
        first: dict[tuple, int] = {}
        for i in range(n):
            first.setdefault(tuple(presets.codes[i]), i)
        return pmask, _bits(sorted(first.values()), Wp)

    def random_index(self, total: int) -> int:
        """A uniform index below ``total`` from the learner's own generator."""
        return K.splitmix_below(self._rng_state, total)


@dataclass
class Rule:
    label: str
    sets: tuple[tuple, ...]  # each parameter's values, sorted
    size: int  # how many presets the rule stands for
    new: int  # how many of those are not training presets


class RuleSet:
    """The rules RuLer found, with the presets they stand for counted, numbered and drawn."""

    def __init__(self, presets: Presets, bits: np.ndarray, label_of: np.ndarray,
                 distance: int, consistency: float, *, seconds: float = 0.0, passes: int = 0,
                 pmask: np.ndarray | None = None, combos: np.ndarray | None = None):
        self.presets, self.distance, self.consistency = presets, distance, consistency
        self.seconds, self.passes = seconds, passes
        P = len(presets.names)
        trained = (R.trained_counts(bits, pmask, combos) if pmask is not None and len(bits)
                   else np.zeros(len(bits), np.int64))
        rules = []
        for r in range(bits.shape[0]):
            sets = tuple(tuple(presets.values[p][v] for v in _indices(bits[r, p]))
                         for p in range(P))
            size = math.prod(len(s) for s in sets)
            rules.append((presets.labels[label_of[r]], sets, size, size - int(trained[r]),
                          bits[r]))
        # Canonical order: label, then each parameter's sorted values. Sorted by numpy on a
        # padded matrix of value indices: list.sort on nested keys compares in C holding the
        # GIL (88 ms for 1,909 rules, late blocks while a worker retrains).
        order = _canonical_order(label_of, bits, presets) if rules else []
        rules = [rules[i] for i in order]
        self.rules = [Rule(label, sets, size, new) for label, sets, size, new, _ in rules]
        self._bits: dict[str, list[np.ndarray]] = {}
        for label, *_, b in rules:
            self._bits.setdefault(label, []).append(b)
        self._memo: dict[str, tuple] = {}

    # -- counting, numbering and drawing the presets a label's rules stand for -----------------
    @property
    def labels(self) -> tuple[str, ...]:
        return self.presets.labels

    def of(self, label: str) -> list[Rule]:
        self._check_label(label)
        return [r for r in self.rules if r.label == label]

    def _check_label(self, label: str) -> None:
        if label not in self.presets.labels:
            raise UserError(f"no label {label!r} in these rules; expected one of "
                            + ", ".join(self.presets.labels))

    def count(self, label: str) -> int:
        """Distinct presets the label's rules stand for (overlaps counted once)."""
        boxes, memo = self._boxes(label)
        return _union(tuple(range(len(boxes))), 0, boxes, memo)

    def _boxes(self, label: str):
        """The label's rules as bitsets, and the memo of its counts (kept: the next question
        about the label costs a few lookups)."""
        self._check_label(label)
        if label not in self._memo:
            self._memo[label] = (self._bits.get(label, []), {})
        return self._memo[label]

    def _values_of(self, boxes, ids, p, memo):
        """Values (indices, ascending) of parameter p in the rules ``ids``, each with the rules
        that hold it (worked out by the count, and kept there)."""
        _union(ids, p, boxes, memo)
        return memo[(ids, p, "values")]

    def preset(self, label: str, n: int) -> tuple:
        """Preset number ``n`` (from 0) of ``label``: the presets its rules stand for, each once,
        in mixed-radix order over the parameters' sorted values (the first parameter slowest)."""
        boxes, memo = self._boxes(label)
        ids = tuple(range(len(boxes)))
        total = _union(ids, 0, boxes, memo)
        if not 0 <= n < total:
            raise UserError(f"preset {n} of {label!r}: expected 0..{total - 1}")
        chosen = []
        for p in range(len(self.presets.names)):
            for v, holders in self._values_of(boxes, ids, p, memo):
                here = _union(holders, p + 1, boxes, memo)
                if n < here:
                    chosen.append(v)
                    ids = holders
                    break
                n -= here
        return tuple(self.presets.values[p][v] for p, v in enumerate(chosen))

    def index_of(self, label: str, preset: tuple) -> int:
        """The number of ``preset`` among ``label``'s presets (the inverse of :meth:`preset`)."""
        boxes, memo = self._boxes(label)
        ids = tuple(range(len(boxes)))
        n = 0
        for p, value in enumerate(preset):
            try:
                code = self.presets.values[p].index(value)
            except ValueError:
                raise UserError(f"{value!r} is no value of {self.presets.names[p]}") from None
            for v, holders in self._values_of(boxes, ids, p, memo):
                if v == code:
                    ids = holders
                    break
                n += _union(holders, p + 1, boxes, memo)
            else:
                raise UserError(f"{preset!r} is not a preset of {label!r}")
        return n

    def random_preset(self, label: str, rng_state: np.ndarray) -> tuple:
        """A preset of ``label`` drawn uniformly with a splitmix64 state."""
        return self.preset(label, K.splitmix_below(rng_state, self.count(label)))

    # -- keeping: a JSON value a performance keeps under a name, and back -------------------
    STATE_KIND = "synthlearn.rules/1"

    def to_state(self) -> dict:
        """Everything needed to use these rules again (the training presets included, for
        counting new presets), as JSON-able data."""
        names = self.presets.names
        return {"kind": self.STATE_KIND, "names": list(names),
                "training": [[*self.presets.row(i), self.presets.labels[self.presets.label_of[i]]]
                             for i in range(len(self.presets))],
                "distance": self.distance, "consistency": self.consistency,
                "passes": self.passes,
                "rules": [{"label": r.label, "params": {n: list(v) for n, v in
                                                        zip(names, r.sets, strict=True)}}
                          for r in self.rules]}

    @classmethod
    def from_state(cls, state: dict) -> RuleSet:
        """The rules :meth:`to_state` kept; a damaged value is a UserError."""
        try:
            if state.get("kind") != cls.STATE_KIND:
                raise ValueError(f"kind {state.get('kind')!r}")
            names = tuple(state["names"])
            presets = Presets.from_rows(names, [tuple(r) for r in state["training"]])
            P = len(names)
            Wv = _words(max(len(v) for v in presets.values))
            bits, labels = [], []
            for rule in state["rules"]:
                b = np.zeros((P, Wv), np.uint64)
                for p, name in enumerate(names):
                    for value in rule["params"][name]:
                        c = presets.values[p].index(value)
                        b[p, c // 64] |= np.uint64(1) << np.uint64(c % 64)
                bits.append(b)
                labels.append(presets.labels.index(rule["label"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UserError(f"not a rule set kept by synthlearn ({exc})") from None
        learner = RuLer(distance=state["distance"], consistency=state["consistency"])
        pmask, combos = learner._masks(presets)
        return cls(presets, np.array(bits, np.uint64).reshape(len(bits), P, Wv),
                   np.array(labels, np.int64), state["distance"], state["consistency"],
                   seconds=state.get("seconds", 0.0), passes=state.get("passes", 0),
                   pmask=pmask, combos=combos)

    # -- export ----------------------------------------------------------------------------
    def to_json(self) -> dict:
        """``{"rules": [{"label", "params": {name: [values]}, "presets", "new"}], ...}``."""
        names = self.presets.names
        return {"rules": [{"label": r.label, "params": {n: list(s) for n, s in
                                                        zip(names, r.sets, strict=True)},
                           "presets": r.size, "new": r.new} for r in self.rules],
                "distance": self.distance, "consistency": self.consistency,
                "seconds": round(self.seconds, 6)}


def _canonical_order(label_of: np.ndarray, bits: np.ndarray, presets: Presets) -> np.ndarray:
    """Rule indices sorted by label, then lexicographically by each parameter's value indices
    (a shorter set first where one is a prefix of the other, as tuples compare)."""
    P = len(presets.names)
    sets = [[_indices(bits[r, p]) for p in range(P)] for r in range(bits.shape[0])]
    widths = [max(len(s[p]) for s in sets) for p in range(P)]
    table = np.full((bits.shape[0], 1 + sum(widths)), -1, np.int64)
    table[:, 0] = label_of
    for r, per_param in enumerate(sets):
        col = 1
        for p, values in enumerate(per_param):
            table[r, col:col + len(values)] = values
            col += widths[p]
    return np.lexsort(table.T[::-1])  # the last key of lexsort is the first compared


def _as_int(words: np.ndarray) -> int:
    """A bitset of uint64 words as one Python int."""
    out = 0
    for w in range(words.shape[0] - 1, -1, -1):
        out = (out << 64) | int(words[w])
    return out


def _union(ids: tuple[int, ...], p: int, boxes: list, memo: dict) -> int:
    """How many distinct presets the rules ``ids`` (bitsets ``boxes``) stand for together,
    counting parameters from ``p`` on: the values of parameter p grouped by which rules hold
    them, then the rest counted per group, memoised on (group, p). Overlapping rules are
    counted once and no product is expanded."""
    if not ids:
        return 0
    P = boxes[ids[0]].shape[0]
    if p == P:
        return 1
    hit = memo.get((ids, p))
    if hit is not None:
        return hit
    groups: dict[tuple[int, ...], int] = {}
    values = []  # (value index, the rules holding it), ascending: for numbering presets
    words = boxes[ids[0]].shape[1]
    for w in range(words):
        union_word = 0
        for i in ids:
            union_word |= int(boxes[i][p][w])
        while union_word:
            low = union_word & -union_word
            b = low.bit_length() - 1
            holders = tuple(i for i in ids if int(boxes[i][p][w]) >> b & 1)
            groups[holders] = groups.get(holders, 0) + 1
            values.append((w * 64 + b, holders))
            union_word ^= low
    total = sum(count * _union(holders, p + 1, boxes, memo)
                for holders, count in groups.items())
    memo[(ids, p)] = total
    memo[(ids, p, "values")] = values
    return total
