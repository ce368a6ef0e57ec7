"""Piece ldd on a real pyo manual server: what is heard, and how the parts follow the playing."""

import json

import mido
import numpy as np
import pytest
from helpers import SR, peak_hz, run_engine

from synthlearn.cli import demo_score
from synthlearn.dsp.voicing import midi_hz
from synthlearn.errors import UserError
from synthlearn.events import CC_SOFT, command, control, note_off, note_on
from synthlearn.mappings.detune import ratio_to_cents
from synthlearn.pieces.ldd import CONTROL_HZ, Ldd
from synthlearn.runtime.render import RenderOptions, render

LANG = Ldd.language()


def cmd(t_s, line):
    return command(round(t_s * SR), LANG.parse(line))


def smp(t_s):
    return round(t_s * SR)


def run(piece, events, seconds, *, block=256, watch=None):
    """Run ``piece``; return the audio and, if ``watch`` is given, watch(piece) after each block."""
    out, facts = run_engine(piece, events, seconds, block=block, watch=watch)
    assert facts["leaked"] == []
    return out, np.array(facts["seen"])


def cents(hz, ref_hz):
    return 1200 * np.log2(hz / ref_hz)


def test_held_note_second_partial_detuned_early_then_in_tune_once_converged():
    """One held upper note: by FFT, its second partial is sharp by the piece's detune early on,
    and within 5 cents of 2·f0 once the cubic has converged; the fundamental stays in tune."""
    piece = Ldd(seed=3)
    block = 256
    out, detune = run(piece, [note_on(0, 60, 100)], 70.0, block=block,
                      watch=lambda p: ratio_to_cents(p.detune_ratio))
    assert piece.cubic.converged_
    f0 = midi_hz(60)
    early = slice(smp(0.05), smp(0.2))
    hz, _ = peak_hz(out[early, 0], SR, 2 * f0, width_hz=40)
    expected = detune[round(0.05 * SR / block):round(0.2 * SR / block)].mean()
    assert expected > 10
    assert cents(hz, 2 * f0) == pytest.approx(expected, abs=2.0)
    late = slice(smp(66.0), smp(69.5))
    hz, amp = peak_hz(out[late, 0], SR, 2 * f0, width_hz=40)
    assert abs(cents(hz, 2 * f0)) < 5 and amp > 1e-3
    for part in (slice(0, smp(0.3)), late):
        assert abs(cents(peak_hz(out[part, 0], SR, f0)[0], f0)) < 1


def test_part_1_mapping_bass_draws_target_upper_note_steps_and_holding_steps_at_60_hz():
    piece = Ldd(seed=1)
    events = [
        note_on(smp(0.1), 40, 90),  # bass: new target
        note_on(smp(0.5), 72, 90),  # upper: one step now ...
        note_off(smp(1.5), 72),  # ... and CONTROL_HZ a second while held
        note_on(smp(2.0), 76, 90), note_off(smp(2.001), 76),  # a short note: one step
    ]
    _, log = run(piece, events, 2.5, watch=lambda p: (p.cubic.targets_, p.cubic.steps_))
    t = np.arange(len(log)) * 256 / SR
    assert log[t < 0.09, 0].max() == 1 and log[(t > 0.11) & (t < 0.4), 0].min() == 2
    held = log[(t > 1.6) & (t < 1.9), 1]
    assert held.min() == held.max() == pytest.approx(1 + CONTROL_HZ * 1.0, abs=1)
    assert log[-1, 1] == held.max() + 1


def test_part_2_chord_detector_and_knot_gap():
    """Two notes below 60 within 50 ms are a chord (new knot); 100 ms apart they are not; no
    new knot within 2 s of the last; faithful: any left-hand note counts."""
    def knots(faithful, notes):
        piece = Ldd(seed=2, faithful=faithful)
        events = [cmd(0.0, "part 2")]
        for t, n in notes:
            events += [note_on(smp(t), n, 80), note_off(smp(t + 0.5), n)]
        run(piece, events, 6.0)
        return piece.knot.targets_ - 1  # reset drew the first one

    assert knots(False, [(0.5, 48), (0.53, 52)]) == 1
    assert knots(False, [(0.5, 48), (0.6, 52)]) == 0
    assert knots(False, [(0.5, 48), (0.52, 52), (1.5, 45), (1.52, 50)]) == 1  # within 2 s
    assert knots(False, [(0.5, 48), (0.52, 52), (3.0, 45), (3.02, 50)]) == 2
    assert knots(False, [(0.5, 62), (0.52, 66)]) == 0  # right hand
    assert knots(True, [(0.5, 48)]) == 1
    assert knots(True, [(0.5, 48), (0.6, 52), (3.0, 45)]) == 2


