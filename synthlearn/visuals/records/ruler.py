"""The record piece ``ruler`` publishes whenever what it shows changes, declared once: the piece
(``synthlearn.pieces.ruler``) fills it in the main thread or the worker, its scene
(``synthlearn.visuals.scenes.ruler``) draws it, and the tests draw :func:`example` records.
Pure (numpy and the learners).

What is shown is one rule set (the piece picks it: the one the synth set last sounds from,
else the newest kept; with none kept yet, the newest live table being collected: its axes and
points, no rules), every value as its index among its parameter's sorted values:

- ``levels`` (P,): how many values each parameter has (its axis's steps); P = 0: none shown;
- ``boxes`` (B, 4): one row for each value a rule's set holds, in drawing order (rule by rule,
  parameter by parameter): the rule's number, its label's number, the parameter, the value;
- ``points`` (n, P): the training presets;
- ``lines`` (S, P) float: the first ``lines_n`` rows are the presets sounding now from that
  rule set or set by hand, in the order their synths were set (S: room for every synth),
  placed on the axes as ``kept`` is;
- ``kept`` (KEPT_SHOWN, P) float: the first ``kept_n`` rows are the newest presets of a live
  table with the rule set's parameters, as they are kept, placed on its axes (a value between
  two of the rule set's at its fraction of the way, one beyond them half a step out), their
  labels' numbers in ``kept_labels`` (-1: a label the rule set does not have);
- ``text`` (TEXT_LINES, TEXT_BYTES): words to read, UTF-8, zero-padded: first the parameters'
  names (``names_n[0]`` of them), then the labels' (``names_n[1]``), then lines saying what
  the show does (``names_n[2]``: the section and tempo, every synth sounding, a retrain in
  progress, the live tables).

Its sizes follow the rule set shown: the piece puts it up on a :class:`~synthlearn.snapshot.Board`
and makes a new one when they change.
"""

from __future__ import annotations

import numpy as np

from synthlearn.snapshot import Snapshot, published_with

FIELDS = ("levels", "boxes", "points", "lines", "lines_n", "kept", "kept_labels", "kept_n",
          "text", "names_n")
TEXT_LINES, TEXT_BYTES = 48, 96
KEPT_SHOWN = 256  # a live table's newest presets shown over a rule set


def layout(params: int = 0, boxes: int = 0, presets: int = 0, lines: int = 0) -> dict:
    """Every field and its (shape, dtype), for these sizes."""
    return {"levels": ((params,), np.int64), "boxes": ((boxes, 4), np.int64),
            "points": ((presets, params), np.int64), "lines": ((lines, params), np.float64),
            "lines_n": (1, np.int64), "kept": ((KEPT_SHOWN, params), np.float64),
            "kept_labels": ((KEPT_SHOWN,), np.int64), "kept_n": (1, np.int64),
            "text": ((TEXT_LINES, TEXT_BYTES), np.uint8), "names_n": (3, np.int64)}


def put_text(record: dict[str, np.ndarray], names, labels, status) -> None:
    """The words into ``record``: parameter names, label names, status lines (cut to fit)."""
    rows = [*names, *labels, *status][:TEXT_LINES]
    text = record["text"]
    text[:] = 0
    for row, words in zip(text, rows, strict=False):
        data = str(words).encode("utf-8")[:TEXT_BYTES]
        row[:len(data)] = np.frombuffer(data, np.uint8)
    n_names = min(len(names), TEXT_LINES)
    n_labels = min(len(labels), TEXT_LINES - n_names)
    record["names_n"][:] = (n_names, n_labels, len(rows) - n_names - n_labels)


def read_text(record: dict) -> tuple[list[str], list[str], list[str]]:
    """(parameter names, label names, status lines) from a record."""
    rows = [bytes(np.asarray(r, np.uint8)).rstrip(b"\0").decode("utf-8", "ignore")
            for r in record["text"]]
    a, b, c = (int(x) for x in record["names_n"])
    return rows[:a], rows[a:a + b], rows[a + b:a + b + c]


