"""The benchmark's files: every figure as JSON, and a PNG of the block-cost distributions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def write_json(figures: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(figures, indent=1) + "\n")


def plot(samples: dict[str, np.ndarray], path: str | Path, sr: int = 48000) -> None:
    """Box plots of per-block cost (% of the block, log scale), one panel per block size;
    whiskers at p1 and p99, crosses at the maxima. ``samples`` keys: WORKLOAD/VOICES/BLOCK."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt

    blocks = sorted({int(k.rsplit("/", 1)[1]) for k in samples})
    fig, axes = plt.subplots(len(blocks), 1, figsize=(11, 3.2 * len(blocks)), squeeze=False)
    colours = {"numba": "tab:blue", "pyo": "tab:orange"}
    for ax, block in zip(axes[:, 0], blocks, strict=True):
        keys = [k for k in samples if k.endswith(f"/{block}")]
        data = [100 * samples[k] / (block / sr * 1e6) for k in keys]
        box = ax.boxplot(data, whis=(1, 99), showfliers=False, patch_artist=True,
                         medianprops={"color": "black"})
        for part in ("boxes", "whiskers", "caps"):
            for artist, k in zip(box[part], [k for k in keys for _ in
                                             range(len(box[part]) // len(keys))], strict=True):
                colour = colours.get(k.split("/")[1], "grey")
                (artist.set_facecolor if part == "boxes" else artist.set_color)(colour)
        ax.plot(range(1, len(data) + 1), [d.max() for d in data], "kx", markersize=4)
        ax.set_yscale("log")
        ax.set_xticks(range(1, len(keys) + 1),
                      ["\n".join(k.split("/")[:2]) for k in keys], fontsize=7)
        ax.set_ylabel("% of the block")
        ax.set_title(f"block {block} ({block / sr * 1e3:.2f} ms at {sr // 1000} kHz): "
                     "per-block cost, p1-p99 whiskers, x = max", fontsize=9)
        ax.grid(axis="y", which="both", alpha=0.3)
    from matplotlib.patches import Patch

    axes[0, 0].legend(handles=[Patch(color=c, label=f"voices {v}") for v, c in colours.items()],
                      loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
