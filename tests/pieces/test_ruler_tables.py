"""Collecting data on stage: a synth set by hand (``blip.freq 300``), its presets labelled into
a live table (``keep blip tone``), trained on as a CSV is, joined with a shipped table, exported;
kept with the session's names, so a resume has it back."""

import json

import numpy as np
import pytest
from helpers import folder_context

from synthlearn.errors import UserError
from synthlearn.pieces.ruler import Ruler
from synthlearn.runtime.render import RenderOptions, render

# A dozen presets played by hand and labelled by ear: low and slow ones 'calm', high ones 'hot'.
COLLECT = [(0.0, "blip.amp 0.3")]
for k, (freq, harms, label) in enumerate([
        (110, 3, "calm"), (130, 3, "calm"), (110, 6, "calm"), (150, 4, "calm"), (130, 6, "calm"),
        (165, 3, "calm"), (880, 40, "hot"), (990, 60, "hot"), (880, 80, "hot"),
        (1100, 40, "hot"), (990, 80, "hot"), (1320, 60, "hot")]):
    t = 0.1 + 0.1 * k
    COLLECT += [(t, f"blip.freq {freq}"), (t + 0.01, f"blip.numharm {harms}"),
                (t + 0.06, f"keep blip {label}")]
TRAIN = [(1.5, "drop live 11"), (1.6, "r = ruler live distance:2 consistency:0.5"),
         (1.7, "set blip r r hot"), (2.0, "section calm"), (2.1, "tempo 240"),
         (2.2, "save live kept.csv"), (2.3, "check r")]


def _score(tmp_path, cues, duration=3.5):
    lines = ['piece = "ruler"', "seed = 5", f"duration = {duration}"]
    for t, line in cues:
        lines += ["[[at]]", f"time = {t}", f"do = {json.dumps(line)}"]
    path = tmp_path / "collect.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_score_collects_labels_trains_and_conducts_and_renders_the_same_bytes(tmp_path):
    path = _score(tmp_path, COLLECT + TRAIN)
    outs = []
    for run in ("a", "b"):
        render(path, tmp_path / run, RenderOptions(video=False))
        outs.append((tmp_path / run / "audio.wav").read_bytes())
    assert outs[0] == outs[1]
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    events = summary["events"]
    retrain = next(e for e in events if e.get("retrain") == "live")
    checked = next(e for e in events if e.get("checked") == "r")
    assert checked["left_out"] == 11 and 0 <= checked["right"] <= 11
    assert retrain["rules"] >= 2  # calm and hot, learned from what was kept
    sets = [e for e in events if e.get("set") == "blip"]
    assert sets[0]["label"] == "hot" and sets[0]["values"]["freq"] >= 880
    assert any(e["label"] == "calm" and e["values"]["freq"] <= 165 for e in sets[1:])
    saved = (tmp_path / "a" / "kept.csv").read_text().splitlines()
    assert saved[0] == "freq,numharm,amp,label" and len(saved) == 1 + 11  # row 11 dropped
    assert saved[1] == "110.0,3.0,0.3,calm" and saved[-1].endswith(",hot")
    from synthlearn.audio.wavfile import read_wav

    _, audio = read_wav(tmp_path / "a" / "audio.wav")
    assert np.abs(audio[: 48000 // 2]).max() > 0.01  # the hand-set blip sounded, collecting


def test_a_live_table_joins_a_shipped_one_and_refuses_another_synths_presets(tmp_path):
    piece = Ruler(seed=1, context=folder_context(tmp_path))
    from synthlearn.audio.engine import Engine

    engine = Engine("manual", block=64)
    try:
        engine.play(piece)
        piece.cmd_param("blip", "freq", 300.0)
        assert "blip (set by hand)" in piece.status()
        said = piece.cmd_keep("blip", "tone")
        assert said == "kept in live as row 0: freq 300, numharm 10, amp 0.3 -> tone"
        piece.cmd_param("fm", "carrier", 440.0)
        with pytest.raises(UserError, match="live holds blip's parameters"):
            piece.cmd_keep("fm", "bell")
        with pytest.raises(UserError, match="keep: rain is silent"):
            piece.cmd_keep("rain", "x")
        joined = piece.table("blip+live")
        assert len(joined) == len(piece.table("blip")) + 1 and "tone" in joined.labels
        with pytest.raises(UserError, match="fm's columns .* are not blip's"):
            piece.table("blip+fm")
        assert piece.cmd_table().startswith("live: 1 preset of blip (tone 1); freq, numharm, amp")
        with pytest.raises(UserError, match="drop: live has rows 0..0"):
            piece.cmd_drop("live", 3)
    finally:
        engine.close()


def test_a_live_table_is_kept_with_the_session_and_back_on_resume(tmp_path):
    from synthlearn.commands.names import Names
    from synthlearn.pieces.base import Context
    from synthlearn.runtime.sessions import Session

    first = Ruler(seed=1, context=folder_context(tmp_path))
    from synthlearn.audio.engine import Engine

    engine = Engine("manual", block=64)
    try:
        engine.play(first)
        first.cmd_param("blip", "freq", 220.0)
        first.cmd_keep("blip", "a")
        first.cmd_param("blip", "freq", 440.0)
        first.cmd_keep("blip", "b")
    finally:
        engine.close()
    (tmp_path / "session").mkdir()
    session = Session(tmp_path / "session")
    session.save_names(dict(first.names.values))
    back = Ruler(seed=1, context=Context(Names(session.load_names()),
                                         folder_context(tmp_path).files))
    assert back.cmd_table("live") == first.cmd_table("live")
    assert len(back.table("live")) == 2
