"""The inventory of bad command-line options: every number checked finite and in range, every
place checked, before anything starts. One line, exit 2, no traceback, nothing written."""

import json
import os
import signal
import subprocess
import sys

import pytest
from helpers import SR

from synthlearn.cli import main
from synthlearn.midi.files import write_midi

BAD = [  # (arguments after "render SCORE" or the command, what the refusal says)
    (["--duration", "nan"], "'nan': expected a finite number of seconds"),
    (["--duration", "inf"], "'inf': expected a finite number of seconds"),
    (["--duration", "1e400"], "'1e400': expected a finite number"),
    (["--duration", "0"], "above 0 and at most 14400"),
    (["--duration", "-3"], "above 0 and at most 14400"),
    (["--duration", "1e5"], "'1e5': expected a finite number of seconds above 0 and at most"),
    (["--duration", "ten"], "'ten' is not a number of seconds"),
    (["--fps", "1e6"], "frames per second above 0 and at most 240"),
    (["--fps", "nan"], "'nan': expected a finite number of frames per second"),
    (["--fps", "0"], "frames per second above 0"),
    (["--size", "0x0"], "width and height must be above 0"),
    (["--size", "100000x100000"], "expected at most 7680x4320"),
    (["--size", "640x"], "is not WIDTHxHEIGHT"),
    (["--size", "100x100"], "expected multiples of 8"),
    (["--seed", "-1"], "a seed is 0 or more"),
    (["--seed", "1.5"], "'1.5' is not a whole number"),
    (["--block", "100"], "invalid choice: 100"),
    (["--sr", "1000"], "invalid choice: 1000"),
    (["--voices", "sine"], "invalid choice: 'sine'"),
    (["--piece", "nope"], "invalid choice: 'nope'"),
    (["--video", "missing.mp4"], "missing.mp4"),
    (["--video", "{tmp}/notes.txt"], "cannot read video"),
    (["--video", "{tmp}"], "cannot read video: no such file"),
    (["--out", ""], "argument --out: an empty name: expected a folder"),
]


@pytest.fixture
def phrase(tmp_path):
    return write_midi(tmp_path / "p.mid", [(0.0, 60, 90), (0.5, 60, 0)])


@pytest.mark.parametrize("args, words", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_render_options_are_one_line(args, words, phrase, tmp_path, capsys):
    out = tmp_path / "out"
    (tmp_path / "notes.txt").write_text("not a video")
    argv = ["render", str(phrase), "--out", str(out)]
    if "--piece" not in args:
        argv += ["--piece", "ldd"]
    assert main(argv + [a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert not out.exists()


PERFORM_BAD = [
    (["--duration", "nan"], "expected a finite number of seconds"),
    (["--size", "99999x10"], "expected at most 7680x4320"),
    (["--osc-in", ""], "OSC address ''"),
    (["--osc-in", "localhost:99999"], "OSC address"),
    (["--osc-out", "1.2.3.4:x"], "OSC address"),
    (["--midi", "nope.mid"], "nope.mid: no such MIDI"),
    (["--session", "a", "--resume", "b"], "not allowed with argument --session"),
    (["--resume", "/nonexistent/session"], "/nonexistent/session"),
    (["--resume", "{file}"], "no such session folder"),
    (["--session", "{file}"], "cannot make the session folder (File exists)"),
    (["--session", "/proc/synthlearn"], "cannot make the session folder"),
    (["--record", ""], "--record names a folder"),
]


@pytest.mark.parametrize("args, words", PERFORM_BAD, ids=[" ".join(a) for a, _ in PERFORM_BAD])
def test_bad_perform_options_are_one_line_before_any_audio(args, words, capsys, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    args = [a.format(file=a_file) for a in args]
    assert main(["perform", "ldd", "--audio", "jack", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err, err


# -- the output folder ---------------------------------------------------------------------

def test_out_that_is_a_file_or_cannot_be_made_is_one_line(phrase, tmp_path, capsys):
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    for out, words in ((a_file, "--out is a file, not a folder"),
                       ("/proc/synthlearn-out", "cannot make this folder")):
        assert main(["render", str(phrase), "--piece", "ldd", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1, err
    assert main(["demo", "--render", "--out", str(a_file)]) == 2
    assert "--out is a file, not a folder" in capsys.readouterr().err
    assert main(["render", str(tmp_path), "--piece", "ldd"]) == 2  # a folder as the input
    assert "no such score or MIDI file" in capsys.readouterr().err
    assert a_file.read_text() == "keep me"


def test_a_render_over_an_earlier_one_replaces_the_whole_set(phrase, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", str(phrase), "--piece", "qmelody", "--out", str(out), "--duration",
                 "4", "--size", "64x64", "--fps", "10", "--block", "256"]) == 0
    assert {p.name for p in out.iterdir()} == {"audio.wav", "summary.json", "video.mp4",
                                               "curves.csv", "curves.png"}
    mine = out / "notes.txt"
    mine.write_text("the performer's")
    capsys.readouterr()
    assert main(["render", str(phrase), "--piece", "ldd", "--out", str(out), "--no-video",
                 "--duration", "1", "--block", "256"]) == 0
    said = capsys.readouterr().out
    assert f"replaced the earlier render in {out} (audio.wav, summary.json, video.mp4, " \
           "curves.csv, curves.png)" in said
    # no old video beside a summary that says there is none; other files are left alone
    assert {p.name for p in out.iterdir()} == {"audio.wav", "summary.json", "notes.txt"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["files"]["video"] is None and summary["piece"] == "ldd"


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_render_stopped_by_a_signal_leaves_audio_and_video_that_play(sig, code, phrase,
                                                                       tmp_path):
    from synthlearn.audio.wavfile import read_wav
    from synthlearn.visuals.video import count_frames

    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-m", "synthlearn", "render", str(phrase), "--piece", "ldd", "--out",
         str(out), "--duration", "3600", "--size", "128x72", "--fps", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYO_GUI_WX="0", SDL_VIDEODRIVER="dummy"))
    try:
        line = child.stderr.readline()  # the first progress line: the render loop runs
        assert line.startswith("rendering"), line
        child.send_signal(sig)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == code, stderr
    assert f"stopped by {signal.Signals(sig).name} at" in stderr and "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped_by"] == signal.Signals(sig).name
    sr, audio = read_wav(out / "audio.wav")
    assert sr == SR and audio.shape[0] == summary["frames_written"] > 0
    assert summary["duration_s"] == pytest.approx(audio.shape[0] / sr)
    frames, size = count_frames(out / "video.mp4")  # decodes to the end: ffmpeg closed it
    assert size == (128, 72) and frames == summary["video_frames"] > 0
    assert frames == pytest.approx(summary["duration_s"] * 20, abs=1)
