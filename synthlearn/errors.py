"""synthlearn's own errors.

A :class:`UserError` is something the performer can fix (a bad file, value or name). Its message
is one line naming the file, line and value and what was expected; the CLI prints it and exits 2,
and a live performance prints it and keeps playing.
"""

from __future__ import annotations


class SynthlearnError(Exception):
    """Base class of every error synthlearn raises on purpose."""


class UserError(SynthlearnError):
    """A problem in what the user gave us: printed as one line, never as a traceback."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(where + message)


class AudioUnavailable(UserError):
    """The requested audio backend cannot run on this machine (no device, no JACK server)."""
