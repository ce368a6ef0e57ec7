"""How long an ldd frame takes to draw: the heavy parts with learners still moving.

Cases (each on a fresh scene, the test pattern as video, all gradients about 0.05):

- ``part3_split``: knots over the video with the RGB split (default mode);
- ``part3_split_faithful``: the same with the original's alpha-composited split;
- ``part4_bubbles``: the cubic (a new fit every frame, so the trail is stamped every frame) over
  the video with ``bubbles`` live bubbles;
- ``stress``: part 4 with the split forced on as well (``snap["split"] = 1``).

``frame_time`` reports the worst case by p99 at the top level (``fps_possible`` = 1000 / p99 ms,
the rate the scene can hold without dropping frames) and every case under ``cases``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from synthlearn.visuals.records.ldd import example
from synthlearn.visuals.scenes.ldd import LddScene

FPS = 60.0


_BASE = example()  # the piece's record, declared once in synthlearn.visuals.records.ldd


def _snapshot(part: float, i: int, *, bubbles: int, split: bool) -> dict:
    target = np.array([1.2, -0.4, -1.0, 0.3])
    knot_target = np.array([0.4, 1.1, 2.0])
    settle = 1.0 - 0.95 ** (i + 1)  # still moving after hundreds of frames
    g = 0.05 * (1.0 + 0.1 * np.sin(0.1 * i))
    return {**_BASE, "time_s": i / FPS, "part": part, "faithful": 0.0,
            "cubic_target": target, "cubic_theta": target * settle,
            "knot_freq": np.array([3.0, 4.0, 7.0]), "knot_target": knot_target,
            "knot_phase": knot_target * settle, "grad": np.full(4, g), "loss": 0.01,
            "bubbles_added": float(bubbles), "bubbles_cleared": 0.0, "split": float(split)}


def _run(width: int, height: int, frames: int, part: float, *, bubbles: int, split: bool,
         faithful: bool, warm: bool) -> dict:
    scene = LddScene(width, height, FPS, seed=0)
    try:
        if warm:
            scene.warm()
        for i in range(frames):
            snap = _snapshot(part, i, bubbles=bubbles, split=split)
            snap["faithful"] = float(faithful)
            scene.draw(snap)
        ms = scene.frame_times() * 1e3
    finally:
        scene.close()
    p50, p99 = float(np.percentile(ms, 50)), float(np.percentile(ms, 99))
    return {"p50_ms": p50, "p99_ms": p99, "fps_possible": 1000.0 / p99}


def frame_time(width: int = 1280, height: int = 720, frames: int = 120, bubbles: int = 6,
               split: bool = True) -> dict:
    """Frame draw times (ms) of the ldd scene at ``width`` x ``height``; see the module doc.

    ``split=False`` leaves out the cases with the RGB split (parts 3 and the stress case).
    """
    plan = {"part4_bubbles": (4.0, bubbles, False, False)}
    if split:
        plan = {"part3_split": (3.0, 0, False, False),
                "part3_split_faithful": (3.0, 0, False, True),
                **plan,
                "stress": (4.0, bubbles, True, False)}
    cases = {}
    for n, (name, (part, nb, force_split, faithful)) in enumerate(plan.items()):
        cases[name] = _run(width, height, frames, part, bubbles=nb, split=force_split,
                           faithful=faithful, warm=n == 0)
    worst = max(cases, key=lambda k: cases[k]["p99_ms"])
    return {**cases[worst], "worst": worst, "width": width, "height": height, "frames": frames,
            "bubbles": bubbles, "cases": cases}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--bubbles", type=int, default=6)
    args = ap.parse_args(argv)
    print(json.dumps(frame_time(args.width, args.height, args.frames, args.bubbles), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
