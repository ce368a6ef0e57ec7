"""Faults contained: a piece that raises in its block hook is counted and silenced while the
audio goes on; a learner that diverges starts again; whatever the settings, the output never
exceeds -1 dBFS and never holds NaN."""

import json

import numpy as np
import pytest
from helpers import SR, peak_hz

from synthlearn import events
from synthlearn.audio.engine import Engine
from synthlearn.audio.wavfile import read_wav
from synthlearn.cli import main
from synthlearn.dsp.truepeak import true_peak_dbtp
from synthlearn.midi.files import write_midi
from synthlearn.pieces.additive import Additive

CEILING = 10 ** (-1 / 20)


class Buggy(Additive):
    """Additive with a bug: note 99 divides by zero in the hook."""

    name = "buggy"

    def on_event(self, event):
        if event.kind == events.Kind.NOTE_ON and event.number == 99:
            raise ZeroDivisionError("a bug in the piece")
        super().on_event(event)


def _run(engine, seconds):
    out = np.zeros((round(seconds * SR / engine.block) * engine.block, 2), np.float32)
    for b in range(out.shape[0] // engine.block):
        engine.process(out[b * engine.block:(b + 1) * engine.block])
    return out


def test_a_piece_that_raises_in_its_hook_is_silenced_and_the_audio_goes_on():
    engine = Engine("manual", sr=SR, block=64, seed=1)
    try:
        engine.play(Buggy(voices=4, partials=4), [
            events.note_on(0, 57, 100),                       # A3 from the start
            events.note_on(round(0.5 * SR), 99, 100),         # the bug, at 0.5 s
            events.note_on(round(1.0 * SR), 69, 100)])        # A4 afterwards
        out = _run(engine, 1.5)
        assert engine.faults.count == 1
        report = engine.faults.report()
        assert report.startswith("the piece buggy failed in its block hook (ZeroDivisionError: "
                                 "a bug in the piece, first at 0.50 s")
        assert engine.faults.report() is None  # nothing new: nothing said
        mono = out.mean(axis=1)
        _, before = peak_hz(mono[round(0.1 * SR):round(0.45 * SR)], SR, 220.0)
        _, after = peak_hz(mono[round(1.1 * SR):round(1.45 * SR)], SR, 440.0)
        _, a3_after = peak_hz(mono[round(1.1 * SR):round(1.45 * SR)], SR, 220.0)
        assert before > 0.01 and after > 0.01  # the music before, and after, the fault
        assert a3_after < 0.1 * before  # what sounded at the fault was silenced
    finally:
        engine.close()


class Broken(Additive):
    name = "broken"

    def step(self, block_index):
        super().step(block_index)
        raise RuntimeError("every block")


def test_a_piece_that_raises_every_block_never_stops_the_clock():
    engine = Engine("manual", sr=SR, block=256, seed=1)
    try:
        engine.play(Broken(), [])
        _run(engine, 1.0)
        assert engine.faults.count == round(SR / 256)
        assert "RuntimeError: every block" in engine.faults.report()
        assert engine.block_index == round(SR / 256)
    finally:
        engine.close()


def test_a_diverging_learner_starts_again_and_the_performer_is_told(tmp_path, capsys):
    write_midi(tmp_path / "up.mid", [(0.1 + 0.5 * i + d, 64 + i % 5, v)
                                     for i in range(12) for d, v in ((0, 90), (0.45, 0))])
    score = tmp_path / "s.toml"
    score.write_text('piece = "ldd"\nmidi = "up.mid"\n[[at]]\ntime = 0\ndo = "lr 10"\n')
    assert main(["render", str(score), "--out", str(tmp_path / "o"), "--no-video",
                 "--block", "256"]) == 0
    err = capsys.readouterr().err
    assert "the cubic diverged at lr 10: it starts again on a new target; a smaller lr keeps " \
        "it learning (" in err and " times)" in err  # once, with how many times
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    losses = [v for v in summary["signals"]["loss"] if v is not None]
    assert losses and max(losses) <= 1e6  # caught before it ran away


WILD = {  # every piece at its wildest: the loudest, fastest, most voices, largest rates
    "ldd": ["volume 6", "lr 10", "gain 20", "detune mae"],
    "additive": ["volume 6", "brightness 0", "attack 0.001", "sustain 1", "release 30"],
    "qmelody": ["volume 6", "teach all c1,c8,c1,c8", "tempo 300", "a0.alpha 1", "a0.gamma 1",
                "a1.temp 2", "a2.sharpness 0.25", "a2.penalty 1", "ring 1", "teacher on",
                "practice a1 3000"],
    "ruler": ["volume 6", "b = ruler blip distance:2 consistency:0",
              "f = ruler fm distance:2 consistency:0",
              "r = ruler rain distance:2 consistency:0", "set blip b r tone",
              "set fm f r bell", "set rain r r rain", "tempo 400", "section tone"],
}


@pytest.mark.parametrize("piece", sorted(WILD))
def test_the_wildest_settings_never_exceed_minus_1_dbfs_or_make_nan(piece, tmp_path):
    rng = np.random.default_rng(7)
    notes = []
    for i in range(300):  # 10 notes a second over the whole keyboard, at full velocity
        t, n = i * 0.033, int(rng.integers(21, 109))
        notes += [(t, n, 127), (t + float(rng.uniform(0.05, 2.0)), n, 0)]
    write_midi(tmp_path / "dense.mid", notes)
    lines = WILD[piece]  # ruler trains from the shipped datasets, by name
    cues = "".join(f'[[at]]\ntime = {0.01 * i}\ndo = "{line}"\n' for i, line in enumerate(lines))
    (tmp_path / "s.toml").write_text(f'piece = "{piece}"\nmidi = "dense.mid"\nduration = 12\n'
                                     + cues)
    assert main(["render", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"),
                 "--no-video"]) == 0
    sr, audio = read_wav(tmp_path / "o" / "audio.wav")
    assert np.isfinite(audio).all()
    assert np.abs(audio).max() <= CEILING + 2 ** -22  # 24-bit rounding
    assert true_peak_dbtp(audio) <= -1.0 + 1e-3  # between the samples too (BS.1770, 4x)
    assert np.sqrt(np.mean(audio[-sr:] ** 2)) > 1e-3  # still playing at the end
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["faults"] == 0
