"""Audio: the engine (the only pyo Server: backends, block hook, master chain, limiter), table
views, voice pools, filters, the recorder and WAV files, flush-to-zero, jackd and libjack.
The only place pyo is imported."""

import os

# pyo prints a notice about wxPython on import unless told not to.
os.environ.setdefault("PYO_GUI_WX", "0")
# pyo's bundled libjack would try to start /usr/local/bin/jackd (the wrong path on Debian) when
# no server runs; synthlearn starts jackd itself, and only when asked (--start-jack).
os.environ.setdefault("JACK_NO_START_SERVER", "1")
