"""pyo DataTables and the numpy views that kernels write into, owned in one place.

A ``DataTable.getBuffer()`` view does not keep its table alive: if the view outlives the table
(or the server), writing through it corrupts the heap and the process crashes later at an
unrelated line. So every table and its view live here, views are dropped before tables, and a
table whose view is still referenced somewhere when we release is kept alive for the rest of the
process instead of being freed under that view.
"""

from __future__ import annotations

import sys

import numpy as np

# Tables whose views were still referenced at release time: never freed (a small leak beats
# a heap corruption).
_KEPT_ALIVE: list = []


class Tables:
    def __init__(self) -> None:
        self._tables: dict[str, object] = {}
        self._views: dict[str, np.ndarray] = {}

    def new(self, name: str, size: int, init: float = 0.0) -> np.ndarray:
        """Create table ``name`` of ``size`` float32 samples; return its numpy view."""
        import pyo

        if name in self._tables:
            raise ValueError(f"table {name!r} exists")
        table = pyo.DataTable(size=size, init=[float(init)] * size)
        view = np.asarray(table.getBuffer())
        if view.dtype != np.float32 or view.shape != (size,):
            raise RuntimeError(f"unexpected pyo table buffer {view.dtype} {view.shape}")
        self._tables[name] = table
        self._views[name] = view
        return view

    def table(self, name: str):
        return self._tables[name]

    def view(self, name: str) -> np.ndarray:
        return self._views[name]

    def __len__(self) -> int:
        return len(self._tables)

    def release(self, prefix: str = "") -> list[str]:
        """Drop every view, then every table (only those named ``prefix...`` if given).
        Returns the names kept alive (views leaked)."""
        leaked = []
        for name in [n for n in self._views if n.startswith(prefix)]:
            view = self._views.pop(name)
            # References: the local name and getrefcount's argument. More means a holder.
            if sys.getrefcount(view) > 2:
                leaked.append(name)
                _KEPT_ALIVE.append((self._tables[name], view))
            del view
            del self._tables[name]
        return leaked
