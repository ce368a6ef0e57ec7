"""The record piece ``qmelody`` publishes when something changes (a note boundary, a command,
a target), declared once: the piece (``synthlearn.pieces.qmelody``) fills it in the audio hook,
its scene (``synthlearn.visuals.scenes.qmelody``) draws it, and the tests draw :func:`example`
records. Arrays are flat, agent-major. Pure (numpy, and the learner's sizes).

Besides the fields, the record the scene draws holds ``commands``: the last lines typed (a list
of strings, read with the record as it is drawn: a line shows as soon as it is typed).
"""

from __future__ import annotations

import numpy as np

from synthlearn.learners.qlearning import MAX_ACTIONS, MAX_STEPS
from synthlearn.snapshot import Snapshot, published_with

AGENTS = 3
CURVE = 128  # episodes of learning curve the scene shows
STEPS, ACTIONS = MAX_STEPS, MAX_ACTIONS  # the width of a row of notes, of actions

FIELDS = dict(
    time_s=1, tempo_bpm=1, progress=1,
    tlen=AGENTS, nact=AGENTS, pos=AGENTS, episodes=AGENTS, reward=AGENTS, correct=AGENTS,
    eps=AGENTS, armed=AGENTS, frozen=AGENTS, practising=AGENTS, copied_from=AGENTS,
    target=(AGENTS * STEPS, np.int64),  # MIDI notes, -1 rests
    pitches=(AGENTS * ACTIONS, np.int64),  # each action's note, -1 the rest
    played=(AGENTS * STEPS, np.int64),  # actions this episode (up to pos)
    greedy=(AGENTS * STEPS, np.int64),  # the greedy actions
    explored=(AGENTS * STEPS, np.int64),  # 1 where the note played explored
    q=AGENTS * STEPS * ACTIONS,  # Q along each agent's greedy path
    curve_reward=AGENTS * CURVE, curve_correct=AGENTS * CURVE,  # rings of episodes
    curve_n=AGENTS,  # episodes written into each ring
)


def layout() -> dict:
    """Every field and its size (or (size, dtype))."""
    return dict(FIELDS)


def rows(record: dict, name: str, width: int) -> np.ndarray:
    """A flat field as (AGENTS, width)."""
    return np.asarray(record[name]).reshape(AGENTS, width)


def q_table(record: dict, k: int) -> np.ndarray:
    """Agent ``k``'s Q values along its greedy path, (STEPS, ACTIONS)."""
    size = STEPS * ACTIONS
    return np.asarray(record["q"][k * size:(k + 1) * size]).reshape(STEPS, ACTIONS)


def example(**values) -> dict:
    """A record as the scene reads it: three agents learning C E G E C, part way (for the
    frame bench and the tests), no commands typed, with ``values`` over that."""
    snapshot = Snapshot(**layout())
    r = snapshot.back()
    melody = [60, 64, 67, 64, 60]
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79, 81, 83, 84]
    rng = np.random.default_rng(1)
    for k in range(AGENTS):
        r["tlen"][k], r["nact"][k], r["pos"][k] = 5, len(scale) + 1, k + 1
        r["episodes"][k], r["reward"][k], r["correct"][k] = 10 + k, 0.2 * k, 0.2 * (k + 1)
        r["eps"][k], r["copied_from"][k] = 0.1, -1
        r["target"][k * STEPS:k * STEPS + 5] = melody
        r["pitches"][k * ACTIONS:(k + 1) * ACTIONS] = -1
        r["pitches"][k * ACTIONS:k * ACTIONS + len(scale)] = scale
        r["played"][k * STEPS:k * STEPS + 5] = [0, 2, 4, 1 + k, 0]
        r["greedy"][k * STEPS:k * STEPS + 5] = [0, 2, 4, 2, 0]
        r["explored"][k * STEPS + 3] = 1
        q = rng.uniform(0.0, 1.0, (STEPS, ACTIONS))
        r["q"][k * STEPS * ACTIONS:(k + 1) * STEPS * ACTIONS] = q.reshape(-1)
        n = 40
        r["curve_reward"][k * CURVE:k * CURVE + n] = np.linspace(-0.3, 0.9, n)
        r["curve_correct"][k * CURVE:k * CURVE + n] = np.linspace(0.0, 1.0, n)
        r["curve_n"][k] = n
    r["tempo_bpm"][0], r["progress"][0] = 120.0, 0.4
    r["copied_from"][1] = 0
    record = published_with(snapshot, {k: v for k, v in values.items() if k != "commands"},
                            "qmelody")
    record["commands"] = list(values.get("commands", ()))
    return record
