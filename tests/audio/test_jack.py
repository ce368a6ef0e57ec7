"""Real time on a real JACK server (dummy driver, no sound card): callbacks and late blocks."""

import time

import numpy as np
import pytest
from helpers import JACK_PERIOD as PERIOD
from helpers import SR, OscListener, osc_port, stderr_until

from synthlearn import events
from synthlearn.audio.engine import Engine
from synthlearn.audio.jackd import start_jackd
from synthlearn.errors import AudioUnavailable
from synthlearn.pieces.additive import Additive


@pytest.mark.jack
def test_realtime_on_jack_dummy(jack_server):
    engine = Engine("jack", sr=SR, block=PERIOD, jack_client="synthlearn-test")
    assert engine.backend == "jack"
    piece = Additive(voices=8, partials=8)
    evs = [events.note_on(0, 48 + 4 * v, 100) for v in range(8)]
    try:
        engine.play(piece, evs)
        engine.start()
        seconds = 3.0
        t0 = time.monotonic()
        while engine.time_s < seconds and time.monotonic() - t0 < 3 * seconds:
            time.sleep(0.05)
        engine.stop()
        intervals = engine.callback_intervals_s()
        blocks = engine.block_index
        active = piece.pool.bank.active
    finally:
        engine.close()
    expected = seconds * SR / PERIOD
    assert blocks >= expected  # the clock ran, every period called the hook
    assert active == 8  # the notes reached the voices from the hook
    period_s = PERIOD / SR
    assert np.median(intervals) == pytest.approx(period_s, rel=0.1)
    late = int((intervals > 2 * period_s).sum())  # the machine's: printed, held by the bench
    print(f"jack dummy: {blocks} blocks in {seconds} s, {late} late, "
          f"interval p99 {np.percentile(intervals, 99) * 1e3:.2f} ms")


@pytest.mark.jack
def test_demo_plays_live_when_jack_runs(jack_server, capsys):
    from synthlearn.cli import main

    assert main(["demo", "--audio", "jack", "--duration", "1.5"]) == 0
    out = capsys.readouterr().out
    assert "played 1.5 s on jack" in out
    assert " frames, frame p50 " in out  # the window ran (SDL dummy driver) beside the audio


@pytest.mark.jack
def test_start_jackd_refuses_a_second_server(jack_server):
    with pytest.raises(AudioUnavailable, match="already running"):
        start_jackd("dummy")


def _perf_mid(path, seconds=3.0):
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks a second
    track = mido.MidiTrack()
    mid.tracks.append(track)
    now = 0
    t = 0.1
    while t < seconds:
        for vel, when in ((90, t), (0, t + 0.4)):
            tick = round(when * 960)
            track.append(mido.Message("note_on", note=60 + round(10 * t) % 17, velocity=vel,
                                      time=tick - now))
            now = tick
        t += 0.5
    mid.save(path)
    return path


@pytest.mark.jack
def test_perform_plays_a_midi_file_on_jack_and_records_it(jack_server, tmp_path, capsys):
    from synthlearn.audio.wavfile import read_wav
    from synthlearn.cli import main
    from synthlearn.runtime.sessions import Session
    from synthlearn.snapshot import same_state

    wav, folder = tmp_path / "out.wav", tmp_path / "session"
    argv = ["perform", "ldd", "--audio", "jack", "--midi", str(_perf_mid(tmp_path / "p.mid")),
            "--record", str(wav), "--duration", "3", "--no-window", "--no-console",
            "--session", str(folder), "--seed", "4"]
    assert main(argv) == 0
    assert "recorded" in capsys.readouterr().out
    sr, audio = read_wav(wav)
    assert sr == SR and audio.shape[0] >= 2.9 * SR
    second = audio[SR:2 * SR]
    assert np.sqrt(np.mean(second ** 2)) > 1e-3  # the notes were heard and recorded

    meta, _ = Session(folder).load()
    learned = Session(folder).load_state("ldd")  # autosaved: the notes stepped the cubic
    assert meta["piece"] == "ldd" and meta["seed"] == 4 and learned["cubic_steps"][0] > 10
    # Resumed with nothing played, the session ends exactly as it began, bit for bit.
    assert main(["perform", "--resume", str(folder), "--audio", "jack", "--midi", "none",
                 "--duration", "0.5", "--no-window", "--no-console"]) == 0
    meta2, _ = Session(folder).load()
    learned2 = Session(folder).load_state("ldd")
    assert meta2["piece"] == "ldd" and meta2["seed"] == 4 and same_state(learned2, learned)


