"""Exceptions a piece raises where the music must go on (its block hook, its main-thread tick):
counted, the first kept, and told to the performer at most once a second."""

from __future__ import annotations

import time

REPORT_EVERY_S = 1.0


class Faults:
    def __init__(self, where: str, then: str):
        self.where, self.then = where, then  # "in its block hook", "its voices were silenced"
        self.count = 0
        self.reason: str | None = None
        self.piece: str | None = None
        self.at_s = 0.0
        self._said, self._said_at = 0, -1e9

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
        now = time.monotonic()
        if self.count == self._said or now - self._said_at < REPORT_EVERY_S:
            return None
        new, self._said, self._said_at = self.count - self._said, self.count, now
        return (f"the piece {self.piece} failed {self.where} ({self.reason}, first at "
                f"{self.at_s:.2f} s; {new} time{'s' if new > 1 else ''} since the last report, "
                f"{self.count} in all): {self.then}")
