"""synthlearn: a live-performance instrument in which the training of small learners is the music.

Importing the package is cheap and loads none of pyo, pygame or rtmidi: those live in
``synthlearn.audio``, ``synthlearn.visuals`` and ``synthlearn.midi`` and load on first use.
"""

__version__ = "0.1.0"

from synthlearn.errors import SynthlearnError, UserError

__all__ = ["SynthlearnError", "UserError", "__version__", "render_array"]


def render_array(piece, events=(), **options):
    """``seconds`` of a piece over events, notes or command lines as a float32 (n, 2) array:
    ``synthlearn.render_array("ldd", notes=[(0.0, 60, 100, 1.5)], seconds=2.0)``. See
    :func:`synthlearn.runtime.offline.render_array` (imported here on first use: pyo loads
    then, not with the package)."""
    from synthlearn.runtime.offline import render_array as render

    return render(piece, events, **options)
