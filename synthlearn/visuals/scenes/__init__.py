"""What each piece looks like: a scene draws a piece's published record into an (H, W, 3)
uint8 frame (``ldd``: fits, knots and warped video; ``ruler``: the rules' boxes and the presets
sounding; ``partials``: the sounding partials).

The protocol, one for every piece:

- **A record** is a dict of named numbers and arrays, as :meth:`synthlearn.snapshot.Snapshot.read`
  returns it (size-1 float64 fields as floats). Its layout is declared once, in
  ``synthlearn.visuals.records.<piece>`` (``layout``, and ``example`` records for tests and
  benchmarks), below the pieces, so that the piece that writes it and the scene that reads it
  both import it.
- **The piece publishes** its record, double-buffered (:class:`~synthlearn.snapshot.Snapshot`;
  a :class:`~synthlearn.snapshot.Board` when its sizes change), in the thread where what it
  shows changes: the audio hook at the end of a block (ldd), the main thread or the worker
  (ruler). A reader always copies one whole record; the writer never waits.
- **A scene** is ``draw(record) -> frame`` (the frame may be the scene's own buffer, valid
  until the next draw), ``warm()`` (compile and run every drawing kernel on throwaway state,
  leaving the scene as new) and ``close()``. It never holds the piece nor reads its live state:
  what it keeps between frames (trails, bubbles, a scroll) is its own.
- **The view**: ``Piece.scene(engine, width, height, fps, source)`` returns a
  :class:`SnapshotView` of the piece's published record and its scene, whose ``draw()`` (no
  argument) draws the record published last: what the window and the renderer call, from any
  thread.
"""

from __future__ import annotations

import numpy as np


class SnapshotView:
    """Draws the record ``published`` holds now (a Snapshot, a Board: anything with
    ``read()``) with ``scene``: the offline renderer and the window call ``draw()``."""

    def __init__(self, published, scene):
        self.published = published
        self.scene = scene

    def warm(self) -> None:
        self.scene.warm()

    def draw(self) -> np.ndarray:
        return self.scene.draw(self.published.read())

    def close(self) -> None:
        self.scene.close()
