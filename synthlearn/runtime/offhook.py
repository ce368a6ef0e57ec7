"""A score's commands that run outside the block hook (a retrain, a ``set``): one rule says
when, for a render and for a live run alike.

The rule (:func:`due`): a command stamped at sample ``t`` runs before the block that holds
``t``. A render runs it just before computing that block, so it stays deterministic; a live
run's main thread runs it as soon as it sees that block is next (never later than a render
would have, unless the main thread itself is late).
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Callable, Iterable

from synthlearn.commands.score import run_off_audio


def due(time_smp: int, next_block: int, block: int) -> bool:
    """Whether an off-hook command stamped ``time_smp`` (samples) runs now, before block
    ``next_block`` (the next block the hook computes, ``block`` samples each): it runs
    before the block its stamp falls in."""
    return time_smp < (next_block + 1) * block


class OffHook:
    """A score's off-hook commands (events of kind COMMAND, in time order) waiting for their
    time. ``source`` names the score in a failure's line; ``around()``, if given, is a context
    each command runs in (a render's "compiling..." line)."""

    def __init__(self, events: Iterable, *, source: str,
                 around: Callable[[], contextlib.AbstractContextManager] | None = None):
        self._pending = collections.deque(events)
        self.source = source
        self.around = around

    def __len__(self) -> int:
        return len(self._pending)

    def run_due(self, piece, next_block: int, block: int) -> int:
        """Run (in this thread) every command :func:`due` before block ``next_block`` on
        ``piece``; returns how many ran."""
        ran = 0
        pending = self._pending
        while pending and due(pending[0].time_smp, next_block, block):
            cmd = pending.popleft().command
            with self.around() if self.around is not None else contextlib.nullcontext():
                run_off_audio(cmd, piece, source=self.source)
            ran += 1
        return ran
