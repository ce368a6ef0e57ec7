"""Exceptions a piece raises where the music must go on (its block hook, its main-thread tick):
counted, the first kept, and told to the performer at most once a second (:class:`Tally`, which
OSC's dropped messages use too)."""

from __future__ import annotations

import time

REPORT_EVERY_S = 1.0


class Tally:
    """Something that happens in another thread (a fault, a dropped message), counted there
    and told in the main thread at most once a second."""

    def __init__(self) -> None:
        self.count = 0
        self._said, self._said_at = 0, -1e9
        self._direct_at = -1e9

    def now_or_later(self) -> bool:
        """One more, from a stream: True when it is to be said now (the first in a second),
        else counted, to be told by :meth:`since_said`. A flood is one line a second."""
        now = time.monotonic()
        if now - self._direct_at >= REPORT_EVERY_S:
            self._direct_at = now
            return True
        self.count += 1
        return False

    def since_said(self) -> int:
        """How many since the last time this returned more than 0: 0 when none, or when the
        last was told less than a second ago (then they are told next time)."""
        now = time.monotonic()
        if self.count == self._said or now - self._said_at < REPORT_EVERY_S:
            return 0
        new, self._said, self._said_at = self.count - self._said, self.count, now
        return new


class Faults(Tally):
    def __init__(self, where: str, then: str):
        super().__init__()
        self.where, self.then = where, then  # "in its block hook", "its voices were silenced"
        self.reason: str | None = None
        self.piece: str | None = None
        self.at_s = 0.0

    def record(self, piece, exc: BaseException, at_s: float) -> None:
        """Count one (any thread; allocates only when something failed)."""
        self.count += 1
        if self.reason is None:
            self.reason = f"{type(exc).__name__}: {exc}"
            self.piece = getattr(piece, "name", "?")
            self.at_s = at_s

    def report(self) -> str | None:
        """A line about the faults since the last one said (None when none, or when one was
        said less than a second ago)."""
        new = self.since_said()
        if not new:
            return None
        return (f"the piece {self.piece} failed {self.where} ({self.reason}, first at "
                f"{self.at_s:.2f} s; {new} time{'s' if new > 1 else ''} since the last report, "
                f"{self.count} in all): {self.then}")
