"""Learning a cubic f(x) = a·x³ + b·x² + c·x + d by plain gradient descent (piece ldd, part 1).

As in the original: target a, b, c, d and approximant θ drawn from U[-1, 1]; 100 sorted points
x ~ U[-1, 1] fixed per target; loss 0.5·mean squared error; lr 0.01; learning stops below 1e-3.
"""

from __future__ import annotations

import numpy as np

from synthlearn.learners import _kernels as K
from synthlearn.learners.base import GradientLearner, whole

MAX_POINTS = 100_000  # the fit's cost grows with the points: keep a step well under a block


class Cubic(GradientLearner):
    n_grad = 4
    kind = "cubic"
    STATE_ARRAYS = (*GradientLearner.STATE_ARRAYS, "target_", "theta_", "x_")

    def __init__(self, *, lr: float = 0.01, n_points: int = 100, stop_loss: float = 1e-3):
        super().__init__(lr=lr, stop_loss=stop_loss)
        self.n_points = n_points

    def validate(self) -> None:
        super().validate()
        whole(self, "n_points", 1, MAX_POINTS)

    def _allocate(self) -> None:
        super()._allocate()
        self.target_ = np.zeros(4, np.float64)
        self.theta_ = np.zeros(4, np.float64)
        self.x_ = np.zeros(self.n_points, np.float64)

    def _new_target(self) -> None:
        K.cubic_new_target(self._rng_state, self.target_, self.theta_, self.x_)
        self.x_.sort()  # in place, allocating nothing: the points in order, as drawn

    def _step(self) -> tuple[float, float, float]:
        return K.cubic_step(self.theta_, self.target_, self.x_, self.grad_, self.lr)

    def loss_at(self, theta: np.ndarray) -> float:
        """The loss at parameters ``theta`` (no step taken)."""
        g = np.zeros(4)
        return K.cubic_loss_grad(np.asarray(theta, np.float64), self.target_, self.x_, g)[0]

    def curves(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, target f(x), approximant f_θ(x)) for drawing."""
        p = np.polyval
        return self.x_, p(self.target_, self.x_), p(self.theta_, self.x_)
