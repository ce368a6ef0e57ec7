"""Block cost on a manual server: what one block of the whole engine costs (hook, kernels, pyo's
graph, limiter), for several workloads, block sizes and both voice paths.

Workloads (every partial below the alias guard, so both paths compute the same partials):

- ``additive-N``: N partials held (N/8 notes of 8 harmonics on an ``additive`` pool of N/8
  voices);
- ``additive-N-released``: the same notes held, released, and measured once their tails are
  over: the case where smoothers used to decay through subnormal numbers and cost 3-5x more for
  good. ``released_over_held`` compares it with the held blocks of the same run;
- ``ldd-16``: piece ldd with 16 upper notes held (80 sines with learner-detuned overtones, the
  cubic stepping at 60 Hz, the wandering lowpass);
- ``ruler-3``: piece ruler with its three preset synths sounding (blip, rain with its reverb,
  fm), a preset in each (the voice path changes nothing there: no voice pools);
- ``qmelody-3``: piece qmelody, its three agents playing and learning an 8-note phrase in
  sixteenths at 160 bpm (a note boundary every 94 ms for each), the drone, the drum hits and the
  bells; ``qmelody-3-practice``: the same three agents all practising silently, as many notes a
  block as the piece allows (the block budget ``practice`` must keep).

The notes start ``ONSET_S`` into the run, so the first block is the engine's start (a stall
there would be a compile or a cold graph), reported as ``first_over_median``: the median first
block of several fresh engines (each run's, plus ``FIRST_RUNS`` more of one block each, so one
run that met a stall of the machine cannot decide it) against the median held block. The block
where every note starts at once is reported apart (``onset_us``). Voice paths alternate run by
run (numba, pyo, numba, pyo, ...) and each configuration's blocks are pooled over its rounds:
the machine is shared and noisy, so compare ratios measured in one run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ONSET_S = 0.1  # notes start here; the blocks before are the engine's silent start
SETTLE_S = 0.1  # the attack, left out of the held figures
RELEASED_AFTER_S = 2.0  # release -> measured: every tail has ended (release 0.6 s to -60 dB)
PARTIALS_PER_NOTE = 8
SR = 48000
FIRST_RUNS = 4  # extra fresh engines per configuration, one block each, for the first block


@dataclass(frozen=True)
class Plan:
    blocks: tuple[int, ...]
    workloads: tuple[str, ...]
    held_s: float
    released_s: float  # measured after the release
    rounds: int


FULL = Plan(blocks=(64, 128, 256, 512),
            workloads=("additive-16", "additive-64", "additive-128", "additive-256",
                       "additive-16-released", "additive-64-released", "additive-128-released",
                       "additive-256-released", "ldd-16", "ruler-3", "qmelody-3",
                       "qmelody-3-practice"),
            held_s=3.0, released_s=2.0, rounds=2)
QUICK = Plan(blocks=(64, 256), workloads=("additive-64", "additive-256",
                                          "additive-256-released", "ldd-16", "ruler-3",
                                          "qmelody-3", "qmelody-3-practice"),
             held_s=1.0, released_s=0.5, rounds=1)
VOICE_PATHS = ("numba", "pyo")


RULER_PRESETS = {"blip": {"freq": 220.0, "numharm": 12.0, "amp": 0.3},
                 "rain": {"freq": 2000.0, "freq1": 6000.0, "amp": 0.3, "mix": 0.7, "room": 0.9,
                          "damp": 0.3},
                 "fm": {"carrier": 220.0, "ratio": 1.4, "index": 3.0, "amp": 0.3}}


QMELODY_PHRASE = "c4*1,e4*1,g4*1,c5*1,e5*1,g5*1,e5*1,c5*1"  # sixteenths


def _workload(name: str):
    """(piece, MIDI notes, released?, what to do at the onset) for a workload name."""
    from synthlearn.pieces.additive import Additive
    from synthlearn.pieces.ldd import Ldd
    from synthlearn.pieces.qmelody import Qmelody
    from synthlearn.pieces.ruler import Ruler

    released = name.endswith("-released")
    kind, count = name.removesuffix("-released").removesuffix("-practice").split("-")
    if kind == "ruler":
        def sounding(piece):
            for synth, values in RULER_PRESETS.items():
                piece.synths[synth].set(values)

        return Ruler(seed=1), [], released, sounding
    if kind == "qmelody":
        piece = Qmelody(seed=1)
        piece.tempo_bpm = 160.0

        def taught(piece):  # main-thread commands, taken by the onset block
            piece.cmd_teach("all", QMELODY_PHRASE)
            if name.endswith("-practice"):
                piece.cmd_practice("all", 1_000_000)

        return piece, [], released, taught
    if kind == "ldd":
        voices = int(count)
        return Ldd(seed=1), [60 + 2 * v for v in range(voices)], released, None
    voices = max(1, int(count) // PARTIALS_PER_NOTE)
    notes = [36 + v * 48 // voices for v in range(voices)]  # f0 <= 1 kHz: 8 partials < 8.4 kHz
    return Additive(voices=voices, partials=PARTIALS_PER_NOTE), notes, released, None


def run_one(name: str, *, block: int, voices: str, held_s: float, released_s: float,
            sr: int = SR) -> dict:
    """One run of workload ``name``: per-block costs (us) of its parts."""
    from synthlearn import events
    from synthlearn.audio.engine import Engine

    piece, notes, released, at_onset = _workload(name)
    blocks_of = lambda s: round(s * sr / block)  # noqa: E731
    onset = blocks_of(ONSET_S)
    release = onset + blocks_of(held_s)
    end = release + (blocks_of(RELEASED_AFTER_S + released_s) if released else 0)
    evs = [events.note_on(onset * block, n, 100) for n in notes]
    if released:
        evs += [events.note_off(release * block, n) for n in notes]
    engine = Engine("manual", sr=sr, block=block, voices=voices)
    try:
        engine.play(piece, evs)
        for b in range(end):
            if b == onset and at_onset is not None:
                at_onset(piece)
            engine.process()
        us = engine.block_costs_s() * 1e6
    finally:
        engine.close()
    held = us[onset + blocks_of(SETTLE_S):release]
    return {"first_us": float(us[0]), "onset_us": float(us[onset]), "held": held,
            "released": us[end - blocks_of(released_s):end] if released else None}


def first_block_us(name: str, *, block: int, voices: str, sr: int = SR) -> float:
    """The cost (us) of the first block of a fresh engine playing workload ``name``."""
    from synthlearn.audio.engine import Engine

    piece, _, _, _ = _workload(name)
    engine = Engine("manual", sr=sr, block=block, voices=voices)
    try:
        engine.play(piece, [])
        engine.process()
        return float(engine.block_costs_s()[0] * 1e6)
    finally:
        engine.close()


def _stats(us: np.ndarray, block_us: float) -> dict:
    p50, p99, top = float(np.median(us)), float(np.percentile(us, 99)), float(us.max())
    return {"p50_us": round(p50, 2), "p99_us": round(p99, 2), "max_us": round(top, 2),
            "p50_pct": round(100 * p50 / block_us, 3), "p99_pct": round(100 * p99 / block_us, 3),
            "max_pct": round(100 * top / block_us, 3)}


def run(*, quick: bool, say=print) -> dict:
    """The grid: every workload x block size x voice path. Returns ``{"records": [...],
    "samples": {key: per-block costs in us}}``; the samples feed the plot."""
    plan = QUICK if quick else FULL
    records, samples = [], {}
    for block in plan.blocks:
        block_us = block / SR * 1e6
        for name in plan.workloads:
            runs = {path: [] for path in VOICE_PATHS}
            firsts = {path: [] for path in VOICE_PATHS}
            for _ in range(plan.rounds):
                for path in VOICE_PATHS:  # interleaved: A B A B
                    runs[path].append(run_one(name, block=block, voices=path,
                                              held_s=plan.held_s, released_s=plan.released_s))
                    firsts[path].append(runs[path][-1]["first_us"])
            for _ in range(FIRST_RUNS if not quick else FIRST_RUNS // 2):
                for path in VOICE_PATHS:
                    firsts[path].append(first_block_us(name, block=block, voices=path))
            for path in VOICE_PATHS:
                held = np.concatenate([r["held"] for r in runs[path]])
                released = name.endswith("-released")
                measured = (np.concatenate([r["released"] for r in runs[path]]) if released
                            else held)
                first = float(np.median(firsts[path]))
                record = {"workload": name, "voices": path, "block": block,
                          **_stats(measured, block_us),
                          "first_us": round(first, 2),
                          "first_over_median": round(first / float(np.median(held)), 2),
                          "onset_us": round(float(np.median([r["onset_us"]
                                                             for r in runs[path]])), 2),
                          "blocks_measured": int(measured.size)}
                if released:
                    record["released_over_held"] = round(
                        float(np.median(measured)) / float(np.median(held)), 3)
                records.append(record)
                samples[f"{name}/{path}/{block}"] = measured
            say(f"  block {block:>4} {name:<22} "
                + "  ".join(f"{r['voices']} p50 {r['p50_us']:.1f} us"
                            for r in records[-len(VOICE_PATHS):]))
    return {"records": records, "samples": samples}


def table(records: list[dict]) -> list[str]:
    lines = [f"{'workload':<22} {'voices':<6} {'block':>5} {'p50 us':>8} {'p99 us':>8} "
             f"{'max us':>8} {'p50 %':>7} {'p99 %':>7} {'first/med':>9} {'onset us':>9} "
             f"{'rel/held':>8}"]
    for r in records:
        rel = r.get("released_over_held")
        lines.append(
            f"{r['workload']:<22} {r['voices']:<6} {r['block']:>5} {r['p50_us']:>8.1f} "
            f"{r['p99_us']:>8.1f} {r['max_us']:>8.1f} {r['p50_pct']:>7.2f} {r['p99_pct']:>7.2f} "
            f"{r['first_over_median']:>9.2f} {r['onset_us']:>9.1f} "
            + (f"{rel:>8.3f}" if rel is not None else f"{'':>8}"))
    return lines
