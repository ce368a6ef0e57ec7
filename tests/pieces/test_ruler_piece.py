"""Piece ruler: rules learned from a preset table, presets set into synths, heard; from a score,
from the console, with a worker; bad input one line while the old rules play on."""

import csv
import threading
import time

import numpy as np
import pytest
from helpers import SR, folder_context, osc_port, peak_hz, ruler_score, stderr_until

from synthlearn import files
from synthlearn.commands.console import Console
from synthlearn.errors import UserError
from synthlearn.pieces import live_language
from synthlearn.pieces.ruler import Ruler
from synthlearn.runtime.render import RenderOptions, render
from synthlearn.runtime.worker import Worker

DATASETS = files.DATASETS  # shipped with synthlearn


def score(tmp_path, cues, duration=4.0, data="blip.csv"):
    """A ruler score next to a copy of a dataset (paths in a score are relative to it)."""
    (tmp_path / data).write_text((DATASETS / data).read_text())
    return ruler_score(tmp_path, cues, duration=duration)


def test_a_score_learns_sets_and_is_heard_tone_then_rhythm(tmp_path):
    path = score(tmp_path, [(0.0, "rules = ruler blip.csv distance:2 consistency:0.5"),
                            (0.5, "set blip rules 0 tone"), (2.0, "set blip rules r rhythm")])
    summary = render(path, tmp_path / "out", RenderOptions(video=False, block=256))
    from synthlearn.audio.wavfile import read_wav

    _, audio = read_wav(tmp_path / "out" / "audio.wav")
    x = audio[:, 0]
    retrain, first, second = summary["events"]
    assert retrain["retrain"] == "blip.csv" and retrain["rules"] == 11
    assert first["set"] == "blip" and first["time_s"] == pytest.approx(0.5, abs=256 / SR)
    assert first["values"] == {"freq": 110.0, "numharm": 1.0, "amp": 0.25}  # tone's preset 0
    assert second["label"] == "rhythm" and second["values"]["freq"] <= 8
    assert np.abs(x[:round(0.45 * SR)]).max() == 0.0  # silent until the first set
    tone = x[round(0.8 * SR):round(1.9 * SR)]
    hz, amp = peak_hz(tone, SR, 110.0, width_hz=10.0)
    assert abs(hz - 110.0) < 1.0 and amp > 0.05  # a pure sine at 110 Hz (numharm 1)
    # the rhythm: a click train at a few Hz, its loudness far from steady (unlike the tone)
    rhythm = x[round(2.5 * SR):round(4.0 * SR)]
    frames = lambda s: np.sqrt(np.mean(s[:len(s) // 480 * 480].reshape(-1, 480) ** 2, 1))  # noqa: E731
    assert frames(rhythm).std() / frames(rhythm).mean() > 1.0
    assert frames(tone).std() / frames(tone).mean() < 0.1
    assert summary["sections"][-1]["name"] == "rhythm"


def test_the_same_score_renders_the_same_bytes(tmp_path):
    path = score(tmp_path, [(0.0, "rules = ruler blip.csv"), (0.2, "set blip rules r rhythm"),
                            (0.6, "set blip rules r tone")], duration=1.0)
    for d in ("a", "b"):
        render(path, tmp_path / d, RenderOptions(video=False))
    assert (tmp_path / "a/audio.wav").read_bytes() == (tmp_path / "b/audio.wav").read_bytes()


@pytest.mark.parametrize("cue, says", [
    ("rules = ruler missing.csv", "missing.csv: no such file"),
    ("set blip nothing 0 tone", "no rules named 'nothing'"),
])
def test_a_bad_score_line_is_one_line_naming_the_score(tmp_path, cue, says):
    path = score(tmp_path, [(0.0, "rules = ruler blip.csv"), (0.1, cue)], duration=0.5)
    with pytest.raises(UserError) as err:
        render(path, tmp_path / "out", RenderOptions(video=False))
    assert str(err.value).startswith(str(path)) and says in str(err.value)


def _console(piece):
    said, worker = [], Worker(say=lambda line: None).start()
    console = Console(live_language(Ruler), lambda e: None, lambda: 0, stop=threading.Event(),
                      say=said.append, stream=None, piece=lambda: piece, worker=worker,
                      names=piece.names)
    return console, said, worker


def test_live_retraining_swaps_the_rules_and_a_failed_one_keeps_the_old(tmp_path):
    from synthlearn.audio.engine import Engine

    (tmp_path / "blip.csv").write_text((DATASETS / "blip.csv").read_text())
    (tmp_path / "bad.csv").write_text("freq,numharm,amp,label\n1,2\n")
    engine = Engine("manual", block=256)
    piece = Ruler(seed=1, context=folder_context(tmp_path))
    try:
        engine.play(piece, [])
        console, said, worker = _console(piece)
        console.handle("rules = ruler blip.csv distance:2 consistency:0.5")
        worker.close()  # the worker thread finished its job
        first = piece.names["rules"]
        assert said[-1].startswith("rules = ruler blip.csv: 11 rules (rhythm 18 presets, "
                                   "tone 25), learned in ") and len(first["rules"]) == 11
        worker = console.worker = Worker(say=lambda line: None).start()
        console.handle("rules = ruler bad.csv")
        worker.close()  # (a newer retrain of the same name would replace it)
        assert said[-1].startswith("? ") and "bad.csv:2: 2 values where the header has 4" in \
            said[-1]
        assert piece.names["rules"] is first
        worker = console.worker = Worker(say=lambda line: None).start()
        console.handle("rules = ruler blip.csv distance:1")
        worker.close()
        assert piece.names["rules"] is not first and piece.names["rules"]["distance"] == 1
        assert console.handle("set blip rules r rhythm").startswith("blip: freq ")
        assert piece.synths["blip"].sounding
        assert "rules: " in console.handle("rules")
    finally:
        engine.close()


def test_a_column_the_synth_does_not_have_is_one_line(tmp_path):
    from synthlearn.audio.engine import Engine

    (tmp_path / "rain.csv").write_text((DATASETS / "rain.csv").read_text())
    engine = Engine("manual", block=256)
    piece = Ruler(context=folder_context(tmp_path))
    try:
        engine.play(piece, [])
        console, said, worker = _console(piece)
        console.worker = None  # run here
        console.handle("r = ruler rain.csv")
        assert console.handle("set blip r r rain") == (
            "? blip has no parameter 'freq1'; its parameters are freq, numharm, amp")
        assert console.handle("set rain r r nope").startswith("? no label 'nope' in these rules")
        assert console.handle("set rain r 9999 rain").startswith("? preset 9999 of 'rain'")
        assert not piece.synths["blip"].sounding and not piece.synths["rain"].sounding
        worker.close()
    finally:
        engine.close()


def test_new_presets_are_exported_and_the_label_conducts(tmp_path):
    from synthlearn.audio.engine import Engine

    (tmp_path / "blip.csv").write_text((DATASETS / "blip.csv").read_text())
    engine = Engine("manual", block=256)
    piece = Ruler(seed=2, context=folder_context(tmp_path))
    try:
        engine.play(piece, [])
        console, said, worker = _console(piece)
        console.worker = None
        console.handle("rules = ruler blip.csv")
        assert console.handle("presets rules tone 5 tone-new.csv").startswith("5 new presets")
        rows = list(csv.reader((tmp_path / "exports" / "tone-new.csv").open()))
        training = {tuple(r[:3]) for r in csv.reader((tmp_path / "blip.csv").open())}
        assert rows[0] == ["freq", "numharm", "amp", "label"] and len(rows) == 6
        assert all(tuple(r[:3]) not in training and r[3] == "tone" for r in rows[1:])
        console.handle("set blip rules 0 tone")
        console.handle("tempo 240")  # a beat every 0.25 s
        console.handle("section rhythm")
        seen = set()
        for t in np.arange(0.0, 2.0, 256 / SR):
            piece.main_tick(float(t))
            seen.add(tuple(piece.synths["blip"].values.values()))
        assert len(seen) >= 4 and piece.section == "rhythm"  # a new rhythm preset each beat
        console.handle("section off")
        piece.main_tick(5.0)
        assert piece.conducting is None
        worker.close()
    finally:
        engine.close()


@pytest.mark.jack
def test_live_from_osc_rules_are_learned_set_heard_and_resumed(jack_server, tmp_path):
    import os
    import subprocess
    import sys

    from pythonosc import udp_client

    from synthlearn.audio.wavfile import read_wav
    from synthlearn.runtime.sessions import Session

    (tmp_path / "blip.csv").write_text((DATASETS / "blip.csv").read_text())
    folder, wav = tmp_path / "s", tmp_path / "live.wav"

    def perform(*extra, duration):
        return subprocess.Popen(
            [sys.executable, "-m", "synthlearn", "perform", *extra, "--audio", "jack", "--midi",
             "none", "--no-window", "--no-console", "--duration", str(duration), "--osc-in",
             "127.0.0.1:0", "--osc-may", "read"], cwd=tmp_path, stderr=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))

    child, seen = perform("ruler", "--session", str(folder), "--record", str(wav), duration=7), []
    try:
        port = osc_port(child, seen)
        stderr_until(child, "performing ruler", seen)
        osc = udp_client.SimpleUDPClient("127.0.0.1", port)
        osc.send_message("/synthlearn/do", "rules = ruler blip.csv distance:2 consistency:0.5")
        stderr_until(child, "rules = ruler blip.csv: 11 rules", seen)
        osc.send_message("/synthlearn/do", "set blip rules 0 tone")
        set_at = stderr_until(child, "blip: freq 110", seen)
        assert "numharm 1" in set_at
        time.sleep(2.0)  # the tone plays a while, on the other process's clock
        osc.send_message("/synthlearn/set", ["blip", "rules", "r", "rhythm"])
        stderr_until(child, "blip: freq ", seen)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    _, audio = read_wav(wav)
    x = audio[:, 0]
    loud = np.flatnonzero(np.abs(x) > 1e-3)
    start = loud[0]  # the first set
    tone = x[start + SR // 2:start + int(1.5 * SR)]
    hz, amp = peak_hz(tone, SR, 110.0, width_hz=10.0)
    assert abs(hz - 110.0) < 1.0 and amp > 0.05
    rhythm = x[-int(1.5 * SR):]
    env = np.sqrt(np.mean(rhythm[:len(rhythm) // 480 * 480].reshape(-1, 480) ** 2, axis=1))
    assert env.std() / env.mean() > 1.0  # clicks, not a steady tone
    names = Session(folder).load_names()
    assert len(names["rules"]["rules"]) == 11  # the rules were autosaved
    # Resumed: the rules are back and can be used at once.
    child, seen = perform("--resume", str(folder), duration=3), []
    try:
        port = osc_port(child, seen)
        stderr_until(child, "performing ruler", seen)
        udp_client.SimpleUDPClient("127.0.0.1", port).send_message(
            "/synthlearn/do", "set fm rules r tone")
        said = stderr_until(child, "? ", seen)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    # the rules named 'rules' are there: only the synth is wrong for them
    assert "fm has no parameter 'freq'" in said


# -- issue 20: what it shows is a published record; its synths come from the registry ----------

def test_what_it_shows_is_published_where_it_changes(tmp_path):
    """The scene's record follows the piece: a retrain kept (told by the names, in the worker),
    a set and a stop (main thread), a conductor's beat; a panic in the hook puts up the record
    made beforehand for nothing sounding. The scene draws only that record."""
    from synthlearn import events
    from synthlearn.audio.engine import Engine
    from synthlearn.visuals.scenes import SnapshotView

    (tmp_path / "blip.csv").write_text((DATASETS / "blip.csv").read_text())
    engine = Engine("manual", block=256)
    piece = Ruler(seed=2, context=folder_context(tmp_path))
    shown = lambda: piece.shown.read()  # noqa: E731
    try:
        engine.play(piece, [])
        view = piece.scene(engine, 160, 96, 30.0)
        assert isinstance(view, SnapshotView) and view.published is piece.shown
        from synthlearn.visuals.records.ruler import read_text

        frame = view.draw()  # no rules: no axes, only its words at the top
        assert len(shown()["levels"]) == 0 and frame[:24].any() and not frame[24:].any()
        assert read_text(shown()) == ([], [], ["60 bpm, no section"])
        console, said, worker = _console(piece)
        console.handle("rules = ruler blip.csv")
        worker.close()  # kept by the worker's thread, and published there
        rules = piece.model("rules")
        assert list(shown()["levels"]) == [len(v) for v in rules.presets.values]
        assert int(shown()["lines_n"][0]) == 0 and view.draw().any()
        console.worker = None
        console.handle("set blip rules 0 tone")
        record = shown()
        preset = rules.preset("tone", 0)
        line = record["lines"][0]
        assert int(record["lines_n"][0]) == 1 and [
            rules.presets.values[p][int(k)] for p, k in enumerate(line)] == list(preset)
        names, labels, status = read_text(record)
        assert names == ["freq", "numharm", "amp"] and labels == list(rules.labels)
        assert status == ["60 bpm, no section", "blip: tone from rules"]
        frame = view.draw()  # the parameters' names under the axes
        assert frame[int(0.92 * 96) + 2:].any()
        console.handle("tempo 240")
        console.handle("section rhythm")
        piece.main_tick(0.5)  # a beat: a rhythm preset
        beat = shown()["lines"][0]
        assert [rules.presets.values[p][int(k)] for p, k in enumerate(beat)] == \
            list(piece.sounding["blip"]["preset"])
        console.handle("stop blip")
        assert int(shown()["lines_n"][0]) == 0
        console.handle("set blip rules 1 tone")
        console.handle("r2 = ruler blip.csv distance:1")  # newest kept; blip sounds from rules
        boxes = lambda name: sum(len(values) for rule in piece.model(name).rules  # noqa: E731
                                 for values in rule.sets)
        assert boxes("rules") != boxes("r2") and len(shown()["boxes"]) == boxes("rules")
        engine.push(events.command(engine.now_smp(), Ruler.language().parse("panic")))
        engine.process()  # the hook's panic: what shows once nothing sounds, put up at once
        quiet = shown()
        assert int(quiet["lines_n"][0]) == 0 and not piece.sounding
        assert len(quiet["boxes"]) == boxes("r2")  # the newest kept
        piece.main_tick(1.0)  # and the main tick's publish agrees, its words now up to date
        assert all(np.array_equal(shown()[k], quiet[k]) for k in quiet
                   if k not in ("text", "names_n"))
        assert read_text(shown())[2] == ["240 bpm, no section"]  # nothing sounds, no section
        view.close()
    finally:
        engine.close()


def test_its_synths_are_the_registry_s_and_an_unknown_one_is_an_error():
    from synthlearn.audio import synths

    for command in ("set", "stop"):
        assert Ruler.language().specs[command].params[0].options() == synths.names()
    piece = Ruler()
    assert [name for name, *_ in piece._synth_keys] == list(synths.names())
    with pytest.raises(UserError, match="no synth 'organ'; expected one of blip, rain, fm"):
        synths.PresetSynth("organ")
    with pytest.raises(UserError, match="a synth named 'fm' is registered already"):
        synths.register("fm", {"amp": (0.0, 1.0, 0.5)}, lambda p: None)
