"""What every learner offers, whatever it learns (gradient descent, rules, Q-tables).

Life cycle, as scikit-learn and Gymnasium do it: ``__init__`` stores parameters verbatim;
``reset(seed=...)`` validates them (a bad one is a :class:`UserError` a performer can read),
allocates the learned state and seeds the learner's own splitmix64 generator; then each call the
learner offers (``step()`` and the like) is one numba call that allocates nothing, so a piece may
call it from the audio thread. Learned attributes end in ``_``.

State for autosave and resume: ``STATE_NUMBERS`` (kept as float64, exact for integers below
2**53, bools and ints come back as such) and ``STATE_ARRAYS`` (their own dtypes) name what is
learned; ``state_layout``/``capture``/``restore`` move it through a snapshot record, bit for bit.

:class:`GradientLearner` adds what gradient descent has: a learning rate, a stopping loss, a new
target to learn, and the signals of the last step (loss, residual, gradient). Conformance:
``synthlearn.learners.checks.check_learner``.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from synthlearn.errors import UserError


class Learner:
    kind = "learner"
    STATE_NUMBERS: tuple[str, ...] = ()
    STATE_ARRAYS: tuple[str, ...] = ("_rng_state",)

    def __init__(self) -> None:
        self._keys: dict[str, tuple[tuple, tuple]] = {}  # prefix -> snapshot field names
        self._rng_state = np.zeros(1, np.uint64)  # splitmix64, seeded by reset()

    # -- life cycle -------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise UserError for a parameter out of range (subclasses check theirs)."""

    def _allocate(self) -> None:
        """Make the learned state's arrays for the current parameters."""

    def _start(self) -> None:
        """Begin learning from the freshly seeded generator (after ``_allocate``)."""

    def reset(self, *, seed: int = 0):
        """Validate the parameters, allocate the learned state and seed; returns self."""
        self.validate()
        self._allocate()
        self._rng_state[0] = np.uint64(int(seed) % (1 << 64))
        self._start()
        return self

    def warm(self) -> None:
        """Compile every kernel on a copy (same dtypes), leaving this learner as it was."""
        self._exercise(copy.deepcopy(self))

    def _exercise(self, twin) -> None:
        """Call each kernel the learner offers once, on ``twin``."""

    # -- state: what an autosave keeps ------------------------------------------------------
    def state_layout(self, prefix: str) -> dict[str, int | tuple[int, np.dtype]]:
        """Snapshot fields that hold this learner's state, named ``prefix_attr``."""
        numbers, arrays = self._state_keys(prefix)
        layout: dict[str, int | tuple[int, np.dtype]] = {key: 1 for _, key in numbers}
        for name, key in arrays:
            a = getattr(self, name)
            layout[key] = (a.size, a.dtype)
        return layout

    def _state_keys(self, prefix: str) -> tuple[tuple, tuple]:
        """((attr, field), ...) for the numbers and the arrays, made once per prefix: capture
        runs in the audio hook and must not build field names there."""
        keys = self._keys.get(prefix)
        if keys is None:
            keys = self._keys[prefix] = (
                tuple((name, _field(prefix, name)) for name in self.STATE_NUMBERS),
                tuple((name, _field(prefix, name)) for name in self.STATE_ARRAYS))
        return keys

    def capture(self, record: dict[str, np.ndarray], prefix: str) -> None:
        """Copy the state into ``record``'s fields (audio thread: allocates nothing)."""
        numbers, arrays = self._state_keys(prefix)
        for name, key in numbers:
            record[key][0] = getattr(self, name)
        for name, key in arrays:
            value = getattr(self, name)
            record[key][:] = value if value.ndim == 1 else value.reshape(-1)

    def captured(self, prefix: str) -> dict[str, np.ndarray]:
        """The state in a new record of :meth:`state_layout`'s fields (allocates: not for the
        audio thread; a save, a test)."""
        record = {key: np.zeros(*(v if isinstance(v, tuple) else (v, np.float64)))
                  for key, v in self.state_layout(prefix).items()}
        self.capture(record, prefix)
        return record

    def restore(self, record: dict[str, np.ndarray], prefix: str) -> None:
        """Take back a state written by :meth:`capture`, exactly."""
        numbers, arrays = self._state_keys(prefix)
        for name, key in numbers:
            value = float(np.asarray(record[key]).reshape(-1)[0])
            kind = type(getattr(self, name))
            setattr(self, name, bool(value) if kind is bool else
                    int(value) if kind is int else value)
        for name, key in arrays:
            target = getattr(self, name)
            source = np.asarray(record[key])
            if source.size != target.size:
                raise ValueError(f"{key}: {source.size} values saved, {target.size} expected")
            target[:] = source.reshape(target.shape).astype(target.dtype, copy=False)


