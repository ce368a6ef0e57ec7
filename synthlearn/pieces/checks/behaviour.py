"""A piece sounds, each command changes something observable, what it learns comes back bit
for bit, and its scene draws from a published record."""

from __future__ import annotations

import itertools

import numpy as np

from synthlearn.commands.language import Command, Where
from synthlearn.pieces.checks.playing import (
    REFUSED,
    WARM_BLOCKS,
    candidates,
    examples,
    holds,
    playing,
    run_blocks,
    state_after,
)
from synthlearn.snapshot import same_state


def check_sounds(cls, name: str, faithful: bool) -> None:
    engine, piece = playing(cls, faithful)
    try:
        out = run_blocks(engine, WARM_BLOCKS)
        assert np.all(np.isfinite(out)), f"{name}: the output is not finite"
        assert np.abs(out).max() > 1e-3, f"{name}: held notes make no sound"
        assert engine.tables.release(prefix="nothing.") == []
    finally:
        leaked = engine.close()
    assert leaked == [], f"{name}: table views outlived the engine: {leaked}"


def check_command_changes_something(cls, name: str, spec, faithful: bool) -> None:
    """Some value of the command's parameters leaves the piece (or the engine) holding other
    values than the same performance without it (everything is seeded: the two runs are the
    same but for the command)."""
    if spec.owner == "session" or spec.where is Where.NOW:
        return  # the console's own, and commands that only answer: nothing to change
    without = state_after(cls, faithful)
    assert state_after(cls, faithful) == without, \
        f"{name}: two identical runs differ (not deterministic)"
    folder = examples(cls)
    values = [candidates(p, folder) for p in spec.params]
    refused = 0
    tried = list(itertools.islice(itertools.product(*values), 12))
    for args in tried:
        cmd = Command(spec.name, tuple(args), spec.name, None, spec)
        changed = state_after(cls, faithful, cmd)
        if changed is REFUSED:
            refused += 1
        elif changed != without:
            return
    if refused == len(tried):
        return  # faithful: it says why not, for every value tried
    raise AssertionError(f"{name}: command {spec.name!r} changes nothing observable")


def check_state_round_trip(cls, name: str, faithful: bool) -> None:
    engine, piece = playing(cls, faithful)
    try:
        run_blocks(engine, 3 * WARM_BLOCKS)  # held notes: the learners learn something
        state = piece.learned_state()
    finally:
        engine.close()
    fresh = cls(seed=99, faithful=faithful)
    fresh.restore(state)
    assert same_state(fresh.learned_state(), state), \
        f"{name}: a restored state does not come back bit for bit"


def check_scene(cls, name: str, faithful: bool) -> None:
    engine, piece = playing(cls, faithful)
    try:
        run_blocks(engine, WARM_BLOCKS)
        view = piece.scene(engine, 160, 96, 30.0)
        try:
            parts = [view, getattr(view, "scene", None), getattr(view, "published", None)]
            held = [type(p).__name__ for p in parts if p is not None and holds(p, piece)]
            assert not held, (f"{name}: its scene holds the piece ({', '.join(held)}): a scene "
                              "draws what the piece published")
            view.warm()
            frames = [view.draw().copy() for _ in range(3)]
        finally:
            view.close()
    finally:
        engine.close()
    for frame in frames:
        assert frame.shape == (96, 160, 3) and frame.dtype == np.uint8, \
            f"{name}: the scene drew a {frame.shape} {frame.dtype} frame, not (96, 160, 3) uint8"
    assert any(f.any() for f in frames), f"{name}: the scene draws nothing while notes sound"


# -- the synths' registry -------------------------------------------------------------------
