"""What qmelody publishes: the record its scene draws, and what an autosave keeps.

- The scene's record (``synthlearn.visuals.records.qmelody``), filled at a block's end
  when something changed (:func:`publish`), and read with the last commands typed
  (:class:`Shown`): the scene draws it and never holds the piece.
- The learned state (:func:`layout`, :func:`capture`, :func:`restore`): the learner's whole
  state, the settings, the agents' rhythms and the teacher's phrase, and what the show is
  doing (:func:`shown_arrays`: each agent's place and note, the curves, the settings the
  performer set, on the piece's own clock), so a piece switched away from and back, or
  resumed, goes on where it was. Field names are a saved session's: they do not change.
"""

from __future__ import annotations

import numpy as np

from synthlearn.learners.qlearning import MAX_STEPS
from synthlearn.visuals.records import qmelody as record

LEARNED = ("durs", "learnable", "nsteps", "armed", "frozen", "cc_map", "teacher_phrase")
SETTINGS = 5  # tempo, breath, teacher, ring, rounds left


def shown_arrays(piece) -> dict[str, np.ndarray]:
    """The arrays of what the show is doing, by saved name (made once, when the piece is made:
    the hook copies them without making names; restored in place)."""
    return {"next_smp": piece._next_smp, "tstep": piece._tstep,
            "practice_left": piece._practice_left, "sounding": piece.sound.sounding,
            "curve": piece._curve, "curve_n": piece._curve_n, "explored": piece._explored,
            "last_copy": piece._last_copy, "since_ring": piece._since_ring,
            "agent_settings": piece.agent_settings}


# -- the scene's record -------------------------------------------------------------------

def publish(piece) -> None:
    """Fill the back buffer of ``piece.snapshot`` and publish it (audio thread: nothing
    allocated once each buffer's Q views are made)."""
    piece._dirty = False
    s = piece.snapshot.back()
    q = piece.learner
    s["time_s"][0] = piece._now_smp / piece._sr
    s["tempo_bpm"][0] = piece.tempo_bpm
    s["progress"][0] = piece.sound.progress
    for k in range(record.AGENTS):
        agent = q.agent(k)
        s["tlen"][k] = agent.length
        s["nact"][k] = agent.actions
        s["pos"][k] = agent.position
        s["episodes"][k] = agent.episodes
        s["reward"][k] = agent.reward
        s["correct"][k] = agent.correct
        s["eps"][k] = agent.eps
        s["armed"][k] = piece.armed[k]
        s["frozen"][k] = agent.frozen
        s["practising"][k] = piece._practice_left[k]
        s["copied_from"][k] = piece._last_copy[k]
        s["curve_n"][k] = piece._curve_n[k]
    _flat(s["target"], q.target_pitch_)
    _flat(s["pitches"], q.pitches_)
    _flat(s["played"], q.played_)
    _flat(s["greedy"], q.greedy_)
    _flat(s["explored"], piece._explored)
    _flat(s["curve_reward"], piece._curve[0])
    _flat(s["curve_correct"], piece._curve[1])
    which = piece.snapshot.back_index
    views = piece._q_views[which]
    if views is None:  # made once per buffer: publishing allocates nothing after
        views = piece._q_views[which] = [record.q_table(s, k) for k in range(record.AGENTS)]
    for k in range(record.AGENTS):
        q.q_path(k, views[k])
    piece.snapshot.publish()


def _flat(field: np.ndarray, array: np.ndarray) -> None:
    """Copy ``array`` into a flat snapshot field, element for element."""
    field.reshape(array.shape)[...] = array


class Shown:
    """What the scene draws, for ``SnapshotView``: ``read()`` is the last published record
    with the commands typed last (``commands``), from any thread. It holds the record and the
    lines, never the piece."""

    def __init__(self, snapshot, recent):
        self._snapshot, self._recent = snapshot, recent

    def read(self) -> dict:
        return {**self._snapshot.read(), "commands": list(self._recent)}


