"""Learning the phases of a Lissajous knot by minibatch gradient descent (piece ldd, part 2).

g(t) = ⟨cos(nx·t + a), cos(ny·t + b), cos(nz·t + c)⟩ with integer frequencies (the original draws
them from 0..8, which can make a flat knot; our default draws 1..8); target and learned phases
~ U[0, 1]; t from 0 to 100 in steps of 0.1; 64 points with replacement each step; loss
mean 0.5·(dx² + dy² + dz²); lr 0.025; learning stops below 1e-6.
"""

from __future__ import annotations

import numpy as np

from synthlearn.errors import UserError
from synthlearn.learners import _kernels as K
from synthlearn.learners.base import GradientLearner, positive, whole

MAX_FREQ = 64  # integer knot frequencies up to this
MAX_SAMPLES = 1_000_000  # t samples (t_max / t_step) and minibatch size


class Lissajous(GradientLearner):
    n_grad = 3
    kind = "knot"
    STATE_NUMBERS = (*GradientLearner.STATE_NUMBERS, "min_freq", "max_freq")
    STATE_ARRAYS = (*GradientLearner.STATE_ARRAYS, "freq_", "target_", "phase_")

    def __init__(self, *, lr: float = 0.025, batch: int = 64, stop_loss: float = 1e-6,
                 min_freq: int = 1, max_freq: int = 8, t_step: float = 0.1, t_max: float = 100.0):
        super().__init__(lr=lr, stop_loss=stop_loss)
        self.batch = batch
        self.min_freq, self.max_freq = min_freq, max_freq
        self.t_step, self.t_max = t_step, t_max

    def validate(self) -> None:
        super().validate()
        whole(self, "batch", 1, MAX_SAMPLES)
        low = whole(self, "min_freq", 0, MAX_FREQ)
        if whole(self, "max_freq", 0, MAX_FREQ) < low:
            raise UserError(f"knot: max_freq {self.max_freq} is below min_freq {low}")
        step, end = positive(self, "t_step"), positive(self, "t_max")
        if not 1 <= end / step <= MAX_SAMPLES:
            raise UserError(f"knot: t from 0 to {end:g} in steps of {step:g} must give 1 to "
                            f"{MAX_SAMPLES} samples")

    def _allocate(self) -> None:
        super()._allocate()
        self.t_ = np.arange(0.0, self.t_max, self.t_step)
        self.freq_ = np.zeros(3, np.float64)
        self.target_ = np.zeros(3, np.float64)
        self.phase_ = np.zeros(3, np.float64)
        self._batch = np.zeros(self.batch, np.int64)

    def _new_target(self) -> None:
        K.knot_new_target(self._rng_state, self.freq_, self.target_, self.phase_,
                          self.min_freq, self.max_freq)

    def _step(self) -> tuple[float, float, float]:
        return K.knot_step(self.phase_, self.target_, self.freq_, self.t_, self._batch,
                           self.grad_, self.lr, self._rng_state)

    def loss_at(self, phase: np.ndarray, batch: np.ndarray | None = None) -> float:
        """Loss at ``phase`` over ``batch`` indices (default: every t)."""
        idx = np.arange(self.t_.size) if batch is None else np.asarray(batch, np.int64)
        g = np.zeros(3)
        return K.knot_loss_grad(np.asarray(phase, np.float64), self.target_, self.freq_,
                                self.t_, idx, g)[0]

    def curve(self, phase: np.ndarray, samples: int = 4000) -> np.ndarray:
        """Points (samples, 3) of the knot with ``phase``, finer than one per t sample."""
        t = np.linspace(0.0, 2 * np.pi, samples)
        return np.cos(self.freq_[None, :] * t[:, None] + np.asarray(phase)[None, :])
