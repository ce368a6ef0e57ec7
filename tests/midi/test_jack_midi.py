"""End to end on a real JACK server (dummy driver): a mido JACK port plays notes into `perform`.

The child ``synthlearn perform ldd --midi all`` opens its virtual ``synthlearn`` input; this test
sends a known phrase into it through mido's rtmidi/UNIX_JACK backend and reads back the child's
summary line and its recording.

Two ways in: a virtual sender port connected with ``jack_connect`` (as a patchbay would), and a
plain ``open_output(<perform's port>)`` that rtmidi connects itself. The second makes a port named
``RtMidiOut Client:...``, which perform's watcher must not open as a device too, or every note
would arrive twice.
"""

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import SR

from synthlearn.audio.wavfile import read_wav

REPO = Path(__file__).resolve().parents[1]
READY = "performing ldd on jack"
SUMMARY = re.compile(r"performed on jack: (\d+) blocks, (\d+) late, (\d+) MIDI events received"
                     r"; recorded ([\d.]+) s")
START_DEADLINE_S = 30.0  # a hang fails instead of blocking the suite
SENDER = "synthlearn-test-sender"  # contains "synthlearn": perform's watcher leaves it alone
REST_S = 0.4  # audio before the first note: the recording must be silent there
BASS, UPPER = 40, (62, 66, 69)  # 294, 370, 440 Hz: clear of 40's harmonics (82.4 Hz · k)
BASS_HOLD_S, UPPER_HOLD_S, GAP_S = 0.25, 0.35, 0.05
SILENT = 1e-4
DRIFT_S = 0.3  # how far the recording may have drifted from the wall clock where a note sounds


@pytest.fixture(scope="module")
def jack_midi(jack_server):
    """mido's rtmidi backend on JACK (skips where python-rtmidi was built without JACK)."""
    import mido

    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK", load=True)
    if "UNIX_JACK" not in backend.module.get_api_names():
        pytest.skip("python-rtmidi was built without JACK MIDI")
    return backend


class Perform:
    """``synthlearn perform`` as a child; stderr lines arrive through a reader thread."""

    def __init__(self, wav: Path, duration_s: float, piece: str = "ldd", more=()):
        argv = [sys.executable, "-u", "-m", "synthlearn", "perform", piece, "--audio", "jack",
                "--midi", "all", "--no-window", "--no-console", "--duration", str(duration_s),
                "--record", str(wav), *more]
        # XDG_DATA_HOME: perform autosaves a session folder there; keep it out of the home.
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", PYO_GUI_WX="0",
                   XDG_DATA_HOME=str(wav.parent / "data"),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                            os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen(argv, cwd=REPO, env=env, text=True,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.err: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.err.append(line)
            self._lines.put(line)
        self._lines.put(None)  # end of stderr: the child is gone

    def wait_for(self, prefix: str, deadline: float, *, fail: bool = True) -> str | None:
        """The first stderr line starting with ``prefix`` (None past ``deadline`` if not fail)."""
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(left, 0.0))
            except queue.Empty:
                if fail:
                    pytest.fail(f"no {prefix!r} line within the deadline; stderr:\n{self.log}")
                return None
            if line is None:
                pytest.fail(f"perform ended before {prefix!r}; stderr:\n{self.log}")
            if line.startswith(prefix):
                return line

    def finish(self, timeout_s: float) -> tuple[int, str]:
        try:
            rc = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"perform did not end; stderr:\n{self.log}")
        out = self.proc.stdout.read()
        self._reader.join(timeout=5)
        return rc, out

    def summary(self, timeout_s: float) -> re.Match:
        """Wait for the end; it must be clean, with the summary line on stdout."""
        rc, stdout = self.finish(timeout_s)
        assert rc == 0, self.log
        summary = SUMMARY.search(stdout)
        assert summary, stdout + self.log
        return summary

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def log(self) -> str:
        return "".join(self.err)


def perform_port(backend) -> str:
    """perform's virtual input among the JACK MIDI destinations, e.g. 'RtMidiIn Client:synthlearn'.

    rtmidi names the JACK client 'RtMidiIn Client' (a second one gets '-01'), not 'synthlearn'.
    """
    names = [n for n in backend.get_output_names() if n.rsplit(":", 1)[-1] == "synthlearn"]
    assert len(names) == 1, f"expected one 'synthlearn' input, got {backend.get_output_names()}"
    return names[0]


