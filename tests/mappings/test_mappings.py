import numpy as np
import pytest

from synthlearn.learners.cubic import Cubic
from synthlearn.learners.lissajous import Lissajous
from synthlearn.mappings import detune as M


@pytest.mark.parametrize("signal", ["loss", "mae"])
def test_loss_and_mae_start_a_typical_fresh_target_near_50_cents(signal):
    for make in (Cubic, Lissajous):
        cents = []
        for s in range(300, 700):  # seeds other than those the gains were measured on
            learner = make().reset(seed=s)
            learner.step()
            cents.append(M.ratio_to_cents(M.detune(signal, learner)))
        assert np.median(cents) == pytest.approx(50, abs=8)


def test_no_detune_before_the_first_step_and_little_once_converged():
    c = Cubic().reset(seed=3)
    assert M.detune("loss", c) == 1.0
    while not c.converged_:
        c.step()
    for signal in M.SIGNALS:
        assert abs(M.ratio_to_cents(M.detune(signal, c))) < 5


def test_detune_is_capped_at_200_cents_whatever_the_signal():
    for value in (1e9, -1e9, np.inf, -np.inf, np.nan, 40.0, -40.0):
        for f in (M.loss_detune, M.residual_detune, M.mae_detune):
            for name in ("cubic", "knot"):
                c = M.ratio_to_cents(f(value, name))
                assert -200 - 1e-9 <= c <= 200 + 1e-9


def test_residual_mode_is_the_originals_mapping():
    assert M.residual_detune(0.1, "cubic") == pytest.approx(1 + 0.05 * 0.1)
    assert M.residual_detune(-0.02, "knot") == pytest.approx(0.98)
    assert M.loss_detune(0.0, "cubic") == 1.0


def test_warp_mappings_are_bounded_and_nan_moves_nothing():
    from synthlearn.mappings.warp import clipped_gradient, split_shift_px

    grads = np.array([-2.0, -0.05, 0.0, 0.03, 5.0])
    np.testing.assert_array_equal([split_shift_px(g, 100.0, 160.0) for g in grads],
                                  np.clip(grads * 100.0, -160.0, 160.0))
    assert split_shift_px(float("nan"), 100.0, 160.0) == 0.0
    assert split_shift_px(float("inf"), 100.0, 160.0) == 160.0
    assert split_shift_px(float("-inf"), 100.0, 160.0) == -160.0
    np.testing.assert_array_equal([clipped_gradient(g, 0.1) for g in grads],
                                  np.clip(grads, -0.1, 0.1))
    assert clipped_gradient(float("nan"), 0.1) == 0.0
