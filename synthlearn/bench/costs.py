"""Costs of single kernels, measured call by call: the control kernels the hook runs every block,
the ldd learners' steps and new targets, and an ldd frame at 1280x720."""

from __future__ import annotations

import time

import numpy as np


def _per_call_us(fn, repeats: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return round((time.perf_counter() - t0) / repeats * 1e6, 2)


def kernel_costs(block: int = 64, repeats: int = 20000, sr: int = 48000) -> dict:
    """us per call of the per-block kernels: voice envelopes (8 x 8 partials sounding), the
    oscillator bank rendering them, and the limiter."""
    from synthlearn.dsp.limiter import Limiter
    from synthlearn.dsp.oscbank import OscBank
    from synthlearn.dsp.voicing import VoiceBank

    bank = VoiceBank(8, 8, block_s=block / sr, max_hz=0.45 * sr)
    bank.warm()
    for v in range(8):
        bank.note_on(40 + 5 * v, 100)
    osc = OscBank(np.linspace(0.0, 1.0, 64), block=block, sr=sr, smooth_s=0.002)
    osc.warm()
    out = np.zeros((2, block), np.float32)
    lim = Limiter(sr)
    lim.warm(block)
    x = np.random.default_rng(0).standard_normal((2, block)).astype(np.float32)
    y = np.zeros_like(x)
    return {"block": block,
            "voice_update_us": _per_call_us(bank.update, repeats),
            "oscbank_64_us": _per_call_us(
                lambda: osc.process(bank.freq_out, bank.amp_out, out[0], out[1]), repeats),
            "limiter_us": _per_call_us(lambda: lim.process(x[0], x[1], y[0], y[1]), repeats)}


def learner_costs(repeats: int = 20000) -> dict:
    """us per call of each ldd learner's step and new target (one numba call each)."""
    from synthlearn.learners.cubic import Cubic
    from synthlearn.learners.lissajous import Lissajous

    result = {}
    for name, make in (("cubic", Cubic), ("knot", Lissajous)):
        learner = make(stop_loss=-1.0).reset(seed=1)  # never converges: every call steps
        learner.warm()
        result[f"{name}_step_us"] = _per_call_us(learner.step, repeats)
        result[f"{name}_new_target_us"] = _per_call_us(learner.new_target, repeats)
    return result


def run(*, quick: bool, say=print) -> dict:
    from synthlearn.bench.frames import frame_time

    repeats = 2000 if quick else 20000
    return {"kernels": kernel_costs(repeats=repeats), "learners": learner_costs(repeats),
            "frames": frame_time(1280, 720, frames=30 if quick else 120)}


def table(result: dict) -> list[str]:
    k, lc = result["kernels"], result["learners"]
    lines = [f"per {k['block']}-sample block: voice envelopes {k['voice_update_us']} us, "
             f"64 partials rendered {k['oscbank_64_us']} us, limiter {k['limiter_us']} us",
             f"ldd learners per call: cubic step {lc['cubic_step_us']} us, knot step "
             f"{lc['knot_step_us']} us; new target {lc['cubic_new_target_us']} / "
             f"{lc['knot_new_target_us']} us",
             "ldd frame at 1280x720 (draw only; 60 fps needs <= 16.7 ms):"]
    for name, case in result["frames"]["cases"].items():
        lines.append(f"  {name:<22} p50 {case['p50_ms']:6.2f} ms  p99 {case['p99_ms']:6.2f} ms")
    return lines