def phrase():
    """(seconds to wait before, message) pairs: a bass note, then three held upper notes."""
    import mido

    steps = [(REST_S, mido.Message("note_on", note=BASS, velocity=90)),
             (BASS_HOLD_S, mido.Message("note_off", note=BASS))]
    for i, note in enumerate(UPPER):
        steps += [(GAP_S if i == 0 else 0.0, mido.Message("note_on", note=note, velocity=100)),
                  (UPPER_HOLD_S, mido.Message("note_on", note=note, velocity=0))]  # = note-off
    return steps


def play(port, steps) -> list[float]:
    """Send each message after its wait (a performance: wall-clock by nature); send times."""
    sent = []
    for wait_s, msg in steps:
        time.sleep(wait_s)
        sent.append(time.monotonic())
        port.send(msg)
    return sent


def amp_at(x: np.ndarray, hz: float) -> float:
    """Amplitude of the ``hz`` component of ``x`` (Hann-windowed single DFT bin)."""
    w = np.hanning(len(x))
    n = np.arange(len(x))
    return float(np.abs(np.sum(x * w * np.exp(-2j * np.pi * hz * n / SR))) * 2 / w.sum())


def midi_hz(note: int) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12)


@pytest.mark.jack
def test_notes_from_a_jack_midi_port_are_heard_and_counted(jack_midi, tmp_path):
    if shutil.which("jack_connect") is None:
        pytest.skip("jack_connect is not installed (it comes with jackd2)")
    wav = tmp_path / "out.wav"
    duration_s = 4.0
    child = Perform(wav, duration_s)
    out = None
    try:
        child.wait_for(READY, time.monotonic() + START_DEADLINE_S)
        target = perform_port(jack_midi)
        out = jack_midi.open_output(SENDER, virtual=True)
        source = [n for n in jack_midi.get_input_names() if SENDER in n]
        assert len(source) == 1, jack_midi.get_input_names()
        subprocess.run(["jack_connect", source[0], target], check=True, timeout=10)
        steps = phrase()
        sent = play(out, steps)
        summary = child.summary(timeout_s=duration_s + START_DEADLINE_S)
    finally:
        if out is not None:
            out.close()
        child.kill()
    blocks, late, received, recorded_s = (int(summary[1]), int(summary[2]), int(summary[3]),
                                          float(summary[4]))
    assert "midi: opened" not in child.log  # nothing else was connected to perform
    assert received == len(steps), f"sent {len(steps)}, perform counted {received}\n{child.log}"
    print(f"\nperform on jack: {blocks} blocks, {late} late blocks, {received} MIDI events, "
          f"recorded {recorded_s} s")

    sr, audio = read_wav(wav)
    assert sr == SR and audio.shape[1] == 2
    assert audio.shape[0] >= (duration_s - 0.1) * SR
    mono = audio.mean(axis=1)
    loud = np.flatnonzero(np.abs(mono) > SILENT)
    assert loud.size, (f"the recording is silent, though perform counted {received} MIDI events "
                       "(were they pushed onto the queue the audio hook drains?)")
    onset = int(loud[0])  # the bass note: the only sound source in ldd is a played note
    # The audio clock started before the ready line and the first note waited REST_S after it.
    assert onset >= 0.6 * REST_S * SR, f"sound at {onset / SR:.3f} s, before the first note"

    def at(i: int) -> int:  # a send time as a sample index, anchored on the bass onset
        return onset + round((sent[i] - sent[0]) * SR)

    # The recording can fall behind the wall clock (JACK drops cycles when clients come and
    # go), never ahead of it by more than MIDI jitter. So windows start late enough to be
    # inside their note, and a note's window may run past its note-off (it goes on sounding
    # through the release).
    first_upper = 2
    bass_only = mono[at(0) + round(0.05 * SR):at(0) + round(0.2 * SR)]
    # Each note looked for near where it was sent: the best 0.15 s window from DRIFT_S before
    # to DRIFT_S after its hold (a loaded machine's JACK drops cycles, and the recording drifts
    # from the wall clock by a few of them); its pitch tells it from its neighbours'.
    width, hop = round(0.15 * SR), round(0.05 * SR)
    for k, note in enumerate(UPPER):
        start = at(first_upper + 2 * k)
        hz = midi_hz(note)
        lo = max(0, start - round(DRIFT_S * SR))
        hi = min(len(mono) - width, start + round((UPPER_HOLD_S + DRIFT_S) * SR))
        best = max(range(lo, hi + 1, hop), key=lambda a: amp_at(mono[a:a + width], hz))
        held = mono[best:best + width]
        assert np.sqrt(np.mean(held ** 2)) > 1e-3
        assert amp_at(held, hz) > 10 * amp_at(bass_only, hz) + 1e-4, f"note {note} not heard"


