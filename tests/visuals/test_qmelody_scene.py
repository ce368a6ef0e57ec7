"""The qmelody scene draws the record it is given (issue 20: a scene is ``draw(record) ->
frame`` and never holds the piece): the example record, records the piece published, and the
commands typed last."""

import numpy as np

from synthlearn.pieces.qmelody import Qmelody
from synthlearn.visuals.records import qmelody as record
from synthlearn.visuals.scenes.qmelody import QmelodyScene


def test_the_scene_draws_a_record_without_a_piece():
    scene = QmelodyScene(160, 96)
    try:
        scene.warm()
        frame = scene.draw(record.example()).copy()
        assert frame.shape == (96, 160, 3) and frame.dtype == np.uint8 and frame.any()
        assert not hasattr(scene, "piece")
        again = scene.draw(record.example(correct=np.zeros(record.AGENTS)))
        assert not np.array_equal(frame, again)  # the graph's discs dim with no notes right
        empty = record.example(tlen=np.zeros(record.AGENTS), curve_n=np.zeros(record.AGENTS))
        assert scene.draw(empty).shape == (96, 160, 3)
    finally:
        scene.close()


def test_the_pieces_view_draws_what_it_published_and_the_lines_typed():
    piece = Qmelody(seed=1)
    piece.cmd_teach("all", "c4,e4,g4")
    view = piece.scene(None, 160, 96, 30.0)
    try:
        published = view.published.read()
        assert published["commands"] == ["teach all c4,e4,g4"]
        assert set(record.FIELDS) <= set(published)
        scene = QmelodyScene(160, 96)
        assert np.array_equal(view.draw(), scene.draw(published))  # the record: all it reads
        scene.close()
    finally:
        view.close()
