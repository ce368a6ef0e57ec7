"""The numba voice path against the pyo reference: same score, same spectra, onset and level;
deterministic; and no subnormal number left in either path once the notes are released."""

import numpy as np
import pytest
from helpers import SR, peak_hz, run_engine

from synthlearn import events
from synthlearn.audio import denormals
from synthlearn.audio.engine import Engine
from synthlearn.dsp.oscbank import OscBank
from synthlearn.dsp.voicing import midi_hz
from synthlearn.pieces.additive import Additive, harmonic_amps
from synthlearn.pieces.ldd import Ldd

NOTES = (48, 61, 70)  # within 8 partials, no two partials closer than 10 Hz (checked below)
PARTIALS = 8
ON_S, OFF_S, END_S = 0.1, 1.6, 2.7


def _score():
    ev = [events.note_on(round(ON_S * SR), n, 100) for n in NOTES]
    ev += [events.note_off(round(OFF_S * SR), n) for n in NOTES]
    return ev


@pytest.fixture(scope="module")
def both_paths():
    return {path: run_engine(Additive(voices=8, partials=PARTIALS), _score(), END_S,
                             voices=path)[0].astype(np.float64)
            for path in ("numba", "pyo")}


def _partials_hz():
    return sorted(midi_hz(n) * k for n in NOTES for k in range(1, PARTIALS + 1))


def test_score_partials_are_resolvable():
    assert np.diff(_partials_hz()).min() > 10.0


def test_spectra_match_within_a_tenth_of_a_db_and_half_a_hertz(both_paths):
    held = slice(round(0.4 * SR), round(1.4 * SR))  # 1 s of the sustained chord
    for ch in (0, 1):
        for hz in _partials_hz():
            f_n, a_n = peak_hz(both_paths["numba"][held, ch], SR, hz, width_hz=5.0)
            f_p, a_p = peak_hz(both_paths["pyo"][held, ch], SR, hz, width_hz=5.0)
            assert abs(f_n - hz) < 0.5 and abs(f_p - hz) < 0.5, (hz, f_n, f_p)
            assert abs(f_n - f_p) < 0.5
            assert abs(20 * np.log10(a_n / a_p)) < 0.1, (ch, hz, a_n, a_p)


def test_the_partials_have_the_pieces_amplitudes(both_paths):
    # Not just equal to each other: both are the harmonic series the piece asks for.
    held = slice(round(0.4 * SR), round(1.4 * SR))
    mono = both_paths["numba"][held].sum(axis=1)
    note = NOTES[1]
    amps = np.array([peak_hz(mono, SR, midi_hz(note) * k, width_hz=5.0)[1]
                     for k in range(1, PARTIALS + 1)])
    want = harmonic_amps(PARTIALS, 1.0)
    assert np.allclose(amps / amps[0], want / want[0], rtol=0.15)