@pytest.mark.jack
def test_a_sender_connected_by_name_is_counted_once(jack_midi, tmp_path):
    import mido

    child = Perform(tmp_path / "plain.wav", 4.0)
    out = None
    try:
        child.wait_for(READY, time.monotonic() + START_DEADLINE_S)
        out = jack_midi.open_output(perform_port(jack_midi))  # rtmidi connects it itself
        # The watcher looks once a second: give it two looks to (wrongly) open the sender.
        assert child.wait_for("midi: opened", time.monotonic() + 2.2, fail=False) is None
        out.send(mido.Message("note_on", note=64, velocity=90))
        out.send(mido.Message("note_off", note=64))
        summary = child.summary(timeout_s=4.0 + START_DEADLINE_S)
    finally:
        if out is not None:
            out.close()
        child.kill()
    assert int(summary[3]) == 2, f"{summary[0]}\n{child.log}"


@pytest.mark.jack
def test_hot_plug_opens_a_device_that_appears_and_forgets_one_that_vanishes(jack_midi):
    import mido

    from synthlearn.events import Kind
    from synthlearn.midi import inputs

    got, said, arrived = [], [], threading.Event()

    def push(event):
        got.append(event)
        arrived.set()

    # no watcher thread: this test calls scan() itself
    ports = inputs.MidiPorts(push, lambda: 4096, api="UNIX_JACK", say=said.append,
                             watch_every_s=None).start()
    device = None
    try:
        assert ports.available and not ports.ports
        # A JACK MIDI device appears (a client that is not an rtmidi program's default name).
        device = jack_midi.open_output("keys", virtual=True, client_name="fake-keyboard")
        ports.scan()
        assert list(ports.ports) == ["fake-keyboard:keys"]
        assert said[0].startswith(f"midi: virtual input synthlearn-midi-{os.getpid()}-1:"
                                  "synthlearn ")
        assert said[1:] == ["midi: opened fake-keyboard:keys"]
        device.send(mido.Message("note_on", note=61, velocity=0))  # velocity 0: a note-off
        assert arrived.wait(5), "the device's note never arrived"
        assert [(e.kind, e.number, e.time_smp) for e in got] == [(Kind.NOTE_OFF, 61, 4096)]
        device.close()
        device = None
        ports.scan()
        assert not ports.ports and said[-1] == "midi: fake-keyboard:keys went away"
    finally:
        if device is not None:
            device.close()
        ports.close()


CLOSE_WHILE_PLAYING = """
import sys, threading, time, mido
from synthlearn.midi.inputs import MidiPorts, VIRTUAL_NAME

def hog():  # another Python thread wanting the GIL all the time, as the audio hook does
    while True:
        sum(range(1000))

threading.Thread(target=hog, daemon=True).start()
backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK", load=True)
heard = 0
for i in range(int(sys.argv[1])):
    got = []
    ports = MidiPorts(got.append, lambda: 0, which="none-such", api="UNIX_JACK",
                      say=lambda line: None).start()
    target = [p for p in backend.get_output_names() if p.rsplit(":", 1)[-1] == VIRTUAL_NAME]
    out = backend.open_output(target[0])
    stop = threading.Event()

    def play():  # a performer still playing as the performance closes
        while not stop.is_set():
            out.send(mido.Message("note_on", note=60, velocity=10))
            time.sleep(0.0005)

    player = threading.Thread(target=play, daemon=True)
    player.start()
    time.sleep(0.03)
    ports.close()
    stop.set()
    player.join()
    out.close()
    heard += len(got)
print("closed", sys.argv[1], "heard", heard)
"""