def test_part_2_up_to_three_chord_notes_are_detuned_and_steps_follow_the_chord():
    piece = Ldd(seed=4)
    chord = (40, 45, 48, 52)
    events = [cmd(0.0, "part 2")] + [note_on(smp(0.5 + 0.01 * i), n, 80)
                                     for i, n in enumerate(chord)]
    events += [note_off(smp(1.5), n) for n in chord]

    def watch(p):
        bank = p.pool.bank
        rows = [bank.voice_of(n) for n in chord]
        return [p.knot.steps_] + [bank.detune[v, 1] if v >= 0 else np.nan for v in rows]

    _, log = run(piece, events, 2.0, watch=watch)
    t = np.arange(len(log)) * 256 / SR
    mid = log[np.argmin(np.abs(t - 1.0))]
    assert mid[1] != 1.0 and mid[1] == mid[2] == mid[3]  # three lowest detuned alike
    assert mid[4] == 1.0  # the fourth in tune
    steps = log[:, 0]
    assert steps[np.argmin(np.abs(t - 1.49))] == pytest.approx(CONTROL_HZ * 1.0, abs=2)
    assert steps[-1] == steps[np.argmin(np.abs(t - 1.52))]  # released: learning pauses


def test_soft_pedal_re_arms_at_zero_and_commands_move_parts():
    piece = Ldd()
    events = [
        control(smp(0.5), CC_SOFT, 127),  # -> part 2
        control(smp(0.7), CC_SOFT, 100),  # not re-armed: nothing
        control(smp(0.9), CC_SOFT, 0),
        control(smp(1.1), CC_SOFT, 90),  # -> part 3
        cmd(1.3, "next"),  # -> part 4
        cmd(1.5, "next"),  # -> part 1
        cmd(1.7, "part 3"),
    ]
    _, parts = run(piece, events, 2.0, watch=lambda p: p.part)
    t = np.arange(len(parts)) * 256 / SR
    expect = [(0.4, 1), (0.6, 2), (0.8, 2), (1.0, 2), (1.2, 3), (1.4, 4), (1.6, 1), (1.9, 3)]
    for when, part in expect:
        assert parts[np.argmin(np.abs(t - when))] == part, when


def test_four_parts_follow_the_pedal_in_a_midi_driven_render(tmp_path):
    """A MIDI file with soft-pedal presses drives all four parts; summary.json has their times
    to the sample, and the learners did what each part asks."""
    mid = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: a tick is 1/960 s
    track = mido.MidiTrack()
    mid.tracks.append(track)
    timeline = []
    for t, n in ((0.2, 40), (0.4, 64), (2.3, 45), (2.31, 50), (4.4, 47), (4.41, 52),
                 (6.2, 38), (6.4, 70)):
        timeline += [(t, mido.Message("note_on", note=n, velocity=80)),
                     (t + 1.0, mido.Message("note_on", note=n, velocity=0))]
    for t in (2.0, 4.0, 6.0):
        timeline += [(t, mido.Message("control_change", control=CC_SOFT, value=127)),
                     (t + 0.1, mido.Message("control_change", control=CC_SOFT, value=0))]
    now = 0
    for t, msg in sorted(timeline, key=lambda x: x[0]):
        tick = round(t * 960)
        track.append(msg.copy(time=tick - now))
        now = tick
    path = tmp_path / "perf.mid"
    mid.save(path)
    summary = render(path, tmp_path / "out", RenderOptions(piece="ldd", seed=5, video=False))
    got = [(s["name"], s["time_s"]) for s in summary["sections"]]
    assert got == [("part 1", 0.0), ("part 2", 2.0), ("part 3", 4.0), ("part 4", 6.0)]
    saved = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert saved["sections"] == summary["sections"]
    sig = saved["signals"]
    t = np.array(sig["t_s"])
    part = np.array(sig["part"])
    assert set(part[(t > 2.1) & (t < 3.9)]) == {2.0} and set(part[t > 6.1]) == {4.0}
    steps = np.array([np.nan if s is None else s for s in sig["steps"]])
    assert steps[(t > 3.0) & (t < 3.3)].max() > 30  # the chord of part 2 trains the knot
    assert summary["peak_dbfs"] > -30


