"""``check_synth``: a synth of the registry keeps its ranges, is silent until set, sounds once
set, hears every parameter, stays finite and under a ceiling at its range's corners, and fades
out when stopped."""

from __future__ import annotations

import numpy as np

from synthlearn.pieces.base import Piece
from synthlearn.pieces.checks.playing import (
    BLOCK,
    SR,
    run_blocks,
)

SYNTH_BLOCKS = 120  # 160 ms at 48 kHz, block 64: past a glide (50 ms) and a release (300 ms)...
CEILING = 4.0  # +12 dBFS: louder than any synth should be (the master's limiter takes the rest)
MAX_CORNERS = 64  # corners of the ranges tried (all of them up to 6 parameters)
BANDS = 24  # the spectrum compared, in log-spaced bands
HEARD = 3.0  # a parameter is heard when low and high differ 3x more than the synth from itself
HEAR_BLOCKS = 480  # 0.64 s compared (30 spectra averaged)


def _bands(out: np.ndarray) -> np.ndarray:
    """The log energy of each channel in BANDS log-spaced bands (20 Hz..Nyquist): a spectrum
    and where it stands (a pan moves energy between the channels)."""
    hz = np.fft.rfftfreq(1024, 1.0 / SR)
    edges = np.geomspace(20.0, SR / 2, BANDS + 1)
    found = []
    for channel in out.T:
        frames = channel[: len(channel) // 1024 * 1024].reshape(-1, 1024) * np.hanning(1024)
        power = (np.abs(np.fft.rfft(frames, axis=1)) ** 2).mean(axis=0)
        found += [power[(hz >= lo) & (hz < hi)].sum() for lo, hi in
                  zip(edges[:-1], edges[1:], strict=True)]
    return np.log10(np.array(found) + 1e-12)


def _corners(params) -> list[dict]:
    """Each combination of the parameters' lows and highs (at most MAX_CORNERS, spread)."""
    n = len(params)
    picks = range(2 ** n) if 2 ** n <= MAX_CORNERS else \
        np.linspace(0, 2 ** n - 1, MAX_CORNERS).astype(np.int64)
    return [{p.name: (p.high if int(k) >> i & 1 else p.low) for i, p in enumerate(params)}
            for k in picks]


def check_synth(name: str) -> None:
    """A registered synth (``synthlearn.audio.synths``) on a manual server: its parameters'
    ranges hold their defaults; silent until its first preset; then it sounds (finite, stereo);
    each parameter, from its low to its high (the others at their defaults, else all at their
    highs or lows), changes the sound (its spectrum moves more than the synth's own randomness
    moves it); at every corner of the
    ranges it stays finite and under CEILING; a value out of range is brought inside it, a
    name it does not have refused; stopped, it fades to silence."""
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
        # the defaults twice more, settled: how far the synth's own randomness moves its sound
        same = [_bands(run_blocks(engine, HEAR_BLOCKS)) for _ in range(2)]
        drift = float(np.abs(same[0] - same[1]).mean())
        moved = {}
        for p in spec.params:
            # from its low to its high, the others at their defaults; else at their highs or
            # lows (a reverb's room is heard when its mix is wet)
            others = [defaults, *({q.name: getattr(q, end) for q in spec.params}
                                  for end in ("high", "low"))]
            for base in others:
                ends = []
                for value in (p.low, p.high):
                    synth.set({**base, p.name: value})
                    run_blocks(engine, 40)  # past the glide, a reverb filled
                    ends.append(_bands(run_blocks(engine, HEAR_BLOCKS)))
                moved[p.name] = float(np.abs(ends[0] - ends[1]).mean())
                if moved[p.name] > max(HEARD * drift, 0.05):
                    break
        corners = []
        unlimited = np.zeros((40 * BLOCK, 2), np.float32)  # before the master's limiter
        for corner in _corners(spec.params):
            synth.set(corner)
            for b in range(40):
                run_blocks(engine, 1)
                engine.copy_unlimited(unlimited[b * BLOCK:(b + 1) * BLOCK])
            corners.append((corner, bool(np.all(np.isfinite(unlimited))),
                            float(np.abs(np.nan_to_num(unlimited, nan=np.inf)).max())))
        synth.set(defaults)
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
    unheard = [k for k, v in moved.items() if not v > max(HEARD * drift, 0.05)]
    assert not unheard, (f"synth {name}: changing {', '.join(unheard)} from low to high does "
                         "not change its sound")
    for corner, finite, peak in corners:
        where = ", ".join(f"{k} {v:g}" for k, v in corner.items())
        assert finite, f"synth {name}: not a number (NaN or inf) at {where}"
        assert peak <= CEILING, (f"synth {name}: peaks at {peak:.3g} (over {CEILING:g}, "
                                 f"+12 dBFS) at {where}")
    assert applied == {p.name: p.high for p in spec.params}, \
        f"synth {name}: values out of range are not brought inside it: {applied}"
    assert refused, f"synth {name}: a parameter it does not have is not refused"
    tail = stopped[-SYNTH_BLOCKS * BLOCK // 4:]
    assert np.abs(tail).max() < 1e-4, f"synth {name}: stopped, it does not fade out"
