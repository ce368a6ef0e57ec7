import numpy as np
import pytest

from synthlearn.dsp import voicing as V
from synthlearn.dsp.voicing import VoiceBank

BLOCK_S = 64 / 48000
RATES = [44100, 48000, 96000]


def bank(sr=48000, **kw):
    b = VoiceBank(4, 3, block_s=64 / sr, max_hz=0.45 * sr, **kw)
    b.warm()
    return b


def run(b, seconds):
    for _ in range(round(seconds / b.p[V.P_DT_S])):
        b.update()


@pytest.mark.parametrize("sr", RATES)
def test_note_sounds_harmonics_at_equal_temperament(sr):
    b = bank(sr, sustain=1.0)
    v = b.note_on(69, 127)
    run(b, 0.1)
    np.testing.assert_allclose(b.freq_out[v * 3:(v + 1) * 3], [440, 880, 1320], rtol=1e-6)
    np.testing.assert_allclose(b.amp_out[v * 3:(v + 1) * 3], 1 / 3, rtol=1e-6)


def test_velocity_follows_dls_curve():
    assert V.velocity_amp(127) == 1.0
    assert np.isclose(20 * np.log10(V.velocity_amp(64)), 40 * np.log10(64 / 127))


@pytest.mark.parametrize("sr", RATES)
def test_release_reaches_minus_60_db_in_release_time(sr):
    b = bank(sr, sustain=1.0, release_s=0.5)
    v = b.note_on(60, 127)
    run(b, 0.05)
    b.note_off(60)
    run(b, 0.5)
    level = b.vf[v, V.VF_LEVEL]
    assert 10 ** (-61 / 20) < level < 10 ** (-59 / 20)
    run(b, 0.2)
    assert b.vi[v, V.VI_STAGE] == V.IDLE and b.active == 0


def test_sustain_pedal_holds_released_notes():
    b = bank(sustain=1.0)
    b.pedal(True)
    v = b.note_on(60, 100)
    b.note_off(60)
    run(b, 0.3)
    assert b.vi[v, V.VI_STAGE] == V.DECAY
    b.pedal(False)
    b.update()
    assert b.vi[v, V.VI_STAGE] == V.RELEASE


def test_stealing_fades_the_oldest_then_starts_the_new_note():
    b = bank(sustain=1.0)
    for n in (60, 62, 64, 65):
        b.note_on(n, 100)
    run(b, 0.05)
    v = b.note_on(67, 100)  # fifth note, four voices
    assert v == 0 and b.vi[0, V.VI_STAGE] == V.STEAL
    levels = []
    for _ in range(6):
        b.update()
        levels.append(b.vf[0, V.VF_LEVEL])
    assert b.vi[0, V.VI_NOTE] == 67 and b.vi[0, V.VI_STAGE] == V.ATTACK
    assert min(levels) == 0.0  # it went through silence, no jump in pitch while sounding
    b.note_off(60)  # the stolen note's own note-off must not release the new owner
    assert b.vi[0, V.VI_STAGE] == V.ATTACK


def test_learner_nan_and_aliasing_partials_are_silenced():
    b = bank(sustain=1.0)
    v = b.note_on(100, 127)  # 2637 Hz: partial 3 = 7.9 kHz, fine
    b.detune[v, 1] = np.nan
    b.ratio[v, 2] = 10.0  # 26 kHz: above the top frequency
    run(b, 0.05)
    amps = b.amp_out[v * 3:(v + 1) * 3]
    assert amps[0] > 0 and amps[1] == 0 and amps[2] == 0
    assert np.all(np.isfinite(b.freq_out))


def test_glide_smooths_detune_changes():
    b = bank(sustain=1.0, glide_s=0.01)
    v = b.note_on(69, 127)
    run(b, 0.05)
    b.detune[v, 1] = 2 ** (50 / 1200)  # +50 cents
    b.update()
    first = b.freq_out[v * 3 + 1]
    assert 880 < first < 880 * 2 ** (50 / 1200) * 0.999  # one block: part of the way
    run(b, 0.1)
    np.testing.assert_allclose(b.freq_out[v * 3 + 1], 880 * 2 ** (50 / 1200), rtol=1e-5)


def test_parameters_and_held_notes_by_name():
    b = bank(attack_s=0.01, sustain=0.6, glide_s=0.02, gain=0.5)
    assert (b.attack_s, b.sustain, b.glide_s, b.gain) == (0.01, 0.6, 0.02, 0.5)
    b.attack_s, b.sustain = 0.3, 0.2  # what the kernels read: the attack takes 0.3 s now
    assert b.p[V.P_ATTACK_S] == 0.3 and b.p[V.P_SUSTAIN] == 0.2
    v = b.note_on(60, 127)
    run(b, 0.15)
    assert b.vf[v, V.VF_LEVEL] == pytest.approx(0.5, abs=0.01)
    b.note_on(64, 100)
    assert b.holds(60) and b.holds(64) and not b.holds(62)
    assert b.held_notes() == [60, 64] and b.note_of(v) == 60
    b.note_off(60)
    assert b.held_notes() == [64] and b.note_of(v) == 60  # releasing, still its note
