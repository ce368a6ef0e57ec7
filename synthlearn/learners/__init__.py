"""Learners: pure numpy + numba (no pyo, pygame or rtmidi), every one registered here and held
to the same checks (``synthlearn.learners.checks.check_learner``)."""

from __future__ import annotations


def registry() -> dict:
    """Name -> a callable making a learner with default parameters (imported on demand)."""
    from synthlearn.learners.cubic import Cubic
    from synthlearn.learners.lissajous import Lissajous
    from synthlearn.learners.qlearning import QMelody
    from synthlearn.learners.ruler import RuLer

    return {"cubic": Cubic, "knot": Lissajous,
            "knot-faithful": lambda: Lissajous(min_freq=0),  # the original's 0..8 frequencies
            "ruler": RuLer, "qmelody": QMelody,
            "qmelody-faithful": lambda: QMelody(faithful=True)}
