"""Piece ruler's scene draws the record the piece publishes (visuals/records/ruler): the rule
set's axes and boxes, the training presets, the presets sounding; nothing shown, a black frame."""

import numpy as np

from synthlearn.snapshot import Snapshot
from synthlearn.visuals.records import ruler as record
from synthlearn.visuals.scenes.ruler import PALETTE, RulerScene

W, H = 160, 96
LINE = (255, 255, 120)


def _draw(rec) -> np.ndarray:
    return RulerScene(W, H).draw(rec).copy()


def test_nothing_shown_is_a_black_frame():
    empty = Snapshot(**record.layout(lines=3))
    empty.publish()
    frame = _draw(empty.read())
    assert frame.shape == (H, W, 3) and frame.dtype == np.uint8 and not frame.any()


def test_the_record_holds_the_rules_as_value_indices():
    rec = record.example()
    assert list(rec["levels"]) == [5, 4, 2]  # freq, numharm, amp: their distinct values
    assert rec["points"].shape == (5, 3) and rec["boxes"].shape[1] == 4
    assert int(rec["lines_n"][0]) == 1 and list(rec["lines"][0]) == [2, 0, 0]  # 110, 3, 0.3
    assert set(rec["boxes"][:, 1]) == {0, 1}  # both labels' rules


def test_axes_boxes_points_and_the_preset_sounding_are_drawn():
    silent, sounding = _draw(record.example(presets=())), _draw(record.example())
    assert (silent == 255).all(axis=2).any()  # the training presets: white points
    grey = (silent == 90).all(axis=2)
    assert grey.sum(axis=0).max() > H // 2  # the axes: tall grey columns
    assert any((silent == PALETTE[k] // 2).all(axis=2).any() for k in (0, 1))  # rules' boxes
    changed = (silent != sounding).any(axis=2)
    assert changed.any() and (sounding[changed] == LINE).all()  # only the line differs
    assert not (silent == LINE).all(axis=2).any()


def test_a_preset_not_of_the_rules_shown_is_left_out():
    rec = record.example(presets=((110, 3, 0.3), (999, 3, 0.3), (110, 3)))
    assert int(rec["lines_n"][0]) == 1  # 999 is no freq of these rules; a preset too short
    assert np.array_equal(_draw(rec), _draw(record.example()))


def test_the_scene_draws_the_same_record_the_same_way_every_time():
    scene, rec = RulerScene(W, H), record.example()
    first = scene.draw(rec).copy()
    scene.draw(record.example(presets=()))
    assert np.array_equal(scene.draw(rec), first)
