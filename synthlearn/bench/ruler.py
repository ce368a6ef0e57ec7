"""RuLer on the author's user tests: how long learning takes, and whether the rules are the
expected ones.

Each of the four listening tests of 2017 (``blip-ivan``, ``blip-german``, ``blip-michael``,
``blip-julia``: Iván Paz's public repository, read from ``../shared/data/ruler`` or
``$SYNTHLEARN_SHARED_DATA/ruler``; without them the section says so and skips) learned at
distance 2 and 3, consistency 0.2 and 0.5: the rules found (checked against the counts the
learner has always found), and the learning's seconds (the median of three fits; a fit over
5 s once). Quick: one fit each, and consistency 0.2 at distance 3 only (julia's take
seconds; distance 3 is the target's). The learner's kernels are warmed first:
compiling is the start-up's figure, not this one's.
"""

from __future__ import annotations

import time

import numpy as np

USER_TESTS = ("blip-ivan", "blip-german", "blip-michael", "blip-julia")
CASES = ((2, 0.2), (2, 0.5), (3, 0.2), (3, 0.5))
# The rules each case has always made (synthlearn's learner since it was written, the README's
# table): a change here is a change of what is learned, not of speed.
EXPECTED = {
    ("blip-ivan", 2, 0.2): 688, ("blip-ivan", 2, 0.5): 157, ("blip-ivan", 3, 0.2): 1909,
    ("blip-ivan", 3, 0.5): 69, ("blip-german", 2, 0.2): 1782, ("blip-german", 2, 0.5): 85,
    ("blip-german", 3, 0.2): 2597, ("blip-german", 3, 0.5): 85, ("blip-michael", 2, 0.2): 82,
    ("blip-michael", 2, 0.5): 76, ("blip-michael", 3, 0.2): 1970, ("blip-michael", 3, 0.5): 61,
    ("blip-julia", 2, 0.2): 7193, ("blip-julia", 2, 0.5): 97, ("blip-julia", 3, 0.2): 7193,
    ("blip-julia", 3, 0.5): 97,
}
SLOW_S = 5.0  # a case slower than this is timed once


def run(*, quick: bool, say=print) -> dict:
    from synthlearn.bench.retrain import data_path
    from synthlearn.learners.presets import read_presets
    from synthlearn.learners.ruler import RuLer

    found = data_path()
    if found is None:
        return {"skipped": "the author's user tests are not here (../shared/data/ruler, or set "
                           "SYNTHLEARN_SHARED_DATA)"}
    folder = found.parent
    RuLer().reset().warm()
    rows = []
    for name in USER_TESTS:
        presets = read_presets(folder / f"{name}.csv")
        for distance, consistency in CASES:
            if quick and consistency == 0.2 and distance != 3:
                continue
            times, rules = [], None
            for _ in range(1 if quick else 3):
                learner = RuLer(distance=distance, consistency=consistency, time_s=3600.0)
                t0 = time.perf_counter()
                rules = len(learner.fit(presets).rules)
                times.append(time.perf_counter() - t0)
                if times[-1] > SLOW_S:
                    break
            expected = EXPECTED.get((name, distance, consistency))
            rows.append({"test": name, "presets": len(presets), "distance": distance,
                         "consistency": consistency, "rules": rules, "expected": expected,
                         "same": expected is None or rules == expected,
                         "seconds": round(float(np.median(times)), 4), "fits": len(times)})
            say(f"  {name} d{distance}/c{consistency}: {rules:,} rules in "
                f"{rows[-1]['seconds']:.3f} s")
    return {"rows": rows}


def seconds_of(result: dict, test: str, distance: int, consistency: float) -> float | None:
    for row in result.get("rows", []):
        if (row["test"], row["distance"], row["consistency"]) == (test, distance, consistency):
            return row["seconds"]
    return None


def table(result: dict) -> list[str]:
    if "skipped" in result:
        return [f"skipped: {result['skipped']}"]
    lines = [f"{'user test':<14} {'presets':>7} {'d':>2} {'c':>4} {'rules':>7} {'seconds':>9}"
             "  rules as always"]
    for r in result["rows"]:
        lines.append(f"{r['test']:<14} {r['presets']:>7} {r['distance']:>2} "
                     f"{r['consistency']:>4} {r['rules']:>7,} {r['seconds']:>9.3f}  "
                     + ("yes" if r["same"] else f"NO (expected {r['expected']:,})"))
    return lines
