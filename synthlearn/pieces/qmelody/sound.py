"""What qmelody sounds: a voice per agent, the player's notes, the teacher, and the learning
curve (a drone, drum hits, bells).

Each agent is a voice of its own timbre and place (left, centre, right); a note it chose
greedily sounds clean, an exploratory one rough (its overtones 3 % sharp). Under them: a drone
whose upper voice moves from a semitone cluster to a pure fifth as the agents' mean reward
rises; a drum hit whose loudness is the TD error; a bell when an episode is perfect; the
teacher, a quiet voice playing the last phrase taught.

:class:`Sound` owns the voice pools and what they sound now (each agent's note, the teacher's,
the drone's measure of reward); its methods run in the audio thread and allocate nothing.
"""

from __future__ import annotations

import math

import numpy as np

from synthlearn.dsp.voicing import midi_hz

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
TEACHER_VELOCITY = 90
HIT_TD = 0.05  # |TD error| below this makes no drum hit
DRUM_RATIOS = (1.0, 1.59, 2.14, 2.30, 2.65)  # a membrane's first modes
BELL_RATIOS = (1.0, 2.76, 5.40, 8.93, 13.34)
DRONE_LOW_NOTE = 36  # the drone's root sits in the octave from C2
CLUSTER, FIFTH = 16.0 / 15.0, 1.5  # the drone's upper voice, from no reward to full
DRONE_SMOOTH_S = 3.0


class Sound:
    def __init__(self, agents: int, *, faithful: bool):
        self.agents = agents
        self.faithful = faithful
        self.pools: dict = {}
        self.agent_banks: list = []  # each agent's voice bank (the hook looks them up often)
        self.sounding = np.full(agents, -1, np.int64)  # each agent's note sounding, -1 none
        self.teacher_note = -1
        self.progress = 0.0  # the drone's measure of reward, smoothed
        self.progress_goal = 0.0
        self.drone_on = False
        self._drone_voice = -1

    def build(self, engine) -> list:
        """The voice pools, on ``engine``; returns their outputs, to be mixed."""
        pools = {}
        for k in range(self.agents):
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
        self.agent_banks = [pools[f"agent{k}"].bank for k in range(self.agents)]
        return [p.output for p in pools.values()]

    def release(self) -> None:
        """Drop the pools (the engine frees their tables)."""
        self.pools = {}
        self.agent_banks = []

    # -- the audio thread ---------------------------------------------------------------------
    def again(self) -> None:
        """The first block after a build: the notes that sounded when the piece was last
        played (a switch back, a resume) sound again."""
        for k in range(self.agents):
            if self.sounding[k] >= 0 and self.agent_banks:
                _sound_held(self.agent_banks[k], int(self.sounding[k]), GREEDY_VELOCITY)
        if self.teacher_note >= 0 and self.pools:
            _sound_held(self.pools["teacher"].bank, self.teacher_note, TEACHER_VELOCITY)

    def player_on(self, note: int, velocity: int) -> None:
        self.pools["player"].bank.note_on(note, velocity)

    def player_off(self, note: int) -> None:
        self.pools["player"].bank.note_off(note)

    def agent_note(self, k: int, pitch: int, explored: bool) -> None:
        """Agent ``k`` sounds ``pitch``: clean if greedy, rough if it explored."""
        self.agent_banks[k].note_on(pitch, EXPLORE_VELOCITY if explored else GREEDY_VELOCITY,
                                    overtones=ROUGH if explored else 1.0)
        self.sounding[k] = pitch

    def silence(self, k: int) -> None:
        """Agent ``k``'s note, if one sounds, is released."""
        if self.sounding[k] >= 0 and self.agent_banks:
            self.agent_banks[k].note_off(int(self.sounding[k]))
        self.sounding[k] = -1

    def hit(self, k: int, td: float) -> None:
        """Agent ``k``'s drum, as loud as ``td`` (the |TD error|) is large; none when small."""
        if td > HIT_TD:
            velocity = int(min(127.0, 40.0 + 87.0 * min(td, 1.0)))
            self.pools["hits"].bank.note_on(43 + 5 * k, velocity)
            self.pools["hits"].bank.note_off(43 + 5 * k)

    def bell(self, pitch: int) -> None:
        """A perfect episode: a bell on ``pitch``'s pitch class, high."""
        bell = self.pools["bell"].bank
        bell.note_on(int(pitch % 12) + 84, 100)
        bell.note_off(int(pitch % 12) + 84)

    def teacher_plays(self, pitch: int) -> None:
        """The teacher's next step: its note ends, and ``pitch`` sounds (-1: a rest)."""
        self.teacher_off()
        if pitch >= 0:
            self.pools["teacher"].bank.note_on(pitch, TEACHER_VELOCITY)
            self.teacher_note = pitch

    def teacher_off(self) -> None:
        if self.teacher_note >= 0 and self.pools:
            self.pools["teacher"].bank.note_off(self.teacher_note)
            self.teacher_note = -1

    def aim(self, learner) -> None:
        """Where the drone glides to: the mean of the agents' last rewards, each clipped to
        0..1, over the agents that have played an episode (0 before any)."""
        total, n = 0.0, 0
        for k in range(self.agents):
            agent = learner.agent(k)
            if agent.episodes > 0:
                total += min(1.0, max(0.0, agent.reward))
                n += 1
        self.progress_goal = total / n if n else 0.0

    def drone_start(self, root: int) -> None:
        """The drone starts on ``root`` (a pitch class): its root, and its upper voice on the
        root too, raised by the interval."""
        bank = self.pools["drone"].bank
        low = DRONE_LOW_NOTE + root
        bank.note_on(low, 100)
        self._drone_voice = bank.note_on(low + 1, 100, f0_hz=midi_hz(low))  # note apart
        self.drone_on = True

    def drone(self, block: int, sr: float) -> None:
        """One block of the learning curve as an interval: a semitone cluster at no reward, a
        pure fifth at full reward, gliding (once it has started)."""
        if not self.drone_on:
            return
        a = math.exp(-block / (DRONE_SMOOTH_S * sr))
        self.progress = a * self.progress + (1 - a) * self.progress_goal
        self.pools["drone"].bank.detune[self._drone_voice, :] = \
            CLUSTER * (FIFTH / CLUSTER) ** self.progress

    def panic(self) -> None:
        """Forget what sounds (the engine releases the voices)."""
        for k in range(self.agents):
            self.sounding[k] = -1
        self.teacher_note = -1
        self.drone_on = False


def _sound_held(bank, note: int, velocity: int) -> None:
    """``note`` held in ``bank``, unless it is already (a graph rebuilt after a JACK rejoin
    carries its voices over: no second attack)."""
    if not bank.holds(note):
        bank.note_on(note, velocity)
