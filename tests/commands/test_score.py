import mido
import pytest

from synthlearn import events
from synthlearn.commands.score import parse_score, read_score, schedule
from synthlearn.errors import UserError
from synthlearn.pieces.additive import Additive

SR = 48000


def write_midi(path, messages, tempo_bpm=120, ticks=480):
    """messages: (tick, mido.Message) absolute ticks."""
    mid = mido.MidiFile(ticks_per_beat=ticks)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    now = 0
    for tick, msg in sorted(messages, key=lambda m: m[0]):
        tr.append(msg.copy(time=tick - now))
        now = tick
    mid.save(path)


def test_midi_file_events_are_stamped_exactly(tmp_path):
    p = tmp_path / "a.mid"
    # 120 bpm, 480 ticks per beat: one beat = 0.5 s = 24000 samples.
    write_midi(p, [
        (0, mido.Message("note_on", note=60, velocity=90)),
        (480, mido.Message("note_on", note=60, velocity=0)),  # velocity 0 = off
        (720, mido.Message("control_change", control=64, value=127)),
        (960, mido.Message("note_off", note=62, channel=3)),
    ])
    score = read_score(p)
    evs, dur = schedule(score, Additive.language(), SR)
    assert evs == [
        events.note_on(0, 60, 90),
        events.note_off(24000, 60),
        events.control(36000, 64, 127),
        events.note_off(48000, 62, channel=3),
    ]
    assert dur == pytest.approx(1.0 + 3.0)


def test_tempo_change_is_honoured(tmp_path):
    p = tmp_path / "t.mid"
    mid = mido.MidiFile(ticks_per_beat=100)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))  # 0.5 s per beat
    tr.append(mido.MetaMessage("set_tempo", tempo=250000, time=100))  # at 0.5 s: 0.25 s/beat
    tr.append(mido.Message("note_on", note=70, velocity=1, time=100))  # 0.75 s
    mid.save(p)
    evs, _ = schedule(read_score(p), Additive.language(), SR)
    assert evs == [events.note_on(36000, 70, 1)]


def test_toml_score_with_midi_and_cues(tmp_path):
    write_midi(tmp_path / "perf.mid", [(0, mido.Message("note_on", note=64, velocity=100))])
    (tmp_path / "s.toml").write_text(
        'piece = "additive"\nseed = 7\nduration = 5.5\nmidi = "perf.mid"\n'
        '[[at]]\ntime = 0.25\ndo = "brightness 2"\n[[at]]\ntime = 1\ndo = "volume -3"\n'
    )
    score = read_score(tmp_path / "s.toml")
    assert (score.piece, score.seed, score.duration_s) == ("additive", 7, 5.5)
    evs, dur = schedule(score, Additive.language(), SR)
    assert dur == 5.5
    cmds = [e for e in evs if e.kind == events.Kind.COMMAND]
    assert [(e.time_smp, e.command.name, e.command.args) for e in cmds] == [
        (12000, "brightness", (2.0,)), (48000, "volume", (-3.0,))]


@pytest.mark.parametrize("text, line, fragment", [
    ('piece = "additive"\nduration = -1\n', 2, "duration = -1: expected seconds"),
    ('piece = "additive"\nseed = "x"\n', 2, "seed = 'x'"),
    ('piece = "additive"\ndurration = 3\n', 2, "unknown key 'durration'"),
    ('piece = "additive"\nduration = 3\n[[at]]\ntime = 1\ndo = "brightnes 2"\n', 5,
     "unknown command 'brightnes'"),
    ('piece = "additive"\nduration = 3\n[[at]]\ntime = 1\ndo = "ok"\n[[at]]\ntime = -2\n'
     'do = "panic"\n', 7, "time = -2"),
    ('piece = "additive"\nduration = 3\n[[at]]\ntime = 1\ndo = "help"\n', 5, "live console"),
    ('piece = "additive"\nduration = [3\n', 2, "not valid TOML"),
    ('piece = "additive"\nmidi = "nope.mid"\n', 2, "no such file"),
])
def test_bad_scores_name_file_line_and_value(tmp_path, text, line, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        schedule(parse_score(text, path), Additive.language(), SR)
    msg = str(err.value)
    assert msg.startswith(f"{path}:{line}: "), msg
    assert fragment in msg


def test_broken_midi_file_is_a_user_error(tmp_path):
    p = tmp_path / "broken.mid"
    p.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    with pytest.raises(UserError, match="not a readable MIDI file"):
        schedule(read_score(p), Additive.language(), SR)


def test_event_queue_drains_by_block_and_live_events_next_block():
    q = events.EventQueue([events.note_on(130, 1, 1), events.note_on(0, 2, 1),
                           events.note_on(64, 3, 1)])
    got = []
    assert q.drain(64, got.append) == 1 and got[-1].number == 2
    q.push(events.note_on(10_000, 9, 1))  # live: due at once, whatever its stamp
    q.drain(128, got.append)
    assert [e.number for e in got] == [2, 3, 9]
    q.drain(192, got.append)
    assert got[-1].number == 1 and q.pending == 0
