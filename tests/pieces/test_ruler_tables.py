"""Collecting data on stage: a synth set by hand (``blip.freq 300``), its presets labelled into
a live table (``keep blip tone``), trained on as a CSV is, joined with a shipped table, exported;
kept with the session's names, so a resume has it back."""

import json

import numpy as np
import pytest
from helpers import folder_context, ruler_score

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
    return ruler_score(tmp_path, cues, duration=duration, seed=5, name="collect.toml")


def rendered_twice(path, tmp_path) -> list[bytes]:
    """The score rendered into ``a`` and ``b``: both WAVs' bytes."""
    outs = []
    for run in ("a", "b"):
        render(path, tmp_path / run, RenderOptions(video=False))
        outs.append((tmp_path / run / "audio.wav").read_bytes())
    return outs


def test_a_score_collects_labels_trains_and_conducts_and_renders_the_same_bytes(tmp_path):
    path = _score(tmp_path, COLLECT + TRAIN)
    outs = rendered_twice(path, tmp_path)
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
        from synthlearn.visuals.records.ruler import read_text

        status = read_text(piece.shown.read())[2]  # the picture says it too
        assert status == ["60 bpm, no section", "blip: by hand", "fm: by hand",
                          "live: 1 preset of blip (tone 1); freq, numharm, amp"]
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


def test_exploring_plays_seeded_random_presets_a_beat_apart_and_keeps_what_is_liked(tmp_path):
    cues = [(0.0, "tempo 240"), (0.0, "explore blip"), (0.6, "keep blip liked"),
            (1.1, "keep blip liked"), (1.2, "explore off"), (1.3, "keep blip last")]
    path = _score(tmp_path, cues, duration=2.0)
    outs = rendered_twice(path, tmp_path)
    assert outs[0] == outs[1]  # the same seed explores the same presets
    piece = Ruler(seed=5, context=folder_context(tmp_path))
    from synthlearn.audio.engine import Engine

    engine = Engine("manual", block=64)
    try:
        engine.play(piece)
        assert piece.cmd_explore("blip", 1.0).startswith("blip explores its ranges")
        seen = []
        for t in (0.0, 0.1, 0.25, 0.5, 0.75, 0.8):  # 60 bpm: a beat a second
            piece.main_tick(t)
            seen.append(dict(piece.synths["blip"].values))
        piece.main_tick(1.0)
        seen.append(dict(piece.synths["blip"].values))
    finally:
        engine.close()
    assert seen[0] == seen[-2] != seen[-1]  # one preset within the beat, a new one at it
    for values in (seen[0], seen[-1]):
        assert 0.5 <= values["freq"] <= 12000 and 1 <= values["numharm"] <= 200


def test_an_audition_plays_a_labels_new_presets_first_one_a_beat(tmp_path):
    (tmp_path / "t.csv").write_text("freq,numharm,amp,label\n110,3,0.3,low\n220,3,0.3,low\n"
                                    "110,6,0.3,low\n2000,50,0.2,high\n")
    cues = [(0.0, "r = ruler t.csv distance:2 consistency:0.5"), (0.1, "tempo 400"),
            (0.2, "audition r low blip")]
    path = _score(tmp_path, cues, duration=1.2)
    render(path, tmp_path / "out", RenderOptions(video=False))
    events = json.loads((tmp_path / "out" / "summary.json").read_text())["events"]
    sets = [e for e in events if e.get("set") == "blip"]
    training = {(110.0, 3.0), (220.0, 3.0), (110.0, 6.0)}
    played = [(e["values"]["freq"], e["values"]["numharm"]) for e in sets]
    assert len(played) == 4 and set(played) == training | {(220.0, 6.0)}
    assert played[0] == (220.0, 6.0)  # the one preset the table never had, first
    with pytest.raises(UserError, match="audition: r has no label 'mid'"):
        piece = Ruler(context=folder_context(tmp_path))
        piece.names.assign("r", piece.cmd_ruler("t.csv", 2, 0.5))
        piece.cmd_audition("r", "mid")


