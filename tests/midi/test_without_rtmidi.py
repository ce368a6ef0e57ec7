"""Where python-rtmidi is not installed (Python 3.13 without the [midi] extra), MIDI ports are
one clear line and everything else works: MIDI files, the keyboard, devices."""

import sys

import pytest

from synthlearn.midi.ports import NO_RTMIDI, jack_midi_missing, list_inputs


@pytest.fixture
def no_rtmidi(monkeypatch):
    monkeypatch.setitem(sys.modules, "rtmidi", None)  # import rtmidi -> ImportError


def test_ports_say_one_line_and_the_rest_goes_on(no_rtmidi):
    from synthlearn.midi.inputs import MidiPorts

    said = []
    ports = MidiPorts(said.append, lambda: 0, say=said.append).start()
    assert not ports.available and ports.virtual is None
    assert said == [f"{NO_RTMIDI}; the computer keyboard and MIDI files still work"]
    ports.close()  # nothing was opened: closing is harmless


def test_devices_and_the_bench_say_why(no_rtmidi, capsys):
    from synthlearn.cli import main

    assert list_inputs() == ([], NO_RTMIDI)
    assert jack_midi_missing() == NO_RTMIDI
    assert main(["devices"]) == 0
    assert f"through ALSA: {NO_RTMIDI}" in capsys.readouterr().out


def test_midi_files_need_no_rtmidi(no_rtmidi, tmp_path):
    from synthlearn.midi.files import read_midi, write_midi

    path = write_midi(tmp_path / "a.mid", [(0.5, 60, 100), (1.0, 60, 0)])
    events, length_s = read_midi(path, 48000)
    assert [(e.time_smp, e.number) for e in events] == [(24000, 60), (48000, 60)]
    assert length_s == pytest.approx(1.0)


def test_the_package_declares_rtmidi_only_where_it_has_wheels():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    rtmidi = [d for d in project["dependencies"] if d.startswith("python-rtmidi")]
    assert rtmidi == ["python-rtmidi>=1.5; python_version < '3.13'"]
    assert project["optional-dependencies"]["midi"] == ["python-rtmidi>=1.5"]
