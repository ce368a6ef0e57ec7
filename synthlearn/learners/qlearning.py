"""Q-learning agents that learn a melody by trial and error (piece ``qmelody``).

Each agent is given a target phrase (notes and rests) and plays it again and again, one episode
per pass; at each step it chooses a note, is rewarded by how close it came, and learns. All the
agents of a learner live in preallocated arrays; :meth:`QMelody.play` is one numba call per
note, so the audio hook calls it at each note boundary.

Two kinds of agent:

- **default** — the state is the position in the phrase and the agent's own previous note
  (``state="previous"``; or ``"context"``, the target's two preceding notes; or
  ``"position"``); actions are the notes of a scale over two octaves and a rest; reward +1 for
  the exact note, else exp(-semitones / sharpness) - penalty (a note against a rest: -penalty);
  a constant step ``alpha`` (or 1/n: ``stubborn``), a real discount ``gamma``, ε-greedy with
  exponential decay to a floor, or softmax at temperature ``temp`` when it is above 0. Q is a
  table per position that every context shares plus a table per state (measured: with the
  previous note in the state, a table alone learned a 5-note phrase in 30 episodes for 10 of
  50 seeds; shared, 49 of 50: ``synthlearn bench --only qlearning``).
- **faithful** — the hackathon notebook's agent, draw for draw: 12 notes (MIDI 60-71), state
  the target's two preceding notes (the melody loops), Q and visit counts starting at 1, step
  1/n, TD target r + clip(max Q(s'), 0, γ) with γ = 1, reward exp(-|d|/12) then 1/0, ε = 1 for
  the first 51 episodes of a target then 0.01, Q updated once per episode. Agent k is seeded
  ``seed + k`` on a generator stepped as numpy's legacy RandomState, so seed 0 replays the
  original's first 100 episodes of each agent exactly.

Default agents are seeded with child seeds of ``numpy.random.SeedSequence(seed)``
(:func:`agent_seeds`): with ``seed + k``, agent a1 at seed 0 played agent a0's stream at seed 1.

What others read (the kernels' packed arrays and their column numbers are the learner's own):
:meth:`QMelody.agent` (an :class:`Agent`: episodes, reward, correct, position, eps, ... by
name), the :class:`Outcome` :meth:`QMelody.play` returns, ``hyperparameter``, ``scale_of``,
``greedy_pitches``, ``q_path``, ``episodes``, and the learned arrays of one meaning each:
``target_pitch_`` (agents, MAX_STEPS) the target's MIDI notes (-1 rests), ``tlen_`` its length,
``pitches_`` (agents, MAX_ACTIONS) each action's note (-1 the rest), ``nact_`` the actions,
``played_`` and ``greedy_`` (agents, MAX_STEPS) the actions played this episode and the greedy
ones, ``U_``/``W_``/``visits_`` the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synthlearn.errors import UserError
from synthlearn.learners import _q_kernels as K
from synthlearn.learners.base import Learner, finite, positive, whole
from synthlearn.mappings import scales

MAX_STEPS = K.MAX_STEPS  # notes and rests in a target phrase
MAX_ACTIONS = K.MAX_ACTIONS  # notes an agent chooses from (two octaves and the top note), a rest
STATES = {"previous": K.STATE_PREVIOUS, "context": K.STATE_CONTEXT,
          "position": K.STATE_POSITION}
HYPERPARAMETERS = {"eps": K.HP_EPS, "decay": K.HP_DECAY, "floor": K.HP_FLOOR,
                   "alpha": K.HP_ALPHA, "gamma": K.HP_GAMMA, "temp": K.HP_TEMP,
                   "sharpness": K.HP_SHARP, "penalty": K.HP_PENALTY}
MAX_AGENTS = 8
LOG_ROWS = 4096  # finished episodes kept until someone reads them
FAITHFUL_LOW = 60  # the original's lowest note: actions are MIDI 60 + 0..11
FAITHFUL_ACTIONS = 12
FAITHFUL_EXPLORE_EPISODES = 51
Q_INIT = 1.0  # default agents: every note looks as good as a right one until tried


@dataclass
class Placement:
    """An agent's actions and target, worked out to be copied in at once (``QMelody.apply``)."""

    new_target: bool
    scale: np.ndarray  # (4,) int64: chosen scale and root, then the one fitted for auto
    pitches: np.ndarray  # (MAX_ACTIONS,) int64: MIDI note of each action, -1 for the rest
    nact: int
    tlen: int = 0
    target: np.ndarray = field(default_factory=lambda: np.zeros(K.MAX_STEPS, np.int64))
    target_pitch: np.ndarray = field(
        default_factory=lambda: np.full(K.MAX_STEPS, -1, np.int64))


