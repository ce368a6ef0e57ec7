"""Exceptions a piece raises where the music must go on (its block hook, its main-thread tick):
counted, the first kept, and told to the performer at most once a second (:class:`Tally`, which
OSC's dropped messages use too); and a piece's own news lines, each kind at most once a second
of the audio clock (:class:`Repeats`)."""

from __future__ import annotations

import time
from collections.abc import Callable

REPORT_EVERY_S = 1.0
FORGET_AFTER_S = 10.0  # a kind of news quiet this long is forgotten (a new one is said at once)


class Tally:
    """Something that happens in another thread (a fault, a dropped message), counted there
    and told in the main thread at most once a second."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # seconds: the wall clock live, the audio clock for news (Repeats)
        self.count = 0
        self._said, self._said_at = 0, -1e9
        self._direct_at = -1e9

    def now_or_later(self) -> bool:
        """One more, from a stream: True when it is to be said now (the first in a second),
        else counted, to be told by :meth:`since_said`. A flood is one line a second."""
        now = self.clock()
        if now - self._direct_at >= REPORT_EVERY_S:
            self._direct_at = now
            return True
        self.count += 1
        return False

    def since_said(self) -> int:
        """How many since the last time this returned more than 0: 0 when none, or when the
        last was told less than a second ago (then they are told next time)."""
        now = self.clock()
        if self.count == self._said or now - self._said_at < REPORT_EVERY_S:
            return 0
        new, self._said, self._said_at = self.count - self._said, self.count, now
        return new


class Repeats:
    """The one rate limiter of a piece's news: lines of one kind (a learner diverging, a phrase
    taken) said at most once a second of ``clock`` (the audio clock: renders and tests are
    deterministic). The first is said at once; the ones that follow within the second are
    counted and said once the second is over, as one line with their true count:
    ``the cubic diverged at lr 10: ... (12 times in the last 1.0 s)``.

    ``add`` may come from the audio thread or the main thread; ``due`` is the main thread's."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._kinds: dict[str, tuple[Tally, list]] = {}  # kind -> (tally, [line, said at])
        self._polled_s: float | None = None  # the last due(): the first line's window starts

    def add(self, kind: str, line: str, times: int = 1) -> None:
        """``times`` more lines of ``kind``; ``line`` is the newest wording (its numbers)."""
        entry = self._kinds.get(kind)
        if entry is None:
            entry = self._kinds[kind] = (Tally(self.clock), [line, None])
        entry[1][0] = line
        entry[0].count += times

    def due(self) -> list[str]:
        """The lines to say now (main thread): each kind with lines not yet said, at most once
        a second; a kind quiet for FORGET_AFTER_S is forgotten."""
        now = self.clock()
        out = []
        for kind, (tally, said) in list(self._kinds.items()):
            new = tally.since_said()
            if new:
                line, at = said
                start = at if at is not None else self._polled_s
                if new > 1:
                    window = f" in the last {now - start:.1f} s" if start is not None else ""
                    line = f"{line} ({new} times{window})"
                out.append(line)
                said[1] = now
            elif tally.count == tally._said and said[1] is not None and \
                    now - said[1] >= FORGET_AFTER_S:
                del self._kinds[kind]
        self._polled_s = now
        return out

    def pending(self) -> int:
        """Lines counted and not said yet, over every kind."""
        return sum(t.count - t._said for t, _ in self._kinds.values())


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
