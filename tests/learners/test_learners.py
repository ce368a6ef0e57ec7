import numpy as np
import pytest

from synthlearn.errors import UserError
from synthlearn.learners import registry
from synthlearn.learners.base import GradientLearner
from synthlearn.learners.checks import check_learner
from synthlearn.learners.cubic import Cubic
from synthlearn.learners.lissajous import Lissajous


@pytest.mark.parametrize("name", sorted(registry()))
def test_every_registered_learner_passes_the_checks(name):
    check_learner(registry()[name])


def test_the_checks_catch_a_learner_that_breaks_them():
    class Forgetful(Cubic):  # reset does not start over: its generator is never seeded
        def reset(self, *, seed=0):
            return super().reset(seed=0)

    with pytest.raises(AssertionError, match="the seed changes nothing"):
        check_learner(Forgetful)

    class Lax(Cubic):  # takes any learning rate
        def validate(self):
            pass

    with pytest.raises(AssertionError, match="lr=nan was accepted"):
        check_learner(Lax)


@pytest.mark.parametrize("make, says", [
    (lambda: Lissajous(min_freq=5, max_freq=2), "knot: max_freq 2 is below min_freq 5"),
    (lambda: Cubic(n_points=0), "cubic: n_points 0 must be a whole number"),
    (lambda: Cubic(lr=-0.1), "cubic: lr -0.1 must be above 0"),
    (lambda: Cubic(stop_loss=float("nan")), "cubic: stop_loss nan is not a finite number"),
    (lambda: Lissajous(t_step=0.0), "knot: t_step 0.0 must be above 0"),
    (lambda: Lissajous(batch=2.5), "knot: batch 2.5 must be a whole number"),
    (lambda: Lissajous(t_step=1e-9), "must give 1 to"),
])
def test_bad_parameters_are_refused_in_words_a_performer_reads(make, says):
    learner = make()  # __init__ only stores them
    with pytest.raises(UserError, match=says):
        learner.reset(seed=1)


def _cubic_loss(theta, target, x):
    """0.5 * mean squared error of the two cubics at x: numpy, independent of the kernel."""
    return 0.5 * np.mean((np.polyval(theta, x) - np.polyval(target, x)) ** 2)


def _knot_loss(phase, target, freq, t):
    d = np.cos(freq[None, :] * t[:, None] + phase) - np.cos(freq[None, :] * t[:, None] + target)
    return 0.5 * np.mean(np.sum(d * d, axis=1))


def _finite_difference(loss, params, eps=1e-6):
    out = np.zeros_like(params)
    for j in range(params.size):
        e = np.zeros_like(params)
        e[j] = eps
        out[j] = (loss(params + e) - loss(params - e)) / (2 * eps)
    return out


def test_cubic_gradient_matches_finite_differences_of_an_independent_loss():
    for seed in range(5):
        c = Cubic().reset(seed=seed)
        theta = c.theta_.copy()
        loss = c.step()  # grad_ is the gradient at theta (before the step)
        assert loss == pytest.approx(_cubic_loss(theta, c.target_, c.x_), rel=1e-12)
        fd = _finite_difference(lambda th, c=c: _cubic_loss(th, c.target_, c.x_), theta)
        np.testing.assert_allclose(c.grad_, fd, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(c.theta_, theta - 0.01 * c.grad_)


def test_knot_gradient_matches_finite_differences_of_an_independent_loss_on_the_minibatch():
    for seed in range(5):
        k = Lissajous().reset(seed=seed)
        phase = k.phase_.copy()
        loss = k.step()
        t = k.t_[k._batch]  # the minibatch this step drew
        assert loss == pytest.approx(_knot_loss(phase, k.target_, k.freq_, t), rel=1e-12)
        fd = _finite_difference(lambda ph, k=k, t=t: _knot_loss(ph, k.target_, k.freq_, t),
                                phase)
        np.testing.assert_allclose(k.grad_, fd, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(k.phase_, phase - 0.025 * k.grad_)


def test_every_learner_shares_one_base_and_the_gradient_ones_another():
    from synthlearn.learners.base import Learner

    made = {name: make() for name, make in registry().items()}
    assert all(isinstance(learner, Learner) for learner in made.values())
    assert {n for n, learner in made.items() if isinstance(learner, GradientLearner)} == {
        "cubic", "knot", "knot-faithful"}


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


# -- determinism and reset for every learner, through the rollout each offers (issue 20) --------

def test_a_learner_without_a_rollout_is_caught():
    from synthlearn.learners.base import Learner

    class Bare(Learner):
        kind = "bare"

    with pytest.raises(AssertionError, match=r"Bare: offers no rollout\(seed, n\)"):
        check_learner(Bare)


def test_the_learners_pending_a_rollout_are_registered_ones_and_may_only_shrink():
    from synthlearn.learners.checks import ROLLOUT_PENDING

    made = {type(make()).__name__: make() for make in registry().values()}
    assert ROLLOUT_PENDING <= set(made)
    assert not any(callable(getattr(made[n], "rollout", None)) for n in ROLLOUT_PENDING)


def test_a_rollout_that_is_not_deterministic_is_caught():
    class Jittery(Cubic):
        def rollout(self, seed, n):
            return super().rollout(seed, n) + np.random.default_rng().random(n)

    with pytest.raises(AssertionError, match="Jittery: not deterministic"):
        check_learner(Jittery)


def test_a_rollout_that_does_not_start_over_is_caught():
    class Sticky(Cubic):  # only its first rollout resets: later ones go on learning
        def rollout(self, seed, n):
            if not getattr(self, "_rolled", False):
                self._rolled = True
                return super().rollout(seed, n)
            return np.array([self.step() for _ in range(n)])

    with pytest.raises(AssertionError, match=r"Sticky: reset\(seed\) does not start over"):
        check_learner(Sticky)


@pytest.mark.parametrize("make", [Cubic, Lissajous])
def test_a_rollout_is_reset_then_steps(make):
    a, b = make(), make().reset(seed=3)
    assert np.array_equal(a.rollout(3, 5), [b.step() for _ in range(5)])