def _effective(row) -> tuple[str, int]:
    """(scale, root) of a ``scale_`` row: the chosen one, or the fitted one for auto."""
    chosen = scales.NAMES[int(row[0])]
    if chosen == scales.AUTO:
        return scales.NAMES[int(row[2])], int(row[3])
    return chosen, int(row[1])


def agent_seeds(seed: int, agents: int, *, faithful: bool = False) -> list[int]:
    """The 32-bit seed of each agent's generator. Faithful agents: the notebook's ``seed + k``
    (so seed 0 replays it). Default agents: one child of ``SeedSequence(seed)`` each, so no
    agent shares another seed's stream (with ``seed + k``, a1 at seed 0 was a0 at seed 1)."""
    if faithful:
        return [(int(seed) + k) & 0xFFFFFFFF for k in range(agents)]
    children = np.random.SeedSequence(int(seed) % (1 << 64)).spawn(agents)
    return [int(child.generate_state(1)[0]) for child in children]


class LegacyStream:
    """An agent's generator on its own: MT19937 stepped as numpy's legacy ``RandomState``
    (``random()``, ``randint(0, n)``), the draws that let faithful agents replay the notebook.
    For checks against numpy; the agents draw from theirs inside the kernels."""

    def __init__(self, seed: int):
        self.state = np.zeros(K.MT_WORDS, np.uint64)
        K.mt_seed(self.state, int(seed) & 0xFFFFFFFF)

    def random(self) -> float:
        """A float in [0, 1), 53 random bits (``random_sample()``)."""
        return float(K.mt_double(self.state))

    def below(self, n: int) -> int:
        """A uniform integer in [0, n) (``randint(0, n)``; no draw when n is 1)."""
        return int(K.mt_below(self.state, n))


def _flag(value) -> bool:
    return bool(value != 0.0)


def _row_field(array: str, column: int | None, convert, doc: str) -> property:
    """An :class:`Agent`'s number by name: row ``index`` of the learner's array ``array`` (at
    ``column``, for a two-dimensional one), as ``convert`` makes it (no new object but it)."""
    if column is None:
        def get(agent):
            return convert(getattr(agent._q, array)[agent.index])
    else:
        def get(agent):
            return convert(getattr(agent._q, array)[agent.index, column])
    return property(get, doc=doc)


def _out_field(column: int, convert, doc: str) -> property:
    """An :class:`Outcome`'s number by name: slot ``column`` of the learner's ``out_``."""

    def get(outcome):
        return convert(outcome._q.out_[column])

    return property(get, doc=doc)


