"""A private PipeWire for tests: its own dbus-daemon, pipewire and wireplumber, and a null sink.

Nothing here touches a PipeWire the machine may already run: the daemons get their own
XDG_RUNTIME_DIR and XDG_CONFIG_HOME in a temp dir, and ``stop()`` ends only the processes
started here, by PID. Children run with ``daemon.env`` talk to this PipeWire (through its JACK
and ALSA plugins too); ``record(path)`` captures what reaches the sink.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

SINK = "synthlearn-test-sink"
RATE = 48000  # the sink's rate and PipeWire's default clock.rate: the graph runs at it
START_TIMEOUT_S = 20.0  # waiting on external daemons is the one wall-clock bound here
POLL_S = 0.05
INSTALL = "apt-get install pipewire pipewire-bin wireplumber pipewire-jack pipewire-alsa dbus"
TOOLS = ("dbus-daemon", "pipewire", "wireplumber", "pw-link", "pw-record", "pw-metadata",
         "pw-profiler")

NULL_SINK_CONF = f"""\
context.objects = [
    {{ factory = adapter
        args = {{
            factory.name     = support.null-audio-sink
            node.name        = {SINK}
            node.description = "synthlearn test sink"
            media.class      = Audio/Sink
            audio.position   = [ FL FR ]
            audio.rate       = {RATE}
            monitor.channel-volumes = true
            node.driver = true
            # above the Dummy-Driver's 20000: nodes linked to nothing (a MIDI-only JACK
            # client) run on this clock too, so the graph has one driver and one quantum
            priority.driver = 30000
        }}
    }}
]
"""


class PipeWireError(RuntimeError):
    pass


def _accepts(path: Path) -> bool:
    """Whether the unix stream socket ``path`` accepts a connection."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def _end(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 5.0) -> None:
    """Signal a process started here (by PID), wait, and SIGKILL it if it does not exit."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_float_wav(path: str | Path) -> tuple[int, np.ndarray]:
    """(sample rate, float64 frames (n, channels)) of a float WAV such as pw-record's f32.

    Python's ``wave`` (and synthlearn's ``read_wav``) read PCM only; pw-record (libsndfile)
    writes format tag 3 with ``fact`` and ``PEAK`` chunks, so walk the RIFF chunks here.
    """
    raw = Path(path).read_bytes()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    fmt = data = None
    pos = 12
    while pos + 8 <= len(raw):
        tag, size = raw[pos:pos + 4], int.from_bytes(raw[pos + 4:pos + 8], "little")
        body = raw[pos + 8:pos + 8 + size]
        if tag == b"fmt ":
            fmt = body
        elif tag == b"data":
            data = body
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    if fmt is None or data is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    code = int.from_bytes(fmt[0:2], "little")
    channels = int.from_bytes(fmt[2:4], "little")
    sr = int.from_bytes(fmt[4:8], "little")
    bits = int.from_bytes(fmt[14:16], "little")
    if code == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the real tag opens the sub-format GUID
        code = int.from_bytes(fmt[24:26], "little")
    if code != 3 or bits not in (32, 64):
        raise ValueError(f"{path}: format {code}, {bits} bits: float32/64 expected")
    frames = np.frombuffer(data, "<f4" if bits == 32 else "<f8")
    return sr, frames[:len(frames) // channels * channels].astype(np.float64).reshape(-1, channels)


class PipeWireDaemon:
    """dbus-daemon, pipewire and wireplumber in a temp dir, with the null sink ``SINK``."""

    def __init__(self):
        self.dir: Path | None = None
        self.env: dict[str, str] = {}
        self.version = ""
        self._procs: list[tuple[str, subprocess.Popen, int]] = []  # (name, process, stop signal)
        self._serial = itertools.count(1)  # names of recordings and profiles

    def start(self) -> PipeWireDaemon:
        """Start the three daemons; return once wireplumber has made our sink the default."""
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            raise PipeWireError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                                f"not installed ({INSTALL})")
        if self.dir is not None:
            return self  # already running
        # a short path under the system temp dir: unix socket paths are limited to 108 bytes
        self.dir = Path(tempfile.mkdtemp(prefix="synthlearn-pw-"))
        run, conf, bus = self.dir / "run", self.dir / "conf", self.dir / "run" / "bus"
        self.env = dict(os.environ, XDG_RUNTIME_DIR=str(run), XDG_CONFIG_HOME=str(conf),
                        DBUS_SESSION_BUS_ADDRESS=f"unix:path={bus}")
        # JACK clients must find PipeWire's default server in this runtime dir, nothing else
        for key in ("JACK_DEFAULT_SERVER", "PIPEWIRE_REMOTE", "PIPEWIRE_RUNTIME_DIR"):
            self.env.pop(key, None)
        try:
            run.mkdir(mode=0o700)
            dropin = conf / "pipewire" / "pipewire.conf.d"
            dropin.mkdir(parents=True)
            (dropin / "null-sink.conf").write_text(NULL_SINK_CONF)
            self.version = self._run("pipewire", "--version").split()[-1]
            # wireplumber needs a session bus ("Cannot autolaunch D-Bus without X11 $DISPLAY")
            dbus = self._spawn("dbus-daemon", "dbus-daemon", "--session", "--nofork",
                               "--nopidfile", f"--address=unix:path={bus}")
            self._wait("dbus-daemon", dbus, lambda: _accepts(bus))
            pipewire = self._spawn("pipewire", "pipewire")
            self._wait("pipewire", pipewire, lambda: _accepts(run / "pipewire-0"))
            wireplumber = self._spawn("wireplumber", "wireplumber")
            # wireplumber's policy is running once it has picked our sink as the default
            self._wait("wireplumber", wireplumber, lambda: self._default_sink() == SINK)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """End every process started here, newest first, by PID; remove the temp dir."""
        while self._procs:
            _, proc, sig = self._procs.pop()
            _end(proc, sig)
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> PipeWireDaemon:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, name: str, *argv: str, sig: int = signal.SIGTERM) -> subprocess.Popen:
        with open(self.dir / f"{name}.log", "wb") as log:  # the child keeps its own copy
            proc = subprocess.Popen(argv, env=self.env, cwd=self.dir, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT)
        self._procs.append((name, proc, sig))
        return proc

    def _forget(self, proc: subprocess.Popen, sig: int) -> None:
        _end(proc, sig)
        self._procs = [p for p in self._procs if p[1] is not proc]

    def _wait(self, name: str, proc: subprocess.Popen, ready) -> None:
        """Poll ``ready()``; fail with the last line of the log if ``proc`` dies or is slow."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready():
            if proc.poll() is not None or time.monotonic() > deadline:
                why = "exited" if proc.returncode is not None else "not ready in time"
                raise PipeWireError(f"{name} {why}: {self.last_log_line(name)}")
            time.sleep(POLL_S)

    def last_log_line(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        lines = path.read_text(errors="replace").split("\n") if path.exists() else []
        lines = [line for line in lines if line.strip()]
        return lines[-1] if lines else "(empty log)"

    def _run(self, *argv: str) -> str:
        return subprocess.run(argv, env=self.env, capture_output=True, text=True,
                              timeout=10).stdout

    def _default_sink(self) -> str | None:
        out = self._run("pw-metadata", "-n", "default", "0", "default.audio.sink")
        if "value:'" not in out:
            return None
        return json.loads(out.split("value:'", 1)[1].split("'", 1)[0]).get("name")

    def ports(self) -> list[str]:
        """Every port in the graph as ``node:port`` (audio and MIDI, inputs and outputs)."""
        return [p for p in self._run("pw-link", "--input", "--output").splitlines() if p]

    def quantum(self, timeout: float = 5.0) -> int | None:
        """The quantum (frames per cycle) the graph runs at now; None if nothing runs.

        PipeWire 0.3.65 shows the current quantum in no property (pw-dump, pw-cli) and its
        pw-top has no batch mode, so read pw-profiler's log: its 4th column is the driver's
        period in microseconds (duration / rate). pw-profiler logs the first driver it hears
        of, which is our sink (see priority.driver); the profiler may first hand over a few
        cycles left from an earlier listener, so the last cycles logged decide.
        """
        out = self.dir / f"profile-{next(self._serial)}"
        out.mkdir()
        log = out / "profiler.log"
        # cwd=out: pw-profiler also writes its gnuplot scripts into the working directory
        proc = subprocess.Popen(["pw-profiler", "-o", str(log)], env=self.env, cwd=out,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        self._procs.append(("pw-profiler", proc, signal.SIGINT))
        try:
            deadline = time.monotonic() + timeout
            # the log is block-buffered: cycles reach the file a few at a time
            while (not log.exists() or log.read_bytes().count(b"\n") < 16) \
                    and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(POLL_S)
        finally:
            self._forget(proc, signal.SIGINT)  # SIGINT: it flushes the log and exits
        periods = [int(line.split("\t")[3]) for line in log.read_text().splitlines()
                   if line.count("\t") >= 4]
        if not periods:
            return None
        last = max(set(periods[-8:]), key=periods[-8:].count)
        return round(last * RATE / 1e6)  # 5333 us -> 256, 21333 us -> 1024

    @contextlib.contextmanager
    def record(self, path: str | Path):
        """Record the sink's monitor (float32 stereo at RATE) into ``path`` while in the block.

        On entry pw-record is running and linked to the monitor ports; on exit it has been
        stopped and the file is complete. Read it with ``read_float_wav``.
        """
        name = f"synthlearn-record-{next(self._serial)}"
        # SIGINT ends pw-record cleanly; after SIGTERM the WAV has no valid header
        proc = self._spawn(name, "pw-record", "-P", f'{{ node.name = "{name}" }}',
                           "--target", SINK, "--rate", str(RATE), "--channels", "2",
                           "--format", "f32", str(Path(path).resolve()), sig=signal.SIGINT)
        try:
            self._wait(name, proc, lambda: self._linked(name))
            yield Path(path)
        finally:
            self._forget(proc, signal.SIGINT)

    def _linked(self, node: str) -> bool:
        """Whether both of ``node``'s inputs are linked from the sink's monitor."""
        lines = self._run("pw-link", "--links", "--input").splitlines()
        pairs = set(zip(lines, lines[1:], strict=False))
        return all((f"{node}:input_{ch}", f"  |<- {SINK}:monitor_{ch}") in pairs
                   for ch in ("FL", "FR"))


@pytest.fixture(scope="module")
def private_pipewire():
    """A started PipeWireDaemon for the module; skips, saying why, when PipeWire can't run."""
    daemon = PipeWireDaemon()
    try:
        daemon.start()
    except (PipeWireError, OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"private PipeWire unavailable: {e}")
    try:
        yield daemon
    finally:
        daemon.stop()
