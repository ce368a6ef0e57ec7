import math

import numpy as np
import pytest

from synthlearn.dsp.limiter import Limiter
from synthlearn.dsp.truepeak import TAPS_PER_SIDE, TruePeakError, true_peak, true_peak_dbtp

SR = 48000
CEILING = 10 ** (-1 / 20)


def run(lim, x, block=64):
    y = np.zeros_like(x)
    for b in range(0, x.shape[1], block):
        lim.process(x[0, b:b + block], x[1, b:b + block], y[0, b:b + block], y[1, b:b + block])
    return y


def run_whole(lim, x):
    """``x`` (2, n) through ``lim`` and on until all of it came out (the true peak of a signal
    cut off while loud is the cut's own, not the limiter's)."""
    tail = np.zeros((2, lim.latency_samples + 4 * TAPS_PER_SIDE), x.dtype)
    return run(lim, np.concatenate([x, tail], axis=1))


def quarter_rate_sine(n, amp):
    """A sine at a quarter of the sample rate, sampled 45 degrees off its crests (every sample
    3 dB under its peak), faded in and out over 2,000 samples."""
    i = np.arange(n)
    fade = np.minimum(1.0, np.minimum(i, i[::-1]) / 2000)
    return amp * np.cos(np.pi * i / 2 + np.pi / 4) * fade


def partials(sr, n, rng, notes, onsets, durs, top_hz=12000.0):
    """Notes of 8 equal harmonics (those under ``top_hz``), random phases and pans, a 1 ms
    attack: (2, n) float64."""
    x = np.zeros((2, n))
    attack = round(0.001 * sr)
    for note, on, dur in zip(notes, onsets, durs, strict=True):
        f0 = 440.0 * 2 ** ((note - 69) / 12)
        seg = np.arange(min(dur, n - on)) / sr
        s = sum(np.sin(2 * np.pi * f0 * k * seg + rng.uniform(0, 2 * np.pi))
                for k in range(1, 9) if f0 * k < top_hz)
        s = s * np.minimum(1.0, np.arange(len(seg)) / attack)
        pan = rng.uniform(0, np.pi / 2)
        x[0, on:on + len(seg)] += np.cos(pan) * s
        x[1, on:on + len(seg)] += np.sin(pan) * s
    return x


def cluster(sr, rng):
    """16 notes at once (MIDI 75..90: partials up to 11.8 kHz), peaking 10 dB over full scale."""
    n = sr // 2
    x = partials(sr, n, rng, range(75, 91), [0] * 16, [n] * 16)
    return x / np.abs(x).max() * 3.0


