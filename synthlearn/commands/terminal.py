"""The performer's terminal, given back as it was found.

readline turns echo and line editing off while it waits for a line (``-icanon -echo``), and its
``input()`` waits in the console's daemon thread, which never returns when the show ends: the
shell (and the next ``perform``) would be left typing blind. So the attributes are saved when
the console starts and set back on every way out: the console's close (``quit``, Ctrl-C,
``--duration``, the watchdog, an exception: the performance closes it in a ``finally``) and,
for anything that skips that, at interpreter exit.
"""

from __future__ import annotations

import atexit
import os


class Terminal:
    """Saves the attributes of terminal ``fd`` now; :meth:`restore` sets them back (any
    number of times, from any exit path). Not a terminal, or no termios: does nothing."""

    def __init__(self, fd: int):
        self.fd = fd
        self._saved = None
        try:
            import termios

            if os.isatty(fd):
                self._saved = termios.tcgetattr(fd)
        except (ImportError, OSError):  # Windows, or a closed descriptor
            return
        atexit.register(self.restore)

    @property
    def saved(self) -> bool:
        return self._saved is not None

    def restore(self) -> None:
        if self._saved is None:
            return
        import termios

        try:
            termios.tcsetattr(self.fd, termios.TCSANOW, self._saved)
        except (OSError, termios.error):  # the terminal went away (ssh dropped): nothing to mend
            pass
