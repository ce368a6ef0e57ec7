"""``qmelody``: learning the art. Q-learning agents learn a melody by trial and error, and every
episode, and the learning curve, is heard.

A phrase played (MIDI, the computer keyboard, a MIDI file, or typed with ``teach``) becomes the
target of the agents that are armed: an agent with no target is armed, ``rec a1`` arms a1 for
the next phrase. A phrase ends at a silence of two beats; it is quantised to sixteenths at the
tempo. Each agent then plays the phrase's rhythm again and again, one episode per pass,
choosing every note itself and learning from how close it came (``synthlearn.learners.
qlearning``), its Q updates stepping in the block hook at each note boundary.

What is heard: each agent a voice of its own timbre and place (left, centre, right); a note
it chose greedily sounds clean, an exploratory one rough (its overtones 3 % sharp). Under them
the learning curve: a drone whose upper voice moves from a semitone cluster to a pure fifth as
the agents' mean reward rises; a drum hit whose loudness is the TD error; a bell when an
episode is perfect; and, with ``teacher on``, a quiet voice playing the last phrase taught.

The piece keeps its own clock (the samples it has played): a piece switched away from is
paused (no agent plays or learns), and its place is saved with what it learned (each agent's
place in its phrase and its note, the teacher, the drone, the curves), so switched back to, or
resumed, it goes on where it was.

Faithful mode: the hackathon's three agents and melodies (C E G E C, E G B G E, G B D B G), a
note every 0.2 s and 0.3 s between episodes as its SuperCollider player, 100 episodes each,
then two rounds in which each agent learns its neighbour's melody.
"""

from __future__ import annotations

import collections
import math
from pathlib import Path

import numpy as np

from synthlearn.commands.language import Param, Spec, Touch, Where
from synthlearn.dsp.voicing import VI_HELD, VI_PENDING_NOTE, midi_hz
from synthlearn.errors import UserError
from synthlearn.events import CC_SUSTAIN, Event, Kind
from synthlearn.learners import _q_kernels as K
from synthlearn.learners.qlearning import ORIGINAL_MELODIES, QMelody
from synthlearn.mappings import phrase as phrases
from synthlearn.mappings import scales
from synthlearn.pieces import qmelody_schema as schema
from synthlearn.pieces.base import Piece
from synthlearn.snapshot import Snapshot

AGENTS = schema.AGENTS
AGENT_NAMES = tuple(f"a{k}" for k in range(AGENTS))
PANS = (0.15, 0.5, 0.85)
PARTIALS = 6
TIMBRES = (  # relative partial amplitudes: bright, hollow (odd), mellow
    (1.0, 0.5, 0.33, 0.25, 0.2, 0.17),
    (1.0, 0.05, 0.33, 0.04, 0.2, 0.03),
    (1.0, 0.3, 0.1, 0.05, 0.02, 0.01),
)
SAW = tuple(1.0 / k for k in range(1, PARTIALS + 1))  # faithful: the original's Saw
ROUGH = 1.03  # an exploratory note's overtones, 3 % sharp: it beats
GREEDY_VELOCITY, EXPLORE_VELOCITY = 96, 80
DEFAULT_TEMPO_BPM = 120.0
FAITHFUL_TEMPO_BPM = 75.0  # a sixteenth is 0.2 s: the original's note every 0.2 s
BREATH_GRID, FAITHFUL_BREATH_GRID = 2.0, 1.5  # between episodes (faithful: 0.3 s)
FAITHFUL_EPISODES, FAITHFUL_ROUNDS = 100, 2
HIT_TD = 0.05  # |TD error| below this makes no drum hit
DRUM_RATIOS = (1.0, 1.59, 2.14, 2.30, 2.65)  # a membrane's first modes
BELL_RATIOS = (1.0, 2.76, 5.40, 8.93, 13.34)
DRONE_LOW_NOTE = 36  # the drone's root sits in the octave from C2
CLUSTER, FIFTH = 16.0 / 15.0, 1.5  # the drone's upper voice, from no reward to full
DRONE_SMOOTH_S = 3.0
PRACTICE_NOTES_PER_SAMPLE = 0.5  # silent notes a block may practise (measured in the bench)
RECORD_NOTES = 256
PUBLISH_HZ = 60.0  # the scene's record, at most this often (a window shows 60 fps)
RECENT_COMMANDS = 6
LEARNED = ("durs", "learnable", "nsteps", "armed", "frozen", "cc_map", "teacher_phrase")
# What the show is doing, kept with what is learned so a piece switched away from and back
# (or resumed) goes on where it was: its own clock, each agent's place in its phrase, the notes
# sounding, the drone, the teacher, the curves the scene draws, the settings the performer set.
SHOWN = ("_next_smp", "_tstep", "_practice_left", "_sounding", "_curve", "_curve_n",
         "_explored", "_last_copy", "_since_ring", "agent_settings")
HYPER_RANGES = {"eps": (0.0, 1.0), "alpha": (0.0, 1.0), "gamma": (0.0, 1.0),
                "temp": (0.0, 2.0), "decay": (0.0, 1.0), "floor": (0.0, 1.0),
                "sharpness": (0.25, 12.0), "penalty": (0.0, 1.0)}
SETTINGS = (*HYPER_RANGES, "stubborn")  # what the performer sets per agent; reset keeps them
AGENT_CHOICES = (*AGENT_NAMES, "all")
CONTROLS = tuple(f"cc{n}" for n in range(128) if n != CC_SUSTAIN)  # the pedal freezes
MAP_TARGETS = (*(f"{a}.{h}" for a in AGENT_NAMES for h in HYPER_RANGES), "off")


def _agents(which: str) -> range:
    return range(AGENTS) if which == "all" else range(AGENT_NAMES.index(which),
                                                      AGENT_NAMES.index(which) + 1)


def _hyper_specs() -> tuple[Spec, ...]:
    specs = []
    for k, agent in enumerate(AGENT_NAMES):
        for name, (low, high) in HYPER_RANGES.items():
            specs.append(Spec(f"{agent}.{name}", (Param("value", "float", low, high),),
                              f"agent {agent}'s {name}, from its next note",
                              handler_name="cmd_hyper", bound=(k, name)))
        specs.append(Spec(f"{agent}.stubborn", (Param("mode", "onoff"),),
                          f"agent {agent}'s steps 1/n (on) or alpha (off)",
                          handler_name="cmd_stubborn", bound=(k,)))
    return tuple(specs)


