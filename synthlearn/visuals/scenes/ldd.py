"""The pictures of piece ldd (losses, dissonances and distortions), drawn from a snapshot.

- Part 1: the cubic on black: target points (white), the learner's points (red), each pair
  joined by a line; earlier fits leave a fading trail.
- Part 2: the target knot (white) and the learned knot (red), slowly turning, on black.
- Part 3: the knots over the video, whose colour channels are pulled apart by the gradient.
- Part 4: the cubic over the video, with bubbles that warp the picture inside them.

Trail: whenever the fit changes, the previous fit is stamped into a fading layer, and every frame
that layer loses ``FADE_PER_FRAME_AT_60 * 60 / fps`` per byte (fractions carried over), so a stamp
at full brightness is gone after 255 frames at 60 fps, i.e. 4.25 s at any frame rate. (The
original kept every fit forever and slowed down as they piled up.)

All pixel work is done by numba kernels (``raster``, ``warps``) into one preallocated frame that
pygame shares (``Canvas``); ``draw`` allocates no frame-sized arrays.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

from synthlearn.mappings.warp import clipped_gradient, split_shift_px
from synthlearn.visuals import raster, warps
from synthlearn.visuals.canvas import Canvas
from synthlearn.visuals.sources import TestPattern

FADE_PER_FRAME_AT_60 = 1.0  # trail bytes lost per frame at 60 fps (scaled by 60 / fps)
KNOT_VERTICES = 4096  # segments per knot: smooth at 1280x720 even for frequency 8
KNOT_REV_PER_S = 0.1  # turning about the vertical axis
KNOT_TILT_RAD = 0.12  # a fixed lean towards the viewer, so the turning reads as 3-D; small
# enough that a knot of radius 0.4 x height still fits the frame (0.4 (cos + sqrt 2 sin) < 0.5)
KNOT_RADIUS = 0.4  # x height
SPLIT_PX_PER_GRAD = 100.0  # part 3: channel k moves by grad[k] x 100 px on both axes
FAITHFUL_ALPHA = 100.0 / 255.0  # the original's per-channel layer alpha
BUBBLE_GRAD_CLIP = 0.1
BUBBLE_AMP_PX = 100.0  # warp amplitude at |gradient| = BUBBLE_GRAD_CLIP (always, if faithful)
BUBBLE_PHASE_RATE = 5.0  # phase = 5 x gradient x seconds
BUBBLE_SHRINK_PX_PER_S = 12.0  # 0.2 px per frame at 60 fps
MAX_BUBBLES = 64  # more are ignored until some have shrunk away
FRAME_TIME_RING = 4096

_KNOT_T: np.ndarray | None = None  # the knot learner's t samples (its defaults, as ldd's)


def fresh_loss(snap: dict, cubic: bool) -> float:
    """The loss of the approximant in ``snap`` against its target, as the learner's step
    measures it (cubic: 0.5·mean squared error over its points; knot: 0.5·mean over every t
    of the squared distance), from the record alone."""
    global _KNOT_T
    if cubic:
        x = np.asarray(snap["cubic_x"], np.float64)
        diff = np.asarray(snap["cubic_theta"], np.float64) - np.asarray(snap["cubic_target"])
        return float(0.5 * np.mean(np.polyval(diff, x) ** 2))
    if _KNOT_T is None:
        from synthlearn.learners.lissajous import Lissajous

        knot = Lissajous()
        _KNOT_T = np.arange(0.0, knot.t_max, knot.t_step)
    freq = np.asarray(snap["knot_freq"], np.float64)[None, :]
    t = _KNOT_T[:, None]
    d = (np.cos(freq * t + np.asarray(snap["knot_phase"], np.float64)[None, :])
         - np.cos(freq * t + np.asarray(snap["knot_target"], np.float64)[None, :]))
    return float(0.5 * np.mean(np.sum(d * d, axis=1)))


WHITE = np.array([255.0, 255.0, 255.0])
RED = np.array([255.0, 40.0, 40.0])
LINK = np.array([230.0, 120.0, 120.0])  # target-to-approximant lines
LINK_LEVEL = 0.55


@njit(cache=True, nogil=True)
def _cubic_px(target, theta, xs, width, height, tx, ty, ax, ay):
    """Pixel coordinates of the target and learned cubics at ``xs``.

    x in [-1, 1] spans the frame less a margin; the vertical range fits the target's values with
    a margin (at least 1 unit tall), up is up.
    """
    n = xs.shape[0]
    lo, hi = math.inf, -math.inf
    for i in range(n):
        x = xs[i]
        v = ((target[0] * x + target[1]) * x + target[2]) * x + target[3]
        ty[i] = v
        lo = min(lo, v)
        hi = max(hi, v)
    if not (hi >= lo):  # empty or non-finite target
        lo, hi = -1.0, 1.0
    mid = 0.5 * (lo + hi)
    half = 0.5 * max(hi - lo, 1.0) * 1.3
    y_px_per_unit = 0.5 * height / half
    x_px_per_unit = 0.5 * width * 0.92
    for i in range(n):
        x = xs[i]
        tx[i] = 0.5 * width + x * x_px_per_unit
        ax[i] = tx[i]
        ty[i] = 0.5 * height - (ty[i] - mid) * y_px_per_unit
        v = ((theta[0] * x + theta[1]) * x + theta[2]) * x + theta[3]
        ay[i] = 0.5 * height - (v - mid) * y_px_per_unit


@njit(cache=True, nogil=True)
def _knot_px(freq, phase, angle, tilt, cx, cy, radius_px, xs, ys, levels):
    """Vertices of <cos(f0 t + p0), cos(f1 t + p1), cos(f2 t + p2)>, t over [0, 2 pi].

    Turned by ``angle`` about the vertical axis, leaned by ``tilt``, projected orthographically;
    ``levels`` is a depth cue (nearer is brighter).
    """
    n = xs.shape[0] - 1
    ca, sa = math.cos(angle), math.sin(angle)
    ct, st = math.cos(tilt), math.sin(tilt)
    for i in range(n + 1):
        t = 2.0 * math.pi * i / n
        x = math.cos(freq[0] * t + phase[0])
        y = math.cos(freq[1] * t + phase[1])
        z = math.cos(freq[2] * t + phase[2])
        x1 = x * ca + z * sa
        z1 = -x * sa + z * ca
        y2 = y * ct - z1 * st
        z2 = y * st + z1 * ct
        xs[i] = cx + radius_px * x1
        ys[i] = cy - radius_px * y2
        levels[i] = min(max(0.65 + 0.3 * z2, 0.3), 1.0)


class LddScene:
    """Draws ldd snapshots into a ``width`` x ``height`` frame at ``fps`` frames per second.

    ``source`` is a video source from :mod:`synthlearn.visuals.sources` (``None``: the test
    pattern); ``seed`` fixes the bubbles' places and the faithful split's channel orders.
    ``label=False`` leaves out the corner text (tests compare pixels).
    """

    def __init__(self, width: int, height: int, fps: float, *, seed: int = 0, source=None,
                 label: bool = True):
        self.width, self.height, self.fps = width, height, float(fps)
        self.seed = seed
        self.source = source if source is not None else TestPattern(width, height)
        self.label = label
        self.canvas = Canvas(width, height)
        self.trail = np.zeros((height, width, 3), np.uint8)  # fading earlier fits
        self._scratch = np.zeros((height, width, 3), np.uint8)  # split frame under bubbles
        self._order_rng, self._bubble_rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        # Trail bookkeeping: the brightest a trail byte can be; 0 means the layer is all zero.
        self._trail_level = 0.0
        self._fade_per_frame = FADE_PER_FRAME_AT_60 * 60.0 / self.fps
        self._fade_carry = 0.0
        # The current and previous fits' pixel coordinates (swapped each frame).
        self._fit = self._fit_prev = None
        self._fit_n = -1
        self._fit_theta = np.full(4, np.nan)
        self._fit_target = np.full(4, np.nan)
        self._have_fit = False
        self._disc_px = max(1.5, height / 240.0)
        # Knots.
        self._knot_x = np.zeros(KNOT_VERTICES + 1)
        self._knot_y = np.zeros(KNOT_VERTICES + 1)
        self._knot_level = np.zeros(KNOT_VERTICES + 1)
        # RGB split.
        self._shift_px = np.zeros(3)
        self._order = np.arange(3, dtype=np.int64)
        # Bubbles: (x, y, radius) px of the first n_bubbles entries.
        self._bx = np.zeros(MAX_BUBBLES)
        self._by = np.zeros(MAX_BUBBLES)
        self._br = np.zeros(MAX_BUBBLES)
        self.n_bubbles = 0
        self._bubbles_added = 0.0
        self._bubbles_cleared = 0.0
        self._phase = [0.0, 0.0]
        self._fresh_loss: tuple = (None, math.nan)  # (learner, targets drawn), its loss
        # Benchmarks: seconds each draw took, a ring of the last FRAME_TIME_RING frames.
        self.frame_times_s = np.zeros(FRAME_TIME_RING)
        self.frames_drawn = 0

    # ----- public

    def draw(self, snap: dict) -> np.ndarray:
        """Draw one frame of ``snap`` (the ldd snapshot) and return the canvas array.

        The array is the canvas's own memory: valid until the next ``draw``.
        """
        t0 = time.perf_counter()
        part = min(4, max(1, int(round(float(snap["part"])))))
        faithful = float(snap["faithful"]) >= 0.5
        time_s = float(snap["time_s"])
        grad = snap["grad"]
        frame = self.canvas.array

        self._fade_trail()
        self._update_bubbles(snap)
        cubic = part in (1, 4)
        if cubic:
            self._update_fit(snap)
        else:
            self._have_fit = False  # coming back to the cubic later must not stamp a stale fit

        if part == 1:
            if self._trail_level > 0:
                raster.copy_frame(self.trail, frame)
            else:
                raster.clear(frame)
        elif part == 2:
            raster.clear(frame)
        elif part == 3:
            self._split(self.source.read(time_s), frame, grad, faithful)
        else:
            video = self.source.read(time_s)
            if float(snap.get("split", 0.0)) >= 0.5:  # benchmark stress case
                self._split(video, self._scratch, grad, faithful)
                video = self._scratch
            raster.copy_frame(video, frame)
            self._warp_bubbles(video, frame, grad, time_s, faithful)
            if self._trail_level > 0:
                raster.add_frame(self.trail, frame)

        if cubic:
            self._draw_fit(frame, self._fit)
        else:
            self._draw_knots(frame, snap, time_s)
        if self.label:
            loss = self._shown_loss(snap, cubic)
            loss_s = f"{loss:.4g}" if math.isfinite(loss) else "-"
            mode = " · faithful" if faithful else ""
            self.canvas.text(f"part {part} · loss {loss_s}{mode}", 8, 6, (200, 200, 200))

        self.frame_times_s[self.frames_drawn % FRAME_TIME_RING] = time.perf_counter() - t0
        self.frames_drawn += 1
        return frame

    def _shown_loss(self, snap: dict, cubic: bool) -> float:
        """The record's loss, or, before the first step on a new target (the learner has no
        loss of its own yet), the fresh approximant's loss worked out from the record: a loss
        that is defined is shown. Worked out once per target."""
        loss = float(snap["loss"])
        if math.isfinite(loss):
            return loss
        kind = "cubic" if cubic else "knot"
        key = (kind, float(snap[f"{kind}_targets"]))
        if self._fresh_loss[0] != key:
            self._fresh_loss = (key, fresh_loss(snap, cubic))
        return self._fresh_loss[1]

    def bubbles(self) -> np.ndarray:
        """The live bubbles as an (n, 3) array of (x px, y px, radius px) (a copy)."""
        n = self.n_bubbles
        return np.stack([self._bx[:n], self._by[:n], self._br[:n]], axis=1)

    def frame_times(self) -> np.ndarray:
        """Seconds taken by the last draws (up to FRAME_TIME_RING), oldest first."""
        n = self.frames_drawn
        if n <= FRAME_TIME_RING:
            return self.frame_times_s[:n].copy()
        i = n % FRAME_TIME_RING
        return np.concatenate([self.frame_times_s[i:], self.frame_times_s[:i]])

    def warm(self) -> None:
        """Compile and run every kernel once with its final types (numba's first call stalls).

        Draws every part in both modes, with a bubble and the forced split, on a small throwaway
        scene; this scene's state is untouched.
        """
        w, h = 64, 36
        scene = LddScene(w, h, self.fps, seed=self.seed, source=TestPattern(w, h))
        from synthlearn.visuals.records.ldd import example

        snap = example()
        for faithful in (0.0, 1.0):
            for part in (1.0, 2.0, 3.0, 4.0, 4.0):
                snap["cubic_theta"] = snap["cubic_theta"] + 0.1
                snap.update(part=part, faithful=faithful, split=float(scene.frames_drawn == 4))
                scene.draw(snap)
        raster.fade(scene.trail, 1)
        scene.close()

    def close(self) -> None:
        self.source.close()

    # ----- parts of a frame

    def _fade_trail(self) -> None:
        if self._trail_level <= 0:
            return
        self._fade_carry += self._fade_per_frame
        n = int(self._fade_carry)
        self._fade_carry -= n
        if n > 0:
            raster.fade(self.trail, n)
            self._trail_level -= n

    def _update_fit(self, snap: dict) -> None:
        """Lay out this frame's fit; stamp the previous one into the trail if the fit changed."""
        xs = snap["cubic_x"]
        theta, target = snap["cubic_theta"], snap["cubic_target"]
        if len(xs) != self._fit_n:  # first frame (or a new sample count): allocate once
            self._fit_n = len(xs)
            self._fit = tuple(np.zeros(self._fit_n) for _ in range(4))
            self._fit_prev = tuple(np.zeros(self._fit_n) for _ in range(4))
            self._have_fit = False
        changed = not (np.array_equal(theta, self._fit_theta, equal_nan=True)
                       and np.array_equal(target, self._fit_target, equal_nan=True))
        if self._have_fit and not changed:
            return  # same fit, same pixels
        self._fit, self._fit_prev = self._fit_prev, self._fit
        tx, ty, ax, ay = self._fit
        _cubic_px(np.asarray(target, np.float64), np.asarray(theta, np.float64),
                  np.asarray(xs, np.float64), float(self.width), float(self.height),
                  tx, ty, ax, ay)
        if self._have_fit:
            self._draw_fit(self.trail, self._fit_prev)
            self._trail_level = 255.0
            self._fade_carry = 0.0
        self._fit_theta[:] = theta
        self._fit_target[:] = target
        self._have_fit = True

    def _draw_fit(self, frame: np.ndarray, fit) -> None:
        tx, ty, ax, ay = fit
        raster.draw_lines(frame, tx, ty, ax, ay, LINK, LINK_LEVEL)
        raster.draw_discs(frame, ax, ay, self._disc_px, RED, 1.0)
        raster.draw_discs(frame, tx, ty, self._disc_px, WHITE, 1.0)

    def _draw_knots(self, frame: np.ndarray, snap: dict, time_s: float) -> None:
        freq = np.asarray(snap["knot_freq"], np.float64)
        angle = 2.0 * math.pi * KNOT_REV_PER_S * time_s
        r_px = KNOT_RADIUS * self.height
        cx, cy = 0.5 * self.width, 0.5 * self.height
        for phase, colour in ((snap["knot_target"], WHITE), (snap["knot_phase"], RED)):
            _knot_px(freq, np.asarray(phase, np.float64), angle, KNOT_TILT_RAD, cx, cy, r_px,
                     self._knot_x, self._knot_y, self._knot_level)
            raster.draw_polyline(frame, self._knot_x, self._knot_y, self._knot_level, colour)

    def _split(self, src: np.ndarray, dst: np.ndarray, grad, faithful: bool) -> None:
        shift = self._shift_px
        for k in range(3):
            shift[k] = split_shift_px(float(grad[k]), SPLIT_PX_PER_GRAD, self.width)
        if faithful:
            self._order_rng.shuffle(self._order)  # a new layer order every frame, as originally
            warps.rgb_split_alpha(src, dst, shift, shift, self._order, FAITHFUL_ALPHA)
        else:
            warps.rgb_split(src, dst, shift, shift)

    def _update_bubbles(self, snap: dict) -> None:
        cleared = float(snap.get("bubbles_cleared", 0.0))
        added = float(snap.get("bubbles_added", 0.0))
        if cleared != self._bubbles_cleared:
            self._bubbles_cleared = cleared
            self.n_bubbles = 0
        n = self.n_bubbles
        if n:  # shrink, then drop the ones that have vanished
            self._br[:n] -= BUBBLE_SHRINK_PX_PER_S / self.fps
            keep = 0
            for i in range(n):
                if self._br[i] > 0.0:
                    self._bx[keep], self._by[keep], self._br[keep] = (
                        self._bx[i], self._by[i], self._br[i])
                    keep += 1
            self.n_bubbles = keep
        new = int(added - self._bubbles_added) if added > self._bubbles_added else 0
        self._bubbles_added = added  # a decrease (the piece restarted) creates nothing
        for _ in range(min(new, MAX_BUBBLES)):
            x, y = self._bubble_rng.uniform(0.0, 1.0, 2)
            if self.n_bubbles < MAX_BUBBLES:
                i = self.n_bubbles
                self._bx[i], self._by[i] = x * self.width, y * self.height
                self._br[i] = self.height / 8.0
                self.n_bubbles += 1

    def _warp_bubbles(self, src: np.ndarray, dst: np.ndarray, grad, time_s: float,
                      faithful: bool) -> None:
        g = [clipped_gradient(float(grad[k]), BUBBLE_GRAD_CLIP) for k in (0, 1)]
        g = [v if math.isfinite(v) else 0.0 for v in g]
        if faithful:  # the original: phase from the clock, full amplitude even at rest
            phx, phy = (BUBBLE_PHASE_RATE * v * time_s for v in g)
            amp_x = amp_y = BUBBLE_AMP_PX
        else:  # phase integrates the gradient; a converged learner warps nothing
            self._phase[0] += BUBBLE_PHASE_RATE * g[0] / self.fps
            self._phase[1] += BUBBLE_PHASE_RATE * g[1] / self.fps
            phx, phy = self._phase
            amp_x = BUBBLE_AMP_PX * abs(g[0]) / BUBBLE_GRAD_CLIP
            amp_y = BUBBLE_AMP_PX * abs(g[1]) / BUBBLE_GRAD_CLIP
        for i in range(self.n_bubbles):
            warps.bubble_warp(src, dst, self._bx[i], self._by[i], self._br[i],
                              phx, phy, amp_x, amp_y)
