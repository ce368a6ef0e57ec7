"""The audio engine: the only place a pyo Server is created (see engine.py)."""

import os

# pyo prints a notice about wxPython on import unless told not to.
os.environ.setdefault("PYO_GUI_WX", "0")
