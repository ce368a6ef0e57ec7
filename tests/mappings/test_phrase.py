"""Phrases: played notes quantised to a target, the first phrase of a performance, typed
phrases and note names."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthlearn.mappings import phrase as ph

GRID = 0.125  # sixteenths at 120 bpm


def test_quarters_played_detached_are_quarters_not_notes_and_rests():
    notes = [(0.5 + 0.5 * i, 0.5 + 0.5 * i + 0.4, p) for i, p in enumerate((60, 64, 67))]
    phrase, truncated = ph.quantise(notes, GRID, 64)
    assert phrase.pitches == (60, 64, 67) and phrase.steps == (4, 4, 3) and not truncated


def test_a_real_silence_is_a_rest_and_timing_is_rounded_to_the_grid():
    notes = [(0.0, 0.24, 60), (0.26, 0.49, 62), (1.02, 1.5, 64)]  # a quarter of silence
    phrase, _ = ph.quantise(notes, GRID, 64)
    assert phrase.pitches == (60, 62, ph.REST, 64)
    assert phrase.steps == (2, 2, 4, 4)
    assert phrase.grid_steps == 12


def test_chords_keep_their_top_note_and_long_notes_are_capped():
    notes = [(0.0, 0.5, 48), (0.01, 0.5, 64), (0.0, 0.5, 60), (0.5, 9.0, 67)]
    phrase, _ = ph.quantise(notes, GRID, 64)
    assert phrase.pitches == (64, 67) and phrase.steps == (4, ph.MAX_STEP_GRID)


def test_a_long_phrase_is_truncated_and_says_so():
    notes = [(0.25 * i, 0.25 * i + 0.2, 60 + i % 12) for i in range(80)]
    phrase, truncated = ph.quantise(notes, GRID, 64)
    assert len(phrase) == 64 and truncated


@given(st.lists(st.tuples(st.floats(0, 20), st.floats(0.01, 3), st.integers(0, 127)),
                min_size=1, max_size=40))
def test_any_notes_make_a_phrase_of_whole_positive_steps(raw):
    notes = [(on, on + dur, p) for on, dur, p in raw]
    phrase, _ = ph.quantise(notes, GRID, 64)
    assert 1 <= len(phrase) <= 64
    assert all(1 <= s <= ph.MAX_STEP_GRID for s in phrase.steps)
    assert phrase.pitches[0] != ph.REST  # a phrase starts on its first note
    assert all(p == ph.REST or 0 <= p <= 127 for p in phrase.pitches)


def test_typed_phrases_and_note_names():
    phrase = ph.parse_typed("c4, e4*4, r, bb3*1, 61", 64)
    assert phrase.pitches == (60, 64, ph.REST, 58, 61)
    assert phrase.steps == (2, 4, 2, 1, 2)
    assert ph.note_number("C-1") == 0 and ph.note_number("g9") == 127
    assert ph.note_number("f#3") == 54 and ph.note_number("eb5") == 75
    for bad, words in (("h4", "not a note"), ("c", "not a note"), ("g#9", "outside"),
                       ("128", "outside")):
        with pytest.raises(ValueError, match=words):
            ph.note_number(bad)
    for bad, words in (("c4,,e4", "empty step"), ("c4*x", "whole number"),
                       ("c4*17", "1 to 16"), ("r,r", "at least one note")):
        with pytest.raises(ValueError, match=words):
            ph.parse_typed(bad, 64)
