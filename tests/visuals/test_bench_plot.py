"""The bench's plot reads (issue 19, item 10): no two labels overlap, no label runs into
another panel's title, the legend covers no panel. Checked on the drawn figure's own text
boxes, for the full grid of the bench (the one whose labels overlapped)."""

import itertools

import numpy as np

from synthlearn.bench.blocks import FULL, QUICK, VOICE_PATHS
from synthlearn.bench.report import figure, plot


def samples_of(plan) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {f"{w}/{v}/{b}": rng.lognormal(3.0, 0.5, 200)
            for b in plan.blocks for w in plan.workloads for v in VOICE_PATHS}


def boxes(fig):
    import matplotlib.pyplot as plt

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = []
    for ax in fig.axes:
        low, high = ax.get_ylim()
        shown = [label for label, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
                 if low <= y <= high]  # the locator's ticks past the limits are not drawn
        for label in (*ax.get_xticklabels(), *shown, ax.title, ax.yaxis.label):
            if label.get_visible() and label.get_text():
                texts.append((label.get_text(), label.get_window_extent(renderer)))
    legend = fig.legends[0].get_window_extent(renderer)
    panels = [ax.get_window_extent(renderer) for ax in fig.axes]
    plt.close(fig)
    return texts, legend, panels


def test_no_label_of_the_bench_plot_overlaps_another_and_the_legend_covers_no_panel():
    for plan in (FULL, QUICK):
        texts, legend, panels = boxes(figure(samples_of(plan)))
        overlapping = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(texts, 2)
                       if box_a.overlaps(box_b)]
        assert overlapping == []
        assert not any(legend.overlaps(panel) for panel in panels)
        assert len(texts) > len(plan.blocks) * len(plan.workloads)  # the labels were checked


def test_the_plot_is_written(tmp_path):
    plot(samples_of(QUICK), tmp_path / "bench.png")
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
