"""The public functional entry point: a piece over notes, events or lines to a numpy array, the
same engine as renders and performances, the same bytes for the same arguments."""

import numpy as np
import pytest
from helpers import peak_hz, run_engine

import synthlearn
from synthlearn import events
from synthlearn.errors import UserError
from synthlearn.pieces.additive import Additive


@pytest.mark.parametrize("sr", [44100, 48000, 96000])
def test_a_note_is_heard_at_its_pitch_at_every_rate(sr):
    audio = synthlearn.render_array("additive", notes=[(0.1, 69, 100, 0.8)],
                                    lines=[(0.0, "brightness 4")], seconds=1.0, sr=sr)
    assert audio.shape == (-(-sr // 64) * 64, 2) and audio.dtype == np.float32
    assert np.abs(audio[:round(0.09 * sr)]).max() == 0.0  # silent before the note
    hz, amp = peak_hz(audio[round(0.3 * sr):round(0.8 * sr), 0], sr, 440.0, width_hz=20.0)
    assert abs(hz - 440.0) < 1.0 and amp > 0.01


def test_the_same_arguments_give_the_same_bytes_and_the_engine_loop_of_the_tests():
    kwargs = dict(notes=[(0.0, 60, 100, 1.0), (0.5, 64, 90, 1.0)], seconds=1.5, seed=3)
    a = synthlearn.render_array("ldd", **kwargs)
    assert a.tobytes() == synthlearn.render_array("ldd", **kwargs).tobytes()
    assert np.sqrt(np.mean(a ** 2)) > 1e-3
    evs = [events.note_on(0, 60, 100), events.note_off(48000, 60)]
    mine = synthlearn.render_array(Additive(voices=4, partials=4), evs, seconds=1.0)
    theirs, _ = run_engine(Additive(voices=4, partials=4), evs, 1.0)
    assert mine.tobytes() == theirs.tobytes()


@pytest.mark.parametrize("kwargs, says", [
    (dict(notes=[(0.0, 60, 100)]), "notes[0] = (0.0, 60, 100): expected (start_s, note"),
    (dict(notes=[(0.0, 130, 100, 1.0)]), "a MIDI note 0..127"),
    (dict(notes=[(-1.0, 60, 100, 1.0)]), "a start at or after 0"),
    (dict(lines=[(0.0, "part 9")]), "part: n '9' is not in 1..4"),
    (dict(lines=[(0.0, "piece ruler")]), "unknown command 'piece'"),
])
def test_bad_input_is_one_line(kwargs, says):
    with pytest.raises(UserError) as err:
        synthlearn.render_array("ldd", seconds=0.5, **kwargs)
    assert says in str(err.value) and "\n" not in str(err.value)
