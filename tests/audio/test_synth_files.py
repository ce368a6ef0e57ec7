"""A performer's own synths: NAME.py files (PARAMS, build) loaded from a folder, checked, played
by the ruler piece; a broken one is one line naming the file and line, and the rest goes on."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import folder_context

from synthlearn.errors import UserError

SINE = '''
import pyo

PARAMS = {"freq": (50.0, 2000.0, 330.0), "amp": (0.0, 1.0, 0.3), "pan": (0.0, 1.0, 0.5)}


def build(p):
    return pyo.Sine(freq=p["freq"], mul=p["amp"])
'''

BROKEN = {
    "syntax.py": ("PARAMS = {'a': (0, 1, 0.5)}\ndef build(p)\n    return p\n",
                  r"syntax\.py:2: "),
    "inverted.py": ("PARAMS = {'freq': (2000.0, 50.0, 300.0)}\ndef build(p):\n    return None\n",
                    r"inverted\.py: synth inverted: freq .*low <= default <= high"),
    "raises.py": ("import math\nPARAMS = {'x': (0, 1, 0.5)}\nmath.sqrt(-1)\n",
                  r"raises\.py:3: ValueError: math domain error"),
    "noparams.py": ("def build(p):\n    return None\n", r"noparams\.py: defines no PARAMS"),
    "nobuild.py": ("PARAMS = {'x': (0, 1, 0.5)}\n", r"nobuild\.py: defines no build"),
}


@pytest.fixture
def registry(monkeypatch):
    from synthlearn.audio import synths

    synths.names()  # the shipped ones first, kept
    monkeypatch.setattr(synths, "SYNTHS", dict(synths.SYNTHS))
    monkeypatch.setattr(synths, "PANS", dict(synths.PANS))
    return synths


def test_a_folder_of_synths_loads_the_good_and_says_one_line_for_each_broken(registry,
                                                                            tmp_path):
    from synthlearn.audio.synth_files import load_folder

    (tmp_path / "mysine.py").write_text(SINE)
    for name, (text, _) in BROKEN.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "linked.py").symlink_to(tmp_path / "mysine.py")
    said = []
    loaded = load_folder(tmp_path, register=registry.register, say=said.append)
    assert loaded == ["mysine"] and "mysine" in registry.names()
    assert all("\n" not in line for line in said) and len(said) == 2 + len(BROKEN)
    for name, (_, pattern) in BROKEN.items():
        import re

        assert any(re.search(pattern, line) for line in said), (name, said)
    assert any("linked.py: not a regular file" in line for line in said)
    assert any(line.startswith("synth mysine: freq 50..2000 (330), amp 0..1 (0.3), pan 0..1")
               for line in said)


def test_a_synth_file_passes_the_checks_and_its_pan_parameter_places_it(registry, tmp_path):
    from synthlearn.audio.engine import Engine
    from synthlearn.audio.synth_files import load_file
    from synthlearn.pieces.base import Piece
    from synthlearn.pieces.checks import check_synth
    from synthlearn.pieces.checks.playing import BLOCK, SR, run_blocks

    (tmp_path / "mysine.py").write_text(SINE)
    assert load_file(tmp_path / "mysine.py", register=registry.register) == "mysine"
    check_synth("mysine")

    class One(Piece):
        def build(self, engine):
            self.synth = registry.PresetSynth("mysine")
            return self.synth.output

    engine, piece = Engine("manual", sr=SR, block=BLOCK), One()
    try:
        engine.play(piece)
        energy = []
        for pan in (0.0, 1.0):
            piece.synth.set({"pan": pan, "amp": 0.3})
            run_blocks(engine, 60)
            out = run_blocks(engine, 60)
            energy.append((float((out[:, 0] ** 2).sum()), float((out[:, 1] ** 2).sum())))
    finally:
        engine.close()
    (left0, right0), (left1, right1) = energy
    assert left0 > 100 * right0 and right1 > 100 * left1  # hard left, then hard right


def test_a_build_that_fails_is_one_line_naming_its_file_and_line(registry, tmp_path):
    from synthlearn.audio.synth_files import load_file

    (tmp_path / "boom.py").write_text("PARAMS = {'x': (0.0, 1.0, 0.5)}\n\n\ndef build(p):\n"
                                      "    return 1 / 0\n")
    from synthlearn.audio.engine import Engine

    load_file(tmp_path / "boom.py", register=registry.register)
    engine = Engine("manual", block=64).boot()  # a booted server: the synth is made there
    try:
        with pytest.raises(UserError, match=r"boom\.py:5: build failed: ZeroDivisionError"):
            registry.PresetSynth("boom")
    finally:
        engine.close()


def test_the_ruler_piece_plays_a_synth_loaded_before_it_is_made(registry, tmp_path):
    from synthlearn.audio.engine import Engine
    from synthlearn.audio.synth_files import load_file
    from synthlearn.pieces.ruler import Ruler

    (tmp_path / "mysine.py").write_text(SINE)
    load_file(tmp_path / "mysine.py", register=registry.register)
    (tmp_path / "t.csv").write_text("freq,amp,label\n200,0.3,low\n220,0.3,low\n900,0.2,high\n")
    piece = Ruler(seed=1, context=folder_context(tmp_path))
    language = Ruler.language()
    assert "mysine" in language.help("set") and "mysine" in piece.cmd_synths()
    engine = Engine("manual", block=64)
    try:
        engine.play(piece)
        piece.names.assign("r", piece.cmd_ruler(str(tmp_path / "t.csv"), 1, 0.5))
        said = piece.cmd_set("mysine", "r", "0", "low")
        out = np.zeros((64 * 80, 2), np.float32)
        for b in range(80):
            engine.process(out[b * 64:(b + 1) * 64])
    finally:
        engine.close()
    assert said.startswith("mysine: freq 200") and np.abs(out).max() > 0.01


def test_check_synth_on_the_command_line(tmp_path):
    (tmp_path / "mysine.py").write_text(SINE)
    (tmp_path / "deaf.py").write_text(SINE.replace('freq=p["freq"]', "freq=330"))
    (tmp_path / "bad.py").write_text("PARAMS = 3\n")
    run = [sys.executable, "-m", "synthlearn", "check-synth"]
    good = subprocess.run([*run, str(tmp_path / "mysine.py")], capture_output=True, text=True)
    deaf = subprocess.run([*run, str(tmp_path / "deaf.py")], capture_output=True, text=True)
    bad = subprocess.run([*run, str(tmp_path / "bad.py")], capture_output=True, text=True)
    assert good.returncode == 0 and "passes the checks" in good.stdout
    assert deaf.returncode == 1 and "changing freq from low to high does not change" in \
        deaf.stderr and "Traceback" not in deaf.stderr
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and \
        "defines no PARAMS" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.jack
def test_perform_loads_a_folder_of_synths_and_goes_on_past_a_broken_one(jack_server, tmp_path):
    synths_dir = tmp_path / "mine"
    synths_dir.mkdir()
    (synths_dir / "mysine.py").write_text(SINE)
    (synths_dir / "broken.py").write_text("PARAMS = {'x': (1, 0, 0.5)}\ndef build(p):\n"
                                          "    return None\n")
    lines = "synths\n"
    run = subprocess.run([sys.executable, "-m", "synthlearn", "perform", "ruler", "--audio",
                          "jack", "--synths", str(synths_dir), "--session",
                          str(tmp_path / "session"), "--no-window", "--midi", "none",
                          "--duration", "2"],
                         input=lines, capture_output=True, text=True, timeout=180,
                         cwd=tmp_path)
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert "synth mysine: freq 50..2000 (330)" in said
    assert "synth left out:" in said and "broken.py: synth broken: x" in said
    assert "mysine: freq 50..2000 (330), amp 0..1 (0.3), pan 0..1 (0.5); pan follows" in said
    assert "blip: freq 0.5..12000 (220)" in said  # the console's synths: shipped and loaded
    assert "Traceback" not in said
