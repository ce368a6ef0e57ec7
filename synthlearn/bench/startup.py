"""Start-up to the first block: a fresh Python process that imports synthlearn, compiles (or
loads from numba's cache) every piece's kernels as ``perform`` does before audio starts, builds
the ldd piece on an engine and computes its first block.

Cold: an empty numba cache (``NUMBA_CACHE_DIR`` in a new folder: every kernel compiles). Warm:
the same folder again, now filled. Figures are wall seconds from just before the process is
spawned, split at the import, the kernels and the first block.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

_PROBE = """
import sys, time
t0 = float(sys.argv[1])
from synthlearn.audio.engine import Engine
from synthlearn.pieces import PIECES, piece_class
imported = time.time() - t0
for name in PIECES:
    piece_class(name).warm_kernels()
kernels = time.time() - t0
engine = Engine("manual", sr=48000, block=64)
engine.play(piece_class("ldd")(seed=0), [])
engine.process()
first = time.time() - t0
engine.close()
print(imported, kernels, first)
"""


def _probe(cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYO_GUI_WX="0")
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", _PROBE, repr(t0)], capture_output=True,
                         text=True, env=env, timeout=600)
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        raise RuntimeError(f"start-up probe failed: {lines[-1] if lines else out.returncode}")
    imported, kernels, first = (float(x) for x in out.stdout.split()[-3:])
    return {"import_s": round(imported, 3), "kernels_s": round(kernels, 3),
            "first_block_s": round(first, 3)}


def run(*, quick: bool, say=print) -> dict:
    """Cold once, then warm (3 times, median; quick: once)."""
    with tempfile.TemporaryDirectory(prefix="synthlearn-numba-cache-") as cache:
        cold = _probe(cache)
        say(f"  cold numba cache: first block after {cold['first_block_s']:.2f} s")
        warm_runs = [_probe(cache) for _ in range(1 if quick else 3)]
    warm = {k: round(float(np.median([w[k] for w in warm_runs])), 3) for k in warm_runs[0]}
    return {"cold": cold, "warm": warm, "warm_runs": len(warm_runs)}


def table(result: dict) -> list[str]:
    lines = [f"{'numba cache':<12} {'import s':>9} {'kernels s':>10} {'first block s':>14}"]
    for name in ("cold", "warm"):
        r = result[name]
        lines.append(f"{name:<12} {r['import_s']:>9.2f} {r['kernels_s']:>10.2f} "
                     f"{r['first_block_s']:>14.2f}")
    return lines
