"""The piece: the agents' clock and rhythm, wired to the learner, the recorder, the sound, the
jobs the main thread hands over, and what is published (see the package's docstring)."""

from __future__ import annotations

import collections
import math
from pathlib import Path

import numpy as np

from synthlearn.events import Event, Kind
from synthlearn.learners.qlearning import MAX_ACTIONS, MAX_STEPS, ORIGINAL_MELODIES, QMelody
from synthlearn.mappings import phrase as phrases
from synthlearn.pieces.base import Context, Piece
from synthlearn.pieces.qmelody import jobs, report, state
from synthlearn.pieces.qmelody.agents import AGENT_NAMES, AGENTS, SETTINGS
from synthlearn.pieces.qmelody.commands import SPECS, Commands
from synthlearn.pieces.qmelody.recorder import PhraseRecorder
from synthlearn.pieces.qmelody.sound import Sound
from synthlearn.snapshot import Snapshot
from synthlearn.visuals.records import qmelody as record

DEFAULT_TEMPO_BPM = 120.0
FAITHFUL_TEMPO_BPM = 75.0  # a sixteenth is 0.2 s: the original's note every 0.2 s
BREATH_GRID, FAITHFUL_BREATH_GRID = 2.0, 1.5  # between episodes (faithful: 0.3 s)
FAITHFUL_EPISODES, FAITHFUL_ROUNDS = 100, 2
PRACTICE_NOTES_PER_SAMPLE = 0.5  # silent notes a block may practise (measured in the bench)
PUBLISH_HZ = 60.0  # the scene's record, at most this often (a window shows 60 fps)
RECENT_COMMANDS = 6


