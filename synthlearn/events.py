"""Events stamped in samples, and the queue the audio block hook drains.

Events are converted at the edge (MIDI files, rtmidi ports, the computer keyboard, the console,
scores): pieces only ever see :class:`Event` values, never ``mido.Message`` or pygame events.
"""

from __future__ import annotations

import collections
import enum
from collections.abc import Callable, Iterable
from typing import NamedTuple

# MIDI controller numbers the pieces care about.
CC_SUSTAIN = 64
CC_SOSTENUTO = 66
CC_SOFT = 67
CC_ALL_NOTES_OFF = 123


class Kind(enum.IntEnum):
    NOTE_ON = 1
    NOTE_OFF = 2
    CONTROL = 3
    COMMAND = 4


class Event(NamedTuple):
    """One event. ``time_smp`` is the sample at which it takes effect (applied in its block)."""

    time_smp: int
    kind: Kind
    number: int = 0  # note number, or controller number
    value: int = 0  # velocity 1..127, or controller value 0..127
    channel: int = 0
    command: object = None  # a parsed console.Command for Kind.COMMAND


def note_on(time_smp: int, note: int, velocity: int, channel: int = 0) -> Event:
    """A note-on; velocity 0 is a note-off, as MIDI says (mido does not convert it)."""
    if velocity <= 0:
        return Event(time_smp, Kind.NOTE_OFF, note, 0, channel)
    return Event(time_smp, Kind.NOTE_ON, note, min(int(velocity), 127), channel)


def note_off(time_smp: int, note: int, channel: int = 0) -> Event:
    return Event(time_smp, Kind.NOTE_OFF, note, 0, channel)


def control(time_smp: int, number: int, value: int, channel: int = 0) -> Event:
    return Event(time_smp, Kind.CONTROL, number, value, channel)


def command(time_smp: int, cmd: object) -> Event:
    return Event(time_smp, Kind.COMMAND, command=cmd)


class EventQueue:
    """Scheduled events (a score, sorted once) plus live events pushed from other threads.

    ``push`` is safe from any thread without locks: ``deque.append`` and ``popleft`` are atomic
    in CPython. Live events are due in the next block the hook runs; scheduled events in the
    block that contains their stamp.
    """

    def __init__(self, scheduled: Iterable[Event] = ()):
        # Stable sort keeps the score's order for events stamped on the same sample.
        self._scheduled: list[Event] = sorted(scheduled, key=lambda e: e.time_smp)
        self._next = 0
        self._live: collections.deque[Event] = collections.deque()

    def push(self, event: Event) -> None:
        self._live.append(event)

    def drain(self, end_smp: int, handle: Callable[[Event], None]) -> int:
        """Hand every event due before ``end_smp`` to ``handle``; return how many. Each is
        taken before it is handed over: one ``handle`` raises on is not handed over again (a
        caller that catches the exception calls ``drain`` again for the rest)."""
        n = 0
        sched = self._scheduled
        while self._next < len(sched) and sched[self._next].time_smp < end_smp:
            self._next += 1
            handle(sched[self._next - 1])
            n += 1
        live = self._live
        while live:
            handle(live.popleft())
            n += 1
        return n

    @property
    def pending(self) -> int:
        return len(self._scheduled) - self._next + len(self._live)
