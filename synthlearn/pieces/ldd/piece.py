"""The ldd piece: its voices, the chord and knot logic, the learners stepped on the control
clock, what it publishes and keeps; its commands are ``commands``."""

from __future__ import annotations

import math

import numpy as np

from synthlearn.dsp.voicing import set_overtone_detune
from synthlearn.events import CC_SOFT, CC_SUSTAIN, Event, Kind
from synthlearn.learners.cubic import Cubic
from synthlearn.learners.lissajous import Lissajous
from synthlearn.mappings import detune as mappings
from synthlearn.pieces.base import Context, Piece
from synthlearn.pieces.ldd.commands import CUBIC_PARTS, PARTS, SPECS, Commands
from synthlearn.snapshot import Snapshot
from synthlearn.visuals.records import ldd as ldd_record

BASS_BELOW = 48  # parts 1 and 4: lower notes draw a new cubic
LEFT_HAND_BELOW = 60  # parts 2 and 3: chord notes
CHORD_WINDOW_S = 0.05
KNOT_GAP_S = 2.0  # no new knot within this long of the last one
CHORD_VOICES = 3  # chord notes voiced with detuned overtones
CONTROL_HZ = 60.0  # learner steps per second while notes are held
PARTIALS = 5
VOICES = 16
RELEASE_S, LOW_RELEASE_S = 2.0, 8.0  # the low release below MIDI 60
FAITHFUL_ATTACK_S, ATTACK_S = 0.1, 0.02
SUSTAIN = 0.5  # default: level held while the key is down, after DECAY_S
DECAY_S = 3.0
FAITHFUL_CUT_S = 0.05  # faithful: a note-off cuts the percussive note
CUTOFF_LOW_HZ, CUTOFF_HIGH_HZ, CUTOFF_WANDER_HZ = 1000.0, 3000.0, 1.0
SOFT_PEDAL_DOWN = 64
VOICE_GAIN = 1.0  # 16 voices into the limiter; the demo peaks near -6 dBFS