class Qmelody(Commands, Piece):
    name = "qmelody"
    summary = "learning the art: Q-learning agents learn a melody, every episode heard"
    commands = SPECS
    example_lines = ("teach all c4,e4,g4,e4,c4",)

    def __init__(self, *, seed: int = 0, faithful: bool = False, context: Context | None = None):
        super().__init__(seed=seed, faithful=faithful, context=context)
        self.learner = QMelody(agents=AGENTS, faithful=faithful).reset(seed=seed)
        self.section = "listening"
        self.base_dir = Path.cwd()
        self.tempo_bpm = FAITHFUL_TEMPO_BPM if faithful else DEFAULT_TEMPO_BPM
        self.breath_grid = FAITHFUL_BREATH_GRID if faithful else BREATH_GRID
        self.teacher = False
        self.ring_every = 0
        self.rounds_left = FAITHFUL_ROUNDS if faithful else 0
        # the rhythm each agent plays: grid steps per step, and whether the learner plays it
        self.durs = np.zeros((AGENTS, MAX_STEPS), np.int64)
        self.learnable = np.zeros((AGENTS, MAX_STEPS), np.bool_)
        self.nsteps = np.zeros(AGENTS, np.int64)
        self.armed = np.ones(AGENTS, np.bool_)  # an agent with no target listens
        # rec's count per agent: a target disarms only the arming it was taken for, not a
        # rec that came while it waited for the hook
        self._arms = np.zeros(AGENTS, np.int64)
        self.frozen = np.zeros(AGENTS, np.bool_)  # by command; the pedal freezes everyone
        self.cc_map = np.full(128, -1, np.int64)  # controller -> agent * 64 + hyperparameter
        self.teacher_phrase = np.full((2, MAX_STEPS), -1, np.int64)  # pitches, grid steps
        self.teacher_steps = 0
        # per agent, what the performer set (aK.NAME, a mapped controller); NaN: the default
        self.agent_settings = np.full((AGENTS, len(SETTINGS)), np.nan)
        self.snapshot = Snapshot(**record.layout())
        self.sound = Sound(AGENTS, faithful=faithful)
        self.recorder = PhraseRecorder()
        # audio-thread state, not learned
        self._tstep = np.zeros(AGENTS, np.int64)
        self._next_smp = np.zeros(AGENTS, np.float64)
        self._practice_left = np.zeros(AGENTS, np.int64)
        self._round_due = False  # faithful: every agent finished its round; rotate this block
        self._since_ring = np.zeros(AGENTS, np.int64)
        self._teacher_step = 0
        self._teacher_next_smp = 0.0
        self._pedal = False
        self._pending: collections.deque = collections.deque()  # jobs, taken in order
        self._given = np.zeros(AGENTS, np.bool_)  # main thread: a target is on its way
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
        self._q = np.zeros((MAX_STEPS, MAX_ACTIONS), np.float64)
        self._q_views: list = [None, None]  # the snapshot's q per agent, per buffer
        self._explored = np.zeros((AGENTS, MAX_STEPS), np.int64)
        self._curve = np.zeros((2, AGENTS, record.CURVE), np.float64)  # reward, correct
        self._curve_n = np.zeros(AGENTS, np.int64)
        self._scratch = {name: getattr(self, name).copy()
                         for name in ("durs", "learnable", "nsteps")}
        self._shown = state.shown_arrays(self)  # made once: the hook copies them
        self.chronicle = report.Chronicle()  # episodes, copies and news, told once each
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
        mix = self.sound.build(engine)
        state.publish(self)
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
        self.sound.release()

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
        job = jobs.Target.of(self, k, phrase)
        self._given[k] = True
        if now:
            self._take(job)
        else:
            self._pending.append(job)

    def _take(self, job) -> None:
        """Audio thread: a job the main thread prepared (row copies). Only this thread
        changes what is learned while audio runs (the base publishes it at a block's end)."""
        self._version += 1
        job.apply(self)

    def main_tick(self, time_s: float) -> None:
        """Main thread: a phrase that ended becomes the armed agents' target; finished episodes
        become curves and OSC messages."""
        if self.recorder.ready:
            self._phrase_ended()
        self.chronicle.collect(self.learner, self.log)

    def _phrase_ended(self) -> None:
        """Main thread: the phrase played becomes the armed agents' target."""
        notes = self.recorder.take(self._sr)
        armed = [k for k in range(AGENTS) if self.armed[k]]
        if not armed:
            return
        beat_s = 60.0 / self.tempo_bpm
        phrase, truncated = phrases.quantise(notes, beat_s / phrases.GRID_PER_BEAT, MAX_STEPS)
        for k in armed:
            self._give(k, phrase)
        self.chronicle.news.append(report.learns(armed, phrase)
                                   + (f" (the first {len(phrase)} notes)" if truncated else ""))
        self.log.append({"time_s": round(notes[0][0], 6), "phrase": list(phrase.pitches),
                         "steps": list(phrase.steps), "agents": [AGENT_NAMES[k] for k in armed],
                         "truncated": truncated})

    # -- events (audio thread) ----------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        self._now_smp = event.time_smp - self._offset_smp  # on the piece's own clock
        kind = event.kind
        if kind == Kind.NOTE_ON:
            self.sound.player_on(event.number, event.value)
            if self.armed.any():
                self.recorder.note_on(event.number, self._now_smp)
        elif kind == Kind.NOTE_OFF:
            self.sound.player_off(event.number)
            self.recorder.note_off(event.number, self._now_smp)
        elif kind == Kind.CONTROL:
            self._control(event.number, event.value)
        elif kind == Kind.COMMAND:
            self.run_command(event.command)

    def run_command(self, cmd) -> None:
        self._recent.append(cmd.text or cmd.name)
        cmd.run(self)
        self._dirty = True
        self._version += 1  # a setting, a hyperparameter, a reset: learned state moved

    # -- the block: notes at their boundaries -------------------------------------------------
    def step(self, block_index: int) -> None:
        if not self._started:  # the first block since build: the clock goes on from here
            self._started = True
            self._offset_smp = block_index * self._block - self._clock_smp
            self.sound.again()
        start = block_index * self._block - self._offset_smp
        end = start + self._block
        self._now_smp = start
        self._clock_smp = end
        while self._pending:
            self._take(self._pending.popleft())
        self.recorder.check_end(start, phrases.PHRASE_GAP_BEATS * 4 * self.grid_smp)
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
        if not self.sound.drone_on and self.nsteps.any():
            self.sound.drone_start(self.learner.scale_of(0)[1])
        self.sound.drone(self._block, self._sr)
        if self._round_due:  # after every agent's notes of this block, as the original's
            self._round_due = False
            self._next_round()
        if self._dirty and block_index - self._published_at >= self._publish_every:
            self._published_at = block_index
            state.publish(self)

    def _boundary(self, k: int) -> None:
        """Agent ``k``'s next step starts: the learner plays it (or rests)."""
        t_smp = self._next_smp[k]
        i = int(self._tstep[k])
        self.sound.silence(k)
        if self.learnable[k, i]:
            pos = self.learner.agent(k).position
            out = self.learner.play(k, t_smp / self._sr)
            explored = out.explored
            self._explored[k, pos] = explored
            pitch = self.learner.pitch_of(k, out.action)
            if pitch >= 0:
                self.sound.agent_note(k, pitch, explored)
            self.sound.hit(k, abs(out.td))
            if out.episode_done:
                self._episode_done(k)
        self._next_smp[k] = t_smp + self.durs[k, i] * self.grid_smp
        i += 1
        if i >= self.nsteps[k]:
            i = 0
            self._next_smp[k] += self.breath_grid * self.grid_smp
        self._tstep[k] = i
        self._dirty = True

    def _episode_done(self, k: int) -> None:
        agent = self.learner.agent(k)
        correct = agent.correct
        slot = self._curve_n[k] % record.CURVE
        self._curve[0, k, slot] = agent.reward
        self._curve[1, k, slot] = correct
        self._curve_n[k] += 1
        if correct >= 1.0:
            self.sound.bell(self.learner.target_pitch_[k, 0])
        self.sound.aim(self.learner)
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
            if self.learner.agent(k).target_episodes < FAITHFUL_EPISODES:
                return False
        return True

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
            self._tstep[k] = self.learner.agent(k).position if not self.faithful else 0
            grid = self.grid_smp
            self._next_smp[k] = math.ceil((start_smp + self._block) / grid) * grid

    def _teacher_boundary(self) -> None:
        i = self._teacher_step % self.teacher_steps
        self.sound.teacher_plays(int(self.teacher_phrase[0, i]))
        self._teacher_next_smp += self.teacher_phrase[1, i] * self.grid_smp
        self._teacher_step = i + 1
        if self._teacher_step >= self.teacher_steps:
            self._teacher_step = 0
            self._teacher_next_smp += self.breath_grid * self.grid_smp

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
        self.chronicle.copied(self._now_smp / self._sr, dst, src)

    def panic(self) -> None:
        self.sound.panic()

    # -- what others read -----------------------------------------------------------------------
    def status(self) -> str:
        return report.status(self)

    def learned_layout(self) -> dict:
        return state.layout(self)

    def capture_learned(self, out: dict[str, np.ndarray]) -> None:
        state.capture(self, out)

    def state_version(self) -> int:
        """Moves with every note learned from and every job, command and controller taken."""
        return self._version + self.learner.notes_played

    def restore_learned(self, saved: dict[str, np.ndarray]) -> None:
        state.restore(self, saved)
        if self.faithful and self.rounds_left < FAITHFUL_ROUNDS:
            self.section = f"round {FAITHFUL_ROUNDS - self.rounds_left + 1}"

    def outputs(self) -> dict[str, float]:
        return report.outputs(self.snapshot.read())

    def gather_news(self) -> None:
        self.chronicle.gather(self.repeats)

    def osc_events(self) -> list[tuple[str, float]]:
        return self.chronicle.osc_events()

    def signals(self) -> dict[str, float]:
        return report.signals(self)

    def episode_series(self) -> dict[str, list[float]]:
        """Per-agent curves, one value per episode in time order (main thread, after
        ``main_tick`` has collected the last ones)."""
        return {k: list(v) for k, v in self.chronicle.series.items()}

    def scene(self, engine, width: int, height: int, fps: float, source=None):
        from synthlearn.visuals.scenes import SnapshotView
        from synthlearn.visuals.scenes.qmelody import QmelodyScene

        return SnapshotView(state.Shown(self.snapshot, self._recent), QmelodyScene(width, height))