def storm(sr, rng):
    """A MIDI storm: 400 bright notes in a second (one every 2.5 ms), 5 to 50 ms each, levels
    over 20 dB."""
    n = sr
    count = 400
    onsets = np.sort(rng.integers(0, n - sr // 20, count))
    durs = rng.integers(sr // 200, sr // 20, count)
    x = partials(sr, n, rng, rng.integers(60, 91, count), onsets, durs)
    x *= 10 ** rng.uniform(-1, 0, (2, 1))  # one channel louder
    return x * 3.0 / np.abs(x).max()


def test_meter_reads_the_crest_between_samples():
    x = quarter_rate_sine(8000, 0.5)
    assert 20 * math.log10(np.abs(x).max()) == pytest.approx(-9.03, abs=0.01)  # samples
    assert true_peak_dbtp(x) == pytest.approx(-6.02, abs=0.05)  # 0.5: the crest between them
    slow = 0.5 * np.sin(2 * np.pi * 100 * np.arange(SR) / SR)  # crests on samples: both agree
    assert true_peak(slow) == pytest.approx(np.abs(slow).max(), rel=1e-4)


def test_meter_takes_mono_and_frames_by_channels_and_refuses_the_rest():
    x = quarter_rate_sine(4000, 0.25)
    stereo = np.stack([x * 0.5, x], axis=1)  # (frames, channels), as a WAV reads
    assert true_peak(stereo) == true_peak(x)
    assert true_peak_dbtp(np.zeros(10)) == -math.inf
    with pytest.raises(TruePeakError, match="shape"):
        true_peak(np.zeros((2, 3, 4)))
    with pytest.raises(TruePeakError, match="NaN"):
        true_peak([0.0, float("nan")])


@pytest.mark.parametrize("sr", [44100, 48000, 96000])
@pytest.mark.parametrize("make", [cluster, storm])
def test_true_peak_stays_under_the_ceiling(make, sr):
    x = make(sr, np.random.default_rng(sr)).astype(np.float32)
    assert true_peak_dbtp(x.T) > 5.0  # loud indeed
    y = run_whole(Limiter(sr), x)
    assert true_peak_dbtp(y.T) <= -1.0
    assert true_peak_dbtp(y.T) > -1.2  # and no lower than it needs: the margin is small


def test_a_quarter_rate_sine_is_held_by_its_true_peak():
    # A sample-peak limiter lets these samples reach -1 dBFS: +2 dBTP between them.
    x = np.tile(quarter_rate_sine(SR // 4, 2.0), (2, 1)).astype(np.float32)
    y = run_whole(Limiter(SR), x)
    assert true_peak_dbtp(y.T) <= -1.0
    assert 20 * math.log10(np.abs(y).max()) < -3.9  # its samples sit 3 dB under that


@pytest.mark.parametrize("scale", [2.0, 30.0, 1000.0])
def test_never_exceeds_ceiling(scale):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((2, SR)) * scale).astype(np.float32)
    x[:, 1000] = scale * 50  # a lone spike
    y = run_whole(Limiter(SR), x)
    assert np.abs(y).max() <= CEILING
    assert true_peak_dbtp(y.T) <= -1.0


def _noise_under_the_quiet_level(rng):
    return rng.uniform(-0.4, 0.4, (2, SR))  # every peak under the limit, whatever the phases


def _chord_at_minus_2_dbtp(rng):
    x = partials(SR, SR, rng, [60, 64, 67, 72, 88], [0] * 5, [SR] * 5)
    return x * 10 ** (-2 / 20) / true_peak(x.T)  # samples over limit/sum|c|: the detector runs


@pytest.mark.parametrize("make", [_noise_under_the_quiet_level, _chord_at_minus_2_dbtp])
def test_transparent_below_threshold_apart_from_its_delay(make):
    x = make(np.random.default_rng(2)).astype(np.float32)
    assert true_peak_dbtp(x.T) < -1.1
    lim = Limiter(SR)
    assert (np.abs(x).max() > lim.quiet) == (make is _chord_at_minus_2_dbtp)
    y = run(lim, x)
    d = lim.latency_samples
    assert not y[:, :d].any()
    np.testing.assert_array_equal(y[:, d:], x[:, :-d])  # bit-exact, only later
    assert lim.gain_reduction_db == 0.0


def test_latency_is_the_look_ahead_and_the_interpolators_reach():
    lim = Limiter(SR)
    assert lim.window == 64
    # W - 1 for the ramp, 2K - 1 more: the detector reads K samples past a peak, and a
    # sample's gain answers the K peaks after it
    assert lim.latency_samples == 63 + 2 * TAPS_PER_SIDE - 1 == 74
    x = np.zeros((2, 256), np.float32)
    x[0, 10] = 0.5
    y = run(lim, x)
    assert np.flatnonzero(y[0]).tolist() == [10 + 74] and y[0, 84] == 0.5


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


def test_deep_down_the_gain_rises_slowly_in_db_too():
    # The margin holds while the gain moves at most 1/(4W) of itself a sample going up.
    x = np.full((2, SR), 0.3, np.float32)
    x[:, 1000:1100] = 3000.0  # 70 dB of reduction for a moment
    lim = Limiter(SR)
    y = run(lim, x)
    d = lim.latency_samples
    gain = (y[0, d:] / x[0, :-d]).astype(np.float64)
    after = gain[1100 + lim.window:]
    assert after.min() < 1e-3
    assert np.max(after[1:] / after[:-1]) <= 1 + 0.25 / lim.window + 1e-6
    assert after[-1] == pytest.approx(1.0, abs=1e-3)  # and it still comes back


def test_warm_compiles_then_leaves_the_silent_state():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((2, 4096)) * 5).astype(np.float32)
    used = Limiter(SR)
    run(used, x)
    used.warm(64)
    np.testing.assert_array_equal(run(used, x), run(Limiter(SR), x))


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


def test_a_rendered_cluster_and_storm_stay_under_minus_1_dbtp(tmp_path):
    """End to end: the additive piece, 16 full-velocity notes of 8 equal partials (up to
    11.8 kHz) and then a note every 5 ms, rendered offline through the engine to a WAV."""
    mido = pytest.importorskip("mido")
    from synthlearn.audio.wavfile import read_wav
    from synthlearn.runtime.render import RenderOptions, render

    mid = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks a second
    track = mido.MidiTrack()
    mid.tracks.append(track)
    notes = range(75, 91)
    track.extend(mido.Message("note_on", note=n, velocity=127, time=0) for n in notes)
    track.extend(mido.Message("note_off", note=n, time=960 if n == 75 else 0) for n in notes)
    rng = np.random.default_rng(5)
    track.extend(mido.Message("note_on", note=int(n), velocity=127, time=5)
                 for n in rng.integers(60, 91, 200))
    mid.save(tmp_path / "loud.mid")
    score = tmp_path / "loud.toml"
    score.write_text('piece = "additive"\nseed = 1\nduration = 3.0\nmidi = "loud.mid"\n'
                     '[[at]]\ntime = 0.0\ndo = "brightness 0"\n')
    summary = render(score, tmp_path / "out", RenderOptions(video=False))
    sr, audio = read_wav(tmp_path / "out" / "audio.wav")
    assert summary["limiter_max_reduction_db"] > 6.0  # the limiter worked hard
    assert true_peak_dbtp(audio) <= -1.0  # -0.37 dBTP with a sample-peak detector
