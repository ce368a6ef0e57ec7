"""Saying that numba compiles, while it does.

The first run on a machine (or after an upgrade, or with an empty ``NUMBA_CACHE_DIR``) compiles
the kernels a piece needs: seconds with nothing else to show for them. numba's cache keeps them,
so later runs load them and compile nothing. A :class:`Compiling` watches numba's own compile
events (``numba:compile``, sent only when a function is compiled, never when it is loaded from
the cache) in the thread that watches: the first one says what is compiling, and ``done()`` says
how long it took. A run that compiles nothing says nothing, however long it takes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from numba.core import event

COMPILE_EVENT = "numba:compile"


class _Listener(event.Listener):
    """numba's compile events of one thread, passed to its :class:`Compiling`."""

    def __init__(self, owner: Compiling, what: str):
        self.owner, self.what = owner, what
        self.thread = threading.get_ident()

    def on_start(self, ev) -> None:
        if threading.get_ident() == self.thread:
            self.owner._started(self.what)

    def on_end(self, ev) -> None:
        if threading.get_ident() == self.thread:
            self.owner._ended()


class Compiling:
    """What numba compiles in the watching thread while :meth:`watch` is entered (once or more
    times): "compiling WHAT (first run only: numba caches them)…" said at the first compile,
    "WHAT compiled in X s (N functions)" by :meth:`done`. Nested compiles (a kernel's callees)
    count as functions, their time once."""

    def __init__(self, say: Callable[[str], None] | None):
        self.say = say
        self.what: str | None = None  # said at the first compile
        self.functions = 0  # compiled (callees included)
        self.seconds = 0.0  # spent compiling (outermost compiles, summed)
        self._depth = 0
        self._since = 0.0

    @contextmanager
    def watch(self, what: str) -> Iterator[Compiling]:
        """Watch numba compile ``what`` (e.g. "the ldd kernels") in this thread."""
        if self.say is None:
            yield self
            return
        with event.install_listener(COMPILE_EVENT, _Listener(self, what)):
            yield self

    def done(self) -> None:
        """Say what compiled and how long it took, if anything did; then start counting anew."""
        if self.functions and self.say is not None:
            self.say(f"{self.what} compiled in {self.seconds:.1f} s ({self.functions} "
                     "functions)")
        self.what, self.functions, self.seconds = None, 0, 0.0

    def _started(self, what: str) -> None:
        if self.functions == 0:
            self.what = what
            self.say(f"compiling {what} (first run only: numba caches them)…")
        self.functions += 1
        if self._depth == 0:
            self._since = time.perf_counter()
        self._depth += 1

    def _ended(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.seconds += time.perf_counter() - self._since


@contextmanager
def compiling(what: str, say: Callable[[str], None] | None) -> Iterator[Compiling]:
    """One stretch watched: the compiling line if numba compiles inside, the time it took after
    (also when the stretch raises: what compiled stays compiled)."""
    note = Compiling(say)
    try:
        with note.watch(what):
            yield note
    finally:
        note.done()
