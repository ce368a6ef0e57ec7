"""The benchmark's files: every figure as JSON, and a PNG of the block-cost distributions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def write_json(figures: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(figures, indent=1) + "\n")


COLOURS = {"numba": "tab:blue", "pyo": "tab:orange"}


def plot(samples: dict[str, np.ndarray], path: str | Path, sr: int = 48000) -> None:
    """Box plots of per-block cost (% of the block, log scale), one panel per block size;
    whiskers at p1 and p99, crosses at the maxima. ``samples`` keys: WORKLOAD/VOICES/BLOCK."""
    import matplotlib.pyplot as plt

    fig = figure(samples, sr)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure(samples: dict[str, np.ndarray], sr: int = 48000):
    """The figure :func:`plot` writes: each workload one label (its name over a few lines, no
    two labels touching), its voice paths side by side in their colours; the layout
    constrained, so titles and labels never overlap."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    blocks = sorted({int(k.rsplit("/", 1)[1]) for k in samples})
    workloads = list(dict.fromkeys(k.split("/")[0] for k in samples))
    paths = list(dict.fromkeys(k.split("/")[1] for k in samples))
    step = 0.8 / len(paths)  # the paths of one workload share 0.8 of its slot
    fig, axes = plt.subplots(len(blocks), 1, squeeze=False, layout="constrained",
                             figsize=(max(8.0, 0.85 * len(workloads) + 1.5),
                                      3.0 * len(blocks) + 0.4))
    for ax, block in zip(axes[:, 0], blocks, strict=True):
        keys = [k for k in samples if k.endswith(f"/{block}")]
        data = [100 * samples[k] / (block / sr * 1e6) for k in keys]
        where = [workloads.index(k.split("/")[0]) + 1
                 + (paths.index(k.split("/")[1]) - (len(paths) - 1) / 2) * step for k in keys]
        box = ax.boxplot(data, positions=where, widths=0.85 * step, whis=(1, 99),
                         showfliers=False, patch_artist=True, medianprops={"color": "black"})
        for i, k in enumerate(keys):
            colour = COLOURS.get(k.split("/")[1], "grey")
            box["boxes"][i].set_facecolor(colour)
            for artist in (*box["whiskers"][2 * i:2 * i + 2], *box["caps"][2 * i:2 * i + 2]):
                artist.set_color(colour)
        ax.plot(where, [d.max() for d in data], "kx", markersize=4)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(0.4, len(workloads) + 0.6)
        ax.set_xticks(range(1, len(workloads) + 1),
                      [w.replace("-", "\n") for w in workloads], fontsize=8)
        ax.set_ylabel("% of the block", fontsize=9)
        ax.set_title(f"block {block} ({block / sr * 1e3:.2f} ms at {sr // 1000} kHz): "
                     "per-block cost, p1-p99 whiskers, x = max", fontsize=9)
        ax.grid(axis="y", which="both", alpha=0.3)
    # above the panels, never over a box or a cross
    fig.legend(handles=[Patch(color=c, label=f"voices {v}") for v, c in COLOURS.items()
                        if v in paths], loc="outside upper center", ncols=len(paths), fontsize=8)
    return fig
