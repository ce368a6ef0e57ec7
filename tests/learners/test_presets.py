"""Preset tables (CSV) in, and the ruler command out: typed values, one clear line for every
kind of bad file, the JSON a score or another program reads."""

import json

import pytest

from synthlearn.cli import main
from synthlearn.errors import UserError
from synthlearn.learners.presets import MAX_LABELS, read_presets


def write(tmp_path, text, name="p.csv", mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_values_are_numbers_or_stripped_words_and_rows_count_once(tmp_path):
    path = write(tmp_path, "freq, wave ,label\n440, saw , low\n440.0,saw,low\n.5,sine,high\n\n")
    presets = read_presets(path)
    assert presets.names == ("freq", "wave") and presets.labels == ("high", "low")
    assert presets.values == ((0.5, 440), ("saw", "sine"))  # 440 and 440.0 are one value
    assert len(presets) == 2 and presets.rows_of("low") == [(440, "saw")]


@pytest.mark.parametrize("text, says", [
    ("", "empty: expected a header"),
    ("a,b,label\n", "a header and no presets"),
    ("label\n1\n", "the header must name at least one parameter"),
    ("a,,label\n1,2,x\n", "every column needs its own name"),
    ("a,a,label\n1,2,x\n", "every column needs its own name"),
    ("a,b,label\n1,2,x\n1,2\n", ":3: 2 values where the header has 3"),
    ("a,b,label\n1,2,\n", ":2: no label in the last column (label)"),
    ("a,b,label\n1,nan,x\n", ":2: 'nan' is not a finite number"),
    ("a,b,label\n1,-inf,x\n", ":2: '-inf' is not a finite number"),
    ("a,b,label\n1,,x\n", ":2: b is empty"),
])
def test_bad_tables_are_one_line_naming_the_file_and_line(tmp_path, text, says):
    path = write(tmp_path, text)
    with pytest.raises(UserError) as err:
        read_presets(path)
    message = str(err.value)
    assert message.startswith(str(path)) and says in message and "\n" not in message


def test_not_text_missing_too_big_and_too_many_labels(tmp_path):
    for data, says in ((b"a,label\n\xff\xfe,x\n", "not UTF-8 text"),
                       (b"a,label\n1\x00,x\n", "binary data")):
        with pytest.raises(UserError, match=says):
            read_presets(write(tmp_path, data, mode="wb"))
    with pytest.raises(UserError, match="no such preset file"):
        read_presets(tmp_path / "gone.csv")
    big = write(tmp_path, "a,label\n" + "1,x\n" * 2_700_000, name="big.csv")
    with pytest.raises(UserError, match="a preset table is at most 10 MB"):
        read_presets(big)
    many = write(tmp_path, "a,label\n" + "".join(f"{i},l{i}\n" for i in range(MAX_LABELS + 1)),
                 name="many.csv")
    with pytest.raises(UserError, match=f"{MAX_LABELS + 1} labels: at most {MAX_LABELS}"):
        read_presets(many)


def test_ruler_json_keeps_numbers_numbers_and_words_words(tmp_path, capsys):
    path = write(tmp_path, "freq,wave,label\n1,saw,a\n2,saw,a\n2,sine,a\n1,sine,b\n")
    assert main(["ruler", str(path), "--distance", "2", "--consistency", "0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rules"] == [
        {"label": "a", "params": {"freq": [1, 2], "wave": ["saw"]}, "presets": 2, "new": 0},
        {"label": "a", "params": {"freq": [2], "wave": ["saw", "sine"]}, "presets": 2, "new": 0},
        {"label": "b", "params": {"freq": [1], "wave": ["sine"]}, "presets": 1, "new": 0}]
    assert 0 < out["seconds"] < 30


def test_ruler_prints_a_table_by_default(tmp_path, capsys):
    path = write(tmp_path, "x,y,label\n1,2,a\n2,2,a\n2,3,a\n")
    assert main(["ruler", str(path), "--distance", "2", "--consistency", "0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["label", "x", "y", "presets", "new"]
    assert lines[1].split() == ["a", "{1,2}", "{2,3}", "4", "1"]
    assert lines[-1].startswith("1 rules from 3 presets")


@pytest.mark.parametrize("args, says", [
    (["--consistency", "1.5"], "argument --consistency: '1.5': expected a number within 0..1"),
    (["--consistency", "nan"], "expected a number within 0..1"),
    (["--distance", "-1"], "argument --distance: '-1': a distance is 0 or more"),
])
def test_ruler_refuses_bad_settings_in_one_line(tmp_path, capsys, args, says):
    path = write(tmp_path, "x,label\n1,a\n")
    assert main(["ruler", str(path), *args]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_ruler_with_a_bad_file_exits_2_in_one_line(tmp_path, capsys):
    path = write(tmp_path, "x,y,label\n1,2,a\n3,b\n")
    assert main(["ruler", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3: 2 values where the header has 3" in err and err.count("\n") == 1
