"""What a RuLer fit may spend, shared by the labels it learns side by side.

Each label is learned on its own (its arrays, its passes), so a fit learns several at once, one
per thread (the kernels release the GIL). They share one budget: the bytes every label holds
now, counted before anything grows, with a reserve for the rules made (every label's, those
in flight too); the clock and the cancel flag, read between each label's chunks of work; and
the ``progress`` callable, called by one thread at a time. When one label stops (a budget, a
cancel), the others stop at their next chunk and the first reason is the fit's.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from synthlearn.errors import UserError

MB = 1 << 20
# What each rule takes once it is Python objects: its RuleSet entry, its kept state and JSON,
# measured with tracemalloc (3,600 B for 3 parameters, 8,900 for 12, 13,700 for 24): a rule,
# each of its parameters, and each value in its sets.
RULE_BYTES, RULE_PARAM_BYTES, RULE_VALUE_BYTES = 2000, 500, 40


class BudgetReached(UserError):
    """RuLer stopped before its rules were complete: ``what`` ("memory", "time", "cancelled")
    reached at ``limit`` (MB or s) after ``seconds``, with ``rules`` rules made so far. Its
    message is one line; :meth:`message` words it for a front-end (how to raise the budget there,
    and whether rules kept before stay)."""

    def __init__(self, what: str, limit: float, rules: int, seconds: float, detail: str = "",
                 advice: str = "a higher consistency or a lower distance"):
        self.what, self.limit, self.rules, self.seconds = what, limit, rules, seconds
        self.detail, self.advice = detail, advice
        super().__init__("ruler: " + self.message())

    def message(self, raise_to: str | None = None, kept: str | None = None) -> str:
        """``stopped at the memory budget (1024 MB, 41,230 rules so far) after 3.1 s: try a
        higher consistency or a lower distance, or RAISE_TO``; ``kept``: said before the advice
        (``the rules kept before stay``)."""
        so_far = self.detail or f"{self.rules:,} rules so far"
        if self.what == "cancelled":
            text = f"cancelled after {self.seconds:.1f} s ({so_far})"
            return f"{text}; {kept}" if kept else text
        unit = "MB" if self.what == "memory" else "s"
        text = (f"stopped at the {self.what} budget ({self.limit:g} {unit}, {so_far}) after "
                f"{self.seconds:.1f} s")
        if kept:
            text += f"; {kept}"
        return f"{text}: try {self.advice}" + (f", or {raise_to}" if raise_to else "")


class Progress(NamedTuple):
    """How far a fit got, handed to ``fit(..., progress=)`` between chunks of work: ``rules``
    made so far (the labels learned, and the rules and candidates of those learning: what a
    budget counts), the ``passes`` over the label telling it (from 1), its ``label``, how many
    labels are done of ``labels`` (several may learn at once), ``seconds`` since the fit began
    (its clock), and where the pass is: its ``step`` (``pairs``: rules compared;
    ``pruning``: rules inside another dropped) and the ``share`` of that step done (0..1)."""

    rules: int
    passes: int
    label: str
    labels_done: int
    labels: int
    seconds: float
    step: str = "pairs"
    share: float = 0.0

    def __str__(self) -> str:
        """``41,230 rules so far, label tone (0 of 2 done), pass 3 pruning 40 %, 12.3 s``."""
        return (f"{self.rules:,} rules so far, label {self.label} ({self.labels_done} of "
                f"{self.labels} done), pass {self.passes} {self.step} {100 * self.share:.0f} %, "
                f"{self.seconds:.1f} s")


class Halted(Exception):
    """Another label of the fit stopped (its reason is the fit's): this one stops too."""


class Budget:
    """What a fit may take (``memory_mb``, ``time_s``, ``cancel``), timed by ``clock``, told to
    ``progress``; each label learned draws on it through its :meth:`share`."""

    def __init__(self, memory_mb: float, time_s: float, cancel, clock, P: int, progress=None,
                 labels: int = 0):
        self.memory_mb, self.time_s, self.cancel, self.clock = memory_mb, time_s, cancel, clock
        self.progress, self.labels = progress, labels
        self.limit = int(memory_mb * MB)
        self.t0 = clock()
        self.held = 0  # bytes of the arrays alive now, every label's
        self.rules = 0  # rules of the labels learned
        self.labels_done = 0
        self.reserve = RULE_BYTES + P * (RULE_PARAM_BYTES + RULE_VALUE_BYTES)  # per rule, least
        self.halt = threading.Event()
        self._making: dict[int, int] = {}  # label -> its rules and candidates now
        self._lock = threading.Lock()

    def again(self, held: int) -> Budget:
        """A budget like this one on the same clock, holding only ``held`` bytes, no rules:
        for learning the labels again, one at a time."""
        again = Budget(self.memory_mb, self.time_s, self.cancel, self.clock, 0, self.progress,
                       labels=self.labels)
        again.t0, again.reserve, again.held = self.t0, self.reserve, held
        return again

    def in_flight(self) -> int:
        """Rules made: the labels learned, and those learning now (rules and candidates)."""
        return self.rules + sum(self._making.values())

    def fits(self, extra: int) -> bool:
        """Whether ``extra`` more bytes fit beside what every label holds and reserves."""
        with self._lock:
            return self.held + extra + self.in_flight() * self.reserve <= self.limit

    def take(self, extra: int, held: int) -> bool:
        """If ``extra`` more bytes fit (see :meth:`fits`), hold ``held`` of them (at once: two
        labels never both take the last room)."""
        with self._lock:
            if self.held + extra + self.in_flight() * self.reserve > self.limit:
                return False
            self.held += held
            return True

    def hold(self, nbytes: int) -> None:
        """Bytes taken (or, negative, given back)."""
        with self._lock:
            self.held += nbytes

    def over(self, detail: str = "", **advice) -> BudgetReached:
        return BudgetReached("memory", self.memory_mb, self.in_flight(),
                             self.clock() - self.t0, detail, **advice)

    def learned(self, k: int, rules: int, nbytes: int) -> None:
        """Label ``k`` done: its ``rules`` (``nbytes``) kept."""
        with self._lock:
            self._making.pop(k, None)
            self.rules += rules
            self.held += nbytes
            self.labels_done += 1

    def share(self, k: int, label: str) -> Share:
        return Share(self, k, label)


class Share:
    """One label's draw on a :class:`Budget`: what it has made so far counted with the rest,
    where its passes are told to ``progress``."""

    def __init__(self, budget: Budget, k: int, label: str):
        self.budget, self.k, self.label = budget, k, label
        self.passes, self.step = 0, ("pairs", 0.0)

    def made(self, rules: int) -> None:
        """This label holds ``rules`` rules and candidates now."""
        self.budget._making[self.k] = rules

    def take(self, extra: int, held: int, rules: int) -> bool:
        """With ``rules`` made, whether ``extra`` more bytes fit; if so ``held`` of them are
        held from now on (see :meth:`Budget.take`)."""
        self.made(rules)
        return self.budget.take(extra, held)

    def over(self, rules: int, detail: str = "", **advice) -> BudgetReached:
        self.made(rules)
        return self.budget.over(detail, **advice)

    def hold(self, nbytes: int) -> None:
        self.budget.hold(nbytes)

    def check(self, rules: int) -> None:
        """Between chunks: stop when cancelled, out of time or another label stopped."""
        self.made(rules)
        b = self.budget
        if b.halt.is_set():
            raise Halted
        with b._lock:  # one label at a time looks and tells: its clock and its progress
            seconds = b.clock() - b.t0
            if b.cancel is not None and b.cancel.is_set():
                raise BudgetReached("cancelled", 0, b.in_flight(), seconds)
            if seconds >= b.time_s:
                raise BudgetReached("time", b.time_s, b.in_flight(), seconds)
            if b.progress is not None:
                b.progress(Progress(b.in_flight(), self.passes, self.label, b.labels_done,
                                    b.labels, seconds, *self.step))
