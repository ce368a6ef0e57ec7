"""``check_synth``: a synth of the registry keeps its ranges, is silent until set, sounds once
set and fades out when stopped."""

from __future__ import annotations

import numpy as np

from synthlearn.pieces.base import Piece
from synthlearn.pieces.checks.playing import (
    BLOCK,
    SR,
    run_blocks,
)

SYNTH_BLOCKS = 120  # 160 ms at 48 kHz, block 64: past a glide (50 ms) and a release (300 ms)...


def check_synth(name: str) -> None:
    """A registered synth (``synthlearn.audio.synths``) on a manual server: its parameters'
    ranges hold their defaults; silent until its first preset; then it sounds (finite, stereo);
    a value out of range is brought inside it, a name it does not have refused; stopped, it
    fades to silence."""
    from synthlearn.audio import synths
    from synthlearn.audio.engine import Engine
    from synthlearn.errors import UserError

    spec = synths.synth(name)
    for p in spec.params:
        assert p.low <= p.default <= p.high, \
            f"synth {name}: {p.name}'s default {p.default} is outside {p.low}..{p.high}"

    class One(Piece):
        def build(self, engine):
            self.synth = synths.PresetSynth(name)
            return self.synth.output

        def release(self):
            self.synth.release()

    engine, piece = Engine("manual", sr=SR, block=BLOCK, seed=3), One()
    try:
        engine.play(piece)
        silent = run_blocks(engine, 4)
        synth = piece.synth
        defaults = {p.name: p.default for p in spec.params}
        synth.set(defaults)
        out = run_blocks(engine, SYNTH_BLOCKS)
        high = {p.name: p.high + abs(p.high) + 1.0 for p in spec.params}
        applied = synth.set(high)
        try:
            synth.set({"no such parameter": 1.0})
        except UserError:
            refused = True
        else:
            refused = False
        synth.set(defaults)
        synth.stop()
        stopped = run_blocks(engine, 4 * SYNTH_BLOCKS)
    finally:
        engine.close()
    assert out.shape[1] == 2, f"synth {name}: not stereo"
    assert not np.abs(silent).any(), f"synth {name}: sounds before its first preset"
    assert np.all(np.isfinite(out)) and np.abs(out).max() > 1e-3, \
        f"synth {name}: its defaults make no (finite) sound"
    assert applied == {p.name: p.high for p in spec.params}, \
        f"synth {name}: values out of range are not brought inside it: {applied}"
    assert refused, f"synth {name}: a parameter it does not have is not refused"
    tail = stopped[-SYNTH_BLOCKS * BLOCK // 4:]
    assert np.abs(tail).max() < 1e-4, f"synth {name}: stopped, it does not fade out"