class Agent:
    """Agent ``index`` of a :class:`QMelody`, read by name. Made once per agent when the learner
    is reset: :meth:`QMelody.agent` hands it out, so reading a number (what the audio hook
    does at every note) makes no new object but the number."""

    __slots__ = ("_q", "index")

    def __init__(self, learner: QMelody, index: int):
        self._q, self.index = learner, index

    position = _row_field("ag_", K.AG_POS, int,
                          "The step of its phrase it plays next (0: an episode starts).")
    episodes = _row_field("ag_", K.AG_EPISODES, int,
                          "Episodes finished since it last forgot (any target).")
    target_episodes = _row_field("ag_", K.AG_TARGET_EPISODES, int,
                                 "Episodes finished of the target it learns now.")
    reward = _row_field("ag_", K.AG_LAST_REWARD, float,
                        "Mean reward per note of its last episode.")
    correct = _row_field("ag_", K.AG_LAST_CORRECT, float, "Fraction of its target its greedy "
                         "notes got right after its last episode.")
    td = _row_field("ag_", K.AG_LAST_TD, float, "The TD error of its last note (faithful: the "
                    "episode's largest, at its end).")
    notes_played = _row_field("ag_", K.AG_STEPS, int,
                              "Notes it has played and learned from (practice included).")
    eps = _row_field("hp_", K.HP_EPS, float, "Its exploration rate now (it decays as it learns).")
    frozen = _row_field("hp_", K.HP_FROZEN, _flag, "It plays its greedy notes and learns nothing.")
    stubborn = _row_field("hp_", K.HP_STUBBORN, _flag, "Its steps are 1/n (visits), not ``alpha``.")
    length = _row_field("tlen_", None, int, "Steps (notes and rests) of its target; 0: it has "
                        "none.")
    actions = _row_field("nact_", None, int, "How many notes (and the rest) it chooses from.")

    @property
    def target(self) -> np.ndarray:
        """Its target's MIDI notes, -1 for rests (a view: not for the audio thread)."""
        return self._q.target_pitch_[self.index, :self._q.tlen_[self.index]]


class Outcome:
    """What the note an agent just played did, read by name: :meth:`QMelody.play` returns the
    learner's one outcome, which the next note overwrites."""

    __slots__ = ("_q",)

    def __init__(self, learner: QMelody):
        self._q = learner

    action = _out_field(K.OUT_ACTION, int, "The action it played (``QMelody.pitch_of`` gives "
                        "its note).")
    explored = _out_field(K.OUT_EXPLORED, _flag, "It played other than its greedy action.")
    reward = _out_field(K.OUT_REWARD, float, "The reward of that note.")
    td = _out_field(K.OUT_TD, float, "The TD error it learned from (faithful: the episode's "
                    "largest, at its end).")
    episode_done = _out_field(K.OUT_EPISODE_DONE, _flag, "The note ended an episode (the "
                              "agent's counts and curves moved).")
    greedy = _out_field(K.OUT_GREEDY, int, "The action it held best at that step.")

    def astuple(self) -> tuple[int, bool, float, float, bool, int]:
        """(action, explored, reward, td, episode_done, greedy)."""
        return (self.action, self.explored, self.reward, self.td, self.episode_done,
                self.greedy)


