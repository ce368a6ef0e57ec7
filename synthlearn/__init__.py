"""synthlearn: a live-performance instrument in which the training of small learners is the music.

Importing the package is cheap and loads none of pyo, pygame or rtmidi: those live in
``synthlearn.audio``, ``synthlearn.visuals`` and ``synthlearn.midi`` and load on first use.
"""

__version__ = "0.1.0"

from synthlearn.errors import SynthlearnError, UserError

__all__ = ["SynthlearnError", "UserError", "__version__"]
