"""Real time on a real JACK server (dummy driver, no sound card): callbacks and late blocks."""

import os
import shutil
import subprocess
import time

import numpy as np
import pytest

from synthlearn import events
from synthlearn.audio import backends
from synthlearn.audio.engine import Engine
from synthlearn.pieces.additive import Additive

PERIOD = 256
SR = 48000


def _wait_for_jack(proc, timeout_s=10.0) -> bool:
    # Waiting for an external server to come up is the one place a test polls the clock.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if backends.jack_running():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def jack_server():
    if backends.jack_running():
        yield "already running"
        return
    jackd = shutil.which("jackd")
    if jackd is None:
        pytest.skip("jackd is not installed (apt-get install jackd2)")
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    proc = None
    for flags in (["-R", "-P", "80"], ["--no-realtime"]):
        proc = subprocess.Popen([jackd, *flags, "-d", "dummy", "-r", str(SR), "-p", str(PERIOD)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        if _wait_for_jack(proc):
            break
        proc.kill()
        proc.wait()
        proc = None
    if proc is None:
        pytest.skip("jackd could not start here (neither real-time nor --no-realtime)")
    yield proc
    proc.terminate()
    proc.wait(timeout=10)


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
    late = int((intervals > 2 * period_s).sum())
    # A few late blocks can happen on a shared 2-core machine; a broken clock gives hundreds.
    assert late <= 0.05 * blocks, f"{late} late blocks of {blocks}"
    print(f"jack dummy: {blocks} blocks in {seconds} s, {late} late, "
          f"interval p99 {np.percentile(intervals, 99) * 1e3:.2f} ms")