class Shown:
    """A rule set (a :class:`~synthlearn.learners.ruler.RuleSet`, or None: nothing shown) as
    the record holds it, worked out once (the main thread or the worker: it allocates); then
    :meth:`fill` copies it, with the presets sounding now, into a record of :meth:`layout`."""

    def __init__(self, rules=None, table=None):
        """``rules`` shown; or, with none, the presets of ``table`` (a live table being
        collected: its axes and points, no rules yet); or nothing."""
        presets = rules.presets if rules is not None else table
        self.of_rules = rules is not None  # else a table's points, or nothing
        self.names: tuple = presets.names if presets is not None else ()
        self.labels: tuple = presets.labels if presets is not None else ()
        if presets is None:
            self.levels = np.zeros(0, np.int64)
            self.boxes = np.zeros((0, 4), np.int64)
            self.points = np.zeros((0, 0), np.int64)
            self._index: list[dict] = []
            self._values: tuple = ()
            return
        values = self._values = presets.values
        # a value's index among its parameter's values (the first equal one, as list.index)
        self._index = [{} for _ in values]
        for index, vs in zip(self._index, values, strict=True):
            for k, v in enumerate(vs):
                index.setdefault(v, k)
        self.levels = np.array([len(vs) for vs in values], np.int64)
        labels = presets.labels
        boxes = [(r, labels.index(rule.label), p, self._index[p][v])
                 for r, rule in enumerate(rules.rules if rules is not None else ())
                 for p, vs in enumerate(rule.sets) for v in vs]
        self.boxes = np.array(boxes, np.int64).reshape(len(boxes), 4)
        self.points = np.array([self.indices(presets.row(i)) for i in range(len(presets))],
                               np.int64).reshape(len(presets), len(values))

    def indices(self, preset) -> list[int] | None:
        """A preset's value indices; None if it is not one of these rules' (another rule
        set's, kept under the same name before a retrain)."""
        if len(preset) != len(self._index):
            return None
        try:
            return [index[v] for index, v in zip(self._index, preset, strict=True)]
        except (KeyError, TypeError):
            return None

    def positions(self, preset) -> list[float] | None:
        """A preset's places on the axes (a value index, or the fraction of the way between
        the two values around it; beyond them, half a step out); None if it is not of these
        parameters or a value that is not a rule set's is not a number."""
        if len(preset) != len(self._index):
            return None
        out = []
        for index, levels, v in zip(self._index, self._values, preset, strict=True):
            k = index.get(v) if isinstance(v, (int, float, str)) else None
            if k is not None:
                out.append(float(k))
                continue
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not levels:
                return None
            numbers = [x for x in levels if isinstance(x, (int, float))]
            if not numbers:
                return None
            if v < numbers[0]:
                out.append(-0.5)
            elif v > numbers[-1]:
                out.append(len(numbers) - 0.5)
            else:
                hi = next(k for k, x in enumerate(numbers) if x > v)
                lo_v, hi_v = numbers[hi - 1], numbers[hi]
                out.append(hi - 1 + (v - lo_v) / (hi_v - lo_v))
        return out

    def layout(self, lines: int) -> dict:
        """The record's fields for this rule set, with room for ``lines`` sounding presets."""
        return layout(len(self.levels), len(self.boxes), len(self.points), lines)

    def fits(self, snapshot: Snapshot, lines: int) -> bool:
        """Whether ``snapshot`` has this rule set's layout (else a new one is made)."""
        return snapshot.shapes == {name: size if isinstance(size, tuple) else (size,)
                                   for name, (size, _) in self.layout(lines).items()}

    def fill(self, record: dict[str, np.ndarray], presets, status=(), kept=()) -> None:
        """This rule set and the presets sounding from it (value tuples, in order, placed by
        :meth:`positions`; one that cannot be is left out) into ``record``, with its words and
        ``status`` lines; ``kept``: a live table's rows (values, then label), the newest
        KEPT_SHOWN placed."""
        put_text(record, self.names, self.labels, status)
        np.copyto(record["levels"], self.levels)
        np.copyto(record["boxes"], self.boxes)
        np.copyto(record["points"], self.points)
        n = 0
        for preset in presets:
            row = self.positions(preset)
            if row is not None and n < len(record["lines"]):
                record["lines"][n] = row
                n += 1
        record["lines"][n:] = 0
        record["lines_n"][0] = n
        n = 0
        for row in list(kept)[-len(record["kept"]):] if len(record["kept"]) else ():
            at = self.positions(tuple(row[:-1]))
            if at is not None:
                record["kept"][n] = at
                label = row[-1]
                record["kept_labels"][n] = self.labels.index(label) if label in self.labels \
                    else -1
                n += 1
        record["kept"][n:] = 0
        record["kept_labels"][n:] = -1
        record["kept_n"][0] = n


def example(presets=((110, 3, 0.3),), kept=(), **values) -> dict:
    """A record as the scene reads it: the rules learned from a small table (freq, numharm,
    amp; tone and rhythm), ``presets`` sounding, ``kept`` a live table's rows over them, and
    ``values`` over that."""
    from synthlearn.learners.presets import Presets
    from synthlearn.learners.ruler import RuLer

    rows = [(110, 3, 0.3, "tone"), (165, 3, 0.3, "tone"), (220, 6, 0.3, "tone"),
            (2, 40, 0.4, "rhythm"), (3, 80, 0.4, "rhythm")]
    rules = RuLer(distance=2, consistency=0.3).fit(
        Presets.from_rows(("freq", "numharm", "amp"), rows))
    shown = Shown(rules)
    snapshot = Snapshot(**shown.layout(3))
    shown.fill(snapshot.back(), presets, ("section tone at 60 bpm", "blip: tone from rules"),
               kept)
    return published_with(snapshot, values, "ruler")
