"""synthlearn against SuperCollider's scsynth on the same workload: N held partials (N/8 notes of
8 harmonics), per-partial smoothing of frequency and amplitude, constant-power pan, block 64.

synthlearn's side is ``render`` itself (what ``synthlearn render held.mid --piece additive
--no-video`` runs) of a MIDI file holding the notes; scsynth's is an NRT render of the same
partials (see ``synthlearn.bench.scsynth``). Both write a WAV. Compute CPU is each one's CPU for
the whole render minus its CPU for a render of two blocks (start-up, building the graph,
opening and closing the file), so start-up costs on neither side count. The runs alternate
(synthlearn, scsynth, synthlearn, ...) and the ratio is of the medians.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np

BLOCK, SR = 64, 48000
PARTIALS = 8
VELOCITY = 100


def _notes(voices: int) -> list[int]:
    return [36 + v * 3 for v in range(voices)]


def _midi(path: Path, notes: list[int], seconds: float) -> Path:
    from synthlearn.midi.files import write_midi

    return write_midi(path, [(0.0, n, VELOCITY) for n in notes]
                      + [(seconds, n, 0) for n in notes])


def synthlearn_cpu_s(midi: Path, out: Path, seconds: float) -> float:
    """Process CPU seconds of ``render`` for ``seconds`` of ``midi`` on the additive piece."""
    from synthlearn.runtime.render import RenderOptions, render

    options = RenderOptions(piece="additive", duration_s=seconds, sr=SR, block=BLOCK,
                            video=False)
    t0 = time.process_time()
    render(midi, out, options)
    return time.process_time() - t0


def _scsynth_partials(voices: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The additive piece's partials for ``voices`` notes: Hz, sustained amplitude, pan."""
    from synthlearn.audio.voices import partial_pans
    from synthlearn.dsp.voicing import midi_hz, velocity_amp
    from synthlearn.pieces.additive import Additive, harmonic_amps

    pool_voices = Additive().voices
    freqs = np.array([midi_hz(n) * k for n in _notes(voices) for k in range(1, PARTIALS + 1)])
    amps = np.tile(harmonic_amps(PARTIALS, 1.0), voices) * velocity_amp(VELOCITY) * 0.6
    pans = partial_pans(pool_voices, PARTIALS, 0.6)[:voices * PARTIALS]
    return freqs, amps, pans


def run(*, quick: bool, say=print) -> dict:
    from synthlearn.audio.voices import MIN_SMOOTH_S
    from synthlearn.bench import scsynth

    ok, why = scsynth.available()
    if not ok:
        return {"skipped": why}
    sizes = (128,) if quick else (64, 128)
    seconds = 10.0 if quick else 30.0
    rounds = 1 if quick else 3
    # SuperCollider's lag time is to -60 dB; pyo's Port time (ours) is about a time constant.
    sc_lag_s = max(MIN_SMOOTH_S, BLOCK / SR) * math.log(1000.0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="synthlearn-peer-") as tmp:
        folder = Path(tmp)
        for partials in sizes:
            voices = partials // PARTIALS
            midi = _midi(folder / f"held{partials}.mid", _notes(voices), seconds)
            ours, theirs, startup = [], [], []
            freqs, amps, pans = _scsynth_partials(voices)
            # Once, uncounted: the process's first render loads every numba kernel from the
            # cache and pyo's first server (0.4-1.3 s, DESIGN.md), which a start-up run made
            # after it would not subtract.
            synthlearn_cpu_s(midi, folder / "warm", 2 * BLOCK / SR)
            for r in range(rounds):
                full = synthlearn_cpu_s(midi, folder / "full", seconds)
                start = synthlearn_cpu_s(midi, folder / "start", 2 * BLOCK / SR)
                ours.append(max(full - start, 0.0))
                startup.append(start)
                sc = scsynth.render_partials(freqs, amps, pans, partials_per_synth=PARTIALS,
                                             seconds=seconds, sr=SR, block=BLOCK,
                                             smooth_s=sc_lag_s)
                theirs.append(sc)
                say(f"  {partials} partials, round {r + 1}: synthlearn {ours[-1]:.3f} s, "
                    f"scsynth {sc['compute_cpu_s']:.3f} s compute CPU")
            sl = float(np.median(ours))
            sc_cpu = float(np.median([t["compute_cpu_s"] for t in theirs]))
            rows.append({
                "partials": partials, "seconds": seconds, "block": BLOCK, "rounds": rounds,
                "synthlearn_compute_cpu_s": round(sl, 4),
                "synthlearn_startup_cpu_s": round(float(np.median(startup)), 4),
                "scsynth_compute_cpu_s": round(sc_cpu, 4),
                "scsynth_startup_cpu_s": round(float(np.median(
                    [t["startup_cpu_s"] for t in theirs])), 4),
                "ratio": round(sl / sc_cpu, 3) if sc_cpu > 0 else None,
            })
    return {"peer": why, "workload": "N/8 additive notes x 8 partials held, per-partial "
            "smoothing, constant-power pan, WAV out", "rows": rows}


def table(result: dict) -> list[str]:
    if "skipped" in result:
        return [f"scsynth: skipped ({result['skipped']})"]
    lines = [f"{'partials':>8} {'seconds':>7} {'synthlearn CPU s':>16} {'scsynth CPU s':>13} "
             f"{'synthlearn/scsynth':>18}"]
    for r in result["rows"]:
        lines.append(f"{r['partials']:>8} {r['seconds']:>7.0f} "
                     f"{r['synthlearn_compute_cpu_s']:>16.3f} {r['scsynth_compute_cpu_s']:>13.3f} "
                     f"{r['ratio']:>18.3f}")
    return lines