def test_same_onset_sample_and_same_level(both_paths):
    onsets = {p: int(np.flatnonzero(np.abs(x).max(axis=1) > 0.0)[0])
              for p, x in both_paths.items()}
    assert onsets["numba"] == onsets["pyo"]
    # The limiter's look-ahead and one block: the onset lands where the engine says it does.
    assert round(ON_S * SR) <= onsets["numba"] <= round(ON_S * SR) + 64 + 74 + 64
    rms = {p: float(np.sqrt(np.mean(x[round(0.2 * SR):] ** 2))) for p, x in both_paths.items()}
    assert rms["numba"] > 0.01
    assert abs(20 * np.log10(rms["numba"] / rms["pyo"])) < 0.1
    # Released: the kernel's smoothers snapped to exact zeros; pyo's Ports are still on
    # their way down (below -300 dB) until the CPU flushes them.
    assert not both_paths["numba"][-SR // 10:].any()
    assert np.abs(both_paths["pyo"][-SR // 10:]).max() < 1e-15


def test_the_envelope_matches_25_ms_at_a_time():
    # One note, and windows of 11 of its periods, so its partials' cross terms average out
    # whatever their phases: attack, decay and release follow each other to 0.1 dB.
    ev = [events.note_on(0, 69, 100), events.note_off(round(0.5 * SR), 69)]
    out = {p: run_engine(Additive(), ev, 1.2, voices=p)[0].astype(np.float64).sum(axis=1)
           for p in ("numba", "pyo")}
    win = round(11 * SR / 440)  # 1200 samples
    levels = []
    for a in range(0, round(1.0 * SR), win):
        seg = {p: np.sqrt(np.mean(x[a:a + win] ** 2)) for p, x in out.items()}
        if seg["pyo"] < 1e-3 * np.abs(out["pyo"]).max():
            continue  # below -60 dB: the release's end, where nothing is left to compare
        levels.append(seg["numba"])
        assert abs(20 * np.log10(seg["numba"] / seg["pyo"])) < 0.1, a / SR
    assert len(levels) > 35 and levels[-1] < 0.1 * max(levels)  # attack to deep in the release


def test_ldd_sounds_the_same_on_both_paths():
    notes = [events.note_on(0, n, 100) for n in (64, 71)]
    out = {p: run_engine(Ldd(seed=3), notes, 1.0, voices=p)[0].astype(np.float64)
           for p in ("numba", "pyo")}
    seg = slice(round(0.3 * SR), SR)
    for hz in (midi_hz(64), midi_hz(71)):  # the fundamentals are never detuned
        f_n, a_n = peak_hz(out["numba"][seg, 0], SR, hz, width_hz=5.0)
        f_p, a_p = peak_hz(out["pyo"][seg, 0], SR, hz, width_hz=5.0)
        assert abs(f_n - f_p) < 0.5
        assert abs(20 * np.log10(a_n / a_p)) < 0.1
    rms = {p: np.sqrt(np.mean(x[seg] ** 2)) for p, x in out.items()}
    assert abs(20 * np.log10(rms["numba"] / rms["pyo"])) < 0.1


def test_the_numba_path_is_deterministic():
    a = run_engine(Ldd(seed=5), [events.note_on(0, 67, 90)], 0.5)[0]
    b = run_engine(Ldd(seed=5), [events.note_on(0, 67, 90)], 0.5)[0]
    assert np.abs(a).max() > 0.01
    assert a.tobytes() == b.tobytes()


def test_cost_follows_what_sounds():
    bank = OscBank(np.full(64, 0.5), block=64, sr=SR, smooth_s=0.002)
    f = np.full(64, 440.0, np.float32)
    amp = np.zeros(64, np.float32)
    amp[:5] = 0.1
    out = np.zeros((2, 64), np.float32)
    assert bank.process(f, amp, out[0], out[1]) == 5
    amp[:] = 0.0
    for _ in range(200):  # the smoothers reach exactly 0, then the partials are skipped
        bank.process(f, amp, out[0], out[1])
    assert bank.sounding == 0
    assert not out.any()


# -- subnormals -----------------------------------------------------------------------------

def _subnormal_count(values) -> int:
    """Subnormal floats in ``values``, by their bits (DAZ would make a float test lie)."""
    a = np.asarray(values)
    if a.dtype == np.float32:
        bits = a.view(np.uint32)
        return int(((bits & 0x7F800000) == 0).sum() - ((bits & 0x7FFFFFFF) == 0).sum())
    bits = a.astype(np.float64).view(np.uint64)
    exp0 = (bits & np.uint64(0x7FF0000000000000)) == 0
    zero = (bits & np.uint64(0x7FFFFFFFFFFFFFFF)) == 0
    return int(exp0.sum() - zero.sum())


def test_subnormal_counter_counts_subnormals():
    assert _subnormal_count(np.array([1e-40, 0.0, -0.0, 1.0, -3e-39], np.float32)) == 2
    assert _subnormal_count(np.array([1e-310, 0.0, 1e-300])) == 1


def _released(path: str, *, flush: bool):
    """An additive chord held, then released for 3 s: (every table and smoother state of the
    path, pyo's per-partial smoothers' last values, the per-block costs)."""
    ev = [events.note_on(0, 40 + 5 * v, 100) for v in range(16)]
    ev += [events.note_off(round(1.0 * SR), 40 + 5 * v) for v in range(16)]
    values = []

    def without_flush(engine):  # what the engine did before: the CPU left on subnormals
        if not flush:
            engine._fpu.flush_to_zero = lambda: -1

    def collect(engine, b):
        if b == n_blocks - 1:  # the last block: everything the path holds, before it closes
            pool = engine.pools[0]
            values.extend([pool.bank.amp_out.copy(), pool.bank.freq_out.copy(),
                           pool.bank.fcur.copy(), pool.bank.vf.copy(),
                           *(engine.tables.view(n).copy() for n in engine.tables._views)])
            if path == "numba":
                values.append(pool.osc.state.copy())
            else:
                freq_port, amp_port = pool._objects[1], pool._objects[2]
                values.extend([np.array(amp_port.get(all=True), np.float32),
                               np.array(freq_port.get(all=True), np.float32)])

    n_blocks = round(4.0 * SR / 64)
    _, facts = run_engine(Additive(voices=16, partials=8), ev, 4.0, voices=path,
                          engine_hook=without_flush, each_block=collect)
    return values, facts["costs"]


@pytest.mark.parametrize("path", ["numba", "pyo"])
def test_no_subnormal_anywhere_after_release(path):
    values, _ = _released(path, flush=True)
    assert sum(_subnormal_count(v) for v in values) == 0


def test_without_flush_to_zero_pyos_smoothers_stay_subnormal():
    """The check above can fail: without FTZ the released Ports settle near 7e-44."""
    if not denormals.supported():
        pytest.skip("this machine's flush-to-zero bits are not reachable here")
    values, _ = _released("pyo", flush=False)
    assert sum(_subnormal_count(v) for v in values) > 0


def test_flush_to_zero_reaches_the_thread_that_runs_the_dsp():
    if not denormals.supported():
        pytest.skip("this machine's flush-to-zero bits are not reachable here")
    before = denormals.control_word()
    engine = Engine("manual", sr=SR, block=64)
    try:
        engine.play(Additive(), [])
        for _ in range(1030):  # the hook reads the word again at block 1024
            engine.process()
        assert denormals.is_flushing_word(engine.dsp_control_word)
    finally:
        engine.close()
    assert denormals.control_word() & 0xFFC0 == before & 0xFFC0  # the caller's thread restored


@pytest.mark.parametrize("path", ["numba", "pyo"])
def test_released_blocks_cost_no_more_than_held_ones(path):
    # The denormal cliff was 1.2x (here) to 5x (other CPUs) and never went away: it shows in
    # every attempt. Another process's load on this shared machine shows in one at most, so
    # up to three attempts are made (the subnormal checks above are the exact test).
    ratios = []
    for _ in range(3):
        _, costs = _released(path, flush=True)
        per_s = round(SR / 64)
        ratios.append(np.median(costs[3 * per_s:]) / np.median(costs[round(0.2 * per_s):per_s]))
        if ratios[-1] <= 1.15:
            break
    assert min(ratios) <= 1.15, ratios