def test_a_controller_mapped_or_learned_drives_a_parameter_across_its_range(tmp_path):
    from synthlearn import events
    from synthlearn.audio.engine import Engine

    piece = Ruler(seed=1, context=folder_context(tmp_path))
    engine = Engine("manual", block=64)

    def move(cc, value):
        engine.push(events.control(engine.now_smp(), cc, value))
        engine.process()
        piece.main_tick(engine.time_s)

    try:
        engine.play(piece)
        assert piece.cmd_map("cc21", "fm.index") == "cc21 drives fm.index across its range"
        move(21, 127)
        assert piece.synths["fm"].values["index"] == 40.0 and piece.synths["fm"].sounding
        move(21, 0)
        assert piece.synths["fm"].values["index"] == 0.0
        assert piece.cmd_learn("blip.numharm") == "move a controller: it will drive blip.numharm"
        move(30, 127)  # the next controller moved is learned, and drives at once
        assert piece.cc_map[30] == ("blip", "numharm") and piece.learning_cc is None
        assert piece.synths["blip"].values["numharm"] == 200.0
        assert "cc30 drives blip.numharm" in piece.news()
        move(7, 64)  # a controller mapped to nothing changes nothing
        assert piece.cmd_map("cc21", "off") == "cc21 off (it drove fm.index)"
        move(21, 127)
        assert piece.synths["fm"].values["index"] == 0.0
        with pytest.raises(UserError, match="map: 'blip.nope' is no SYNTH.PARAM"):
            piece.cmd_map("cc21", "blip.nope")
    finally:
        engine.close()


def test_the_picture_shows_the_table_being_collected_point_by_point(tmp_path):
    from synthlearn.audio.engine import Engine
    from synthlearn.visuals.records.ruler import read_text

    piece = Ruler(seed=1, context=folder_context(tmp_path))
    engine = Engine("manual", block=64)
    try:
        engine.play(piece)
        view = piece.scene(engine, 160, 96, 30.0)
        assert len(piece.shown.read()["levels"]) == 0  # nothing kept: no axes
        piece.cmd_param("blip", "freq", 300.0)
        piece.cmd_keep("blip", "tone")
        piece.cmd_param("blip", "freq", 600.0)
        piece.cmd_keep("blip", "rhythm")
        record = piece.shown.read()
        assert list(record["levels"]) == [2, 1, 1]  # freq 300 and 600; numharm; amp
        assert record["points"].tolist() == [[0, 0, 0], [1, 0, 0]]
        assert int(record["lines_n"][0]) == 1 and record["lines"][0].tolist() == [1, 0, 0]
        names, labels, _ = read_text(record)
        assert names == ["freq", "numharm", "amp"] and labels == ["rhythm", "tone"]
        assert view.draw()[30:80].any()  # the axes and the points
        piece.names.assign("r", piece.cmd_ruler("live", 1, 0.5))  # rules now: they show
        piece.cmd_set("blip", "r", "0", "tone")
        assert len(piece.shown.read()["boxes"]) > 0
        view.close()
    finally:
        engine.close()


def test_a_live_tables_presets_show_over_the_rules_in_play_as_they_are_kept(tmp_path):
    from synthlearn.audio.engine import Engine

    piece = Ruler(seed=1, context=folder_context(tmp_path))
    engine = Engine("manual", block=64)
    try:
        engine.play(piece)
        piece.names.assign("r", piece.cmd_ruler("blip", 2, 0.5))  # the shipped blip table
        piece.cmd_set("blip", "r", "0", "tone")
        assert int(piece.shown.read()["kept_n"][0]) == 0  # no live table yet
        piece.cmd_param("blip", "freq", 300.0)
        piece.cmd_keep("blip", "tone")  # into 'live': blip's parameters, as the rules'
        record = piece.shown.read()
        assert int(record["kept_n"][0]) == 1 and int(record["kept_labels"][0]) >= 0
        freqs = piece.model("r").presets.values[0]
        below = sum(1 for f in freqs if f < 300)  # 300 sits among blip's training freqs
        assert below - 1 <= record["kept"][0, 0] <= below
        piece.cmd_keep("blip", "nobody-labels-this")
        record = piece.shown.read()
        assert int(record["kept_n"][0]) == 2 and int(record["kept_labels"][1]) == -1
    finally:
        engine.close()


def test_a_fuzzy_rule_set_sets_presets_between_its_training_values(tmp_path):
    cues = [(0.0, "r = ruler blip distance:2 consistency:0.5 fuzzy:on"),
            (0.2, "set blip r r tone"), (0.4, "set blip r r tone"), (0.6, "set blip r r tone")]
    path = _score(tmp_path, cues, duration=1.0)
    outs = rendered_twice(path, tmp_path)
    assert outs[0] == outs[1]
    events = json.loads((tmp_path / "a" / "summary.json").read_text())["events"]
    freqs = [e["values"]["freq"] for e in events if e.get("set") == "blip"]
    from synthlearn.files import DATASETS

    table = (DATASETS / "blip.csv").read_text().splitlines()[1:]
    trained = {float(line.split(",")[0]) for line in table}
    assert len(freqs) == 3 and any(f not in trained for f in freqs)
    assert all(min(trained) <= f <= max(trained) for f in freqs)