@pytest.mark.jack
def test_kill_9_while_recording_leaves_a_readable_wav_up_to_the_kill(jack_server, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from synthlearn.audio.wavfile import read_wav

    wav = tmp_path / "killed.wav"
    child = subprocess.Popen(
        [sys.executable, "-m", "synthlearn", "perform", "ldd", "--audio", "jack", "--midi",
         str(_perf_mid(tmp_path / "p.mid", 30.0)), "--record", str(wav), "--no-window",
         "--no-console"],
        stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        stderr_until(child, "performing")  # the audio clock starts just before this line
        started = time.monotonic()
        deadline = started + 20
        while time.monotonic() < deadline and (not wav.exists() or
                                               wav.stat().st_size < 3 * SR * 6):
            time.sleep(0.05)  # waiting on another process's real-time clock
        child.send_signal(signal.SIGKILL)
        played_s = time.monotonic() - started
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    sr, audio = read_wav(wav)
    recorded_s = audio.shape[0] / sr
    assert recorded_s >= 3.0 and recorded_s >= played_s - 1.0
    assert np.sqrt(np.mean(audio[-SR:] ** 2)) > 1e-4


@pytest.mark.jack
def test_perform_takes_osc_commands_sends_signals_and_autosaves_them(jack_server, tmp_path):
    import os
    import subprocess
    import sys

    from pythonosc import udp_client

    from synthlearn.runtime.sessions import Session

    listener = OscListener(5.0)
    got = listener.got
    folder = tmp_path / "s"
    child = subprocess.Popen(
        [sys.executable, "-m", "synthlearn", "perform", "ldd", "--audio", "jack", "--midi",
         "none", "--no-window", "--no-console", "--duration", "6", "--session", str(folder),
         "--osc-in", "127.0.0.1:0", "--osc-out", f"127.0.0.1:{listener.port}"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        port = osc_port(child)
        stderr_until(child, "performing")
        sender = udp_client.SimpleUDPClient("127.0.0.1", port)
        sender.send_message("/synthlearn/part", 2)
        sender.send_message("/synthlearn/do", "gain 3")
        sender.send_message("/synthlearn/lr", "fast")  # a bad value: one line, no stop
        # the signals sent back by the running performance
        listener.until(lambda got: ("/synthlearn/part", pytest.approx(2.0)) in got)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        listener.close()
    assert child.returncode == 0, err
    assert ("/synthlearn/part", pytest.approx(1.0)) in got  # the first send: everything
    assert "? lr: rate 'fast' is not a number" in err
    _, history = Session(folder).load()
    state = Session(folder).load_state("ldd")
    assert state["part"][0] == 2 and state["gain"][0] == 3.0
    assert history == ["part 2", "gain 3"]


@pytest.mark.jack
def test_perform_switches_pieces_live_with_the_window_and_keeps_each_ones_state(
        jack_server, tmp_path):
    import os
    import re
    import subprocess
    import sys

    from pythonosc import udp_client

    from synthlearn.runtime.sessions import Session

    folder = tmp_path / "s"
    child = subprocess.Popen(
        [sys.executable, "-m", "synthlearn", "perform", "ldd", "--audio", "jack", "--midi",
         "none", "--no-console", "--duration", "8", "--session", str(folder), "--size",
         "320x180", "--osc-in", "127.0.0.1:0", "--osc-may", "show"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", SDL_VIDEODRIVER="dummy"))

    seen = []

    def wait_for(prefix):
        return stderr_until(child, prefix, seen)

    try:
        port = osc_port(child, seen)
        wait_for("performing ldd")
        sender = udp_client.SimpleUDPClient("127.0.0.1", port)
        sender.send_message("/synthlearn/new", [])  # ldd learns something: a new target
        sender.send_message("/synthlearn/piece", "additive")
        wait_for("playing additive")
        sender.send_message("/synthlearn/brightness", 2.0)  # additive's own command now
        sender.send_message("/synthlearn/piece", "nosuch")  # one line, and play on
        sender.send_message("/synthlearn/piece", "qmelody")
        wait_for("playing qmelody")
        sender.send_message("/synthlearn/do", "teach all c4,e4,g4")  # qmelody's own command
        sender.send_message("/synthlearn/piece", "ldd")
        back = wait_for("playing ldd")
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    said = "".join(seen) + err
    assert "? piece: name 'nosuch' is not one of additive, ldd, ruler, qmelody" in said
    late = int(re.search(r"(\d+) late", out)[1])
    frames = re.search(r"(\d+) frames shown", out)
    print(f"\nswitch back: {back.strip()}; {late} late blocks; {out.strip()}")
    assert frames and int(frames[1]) > 0  # the window drew (how many: the machine's)
    meta, history = Session(folder).load()
    assert meta["piece"] == "ldd" and history == [
        "new", "piece additive", "brightness 2", "piece qmelody", "teach all c4,e4,g4",
        "piece ldd"]
    taught = Session(folder).load_state("qmelody")  # kept when it was switched away from
    assert list(taught["nsteps"]) == [3, 3, 3]
    assert Session(folder).load_state("ldd")["cubic_targets"][0] == 2  # kept over the switch
