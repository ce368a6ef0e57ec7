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


def test_a_preset_that_cannot_be_placed_on_the_axes_is_left_out():
    rec = record.example(presets=((110, 3, 0.3), ("x", 3, 0.3), (110, 3)))
    assert int(rec["lines_n"][0]) == 1  # a word where numbers are; a preset too short
    assert np.array_equal(_draw(rec), _draw(record.example()))


def test_a_preset_set_by_hand_is_drawn_between_the_rules_values():
    rec = record.example(presets=((999, 3, 0.3), (137.5, 3, 0.3)))
    assert rec["lines"][:2, 0].tolist() == [4.5, 2.5]  # beyond 220; half way 110..165
    assert not np.array_equal(_draw(rec), _draw(record.example()))


def test_the_scene_draws_the_same_record_the_same_way_every_time():
    scene, rec = RulerScene(W, H), record.example()
    first = scene.draw(rec).copy()
    scene.draw(record.example(presets=()))
    assert np.array_equal(scene.draw(rec), first)


def test_a_live_tables_presets_are_placed_on_the_rule_sets_axes_between_its_values():
    # freq's values 2, 3, 110, 165, 220; numharm's 3, 6, 40, 80; amp's 0.3, 0.4
    rec = record.example(kept=[(110, 3, 0.3, "tone"), (137.5, 23, 0.35, "rhythm"),
                               (1, 100, 0.3, "noise"), ("x", 3, 0.3, "tone"), (110, 3, "tone")])
    n = int(rec["kept_n"][0])
    assert n == 3  # a word where numbers are and a row too short are left out
    assert np.allclose(rec["kept"][:n], [[2.0, 0.0, 0.0],  # its own values: their indices
                                         [2.5, 1.5, 0.5],  # half way between neighbours
                                         [-0.5, 3.5, 0.0]])  # beyond the ends: half a step out
    assert rec["kept_labels"][:n].tolist() == [1, 0, -1]  # labels sorted: rhythm, tone; none


def test_only_the_newest_kept_presets_are_shown_when_a_table_grows_past_the_room():
    rows = [(110 + k * 0.01, 3, 0.3, "tone") for k in range(record.KEPT_SHOWN + 40)]
    rec = record.example(kept=rows)
    assert int(rec["kept_n"][0]) == record.KEPT_SHOWN
    first_freq = rec["kept"][0, 0]  # the 41st row's: 110.4 lies 0.4 / 55 of the way to 165
    assert abs(first_freq - (2 + 0.40 / 55)) < 1e-9


def test_kept_presets_are_drawn_as_rings_in_their_labels_colour():
    plain = _draw(record.example(presets=()))
    ringed = _draw(record.example(presets=(), kept=[(137.5, 23, 0.35, "rhythm")]))
    changed = (plain != ringed).any(axis=2)
    assert changed.any()
    assert (ringed[changed] == PALETTE[0]).all()  # rhythm: the first label's colour
