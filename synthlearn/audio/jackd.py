"""Start a JACK server when asked (``--start-jack``); synthlearn never starts one on its own.

pyo's bundled libjack would autostart ``/usr/local/bin/jackd``, which is not where Debian puts it;
we disable that (JACK_NO_START_SERVER) and start the real ``jackd`` from PATH ourselves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from synthlearn.audio.backends import jack_running
from synthlearn.errors import AudioUnavailable

DRIVERS = ("alsa", "dummy")


class JackServer:
    """A jackd child process: real-time priority first, ``--no-realtime`` if that is refused."""

    def __init__(self, proc: subprocess.Popen, realtime: bool):
        self.proc = proc
        self.realtime = realtime

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> JackServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_jackd(driver: str = "alsa", *, sr: int = 48000, period: int = 256,
                name: str | None = None, timeout_s: float = 10.0) -> JackServer:
    """Start ``jackd`` (named ``name``, else the default server, which JACK_DEFAULT_SERVER
    names) and wait until it answers."""
    if driver not in DRIVERS:
        raise AudioUnavailable(f"jack driver {driver!r}: expected one of {', '.join(DRIVERS)}")
    if jack_running(name):
        raise AudioUnavailable("a JACK server is already running; use --audio jack without "
                               "--start-jack")
    jackd = shutil.which("jackd")
    if jackd is None:
        raise AudioUnavailable("jackd is not installed (Debian/Ubuntu: apt-get install jackd2)")
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    last_err = ""
    for realtime, flags in ((True, ["-R", "-P", "80"]), (False, ["--no-realtime"])):
        named = ["-n", name] if name else []
        cmd = [jackd, *named, *flags, "-d", driver, "-r", str(sr), "-p", str(period)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        # Waiting for an external server to come up is a wall-clock matter by nature.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and proc.poll() is None:
            if jack_running(name):
                return JackServer(proc, realtime)
            time.sleep(0.05)
        proc.kill()
        _, err = proc.communicate()
        lines = err.decode(errors="replace").strip().splitlines()
        last_err = lines[-1] if lines else ""
    raise AudioUnavailable(f"jackd -d {driver} did not start ({last_err or 'no message'})")
