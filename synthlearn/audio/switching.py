"""Switching pieces while audio runs: the graphs switched away from, each kept until its
crossfade is over and no block hook can still touch it, then freed between blocks (views
before tables, in the main thread)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from synthlearn.audio.tables import Tables

SWITCH_FADE_S = 0.05  # crossfade from the old piece to the new one


def free_graph(tables: Tables, piece, pools) -> None:
    """Let ``piece`` and its voice pools go: their views, then their tables."""
    piece.release()
    for pool in pools:
        pool.release()
        tables.release(prefix=f"{pool.name}.")


class Retiring:
    """Old graphs waiting for their fade to end: (piece, pools, the first block after which
    no hook can touch them, the output that replaced them)."""

    def __init__(self, tables: Tables):
        self.tables = tables
        self._graphs: list[tuple] = []

    def __bool__(self) -> bool:
        return bool(self._graphs)

    def add(self, piece, pools, *, block_index: int, fade_s: float, block_s: float,
            output) -> int:
        """Retire ``piece``'s graph, replaced by ``output`` at ``block_index``; returns the
        block from which it may be freed (the fade, and two blocks: one hook may still run
        with it)."""
        after = block_index + int(np.ceil(fade_s / block_s)) + 2
        self._graphs.append((piece, pools, after, output))
        return after

    def free_due(self, block_index: int, playing_output, route: Callable) -> None:
        """Free the graphs whose fade is over (main thread, between blocks). ``route(output,
        fade_s)``: the master fader's input."""
        keep = []
        for old_piece, old_pools, after, output in self._graphs:
            if block_index < after:
                keep.append((old_piece, old_pools, after, output))
                continue
            # The fader still holds the old graph in its other slot: give it the new output
            # there too (identical signals, so no click) and the old graph is let go. (After
            # a later switch the fader has let go of it already.)
            if output is playing_output:
                route(output, 0.001)
            free_graph(self.tables, old_piece, old_pools)
        self._graphs = keep

    def release_all(self) -> None:
        """Every old piece and pool let go of its views (the tables follow, all at once: the
        whole graph is being released)."""
        for old_piece, old_pools, _, _ in self._graphs:
            old_piece.release()
            for pool in old_pools:
                pool.release()
        self._graphs = []