class Qmelody(Piece):
    name = "qmelody"
    summary = "learning the art: Q-learning agents learn a melody, every episode heard"
    commands = (
        Spec("rec", (Param("agent", "choice", choices=AGENT_CHOICES),),
             "the next phrase played becomes this agent's target (all: every agent's)"),
        Spec("teach", (Param("agent", "choice", choices=AGENT_CHOICES),
                       Param("notes", "word", example="c4,e4,g4,e4,c4")),
             "give a target typed as notes: teach a0 c4,e4*4,r,g4 (*N: sixteenths; r: rest)",
             where=Where.MAIN),
        Spec("tempo", (Param("bpm", "float", 20.0, 300.0),), "the beat the agents play to"),
        Spec("scale", (Param("name", "choice", choices=scales.NAMES),
                       Param("root", "choice", choices=scales.NOTE_NAMES, optional=True)),
             "the notes the agents choose from: scale dorian d (auto: fitted to each target)",
             where=Where.MAIN),
        Spec("reset", (Param("agent", "choice", choices=AGENT_CHOICES),),
             "the agent forgets all it learned (its target stays)", touches=Touch.SHOW),
        Spec("freeze", (Param("agent", "choice", choices=AGENT_CHOICES),
                        Param("mode", "onoff", optional=True, default=True)),
             "the agent plays its best notes and learns nothing (freeze a0 off: learns again)"),
        Spec("seed", (Param("n", "int", 0, 2**32 - 1),), "reseed every agent's generator"),
        Spec("copy", (Param("agent", "choice", choices=AGENT_NAMES),
                      Param("source", "choice", choices=AGENT_NAMES)),
             "copy a1 a0: a1 learns what a0 plays now, its mistakes included",
             where=Where.MAIN),
        Spec("ring", (Param("episodes", "int", 0, 10000),),
             "every N episodes each agent copies its neighbour (0: off)"),
        Spec("map", (Param("control", "choice", choices=CONTROLS, shown="ccN",
                           example="cc20"),
                     Param("target", "choice", choices=MAP_TARGETS, shown="aK.NAME|off",
                           example="a0.eps")),
             "a MIDI controller moves a hyperparameter: map cc20 a0.eps (map cc20 off)"),
        Spec("practice", (Param("agent", "choice", choices=AGENT_CHOICES),
                          Param("episodes", "int", 1, 100000)),
             "silent episodes, spread over blocks; then the agent plays again",
             where=Where.MAIN),
        Spec("teacher", (Param("mode", "onoff"),),
             "a quiet voice plays the last phrase taught"),
        Spec("agents", (), "each agent's episodes, reward, correct notes and settings",
             where=Where.NOW),
        *_hyper_specs(),
    )
    example_lines = ("teach all c4,e4,g4,e4,c4",)

    def __init__(self, *, seed: int = 0, faithful: bool = False):
        super().__init__(seed=seed, faithful=faithful)
        self.learner = QMelody(agents=AGENTS, faithful=faithful).reset(seed=seed)
        self.section = "listening"
        self.base_dir = Path.cwd()
        self.tempo_bpm = FAITHFUL_TEMPO_BPM if faithful else DEFAULT_TEMPO_BPM
        self.breath_grid = FAITHFUL_BREATH_GRID if faithful else BREATH_GRID
        self.teacher = False
        self.ring_every = 0
        self.rounds_left = FAITHFUL_ROUNDS if faithful else 0
        # the rhythm each agent plays: grid steps per step, and whether the learner plays it
        self.durs = np.zeros((AGENTS, K.MAX_STEPS), np.int64)
        self.learnable = np.zeros((AGENTS, K.MAX_STEPS), np.bool_)
        self.nsteps = np.zeros(AGENTS, np.int64)
        self.armed = np.ones(AGENTS, np.bool_)  # an agent with no target listens
        # rec's count per agent: a target disarms only the arming it was taken for, not a
        # rec that came while it waited for the hook
        self._arms = np.zeros(AGENTS, np.int64)
        self.frozen = np.zeros(AGENTS, np.bool_)  # by command; the pedal freezes everyone
        self.cc_map = np.full(128, -1, np.int64)  # controller -> agent * 64 + hyperparameter
        self.teacher_phrase = np.full((2, K.MAX_STEPS), -1, np.int64)  # pitches, grid steps
        self.teacher_steps = 0
        # per agent, what the performer set (aK.NAME, a mapped controller); NaN: the default
        self.agent_settings = np.full((AGENTS, len(SETTINGS)), np.nan)
        self.snapshot = Snapshot(**schema.FIELDS)
        # audio-thread state, not learned
        self._tstep = np.zeros(AGENTS, np.int64)
        self._next_smp = np.zeros(AGENTS, np.float64)
        self._sounding = np.full(AGENTS, -1, np.int64)
        self._practice_left = np.zeros(AGENTS, np.int64)
        self._round_due = False  # faithful: every agent finished its round; rotate this block
        self._since_ring = np.zeros(AGENTS, np.int64)
        self._teacher_step = 0
        self._teacher_next_smp = 0.0
        self._teacher_note = -1
        self._pedal = False
        self._progress = 0.0  # the drone's measure of reward, smoothed
        self._progress_goal = 0.0
        self._drone_on = False
        self._rec = np.zeros((3, RECORD_NOTES), np.float64)  # onset, offset (-1 open), pitch
        self._rec_n = 0
        self._rec_open = 0
        self._last_off_smp = 0.0
        self._ready = np.zeros((3, RECORD_NOTES), np.float64)
        self._ready_n = 0
        self._pending = collections.deque()  # jobs from the main thread, taken in order
        self._given = np.zeros(AGENTS, np.bool_)  # main thread: a target is on its way
        self._copies = collections.deque()  # (time_s, dst, src) for the log (read in main)
        self._last_copy = np.full(AGENTS, -1, np.int64)
        self._recent = collections.deque(maxlen=RECENT_COMMANDS)  # the last commands typed
        # The piece's own clock: samples it has played (the end of its last block). Every time
        # it keeps (next notes, the teacher, a phrase being recorded) is on this clock, so a
        # piece that is not playing is paused, and one switched back to goes on where it was.
        self._clock_smp = 0
        self._offset_smp = 0  # the engine's sample stamps minus this clock's, while it plays
        self._started = False  # the hook has run a block of this piece since build()
        self._now_smp = 0
        self._sr, self._block = 48000, 64  # until build() says what the engine runs
        self._publish_every, self._published_at = 1, -(1 << 30)
        self._dirty = True
        self._version = 0
        self._q = np.zeros((K.MAX_STEPS, K.MAX_ACTIONS), np.float64)
        self._q_views: list = [None, None]  # the snapshot's q per agent, per buffer
        self._explored = np.zeros((AGENTS, K.MAX_STEPS), np.int64)
        self._curve = np.zeros((2, AGENTS, schema.CURVE), np.float64)  # reward, correct
        self._curve_n = np.zeros(AGENTS, np.int64)
        self._drone_voice = -1
        self._scratch = {name: getattr(self, name).copy()
                         for name in ("durs", "learnable", "nsteps")}
        self._shown_keys = tuple((name, name.strip("_")) for name in SHOWN)  # made once
        self.series: dict[str, list[float]] = {}  # per-episode curves (main thread)
        self.osc_queue: collections.deque = collections.deque()  # per-episode messages
        self._news: collections.deque = collections.deque(maxlen=16)  # for the performer
        self.pools: dict = {}
        self._agent_banks: list = []  # each agent's voice bank (the hook looks them up often)
        if faithful:
            for k in range(AGENTS):
                self._give(k, phrases.Phrase(ORIGINAL_MELODIES[k], (1,) * 5), now=True)

    # -- set-up -------------------------------------------------------------------------------
    def build(self, engine):
        self._sr, self._block = engine.sr, engine.block
        # Where the engine's clock is as the piece starts playing (the first block sets it
        # exactly: a switch may land a few blocks later in real time).
        self._offset_smp = engine.now_smp() - self._clock_smp
        self._started = False
        self._publish_every = max(1, round(engine.sr / engine.block / PUBLISH_HZ))
        self._practice_notes = max(1, round(PRACTICE_NOTES_PER_SAMPLE * engine.block))
        pools = {}
        for k in range(AGENTS):
            pool = engine.pool(f"agent{k}", 3, PARTIALS, pan=PANS[k], spread=0.2,
                               attack_s=0.004, decay_s=1.5, sustain=0.5, release_s=0.08,
                               gain=0.5)
            timbre = np.array(SAW if self.faithful else TIMBRES[k % len(TIMBRES)])
            pool.bank.partial_amp[:] = timbre / timbre.sum()
            pools[f"agent{k}"] = pool
        pools["player"] = engine.pool("player", 8, PARTIALS, attack_s=0.005, decay_s=2.0,
                                      sustain=0.4, release_s=0.3, gain=0.5)
        pools["player"].bank.partial_amp[:] = np.array(TIMBRES[2]) / sum(TIMBRES[2])
        pools["teacher"] = engine.pool("teacher", 2, 2, attack_s=0.02, decay_s=4.0,
                                       sustain=0.8, release_s=0.1, gain=0.12)
        pools["teacher"].bank.partial_amp[:] = (0.85, 0.15)
        pools["drone"] = engine.pool("drone", 2, PARTIALS, attack_s=1.5, decay_s=10.0,
                                     sustain=1.0, release_s=3.0, glide_s=0.5, gain=0.12,
                                     spread=0.8)
        drone = np.array([1.0, 0.5, 0.3, 0.2, 0.1, 0.05])
        pools["drone"].bank.partial_amp[:] = drone / drone.sum()
        pools["hits"] = engine.pool("hits", 6, len(DRUM_RATIOS), attack_s=0.001, decay_s=0.25,
                                    sustain=0.0, release_s=0.25, gain=0.4)
        pools["hits"].bank.ratio[:] = DRUM_RATIOS
        pools["hits"].bank.partial_amp[:] = (0.5, 0.25, 0.12, 0.08, 0.05)
        pools["bell"] = engine.pool("bell", 3, len(BELL_RATIOS), attack_s=0.002, decay_s=2.5,
                                    sustain=0.0, release_s=2.5, gain=0.3)
        pools["bell"].bank.ratio[:] = BELL_RATIOS
        pools["bell"].bank.partial_amp[:] = (0.45, 0.25, 0.15, 0.1, 0.05)
        self.pools = pools
        self._agent_banks = [pools[f"agent{k}"].bank for k in range(AGENTS)]
        self._publish()
        mix = [p.output for p in pools.values()]
        from synthlearn.audio.synths import stereo_mix

        return stereo_mix(mix)

    @classmethod
    def warm_kernels(cls) -> None:
        QMelody().reset().warm()
        QMelody(faithful=True).reset().warm()

    def warm(self) -> None:
        self.learner.warm()
        self.learner.q_path(0, self._q)

    def release(self) -> None:
        # No hook runs this piece any more: targets typed just before a switch still land
        # (the last save of a piece switched away from happens after this).
        while self._pending:
            self._take(self._pending.popleft())
        self.pools = {}
        self._agent_banks = []

    # -- time -----------------------------------------------------------------------------------
    @property
    def grid_smp(self) -> float:
        return self._sr * 60.0 / self.tempo_bpm / phrases.GRID_PER_BEAT

    def use_midi_file(self, path) -> None:
        """A MIDI file plays: its tempo is the agents' beat."""
        from synthlearn.midi.files import tempo_bpm

        bpm = tempo_bpm(path)
        if bpm is not None and 20.0 <= bpm <= 300.0:
            self.tempo_bpm = bpm
            self._version += 1
            self.publish_learned()  # before audio: this thread owns the state

    @classmethod
    def default_duration_s(cls, scheduled_s: float) -> float:
        """A render of a bare phrase lasts long enough to hear it learned."""
        return max(scheduled_s, 60.0)

    # -- targets: from phrases (main thread) to the agents (audio thread) ----------------------
    def _give(self, k: int, phrase: phrases.Phrase, *, now: bool = False) -> None:
        """Agent ``k`` learns ``phrase``: worked out here, taken by the audio thread at its next
        block (``now``: at once, before audio starts)."""
        place = self.learner.prepare_target(k, phrase.pitches)
        durs = np.zeros(K.MAX_STEPS, np.int64)
        durs[:len(phrase)] = phrase.steps
        learnable = np.zeros(K.MAX_STEPS, np.bool_)
        learnable[:len(phrase)] = [not (self.faithful and p < 0) for p in phrase.pitches]
        teacher = np.full((2, K.MAX_STEPS), -1, np.int64)  # the teacher plays it from then
        teacher[0, :len(phrase)] = phrase.pitches
        teacher[1, :len(phrase)] = phrase.steps
        job = ("target", k, place, durs, learnable, len(phrase), int(self._arms[k]), teacher)
        self._given[k] = True
        if now:
            self._take(job)
        else:
            self._pending.append(job)

    def _take(self, job) -> None:
        """Audio thread: a job the main thread prepared (row copies). Only this thread
        changes what is learned while audio runs (the base publishes it at a block's end)."""
        self._version += 1
        kind, k = job[0], job[1]
        if kind == "scale":
            self.learner.apply(k, job[2])
            return
        if kind == "copy":
            self._copy(k, job[2])
            return
        if kind == "practice":
            self._silence(k)
            self._practice_left[k] += job[2]
            return
        _, k, place, durs, learnable, n, arms, teacher = job
        self.learner.apply(k, place)
        self.durs[k] = durs
        self.learnable[k] = learnable
        self.nsteps[k] = n
        self.teacher_phrase[:] = teacher
        self.teacher_steps = n
        self._tstep[k] = 0
        self._silence(k)
        grid = self.grid_smp
        self._next_smp[k] = math.ceil(self._now_smp / grid) * grid  # on the grid
        if self._arms[k] == arms:  # no rec since: this target was what it was armed for
            self.armed[k] = False
        self._dirty = True

    def main_tick(self, time_s: float) -> None:
        """Main thread: a phrase that ended becomes the armed agents' target; finished episodes
        become curves and OSC messages."""
        if self._ready_n:
            self._phrase_ended()
        for k, reward, correct, silent, t_s in self.learner.episodes():
            agent = AGENT_NAMES[k]
            for key, value in ((f"reward.{agent}", reward), (f"correct.{agent}", correct),
                               (f"time_s.{agent}", t_s), (f"silent.{agent}", float(silent))):
                self.series.setdefault(key, []).append(round(value, 6))
            self.osc_queue.append((f"reward/{agent}", reward))
            self.osc_queue.append((f"correct/{agent}", correct))
        while self._copies:
            t_s, dst, src = self._copies.popleft()
            self.log.append({"time_s": round(t_s, 6), "copy": AGENT_NAMES[dst],
                             "from": AGENT_NAMES[src]})

    def _phrase_ended(self) -> None:
        n = self._ready_n
        notes = [(self._ready[0, i] / self._sr, self._ready[1, i] / self._sr,
                  int(self._ready[2, i])) for i in range(n)]
        self._ready_n = 0
        armed = [k for k in range(AGENTS) if self.armed[k]]
        if not armed:
            return
        beat_s = 60.0 / self.tempo_bpm
        phrase, truncated = phrases.quantise(notes, beat_s / phrases.GRID_PER_BEAT,
                                             K.MAX_STEPS)
        for k in armed:
            self._give(k, phrase)
        self._news.append(_learns(armed, phrase)
                          + (f" (the first {len(phrase)} notes)" if truncated else ""))
        self.log.append({"time_s": round(notes[0][0], 6), "phrase": list(phrase.pitches),
                         "steps": list(phrase.steps), "agents": [AGENT_NAMES[k] for k in armed],
                         "truncated": truncated})

    # -- events (audio thread) ----------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        self._now_smp = event.time_smp - self._offset_smp  # on the piece's own clock
        kind = event.kind
        if kind == Kind.NOTE_ON:
            self.pools["player"].bank.note_on(event.number, event.value)
            self._record_on(event.number, self._now_smp)
        elif kind == Kind.NOTE_OFF:
            self.pools["player"].bank.note_off(event.number)
            self._record_off(event.number, self._now_smp)
        elif kind == Kind.CONTROL:
            self._control(event.number, event.value)
        elif kind == Kind.COMMAND:
            self.run_command(event.command)

    def run_command(self, cmd) -> None:
        self._recent.append(cmd.text or cmd.name)
        cmd.run(self)
        self._dirty = True
        self._version += 1  # a setting, a hyperparameter, a reset: learned state moved

    def _record_on(self, note: int, t_smp: int) -> None:
        if not self.armed.any() or self._rec_n >= RECORD_NOTES:
            return
        i = self._rec_n
        self._rec[0, i], self._rec[1, i], self._rec[2, i] = t_smp, -1.0, note
        self._rec_n += 1
        self._rec_open += 1

    def _record_off(self, note: int, t_smp: int) -> None:
        for i in range(self._rec_n - 1, -1, -1):
            if self._rec[2, i] == note and self._rec[1, i] < 0:
                self._rec[1, i] = t_smp
                self._rec_open -= 1
                self._last_off_smp = t_smp
                return

    def _control(self, number: int, value: int) -> None:
        self._version += 1  # the pedal freezes, a mapped controller moves a hyperparameter
        if number == CC_SUSTAIN:
            self._pedal = value >= 64
            for k in range(AGENTS):
                self.learner.freeze(k, bool(self.frozen[k]) or self._pedal)
            return
        target = self.cc_map[number]
        if target >= 0:
            k, index = divmod(int(target), 64)
            name = SETTINGS[index]
            low, high = HYPER_RANGES[name]
            self.cmd_hyper(k, name, low + (high - low) * value / 127.0)

    # -- the block: notes at their boundaries -------------------------------------------------
    def step(self, block_index: int) -> None:
        if not self._started:  # the first block since build: the clock goes on from here
            self._started = True
            self._offset_smp = block_index * self._block - self._clock_smp
            self._sound_again()
        start = block_index * self._block - self._offset_smp
        end = start + self._block
        self._now_smp = start
        self._clock_smp = end
        while self._pending:
            self._take(self._pending.popleft())
        self._check_phrase_end(start)
        for k in range(AGENTS):
            if self._practice_left[k] > 0:
                self._practise(k, start)
                continue
            if self.nsteps[k] == 0:
                continue
            while self._next_smp[k] < end:
                self._boundary(k)
        if self.teacher and self.teacher_steps:
            while self._teacher_next_smp < end:
                self._teacher_boundary()
        self._drone(end)
        if self._round_due:  # after every agent's notes of this block, as the original's
            self._round_due = False
            self._next_round()
        if self._dirty and block_index - self._published_at >= self._publish_every:
            self._published_at = block_index
            self._publish()

    def _sound_again(self) -> None:
        """Audio thread, the first block after build: the notes that sounded when the piece
        was last played (a switch back, a resume) sound again."""
        for k in range(AGENTS):
            if self._sounding[k] >= 0 and self._agent_banks:
                _sound_held(self._agent_banks[k], int(self._sounding[k]), GREEDY_VELOCITY)
        if self._teacher_note >= 0 and self.pools:
            _sound_held(self.pools["teacher"].bank, self._teacher_note, 90)

    def _check_phrase_end(self, now_smp: int) -> None:
        if self._rec_n == 0 or self._rec_open > 0 or self._ready_n:
            return
        gap = phrases.PHRASE_GAP_BEATS * 4 * self.grid_smp
        if now_smp - self._last_off_smp >= gap or self._rec_n >= RECORD_NOTES:
            n = self._rec_n
            self._ready[:, :n] = self._rec[:, :n]
            self._rec_n = 0
            self._ready_n = n  # last: the main thread reads the phrase once this is set

    def _boundary(self, k: int) -> None:
        """Agent ``k``'s next step starts: the learner plays it (or rests)."""
        t_smp = self._next_smp[k]
        i = int(self._tstep[k])
        self._silence(k)
        if self.learnable[k, i]:
            pos = int(self.learner.ag_[k, K.AG_POS])
            out = self.learner.play(k, t_smp / self._sr)
            self._explored[k, pos] = out[K.OUT_EXPLORED] != 0.0
            self._sound(k, out)
        self._next_smp[k] = t_smp + self.durs[k, i] * self.grid_smp
        i += 1
        if i >= self.nsteps[k]:
            i = 0
            self._next_smp[k] += self.breath_grid * self.grid_smp
        self._tstep[k] = i
        self._dirty = True

    def _sound(self, k: int, out: np.ndarray) -> None:
        pitch = self.learner.pitch_of(k, int(out[K.OUT_ACTION]))
        explored = out[K.OUT_EXPLORED] != 0.0
        if pitch >= 0:
            self._agent_banks[k].note_on(
                pitch, EXPLORE_VELOCITY if explored else GREEDY_VELOCITY,
                overtones=ROUGH if explored else 1.0)
            self._sounding[k] = pitch
        td = abs(out[K.OUT_TD])
        if td > HIT_TD:
            velocity = int(min(127.0, 40.0 + 87.0 * min(td, 1.0)))
            self.pools["hits"].bank.note_on(43 + 5 * k, velocity)
            self.pools["hits"].bank.note_off(43 + 5 * k)
        if out[K.OUT_EPISODE_DONE]:
            self._episode_done(k)

    def _episode_done(self, k: int) -> None:
        ag = self.learner.ag_[k]
        correct = ag[K.AG_LAST_CORRECT]
        slot = self._curve_n[k] % schema.CURVE
        self._curve[0, k, slot] = ag[K.AG_LAST_REWARD]
        self._curve[1, k, slot] = correct
        self._curve_n[k] += 1
        if correct >= 1.0:
            first = self.learner.target_pitch_[k, 0]
            bell = self.pools["bell"].bank
            bell.note_on(int(first % 12) + 84, 100)
            bell.note_off(int(first % 12) + 84)
        self._progress_goal = self._mean_reward()
        if self.faithful and self.rounds_left and self._round_over():
            self._round_due = True
        if self.ring_every:
            self._since_ring[k] += 1
            if self._since_ring[k] >= self.ring_every:
                self._since_ring[k] = 0
                src = (k + 1) % AGENTS
                if self.nsteps[src]:
                    self._copy(k, src)

    def _round_over(self) -> bool:
        """Faithful: every agent has played its 100 episodes of the melody it learns now."""
        for k in range(AGENTS):
            if self.learner.ag_[k, K.AG_TARGET_EPISODES] < FAITHFUL_EPISODES:
                return False
        return True

    def _mean_reward_said(self) -> str:
        """The agents' mean reward as the lines below it show it: the mean over the agents
        that have played an episode of each one's last reward, unclipped (the drone's measure
        is clipped to 0..1 and smoothed over seconds: said apart)."""
        ag = self.learner.ag_
        played = [k for k in range(AGENTS) if ag[k, K.AG_EPISODES] > 0]
        if not played:
            return "no episode yet"
        mean = sum(ag[k, K.AG_LAST_REWARD] for k in played) / len(played)
        return f"mean reward {mean:.2f} (last episodes), drone at {self._progress:.2f}"

    def _mean_reward(self) -> float:
        total, n = 0.0, 0
        for k in range(AGENTS):
            if self.learner.ag_[k, K.AG_EPISODES] > 0:
                total += min(1.0, max(0.0, self.learner.ag_[k, K.AG_LAST_REWARD]))
                n += 1
        return total / n if n else 0.0

    def _silence(self, k: int) -> None:
        if self._sounding[k] >= 0 and self._agent_banks:
            self._agent_banks[k].note_off(int(self._sounding[k]))
        self._sounding[k] = -1

    def _practise(self, k: int, start_smp: int) -> None:
        if self.nsteps[k] == 0:
            self._practice_left[k] = 0
            return
        done = self.learner.practice(k, self._practice_notes, int(self._practice_left[k]),
                                     start_smp / self._sr)
        self._practice_left[k] -= done
        self._dirty = self._dirty or done > 0
        if done and self.faithful and self.rounds_left and self._round_over():
            self._round_due = True
        if self._practice_left[k] <= 0:  # back to playing, on the grid
            self._practice_left[k] = 0
            self._tstep[k] = int(self.learner.ag_[k, K.AG_POS]) if not self.faithful else 0
            grid = self.grid_smp
            self._next_smp[k] = math.ceil((start_smp + self._block) / grid) * grid

    def _teacher_boundary(self) -> None:
        bank = self.pools["teacher"].bank
        if self._teacher_note >= 0:
            bank.note_off(self._teacher_note)
            self._teacher_note = -1
        i = self._teacher_step % self.teacher_steps
        pitch = int(self.teacher_phrase[0, i])
        if pitch >= 0:
            bank.note_on(pitch, 90)
            self._teacher_note = pitch
        self._teacher_next_smp += self.teacher_phrase[1, i] * self.grid_smp
        self._teacher_step = i + 1
        if self._teacher_step >= self.teacher_steps:
            self._teacher_step = 0
            self._teacher_next_smp += self.breath_grid * self.grid_smp

    def _drone(self, end_smp: int) -> None:
        """The learning curve as an interval: a semitone cluster at no reward, a pure fifth
        at full reward, gliding."""
        bank = self.pools["drone"].bank
        playing = bool(self.nsteps.any())
        if playing and not self._drone_on:
            root = self.learner.scale_of(0)[1]
            low = DRONE_LOW_NOTE + root
            bank.note_on(low, 100)
            # the upper voice: on the root too, raised by the interval (note number apart)
            self._drone_voice = bank.note_on(low + 1, 100, f0_hz=midi_hz(low))
            self._drone_on = True
        if not self._drone_on:
            return
        a = math.exp(-self._block / (DRONE_SMOOTH_S * self._sr))
        self._progress = a * self._progress + (1 - a) * self._progress_goal
        bank.detune[self._drone_voice, :] = CLUSTER * (FIFTH / CLUSTER) ** self._progress

    def _next_round(self) -> None:
        """Faithful: each agent learns its neighbour's melody, keeping what it learned."""
        self.rounds_left -= 1
        self.learner.rotate_targets()
        for name, scratch in self._scratch.items():  # agent k takes agent k+1's rhythm
            array = getattr(self, name)
            scratch[:] = array
            for k in range(AGENTS):
                array[k] = scratch[(k + 1) % AGENTS]
        self._tstep[:] = 0
        self.section = f"round {FAITHFUL_ROUNDS - self.rounds_left + 1}"
        self.section_time_s = self._now_smp / self._sr

    def _copy(self, dst: int, src: int) -> None:
        self.learner.copy_target(dst, src)
        self.durs[dst] = self.durs[src]
        self.learnable[dst] = self.learnable[src]
        self.nsteps[dst] = self.nsteps[src]
        self._tstep[dst] = 0
        self._last_copy[dst] = src
        self._copies.append((self._now_smp / self._sr, dst, src))

    # -- commands (audio thread unless marked) ------------------------------------------------
    def cmd_rec(self, agent: str) -> None:
        for k in _agents(agent):
            self.armed[k] = True
            self._arms[k] += 1

    def cmd_teach(self, agent: str, notes: str) -> str:
        """Main thread: parse, work out, hand to the audio thread."""
        try:
            phrase = phrases.parse_typed(notes, K.MAX_STEPS)
        except ValueError as exc:
            raise UserError(f"teach: {exc}") from None
        for k in _agents(agent):
            self._give(k, phrase)
        self._recent.append(f"teach {agent} {notes}")
        self.log.append({"time_s": round(self._now_smp / self._sr, 6),
                         "phrase": list(phrase.pitches), "steps": list(phrase.steps),
                         "agents": [AGENT_NAMES[k] for k in _agents(agent)]})
        return _learns(_agents(agent), phrase)

    def cmd_tempo(self, bpm: float) -> None:
        self.tempo_bpm = float(bpm)

    def cmd_scale(self, name: str, root: str | None = None) -> str:
        """Main thread: work the new actions out, hand them to the audio thread."""
        places = self.learner.prepare_scale(name, None if root is None else scales.root_pc(root))
        for k, place in enumerate(places):
            self._pending.append(("scale", k, place))
        self._recent.append(f"scale {name}" + (f" {root}" if root else ""))
        return f"scale {name}" + (f" on {root}" if root else "")

    def cmd_reset(self, agent: str) -> None:
        for k in _agents(agent):
            self.learner.forget(k)  # the learning, and the hyperparameters with it...
            self._apply_settings(k)  # ...but the settings the performer set are kept
            self.learner.freeze(k, bool(self.frozen[k]) or self._pedal)

    def _apply_settings(self, k: int) -> None:
        for i, name in enumerate(SETTINGS):
            value = self.agent_settings[k, i]
            if math.isnan(value):
                continue
            if name == "stubborn":
                self.learner.set_stubborn(k, bool(value))
            else:
                self.learner.set_hyperparameter(k, name, value)

    def cmd_freeze(self, agent: str, mode: bool = True) -> None:
        for k in _agents(agent):
            self.frozen[k] = mode
            self.learner.freeze(k, mode or self._pedal)

    def cmd_seed(self, n: int) -> None:
        self.learner.reseed(int(n))

    def cmd_copy(self, agent: str, source: str) -> str:
        """Main thread: checked here, done by the audio thread at its next block."""
        dst, src = AGENT_NAMES.index(agent), AGENT_NAMES.index(source)
        if not self._given[src]:
            raise UserError(f"copy: {source} has nothing to play yet")
        self._given[dst] = True
        self._pending.append(("copy", dst, src))
        self._recent.append(f"copy {agent} {source}")
        return f"{agent} learns what {source} plays now"

    def cmd_ring(self, episodes: int) -> None:
        self.ring_every = int(episodes)
        self._since_ring[:] = 0

    def cmd_map(self, control: str, target: str) -> None:
        number = int(control.removeprefix("cc"))
        if target == "off":
            self.cc_map[number] = -1
            return
        agent, _, name = target.partition(".")
        self.cc_map[number] = AGENT_NAMES.index(agent) * 64 + list(HYPER_RANGES).index(name)

    def cmd_practice(self, agent: str, episodes: int) -> str:
        """Main thread: checked here, spread over blocks by the audio thread."""
        chosen = list(_agents(agent))
        idle = [AGENT_NAMES[k] for k in chosen if not self._given[k]]
        if idle:
            raise UserError(f"practice: {', '.join(idle)} has no target yet")
        for k in chosen:
            self._pending.append(("practice", k, int(episodes)))
        self._recent.append(f"practice {agent} {episodes}")
        return f"{agent} practises {episodes} episodes"

    def cmd_teacher(self, mode: bool) -> None:
        self.teacher = mode
        if mode:
            grid = self.grid_smp
            self._teacher_next_smp = math.ceil(self._now_smp / grid) * grid
            self._teacher_step = 0
        elif self._teacher_note >= 0 and self.pools:
            self.pools["teacher"].bank.note_off(self._teacher_note)
            self._teacher_note = -1

    def cmd_hyper(self, k: int, name: str, value: float) -> None:
        self.learner.set_hyperparameter(k, name, value)
        self.agent_settings[k, SETTINGS.index(name)] = value
        if name == "alpha":  # setting alpha ends stubborn steps
            self.agent_settings[k, SETTINGS.index("stubborn")] = 0.0

    def cmd_stubborn(self, k: int, mode: bool) -> None:
        self.learner.set_stubborn(k, mode)
        self.agent_settings[k, SETTINGS.index("stubborn")] = float(mode)

    def describe(self, cmd) -> str | None:
        """The state a command leaves, side effects said (main thread, before the hook runs
        it)."""
        name, args = cmd.name, cmd.args
        q = self.learner
        if name == "rec":
            who = "every agent takes" if args[0] == "all" else f"{args[0]} takes"
            return f"rec {args[0]}: {who} the next phrase played as its target"
        if name == "tempo":
            return f"tempo {args[0]:g} bpm (was {self.tempo_bpm:g})"
        if name == "reset":
            agents = list(_agents(args[0]))
            episodes = ", ".join(f"{AGENT_NAMES[k]} at episode "
                                 f"{int(q.ag_[k, K.AG_EPISODES])}" for k in agents)
            kept = "; ".join(self._settings_said(k) for k in agents
                             if self._settings_said(k))
            one = len(agents) == 1
            return (f"reset {args[0]}: {'forgets' if one else 'forget'} what "
                    f"{'it' if one else 'they'} learned ({episodes}: from episode 0 again); "
                    f"{'its target and scale stay' if one else 'their targets and scales stay'}"
                    ", and " + (f"the settings you set stay ({kept})" if kept else
                                f"{'its' if one else 'their'} settings are the defaults "
                                "(none set)"))
        if name == "freeze":
            mode = args[1] if len(args) > 1 else True
            pedal = ("; the sustain pedal is down: every agent stays frozen"
                     if self._pedal and not mode else "")
            return (f"freeze {args[0]}: plays its best notes and learns nothing" if mode
                    else f"freeze {args[0]} off: learns again{pedal}")
        if name == "seed":
            return f"seed {args[0]}: every agent's generator reseeded; nothing learned is lost"
        if name == "ring":
            n = int(args[0])
            return (f"ring {n}: every {n} episodes each agent copies its neighbour" if n
                    else f"ring off (was every {self.ring_every})" if self.ring_every
                    else "ring off")
        if name == "map":
            control, target = args
            if target == "off":
                return f"map {control} off: the controller moves nothing"
            setting = target.partition(".")[2]
            low, high = HYPER_RANGES[setting]
            return f"map {control} {target}: the controller moves it from {low:g} to {high:g}"
        if name == "teacher":
            if not args[0]:
                return "teacher off"
            if not self.teacher_steps:
                return "teacher on: nothing taught yet; it plays the next phrase taught"
            notes = " ".join(_note_name(int(p))
                             for p in self.teacher_phrase[0, :self.teacher_steps])
            return f"teacher on: a quiet voice plays {notes}"
        if name.endswith(".stubborn"):
            alpha = q.hyperparameter(cmd.spec.bound[0], "alpha")
            return (f"{name} {'on' if args[0] else 'off'}: steps "
                    + ("1/n" if args[0] else f"alpha {alpha:g}")
                    + " from its next note (kept over a reset)")
        if cmd.spec.handler == "cmd_hyper":
            k, setting = cmd.spec.bound
            return (f"{name} {args[0]:g} (was {q.hyperparameter(k, setting):g}), from its "
                    "next note; kept over a reset"
                    + ("; stubborn steps off" if setting == "alpha"
                       and q.hp_[k, K.HP_STUBBORN] else ""))
        return None

    def _settings_said(self, k: int) -> str:
        """The settings the performer set for agent ``k``: ``a0.eps 0.3, a0.stubborn on``."""
        out = []
        for i, name in enumerate(SETTINGS):
            value = self.agent_settings[k, i]
            if not math.isnan(value):
                shown = ("on" if value else "off") if name == "stubborn" else f"{value:g}"
                out.append(f"{AGENT_NAMES[k]}.{name} {shown}")
        return ", ".join(out)

    def status(self) -> str:
        return (f"qmelody: tempo {self.tempo_bpm:g} bpm, {self._mean_reward_said()}"
                + (f", ring every {self.ring_every}" if self.ring_every else "")
                + (", teacher on" if self.teacher else "")
                + (", faithful" if self.faithful else "") + "\n" + self.cmd_agents())

    def cmd_agents(self) -> str:
        lines = []
        q = self.learner
        for k, agent in enumerate(AGENT_NAMES):
            ag = q.ag_[k]
            if self.nsteps[k] == 0:
                lines.append(f"{agent}: listening for a phrase")
                continue
            name, root = q.scale_of(k)
            target = " ".join(_note_name(int(p)) for p in q.target_pitch_[k, :q.tlen_[k]])
            state = ("practising" if self._practice_left[k] else
                     "frozen" if self.frozen[k] or self._pedal else
                     "armed" if self.armed[k] else "playing")
            lines.append(
                f"{agent}: {state}, episode {int(ag[K.AG_EPISODES])}, reward "
                f"{ag[K.AG_LAST_REWARD]:.2f}, correct {100 * ag[K.AG_LAST_CORRECT]:.0f} %; "
                f"eps {q.hyperparameter(k, 'eps'):.3f} alpha {q.hyperparameter(k, 'alpha'):g} "
                f"gamma {q.hyperparameter(k, 'gamma'):g} temp {q.hyperparameter(k, 'temp'):g}; "
                f"{name} on {scales.NOTE_NAMES[root]}; target {target}")
        return "\n".join(lines)

    def panic(self) -> None:
        for k in range(AGENTS):
            self._sounding[k] = -1
        self._teacher_note = -1
        self._drone_on = False

    # -- what others read -----------------------------------------------------------------------
    def _publish(self) -> None:
        self._dirty = False
        s = self.snapshot.back()
        q = self.learner
        s["time_s"][0] = self._now_smp / self._sr
        s["tempo_bpm"][0] = self.tempo_bpm
        s["progress"][0] = self._progress
        for k in range(AGENTS):
            s["tlen"][k] = q.tlen_[k]
            s["nact"][k] = q.nact_[k]
            s["pos"][k] = q.ag_[k, K.AG_POS]
            s["episodes"][k] = q.ag_[k, K.AG_EPISODES]
            s["reward"][k] = q.ag_[k, K.AG_LAST_REWARD]
            s["correct"][k] = q.ag_[k, K.AG_LAST_CORRECT]
            s["eps"][k] = q.hp_[k, K.HP_EPS]
            s["armed"][k] = self.armed[k]
            s["frozen"][k] = q.hp_[k, K.HP_FROZEN]
            s["practising"][k] = self._practice_left[k]
            s["copied_from"][k] = self._last_copy[k]
            s["curve_n"][k] = self._curve_n[k]
        _flat(s["target"], q.target_pitch_)
        _flat(s["pitches"], q.pitches_)
        _flat(s["played"], q.played_)
        _flat(s["greedy"], q.greedy_)
        _flat(s["explored"], self._explored)
        _flat(s["curve_reward"], self._curve[0])
        _flat(s["curve_correct"], self._curve[1])
        which = self.snapshot.back_index
        views = self._q_views[which]
        if views is None:  # made once per buffer: publishing allocates nothing after
            size = K.MAX_STEPS * K.MAX_ACTIONS
            views = self._q_views[which] = [
                s["q"][k * size:(k + 1) * size].reshape(K.MAX_STEPS, K.MAX_ACTIONS)
                for k in range(AGENTS)]
        for k in range(AGENTS):
            q.q_path(k, views[k])
        self.snapshot.publish()

    # -- what is learned (published by the base class for the autosave) ----------------------
    def learned_layout(self) -> dict:
        """The learner's whole state (Q tables, visits, generators...), the settings (tempo,
        breath, teacher, ring, rounds left), the agents' rhythms and the teacher's phrase."""
        return {**self.learner.state_layout("q"), "settings": 5,
                **{name: (getattr(self, name).shape, getattr(self, name).dtype)
                   for name in LEARNED},
                "teacher_steps": (1, np.int64),
                # what the show is doing (SHOWN), on the piece's own clock
                "clock_smp": (1, np.int64), "teacher_play": 3, "progress": 2,
                **{name.strip("_"): (getattr(self, name).shape, getattr(self, name).dtype)
                   for name in SHOWN}}

    def capture_learned(self, record: dict[str, np.ndarray]) -> None:
        self.learner.capture(record, "q")
        settings = record["settings"]
        settings[0], settings[1] = self.tempo_bpm, self.breath_grid
        settings[2], settings[3] = self.teacher, self.ring_every
        settings[4] = self.rounds_left
        for name in LEARNED:
            np.copyto(record[name], getattr(self, name))
        record["teacher_steps"][0] = self.teacher_steps
        record["clock_smp"][0] = self._clock_smp
        play = record["teacher_play"]
        play[0], play[1], play[2] = self._teacher_next_smp, self._teacher_step, self._teacher_note
        record["progress"][0], record["progress"][1] = self._progress, self._progress_goal
        for name, key in self._shown_keys:
            np.copyto(record[key], getattr(self, name))

    def state_version(self) -> int:
        """Moves with every note learned from and every job, command and controller taken."""
        return self._version + int(self.learner.ag_[:, K.AG_STEPS].sum())

    def restore_learned(self, state: dict[str, np.ndarray]) -> None:
        self.learner.restore(state, "q")
        tempo, breath, teacher, ring, rounds = (float(x) for x in state["settings"])
        if not 20.0 <= tempo <= 300.0:
            raise ValueError(f"tempo {tempo} out of range")
        self.tempo_bpm, self.breath_grid = tempo, breath
        self.teacher, self.ring_every, self.rounds_left = bool(teacher), int(ring), int(rounds)
        for name in LEARNED:
            target = getattr(self, name)
            target[:] = np.asarray(state[name]).reshape(target.shape).astype(target.dtype)
        self.teacher_steps = int(np.asarray(state["teacher_steps"]).reshape(-1)[0])
        self._tstep[:] = 0
        self._given[:] = self.nsteps > 0
        if "clock_smp" in state:  # saved since the show's own state was kept
            self._restore_shown(state)
        if self.faithful and self.rounds_left < FAITHFUL_ROUNDS:
            self.section = f"round {FAITHFUL_ROUNDS - self.rounds_left + 1}"

    def _restore_shown(self, state: dict[str, np.ndarray]) -> None:
        """Where the show was: the clock, each agent's place and note, the teacher, the drone,
        the curves and the settings (checked: a bad file is one error, not a later crash)."""
        for name, key in self._shown_keys:
            target = getattr(self, name)
            source = np.asarray(state[key])
            if source.size != target.size:
                raise ValueError(f"{key}: {source.size} values saved, {target.size} expected")
            target[:] = source.reshape(target.shape).astype(target.dtype)
        if ((self._tstep < 0) | (self._tstep >= K.MAX_STEPS)).any() or \
                (self._sounding > 127).any():
            raise ValueError("an agent's place in its phrase is out of range")
        self._clock_smp = int(np.asarray(state["clock_smp"]).reshape(-1)[0])
        next_smp, step, note = (float(x) for x in np.asarray(state["teacher_play"]))
        self._teacher_next_smp, self._teacher_step, self._teacher_note = (
            next_smp, int(step), int(note))
        self._progress, self._progress_goal = (float(x) for x in np.asarray(state["progress"]))
        self._now_smp = self._clock_smp

    def outputs(self) -> dict[str, float]:
        snap = self.snapshot.read()
        out = {"progress": snap["progress"]}
        for k, agent in enumerate(AGENT_NAMES):
            out[f"episodes/{agent}"] = float(snap["episodes"][k])
        return out

    def gather_news(self) -> None:
        """Phrases taken: each line its own kind (the same phrase taken again and again in a
        second is one line, counted)."""
        while self._news:
            line = self._news.popleft()
            self.repeats.add(line, line)

    def osc_events(self) -> list[tuple[str, float]]:
        """Messages to send once each (per episode: reward/<agent>, correct/<agent>)."""
        out = []
        while self.osc_queue:
            out.append(self.osc_queue.popleft())
        return out

    def signals(self) -> dict[str, float]:
        q = self.learner
        out = {"progress": self._progress}
        for k, agent in enumerate(AGENT_NAMES):
            out[f"eps.{agent}"] = q.hp_[k, K.HP_EPS]
            out[f"episodes.{agent}"] = q.ag_[k, K.AG_EPISODES]
        return out

    def episode_series(self) -> dict[str, list[float]]:
        """Per-agent curves, one value per episode in time order (main thread, after
        ``main_tick`` has collected the last ones)."""
        return {k: list(v) for k, v in self.series.items()}

    def recent_commands(self) -> list[str]:
        return list(self._recent)

    def scene(self, engine, width: int, height: int, fps: float, source=None):
        from synthlearn.visuals.scenes.qmelody import QmelodyScene

        return QmelodyScene(self, width, height)


def _sound_held(bank, note: int, velocity: int) -> None:
    """``note`` held in ``bank``, unless it is already (a graph rebuilt after a JACK rejoin
    carries its voices over: no second attack)."""
    for v in range(bank.voices):
        if bank.vi[v, VI_HELD] == 1 and bank.vi[v, VI_PENDING_NOTE] == note:
            return
    bank.note_on(note, velocity)


def _flat(field: np.ndarray, array: np.ndarray) -> None:
    """Copy ``array`` into a flat snapshot field, element for element."""
    field.reshape(array.shape)[...] = array


def _learns(agents, phrase: phrases.Phrase) -> str:
    """What a performer is told when agents take a phrase: ``a0, a1 learn c4 e4 r g4``."""
    names = [AGENT_NAMES[k] for k in agents]
    return (f"{', '.join(names)} {'learns' if len(names) == 1 else 'learn'} "
            + " ".join(_note_name(p) for p in phrase.pitches))


def _note_name(pitch: int) -> str:
    if pitch < 0:
        return "r"
    return f"{scales.NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"
