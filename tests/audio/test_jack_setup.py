"""perform on any JACK setup: the server's period and rate are used whatever was asked and the
recording's header matches its data (a JACK server stalled, killed or restarted mid-show:
tests/audio/test_stall.py)."""

import os

import pytest
from helpers import a440_midi, own_jackd, peak_hz

from synthlearn.audio import backends
from synthlearn.audio.engine import server_format
from synthlearn.audio.wavfile import read_wav
from synthlearn.errors import UserError

pytestmark = pytest.mark.jack


@pytest.mark.parametrize("sr, period", [(48000, 1024), (48000, 64), (44100, 256)])
def test_perform_plays_at_the_servers_period_and_rate(sr, period, tmp_path, capsys):
    from synthlearn.cli import main

    wav = tmp_path / "a440.wav"
    with own_jackd(sr=sr, period=period):
        assert backends.resolve("jack", block=None).fmt == backends.ServerFormat(sr, period)
        # perform's defaults: block 256 at 48 kHz, whatever the server runs.
        code = main(["perform", "additive", "--audio", "jack", "--midi",
                     str(a440_midi(tmp_path / "a.mid", 2.0)), "--record", str(wav), "--duration",
                     "2.5", "--no-window", "--no-console", "--session", str(tmp_path / "s")])
    out, err = capsys.readouterr()
    assert code == 0, err
    if (sr, period) != (48000, 256):  # one line says what the server runs and what is used
        assert f"JACK runs at {sr} Hz with a period of {period} frames: playing at" in err
    assert f"performing additive on jack, block {period}" in err
    blocks = int(out.split(": ")[1].split(" blocks")[0])
    late = int(out.split(" blocks, ")[1].split(" late")[0])
    # A block that is not the server's period made nearly every block late (1506 of 1507);
    # a busy machine makes some late (how many is the bench's figure), never nearly all.
    assert late < 0.9 * blocks, out
    got_sr, audio = read_wav(wav)
    assert got_sr == sr  # the header says the rate its data was made at
    assert audio.shape[0] >= 2.4 * sr
    hz, amp = peak_hz(audio[round(0.5 * sr):round(2.0 * sr), 0], sr, 440.0, width_hz=30.0)
    assert abs(hz - 440.0) < 1.0 and amp > 0.01  # garbled audio played A440 at 393-448 Hz


def test_server_format_decides_once_and_says_why():
    assert server_format("manual", 48000, 64, None) == (48000, 64, None)
    fmt = backends.ServerFormat(48000, 256)
    assert server_format("jack", 48000, 256, fmt) == (48000, 256, None)
    sr, block, note = server_format("jack", 44100, 64, backends.ServerFormat(96000, 128))
    assert (sr, block) == (96000, 128)
    assert note == ("JACK runs at 96000 Hz with a period of 128 frames: playing at 96000 Hz "
                    "(asked 44100), block 128 (asked 64)")
    sr, block, note = server_format("portaudio", 48000, 256, backends.ServerFormat(44100))
    assert (sr, block) == (44100, 256) and note.startswith("the audio device runs at 44100 Hz")
    with pytest.raises(UserError, match="period of 8 frames"):
        server_format("jack", 48000, 256, backends.ServerFormat(48000, 8))
    with pytest.raises(UserError, match="runs at 4000 Hz"):
        server_format("jack", 48000, 256, backends.ServerFormat(4000, 256))


def test_devices_says_what_the_jack_server_runs(capsys):
    from synthlearn.cli import main

    with own_jackd(sr=44100, period=512):
        assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "jack server: JACK (jackd) at 44100 Hz, period 512 frames" in out
    assert "--audio auto plays here through: JACK (jackd) via libjack" in out


def test_a_jackd_under_another_name_is_named_in_the_reason(monkeypatch):
    with own_jackd() as server:
        name = os.environ["JACK_DEFAULT_SERVER"]
        assert name in backends.running_jackd_names()
        monkeypatch.setenv("JACK_DEFAULT_SERVER", "synthlearn-test-nonesuch")
        found = backends.find_jack("jack-first", committed_only=False)
        assert server.proc.poll() is None
    assert found.route is None
    assert "a jackd runs here under another name (" in found.why, found.why
    assert repr(name) in found.why.split("another name (")[1].split(")")[0]
    assert found.why.endswith("JACK_DEFAULT_SERVER=NAME plays through it")