def test_commands_gain_zero_puts_overtones_in_tune_and_faithful_envelope_is_percussive():
    piece = Ldd(seed=6)
    events = [cmd(0.0, "gain 0"), note_on(smp(0.1), 67, 100)]
    out, _ = run(piece, events, 1.0)
    f0 = midi_hz(67)
    hz, _ = peak_hz(out[smp(0.4):smp(1.0), 0], SR, 3 * f0, width_hz=40)
    assert abs(cents(hz, 3 * f0)) < 0.5

    def level_while_held(faithful):
        p = Ldd(seed=6, faithful=faithful)
        o, _ = run(p, [note_on(smp(0.1), 67, 100)], 3.0)
        # the fundamental's level (under the wandering lowpass's cutoff)
        amp = [peak_hz(o[smp(a):smp(a + 0.2), 0], SR, f0)[1] for a in (0.5, 2.5)]
        return 20 * np.log10(amp[1] / amp[0])

    assert level_while_held(faithful=True) < -15  # percussive: falls while the key is down
    assert level_while_held(faithful=False) > -6  # default: sustains while held


# Each command, and what it must change: (line, what to read off the piece, the value expected
# after it, and that value without the command).
def _targets(p):
    return p.learner.targets_


COMMAND_EFFECTS = [
    ("detune mae", lambda p: p.signal, "mae", "loss"),
    ("detune residual", lambda p: p.signal, "residual", "loss"),
    ("lr 0.05", lambda p: p.cubic.lr, 0.05, 0.01),
    ("new", _targets, 2, 1),
    ("faithful on", lambda p: (p.faithful, p.knot.min_freq, p.signal), (True, 0, "residual"),
     (False, 1, "loss")),
    ("part 2", lambda p: (p.part, p.section), (2, "part 2"), (1, "part 1")),
    ("next", lambda p: p.part, 2, 1),
    ("gain 3", lambda p: p.gain, 3.0, 1.0),
]


@pytest.mark.parametrize("line, read, after, without", COMMAND_EFFECTS,
                         ids=[c[0] for c in COMMAND_EFFECTS])
def test_every_command_changes_what_it_names_and_the_music_goes_on(line, read, after, without):
    runs = {}
    for with_command in (False, True):
        piece = Ldd(seed=8)
        events = [note_on(smp(0.05), 64, 90)] + ([cmd(0.3, line)] if with_command else [])
        out, _ = run(piece, events, 0.8)
        assert np.sqrt(np.mean(out[smp(0.5):, 0] ** 2)) > 1e-3  # the music goes on
        runs[with_command] = read(piece)
    assert runs[False] == without and runs[True] == after


def test_gain_moves_the_overtones_it_detunes():
    def second_partial_cents(gain_line):
        piece = Ldd(seed=8)
        out, _ = run(piece, [cmd(0.0, gain_line), note_on(smp(0.05), 64, 90)], 0.6)
        hz, _ = peak_hz(out[smp(0.2):, 0], SR, 2 * midi_hz(64), width_hz=60)
        return cents(hz, 2 * midi_hz(64))

    assert abs(second_partial_cents("gain 0")) < 1.0
    assert second_partial_cents("gain 3") > second_partial_cents("gain 1") + 20


def test_bad_command_values_are_one_clear_line():
    for line, words in (("part 5", "in 1..4"), ("detune lossy", "one of loss, residual, mae"),
                        ("faithful maybe", "on or off"), ("lr -1", "in ")):
        with pytest.raises(UserError) as err:
            LANG.parse(line)
        assert words in str(err.value) and "\n" not in str(err.value)


def test_same_score_and_seed_render_the_same_bytes(tmp_path):
    for d in ("a", "b"):
        render(demo_score(), tmp_path / d,
               RenderOptions(seed=11, video=False, duration_s=3.0, block=256))
    wav = [(tmp_path / d / "audio.wav").read_bytes() for d in ("a", "b")]
    assert wav[0] == wav[1]


def test_ldd_render_writes_video_frames_of_the_requested_size_and_count(tmp_path):
    from synthlearn.visuals.video import count_frames

    path = tmp_path / "s.toml"
    path.write_text('piece = "ldd"\nduration = 2.0\n[[at]]\ntime = 0.5\ndo = "part 4"\n')
    summary = render(path, tmp_path / "out", RenderOptions(width=320, height=176, fps=24,
                                                           video_source="test"))
    assert summary["video_frames"] == 48
    assert count_frames(tmp_path / "out" / "video.mp4") == (48, (320, 176))


def test_missing_video_file_is_one_line_and_exit_2_before_anything_is_written(tmp_path, capsys):
    from synthlearn.cli import main

    out = tmp_path / "out"
    code = main(["render", str(demo_score()), "--out", str(out), "--video",
                 str(tmp_path / "nope.mp4"), "--duration", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "nope.mp4" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
