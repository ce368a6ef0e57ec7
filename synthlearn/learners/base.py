"""What every learner offers: parameters in ``__init__``, state from ``reset(seed=...)``, one
numba call per ``step()``, and the signals of the last step as attributes ending in ``_``."""

from __future__ import annotations

import numpy as np


class Learner:
    n_grad = 0

    def __init__(self, *, lr: float, stop_loss: float):
        self.lr = lr
        self.stop_loss = stop_loss
        self.grad_ = np.zeros(self.n_grad, np.float64)
        self.loss_ = float("nan")
        self.residual_ = 0.0
        self.steps_ = 0
        self.converged_ = False
        self._rng: np.random.Generator | None = None

    def reset(self, *, seed: int | None = None):
        """Seed the learner and draw a first target and approximant."""
        self._rng = np.random.default_rng(seed)
        self.new_target()
        return self

    def new_target(self) -> None:
        raise NotImplementedError

    def _fresh(self) -> None:
        self.grad_[:] = 0.0
        self.loss_ = float("nan")
        self.residual_ = 0.0
        self.steps_ = 0
        self.converged_ = False

    def step(self) -> float:
        """One gradient step (none once converged). Returns the loss before the step."""
        if self.converged_:
            return self.loss_
        loss, resid = self._step()
        self.loss_ = loss
        self.residual_ = resid
        self.steps_ += 1
        if loss < self.stop_loss:
            self.converged_ = True
            self.grad_[:] = 0.0  # a converged learner warps nothing
        return loss

    def _step(self) -> tuple[float, float]:
        raise NotImplementedError