class Ldd(Commands, Piece):
    name = "ldd"
    summary = "losses, dissonances and distortions: gradient descent heard and seen"
    commands = SPECS

    def __init__(self, *, seed: int = 0, faithful: bool = False, context: Context | None = None):
        super().__init__(seed=seed, faithful=faithful, context=context)
        self.cubic = Cubic().reset(seed=2 * seed)
        self.knot = Lissajous().reset(seed=2 * seed + 1)
        self.part = 1
        self.section = "part 1"
        self.signal = "residual" if faithful else "loss"
        self.gain = 1.0
        self.detune_ratio = 1.0
        fields = ldd_record.layout(self.cubic, self.knot)  # what the scene and autosave read
        self.snapshot = Snapshot(**fields)
        self.pool = None
        self._lowpass = None
        self._held = np.zeros(128, np.bool_)
        self._onset_smp = np.zeros(128, np.int64)
        self._in_chord = np.zeros(128, np.bool_)
        self._voice_of = np.full(128, -1, np.int64)
        self._detuned = np.zeros(VOICES, np.bool_)
        self._chord_start_smp = -(1 << 62)
        self._last_knot_smp = -(1 << 62)
        self._soft_armed = True
        self._bubbles_added = 0
        self._bubbles_cleared = 0
        self._clock_smp = 0.0
        self._now_smp = 0
        self._dirty = True
        self._diverged_said: dict[str, int] = {}
        self._set_faithful(faithful)
        self._publish()  # a state to save (and restore) even before the first block

    # -- set-up ---------------------------------------------------------------------------
    def build(self, engine):
        from synthlearn.audio.filters import WanderingLowpass

        self._sr = engine.sr
        self._block = engine.block
        self._tick_smp = engine.sr / CONTROL_HZ
        self.pool = engine.pool(
            "ldd", VOICES, PARTIALS, attack_s=self._attack_s(), decay_s=DECAY_S,
            sustain=self._sustain(), release_s=RELEASE_S, gain=VOICE_GAIN,
        )
        self.pool.bank.partial_amp[:] = 1.0 / PARTIALS  # five sines at equal amplitude
        self._lowpass = WanderingLowpass(self.pool.output, low_hz=CUTOFF_LOW_HZ,
                                         high_hz=CUTOFF_HIGH_HZ, wander_hz=CUTOFF_WANDER_HZ)
        self.detune_ratio = mappings.detune(self.signal, self.learner, self.gain)  # if resumed
        self._publish()
        return self._lowpass.output

    @classmethod
    def warm_kernels(cls) -> None:
        Cubic().reset().warm()
        Lissajous().reset().warm()

    def warm(self) -> None:
        self.cubic.warm()
        self.knot.warm()
        set_overtone_detune(self.pool.bank.detune, self._detuned, 1.0)

    @property
    def learner(self):
        return self.cubic if self.part in CUBIC_PARTS else self.knot

    def _attack_s(self) -> float:
        return FAITHFUL_ATTACK_S if self.faithful else ATTACK_S

    def _sustain(self) -> float:
        return 0.0 if self.faithful else SUSTAIN

    def _set_faithful(self, on: bool) -> None:
        self.faithful = on
        self.signal = "residual" if on else "loss"
        self.knot.min_freq = 0 if on else 1  # the original could draw a flat knot
        if self.pool is not None:
            bank = self.pool.bank
            bank.attack_s = self._attack_s()
            bank.sustain = self._sustain()
            if on:
                bank.pedal(False)  # the original ignored the sustain pedal

    # -- events (audio thread) -------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        self._now_smp = event.time_smp
        kind = event.kind
        if kind == Kind.NOTE_ON:
            self._note_on(event.number, event.value)
        elif kind == Kind.NOTE_OFF:
            self._note_off(event.number)
        elif kind == Kind.CONTROL:
            if event.number == CC_SOFT:
                if event.value >= SOFT_PEDAL_DOWN and self._soft_armed:
                    self._soft_armed = False
                    self._go(self.part % len(PARTS) + 1)
                elif event.value == 0:
                    self._soft_armed = True  # re-armed only once the pedal is fully up
            elif event.number == CC_SUSTAIN and not self.faithful:
                self.pool.bank.pedal(event.value >= 64)
        elif kind == Kind.COMMAND:
            self.run_command(event.command)
        self._dirty = True

    def _note_on(self, note: int, velocity: int) -> None:
        self._held[note] = True
        self._onset_smp[note] = self._now_smp
        if self.part in CUBIC_PARTS:
            if note < BASS_BELOW:
                self.cubic.new_target()
                self._apply_detune()  # a fresh target sounds in tune until its first step
                if self.part == 4:
                    self._bubbles_cleared += 1
                self._voice(note, velocity, detuned=False)
            else:
                self._step_learner()
                if self.part == 4:
                    self._bubbles_added += 1
                self._voice(note, velocity, detuned=True)
            return
        if note >= LEFT_HAND_BELOW:
            self._voice(note, velocity, detuned=True)
            return
        self._voice(note, velocity, detuned=False)
        if self.faithful:  # any left-hand note is a chord
            self._in_chord[note] = True
            self._new_knot_unless_recent()
        else:
            self._detect_chord(note)
        self._detune_chord_voices()

    def _detect_chord(self, note: int) -> None:
        window = round(CHORD_WINDOW_S * self._sr)
        if self._now_smp - self._chord_start_smp <= window:
            self._in_chord[note] = True  # a later note of the chord being played
            return
        recent = 0
        for n in range(LEFT_HAND_BELOW):
            if self._held[n] and self._now_smp - self._onset_smp[n] <= window:
                recent += 1
        if recent >= 2:
            self._in_chord[:] = False
            for n in range(LEFT_HAND_BELOW):
                if self._held[n] and self._now_smp - self._onset_smp[n] <= window:
                    self._in_chord[n] = True
            self._chord_start_smp = self._now_smp
            for n in range(LEFT_HAND_BELOW):
                if self._in_chord[n]:
                    self._chord_start_smp = min(self._chord_start_smp, int(self._onset_smp[n]))
            self._new_knot_unless_recent()

    def _new_knot_unless_recent(self) -> None:
        if self._now_smp - self._last_knot_smp >= KNOT_GAP_S * self._sr:
            self._last_knot_smp = self._now_smp
            self.knot.new_target()
            self._apply_detune()

    def _detune_chord_voices(self) -> None:
        """The first three held chord notes (lowest first) sound with detuned overtones."""
        voiced = 0
        bank = self.pool.bank
        for n in range(LEFT_HAND_BELOW):
            v = self._voice_of[n]
            if v < 0 or bank.note_of(v) != n:
                continue
            self._detuned[v] = self._in_chord[n] and self._held[n] and voiced < CHORD_VOICES
            voiced += int(self._detuned[v])
        self._apply_detune()

    def _chord_held(self) -> bool:
        held = 0
        for n in range(LEFT_HAND_BELOW):
            held += int(self._held[n] and self._in_chord[n])
        return held >= (1 if self.faithful else 2)

    def _note_off(self, note: int) -> None:
        self._held[note] = False
        self.pool.bank.note_off(note)

    def _voice(self, note: int, velocity: int, *, detuned: bool) -> None:
        low = note < LEFT_HAND_BELOW
        release_s = LOW_RELEASE_S if low else RELEASE_S
        if self.faithful:  # percussive: falls over the release time, a note-off cuts it
            decay_s, release_s = release_s, FAITHFUL_CUT_S
        else:
            decay_s = DECAY_S
        v = self.pool.bank.note_on(note, velocity, decay_s=decay_s, release_s=release_s,
                                   overtones=self.detune_ratio if detuned else 1.0)
        self._voice_of[note] = v
        self._detuned[v] = detuned

    # -- learning ---------------------------------------------------------------------------
    def _step_learner(self) -> None:
        self.learner.step()
        self._apply_detune()

    def _apply_detune(self) -> None:
        self.detune_ratio = mappings.detune(self.signal, self.learner, self.gain)
        set_overtone_detune(self.pool.bank.detune, self._detuned, self.detune_ratio)

    def _learning_held(self) -> bool:
        if self.part in CUBIC_PARTS:
            return bool(self._held[BASS_BELOW:].any())
        return self._chord_held()

    def step(self, block_index: int) -> None:
        """The control clock: CONTROL_HZ steps a second while the playing asks for them."""
        self._clock_smp += self._block
        while self._clock_smp >= self._tick_smp:  # at most ceil(block / tick) turns
            self._clock_smp -= self._tick_smp
            if self._learning_held():
                self._step_learner()
                self._dirty = True
        if self._dirty:
            self._now_smp = (block_index + 1) * self._block
            self._publish()

    # -- what others read -------------------------------------------------------------------
    def _publish(self) -> None:
        """Copy the learner state into the snapshot's back buffer, then publish it."""
        self._dirty = False
        s = self.snapshot.back()
        s["time_s"][0] = self._now_smp / self._sr if self.pool is not None else 0.0
        self.capture_learned(s)  # the settings and the learners: the scene draws them too
        grad = self.learner.grad_
        s["grad"][:] = 0.0
        s["grad"][:grad.shape[0]] = grad
        s["loss"][0] = self.learner.loss_
        s["bubbles_added"][0] = self._bubbles_added
        s["bubbles_cleared"][0] = self._bubbles_cleared
        self.snapshot.publish()

    # -- what is learned (published by the base class for the autosave) ----------------------
    def learned_layout(self) -> dict:
        """The settings and both learners' whole state (as the scene's record names them)."""
        return {**{name: ldd_record.FIELDS[name] for name in ldd_record.SETTINGS},
                **self.cubic.state_layout("cubic"), **self.knot.state_layout("knot")}

    def capture_learned(self, record: dict[str, np.ndarray]) -> None:
        record["part"][0] = self.part
        record["faithful"][0] = self.faithful
        record["signal"][0] = mappings.SIGNALS.index(self.signal)
        record["gain"][0] = self.gain
        self.cubic.capture(record, "cubic")
        self.knot.capture(record, "knot")

    def state_version(self) -> int:
        return self.snapshot.published  # the scene's record: published whenever anything moved

    def restore_learned(self, state: dict[str, np.ndarray]) -> None:
        part, signal = int(state["part"][0]), int(state["signal"][0])
        if part not in PARTS or not 0 <= signal < len(mappings.SIGNALS):
            raise ValueError(f"part {part} / signal {signal} out of range")
        self._set_faithful(bool(state["faithful"][0]))
        self.cubic.restore(state, "cubic")
        self.knot.restore(state, "knot")  # after faithful: the saved knot frequency range
        self.signal = mappings.SIGNALS[signal]
        self.gain = float(state["gain"][0])
        self.part = part
        self.section = f"part {self.part}"
        self._publish()

    def status(self) -> str:
        learner = self.learner
        loss = self._loss_now(learner)
        return (f"ldd: part {self.part} ({learner.kind}), loss {loss:.4g}"
                + f" after {learner.steps_} steps"
                + (" (converged)" if learner.converged_ else "")
                + f", lr {learner.lr:g}, detune {self.signal} x {self.gain:g}, "
                f"{int(self.pool.bank.active) if self.pool else 0} voices sounding"
                + (", faithful" if self.faithful else ""))

    def gather_news(self) -> None:
        """A learner that diverged (too large a rate) and started again: one kind of line per
        learner, said by the base's limiter at most once a second with its true count."""
        for learner in (self.cubic, self.knot):
            diverged = learner.diverged  # the audio thread counts on
            seen = self._diverged_said.get(learner.kind, 0)
            if diverged > seen:
                self._diverged_said[learner.kind] = diverged
                self.repeats.add(f"diverged {learner.kind}",
                                 f"the {learner.kind} diverged at lr {learner.lr:g}: it starts "
                                 "again on a new target; a smaller lr keeps it learning",
                                 diverged - seen)

    def _loss_now(self, learner) -> float:
        """The loss a performer is shown: the last step's, or, before the first step on a
        target, the loss of the fresh approximant (main thread: it allocates)."""
        loss = learner.loss_
        if math.isfinite(loss):
            return loss
        params = learner.theta_ if learner is self.cubic else learner.phase_
        return float(learner.loss_at(params.copy()))

    def outputs(self) -> dict[str, float]:
        snap = self.snapshot.read()
        learner = "cubic" if int(snap["part"]) in CUBIC_PARTS else "knot"
        return {"loss": snap["loss"], "part": snap["part"], "steps": snap[f"{learner}_steps"]}

    def signals(self) -> dict[str, float]:
        learner = self.learner
        return {
            "part": float(self.part),
            "loss": learner.loss_,
            "detune_cents": mappings.ratio_to_cents(self.detune_ratio),
            "steps": float(learner.steps_),
            "voices": float(self.pool.bank.active),
            "cutoff_hz": self._lowpass.cutoff_hz,
        }

    def scene(self, engine, width: int, height: int, fps: float, source=None):
        from synthlearn.visuals.scenes import SnapshotView
        from synthlearn.visuals.scenes.ldd import LddScene

        return SnapshotView(self.snapshot, LddScene(width, height, fps, seed=self.seed,
                                                    source=source))

    def release(self) -> None:
        self.pool = None
        if self._lowpass is not None:
            self._lowpass.release()
        self._lowpass = None
