import numpy as np
import pytest

from synthlearn.learners.cubic import Cubic
from synthlearn.learners.lissajous import Lissajous

LEARNERS = [Cubic, Lissajous, lambda: Lissajous(min_freq=0)]


def check_learner(make):
    """Determinism, finiteness and reset semantics, for every learner."""
    a, b = make().reset(seed=5), make().reset(seed=5)
    la = [a.step() for _ in range(50)]
    lb = [b.step() for _ in range(50)]
    assert la == lb and np.array_equal(a.grad_, b.grad_)
    assert all(np.isfinite(la)) and np.all(np.isfinite(a.grad_))
    c = make().reset(seed=6)
    assert [c.step() for _ in range(5)] != la[:5]
    a.reset(seed=5)
    assert a.steps_ == 0 and not a.converged_
    assert [a.step() for _ in range(50)] == la
    a.new_target()
    assert a.steps_ == 0 and a.step() != la[0]


@pytest.mark.parametrize("make", LEARNERS)
def test_learner_conformance(make):
    check_learner(make)


def test_cubic_gradient_matches_finite_differences():
    for seed in range(5):
        c = Cubic().reset(seed=seed)
        theta = c.theta_.copy()
        c.step()  # grad_ is the gradient at theta (before the step)
        eps = 1e-6
        for j in range(4):
            e = np.zeros(4)
            e[j] = eps
            fd = (c.loss_at(theta + e) - c.loss_at(theta - e)) / (2 * eps)
            assert c.grad_[j] == pytest.approx(fd, rel=1e-6, abs=1e-9)
        np.testing.assert_allclose(c.theta_, theta - 0.01 * c.grad_)


def test_knot_gradient_matches_finite_differences_on_the_minibatch():
    for seed in range(5):
        k = Lissajous().reset(seed=seed)
        phase = k.phase_.copy()
        k.step()
        batch = k._batch.copy()
        eps = 1e-6
        for j in range(3):
            e = np.zeros(3)
            e[j] = eps
            fd = (k.loss_at(phase + e, batch) - k.loss_at(phase - e, batch)) / (2 * eps)
            assert k.grad_[j] == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_cubic_converges_like_the_original_over_200_seeds():
    steps, in_tune = [], []
    for seed in range(200):
        c = Cubic().reset(seed=seed)
        last_out = 0
        while not c.converged_ and c.steps_ < 50_000:
            c.step()
            if abs(1200 * np.log2(1 + 0.05 * c.residual_)) > 10:  # faithful detune
                last_out = c.steps_
        steps.append(c.steps_)
        in_tune.append(last_out)
    # the original: median ~3,700 steps to 1e-3; within 10 cents after ~144 steps
    assert 3000 <= np.median(steps) <= 4400
    assert 110 <= np.median(in_tune) <= 180


def test_knot_converges_like_the_original_over_200_seeds():
    steps = []
    for seed in range(200):
        k = Lissajous(min_freq=0).reset(seed=seed)  # faithful: frequencies 0..8
        while not k.converged_ and k.steps_ < 100_000:
            k.step()
        steps.append(k.steps_)
    assert 400 <= np.median(steps) <= 580  # the original: ~480


def test_converged_learner_stops_and_zeroes_its_gradient():
    c = Cubic(stop_loss=1e9).reset(seed=1)
    c.step()
    theta = c.theta_.copy()
    assert c.converged_ and not c.grad_.any()
    c.step()
    assert c.steps_ == 1 and np.array_equal(c.theta_, theta)


def test_default_knots_are_never_flat():
    for seed in range(100):
        k = Lissajous().reset(seed=seed)
        assert k.freq_.min() >= 1
