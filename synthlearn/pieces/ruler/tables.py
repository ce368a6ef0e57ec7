"""Live tables: presets labelled on stage (``keep blip tone``), kept under a name like a rule
set (so autosaved with the session and back on ``--resume``), trained on as a CSV is
(``r = ruler live``), joined with others (``ruler blip+live``) and exported (``save live``).

A table is a JSON value: the synth it was kept from, its columns (that synth's parameters) and
its rows (the values, then the label). Pure functions: each change makes a new value, which the
piece assigns (the names tell whoever watches them).
"""

from __future__ import annotations

from synthlearn.errors import UserError
from synthlearn.learners.presets import Presets, table_csv

KIND = "synthlearn.table/1"
MAX_ROWS = 10_000  # a table is a performer's labelling: ten thousand presets is plenty
SHOWN_ROWS = 8  # ``table`` lists the newest few


def is_table(value) -> bool:
    return isinstance(value, dict) and value.get("kind") == KIND


def new(synth: str, columns) -> dict:
    return {"kind": KIND, "synth": synth, "columns": list(columns), "rows": []}


def with_row(table: dict, name: str, synth: str, values: dict, label: str) -> dict:
    """``table`` (named ``name``) with one more row: ``synth``'s ``values`` labelled."""
    if list(values) != table["columns"]:
        raise UserError(f"keep: {name} holds {table['synth']}'s parameters "
                        f"({', '.join(table['columns'])}), not {synth}'s; keep {synth}'s "
                        f"presets in another table: keep {synth} {label} {synth}_{label}")
    if len(table["rows"]) >= MAX_ROWS:
        raise UserError(f"keep: {name} holds {MAX_ROWS:,} presets already; save it and start "
                        "another")
    return {**table, "rows": [*table["rows"], [*values.values(), label]]}


def without_row(table: dict, name: str, n: int) -> dict:
    rows = table["rows"]
    if not 0 <= n < len(rows):
        raise UserError(f"drop: {name} has rows 0..{len(rows) - 1}" if rows else
                        f"drop: {name} is empty")
    return {**table, "rows": rows[:n] + rows[n + 1:]}


def presets(table: dict, source: str) -> Presets:
    if not table["rows"]:
        raise UserError(f"ruler: table {source} is empty; keep some presets first: keep SYNTH "
                        f"LABEL {source}")
    return Presets.from_rows(tuple(table["columns"]), [tuple(r) for r in table["rows"]],
                             source)


def joined(parts: list[tuple[str, Presets]]) -> Presets:
    """Several tables as one (the same columns, in the same order)."""
    first_name, first = parts[0]
    rows = []
    for name, part in parts:
        if part.names != first.names:
            raise UserError(f"ruler: {name}'s columns ({', '.join(part.names)}) are not "
                            f"{first_name}'s ({', '.join(first.names)})")
        rows += [(*part.row(i), part.labels[part.label_of[i]]) for i in range(len(part))]
    return Presets.from_rows(first.names, rows, "+".join(name for name, _ in parts))


def summary(name: str, table: dict) -> str:
    """``live: 12 presets of blip (tone 5, rhythm 7); freq, numharm, amp``."""
    rows = table["rows"]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[-1]] = counts.get(row[-1], 0) + 1
    return (f"{name}: {len(rows)} preset{'s' if len(rows) != 1 else ''} of {table['synth']}"
            + (f" ({', '.join(f'{k} {v}' for k, v in counts.items())})" if counts else "")
            + f"; {', '.join(table['columns'])}")


def describe(name: str, table: dict) -> str:
    """Its :func:`summary`, then the newest rows, numbered."""
    rows = table["rows"]
    start = max(0, len(rows) - SHOWN_ROWS)
    return "\n".join([summary(name, table)] + [
        f"  {i}: " + ", ".join(f"{v:g}" if isinstance(v, float) else str(v)
                               for v in rows[i][:-1]) + f" -> {rows[i][-1]}"
        for i in range(start, len(rows))])


def to_csv(table: dict) -> bytes:
    return table_csv(table["columns"], table["rows"])
