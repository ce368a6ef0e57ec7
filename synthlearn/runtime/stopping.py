"""Ctrl-C and SIGTERM as a request to stop, not an exception: a loop that checks
:attr:`StopRequest.signal` finishes its files (a WAV with its header, a video ffmpeg closes)
instead of being torn out of the middle of a write. A second signal stops at once."""

from __future__ import annotations

import signal
import threading

NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}
EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}  # 128 + the signal, as shells report
# How long a live show waits for a silent audio server (stalled, or dead and restarted under
# its name) before it ends (--stall-limit; runtime.live.Watchdog).
STALL_LIMIT_S = 30.0


class StopRequest:
    """Within ``with StopRequest() as stop:`` (main thread), SIGINT and SIGTERM set
    ``stop.signal``; the handlers before are restored after. Elsewhere it never fires."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._before: dict[int, object] = {}

    def install(self) -> None:
        """From now on SIGINT and SIGTERM set :attr:`signal` (main thread only)."""
        if threading.current_thread() is threading.main_thread():
            self._before = {s: signal.signal(s, self._handle) for s in NAMES}

    def restore(self) -> None:
        """The handlers from before :meth:`install` (nothing if it never installed)."""
        for s, handler in self._before.items():
            signal.signal(s, handler)
        self._before = {}

    def __enter__(self) -> StopRequest:
        self.install()
        return self

    def __exit__(self, *exc) -> None:
        self.restore()

    def _handle(self, signum, frame) -> None:
        if self.signal is not None:  # asked twice: the performer means it
            raise KeyboardInterrupt
        self.signal = signum

    @property
    def name(self) -> str | None:
        return None if self.signal is None else NAMES[self.signal]
