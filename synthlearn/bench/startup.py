"""Start-up to the first block, numba's cache cold and warm.

Two probes, each a fresh Python process:

- the engine's: imports synthlearn, compiles (or loads from numba's cache) the kernels of the
  ldd piece as ``perform`` does before audio starts, builds ldd on a manual engine and computes
  its first block (figures split at the import, the kernels and the first block);
- ``synthlearn perform ldd`` itself, on a JACK server of the bench's own (dummy driver, block
  256), without window, MIDI or console: seconds to its line ``performing``, said as the audio
  starts (the first block follows within a period). Skipped, saying why, without jackd.

Cold: an empty numba cache (``NUMBA_CACHE_DIR`` in a new folder: every kernel compiles). Warm:
the same folder again, now filled. Figures are wall seconds from just before the process is
spawned.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

_PROBE = """
import sys, time
t0 = float(sys.argv[1])
from synthlearn.audio.engine import Engine
from synthlearn.pieces import piece_class
imported = time.time() - t0
piece_class("ldd").warm_kernels()
kernels = time.time() - t0
engine = Engine("manual", sr=48000, block=64)
engine.play(piece_class("ldd")(seed=0), [])
engine.process()
first = time.time() - t0
engine.close()
print(imported, kernels, first)
"""
PERFORM_BLOCK = 256
PERFORM_TIMEOUT_S = 600.0


def _env(cache_dir: str) -> dict:
    return dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYO_GUI_WX="0")


def _probe(cache_dir: str) -> dict:
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", _PROBE, repr(t0)], capture_output=True,
                         text=True, env=_env(cache_dir), timeout=PERFORM_TIMEOUT_S)
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        raise RuntimeError(f"start-up probe failed: {lines[-1] if lines else out.returncode}")
    imported, kernels, first = (float(x) for x in out.stdout.split()[-3:])
    return {"import_s": round(imported, 3), "kernels_s": round(kernels, 3),
            "first_block_s": round(first, 3)}


def _perform_probe(cache_dir: str, session: Path) -> float:
    """Seconds from spawning ``synthlearn perform ldd`` to its ``performing`` line."""
    argv = [sys.executable, "-m", "synthlearn", "perform", "ldd", "--audio", "jack", "--midi",
            "none", "--no-console", "--no-window", "--duration", "0.3", "--session",
            str(session)]
    t0 = time.time()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=_env(cache_dir))
    timer = threading.Timer(PERFORM_TIMEOUT_S, proc.kill)
    timer.start()
    performing, last = None, ""
    try:
        for line in proc.stderr:  # each line as it is said
            if performing is None and line.startswith("performing "):
                performing = time.time() - t0
            last = line.strip() or last
        code = proc.wait()
    finally:
        timer.cancel()
    if code != 0 or performing is None:
        raise RuntimeError(f"perform probe failed: {last or code}")
    return round(performing, 3)


def _perform(quick: bool, say) -> dict:
    """``perform ldd`` cold once, then warm (3 times, median; quick: once)."""
    from synthlearn.bench.realtime import bench_jackd, jackd_missing
    from synthlearn.errors import AudioUnavailable

    why = jackd_missing()
    if why:
        return {"skipped": why}
    try:
        with bench_jackd(PERFORM_BLOCK) as server, \
                tempfile.TemporaryDirectory(prefix="synthlearn-startup-") as folder:
            cache = os.path.join(folder, "numba-cache")
            cold = _perform_probe(cache, Path(folder) / "cold")
            say(f"  perform ldd, cold numba cache: 'performing' after {cold:.2f} s")
            warm = [_perform_probe(cache, Path(folder) / f"warm{i}")
                    for i in range(1 if quick else 3)]
    except AudioUnavailable as exc:
        return {"skipped": f"jackd did not start: {exc}"}
    return {"cold_s": cold, "warm_s": round(float(np.median(warm)), 3), "warm_runs": len(warm),
            "block": PERFORM_BLOCK, "jack_realtime": server.realtime}


def run(*, quick: bool, say=print) -> dict:
    """Each probe cold once, then warm (3 times, median; quick: once)."""
    with tempfile.TemporaryDirectory(prefix="synthlearn-numba-cache-") as cache:
        cold = _probe(cache)
        say(f"  cold numba cache: first block after {cold['first_block_s']:.2f} s")
        warm_runs = [_probe(cache) for _ in range(1 if quick else 3)]
    warm = {k: round(float(np.median([w[k] for w in warm_runs])), 3) for k in warm_runs[0]}
    return {"cold": cold, "warm": warm, "warm_runs": len(warm_runs),
            "perform": _perform(quick, say)}


def table(result: dict) -> list[str]:
    lines = [f"{'numba cache':<12} {'import s':>9} {'kernels s':>10} {'first block s':>14}"]
    for name in ("cold", "warm"):
        r = result[name]
        lines.append(f"{name:<12} {r['import_s']:>9.2f} {r['kernels_s']:>10.2f} "
                     f"{r['first_block_s']:>14.2f}")
    perform = result.get("perform", {})
    if "skipped" in perform:
        lines.append(f"perform ldd: skipped ({perform['skipped']})")
    elif perform:
        lines.append(f"perform ldd (JACK dummy, block {perform['block']}, no window) to "
                     f"'performing': cold {perform['cold_s']:.2f} s, warm "
                     f"{perform['warm_s']:.2f} s")
    return lines
