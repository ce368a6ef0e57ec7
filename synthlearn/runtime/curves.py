"""Learning curves of a render, one value per episode: a CSV and a PNG plot (matplotlib).

``series`` names ``reward.<agent>``, ``correct.<agent>`` and, where known, ``time_s.<agent>``
and ``silent.<agent>`` (1 for a practised episode), each a list in time order.
"""

from __future__ import annotations

import csv
from pathlib import Path

CSV_NAME, PNG_NAME = "curves.csv", "curves.png"


def agents_of(series: dict[str, list[float]]) -> list[str]:
    return sorted({key.split(".", 1)[1] for key in series if key.startswith("reward.")})


def write_curves(series: dict[str, list[float]], out_dir: str | Path) -> dict[str, str]:
    """Write ``curves.csv`` and ``curves.png`` into ``out_dir``; returns their names."""
    out = Path(out_dir)
    agents = agents_of(series)
    with open(out / CSV_NAME, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["agent", "episode", "time_s", "reward", "correct", "silent"])
        for agent in agents:
            reward = series[f"reward.{agent}"]
            correct = series.get(f"correct.{agent}", [])
            times = series.get(f"time_s.{agent}", [])
            silent = series.get(f"silent.{agent}", [])
            for i, value in enumerate(reward):
                writer.writerow([agent, i, _at(times, i), value, _at(correct, i),
                                 int(_at(silent, i) or 0)])
    _plot(series, agents, out / PNG_NAME)
    return {"curves_csv": CSV_NAME, "curves_png": PNG_NAME}


def _at(values: list, i: int):
    return values[i] if i < len(values) else ""


def _plot(series, agents, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    for agent in agents:
        reward = series[f"reward.{agent}"]
        axes[0].plot(range(1, len(reward) + 1), reward, label=agent, linewidth=1.2)
        correct = series.get(f"correct.{agent}", [])
        axes[1].plot(range(1, len(correct) + 1), [100 * c for c in correct], label=agent,
                     linewidth=1.2)
    axes[0].set_ylabel("mean reward")
    axes[1].set_ylabel("greedy notes right (%)")
    axes[1].set_xlabel("episode")
    axes[1].set_ylim(-5, 105)
    for ax in axes:
        ax.grid(alpha=0.3)
        if agents:
            ax.legend(loc="lower right", fontsize=8)
    fig.suptitle("qmelody: the agents' learning curves")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
