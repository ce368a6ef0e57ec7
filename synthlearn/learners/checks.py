"""Conformance checks every learner passes (as Gymnasium's ``check_env`` and scikit-learn's
``check_estimator`` do): run over the registry by the tests, and by a new learner's author.

``check_learner(make)`` raises AssertionError naming what failed, for a callable that makes a
learner with default parameters.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from synthlearn.errors import UserError
from synthlearn.learners.base import GradientLearner, Learner

STEPS = 40


def _run(learner, steps: int = STEPS) -> list[float]:
    return [learner.step() for _ in range(steps)]


def check_learner(make) -> None:
    learner = make()
    assert isinstance(learner, Learner), f"{learner!r} is not a Learner"
    name = type(learner).__name__
    _check_parameters_stored_verbatim(make, name)
    _check_validation(make, name)
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


def _check_gradient_learner(make, name: str) -> None:
    a, b = make().reset(seed=5), make().reset(seed=5)
    la, lb = _run(a), _run(b)
    assert la == lb and np.array_equal(a.grad_, b.grad_), f"{name}: not deterministic"
    assert all(math.isfinite(x) for x in la) and np.all(np.isfinite(a.grad_)), \
        f"{name}: a loss or gradient is not finite"
    assert a.steps_ == STEPS or a.converged_, f"{name}: steps_ does not count the steps"
    c = make().reset(seed=6)
    assert _run(c, 5) != la[:5], f"{name}: the seed changes nothing"
    a.reset(seed=5)
    assert a.steps_ == 0 and not a.converged_ and a.targets_ == 1, f"{name}: reset is partial"
    assert _run(a) == la, f"{name}: reset(seed) does not start over"
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
