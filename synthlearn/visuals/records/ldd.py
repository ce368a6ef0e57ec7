"""The record piece ``ldd`` publishes every block it changes something, declared once: the
piece (``synthlearn.pieces.ldd``) fills it, its scene (``synthlearn.visuals.scenes.ldd``) and
the autosave read it, and the frame bench and the tests draw :func:`example` records. Pure
(numpy and the learners).

Besides the fields below it holds both learners' whole state (``cubic_theta``, ``knot_phase``,
their generators, ...: ``Learner.state_layout``).
"""

from __future__ import annotations

from synthlearn.learners.cubic import Cubic
from synthlearn.learners.lissajous import Lissajous
from synthlearn.snapshot import Snapshot, published_with

FIELDS = dict(
    time_s=1,  # audio time of the record
    part=1, faithful=1, signal=1, gain=1,  # the piece's settings (signal: mappings.SIGNALS)
    grad=4, loss=1,  # the current learner's last step (the knot fills 3 of the 4)
    bubbles_added=1, bubbles_cleared=1,  # counters the scene turns into bubbles
    split=1,  # the frame bench's stress case: the RGB split forced on (the piece leaves 0)
)
SETTINGS = ("part", "faithful", "signal", "gain")  # kept by an autosave, with the learners


def layout(cubic: Cubic | None = None, knot: Lissajous | None = None) -> dict:
    """Every field and its size (or (size, dtype)), for these learners' parameters."""
    cubic = cubic if cubic is not None else Cubic().reset()
    knot = knot if knot is not None else Lissajous().reset()
    return {**FIELDS, **cubic.state_layout("cubic"), **knot.state_layout("knot")}


def example(part: int = 1, *, seed: int = 1, **values) -> dict:
    """A record as the scene reads it (``Snapshot.read``: size-1 floats as numbers), with
    learners drawn from ``seed`` that have taken a few steps, gradients of 0.05, and
    ``values`` over that."""
    cubic, knot = Cubic().reset(seed=seed), Lissajous().reset(seed=seed + 1)
    for _ in range(3):
        cubic.step()
        knot.step()
    snapshot = Snapshot(**layout(cubic, knot))
    record = snapshot.back()
    cubic.capture(record, "cubic")
    knot.capture(record, "knot")
    record["part"][0] = part
    record["grad"][:] = 0.05
    record["loss"][0] = cubic.loss_
    record["bubbles_added"][0] = 1.0
    return published_with(snapshot, values, "ldd")
