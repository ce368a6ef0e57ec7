import contextlib
import itertools
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYO_GUI_WX", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

SR = 48000
JACK_PERIOD = 256  # the jack_server fixture's period: blocks of 256 in the JACK tests


def run_engine(piece, events, seconds, *, block=64, sr=SR, commands=(), voices="numba"):
    """Run ``piece`` on a manual engine; return (float32 frames (n, 2), engine facts)."""
    from synthlearn.audio.engine import Engine

    engine = Engine("manual", sr=sr, block=block, voices=voices)
    n_blocks = round(seconds * sr / block)
    out = np.zeros((n_blocks * block, 2), np.float32)
    try:
        engine.play(piece, list(events))
        for b in range(n_blocks):
            engine.process(out[b * block:(b + 1) * block])
        facts = {"latency": engine.latency_samples, "costs": engine.block_costs_s(),
                 "block_index": engine.block_index}
    finally:
        facts_leaked = engine.close()
    facts["leaked"] = facts_leaked
    return out, facts


def peak_hz(x, sr, near_hz, width_hz=20.0):
    """Frequency (Hz) and amplitude of the strongest FFT peak near ``near_hz``.

    Hann window, parabolic interpolation on log magnitude; amplitude corrected for the window.
    """
    n = len(x)
    w = np.hanning(n)
    spec = np.abs(np.fft.rfft(x * w))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    band = np.flatnonzero(np.abs(freqs - near_hz) < width_hz)
    i = band[np.argmax(spec[band])]
    a, b, c = np.log(spec[i - 1:i + 2] + 1e-30)
    p = 0.5 * (a - c) / (a - 2 * b + c)
    hz = (i + p) * sr / n
    amp = np.exp(b - 0.25 * (a - c) * p) * 2 / w.sum()
    return hz, amp


@contextlib.contextmanager
def own_jackd(*, sr=SR, period=JACK_PERIOD):
    """A JACK server of the tests' own (dummy driver, a name no other server has), made the
    default server for this process and its children while it runs; skips without jackd."""
    import shutil

    from synthlearn.audio.jackd import start_jackd
    from synthlearn.errors import AudioUnavailable

    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (apt-get install jackd2)")
    name = f"synthlearn-test-{os.getpid()}-{next(_JACK_NAMES)}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JACK_DEFAULT_SERVER", name)  # libjack, pyo and our probe all read it
        try:
            server = start_jackd("dummy", sr=sr, period=period, name=name)
        except AudioUnavailable as exc:
            pytest.skip(f"jackd could not start here: {exc}")
        try:
            yield server
        finally:
            server.stop()


_JACK_NAMES = itertools.count()


@pytest.fixture(scope="module")
def jack_server():
    """A JACK server on its dummy driver (block 256 at 48 kHz) for a module's real-time tests;
    without jackd the tests skip, saying why. Module scope: the server stops before later
    modules, which check that no audio device exists."""
    with own_jackd() as server:
        yield server


@pytest.fixture(autouse=True)
def _sessions_in_tmp(tmp_path_factory, monkeypatch):
    """Performances autosave under $XDG_DATA_HOME: keep the tests' sessions out of ~."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.getbasetemp() / "xdg"))


@pytest.fixture
def engine_run():
    return run_engine
