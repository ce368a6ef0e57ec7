import numpy as np
import pytest

from synthlearn.dsp.limiter import Limiter

SR = 48000


def run(lim, x, block=64):
    y = np.zeros_like(x)
    for b in range(0, x.shape[1], block):
        lim.process(x[0, b:b + block], x[1, b:b + block], y[0, b:b + block], y[1, b:b + block])
    return y


@pytest.mark.parametrize("scale", [2.0, 30.0, 1000.0])
def test_never_exceeds_ceiling(scale):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((2, SR)) * scale).astype(np.float32)
    x[:, 1000] = scale * 50  # a lone spike
    y = run(Limiter(SR), x)
    assert np.abs(y).max() <= 10 ** (-1 / 20)


def test_transparent_below_threshold_apart_from_its_delay():
    rng = np.random.default_rng(2)
    x = (rng.uniform(-0.8, 0.8, (2, SR))).astype(np.float32)
    lim = Limiter(SR)
    y = run(lim, x)
    d = lim.latency_samples
    np.testing.assert_array_equal(y[:, d:], x[:, :-d])


def test_gain_ramps_smoothly_and_recovers():
    t = np.arange(2 * SR) / SR
    x = np.tile(0.5 * np.sin(2 * np.pi * 100 * t), (2, 1)).astype(np.float32)
    x[:, SR // 4: SR // 2] *= 4  # a loud passage
    lim = Limiter(SR)
    y = run(lim, x)
    gain = np.abs(y[0, lim.latency_samples:]) / np.maximum(np.abs(x[0, :-lim.latency_samples]),
                                                           1e-6)
    loud = slice(SR // 4 + 200, SR // 2 - 200)
    assert np.all(gain[loud][np.abs(x[0, loud]) > 0.5] < 1.0)
    # gain never jumps by more than a small step between samples where the signal is audible
    audible = np.abs(x[0, :-lim.latency_samples]) > 0.1
    steps = np.abs(np.diff(gain))[audible[1:] & audible[:-1]]
    assert steps.max() < 0.05
    # and a second after the loud passage (release time constant 80 ms) it is back to unity
    back = slice(SR // 2 + SR, None)
    np.testing.assert_allclose(gain[back][audible[back]], 1.0, atol=1e-4)


def test_nan_input_is_silenced_and_the_signal_beside_it_goes_on():
    x = np.full((2, 256), np.nan, np.float32)
    x[1, :128] = 0.3
    lim = Limiter(SR)
    y = run(lim, x)
    assert np.all(np.isfinite(y))
    d = lim.latency_samples
    assert not y[0].any()  # the NaN channel is silence
    np.testing.assert_allclose(y[1, d:128 + d], 0.3, rtol=1e-6)  # the other one, untouched
    assert not y[1, 128 + d:].any()
