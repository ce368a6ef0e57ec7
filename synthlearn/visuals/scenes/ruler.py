"""What piece ruler looks like: one vertical axis per parameter of the rules in play (values in
their sorted order from bottom to top); each rule a block of its label's colour on every axis,
over the values its set holds; the training presets as white points; the preset sounding now
as a bright line across the axes. Drawn with numpy, from the piece's names and what it sounds.
"""

from __future__ import annotations

import numpy as np

PALETTE = np.array([(230, 90, 70), (80, 170, 230), (120, 210, 110), (230, 200, 70),
                    (190, 110, 220), (90, 210, 200)], np.uint8)
MARGIN = 0.08  # of the width and height, around the axes


class RulerScene:
    def __init__(self, piece, width: int, height: int):
        self.piece, self.width, self.height = piece, width, height
        self.frame = np.zeros((height, width, 3), np.uint8)

    def warm(self) -> None:
        pass

    def close(self) -> None:
        pass

    def _model(self):
        """The rule set of the preset sounding last, else the newest kept; None if none."""
        piece = self.piece
        playing = list(piece.sounding.values())
        names = [n for n, v in piece.names.items() if isinstance(v, dict) and "rules" in v]
        name = playing[-1]["model"] if playing else (names[-1] if names else None)
        return (name, piece.model(name)) if name is not None else (None, None)

    def draw(self) -> np.ndarray:
        f = self.frame
        f[:] = 0
        name, rules = self._model()
        if rules is None:
            return f
        P = len(rules.presets.names)
        w, h = self.width, self.height
        xs = np.linspace(MARGIN * w, (1 - MARGIN) * w, P).astype(int) if P > 1 else \
            np.array([w // 2])
        top, bottom = int(MARGIN * h), int((1 - MARGIN) * h)

        def y_of(p: int, value) -> int:
            values = rules.presets.values[p]
            k = values.index(value)
            frac = k / max(len(values) - 1, 1)
            return int(round(bottom - frac * (bottom - top)))

        half = max(2, w // (4 * max(P, 1)))
        labels = rules.labels
        for r_i, rule in enumerate(rules.rules):
            colour = PALETTE[labels.index(rule.label) % len(PALETTE)]
            offset = (r_i % 5) - 2  # rules side by side, a little apart
            for p, values in enumerate(rule.sets):
                x0 = max(0, xs[p] - half + offset * 2)
                x1 = min(w, xs[p] + half + offset * 2)
                for v in values:
                    y = y_of(p, v)
                    f[max(0, y - 1):min(h, y + 2), x0:x1] = (
                        f[max(0, y - 1):min(h, y + 2), x0:x1] // 2 + colour // 2)
        for p in range(P):  # the axes
            f[top:bottom + 1, xs[p]] = 90
        for i in range(len(rules.presets)):  # training presets: white points
            for p, value in enumerate(rules.presets.row(i)):
                y = y_of(p, value)
                f[max(0, y - 1):y + 2, max(0, xs[p] - 1):xs[p] + 2] = 255
        for playing in list(self.piece.sounding.values()):  # the preset sounding: a line
            # (a restored synth's preset is known once its rules are: None until then)
            if playing["model"] != name or not playing.get("preset"):
                continue
            ys = [y_of(p, v) for p, v in enumerate(playing["preset"])]
            for p in range(P - 1):
                n = max(abs(xs[p + 1] - xs[p]), 1)
                lx = np.linspace(xs[p], xs[p + 1], n).astype(int)
                ly = np.linspace(ys[p], ys[p + 1], n).astype(int)
                f[np.clip(ly, 0, h - 1), np.clip(lx, 0, w - 1)] = (255, 255, 120)
        return f
