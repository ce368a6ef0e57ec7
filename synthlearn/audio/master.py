"""The master chain: the playing piece's output, through the master fader (volume), the
look-ahead limiter and a -1 dBFS clip, into the outputs and the master tap.

The limiter runs in the block hook: it reads the block pyo just mixed (the pre tap, one block
old when the hook runs) and writes the limited block that counter-indexed readers play in
this block. Latency: one block + the look-ahead (:attr:`Master.latency_samples`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from synthlearn.audio.tables import Tables
from synthlearn.dsp.limiter import Limiter

CEILING_DBFS = -1.0
CEILING = 10.0 ** (CEILING_DBFS / 20.0)


class Master:
    """The master chain on a booted server, its tables in ``tables`` (``master.*``).

    Built after the piece's graph: pyo computes objects in the order they were made, so a
    master made first would read the piece's output one block late. ``counter()`` gives the
    engine's shared block counter (made once, before its first reader). ``volume_db``: the
    fader's level from the start (0 at first; the performer's after a rejoin)."""

    def __init__(self, tables: Tables, *, sr: int, block: int, counter: Callable[[], object],
                 volume_db: float = 0.0):
        import pyo

        # The order of every pyo object made here is the order pyo computes them in: kept.
        self._silence = pyo.Sig([0.0, 0.0])
        self._input = pyo.InputFader(self._silence)
        level = 10.0 ** (volume_db / 20.0)
        self._volume = pyo.SigTo(level, time=0.05, init=level)
        pre = self._input * self._volume
        self.limiter = Limiter(sr, ceiling_dbfs=CEILING_DBFS)
        self._pre = [tables.new(f"master.pre{c}", block) for c in range(2)]
        self._lim = [tables.new(f"master.limited{c}", block) for c in range(2)]
        count = counter()
        limited = pyo.Mix(
            [pyo.TableIndex(tables.table(f"master.limited{c}"), count) for c in range(2)],
            voices=2,
        )
        # The limiter already holds the ceiling; the clip is a last guard that never acts.
        self._out = pyo.Clip(limited, min=-CEILING, max=CEILING)
        self._out.out()
        # The master tap: after each block these tables hold exactly that block (the fill
        # index wraps at the table size, which is the block size).
        self.tap = [tables.new(f"master.tap{c}", block) for c in range(2)]
        self._objects = [
            pre, limited,
            *(pyo.TableFill(pre[c], tables.table(f"master.pre{c}")) for c in range(2)),
            *(pyo.TableFill(self._out[c], tables.table(f"master.tap{c}")) for c in range(2)),
        ]
        self.latency_samples = block + self.limiter.latency_samples

    def warm(self, block: int) -> None:
        self.limiter.warm(block)

    def route(self, output, fade_s: float) -> None:
        """Play ``output`` into the fader, crossfading from what it played over ``fade_s``."""
        self._input.setInput(output, fadetime=fade_s)

    def set_volume(self, db: float) -> None:
        self._volume.value = 10.0 ** (db / 20.0)

    def limit(self) -> None:
        """The hook's part (audio thread): the block pyo just mixed, limited into the block
        the readers play now."""
        pre, lim = self._pre, self._lim
        self.limiter.process(pre[0], pre[1], lim[0], lim[1])

    def copy_tap(self, out: np.ndarray) -> None:
        """The block just finished into ``out`` (shape (block, 2)); the views stay here."""
        out[:, 0] = self.tap[0]
        out[:, 1] = self.tap[1]

    def copy_unlimited(self, out: np.ndarray) -> None:
        """The block just finished as mixed, before the limiter, into ``out`` (block, 2)."""
        out[:, 0] = self._pre[0]
        out[:, 1] = self._pre[1]

    def release(self) -> None:
        """Drop every view and pyo object (before the tables are released: a view must never
        outlive its table)."""
        self.limiter = None
        self.tap = self._pre = self._lim = []
        self._objects = []
        self._input = self._out = self._volume = self._silence = None
