import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYO_GUI_WX", "0")

import pytest  # noqa: E402
from helpers import own_jackd, run_engine  # noqa: E402
from pipewire_daemon import private_pipewire  # noqa: E402, F401 - a fixture for every module


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
