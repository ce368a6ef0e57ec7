"""Labeled synth presets from a CSV file: the training data of the RuLer learner. Pure (stdlib
csv + numpy).

A header names the parameters and, last, the label; each row is one preset: its parameters'
values and its label. Values are kept exactly as they are compared: a number as a number
(``0.5`` and ``.50`` are the same value), anything else as a stripped string; labels are
stripped strings. Identical rows (values and label) count once. A bad file is one UserError
naming the file, the line and the value, and what was expected.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthlearn.errors import UserError

MAX_BYTES = 10 * 1024 * 1024  # a preset table is small; a bigger file is not one
MAX_ROWS = 100_000
MAX_LABELS = 1000


def parse_value(text: str):
    """A cell as a value: a finite number (int when whole and written so), else the string."""
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    try:
        return int(text)
    except ValueError:
        return number


def value_key(value) -> tuple:
    """A total order over mixed values: numbers (by value) before strings (alphabetical)."""
    return (0, float(value), "") if not isinstance(value, str) else (1, 0.0, value)


@dataclass
class Presets:
    """Deduplicated labeled presets, coded for the learner.

    ``names``: parameter names. ``values[p]``: the distinct values of parameter p, sorted by
    :func:`value_key`. ``codes``: (n, P) indices into ``values``. ``labels``: the distinct
    labels, sorted. ``label_of``: (n,) index into ``labels``.
    """

    names: tuple[str, ...]
    values: tuple[tuple, ...]
    codes: np.ndarray
    labels: tuple[str, ...]
    label_of: np.ndarray
    source: str = "<presets>"

    def __len__(self) -> int:
        return self.codes.shape[0]

    def row(self, i: int) -> tuple:
        return tuple(self.values[p][self.codes[i, p]] for p in range(len(self.names)))

    def rows_of(self, label: str) -> list[tuple]:
        k = self.labels.index(label)
        return [self.row(i) for i in range(len(self)) if self.label_of[i] == k]

    @classmethod
    def from_rows(cls, names, rows, source: str = "<presets>") -> Presets:
        """``rows``: (values..., label) tuples of parsed values; duplicates merged."""
        unique = sorted({(tuple(r[:-1]), r[-1]) for r in rows},
                        key=lambda r: ([value_key(v) for v in r[0]], r[1]))
        P = len(names)
        values = tuple(tuple(sorted({r[0][p] for r in unique}, key=value_key))
                       for p in range(P))
        index = [{v: i for i, v in enumerate(vs)} for vs in values]
        labels = tuple(sorted({r[1] for r in unique}))
        codes = np.array([[index[p][r[0][p]] for p in range(P)] for r in unique],
                         np.int64).reshape(len(unique), P)
        label_of = np.array([labels.index(r[1]) for r in unique], np.int64)
        return cls(tuple(names), values, codes, labels, label_of, source)


def read_presets(path: str | Path) -> Presets:
    """The presets of the CSV file ``path`` (named on the command line: any folder, but only a
    regular file, never a FIFO or a device; at most MAX_BYTES)."""
    from synthlearn.files import Folders

    src = str(path)
    where = Path(os.path.realpath(Path(path).expanduser()))
    if not where.exists():
        raise UserError("no such preset file (a CSV with a header and a label column)",
                        source=src)
    data = Folders(reads=(where.parent,), base=Path.cwd()).read_bytes(src, MAX_BYTES,
                                                                      "a preset table")
    return parse_presets(data, src)


def parse_presets(data: bytes, src: str) -> Presets:
    """The presets of a CSV file's bytes (``src`` names it in errors). An error names the line
    and the rule, and quotes no more of the file than a value of a row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text (byte {exc.start}); expected a CSV file",
                        source=src) from None
    if "\0" in text:
        raise UserError("binary data; expected a CSV file", source=src)
    lines = csv.reader(text.splitlines())
    header = None
    rows = []
    for line_no, cells in enumerate(lines, start=1):
        if not cells or all(not c.strip() for c in cells):
            continue  # blank lines are nothing
        cells = [c.strip() for c in cells]
        if header is None:
            header = cells
            if len(header) < 2:
                raise UserError("the header must name at least one parameter and the label "
                                f"column ({len(header)} column found); expected a CSV preset "
                                "table", source=src, line=line_no)
            if any(not h for h in header) or len(set(header)) != len(header):
                raise UserError(f"header of {len(header)} columns: every column needs its "
                                "own name", source=src, line=line_no)
            continue
        if len(cells) != len(header):
            raise UserError(f"{len(cells)} values where the header has {len(header)} "
                            "columns", source=src, line=line_no)
        if not cells[-1]:
            raise UserError(f"no label in the last column ({header[-1]})", source=src,
                            line=line_no)
        try:
            parsed = [parse_value(c) for c in cells[:-1]]
        except ValueError as exc:
            raise UserError(f"{exc}", source=src, line=line_no) from None
        for name, cell, value in zip(header, cells, parsed, strict=False):
            if value == "":
                raise UserError(f"{name} is empty", source=src, line=line_no)
            del cell
        rows.append((*parsed, cells[-1]))
        if len(rows) > MAX_ROWS:
            raise UserError(f"more than {MAX_ROWS} presets", source=src, line=line_no)
    if header is None:
        raise UserError("empty: expected a header and labeled presets", source=src)
    if not rows:
        raise UserError("a header and no presets", source=src)
    presets = Presets.from_rows(header[:-1], rows, src)
    if len(presets.labels) > MAX_LABELS:
        raise UserError(f"{len(presets.labels)} labels: at most {MAX_LABELS}", source=src)
    return presets


def presets_csv(names, label: str, rows) -> bytes:
    """A preset table as CSV bytes: the header (``names``, then ``label``), one row a preset,
    every row of ``label``."""
    return table_csv(names, ([*row, label] for row in rows))


def table_csv(names, labelled_rows) -> bytes:
    """A preset table as CSV bytes: the header (``names``, then ``label``), then each row
    (its values, its label last)."""
    import io

    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([*names, "label"])
    writer.writerows(labelled_rows)
    return out.getvalue().encode()
