"""synthlearn on a PipeWire desktop with no jackd, as a performer runs it: a private PipeWire
(its own runtime dir, a null sink whose monitor is recorded) and synthlearn as a child process
with no audio flags. What reaches the sink is measured, and compared with synthlearn's own
recording of what it played."""

import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
from helpers import a440_midi, own_jackd, peak_hz, stderr_until
from pipewire_daemon import read_float_wav

from synthlearn.audio.wavfile import read_wav

pytestmark = pytest.mark.pipewire
CHILD_TIMEOUT_S = 180


def _env(daemon, **extra):
    return dict(daemon.env, SDL_VIDEODRIVER="dummy", PYO_GUI_WX="0", **extra)


def _perform(daemon, tmp_path, *args, wrapper=(), **env):
    """``synthlearn perform additive`` playing A440 for 3 s, recorded by itself and at the
    sink; returns (the child's stderr, the sink's (sr, frames), its own (sr, frames))."""
    own, sink = tmp_path / "own.wav", tmp_path / "sink.wav"
    cmd = [*wrapper, sys.executable, "-m", "synthlearn", "perform", "additive", "--midi",
           str(a440_midi(tmp_path / "a440.mid", 3.0)), "--record", str(own), "--duration", "3.5",
           "--no-window", "--no-console", "--session", str(tmp_path / "session"), *args]
    with daemon.record(sink):
        run = subprocess.run(cmd, env=_env(daemon, **env), capture_output=True, text=True,
                             timeout=CHILD_TIMEOUT_S)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    return run.stderr, read_float_wav(sink), read_wav(own)


def _steady(frames, sr, seconds=1.5):
    """``seconds`` of the left channel from 0.3 s after the note starts (attack over)."""
    start = int(np.argmax(np.abs(frames[:, 0]) > 0.01)) + round(0.3 * sr)
    part = frames[start:start + round(seconds * sr), 0]
    assert len(part) == round(seconds * sr), "the note did not sound long enough"
    return part


