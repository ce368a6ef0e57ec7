import json

import mido
import numpy as np
import pytest

from synthlearn.audio.wavfile import read_wav
from synthlearn.cli import main
from synthlearn.runtime.render import RenderOptions, render
from synthlearn.visuals.video import count_frames


@pytest.fixture
def score(tmp_path):
    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    for i, note in enumerate((60, 64, 67, 72)):
        tr.append(mido.Message("note_on", note=note, velocity=90, time=0 if i == 0 else 240))
    tr.append(mido.Message("control_change", control=64, value=127, time=0))
    for note in (60, 64, 67, 72):
        tr.append(mido.Message("note_off", note=note, time=120))
    tr.append(mido.Message("control_change", control=64, value=0, time=480))
    mid.save(tmp_path / "perf.mid")
    path = tmp_path / "s.toml"
    path.write_text('piece = "additive"\nseed = 3\nduration = 3.0\nmidi = "perf.mid"\n'
                    '[[at]]\ntime = 0.5\ndo = "brightness 0.3"\n')
    return path


def test_render_writes_wav_summary_and_video(score, tmp_path):
    out = tmp_path / "out"
    summary = render(score, out, RenderOptions(width=320, height=184, fps=20))
    sr, audio = read_wav(out / "audio.wav")
    assert sr == 48000 and audio.shape == (3 * 48000, 2)
    assert np.abs(audio).max() > 0.05  # not silent
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk == summary
    assert summary["blocks"] == 2250 and summary["seed"] == 3
    assert set(summary["block_cost"]) >= {"p50_us", "p99_us", "max_us", "first_over_median"}
    assert summary["block_cost"]["p99_us"] >= summary["block_cost"]["p50_us"] > 0
    assert summary["sections"][0] == {"time_s": 0.0, "name": "play"}
    sig = summary["signals"]
    assert len(sig["t_s"]) == len(sig["voices"]) == 150  # 50 Hz for 3 s
    assert max(sig["voices"]) == 4
    frames, size = count_frames(out / "video.mp4")
    assert (frames, size) == (60, (320, 184))


def test_same_score_and_seed_give_identical_bytes(score, tmp_path):
    opts = RenderOptions(video=False)
    render(score, tmp_path / "a", opts)
    render(score, tmp_path / "b", opts)
    assert (tmp_path / "a/audio.wav").read_bytes() == (tmp_path / "b/audio.wav").read_bytes()


def test_bare_midi_needs_a_piece(score, tmp_path, capsys):
    code = main(["render", str(score.parent / "perf.mid"), "--out", str(tmp_path / "m"),
                 "--no-video"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--piece" in err
    code = main(["render", str(score.parent / "perf.mid"), "--piece", "additive", "--out",
                 str(tmp_path / "m"), "--no-video", "--block", "256"])
    assert code == 0
    assert json.loads((tmp_path / "m/summary.json").read_text())["block"] == 256


@pytest.mark.parametrize("args, fragment", [
    (["render", "missing.toml"], "missing.toml: no such score"),
    (["render", "{score}", "--block", "100"], "argument --block: invalid choice: 100"),
    (["render", "{score}", "--sr", "1000"], "argument --sr: invalid choice: 1000"),
    (["render", "{mid}", "--piece", "nope"], "argument --piece: invalid choice: 'nope'"),
    (["render", "{score}", "--piece", "ldd"], "differs from the score's piece"),
    (["render", "{bad}"], ":5: unknown command 'brightnes'"),
    (["render", "{score}", "--size", "big"], "WIDTHxHEIGHT"),
    (["perform", "ldd", "--audio", "alsa"], "argument --audio: invalid choice: 'alsa'"),
    (["perform", "ldd", "--midi", "nope.mid"], "nope.mid: no such MIDI"),
    (["perform", "nope"], "argument PIECE: invalid choice: 'nope'"),
    (["demo", "--audio", "alsa"], "argument --audio: invalid choice: 'alsa'"),
    (["render", "{score}", "--seed", "-1"], "argument --seed: '-1': a seed is 0 or more"),
    (["render", "{score}", "--duration", "nan"], "expected a finite number of seconds"),
    (["perform", "--session", "a", "--resume", "b"], "not allowed with argument --session"),
    (["perform", "--osc-in", ""], "argument --osc-in: OSC address ''"),
])
def test_cli_user_errors_are_one_line_exit_2(score, tmp_path, capsys, args, fragment):
    bad = tmp_path / "bad.toml"
    bad.write_text('piece = "additive"\nduration = 1\n[[at]]\ntime = 0\ndo = "brightnes 1"\n')
    out = tmp_path / "never"
    argv = [a.format(score=score, bad=bad, mid=score.parent / 'perf.mid') for a in args] + (
        ["--out", str(out)] if args[0] == "render" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()  # nothing written for bad input


def test_demo_renders_non_silent_wav_without_audio_device(tmp_path, capsys):
    from synthlearn.audio import backends

    if backends.survey()[1] is not None:
        pytest.skip("live audio exists here: demo would play live")
    assert main(["demo", "--out", str(tmp_path / "demo"), "--no-video"]) == 0
    sr, audio = read_wav(tmp_path / "demo" / "audio.wav")
    assert audio.shape[0] > 20 * sr
    assert 20 * np.log10(np.sqrt(np.mean(audio ** 2))) > -40
    assert "wrote" in capsys.readouterr().out


def test_devices_lists_what_it_finds(capsys):
    from synthlearn.audio import backends
    from synthlearn.midi.ports import list_inputs

    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    info, (midi_names, why) = backends.portaudio_info(), list_inputs("LINUX_ALSA")
    findings, chosen = backends.survey()
    for found in findings:  # each route of --audio auto's order: what plays, or why not
        label = {"jack": "jack server", "pipewire": "pipewire", "alsa": "alsa default"}
        said = found.why if found.route is None else found.route.server
        assert f"  {label[found.step]}: {said}" in out
    assert ("--audio auto plays here through: "
            + (chosen.line.removeprefix("audio: ") if chosen else "nothing")) in out
    for name in info.outputs:  # every output portaudio finds, or why there is none
        assert f" {name}" in out
    assert ("portaudio: no output device" in out) == (not info.outputs)
    assert f"  through ALSA: {why or ', '.join(midi_names)}\n" in out
    assert "ALSA lib" not in capsys.readouterr().err  # alsa-lib's own line is not leaked


@pytest.mark.parametrize("video", [False, True])
def test_a_score_that_fails_as_it_plays_leaves_no_file(tmp_path, capfd, video):
    # Checked before it plays, then failing at its time: a set before any rules were learned.
    score = tmp_path / "s.toml"
    score.write_text('piece = "ruler"\nduration = 2\n[[at]]\ntime = 0.5\n'
                     'do = "set blip rules 0 tone"\n')
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "mine.txt").write_text("the performer's own file")
    for out in (tmp_path / "new", tmp_path / "kept"):
        args = ["render", str(score), "--out", str(out)] + ([] if video else ["--no-video"])
        assert main(args) == 2
        err = capfd.readouterr().err
        assert "no rules named 'rules'" in err and len(err.strip().splitlines()) == 1, err
        assert "No frames" not in err and "Traceback" not in err
    assert not (tmp_path / "new").exists()
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["mine.txt"]
