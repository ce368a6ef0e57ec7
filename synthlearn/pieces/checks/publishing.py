"""What is learned is published as ``pieces.learned`` promises: whole, without allocating, by
the hook while the piece plays; a save taken while the hook runs is one block's end."""

from __future__ import annotations

import hashlib
import sys
import threading

import numpy as np

from synthlearn.pieces.checks.playing import (
    WARM_BLOCKS,
    playing,
)
from synthlearn.snapshot import Snapshot, SnapshotBusy, same_state


def _record(layout: dict, fill: int) -> dict[str, np.ndarray]:
    """A record of ``layout``'s fields, every byte ``fill``."""
    record = Snapshot(**layout).back()
    for value in record.values():
        value.view(np.uint8)[...] = fill
    return record


def _digest(state: dict[str, np.ndarray]) -> bytes:
    """A state's every field (name, dtype, shape, bytes), hashed: saves compared by it."""
    h = hashlib.sha256()
    for key in sorted(state):
        value = np.asarray(state[key])
        h.update(f"{key}:{value.dtype.str}:{value.shape}".encode())
        h.update(value.tobytes())
    return h.digest()


CAPTURE_ALLOCATES_AT_MOST = 4096  # bytes: views and numbers, never a copy of an array


SWITCH_INTERVAL_S = 1e-4  # while saves race the hook: threads take turns often


def check_publishes(cls, name: str, faithful: bool) -> None:
    """The base class's publishing contract, which the autosave relies on: between blocks,
    and while the hook runs in another thread."""
    import tracemalloc

    piece = cls(seed=3, faithful=faithful)
    layout = piece.learned_layout()
    assert piece.learned_version() >= 1 and piece.learned_state().keys() == layout.keys(), \
        f"{name}: what it learned is not published when the piece is made"
    zeros, ones = _record(layout, 0x00), _record(layout, 0xFF)
    piece.capture_learned(zeros)
    tracemalloc.start()
    try:
        piece.capture_learned(ones)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    unwritten = [k for k in layout if zeros[k].tobytes() != ones[k].tobytes()]
    assert not unwritten, f"{name}: capture_learned leaves {unwritten} unwritten"
    assert peak <= CAPTURE_ALLOCATES_AT_MOST, \
        f"{name}: capture_learned allocates {peak} bytes (the hook calls it: copy, never make)"
    engine, piece = playing(cls, faithful)  # its example lines and held notes: it learns
    try:
        before, seen, published = piece.learned_state(), piece.learned_version(), 0
        for _ in range(3 * WARM_BLOCKS):
            engine.process()
            if piece.learned_version() == seen:
                continue
            seen, published = piece.learned_version(), published + 1
            now = _record(layout, 0)
            piece.capture_learned(now)  # between blocks: the state at this block's end
            assert same_state(piece.learned_state(), now), \
                f"{name}: the hook published something else than the state at a block's end"
        now = _record(layout, 0)
        piece.capture_learned(now)
        assert published or same_state(before, now), \
            f"{name}: it learned while playing and the hook published none of it"
        _check_saves_while_the_hook_runs(engine, piece, layout, name)
    finally:
        engine.close()


def _check_saves_while_the_hook_runs(engine, piece, layout: dict, name: str) -> None:
    """The autosave's side: saves taken in this thread while another runs blocks (the hook),
    whenever they land, are each the state at one block's end (or what was published before
    the first)."""
    ends = {_digest(piece.learned_state())}
    saves: list[bytes] = []
    done = threading.Event()
    failed: list[BaseException] = []

    def blocks() -> None:
        try:
            for _ in range(3 * WARM_BLOCKS):
                engine.process()
                now = _record(layout, 0)
                piece.capture_learned(now)  # in the hook's thread, between its blocks
                ends.add(_digest(now))
        except BaseException as exc:  # noqa: BLE001 - said below, in the checking thread
            failed.append(exc)
        finally:
            done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    hook = threading.Thread(target=blocks, name="checks-hook")
    try:
        hook.start()
        while not done.is_set():
            try:
                saves.append(_digest(piece.learned_state()))
            except SnapshotBusy:  # the autosave tries again later
                continue
    finally:
        hook.join()
        sys.setswitchinterval(interval)
    if failed:
        raise failed[0]
    torn = [i for i, save in enumerate(saves) if save not in ends]
    assert not torn, (f"{name}: {len(torn)} of {len(saves)} saves taken while the hook ran "
                      "are the state at no block's end")
