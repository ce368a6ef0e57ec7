"""Progress on stderr (stdout carries the results): on a terminal one line redrawn in place,
at most every ``tty_every_s``; in a log (stderr not a terminal) a line every ``log_every_s``;
nothing before ``quiet_s``. Times are the caller's (a render's wall clock, a fit's own)."""

from __future__ import annotations

import shutil
import sys

from synthlearn.commands.printable import printable

CLEAR = "\r\x1b[2K"  # back to the line's start, and the line wiped


class StatusLine:
    def __init__(self, stream=None, *, quiet_s: float = 0.0, tty_every_s: float = 0.0,
                 log_every_s: float = 5.0):
        self.stream = sys.stderr if stream is None else stream
        self.tty = self.stream.isatty()
        self.every_s = tty_every_s if self.tty else log_every_s
        self.next_s = quiet_s
        self.drawn = False  # a line is on the terminal, to clear before anything else

    def show(self, at_s: float, line: str, log_line: str | None = None) -> None:
        """``line`` at ``at_s`` (``log_line`` instead in a log), if its time has come."""
        if at_s < self.next_s:
            return
        self.next_s = at_s + self.every_s
        if not self.tty:
            print(printable(line if log_line is None else log_line), file=self.stream,
                  flush=True)
            return
        width = shutil.get_terminal_size((100, 24)).columns - 1  # one line: \r redraws it
        self.stream.write(CLEAR + printable(line)[:width])
        self.stream.flush()
        self.drawn = True

    def say(self, line: str) -> None:
        """A line of its own between the updates (on a terminal, over the updating line)."""
        print((CLEAR if self.drawn else "") + printable(line), file=self.stream, flush=True)
        self.drawn = False

    def end(self) -> None:
        """Done: the updating line is cleared (what follows says how it ended)."""
        if self.drawn:
            self.stream.write(CLEAR)
            self.stream.flush()
            self.drawn = False
