"""Stalls are not deaths: a JACK server that stops calling us (jackd stopped) is waited for and
the show goes on; one killed and started again under its name is rejoined, what was learned
kept; one that does not come back within the limit ends the show in one line, nothing learned
lost. What happened when is read from the engine's own clock (the lines it says, the samples
it recorded), never from the test's."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest
from helpers import SR, a440_midi, own_jackd, stderr_until

from synthlearn.audio import jacklib
from synthlearn.audio.engine import ALIVE, BACK, GONE, UNKNOWN
from synthlearn.runtime.live import Watchdog

CHILD_TIMEOUT_S = 120  # a child still running then is killed (and the test fails)
RESUMED = re.compile(r"audio back after [\d.]+ s without: .*\(at ([\d.]+) s of the show\)")


# -- the watchdog's reasoning, on a fake engine ------------------------------------------------
class FakeEngine:
    """What the watchdog reads of an engine, set by the test."""

    backend, block, time_s, can_rejoin = "jack", 256, 12.5, True
    server_label = "the JACK server 'x'"

    def __init__(self):
        self.silent_s, self.status, self.rejoined = 0.0, ALIVE, 0

    def server_block(self):
        return self.block

    def silent_for_s(self):
        return self.silent_s

    def server_status(self):
        return self.status

    def rejoin(self):
        self.rejoined += 1
        self.status = ALIVE


def _watch(engine, **kw):
    said = []
    return Watchdog(engine, said.append, **kw), said


def test_a_stall_is_said_once_a_second_and_its_end_in_one_line():
    engine = FakeEngine()
    dog, said = _watch(engine, limit_s=30.0)
    for silent_s in (0.5, 1.0, 1.2, 1.9, 2.0, 2.7, 3.1):
        engine.silent_s = silent_s
        assert dog() is False
    assert said == [
        f"no audio for {n} s: the JACK server 'x' still runs but calls us no more (stopped or "
        "starved?); waiting up to 30 s (at 12.5 s of the show)" for n in (1, 2, 3)]
    engine.silent_s = 0.01
    assert dog() is False and dog.lost is None and dog.silences == 1
    assert said[-1] == ("audio back after 3.1 s without: the JACK server 'x' runs us again; "
                        "the show goes on (at 12.5 s of the show)")


@pytest.mark.parametrize("status, why", [
    (ALIVE, "still runs but stayed stalled all that time"),
    (GONE, "did not come back"),
    (UNKNOWN, "stopped or the audio device was lost")])
def test_a_silence_as_long_as_the_limit_ends_the_show_in_one_line(status, why):
    engine = FakeEngine()
    engine.status = status
    dog, said = _watch(engine, limit_s=3.0)
    for silent_s in (1.0, 2.0, 2.5):
        engine.silent_s = silent_s
        assert dog() is False
    engine.silent_s = 3.0
    assert dog() is True and dog() is True
    assert said[-1] == dog.lost == (f"no audio for 3 s: the JACK server 'x' {why}; ending "
                                    "(--resume continues)")
    assert len(said) == 3


def test_a_dead_server_that_comes_back_is_rejoined_and_the_show_goes_on():
    engine = FakeEngine()
    engine.status = GONE
    dog, said = _watch(engine)
    engine.silent_s = 1.0
    assert dog() is False and engine.rejoined == 0
    assert said[-1].startswith("no audio for 1 s: the JACK server 'x' is gone (if it comes "
                               "back under its name, it is rejoined)")
    engine.status, engine.silent_s = BACK, 2.0
    assert dog() is False and engine.rejoined == 1 and len(said) == 1  # rejoined: no line yet
    engine.silent_s = 2.4  # the rejoined server has not called us yet
    assert dog() is False and len(said) == 1
    engine.silent_s = 0.0
    assert dog() is False and dog.rejoins == 1 and dog.lost is None
    assert said[-1].startswith("audio back after 2.4 s without: rejoined the JACK server 'x', "
                               "which had died; the piece plays on with what it learned")


def test_a_rejoin_that_fails_is_tried_each_second_and_said_at_the_limit():
    engine = FakeEngine()
    engine.status = BACK
    tries = []

    def rejoin():
        tries.append(engine.silent_s)
        raise RuntimeError("the server runs at 44100 Hz")

    dog, said = _watch(engine, limit_s=3.0, rejoin=rejoin)
    for silent_s in (1.0, 1.5, 2.0, 3.0):
        engine.silent_s = silent_s
        dog()
    assert tries == [1.0, 2.0, 3.0]
    assert said[0].startswith("no audio for 1 s: the JACK server 'x' is back, but rejoining it "
                              "failed (the server runs at 44100 Hz); trying again")
    assert dog.lost == ("no audio for 3 s: the JACK server 'x' came back but could not be "
                        "rejoined (the server runs at 44100 Hz); ending (--resume continues)")


def test_a_server_that_cannot_be_rejoined_ends_the_show_once_it_is_gone():
    engine = FakeEngine()
    engine.status, engine.can_rejoin, engine.server_label = GONE, False, "PipeWire"
    dog, said = _watch(engine)
    engine.silent_s = 1.0
    assert dog() is True and said == [dog.lost]
    assert dog.lost == ("no audio for 1 s: PipeWire is gone, and only a JACK server (jackd) is "
                        "rejoined; ending (--resume continues)")


def test_a_period_change_still_ends_the_show_at_once():
    engine = FakeEngine()
    dog, said = _watch(engine)
    engine.block = 512
    engine.server_block = lambda: 1024
    assert dog() is True and said == [dog.lost] and "from 512 to 1024 frames" in dog.lost


# -- the liveness probe: the kernel's table of listening sockets -------------------------------
def test_a_socket_counts_while_a_process_listens_on_it_not_after(tmp_path):
    path = str(tmp_path / "jack_x_0_0")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        assert jacklib.listening([path]) is None  # bound, not listening
        sock.listen(1)
        inode = jacklib.listening([str(tmp_path / "other"), path])
        assert inode == os.stat(f"/proc/self/fd/{sock.fileno()}").st_ino
    finally:
        sock.close()
    assert os.path.exists(path) and jacklib.listening([path]) is None  # a dead server's file


def test_jacks_socket_is_named_as_jack2_names_it(monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "a/b")
    monkeypatch.delenv("JACK_PROMISCUOUS_SERVER", raising=False)
    uid = os.geteuid()
    assert jacklib.socket_paths()[0] == f"/dev/shm/jack_a_b_{uid}_0"
    monkeypatch.setenv("JACK_PROMISCUOUS_SERVER", "")
    assert jacklib.socket_paths("s")[0] == "/dev/shm/jack_s_0"


def test_no_client_opens_once_the_server_died():
    try:
        jacklib.server_died()
        with pytest.raises(Exception, match="died"), jacklib.client("x"):
            pass
    finally:
        jacklib.server_died(False)


# -- a live perform against a private jackd --------------------------------------------------
class Jack:
    """A private jackd (``own_jackd``'s) to stop, continue, kill and start again under its name.
    At the end every server started here is stopped by its PID; a killed one is started again
    and stopped cleanly, as JACK keeps the slot of a server killed with SIGKILL until one of
    its name starts again."""

    def __init__(self, server):
        self.server, self.name, self.killed = server, os.environ["JACK_DEFAULT_SERVER"], False

    def pause(self):
        self.server.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.server.proc.send_signal(signal.SIGCONT)

    def kill(self):
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.proc.wait()  # reaped: a zombie still counts as the server to a new jackd
        self.killed = True

    def restart(self):
        from synthlearn.audio.jackd import start_jackd

        self.server, self.killed = start_jackd("dummy", sr=SR, period=256, name=self.name), False

    def close(self):
        if self.server.proc.poll() is None:
            self.resume()
        if self.killed:
            self.restart()
        self.server.stop()


@contextlib.contextmanager
def private_jack():
    with own_jackd() as server:
        jack = Jack(server)
        try:
            yield jack
        finally:
            jack.close()


@contextlib.contextmanager
def child(argv, timeout_s=CHILD_TIMEOUT_S, env=None):
    """A child process, its stderr read line by line; killed (by its PID) if it is still
    running after ``timeout_s`` or when the test fails."""
    env = dict(os.environ, PYTHONUNBUFFERED="1") if env is None else env
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env)
    guard = threading.Timer(timeout_s, proc.kill)
    guard.start()
    try:
        yield proc
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _perform(tmp_path, midi, *, duration_s, stall_limit_s=None):
    """``synthlearn perform ldd`` on JACK, recording, for ``duration_s`` of audio."""
    return [sys.executable, "-m", "synthlearn", "perform", "ldd", "--audio", "jack",
            "--midi", midi, "--record", str(tmp_path / "take.wav"), "--duration",
            str(duration_s), "--no-window", "--no-console", "--session",
            str(tmp_path / "session"), "--seed", "4",
            *(() if stall_limit_s is None else ("--stall-limit", str(stall_limit_s)))]


def _recorded_s(path):
    """Seconds of audio in a WAV being written (24-bit stereo after a 44-byte header)."""
    return max(0, path.stat().st_size - 44) / (SR * 6) if path.exists() else 0.0


def _until_recorded(path, seconds, proc):
    """Wait until the child's recording holds ``seconds`` of its audio clock."""
    import time

    while _recorded_s(path) < seconds:
        assert proc.poll() is None, "perform ended before it had recorded"
        time.sleep(0.05)  # waiting on another process's real-time clock


def _said_recorded_s(out):
    """The seconds ``perform`` says it recorded (its audio clock)."""
    return float(re.search(r"recorded ([\d.]+) s to", out)[1])


def _learned_steps(folder):
    from synthlearn.runtime.sessions import Session

    meta, _ = Session(folder).load()
    assert meta["piece"] == "ldd"
    return int(Session(folder).load_state("ldd")["cubic_steps"][0])


def _sounds_after(wav, at_s, seconds=1.0):
    """The RMS of the recording from ``at_s`` + 0.5 s (the engine's clock) for ``seconds``."""
    from synthlearn.audio.wavfile import read_wav

    sr, audio = read_wav(wav)
    start = round((at_s + 0.5) * sr)
    part = audio[start:start + round(seconds * sr)]
    assert part.shape[0] == round(seconds * sr), f"recorded only {audio.shape[0] / sr:.2f} s"
    return float(np.sqrt(np.mean(part ** 2)))


@pytest.mark.jack
def test_a_stalled_jackd_is_waited_for_and_the_show_goes_on(tmp_path):
    wav, seen = tmp_path / "take.wav", []
    with private_jack() as jack, child(_perform(tmp_path, str(a440_midi(tmp_path / "a.mid", 60)),
                                                duration_s=5.0)) as proc:
        stderr_until(proc, "performing", seen)
        _until_recorded(wav, 1.0, proc)
        jack.pause()  # kill -STOP: the process lives, no callback comes
        try:
            stderr_until(proc, "no audio for 2 s", seen)  # silent 2 s by the child's clock
        finally:
            jack.resume()
        resumed = stderr_until(proc, "audio back after", seen)
        out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    said = "".join(seen) + err
    assert proc.returncode == 0, said
    assert "no audio for 1 s: the JACK server" in said and "still runs but calls us no more" \
        in said
    assert "runs us again; the show goes on" in resumed and "ending" not in said
    at_s = float(RESUMED.search(resumed)[1])
    assert _sounds_after(wav, at_s) > 1e-3  # recorded on past the stall, and heard
    assert _said_recorded_s(out) >= 5.0  # the whole show: the stall ended nothing
    assert "Traceback" not in said and "Pyo error" not in said


@pytest.mark.jack
@pytest.mark.parametrize("midi", ["file", "jack ports"])
def test_a_jackd_killed_and_started_again_is_rejoined_with_what_was_learned(tmp_path, midi):
    """With a MIDI file, what is heard goes on (the held A4 too); with JACK MIDI ports open,
    they are closed while the server is dead and opened again on the new one (closing them
    after libjack had freed them segfaulted)."""
    wav, folder, seen = tmp_path / "take.wav", tmp_path / "session", []
    source = str(a440_midi(tmp_path / "a.mid", 60)) if midi == "file" else "all"
    with private_jack() as jack, child(_perform(tmp_path, source, duration_s=5.0)) as proc:
        stderr_until(proc, "performing", seen)
        _until_recorded(wav, 1.5, proc)
        jack.kill()
        gone = stderr_until(proc, "no audio for", seen)
        jack.restart()
        resumed = stderr_until(proc, "audio back after", seen)
        out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    said = "".join(seen) + err
    assert proc.returncode == 0, said
    assert f"the JACK server '{jack.name}' is gone (if it comes back under its name" in gone
    assert f"rejoined the JACK server '{jack.name}', which had died; the piece plays on with " \
        "what it learned" in resumed
    assert _said_recorded_s(out) >= 5.0 and "Traceback" not in said
    at_s = float(RESUMED.search(resumed)[1])
    if midi == "file":
        assert _sounds_after(wav, at_s) > 1e-3  # the note held across the death sounds on
        assert _learned_steps(folder) > 10  # learned before and after, saved
    else:
        assert said.count("midi: virtual input synthlearn-midi-") == 2  # opened again
        _learned_steps(folder)


@pytest.mark.jack
def test_a_jackd_that_does_not_come_back_ends_the_show_in_one_line_with_nothing_lost(tmp_path):
    wav, folder, seen = tmp_path / "take.wav", tmp_path / "session", []
    with private_jack() as jack, child(_perform(tmp_path, str(a440_midi(tmp_path / "a.mid", 60)),
                                                duration_s=60.0, stall_limit_s=3.0)) as proc:
        stderr_until(proc, "performing", seen)
        _until_recorded(wav, 1.5, proc)
        jack.kill()
        out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    said = "".join(seen) + err
    assert proc.returncode == 1, said
    ends = [line for line in said.splitlines() if "ending" in line]
    assert ends == [f"no audio for 3 s: the JACK server '{jack.name}' did not come back; ending "
                    "(--resume continues)"], said
    assert "Traceback" not in said and "Pyo error" not in said
    from synthlearn.audio.wavfile import read_wav

    sr, audio = read_wav(wav)  # complete: the header counts every frame the file holds
    assert wav.stat().st_size == 44 + audio.shape[0] * 6 and audio.shape[0] >= 1.5 * sr
    assert _learned_steps(folder) > 10  # what the notes taught it before the end, saved


@pytest.mark.pipewire
def test_a_stalled_pipewire_is_waited_for_and_the_show_goes_on(private_pipewire, tmp_path):
    """PipeWire's JACK: "the server" is the pipewire daemon, looked for at its own socket."""
    # the daemon's pipewire process (the fixture keeps its processes, by name, in _procs)
    daemon = next(proc for name, proc, _ in private_pipewire._procs if name == "pipewire")
    wav, seen = tmp_path / "take.wav", []
    argv = [sys.executable, "-m", "synthlearn", "perform", "additive", "--midi",
            str(a440_midi(tmp_path / "a.mid", 60)), "--record", str(wav), "--duration", "5",
            "--no-window", "--no-console", "--session", str(tmp_path / "session")]
    env = dict(private_pipewire.env, SDL_VIDEODRIVER="dummy", PYO_GUI_WX="0",
               PYTHONUNBUFFERED="1")
    with child(argv, env=env) as proc:
        stderr_until(proc, "performing additive on jack", seen)
        _until_recorded(wav, 1.0, proc)
        daemon.send_signal(signal.SIGSTOP)
        try:
            stderr_until(proc, "no audio for 2 s: PipeWire still runs but calls us no more",
                         seen)
        finally:
            daemon.send_signal(signal.SIGCONT)
        resumed = stderr_until(proc, "audio back after", seen)
        out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    said = "".join(seen) + err
    assert proc.returncode == 0, said
    assert "PipeWire runs us again; the show goes on" in resumed and "ending" not in said
    assert _sounds_after(wav, float(RESUMED.search(resumed)[1])) > 1e-3
    assert _said_recorded_s(out) >= 5.0
