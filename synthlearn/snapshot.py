"""A record the audio hook publishes and other threads read, without locks.

Visuals read, never write: the piece fills named fields in the back buffer at the end of a block
and publishes; the window, the renderer and the autosaver copy the front buffer whenever they
need it. Two buffers and a publish count make a slow reader harmless: it copies the last
complete record and retries (a bounded number of times) if the writer published meanwhile.

A field is a size (float64) or ``(size, dtype)``: learner state such as a splitmix64 counter
must travel as uint64, bit for bit, for an autosave to restore it exactly. The size may be a
shape (``((3, 64), np.int64)``): the field is read and written with that shape.

Every piece publishes what it has learned through one of these too (``Piece.publish_learned``):
the autosave reads that record, never the live arrays the audio thread is changing.

A record whose sizes change (what piece ruler shows: as many boxes as its rules have) is put up
on a :class:`Board`: its writer makes a new Snapshot for a new layout and swaps it in.
"""

from __future__ import annotations

import math

import numpy as np


def _field(spec) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of a field given as a size, (size, dtype) or (shape, dtype)."""
    size, dtype = spec if isinstance(spec, tuple) else (spec, np.float64)
    shape = tuple(int(n) for n in size) if isinstance(size, tuple) else (int(size),)
    return shape, np.dtype(dtype)


class SnapshotBusy(RuntimeError):
    """No consistent copy this time; try again later."""


class Snapshot:
    def __init__(self, **fields):
        shaped = {name: _field(spec) for name, spec in fields.items()}
        self.shapes = {name: shape for name, (shape, _) in shaped.items()}
        self.fields = {name: (math.prod(shape), dt) for name, (shape, dt) in shaped.items()}
        dtype = np.dtype([(name, dt, shape) for name, (shape, dt) in shaped.items()])
        self._buf = np.zeros(2, dtype)
        # Views made once: publishing allocates nothing in the audio thread.
        self._views = [{n: self._buf[n][i] for n in self.fields} for i in range(2)]
        self.published = 0

    @property
    def back_index(self) -> int:
        """Which of the two buffers :meth:`back` gives now (0 or 1): a writer keeping views
        into them keeps one set per buffer."""
        return (self.published + 1) % 2

    def back(self) -> dict[str, np.ndarray]:
        """The buffer to fill before :meth:`publish` (writer side)."""
        return self._views[self.back_index]

    def publish(self) -> None:
        self.published += 1

    def read(self, retries: int = 4, *, arrays: bool = False,
             strict: bool = False) -> dict[str, np.ndarray | float]:
        """A copy of the last published record (reader side): size-1 float64 fields as floats
        unless ``arrays``, every other field as an array of its own dtype. If the writer kept
        publishing through every retry, the copy may mix two records: fine for a frame, not
        for a save, so ``strict`` raises :class:`SnapshotBusy` instead."""
        for _ in range(retries):
            seen = self.published
            row = self._buf[seen % 2:seen % 2 + 1].copy()
            if self.published == seen:
                break
        else:
            if strict:
                raise SnapshotBusy(f"the writer published {retries} times while reading")
        out: dict[str, np.ndarray | float] = {}
        for name, (_, dtype) in self.fields.items():
            value = row[name][0]
            scalar = not arrays and self.shapes[name] == (1,) and dtype == np.float64
            out[name] = float(value[0]) if scalar else value
        return out


class Board:
    """Where a record whose layout may change is published. The writer (one thread at a time,
    never the audio thread: a new layout allocates) fills and publishes the Snapshot up now,
    or makes one of a new layout, publishes it and puts it up in one assignment; a reader reads
    whichever is up (one still copying the old one finishes with it)."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot

    def read(self, retries: int = 4, *, arrays: bool = False,
             strict: bool = False) -> dict[str, np.ndarray | float]:
        """:meth:`Snapshot.read` of the record up now."""
        return self.snapshot.read(retries, arrays=arrays, strict=strict)


def same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    """Equal bit for bit: same names, dtypes, shapes and bytes (NaN equals the same NaN)."""
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and a[k].tobytes() == b[k].tobytes()
        for k in a)


def published_with(snapshot: Snapshot, values: dict, what: str) -> dict:
    """Publish ``snapshot``'s back buffer (filled by the caller) and read it, with ``values``
    put over what was read: the example records scenes are drawn from in tests. A name that is
    not one of its fields is a KeyError naming ``what``."""
    snapshot.publish()
    out = snapshot.read()
    unknown = set(values) - set(out)
    if unknown:
        raise KeyError(f"not {what} record fields: {sorted(unknown)}")
    out.update({k: (float(v) if np.ndim(v) == 0 else np.asarray(v)) for k, v in values.items()})
    return out
