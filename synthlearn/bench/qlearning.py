"""How fast qmelody's agents learn (no audio: the learner alone, deterministic).

- ``faithful``: the notebook's whole run replayed (3 agents, 100 episodes each, two rounds of
  learning the neighbour's melody) for seeds 0..N-1: the greedy-correct fraction while
  exploring (episodes 0-50), after (52-99), in the first round and in the last; and each
  agent's first fully correct greedy episode for seed 0 (the original's own seeds: agent2's is
  16 there).
- ``default``: 5-note phrases drawn at random from two octaves of C major, 50 seeds: how many
  reach 90 % greedy-correct notes within 30 episodes, and the median episode they do, for each
  state design (the default, "previous" with the shared position table; and the alternatives),
  and the cost of one note (``play``) and of practice per note.
"""

from __future__ import annotations

import time

import numpy as np

SEEDS_DEFAULT = 50
EPISODES = 30
THRESHOLD = 0.9
C_MAJOR = (60, 62, 64, 65, 67, 69, 71, 72, 74, 76)
DESIGNS = (("previous (default)", {}), ("previous, tabular", {"share": False}),
           ("context", {"state": "context"}), ("position", {"state": "position"}),
           ("previous, stubborn 1/n", {"stubborn": True}),
           ("previous, softmax 0.2", {"temp": 0.2}))


def faithful_figures(seeds: int) -> dict:
    from synthlearn.learners.qlearning import ORIGINAL_MELODIES, replay_original

    rows = []
    firsts = None
    for seed in range(seeds):
        played, greedy = replay_original(seed=seed)
        stats = {"exploring": [], "after": [], "first_round": [], "last_round": []}
        for k in range(3):
            t0, t1, t2 = (np.array(ORIGINAL_MELODIES[(k + r) % 3]) % 12 + 60 for r in range(3))
            stats["exploring"].append((played[k, :51] == t0).mean())
            stats["after"].append((greedy[k, 52:100] == t0).mean())
            stats["first_round"].append((greedy[k, 152:200] == t1).mean())
            stats["last_round"].append((greedy[k, 252:300] == t2).mean())
            if seed == 0:
                firsts = firsts or []
                firsts.append(next((e for e in range(100) if (greedy[k, e] == t0).all()),
                                   None))
        rows.append({key: round(float(np.mean(v)), 3) for key, v in stats.items()})
    mean = {key: round(float(np.mean([r[key] for r in rows])), 3) for key in rows[0]}
    return {"seeds": seeds, "mean": mean, "per_seed": rows,
            "first_perfect_greedy_seed0": firsts}


def default_figures(seeds: int) -> dict:
    from synthlearn.learners.qlearning import QMelody

    rng = np.random.default_rng(2026)
    phrases = [[int(p) for p in rng.choice(C_MAJOR, 5)] for _ in range(seeds)]
    designs = []
    for label, params in DESIGNS:
        reached = []
        for seed, phrase in enumerate(phrases):
            q = QMelody(agents=1, **params).reset(seed=seed)
            q.set_target(0, phrase)
            hit = None
            for e in range(EPISODES):
                for _ in range(5):
                    q.play(0)
                if q.agent(0).correct >= THRESHOLD:
                    hit = e + 1
                    break
            reached.append(hit)
        ok = [e for e in reached if e is not None]
        designs.append({"design": label, "params": params, "reached": len(ok),
                        "of": seeds, "median_episodes": float(np.median(ok)) if ok else None})
    q = QMelody().reset(seed=1)
    for k in range(3):
        q.set_target(k, [60, 64, 67, 72, 76, 79, 84, 79])
    q.play(0)
    q.practice(0, 8)
    n = 20000
    t0 = time.perf_counter()
    for _ in range(n):
        q.play(1)
    play_us = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    q.practice(2, n)
    practice_us = (time.perf_counter() - t0) / n * 1e6
    return {"seeds": seeds, "episodes": EPISODES, "threshold": THRESHOLD, "designs": designs,
            "play_us_per_note": round(play_us, 3),
            "practice_us_per_note": round(practice_us, 3)}


def run(*, quick: bool, say=print) -> dict:
    say("  faithful: the notebook's run over seeds ...")
    faithful = faithful_figures(3 if quick else 10)
    say("  default: 5-note phrases over 50 seeds ...")
    return {"faithful": faithful, "default": default_figures(10 if quick else SEEDS_DEFAULT)}


def table(result: dict) -> list[str]:
    f = result["faithful"]
    m = f["mean"]
    lines = [f"faithful (the notebook replayed, seeds 0..{f['seeds'] - 1}): greedy-correct "
             f"notes while exploring (episodes 0-50, played) {100 * m['exploring']:.0f} %, "
             f"after (52-99) {100 * m['after']:.0f} %, first round {100 * m['first_round']:.0f}"
             f" %, last round {100 * m['last_round']:.0f} %",
             "  first fully correct greedy episode, seed 0 (the original's): agents "
             + ", ".join(str(e) for e in f["first_perfect_greedy_seed0"])]
    d = result["default"]
    lines.append(f"default: 5-note phrases, {d['seeds']} seeds: reached {100 * d['threshold']:.0f}"
                 f" % greedy-correct within {d['episodes']} episodes")
    for row in d["designs"]:
        med = "-" if row["median_episodes"] is None else f"{row['median_episodes']:g}"
        lines.append(f"  {row['design']:<26} {row['reached']:>3} of {row['of']}   median "
                     f"episodes {med}")
    lines.append(f"one note (play): {d['play_us_per_note']:.2f} us; practice: "
                 f"{d['practice_us_per_note']:.2f} us a note")
    return lines
