"""The audio engine: the only place a pyo Server is created (see engine.py)."""

import os

# pyo prints a notice about wxPython on import unless told not to.
os.environ.setdefault("PYO_GUI_WX", "0")
# pyo's bundled libjack would try to start /usr/local/bin/jackd (the wrong path on Debian) when
# no server runs; synthlearn starts jackd itself, and only when asked (--start-jack).
os.environ.setdefault("JACK_NO_START_SERVER", "1")
