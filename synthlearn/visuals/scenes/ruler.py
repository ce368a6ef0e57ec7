"""What piece ruler looks like: one vertical axis per parameter of the rules in play (values in
their sorted order from bottom to top); each rule a block of its label's colour on every axis,
over the values its set holds; the training presets as white points; a live table's presets
as they are kept, rings in their label's colour beside the axes; the presets sounding now as
bright lines across the axes; in words, each axis's parameter, each label in its colour and
what the show does (the section, every synth sounding, a retrain in progress, the live tables).
Drawn with numpy and pygame's font on one canvas, from the record the piece publishes
(``synthlearn.visuals.records.ruler``).
"""

from __future__ import annotations

import numpy as np

from synthlearn.visuals.canvas import Canvas
from synthlearn.visuals.records.ruler import read_text

PALETTE = np.array([(230, 90, 70), (80, 170, 230), (120, 210, 110), (230, 200, 70),
                    (190, 110, 220), (90, 210, 200)], np.uint8)
MARGIN = 0.08  # of the width and height, around the axes


class RulerScene:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.canvas = Canvas(width, height)
        self.frame = self.canvas.array

    def warm(self) -> None:
        pass  # numpy only: nothing to compile

    def close(self) -> None:
        pass

    def draw(self, record: dict) -> np.ndarray:
        """The frame of ``record`` (the scene's own array: valid until the next draw)."""
        f = self.frame
        f[:] = 0
        names, labels, status = read_text(record)
        self._words(names, labels, status)
        levels = [int(n) for n in record["levels"]]
        P = len(levels)
        if P == 0:  # no rules shown
            return f
        w, h = self.width, self.height
        xs = np.linspace(MARGIN * w, (1 - MARGIN) * w, P).astype(int) if P > 1 else \
            np.array([w // 2])
        top, bottom = int(MARGIN * h), int((1 - MARGIN) * h)

        def y_of(p: int, k: int) -> int:
            frac = k / max(levels[p] - 1, 1)
            return int(round(bottom - frac * (bottom - top)))

        half = max(2, w // (4 * max(P, 1)))
        for r_i, label, p, k in record["boxes"].tolist():  # rule by rule, as recorded
            colour = PALETTE[label % len(PALETTE)]
            offset = (r_i % 5) - 2  # rules side by side, a little apart
            x0 = max(0, xs[p] - half + offset * 2)
            x1 = min(w, xs[p] + half + offset * 2)
            y = y_of(p, k)
            f[max(0, y - 1):min(h, y + 2), x0:x1] = (
                f[max(0, y - 1):min(h, y + 2), x0:x1] // 2 + colour // 2)
        for p in range(P):  # the axes
            f[top:bottom + 1, xs[p]] = 90
        for row in record["points"].tolist():  # training presets: white points
            for p, k in enumerate(row):
                y = y_of(p, k)
                f[max(0, y - 1):y + 2, max(0, xs[p] - 1):xs[p] + 2] = 255
        ring = max(3, min(w, h) // 120)  # a live table's presets, as kept: rings, label's colour
        kept_n = int(record["kept_n"][0]) if "kept_n" in record else 0
        for row, label in zip(record["kept"][:kept_n].tolist(),
                              record["kept_labels"][:kept_n].tolist(), strict=True):
            colour = PALETTE[label % len(PALETTE)] if label >= 0 else (170, 170, 170)
            for p, k in enumerate(row):
                y, x = y_of(p, k), int(xs[p]) + ring + 2  # beside the axis: its points show
                y0, y1 = max(0, y - ring), min(h, y + ring + 1)
                x0, x1 = max(0, x - ring), min(w, x + ring + 1)
                if y0 >= y1 or x0 >= x1:
                    continue
                f[y0:y1, x0] = f[y0:y1, x1 - 1] = colour
                f[y0, x0:x1] = f[y1 - 1, x0:x1] = colour
        for row in record["lines"][:int(record["lines_n"][0])].tolist():  # presets sounding
            ys = [y_of(p, k) for p, k in enumerate(row)]
            for p in range(P - 1):
                n = max(abs(xs[p + 1] - xs[p]), 1)
                lx = np.linspace(xs[p], xs[p + 1], n).astype(int)
                ly = np.linspace(ys[p], ys[p + 1], n).astype(int)
                f[np.clip(ly, 0, h - 1), np.clip(lx, 0, w - 1)] = (255, 255, 120)
        return f

    def _words(self, names, labels, status) -> None:
        """Status lines top left, the labels in their colours top right, each parameter's name
        under its axis (drawn first: the rules go over them where they meet)."""
        c, w, h = self.canvas, self.width, self.height
        line = c.font_px + 2
        for i, words in enumerate(status[: max(1, int(MARGIN * h) // line + 3)]):
            c.text(words, 6, 4 + i * line, (200, 200, 200))
        for i, label in enumerate(labels):
            colour = tuple(int(x) for x in PALETTE[i % len(PALETTE)])
            c.text(label, w - 6 - c.font_px * max(4, len(label)) // 2, 4 + i * line, colour)
        P = len(names)
        xs = np.linspace(MARGIN * w, (1 - MARGIN) * w, P).astype(int) if P > 1 else \
            np.array([w // 2])
        for name, x in zip(names, xs, strict=False):
            c.text(name, int(x) - c.font_px * len(name) // 4, int((1 - MARGIN) * h) + 4)
