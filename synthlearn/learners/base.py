"""What every learner offers: parameters in ``__init__``, state from ``reset(seed=...)``, one
numba call per ``step()`` and per ``new_target()``, and the signals of the last step as
attributes ending in ``_``. Nothing here allocates after ``__init__``, so a piece may call
``step`` and ``new_target`` from the audio thread."""

from __future__ import annotations

import copy

import numpy as np


class Learner:
    n_grad = 0
    kind = "learner"
    # Everything learned, for autosave and resume: numbers set by __init__, commands or steps,
    # and the arrays (subclasses add theirs). Stored as float64 numbers (exact: integers stay
    # below 2**53) and arrays of their own dtype.
    STATE_NUMBERS = ("lr", "stop_loss", "loss_", "residual_", "mae_", "steps_", "converged_",
                     "targets_")
    STATE_ARRAYS: tuple[str, ...] = ("grad_", "_rng_state")

    def __init__(self, *, lr: float, stop_loss: float):
        self.lr = lr
        self.stop_loss = stop_loss
        self.grad_ = np.zeros(self.n_grad, np.float64)
        self.loss_ = float("nan")
        self.residual_ = 0.0
        self.mae_ = 0.0
        self.steps_ = 0
        self.converged_ = False
        self.targets_ = 0  # targets drawn since reset
        self._rng_state = np.zeros(1, np.uint64)  # splitmix64: targets and minibatches
        self._keys: dict[str, tuple[tuple, tuple]] = {}  # prefix -> snapshot field names

    def reset(self, *, seed: int = 0):
        """Seed the learner and draw a first target and approximant."""
        self._rng_state[0] = np.uint64(seed % (1 << 64))
        self.targets_ = 0
        self.new_target()
        return self

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
        """One gradient step (none once converged). Returns the loss before the step."""
        if self.converged_:
            return self.loss_
        loss, resid, mae = self._step()
        self.loss_ = loss
        self.residual_ = resid
        self.mae_ = mae
        self.steps_ += 1
        if loss < self.stop_loss:
            self.converged_ = True
            self.grad_[:] = 0.0  # a converged learner warps nothing
        return loss

    def warm(self) -> None:
        """Compile both kernels on a copy (same dtypes), leaving this learner as it was."""
        twin = copy.deepcopy(self)
        twin.new_target()
        twin.step()

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
            record[key][:] = getattr(self, name)

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

    def _new_target(self) -> None:
        raise NotImplementedError

    def _step(self) -> tuple[float, float, float]:
        raise NotImplementedError


def _field(prefix: str, attr: str) -> str:
    """``cubic`` + ``theta_`` -> ``cubic_theta``; ``_rng_state`` -> ``cubic_rng_state``."""
    return f"{prefix}_{attr.strip('_')}"