class QMelody(Learner):
    kind = "qmelody"
    STATE_NUMBERS = ("seed_",)
    STATE_ARRAYS = ("_rng_state", "mt_", "hp_", "ag_", "U_", "W_", "visits_", "target_",
                    "target_pitch_", "tlen_", "pitches_", "nact_", "played_", "greedy_",
                    "trans_", "scale_")

    def __init__(self, *, agents: int = 3, faithful: bool = False, state: str = "previous",
                 scale: str = "auto", alpha: float = 0.5, gamma: float = 0.5, eps: float = 0.1,
                 decay: float = 0.9, floor: float = 0.01, temp: float = 0.0,
                 sharpness: float = 2.0, penalty: float = 0.5, stubborn: bool = False,
                 share: bool = True):
        super().__init__()
        self.agents = agents
        self.faithful = faithful
        self.state = state
        self.scale = scale
        self.alpha = alpha
        self.gamma = gamma
        self.eps = eps
        self.decay = decay
        self.floor = floor
        self.temp = temp
        self.sharpness = sharpness
        self.penalty = penalty
        self.stubborn = stubborn
        self.share = share

    # -- life cycle -------------------------------------------------------------------------
    def validate(self) -> None:
        whole(self, "agents", 1, MAX_AGENTS)
        if self.state not in STATES:
            raise UserError(f"qmelody: state {self.state!r} must be one of "
                            + ", ".join(STATES))
        if self.scale not in scales.NAMES:
            raise UserError(f"qmelody: scale {self.scale!r} must be one of "
                            + ", ".join(scales.NAMES))
        for name in ("alpha", "gamma", "eps", "decay", "floor"):
            value = finite(self, name)
            if not 0.0 <= value <= 1.0:
                raise UserError(f"qmelody: {name} {value!r} must be within 0..1")
        if finite(self, "temp") < 0:
            raise UserError(f"qmelody: temp {self.temp!r} must be 0 (ε-greedy) or more")
        positive(self, "sharpness")
        if finite(self, "penalty") < 0:
            raise UserError(f"qmelody: penalty {self.penalty!r} must be 0 or more")

    @property
    def design(self) -> int:
        return K.STATE_CONTEXT if self.faithful else STATES[self.state]

    @property
    def shared(self) -> bool:
        return bool(self.share) and not self.faithful

    def _allocate(self) -> None:
        n = self.agents
        self.seed_ = 0
        self.mt_ = np.zeros((n, K.MT_WORDS), np.uint64)
        self.hp_ = np.zeros((n, K.N_HP), np.float64)
        self.ag_ = np.zeros((n, K.N_AG), np.float64)
        self.U_ = np.zeros((n, K.MAX_STATES, K.MAX_ACTIONS), np.float64)
        self.W_ = np.zeros((n, K.MAX_STEPS, K.MAX_ACTIONS), np.float64)
        self.visits_ = np.zeros((n, K.MAX_STATES, K.MAX_ACTIONS), np.float64)
        self.target_ = np.zeros((n, K.MAX_STEPS), np.int64)
        self.target_pitch_ = np.full((n, K.MAX_STEPS), -1, np.int64)
        self.tlen_ = np.zeros(n, np.int64)
        self.pitches_ = np.full((n, K.MAX_ACTIONS), -1, np.int64)
        self.nact_ = np.zeros(n, np.int64)
        self.played_ = np.zeros((n, K.MAX_STEPS), np.int64)
        self.greedy_ = np.zeros((n, K.MAX_STEPS), np.int64)
        self.trans_ = np.zeros((n, K.MAX_STEPS, 4), np.float64)
        self.log_ = np.zeros((LOG_ROWS, 5), np.float64)
        self.log_count_ = np.zeros(1, np.int64)
        # chosen (scale index in scales.NAMES, root pc), then the one fitted when chosen is auto
        self.scale_ = np.zeros((n, 4), np.int64)
        self.out_ = np.zeros(K.N_OUT, np.float64)
        self._agents = tuple(Agent(self, k) for k in range(n))
        self._outcome = Outcome(self)
        self._rollout = np.zeros(K.MAX_STEPS, np.int64)
        self._read = 0  # episodes handed out by episodes()
        self._scratch = {name: getattr(self, name).copy()
                         for name in ("target_", "target_pitch_", "tlen_")}

    def _start(self) -> None:
        self.seed_ = int(self._rng_state[0])
        for k in range(self.agents):
            self.forget(k)
        self._seed_agents()

    def _seed_agents(self) -> None:
        for k, seed in enumerate(agent_seeds(self.seed_, self.agents, faithful=self.faithful)):
            K.mt_seed(self.mt_[k], seed)

    def forget(self, k: int) -> None:
        """Agent ``k`` starts again from nothing learned (its target and scale stay)."""
        self._check_agent(k)
        hp = self.hp_[k]
        hp[:] = 0.0
        hp[K.HP_DECAY], hp[K.HP_FLOOR] = self.decay, self.floor
        hp[K.HP_TEMP], hp[K.HP_SHARP] = self.temp, self.sharpness
        hp[K.HP_PENALTY] = self.penalty
        ag = self.ag_[k]
        ag[:] = 0.0
        ag[K.AG_PREV] = K.START
        self.W_[k] = 0.0
        if self.faithful:
            hp[K.HP_EPS], hp[K.HP_ALPHA], hp[K.HP_GAMMA] = 1.0, self.alpha, 1.0
            hp[K.HP_STUBBORN] = 1.0
            ag[K.AG_DISTANCE] = 1.0
            self.U_[k] = 1.0
            self.visits_[k] = 1.0
            self.nact_[k] = FAITHFUL_ACTIONS
            self.pitches_[k, :FAITHFUL_ACTIONS] = np.arange(FAITHFUL_LOW,
                                                            FAITHFUL_LOW + FAITHFUL_ACTIONS)
        else:
            hp[K.HP_EPS], hp[K.HP_ALPHA], hp[K.HP_GAMMA] = self.eps, self.alpha, self.gamma
            hp[K.HP_STUBBORN] = float(bool(self.stubborn))
            if self.shared:
                self.U_[k] = 0.0
                self.W_[k] = Q_INIT
            else:
                self.U_[k] = Q_INIT
            self.visits_[k] = 0.0
            if self.tlen_[k] == 0:  # C major from middle C until a target says otherwise
                self.scale_[k] = (scales.NAMES.index(self.scale), 0,
                                  scales.NAMES.index("major"), 0)
                place = Placement(new_target=False, scale=self.scale_[k].copy(),
                                  pitches=self.pitches_[k].copy(), nact=0)
                self._place(place, [])
                self.apply(k, place)

    def reseed(self, seed: int) -> None:
        """Every agent's generator from ``seed`` (:func:`agent_seeds`); nothing learned is
        lost."""
        self.seed_ = int(seed)
        self._seed_agents()

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], prefix: str = "q") -> QMelody:
        """A learner holding a state :meth:`capture` wrote under ``prefix`` (a saved
        session's ``q_*`` fields), to read it by name (allocates: not for the audio thread)."""
        q = cls(agents=int(np.asarray(state[f"{prefix}_tlen"]).size)).reset()
        q.restore(state, prefix)
        return q

    def _exercise(self, twin) -> None:
        twin.set_target(0, [60, 64, -1, 67])
        for _ in range(5):
            twin.play(0)
        twin.practice(0, 6)
        twin.greedy_pitches(0)
        twin.episodes()

    # -- targets and scales -----------------------------------------------------------------
    # A new target or scale is worked out by ``prepare_*`` (any thread: Python, lists) into a
    # :class:`Placement`, which ``apply`` copies into the agent's arrays (the audio thread:
    # row copies only).
    def _check_agent(self, k: int) -> None:
        if not 0 <= k < self.agents:
            raise UserError(f"no agent a{k}; this performance has a0..a{self.agents - 1}")

    def scale_of(self, k: int) -> tuple[str, int]:
        """(scale, root pitch class) agent ``k`` plays now (``auto``: the one fitted)."""
        return _effective(self.scale_[k])

    def prepare_target(self, k: int, pitches) -> Placement:
        """Agent ``k`` learning the phrase ``pitches`` (MIDI notes, -1 for a rest), worked
        out; nothing changes until :meth:`apply`."""
        self._check_agent(k)
        notes = [int(p) for p in pitches]
        if not 1 <= len(notes) <= K.MAX_STEPS:
            raise UserError(f"a target phrase holds 1 to {K.MAX_STEPS} notes and rests, "
                            f"not {len(notes)}")
        if any(not -1 <= p <= 127 for p in notes) or all(p < 0 for p in notes):
            raise UserError("a target phrase needs MIDI notes 0..127 (and -1 for rests)")
        place = Placement(new_target=True, scale=self.scale_[k].copy(),
                          pitches=self.pitches_[k].copy(), nact=int(self.nact_[k]))
        if self.faithful:
            notes = [p for p in notes if p >= 0]  # the original learns notes only
            place.target[:len(notes)] = [p % 12 for p in notes]
            place.target_pitch[:len(notes)] = [FAITHFUL_LOW + p % 12 for p in notes]
            place.tlen = len(notes)
            return place
        if place.scale[0] == scales.NAMES.index(scales.AUTO):
            name, root = scales.fit(notes)
            place.scale[2:] = (scales.NAMES.index(name), root)
        self._place(place, notes)
        return place

    def prepare_scale(self, name: str, root: int | None = None) -> list[Placement]:
        """Every agent playing scale ``name`` (on ``root``, a pitch class; default: the root
        each agent plays on now), worked out; ``auto`` fits one to each target. What was
        learned stays where it was: the same degrees, in the new scale."""
        if self.faithful:
            raise UserError("faithful agents play the original's 12 notes, MIDI 60-71")
        if name not in scales.NAMES:
            raise UserError(f"scale {name!r} must be one of " + ", ".join(scales.NAMES))
        out = []
        for k in range(self.agents):
            place = Placement(new_target=False, scale=self.scale_[k].copy(),
                              pitches=self.pitches_[k].copy(), nact=int(self.nact_[k]))
            place.scale[0] = scales.NAMES.index(name)
            place.scale[1] = _effective(self.scale_[k])[1] if root is None else int(root) % 12
            notes = [int(p) for p in self.target_pitch_[k, :self.tlen_[k]]]
            if name == scales.AUTO and notes:
                fitted, fitted_root = scales.fit(notes)
                place.scale[2:] = (scales.NAMES.index(fitted), fitted_root)
            self._place(place, notes)
            out.append(place)
        return out

    def _place(self, place: Placement, notes: list[int]) -> None:
        """The actions (the scale over two octaves from the lowest note, then a rest, pitch
        -1) and the target as the nearest actions, into ``place``."""
        heard = [p for p in notes if p >= 0]
        name, root = _effective(place.scale)
        window = scales.window(name, root, min(heard) if heard else 60,
                               max(heard) if heard else None)
        place.pitches[:] = -1
        place.pitches[:len(window)] = window
        place.nact = len(window) + 1
        place.tlen = len(notes)
        place.target_pitch[:len(notes)] = notes
        notes_only = place.pitches[:len(window)]
        place.target[:len(notes)] = [
            place.nact - 1 if p < 0 else int(np.argmin(np.abs(notes_only - p))) for p in notes]

    def apply(self, k: int, place: Placement) -> None:
        """Take a prepared target or scale (row copies: the audio thread may call it)."""
        self.scale_[k] = place.scale
        self.pitches_[k] = place.pitches
        self.nact_[k] = place.nact
        self.target_[k] = place.target
        self.target_pitch_[k] = place.target_pitch
        if place.new_target:
            self.tlen_[k] = place.tlen
            self.ag_[k, K.AG_POS] = 0.0
            self.ag_[k, K.AG_PREV] = K.START
            self.ag_[k, K.AG_REWARD_SUM] = 0.0
            self.ag_[k, K.AG_TARGET_EPISODES] = 0.0

    def set_target(self, k: int, pitches) -> None:
        """Agent ``k`` learns the phrase ``pitches`` (MIDI notes, -1 for a rest) from its next
        note; what it learned so far stays (as the original's later rounds)."""
        self.apply(k, self.prepare_target(k, pitches))

    def set_scale(self, name: str, root: int | None = None) -> None:
        for k, place in enumerate(self.prepare_scale(name, root)):
            self.apply(k, place)

    def copy_target(self, dst: int, src: int) -> None:
        """Agent ``dst`` learns what agent ``src`` plays now, exploring nothing (its notes,
        mistakes included), on ``src``'s notes. Row copies only: the audio thread may call it."""
        K.greedy_rollout(src, self.design, self.shared, self.U_, self.W_, self.target_,
                         self.tlen_, self.nact_, self.faithful, self._rollout)
        L = int(self.tlen_[src])
        self.scale_[dst] = self.scale_[src]
        self.pitches_[dst] = self.pitches_[src]
        self.nact_[dst] = self.nact_[src]
        self.target_[dst, :L] = self._rollout[:L]
        K.pitches_of(self.pitches_[src], self._rollout, L, self.target_pitch_[dst])
        self.tlen_[dst] = L
        self.ag_[dst, K.AG_POS] = 0.0
        self.ag_[dst, K.AG_PREV] = K.START
        self.ag_[dst, K.AG_REWARD_SUM] = 0.0
        self.ag_[dst, K.AG_TARGET_EPISODES] = 0.0

    # -- learning ---------------------------------------------------------------------------
    def ready(self, k: int) -> bool:
        return bool(self.tlen_[k] > 0)

    def agent(self, k: int) -> Agent:
        """Agent ``k``, read by name (the same object every call: the audio hook may read it)."""
        if not 0 <= k < self.agents:
            self._check_agent(k)
        return self._agents[k]

    @property
    def notes_played(self) -> int:
        """Notes every agent has played and learned from since the reset: it moves with every
        note."""
        return int(self.ag_[:, K.AG_STEPS].sum())

    def rollout(self, seed: int, n: int) -> np.ndarray:
        """``reset(seed=seed)``, then agent 0 plays ``n`` notes of a fixed target: each note's
        outcome row, (n, N_OUT) (the learner checks' determinism and reset)."""
        self.reset(seed=seed)
        self.set_target(0, [60, 64, -1, 67])
        out = np.empty((n, self.out_.size), np.float64)
        for i in range(n):
            self.play(0)
            out[i] = self.out_
        return out

    def play(self, k: int, time_s: float = 0.0) -> Outcome:
        """Agent ``k`` plays its next note and learns from it; returns the learner's
        :class:`Outcome` (the action, whether it explored, the reward, the TD error, whether
        the episode ended, the greedy action), which the next note overwrites. Allocates
        nothing: the audio hook calls it."""
        K.play(k, self.faithful, self.design, self.shared, self.hp_, self.ag_, self.mt_,
               self.U_, self.W_, self.visits_, self.target_, self.target_pitch_, self.tlen_,
               self.pitches_, self.nact_, self.played_, self.greedy_, self.trans_, self.out_)
        if self.out_[K.OUT_EPISODE_DONE]:
            K.log_episode(k, self.ag_, self.log_, self.log_count_, 0.0, time_s)
        return self._outcome

    def practice(self, k: int, steps: int, max_episodes: int = 1 << 30,
                 time_s: float = 0.0) -> int:
        """Up to ``steps`` silent notes of agent ``k``, at most ``max_episodes`` episodes;
        returns the episodes it finished."""
        return K.practice(k, steps, self.faithful, self.design, self.shared, self.hp_,
                          self.ag_, self.mt_, self.U_, self.W_, self.visits_, self.target_,
                          self.target_pitch_, self.tlen_, self.pitches_, self.nact_,
                          self.played_, self.greedy_, self.trans_, self.out_, self.log_,
                          self.log_count_, time_s, max_episodes)

    def pitch_of(self, k: int, action: int) -> int:
        return int(self.pitches_[k, action])

    def greedy_pitches(self, k: int) -> list[int]:
        """What agent ``k`` plays now when it explores nothing (MIDI notes, -1 for rests)."""
        n = K.greedy_rollout(k, self.design, self.shared, self.U_, self.W_, self.target_,
                             self.tlen_, self.nact_, self.faithful, self._rollout)
        return [int(self.pitches_[k, a]) for a in self._rollout[:n]]

    def set_hyperparameter(self, k: int, name: str, value: float) -> None:
        """One agent's ``eps``, ``alpha``, ``gamma``, ``temp`` (... see HYPERPARAMETERS),
        applied from its next note. Setting ``alpha`` ends stubborn (1/n) steps."""
        self._check_agent(k)
        if name not in HYPERPARAMETERS:
            raise UserError(f"no hyperparameter {name!r}; expected one of "
                            + ", ".join(HYPERPARAMETERS))
        self.hp_[k, HYPERPARAMETERS[name]] = float(value)
        if name == "alpha":
            self.hp_[k, K.HP_STUBBORN] = 0.0

    def hyperparameter(self, k: int, name: str) -> float:
        return float(self.hp_[k, HYPERPARAMETERS[name]])

    def set_stubborn(self, k: int, on: bool) -> None:
        self.hp_[k, K.HP_STUBBORN] = float(bool(on))

    def freeze(self, k: int, on: bool) -> None:
        """A frozen agent plays its greedy notes and learns nothing."""
        self.hp_[k, K.HP_FROZEN] = float(bool(on))

    # -- what was learned, for ears and eyes -------------------------------------------------
    def episodes(self) -> list[tuple[int, float, float, bool, float]]:
        """Every episode finished since the last call: (agent, mean reward, greedy-correct,
        silent, time in seconds). Not for the audio thread (it allocates)."""
        count = int(self.log_count_[0])
        first = max(self._read, count - LOG_ROWS)
        rows = [self.log_[i % LOG_ROWS] for i in range(first, count)]
        self._read = count
        return [(int(r[0]), float(r[1]), float(r[2]), bool(r[3]), float(r[4])) for r in rows]

    def q_path(self, k: int, out: np.ndarray) -> None:
        """Agent ``k``'s Q values along its greedy path into ``out`` (MAX_STEPS, MAX_ACTIONS):
        what it believes at each step of its target (allocates nothing)."""
        K.q_path(k, self.design, self.shared, self.U_, self.W_, self.target_, self.tlen_,
                 self.nact_, self.faithful, out)

    def rotate_targets(self) -> None:
        """Agent k takes agent k+1's target (the original's rounds), keeping all it learned.
        Row copies only."""
        n = self.agents
        for name in ("target_", "target_pitch_", "tlen_"):
            array, scratch = getattr(self, name), self._scratch[name]
            scratch[:] = array
            for k in range(n):
                array[k] = scratch[(k + 1) % n]
        for k in range(n):
            self.ag_[k, K.AG_POS] = 0.0
            self.ag_[k, K.AG_PREV] = K.START
            self.ag_[k, K.AG_REWARD_SUM] = 0.0
            self.ag_[k, K.AG_TARGET_EPISODES] = 0.0


