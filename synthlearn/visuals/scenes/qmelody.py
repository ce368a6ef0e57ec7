"""What piece qmelody looks like: one band per agent, each with

- a piano roll: the target's notes as grey bars, the notes played this episode over them
  (green where right, red where wrong, orange where the agent explored), the step it plays now
  marked;
- its Q-table along the path it would play: steps across, its notes up, brighter where it
  expects more;
- its learning curve, scrolling: mean reward (yellow) and greedy-correct notes (cyan) per
  episode.

Beside the bands, the copy graph (an arrow from the agent copied to the agent copying) and the
drone's progress; along the bottom, the last commands typed. Drawn with numpy and the raster
kernels from the record the piece publishes (``synthlearn.visuals.records.qmelody``):
``draw(record) -> frame``, never the piece itself; text with pygame's font (rendered once per
change).
"""

from __future__ import annotations

import numpy as np

from synthlearn.visuals import raster
from synthlearn.visuals.records import qmelody as schema

AGENT_COLOURS = np.array([(240, 120, 90), (110, 180, 240), (150, 220, 120)], np.float64)
RIGHT, WRONG, EXPLORED = (80, 220, 110), (230, 70, 60), (245, 160, 40)
TARGET_GREY = 70
REWARD_COLOUR = np.array([240.0, 220.0, 90.0])
CORRECT_COLOUR = np.array([90.0, 220.0, 240.0])


