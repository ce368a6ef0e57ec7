"""Benchmarks: per-block cost of the whole engine (hook + pyo graph + limiter) on a manual
server, with every voice sounding, at several block sizes; the ldd learners' step costs, the ldd
piece's block cost and its frame time at 1280x720. Compare ratios within one run: the machine is
shared and noisy. Audio with the window running, on a real-time clock: bench/ldd_live.py."""

from __future__ import annotations

import numpy as np


def block_costs_us(piece, notes, *, block: int, seconds: float, sr: int = 48000) -> np.ndarray:
    """Per-block cost (µs) of ``piece`` on a manual server with ``notes`` held from the start."""
    from synthlearn import events
    from synthlearn.audio.engine import Engine

    engine = Engine("manual", sr=sr, block=block)
    try:
        engine.play(piece, [events.note_on(0, n, 100) for n in notes])
        for _ in range(round(seconds * sr / block)):
            engine.process()
        return engine.block_costs_s() * 1e6
    finally:
        engine.close()


def engine_block_cost(*, block: int, voices: int = 8, partials: int = 8, seconds: float = 5.0,
                      sr: int = 48000) -> dict:
    """Cost of one block with ``voices`` × ``partials`` partials all sounding."""
    from synthlearn.pieces.additive import Additive

    costs_us = block_costs_us(Additive(voices=voices, partials=partials),
                              [40 + 5 * v for v in range(voices)], block=block, seconds=seconds,
                              sr=sr)
    block_us = block / sr * 1e6
    med = float(np.median(costs_us))
    return {
        "block": block,
        "partials": voices * partials,
        "block_us": round(block_us, 1),
        "p50_us": round(med, 1),
        "p99_us": round(float(np.percentile(costs_us, 99)), 1),
        "max_us": round(float(costs_us.max()), 1),
        "p50_pct": round(100 * med / block_us, 2),
        "p99_pct": round(100 * float(np.percentile(costs_us, 99)) / block_us, 2),
        "first_over_median": round(float(costs_us[0]) / med, 2),
    }


def kernel_costs(block: int = 64, repeats: int = 20000) -> dict:
    """µs per call of the control kernels the hook runs every block."""
    import time

    from synthlearn.limiter import Limiter
    from synthlearn.voicing import VoiceBank

    bank = VoiceBank(8, 8, block_s=block / 48000, max_hz=21600.0)
    bank.warm()
    for v in range(8):
        bank.note_on(40 + 5 * v, 100)
    lim = Limiter(48000)
    lim.warm(block)
    x = np.random.default_rng(0).standard_normal((2, block)).astype(np.float32)
    y = np.zeros_like(x)
    t0 = time.perf_counter()
    for _ in range(repeats):
        bank.update()
    t1 = time.perf_counter()
    for _ in range(repeats):
        lim.process(x[0], x[1], y[0], y[1])
    t2 = time.perf_counter()
    return {"voice_update_us": round((t1 - t0) / repeats * 1e6, 2),
            "limiter_us": round((t2 - t1) / repeats * 1e6, 2), "block": block}


def learner_costs(repeats: int = 20000) -> dict:
    """µs per call of each ldd learner's step and new target (one numba call each)."""
    import time

    from synthlearn.learners.cubic import Cubic
    from synthlearn.learners.lissajous import Lissajous

    result = {}
    for name, make in (("cubic", Cubic), ("knot", Lissajous)):
        learner = make(stop_loss=-1.0).reset(seed=1)  # never converges: every call steps
        learner.warm()
        t0 = time.perf_counter()
        for _ in range(repeats):
            learner.step()
        t1 = time.perf_counter()
        for _ in range(repeats):
            learner.new_target()
        t2 = time.perf_counter()
        result[f"{name}_step_us"] = round((t1 - t0) / repeats * 1e6, 2)
        result[f"{name}_new_target_us"] = round((t2 - t1) / repeats * 1e6, 2)
    return result


def ldd_block_cost(*, block: int = 64, seconds: float = 5.0, sr: int = 48000) -> dict:
    """Per-block cost of piece ldd with 8 upper notes held: learner steps at 60 Hz, 80 sines."""
    from synthlearn.pieces.ldd import Ldd

    costs_us = block_costs_us(Ldd(seed=1), [60 + 3 * v for v in range(8)], block=block,
                              seconds=seconds, sr=sr)
    block_us = block / sr * 1e6
    p99 = float(np.percentile(costs_us, 99))
    return {"block": block, "p50_us": round(float(np.median(costs_us)), 1),
            "p99_us": round(p99, 1), "p99_pct": round(100 * p99 / block_us, 2)}


def run_bench(quick: bool = False, out=print) -> dict:
    sizes = (64, 256) if quick else (64, 128, 256, 512)
    seconds = 2.0 if quick else 8.0
    rows = []
    out("engine block cost, 64 partials sounding (8 voices x 8), 48 kHz, manual server:")
    out(f"{'block':>6} {'block us':>9} {'p50 us':>8} {'p99 us':>8} {'p50 %':>7} {'p99 %':>7} "
        f"{'first/median':>13}")
    for block in sizes:
        r = engine_block_cost(block=block, seconds=seconds)
        rows.append(r)
        out(f"{r['block']:>6} {r['block_us']:>9} {r['p50_us']:>8} {r['p99_us']:>8} "
            f"{r['p50_pct']:>7} {r['p99_pct']:>7} {r['first_over_median']:>13}")
    k = kernel_costs()
    out(f"kernels per 64-sample block: voice update {k['voice_update_us']} us, "
        f"limiter {k['limiter_us']} us")
    lc = learner_costs(2000 if quick else 20000)
    out(f"ldd learners per call: cubic step {lc['cubic_step_us']} us, knot step "
        f"{lc['knot_step_us']} us; new target {lc['cubic_new_target_us']} / "
        f"{lc['knot_new_target_us']} us")
    ldd = [ldd_block_cost(block=b, seconds=seconds / 2) for b in (64, 256)]
    for r in ldd:
        out(f"ldd piece, 8 notes held, block {r['block']}: p50 {r['p50_us']} us, p99 "
            f"{r['p99_us']} us ({r['p99_pct']} % of the block)")
    from synthlearn.visuals.frame_bench import frame_time

    ft = frame_time(1280, 720, frames=30 if quick else 120)
    out("ldd frame at 1280x720 (draw only; 60 fps needs <= 16.7 ms):")
    for name, case in ft["cases"].items():
        out(f"  {name:<22} p50 {case['p50_ms']:6.2f} ms  p99 {case['p99_ms']:6.2f} ms")
    return {"engine": rows, "kernels": k, "learners": lc, "ldd_blocks": ldd, "frames": ft}