def _level_db(part, sr, window_s=0.05):
    """The median RMS of 50 ms windows, in dB: a dropout on a busy machine (a late block in
    a client without real-time priority) changes a window or two, not the median."""
    n = round(window_s * sr)
    windows = part[:len(part) // n * n].reshape(-1, n)
    return 20 * np.log10(np.median(np.sqrt(np.mean(windows ** 2, axis=1))))


def _pitch(part, sr, window_s=0.25):
    """(Hz, amplitude): the medians over 0.25 s windows of the strongest peak near 440 Hz. A
    dropout on a busy machine (a late cycle of the graph, a skipped buffer in the recorder)
    smears a window or two; a peak over the whole take would take the glitch in."""
    n = round(window_s * sr)
    found = [peak_hz(part[i:i + n], sr, 440.0, width_hz=30.0)
             for i in range(0, len(part) - n + 1, n)]
    return float(np.median([f[0] for f in found])), float(np.median([f[1] for f in found]))


def _assert_a440_reached_the_sink(sink, own):
    (sink_sr, sink_frames), (own_sr, own_frames) = sink, own
    assert sink_sr == 48000
    at_sink, played = _steady(sink_frames, sink_sr), _steady(own_frames, own_sr)
    hz, _ = _pitch(at_sink, sink_sr)
    own_hz, own_amp = _pitch(played, own_sr)
    assert abs(hz - 440.0) < 1.0, hz
    assert abs(own_hz - 440.0) < 1.0 and own_amp > 0.01, (own_hz, own_amp)
    difference_db = _level_db(at_sink, sink_sr) - _level_db(played, own_sr)
    assert abs(difference_db) < 1.0, difference_db  # the same level


def test_perform_with_no_flags_plays_through_pipewires_jack(private_pipewire, tmp_path):
    err, sink, own = _perform(private_pipewire, tmp_path)
    assert (f"audio: PipeWire {private_pipewire.version} (JACK) via PipeWire's libjack ("
            in err)
    assert "performing additive on jack" in err
    _assert_a440_reached_the_sink(sink, own)


def test_perform_under_pw_jack(private_pipewire, tmp_path):
    if shutil.which("pw-jack") is None:
        pytest.skip("pw-jack is not installed (apt-get install pipewire-jack)")
    # Under pw-jack the system's libjack.so.0 is PipeWire's: the first step of auto's order,
    # "a running JACK server", finds it.
    err, sink, own = _perform(private_pipewire, tmp_path, "--audio", "jack",
                              wrapper=("pw-jack",))
    assert f"audio: PipeWire {private_pipewire.version} (JACK) via PipeWire's libjack" in err
    _assert_a440_reached_the_sink(sink, own)


def test_perform_through_alsa_opens_at_the_graphs_rate(private_pipewire, tmp_path):
    # Asked for 44.1 kHz, it opens at the graph's 48 kHz: PipeWire need not resample.
    err, sink, own = _perform(private_pipewire, tmp_path, "--audio", "portaudio", "--sr",
                              "44100")
    assert "audio: PipeWire (ALSA's default, through pipewire-alsa) via portaudio and " \
           "libasound (" in err
    assert "PipeWire runs at 48000 Hz: playing at 48000 Hz (asked 44100)" in err
    assert own[0] == 48000
    _assert_a440_reached_the_sink(sink, own)


def test_a_quantum_pipewire_keeps_is_played_at_and_said(private_pipewire, tmp_path):
    # A forced quantum stands for any stream holding one: pyo takes it while booting, and
    # synthlearn boots again at it instead of playing garbled audio at the block it asked.
    def force(frames):
        subprocess.run(["pw-metadata", "-n", "settings", "0", "clock.force-quantum",
                        str(frames)], env=private_pipewire.env, capture_output=True,
                       check=True, timeout=CHILD_TIMEOUT_S)

    force(1024)
    try:
        err, sink, own = _perform(private_pipewire, tmp_path, "--block", "256")
    finally:
        force(0)
    assert "PipeWire keeps a quantum of 1024 frames" in err
    assert "playing at block 1024 (asked 256)" in err
    assert "performing additive on jack, block 1024" in err
    _assert_a440_reached_the_sink(sink, own)


def test_a_block_request_sets_pipewires_quantum(private_pipewire, tmp_path):
    cmd = [sys.executable, "-m", "synthlearn", "perform", "additive", "--block", "256",
           "--midi", "none", "--duration", "60", "--no-window", "--no-console",
           "--session", str(tmp_path / "session")]
    child = subprocess.Popen(cmd, env=_env(private_pipewire), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = stderr_until(child, "performing additive on ")
        assert "on jack, block 256" in line
        assert private_pipewire.quantum() == 256  # PipeWire's default is 1024
    finally:
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=CHILD_TIMEOUT_S)


def test_a_jack_midi_port_appears_in_pipewires_graph(private_pipewire, tmp_path):
    cmd = [sys.executable, "-m", "synthlearn", "perform", "additive", "--midi", "all",
           "--duration", "60", "--no-window", "--no-console",
           "--session", str(tmp_path / "session")]
    child = subprocess.Popen(cmd, env=_env(private_pipewire), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = stderr_until(child, "midi: virtual input ")
        name = line.split("midi: virtual input ")[1].split()[0]
        assert name.startswith("synthlearn-midi-") and name.endswith(":synthlearn")
        assert name in private_pipewire.ports()
    finally:
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=CHILD_TIMEOUT_S)


def test_demo_plays_live(private_pipewire, tmp_path):
    sink = tmp_path / "sink.wav"
    cmd = [sys.executable, "-m", "synthlearn", "demo", "--duration", "4", "--no-window",
           "--out", str(tmp_path / "out")]
    with private_pipewire.record(sink):
        run = subprocess.run(cmd, env=_env(private_pipewire), capture_output=True, text=True,
                             timeout=CHILD_TIMEOUT_S)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "playing the demo live" in run.stderr and "rendering" not in run.stderr
    assert "played 4.0 s on jack" in run.stdout
    assert not (tmp_path / "out").exists()  # nothing rendered
    sr, frames = read_float_wav(sink)
    rms_db = 20 * np.log10(np.sqrt(np.mean(frames ** 2)) + 1e-12)
    assert rms_db > -40, rms_db  # the demo reached the sink


def test_devices_says_what_plays_and_why_not_the_others(private_pipewire):
    run = subprocess.run([sys.executable, "-m", "synthlearn", "devices"],
                         env=_env(private_pipewire), capture_output=True, text=True,
                         timeout=CHILD_TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "  jack server: no JACK server answers through libjack" in out
    assert f"  pipewire: PipeWire {private_pipewire.version} (JACK) at 48000 Hz, quantum " in out
    assert "  alsa default: PipeWire (ALSA's default, through pipewire-alsa)" in out
    assert f"--audio auto plays here through: PipeWire {private_pipewire.version} (JACK)" in out


def test_the_wheels_own_libraries_on_request_find_no_pipewire(private_pipewire):
    # SYNTHLEARN_AUDIO_LIBS=bundled: pyo's own libjack and alsa-lib, as before this issue,
    # reach neither PipeWire's JACK nor its ALSA plugin; the switch is honoured.
    run = subprocess.run([sys.executable, "-m", "synthlearn", "devices"],
                         env=_env(private_pipewire, SYNTHLEARN_AUDIO_LIBS="bundled"),
                         capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert "jack server: no JACK server answers through pyo's bundled libjack" in run.stdout
    assert "portaudio finds no audio output device here (with pyo's own alsa-lib" in run.stdout
    assert "--audio auto plays here through: nothing" in run.stdout


def test_a_hand_started_jackd_comes_before_pipewire(private_pipewire):
    with own_jackd():  # names its server in JACK_DEFAULT_SERVER while it runs
        env = _env(private_pipewire, JACK_DEFAULT_SERVER=os.environ["JACK_DEFAULT_SERVER"])
        run = subprocess.run([sys.executable, "-m", "synthlearn", "devices"], env=env,
                             capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert "  jack server: JACK (jackd) at 48000 Hz, period 256 frames" in run.stdout
    assert "--audio auto plays here through: JACK (jackd) via libjack" in run.stdout