@pytest.mark.jack
def test_closing_ports_while_notes_arrive_never_hangs_or_crashes(jack_midi):
    # python-rtmidi's own close hung here within a few rounds (a JACK thread cancelled inside
    # the GIL wait), and cancelling its callback first crashed instead.
    rounds = 25
    run = subprocess.run([sys.executable, "-c", CLOSE_WHILE_PLAYING, str(rounds)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    heard = int(run.stdout.split()[-1])
    assert f"closed {rounds}" in run.stdout and heard > rounds  # the notes did arrive


@pytest.mark.jack
def test_qmelody_takes_phrases_played_into_its_port_and_rec_arms_one_agent(jack_midi, tmp_path):
    """Live qmelody through a real MIDI port: the first phrase becomes every agent's target,
    and after ``rec a1`` (over OSC, as a controller app would) the next one is a1's alone."""
    import mido
    from pythonosc import udp_client

    from synthlearn.learners import _q_kernels as K
    from synthlearn.runtime.sessions import Session

    def quarters(notes):  # at qmelody's 120 bpm: a quarter is 0.5 s
        steps = []
        for note in notes:
            steps += [(0.05, mido.Message("note_on", note=note, velocity=90)),
                      (0.45, mido.Message("note_off", note=note))]
        return steps

    folder = tmp_path / "session"
    child = Perform(tmp_path / "q.wav", 12.0, piece="qmelody",
                    more=("--session", str(folder), "--osc-in", "127.0.0.1:0"))
    out = None
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        announced = child.wait_for("midi: virtual input ", deadline).split()[3]
        line = child.wait_for("osc: listening on 127.0.0.1:", deadline)
        osc = udp_client.SimpleUDPClient("127.0.0.1", int(line.split(":")[2].split()[0]))
        child.wait_for("performing qmelody on jack", deadline)
        assert perform_port(jack_midi) == announced  # the name JACK lists is the one said
        out = jack_midi.open_output(announced)
        play(out, quarters([60, 64, 67, 72]))
        line = child.wait_for("a0, a1, a2 learn", time.monotonic() + 5.0)
        assert line.split("learn ")[1].split() == ["c4", "e4", "g4", "c5"]
        osc.send_message("/synthlearn/do", "rec a1")  # applied long before the phrase ends
        play(out, quarters([67, 65, 62]))
        line = child.wait_for("a1 learns", time.monotonic() + 5.0)
        assert line.split("learns ")[1].split() == ["g4", "f4", "d4"]
        child.summary(timeout_s=12.0 + START_DEADLINE_S)
    finally:
        if out is not None:
            out.close()
        child.kill()
    state = Session(folder).load_state("qmelody")
    target = state["q_target_pitch"].reshape(3, -1)
    assert list(target[0, :4]) == [60, 64, 67, 72] == list(target[2, :4])
    assert list(target[1, :3]) == [67, 65, 62]
    assert list(state["durs"].reshape(3, -1)[1, :2]) == [4, 4]  # quarters: 4 sixteenths
    assert list(state["nsteps"]) == [4, 3, 4]
    assert (state["q_ag"].reshape(3, -1)[:, K.AG_EPISODES] >= 1).all()


@pytest.mark.jack
def test_devices_tells_the_truth_about_midi_under_jack(jack_midi, capsys):
    from synthlearn.cli import main

    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    jack_line = next(line for line in out.splitlines() if "through JACK: " in line)
    assert "no MIDI system" not in jack_line
    assert "perform on JACK adds its own input" in out


@pytest.mark.jack
def test_a_midi_port_that_is_not_there_is_said_and_the_show_goes_on(jack_midi, capsys):
    from synthlearn.cli import main

    assert main(["perform", "additive", "--audio", "jack", "--midi", "NoSuchDevice",
                 "--no-window", "--no-console", "--duration", "0.5"]) == 0
    err = capsys.readouterr().err
    assert "midi: no input port's name contains 'NoSuchDevice' yet (here: " in err
    assert "it opens when one appears" in err