ORIGINAL_MELODIES = ((60, 64, 67, 64, 60), (64, 67, 71, 67, 64), (67, 71, 62, 71, 67))


def replay_original(*, seed: int = 0, episodes: int = 100, rounds: int = 2):
    """The hackathon notebook's whole run with faithful agents: agent k (seeded ``seed + k``)
    learns melody k for ``episodes`` episodes, one agent after the other; then, ``rounds``
    times, agent k learns agent k+1's last melody, Q and counts kept. As in the notebook, the
    later rounds draw from one generator passed from agent to agent.

    Returns (played, greedy): arrays (agents, episodes in all, 5) of MIDI notes, the notes
    played and the greedy notes drawn during each episode."""
    q = QMelody(faithful=True).reset(seed=seed)
    n, L = q.agents, len(ORIGINAL_MELODIES[0])
    total = episodes * (1 + rounds)
    played = np.zeros((n, total, L), np.int64)
    greedy = np.zeros((n, total, L), np.int64)
    done = np.zeros(n, np.int64)

    def learn(k: int, melody) -> None:
        q.set_target(k, melody)
        for _ in range(episodes):
            for _ in range(L):
                q.play(k)
            e = done[k]
            played[k, e] = q.pitches_[k, q.played_[k, :L]]
            greedy[k, e] = q.pitches_[k, q.greedy_[k, :L]]
            done[k] += 1

    targets = list(ORIGINAL_MELODIES)
    for k in range(n):
        learn(k, targets[k])
    stream = q.mt_[n - 1].copy()
    for _ in range(rounds):
        targets = [targets[(k + 1) % n] for k in range(n)]
        for k in range(n):
            q.mt_[k] = stream
            learn(k, targets[k])
            stream = q.mt_[k].copy()
    return played, greedy