# -- what is learned, for the autosave -----------------------------------------------------

def layout(piece) -> dict:
    """The learner's whole state (Q tables, visits, generators...), the settings, the agents'
    rhythms and the teacher's phrase, then what the show is doing."""
    return {**piece.learner.state_layout("q"), "settings": SETTINGS,
            **{name: (getattr(piece, name).shape, getattr(piece, name).dtype)
               for name in LEARNED},
            "teacher_steps": (1, np.int64),
            # what the show is doing, on the piece's own clock
            "clock_smp": (1, np.int64), "teacher_play": 3, "progress": 2,
            **{key: (array.shape, array.dtype) for key, array in piece._shown.items()}}


def capture(piece, out: dict[str, np.ndarray]) -> None:
    """Copy the state into ``out`` (audio thread: element stores and copies only)."""
    piece.learner.capture(out, "q")
    settings = out["settings"]
    settings[0], settings[1] = piece.tempo_bpm, piece.breath_grid
    settings[2], settings[3] = piece.teacher, piece.ring_every
    settings[4] = piece.rounds_left
    for name in LEARNED:
        np.copyto(out[name], getattr(piece, name))
    out["teacher_steps"][0] = piece.teacher_steps
    out["clock_smp"][0] = piece._clock_smp
    play = out["teacher_play"]
    play[0], play[1], play[2] = (piece._teacher_next_smp, piece._teacher_step,
                                 piece.sound.teacher_note)
    out["progress"][0], out["progress"][1] = piece.sound.progress, piece.sound.progress_goal
    for key, array in piece._shown.items():
        np.copyto(out[key], array)


def restore(piece, state: dict[str, np.ndarray]) -> None:
    """Take back a state :func:`capture` wrote (before ``build``); a bad one raises
    ValueError."""
    piece.learner.restore(state, "q")
    tempo, breath, teacher, ring, rounds = (float(x) for x in state["settings"])
    if not 20.0 <= tempo <= 300.0:
        raise ValueError(f"tempo {tempo} out of range")
    piece.tempo_bpm, piece.breath_grid = tempo, breath
    piece.teacher, piece.ring_every, piece.rounds_left = bool(teacher), int(ring), int(rounds)
    for name in LEARNED:
        target = getattr(piece, name)
        target[:] = np.asarray(state[name]).reshape(target.shape).astype(target.dtype)
    piece.teacher_steps = int(np.asarray(state["teacher_steps"]).reshape(-1)[0])
    piece._tstep[:] = 0
    piece._given[:] = piece.nsteps > 0
    if "clock_smp" in state:  # saved since the show's own state was kept
        _restore_shown(piece, state)


def _restore_shown(piece, state: dict[str, np.ndarray]) -> None:
    """Where the show was: the clock, each agent's place and note, the teacher, the drone,
    the curves and the settings (checked: a bad file is one error, not a later crash)."""
    for key, target in piece._shown.items():
        source = np.asarray(state[key])
        if source.size != target.size:
            raise ValueError(f"{key}: {source.size} values saved, {target.size} expected")
        target[:] = source.reshape(target.shape).astype(target.dtype)
    if ((piece._tstep < 0) | (piece._tstep >= MAX_STEPS)).any() or \
            (piece.sound.sounding > 127).any():
        raise ValueError("an agent's place in its phrase is out of range")
    piece._clock_smp = int(np.asarray(state["clock_smp"]).reshape(-1)[0])
    next_smp, step, note = (float(x) for x in np.asarray(state["teacher_play"]))
    piece._teacher_next_smp, piece._teacher_step = next_smp, int(step)
    piece.sound.teacher_note = int(note)
    sound = piece.sound
    sound.progress, sound.progress_goal = (float(x) for x in np.asarray(state["progress"]))
    piece._now_smp = piece._clock_smp