DIVERGED_LOSS = 1e6  # far above any fresh target's loss (cubic and knot: below 10)


class GradientLearner(Learner):
    """A learner that fits parameters to a random target by gradient descent: ``new_target()``
    draws one, ``step()`` takes one step and returns the loss before it."""

    n_grad = 0
    STATE_NUMBERS = ("lr", "stop_loss", "loss_", "residual_", "mae_", "steps_", "converged_",
                     "targets_")
    STATE_ARRAYS = (*Learner.STATE_ARRAYS, "grad_")

    def rollout(self, seed: int, n: int) -> np.ndarray:
        """``reset(seed=seed)``, then ``n`` steps: the loss before each (n,), as the checks
        compare runs (:func:`synthlearn.learners.checks.check_learner`)."""
        self.reset(seed=seed)
        out = np.empty(n, np.float64)
        for i in range(n):
            out[i] = self.step()
        return out

    def __init__(self, *, lr: float, stop_loss: float):
        super().__init__()
        self.lr = lr
        self.stop_loss = stop_loss
        self.diverged = 0  # restarts after a divergence (not learned state: a count to report)

    def validate(self) -> None:
        positive(self, "lr")
        finite(self, "stop_loss")

    def _allocate(self) -> None:
        self.grad_ = np.zeros(self.n_grad, np.float64)
        self.loss_ = float("nan")
        self.residual_ = 0.0
        self.mae_ = 0.0
        self.steps_ = 0
        self.converged_ = False
        self.targets_ = 0  # targets drawn since reset

    def _start(self) -> None:
        self.targets_ = 0
        self.new_target()

    def new_target(self) -> None:
        """A new random target and a new random approximant; learning starts again."""
        self._new_target()
        self.targets_ += 1
        self.grad_[:] = 0.0
        self.loss_ = float("nan")
        self.residual_ = 0.0
        self.mae_ = 0.0
        self.steps_ = 0
        self.converged_ = False

    def step(self) -> float:
        """One gradient step (none once converged). Returns the loss before the step. A learner
        that diverges (a loss not finite or over ``DIVERGED_LOSS``: too large a rate) starts
        again on a new target, and :attr:`diverged` counts it."""
        if self.converged_:
            return self.loss_
        loss, resid, mae = self._step()
        if not loss <= DIVERGED_LOSS:  # NaN compares false too
            self.diverged += 1
            self.new_target()
            return self.loss_
        self.loss_ = loss
        self.residual_ = resid
        self.mae_ = mae
        self.steps_ += 1
        if loss < self.stop_loss:
            self.converged_ = True
            self.grad_[:] = 0.0  # a converged learner warps nothing
        return loss

    def _exercise(self, twin) -> None:
        twin.new_target()
        twin.step()

    def _new_target(self) -> None:
        raise NotImplementedError

    def _step(self) -> tuple[float, float, float]:
        raise NotImplementedError


# -- parameter checks a performer can read ------------------------------------------------------

def finite(learner, name: str) -> float:
    value = getattr(learner, name)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or \
            not math.isfinite(value):
        raise UserError(f"{learner.kind}: {name} {value!r} is not a finite number")
    return float(value)


def positive(learner, name: str) -> float:
    value = finite(learner, name)
    if value <= 0:
        raise UserError(f"{learner.kind}: {name} {value!r} must be above 0")
    return value


def whole(learner, name: str, low: int, high: int | None = None) -> int:
    value = getattr(learner, name)
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low or \
            (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f"at least {low}"
        raise UserError(f"{learner.kind}: {name} {value!r} must be a whole number, {span}")
    return int(value)


def _field(prefix: str, attr: str) -> str:
    """``cubic`` + ``theta_`` -> ``cubic_theta``; ``_rng_state`` -> ``cubic_rng_state``."""
    return f"{prefix}_{attr.strip('_')}"
