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

    def _new_target(self) -> None:
        raise NotImplementedError

    def _step(self) -> tuple[float, float, float]:
        raise NotImplementedError
