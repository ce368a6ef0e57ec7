"""The record piece ``qmelody`` publishes when something changes (a note boundary, a command,
a target), declared once: the piece fills it, its scene (``synthlearn.visuals.scenes.qmelody``)
reads it. Pure (numpy and the learner's sizes). Arrays are flat, agent-major.
"""

from __future__ import annotations

import numpy as np

from synthlearn.learners import _q_kernels as K
from synthlearn.snapshot import Snapshot, published_with

AGENTS = 3
CURVE = 128  # episodes of learning curve the scene shows

FIELDS = dict(
    time_s=1, tempo_bpm=1, progress=1,
    tlen=AGENTS, nact=AGENTS, pos=AGENTS, episodes=AGENTS, reward=AGENTS, correct=AGENTS,
    eps=AGENTS, armed=AGENTS, frozen=AGENTS, practising=AGENTS, copied_from=AGENTS,
    target=(AGENTS * K.MAX_STEPS, np.int64),  # MIDI notes, -1 rests
    pitches=(AGENTS * K.MAX_ACTIONS, np.int64),  # each action's note, -1 the rest
    played=(AGENTS * K.MAX_STEPS, np.int64),  # actions this episode (up to pos)
    greedy=(AGENTS * K.MAX_STEPS, np.int64),  # the greedy actions
    explored=(AGENTS * K.MAX_STEPS, np.int64),  # 1 where the note played explored
    q=AGENTS * K.MAX_STEPS * K.MAX_ACTIONS,  # Q along each agent's greedy path
    curve_reward=AGENTS * CURVE, curve_correct=AGENTS * CURVE,  # rings of episodes
    curve_n=AGENTS,  # episodes written into each ring
)


def rows(record: dict, name: str, width: int) -> np.ndarray:
    """A flat field as (AGENTS, width)."""
    return np.asarray(record[name]).reshape(AGENTS, width)


def example(**values) -> dict:
    """A record as the scene reads it: three agents learning C E G E C, part way (for the
    frame bench and the tests), with ``values`` over that."""
    snapshot = Snapshot(**FIELDS)
    r = snapshot.back()
    melody = [60, 64, 67, 64, 60]
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79, 81, 83, 84]
    rng = np.random.default_rng(1)
    for k in range(AGENTS):
        r["tlen"][k], r["nact"][k], r["pos"][k] = 5, len(scale) + 1, k + 1
        r["episodes"][k], r["reward"][k], r["correct"][k] = 10 + k, 0.2 * k, 0.2 * (k + 1)
        r["eps"][k], r["copied_from"][k] = 0.1, -1
        r["target"][k * K.MAX_STEPS:k * K.MAX_STEPS + 5] = melody
        r["pitches"][k * K.MAX_ACTIONS:(k + 1) * K.MAX_ACTIONS] = -1
        r["pitches"][k * K.MAX_ACTIONS:k * K.MAX_ACTIONS + len(scale)] = scale
        r["played"][k * K.MAX_STEPS:k * K.MAX_STEPS + 5] = [0, 2, 4, 1 + k, 0]
        r["greedy"][k * K.MAX_STEPS:k * K.MAX_STEPS + 5] = [0, 2, 4, 2, 0]
        r["explored"][k * K.MAX_STEPS + 3] = 1
        q = rng.uniform(0.0, 1.0, (K.MAX_STEPS, K.MAX_ACTIONS))
        r["q"][k * K.MAX_STEPS * K.MAX_ACTIONS:(k + 1) * K.MAX_STEPS * K.MAX_ACTIONS] = \
            q.reshape(-1)
        n = 40
        r["curve_reward"][k * CURVE:k * CURVE + n] = np.linspace(-0.3, 0.9, n)
        r["curve_correct"][k * CURVE:k * CURVE + n] = np.linspace(0.0, 1.0, n)
        r["curve_n"][k] = n
    r["tempo_bpm"][0], r["progress"][0] = 120.0, 0.4
    r["copied_from"][1] = 0
    return published_with(snapshot, values, "qmelody")
