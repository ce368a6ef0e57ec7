"""Conformance checks every piece passes (as Gymnasium's ``check_env`` does for environments):
run over the registry by the tests, and by a new piece's author on the day it is registered.

``check_piece(cls)`` raises AssertionError naming what failed. On a manual server, for the
piece as it is and again with ``faithful=True``, it checks that once ``warm_kernels()`` and the
piece's ``warm()`` have run (as a performance switches to it), its blocks with notes and its
example lines compile nothing; that the piece builds, warms and sounds; that every command has
its handler and changes something observable (the piece's state, its learners', its voices' or
the engine's); that what it learns round-trips bit for bit through ``learned_state``/
``restore``; that it is published as the base class promises (whole, without allocating, by
the hook while the piece plays: each copy the autosave reads, between blocks or while the hook
runs in another thread, is the state at one block's end); and that its scene draws frames of
the size asked for from a published record, holding nothing of the piece.

``check_synth(name)`` does the same for a synth of the registry (``synthlearn.audio.synths``):
its parameters' ranges hold their defaults, it is silent until set, sounds once set, keeps its
values inside their ranges and fades out when stopped.
"""

from __future__ import annotations

from synthlearn.commands.language import check_handlers
from synthlearn.pieces.checks.behaviour import (
    check_command_changes_something,
    check_scene,
    check_sounds,
    check_state_round_trip,
)
from synthlearn.pieces.checks.compiling import check_warm_then_switch, warm_then_switch
from synthlearn.pieces.checks.publishing import check_publishes
from synthlearn.pieces.checks.synths import check_synth

__all__ = ["check_piece", "check_synth", "check_warm_then_switch"]


def check_piece(cls) -> None:
    name = cls.name
    problems = check_handlers(cls, cls.commands)
    assert not problems, f"{name}: " + "; ".join(problems)
    for faithful in (False, True):  # the piece as it is, and as the original was
        _check_variant(cls, f"{name} (faithful)" if faithful else name, faithful)


def _check_variant(cls, name: str, faithful: bool) -> None:
    warm_then_switch(cls, name, faithful)  # first: the fewer kernels compiled, the better
    check_sounds(cls, name, faithful)
    for spec in cls.language().specs.values():  # audio, main and worker commands alike
        check_command_changes_something(cls, name, spec, faithful)
    check_state_round_trip(cls, name, faithful)
    check_publishes(cls, name, faithful)
    check_scene(cls, name, faithful)
