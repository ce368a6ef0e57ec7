import pytest

from synthlearn.errors import UserError
from synthlearn.midi.files import write_midi
from synthlearn.midi.source import MidiSource, midi_source


def test_the_midi_option_is_decided_once(tmp_path):
    path = write_midi(tmp_path / "p.MID", [(0.1, 60, 90)])
    assert midi_source("all") == MidiSource("ports", "all")
    assert midi_source("Keystation") == MidiSource("ports", "Keystation")
    assert midi_source(str(path)) == MidiSource("file", str(path))
    assert midi_source("keyboard") == MidiSource("keyboard")
    assert midi_source(" none ") == MidiSource("none")
    assert midi_source("all").opens_ports and not midi_source("none").opens_ports


@pytest.mark.parametrize("text, says", [("", "--midi ''"), ("gone.mid", "gone.mid: no such")])
def test_a_bad_midi_option_is_one_line(text, says):
    with pytest.raises(UserError, match=says):
        midi_source(text)
