"""Parsers fuzzed: whatever the bytes or text, the answer is a valid result or one
``UserError`` line, never anything else."""

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from midi_bytes import END, NOTE, midi

from synthlearn.commands.score import parse_score, schedule
from synthlearn.errors import UserError
from synthlearn.midi.files import read_midi
from synthlearn.pieces.ldd import Ldd

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

KEYS = st.sampled_from(["piece", "seed", "duration", "midi", "faithful", "at", "tempo", "x"])
VALUES = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True), st.booleans(),
                   st.text(max_size=12), st.just('"ldd"'), st.just("nan"), st.just("inf"),
                   st.just("[1, [2]]"), st.just("{a = 1}"))


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v if v and v[0] in '"[{' or v in ("nan", "inf") else repr(v)
    return repr(v)


@SETTINGS
@given(st.lists(st.tuples(KEYS, VALUES), max_size=6),
       st.lists(st.tuples(st.one_of(st.floats(), st.integers(-5, 10**6)),
                          st.text(max_size=20)), max_size=4))
def test_any_score_parses_or_says_why_in_one_line(pairs, cues):
    text = "".join(f"{k} = {_toml_value(v)}\n" for k, v in pairs)
    text += "".join(f"[[at]]\ntime = {t!r}\ndo = {d!r}\n" for t, d in cues)
    try:
        score = parse_score(text)
        schedule(score, Ldd.language(), 48000)
    except UserError as exc:
        assert "\n" not in str(exc)


@SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_are_a_midi_file_or_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "f.mid"
    path.write_bytes(data)
    try:
        read_midi(path, 48000)
    except UserError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)


@SETTINGS
@given(st.binary(max_size=64), st.integers(0, 0xFFFF), st.integers(0, 3), st.integers(0, 4))
def test_any_track_bytes_under_a_real_header_play_or_are_one_line(tmp_path_factory, body,
                                                                   division, fmt, tracks):
    path = tmp_path_factory.mktemp("fuzz") / "f.mid"
    data = midi(NOTE + body + END, fmt=fmt, tracks=tracks, division=division)
    if tracks == 0:  # a header that promises no tracks, followed by one anyway
        data = data[:10] + struct.pack(">H", 0) + data[12:]
    path.write_bytes(data)
    try:
        evs, length_s = read_midi(path, 48000)
        assert length_s >= 0 and all(e.time_smp >= 0 for e in evs)
    except UserError as exc:
        assert "\n" not in str(exc)
