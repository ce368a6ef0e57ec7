"""Silence C libraries (ALSA, portaudio, JACK) that write to file descriptor 2 while probing."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def c_stderr_silenced():
    """Send fd 2 to /dev/null for the duration; Python's own stderr is flushed first."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
