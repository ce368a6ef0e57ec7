"""scsynth as a benchmark peer: the SynthDef writer, then NRT renders checked by FFT."""

import shutil
import struct

import numpy as np
import pytest
from helpers import SR, peak_hz

from synthlearn.audio.wavfile import read_wav
from synthlearn.bench import scsynth

_OK, _WHY = scsynth.available()
pytestmark = pytest.mark.skipif(not _OK, reason=_WHY)


def _read_synthdef(data: bytes) -> dict:
    """Parse a one-definition SynthDef file (format 2): the facts the tests check."""
    pos = 4  # after the magic

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from(">" + fmt, data, pos)
        pos += struct.calcsize(">" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def pstring():
        nonlocal pos
        n = data[pos]
        pos += 1 + n
        return data[pos - n:pos].decode()

    sd = {"magic": data[:4], "version": take("i"), "defs": take("h"), "name": pstring()}
    sd["constants"] = [take("f") for _ in range(take("i"))]
    sd["params"] = [take("f") for _ in range(take("i"))]
    sd["names"] = {}
    for _ in range(take("i")):
        name = pstring()
        sd["names"][name] = take("i")
    sd["ugens"] = []
    for _ in range(take("i")):
        name = pstring()
        rate, n_in, n_out, special = take("biih")
        inputs = [take("ii") for _ in range(n_in)]
        outputs = [take("b") for _ in range(n_out)]
        sd["ugens"].append((name, rate, special, inputs, outputs))
    sd["variants"] = take("h")
    sd["trailing"] = len(data) - pos
    return sd


def test_synthdef_round_trip():
    sd = _read_synthdef(scsynth.partials_synthdef(3, 0.002).to_bytes())
    assert (sd["magic"], sd["version"], sd["defs"], sd["name"]) == (b"SCgf", 2, 1, "partials3")
    assert sd["variants"] == 0 and sd["trailing"] == 0
    assert len(sd["params"]) == 9 and sd["names"]["amp2"] == 7
    assert sorted(sd["constants"]) == pytest.approx([0.0, 0.002, 1.0])  # no duplicates
    names = [u[0] for u in sd["ugens"]]
    assert names[0] == "Control" and len(sd["ugens"][0][4]) == 9
    assert names[1:9] == ["K2A", "Lag", "SinOsc", "K2A", "Lag", "BinaryOpUGen", "Pan2", "Out"]
    assert len(names) == 1 + 3 * 8
    for i, (_, _, _, inputs, _) in enumerate(sd["ugens"]):
        for src, k in inputs:  # a constant, or an output of an earlier UGen
            assert (src == -1 and k < len(sd["constants"])) or (0 <= src < i)
    mul = sd["ugens"][6]
    assert mul[2] == scsynth.OP_MUL and mul[1] == scsynth.AUDIO


def test_bad_arguments_raise():
    one = np.array([440.0])
    with pytest.raises(ValueError, match="length"):
        scsynth.render_partials(one, np.array([0.1, 0.2]), one * 0, partials_per_synth=1,
                                seconds=0.1)
    with pytest.raises(ValueError, match="Nyquist"):
        scsynth.render_partials(one * 100, one, one * 0, partials_per_synth=1, seconds=0.1)
    with pytest.raises(ValueError, match="pans"):
        scsynth.render_partials(one, one, one * 2, partials_per_synth=1, seconds=0.1)
    with pytest.raises(ValueError, match="1-D"):
        scsynth.render_partials(one[None], one, one, partials_per_synth=1, seconds=0.1)
    with pytest.raises(ValueError, match="partials_per_synth"):
        scsynth.render_partials(one, one, one, partials_per_synth=0, seconds=0.1)


def _render(tmp_path, freqs, amps, pans, **kw):
    wav = tmp_path / "out.wav"
    kw = {"partials_per_synth": 2, "seconds": 1.0, "sr": SR} | kw
    facts = scsynth.render_partials(np.array(freqs), np.array(amps), np.array(pans), **kw,
                                    wav_path=wav)
    assert facts["wav"] == str(wav)
    sr, x = read_wav(wav)
    assert sr == SR and x.shape == (round(facts["seconds"] * SR), 2)
    return x


def _db(x):
    return 20 * np.log10(x)


@pytest.mark.parametrize("k", [1, 2, 3])  # per partial, per voice with a remainder, one synth
def test_peaks_and_levels(tmp_path, k):
    freqs, amps = [220.0, 330.0, 550.0], [0.3, 0.15, 0.05]
    x = _render(tmp_path, freqs, amps, [0.5] * 3, partials_per_synth=k)
    steady = x[SR // 10:]
    for f, a in zip(freqs, amps, strict=True):
        for ch in (0, 1):
            hz, amp = peak_hz(steady[:, ch], SR, f)
            assert abs(hz - f) < 1.0
            # constant power: -3 dB in each channel at the centre
            assert _db(amp) == pytest.approx(_db(a) - 3.01, abs=0.5)
    # relative levels follow the amps
    levels = [peak_hz(steady[:, 0], SR, f)[1] for f in freqs]
    assert _db(levels[1] / levels[0]) == pytest.approx(_db(amps[1] / amps[0]), abs=0.5)


def test_pan_extremes_and_centre(tmp_path):
    freqs = [300.0, 500.0, 700.0]
    x = _render(tmp_path, freqs, [0.25, 0.25, 0.25], [0.0, 1.0, 0.5])[SR // 10:]
    (l0, r0), (l1, r1), (lc, rc) = [
        [peak_hz(x[:, ch], SR, f)[1] + 1e-12 for ch in (0, 1)] for f in freqs]
    assert _db(l0) == pytest.approx(_db(0.25), abs=0.5) and _db(r0) < _db(l0) - 60
    assert _db(r1) == pytest.approx(_db(0.25), abs=0.5) and _db(l1) < _db(r1) - 60
    assert _db(lc) == pytest.approx(_db(0.25) - 3.01, abs=0.5)
    assert _db(lc / rc) == pytest.approx(0.0, abs=0.1)
    assert lc**2 + rc**2 == pytest.approx(0.25**2, rel=0.05)  # power kept


@pytest.mark.parametrize("block", [64, 256])
def test_onset_is_smooth(tmp_path, block):
    # At sr/4 the sine's odd samples are ±1 times the amplitude: they trace the envelope.
    smooth_s, amp = 0.002, 0.5
    x = _render(tmp_path, [SR / 4], [amp], [0.0], seconds=0.1, block=block, smooth_s=smooth_s)
    env = np.abs(x[1::2, 0])
    start = block // 2  # amplitudes arrive at block 1 (block 0 is silent: synths start at 0)
    assert np.all(x[:block] == 0.0)
    assert env[start] < 0.05 * amp  # not a full-amplitude first sample
    assert np.all(np.diff(env) >= -2 / 32768)  # rises without overshoot (int16 quantisation)
    # still short of the target one lag after the ramp starts, there soon after
    end_ramp = start + block // 2 + round(smooth_s * SR / 2)
    assert env[start + round(smooth_s * SR / 8)] < 0.9 * amp
    assert env[end_ramp] > 0.99 * amp
    assert env[-1] == pytest.approx(amp, abs=2 / 32768)


def test_compute_cpu_grows_with_partials():
    rng = np.random.default_rng(1)
    cost = {}
    for n in (64, 256):
        facts = scsynth.render_partials(rng.uniform(100, 4000, n), np.full(n, 0.5 / n),
                                        rng.uniform(0, 1, n), partials_per_synth=8, seconds=5)
        assert facts["partials"] == n and facts["wav"] is None
        assert facts["startup_cpu_s"] > 0 and facts["compute_cpu_s"] > 0
        assert facts["cpu_s"] >= facts["compute_cpu_s"]
        cost[n] = facts["compute_cpu_s"]
    assert cost[256] > 1.5 * cost[64], cost  # about 4x when the machine is quiet


def test_scsynth_failure_names_the_cause(tmp_path):
    score = scsynth.nrt_score([scsynth.osc_bundle(0.0, [scsynth.osc_message(
        "/s_new", "no_such_def", 1000, 1, 0)]), scsynth.osc_bundle(0.01, [])])
    path, wav = tmp_path / "bad.osc", tmp_path / "bad.wav"
    path.write_bytes(score)
    argv = scsynth.nrt_command(shutil.which("scsynth"), path, wav, sr=SR, block=64, nodes=1)
    with pytest.raises(scsynth.ScsynthError, match="no_such_def|not found"):
        scsynth._run(argv, wav, 64)


def test_without_scsynth_says_why(monkeypatch):
    monkeypatch.setattr(scsynth.shutil, "which", lambda name: None)
    ok, why = scsynth.available()
    assert not ok and "not installed" in why
    with pytest.raises(scsynth.ScsynthError, match="not installed"):
        scsynth.render_partials(np.array([440.0]), np.array([0.1]), np.array([0.5]),
                                partials_per_synth=1, seconds=0.1)
