"""Conformance checks every learner passes (as Gymnasium's ``check_env`` and scikit-learn's
``check_estimator`` do): run over the registry by the tests, and by a new learner's author.

``check_learner(make)`` raises AssertionError naming what failed, for a callable that makes a
learner with default parameters: parameters stored verbatim and validated at reset; for every
learner, determinism and reset through the run it offers (``rollout(seed, n)``: reset with that
seed, then ``n`` of its steps, their signals returned as an array: the same seed gives the same
bytes and the same state, another seed others, and a learner that learned starts over); for
gradient learners, their counts, targets and gradients; state that round-trips; a warm that
changes nothing.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from synthlearn.errors import UserError
from synthlearn.learners.base import GradientLearner, Learner

STEPS = 40
# Learners whose rollout(seed, n) is still to come (issue 20): each is checked for determinism
# and reset the day it offers one, and must then leave this set, which may only shrink.
ROLLOUT_PENDING: set[str] = set()  # learners without rollout(seed, n) yet: may only shrink


def _run(learner, steps: int = STEPS) -> list[float]:
    return [learner.step() for _ in range(steps)]


def check_learner(make) -> None:
    learner = make()
    assert isinstance(learner, Learner), f"{learner!r} is not a Learner"
    name = type(learner).__name__
    _check_parameters_stored_verbatim(make, name)
    _check_validation(make, name)
    _check_rollout(make, name)
    if isinstance(learner, GradientLearner):
        _check_gradient_learner(make, name)
    _check_state_round_trip(make, name)
    _check_warm_leaves_it_as_it_was(make, name)


def _check_parameters_stored_verbatim(make, name: str) -> None:
    learner = make()
    for param in inspect.signature(type(learner).__init__).parameters.values():
        if param.kind is param.KEYWORD_ONLY:
            assert hasattr(learner, param.name), f"{name}: {param.name} is not stored"
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(learner)), \
        f"{name}: __init__ made learned state (attributes ending in _) before reset"


def _check_validation(make, name: str) -> None:
    """Every float parameter refuses NaN and infinity with a UserError, at reset."""
    cls = type(make())
    for param in inspect.signature(cls.__init__).parameters.values():
        if param.kind is not param.KEYWORD_ONLY or not isinstance(param.default, float):
            continue
        for bad in (math.nan, math.inf):
            learner = make()
            setattr(learner, param.name, bad)
            try:
                learner.reset(seed=1)
            except UserError as exc:
                assert param.name in str(exc), f"{name}: the error for {param.name} does " \
                                               f"not name it: {exc}"
            else:
                raise AssertionError(f"{name}: {param.name}={bad} was accepted")


def _rolled(learner, seed: int, n: int) -> tuple[np.ndarray, dict]:
    """``learner.rollout(seed, n)`` and the state it leaves."""
    out = np.asarray(learner.rollout(seed, n))
    assert out.shape[:1] == (n,), f"rollout({seed}, {n}) gave shape {out.shape}, not ({n}, ...)"
    return out, learner.captured("x")


def _same(a, b) -> bool:
    """Equal bit for bit: arrays, or dicts of arrays."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _check_rollout(make, name: str) -> None:
    """Determinism and reset, whatever the learner learns: two learners rolled out from one
    seed give the same signals and state, bit for bit; another seed gives others; a learner
    that learned, rolled out again from the first seed, starts over."""
    learner = make()
    cls = type(learner).__name__
    if not callable(getattr(learner, "rollout", None)):
        assert cls in ROLLOUT_PENDING, f"{name}: offers no rollout(seed, n)"
        return
    assert cls not in ROLLOUT_PENDING, f"{name}: it offers rollout: drop it from ROLLOUT_PENDING"
    out, state = _rolled(learner, 5, STEPS)
    twin, twin_state = _rolled(make(), 5, STEPS)
    assert _same(out, twin) and _same(state, twin_state), f"{name}: not deterministic"
    assert out.dtype.kind not in "fc" or np.all(np.isfinite(out)), \
        f"{name}: a signal is not finite"
    assert not _same(_rolled(make(), 6, STEPS)[0], out), f"{name}: the seed changes nothing"
    learner.rollout(7, STEPS)  # it learns something else
    again, again_state = _rolled(learner, 5, STEPS)
    assert _same(again, out) and _same(again_state, state), \
        f"{name}: reset(seed) does not start over"


def _check_gradient_learner(make, name: str) -> None:
    """What gradient descent adds: the gradient, the step count, targets (determinism and
    reset in general: :func:`_check_rollout`)."""
    a, b = make().reset(seed=5), make().reset(seed=5)
    la, lb = _run(a), _run(b)
    assert la == lb and np.array_equal(a.grad_, b.grad_), f"{name}: not deterministic"
    assert all(math.isfinite(x) for x in la) and np.all(np.isfinite(a.grad_)), \
        f"{name}: a loss or gradient is not finite"
    assert a.steps_ == STEPS or a.converged_, f"{name}: steps_ does not count the steps"
    a.reset(seed=5)
    assert a.steps_ == 0 and not a.converged_ and a.targets_ == 1, f"{name}: reset is partial"
    a.new_target()
    assert a.steps_ == 0 and a.targets_ == 2 and a.step() != la[0], \
        f"{name}: new_target() does not start a new target"


def _check_state_round_trip(make, name: str) -> None:
    """Captured into a record and restored into a fresh learner, it goes on identically."""
    a = make().reset(seed=9)
    if isinstance(a, GradientLearner):
        _run(a, 7)
    record = a.captured("x")
    b = make().reset(seed=1234)
    b.restore(record, "x")
    for k in record:
        again = {k: np.zeros_like(v) for k, v in record.items()}
        b.capture(again, "x")
        assert again[k].tobytes() == record[k].tobytes(), f"{name}: {k} does not round-trip"
    if isinstance(a, GradientLearner):
        assert _run(a, 5) == _run(b, 5), f"{name}: a restored learner goes on differently"


def _check_warm_leaves_it_as_it_was(make, name: str) -> None:
    a, b = make().reset(seed=3), make().reset(seed=3)
    a.warm()
    if isinstance(a, GradientLearner):
        assert _run(a, 5) == _run(b, 5), f"{name}: warm() changed the learner"
