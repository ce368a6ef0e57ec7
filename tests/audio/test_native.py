"""Which native libraries pyo and rtmidi bind to, and the PipeWire latency request: the parts
that need no running server (the PipeWire tests play through them)."""

import ctypes.util
import os
import subprocess
import sys

import pytest

from synthlearn.audio import native, pipewire


def test_a_bad_library_switch_is_one_line_and_exit_2():
    run = subprocess.run([sys.executable, "-m", "synthlearn", "devices"],
                         env={**_plain_env(), native.MODE_ENV: "wheels"},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "synthlearn devices: error: SYNTHLEARN_AUDIO_LIBS='wheels': expected one of auto, "
        "system, bundled"]


def test_the_systems_libjack_comes_first_and_pyos_is_the_fallback():
    libs = native.jack_libraries()
    if ctypes.util.find_library("jack") is None:
        assert [lib.origin for lib in libs][-1:] == ["bundled"]  # nothing else to use
        return
    assert libs[0].origin == "system" and libs[0].path.startswith("/")
    assert native.default_jack() is not None and native.default_jack().origin == "system"
    pipewire_libs = [lib for lib in libs if lib.pipewire]
    assert all(lib.describe().startswith("PipeWire's libjack (") for lib in pipewire_libs)


def _bindings(tmp_path, mode):
    """Where pyo's ``jack_client_open`` and its portaudio's ``snd_pcm_open`` were bound, in a
    fresh process under ``SYNTHLEARN_AUDIO_LIBS=mode`` (the dynamic linker's own account),
    and what synthlearn says it loaded."""
    code = ("from synthlearn.audio import native\n"
            "loaded = native.ensure()\n"
            "import pyo\n"
            "pyo.pa_get_default_output()\n"  # portaudio's ALSA calls bind now
            "print(loaded.jack.path if loaded.jack else '-', loaded.asound or '-')\n")
    log = tmp_path / "ld"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**_plain_env(), native.MODE_ENV: mode, "LD_DEBUG": "bindings",
                              "LD_DEBUG_OUTPUT": str(log)}, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    found = {}
    for path in tmp_path.glob("ld.*"):
        for line in path.read_text().splitlines():
            for symbol, caller in (("jack_client_open", "_pyo"), ("snd_pcm_open", "portaudio")):
                if f"`{symbol}'" in line and "binding file" in line and caller in line:
                    found[symbol] = os.path.realpath(line.split(" to ")[1].split(" [")[0])
    jack, asound = run.stdout.split()
    return found, jack, asound


def test_pyo_binds_to_the_libraries_synthlearn_chose(tmp_path):
    if ctypes.util.find_library("asound") is None or ctypes.util.find_library("jack") is None:
        pytest.skip("no system libasound or libjack here")
    (tmp_path / "auto").mkdir()
    found, jack, asound = _bindings(tmp_path / "auto", "auto")
    assert found["jack_client_open"] == os.path.realpath(jack)  # not pyo's bundled copy
    assert found["snd_pcm_open"] == os.path.realpath(asound)
    assert "pyo.libs" not in found["jack_client_open"] + found["snd_pcm_open"]
    (tmp_path / "bundled").mkdir()
    found, _, asound = _bindings(tmp_path / "bundled", "bundled")
    assert asound == "-"
    assert "pyo.libs" in found["jack_client_open"] and "pyo.libs" in found["snd_pcm_open"]


def test_the_latency_request_respects_the_performers_own(monkeypatch):
    monkeypatch.delenv(pipewire.LATENCY_ENV, raising=False)
    monkeypatch.setattr(pipewire, "_ours", None)
    assert pipewire.request_latency(256, 48000) is None
    assert pipewire.performers_latency() is None  # ours, not the performer's
    assert os.environ[pipewire.LATENCY_ENV] == "256/48000"
    assert pipewire.request_latency(128, 48000) is None  # ours again: replaced
    assert os.environ[pipewire.LATENCY_ENV] == "128/48000"
    monkeypatch.setenv(pipewire.LATENCY_ENV, "512/48000")  # the performer's
    assert pipewire.request_latency(256, 48000) == "512/48000"
    assert os.environ[pipewire.LATENCY_ENV] == "512/48000"
    assert pipewire.request_latency(1024, 48000, force=True) is None  # the graph's, forced
    assert os.environ[pipewire.LATENCY_ENV] == "1024/48000"


def test_pipewire_is_not_running_where_its_socket_answers_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("PIPEWIRE_REMOTE", raising=False)
    monkeypatch.delenv("PIPEWIRE_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert pipewire.socket_path() == str(tmp_path / "pipewire-0")
    assert not pipewire.running()
    (tmp_path / "pipewire-0").write_text("")  # a stale file is no daemon
    assert not pipewire.running()
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert pipewire.socket_path() is None and not pipewire.running()


def _plain_env():
    env = dict(os.environ)
    env.pop(native.MODE_ENV, None)
    return env