class QmelodyScene:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.frame = np.zeros((height, width, 3), np.uint8)
        self._font = None
        self._text_cache: dict[str, np.ndarray] = {}

    def warm(self) -> None:
        """Compile every drawing kernel: an example record drawn (the next draw redraws)."""
        self.draw(schema.example())

    def close(self) -> None:
        self._text_cache.clear()

    # -- layout -------------------------------------------------------------------------------
    def draw(self, r: dict) -> np.ndarray:
        """The (H, W, 3) uint8 frame of record ``r`` (``synthlearn.visuals.records.qmelody``:
        its fields, and the ``commands`` typed last if it holds them)."""
        commands = r.get("commands", ())
        f = self.frame
        raster.clear(f)
        w, h = self.width, self.height
        text_h = max(10, h // 14)
        side = w // 6  # the copy graph
        band_h = (h - text_h) // schema.AGENTS
        roll_w = int(0.45 * (w - side))
        q_w = int(0.27 * (w - side))
        for k in range(schema.AGENTS):
            y0, y1 = k * band_h + 1, (k + 1) * band_h - 2
            if y1 - y0 < 4:
                continue
            self._roll(r, k, 2, y0, roll_w - 4, y1)
            self._q(r, k, roll_w, y0, roll_w + q_w - 4, y1)
            self._curve(r, k, roll_w + q_w, y0, w - side - 4, y1)
            f[y1 + 1, :w - side] = 30  # a rule between bands
        self._graph(r, w - side, 0, w - 1, h - text_h - 1)
        self._commands(commands, h - text_h, text_h)
        return f

    def _roll(self, r, k, x0, y0, x1, y1) -> None:
        f = self.frame
        L = int(r["tlen"][k])
        if L == 0 or x1 - x0 < L:
            f[y0:y1, x0:x1] = (20, 20, 30) if r["armed"][k] else 0  # listening
            return
        target = schema.rows(r, "target", schema.STEPS)[k, :L]
        pitches = schema.rows(r, "pitches", schema.ACTIONS)[k]
        played = schema.rows(r, "played", schema.STEPS)[k, :L]
        explored = schema.rows(r, "explored", schema.STEPS)[k, :L]
        notes = pitches[pitches >= 0]
        heard = target[target >= 0]
        low = int(min(notes.min(initial=127), heard.min(initial=127))) - 1
        high = int(max(notes.max(initial=0), heard.max(initial=0))) + 1
        span = max(high - low, 1)
        pos = int(r["pos"][k])
        step_w = (x1 - x0) / L

        def y_of(pitch: int) -> int:
            return int(y1 - (pitch - low) / span * (y1 - y0))

        bar = max(2, (y1 - y0) // max(span, 1))
        for i in range(L):
            xa, xb = int(x0 + i * step_w), int(x0 + (i + 1) * step_w) - 1
            if target[i] >= 0:
                y = y_of(int(target[i]))
                f[max(y0, y - bar // 2):y + bar // 2 + 1, xa:xb] = TARGET_GREY
            if i >= pos and pos > 0:
                continue  # this episode has not played it yet
            pitch = int(pitches[played[i]])
            if pitch >= 0:
                colour = EXPLORED if explored[i] else RIGHT if pitch == target[i] else WRONG
                y = y_of(pitch)
                f[max(y0, y - 1):y + 2, xa + 1:xb - 1] = colour
        if 0 < pos <= L:
            x = int(x0 + pos * step_w) - 1
            f[y0:y1, max(x0, x)] = (200, 200, 200)

    def _q(self, r, k, x0, y0, x1, y1) -> None:
        L, n = int(r["tlen"][k]), int(r["nact"][k])
        if L == 0 or n == 0 or x1 - x0 < 2:
            return
        q = schema.q_table(r, k)[:L, :n]
        lo, hi = float(q.min()), float(q.max())
        level = (q - lo) / (hi - lo) if hi > lo else np.zeros_like(q)
        cols = ((np.arange(x1 - x0) * L) // (x1 - x0)).clip(0, L - 1)
        rows = (((y1 - 1 - np.arange(y0, y1)) * n) // (y1 - y0)).clip(0, n - 1)
        heat = level[cols[None, :], rows[:, None]]  # (height, width)
        colour = AGENT_COLOURS[k]
        self.frame[y0:y1, x0:x1] = (heat[..., None] * colour).astype(np.uint8)

    def _curve(self, r, k, x0, y0, x1, y1) -> None:
        n = int(r["curve_n"][k])
        if n < 2 or x1 - x0 < 4:
            return
        ring = schema.CURVE
        count = min(n, ring)
        order = (np.arange(n - count, n) % ring)
        reward = schema.rows(r, "curve_reward", ring)[k, order]
        correct = schema.rows(r, "curve_correct", ring)[k, order]
        xs = np.linspace(x0, x1, count)
        f = self.frame
        f[y0, x0:x1] = 40  # full marks
        f[y1, x0:x1] = 40
        levels = np.ones(count)
        for values, colour, low in ((reward, REWARD_COLOUR, -1.0), (correct, CORRECT_COLOUR,
                                                                    0.0)):
            ys = y1 - (np.clip(values, low, 1.0) - low) / (1.0 - low) * (y1 - y0)
            raster.draw_polyline(f, xs.astype(np.float64), ys.astype(np.float64), levels,
                                 colour)

    def _graph(self, r, x0, y0, x1, y1) -> None:
        """The agents as discs round a circle; an arrow (a line brightening towards the
        copier) from each agent copied to the agent that copied it; the drone's progress as
        a bar."""
        f = self.frame
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        radius = 0.3 * min(x1 - x0, y1 - y0)
        angles = np.pi / 2 + 2 * np.pi * np.arange(schema.AGENTS) / schema.AGENTS
        xs, ys = cx + radius * np.cos(angles), cy - radius * np.sin(angles)
        for k in range(schema.AGENTS):
            src = int(r["copied_from"][k])
            if src >= 0:
                steps = 8
                px = np.linspace(xs[src], xs[k], steps)
                py = np.linspace(ys[src], ys[k], steps)
                raster.draw_polyline(f, px, py, np.linspace(0.3, 1.0, steps),
                                     np.array([200.0, 200.0, 200.0]))
        disc = max(2.0, radius / 4)
        for k in range(schema.AGENTS):
            level = 0.4 + 0.6 * float(np.clip(r["correct"][k], 0.0, 1.0))
            raster.draw_discs(f, xs[k:k + 1], ys[k:k + 1], disc, AGENT_COLOURS[k], level)
        bar = int((y1 - y0) * float(np.clip(r["progress"], 0.0, 1.0)))
        f[y1 - bar:y1, x1 - 4:x1] = (230, 230, 230)

    def _commands(self, commands, y, height) -> None:
        if not commands or height < 8:
            return
        text = "   ".join(commands)[-200:]
        pixels = self._text(text, height)
        if pixels is None:
            return
        h = min(pixels.shape[0], self.height - y)
        w = min(pixels.shape[1], self.width)
        self.frame[y:y + h, :w] = pixels[:h, :w]

    def _text(self, text: str, height: int) -> np.ndarray | None:
        """``text`` as an (h, w, 3) uint8 image (pygame's default font), cached."""
        cached = self._text_cache.get(text)
        if cached is not None:
            return cached
        try:
            import pygame

            pygame.font.init()
            if self._font is None:
                self._font = pygame.font.Font(None, max(10, height))
            surface = self._font.render(text, True, (200, 200, 200), (0, 0, 0))
            pixels = pygame.surfarray.array3d(surface).transpose(1, 0, 2).copy()
        except Exception:  # no font here (a stripped SDL): the commands are not drawn
            return None
        if len(self._text_cache) > 32:
            self._text_cache.clear()
        self._text_cache[text] = pixels
        return pixels
