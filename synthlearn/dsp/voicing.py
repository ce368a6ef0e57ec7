"""Polyphonic voice control at block rate: allocation, stealing, envelopes and glide.

Pure (numpy + numba). A :class:`VoiceBank` holds every voice's state in preallocated arrays;
each method is one call into an ``@njit(cache=True)`` kernel. Once per audio block,
:meth:`VoiceBank.update` writes every partial's frequency (Hz) and amplitude (linear) into two
float32 arrays, which in the engine are numpy views of the pyo tables the oscillators read.
The pyo side smooths amplitudes per sample (a one-pole ``Port`` of about one block), so the
block-rate envelope below never clicks; frequencies glide here, per block, in small steps.

Partial ``k`` of voice ``v`` sounds at ``f0[v] * ratio[v, k] * detune[v, k]`` Hz with amplitude
``level[v] * velocity_amp[v] * partial_amp[v, k] * gain``. Pieces (and learners) write ``ratio``,
``detune`` and ``partial_amp`` in place; they never touch pyo.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Voice stages.
IDLE, ATTACK, DECAY, RELEASE, STEAL = 0, 1, 2, 3, 4

# Columns of the per-voice integer state ``vi``.
VI_NOTE, VI_STAGE, VI_HELD, VI_SUSTAINED, VI_AGE, VI_PENDING_NOTE = range(6)
N_VI = 6
# Columns of the per-voice float state ``vf``.
(
    VF_LEVEL,
    VF_VEL_AMP,
    VF_F0_HZ,
    VF_DECAY_S,
    VF_RELEASE_S,
    VF_PENDING_VEL_AMP,
    VF_PENDING_F0_HZ,
    VF_PENDING_DECAY_S,
    VF_PENDING_RELEASE_S,
) = range(9)
N_VF = 9
# Entries of the parameter vector ``p``.
P_ATTACK_S, P_SUSTAIN, P_GLIDE_S, P_DT_S, P_GAIN, P_STEAL_S, P_PEDAL, P_MAX_HZ = range(8)
N_P = 8

SILENT = 1e-4  # -80 dB: a releasing voice below this is free again
LN_1000 = math.log(1000.0)  # decay and release times are times to fall by 60 dB


def _parameter(index: int, doc: str) -> property:
    """A :class:`VoiceBank` parameter by name: slot ``index`` of its parameter array ``p``
    (read as a float; a new value applies from the next block)."""

    def get(bank) -> float:
        return float(bank.p[index])

    def put(bank, value: float) -> None:
        bank.p[index] = value

    return property(get, put, doc=doc)


def velocity_amp(velocity: int) -> float:
    """MIDI velocity (1..127) to linear amplitude: 40·log10(v/127) dB, the DLS curve."""
    return (max(0, min(127, velocity)) / 127.0) ** 2


def midi_hz(note: float) -> float:
    """Equal-tempered frequency of a MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


@njit(cache=True)
def _start(vi, vf, fcur, ratio, detune, v):
    # Begin the pending note on voice v from silence: jump (no glide) to its frequencies.
    vi[v, VI_NOTE] = vi[v, VI_PENDING_NOTE]
    vi[v, VI_STAGE] = ATTACK
    vf[v, VF_LEVEL] = 0.0
    vf[v, VF_VEL_AMP] = vf[v, VF_PENDING_VEL_AMP]
    vf[v, VF_F0_HZ] = vf[v, VF_PENDING_F0_HZ]
    vf[v, VF_DECAY_S] = vf[v, VF_PENDING_DECAY_S]
    vf[v, VF_RELEASE_S] = vf[v, VF_PENDING_RELEASE_S]
    K = ratio.shape[1]
    for k in range(K):
        f = vf[v, VF_F0_HZ] * ratio[v, k] * detune[v, k]
        if math.isfinite(f):
            fcur[v * K + k] = f


@njit(cache=True)
def _note_on(vi, vf, p, fcur, ratio, detune, note, vel_amp, f0_hz, decay_s, release_s, age,
             overtones):
    V = vi.shape[0]
    chosen = -1
    for v in range(V):  # a retriggered note keeps its voice
        if vi[v, VI_NOTE] == note and vi[v, VI_STAGE] != IDLE and vi[v, VI_STAGE] != STEAL:
            chosen = v
            break
    if chosen < 0:
        for v in range(V):
            if vi[v, VI_STAGE] == IDLE:
                chosen = v
                break
    if chosen < 0:  # steal the quietest releasing voice, else the oldest one
        best = 2.0
        for v in range(V):
            if vi[v, VI_STAGE] == RELEASE and vf[v, VF_LEVEL] < best:
                best = vf[v, VF_LEVEL]
                chosen = v
    if chosen < 0:
        oldest = age + 1
        for v in range(V):
            if vi[v, VI_AGE] < oldest:
                oldest = vi[v, VI_AGE]
                chosen = v
    v = chosen
    if not math.isnan(overtones):  # the voice's overtone detune, set before it sounds
        detune[v, 0] = 1.0
        for k in range(1, detune.shape[1]):
            detune[v, k] = overtones
    vi[v, VI_PENDING_NOTE] = note
    vf[v, VF_PENDING_VEL_AMP] = vel_amp
    vf[v, VF_PENDING_F0_HZ] = f0_hz
    vf[v, VF_PENDING_DECAY_S] = decay_s
    vf[v, VF_PENDING_RELEASE_S] = release_s
    vi[v, VI_HELD] = 1
    vi[v, VI_SUSTAINED] = 0
    vi[v, VI_AGE] = age
    stage = vi[v, VI_STAGE]
    if stage == IDLE:
        _start(vi, vf, fcur, ratio, detune, v)
    elif vi[v, VI_NOTE] == note and stage != STEAL:
        # Same note again: re-attack from where the level is, no fade.
        vi[v, VI_STAGE] = ATTACK
        vf[v, VF_VEL_AMP] = vel_amp
        vf[v, VF_DECAY_S] = decay_s
        vf[v, VF_RELEASE_S] = release_s
    else:
        vi[v, VI_STAGE] = STEAL  # fade out fast, then start the pending note
    return v


@njit(cache=True)
def set_overtone_detune(detune, voices, factor):
    """Partials 2.. of each voice v with ``voices[v]`` set sound ``factor`` × their ratio."""
    for v in range(detune.shape[0]):
        if voices[v]:
            for k in range(1, detune.shape[1]):
                detune[v, k] = factor


@njit(cache=True)
def _note_off(vi, p, note):
    V = vi.shape[0]
    for v in range(V):
        # A voice fading out for a steal already belongs to its pending note.
        owner = vi[v, VI_PENDING_NOTE] if vi[v, VI_STAGE] == STEAL else vi[v, VI_NOTE]
        if owner == note and vi[v, VI_HELD] == 1 and vi[v, VI_STAGE] != IDLE:
            vi[v, VI_HELD] = 0
            if p[P_PEDAL] > 0.5:
                vi[v, VI_SUSTAINED] = 1
            elif vi[v, VI_STAGE] == ATTACK or vi[v, VI_STAGE] == DECAY:
                vi[v, VI_STAGE] = RELEASE
            # a voice still fading for a steal starts its note and releases at once
            elif vi[v, VI_STAGE] == STEAL:
                vi[v, VI_SUSTAINED] = 2


@njit(cache=True)
def _pedal(vi, p, down):
    p[P_PEDAL] = 1.0 if down else 0.0
    if not down:
        for v in range(vi.shape[0]):
            if vi[v, VI_SUSTAINED] == 1 and vi[v, VI_HELD] == 0:
                vi[v, VI_SUSTAINED] = 0
                if vi[v, VI_STAGE] == ATTACK or vi[v, VI_STAGE] == DECAY:
                    vi[v, VI_STAGE] = RELEASE


@njit(cache=True)
def _release_all(vi, p):
    p[P_PEDAL] = 0.0
    for v in range(vi.shape[0]):
        vi[v, VI_HELD] = 0
        vi[v, VI_SUSTAINED] = 0
        if vi[v, VI_STAGE] == ATTACK or vi[v, VI_STAGE] == DECAY:
            vi[v, VI_STAGE] = RELEASE


@njit(cache=True)
def _update(vi, vf, p, ratio, detune, pamp, fcur, freq_out, amp_out):
    """Advance every envelope by one block and write freq_out (Hz) and amp_out (linear)."""
    V, K = ratio.shape
    dt = p[P_DT_S]
    glide = 1.0 - math.exp(-dt / max(p[P_GLIDE_S], 1e-6))
    attack_step = dt / max(p[P_ATTACK_S], dt)
    steal_step = dt / max(p[P_STEAL_S], dt)
    sustain = p[P_SUSTAIN]
    gain = p[P_GAIN]
    max_hz = p[P_MAX_HZ]
    active = 0
    for v in range(V):
        stage = vi[v, VI_STAGE]
        level = vf[v, VF_LEVEL]
        if stage == ATTACK:
            level += attack_step
            if level >= 1.0:
                level = 1.0
                stage = DECAY
        elif stage == DECAY:
            level = sustain + (level - sustain) * math.exp(-LN_1000 * dt / vf[v, VF_DECAY_S])
            if sustain <= 0.0 and level < SILENT:
                level = 0.0
                stage = IDLE
        elif stage == RELEASE:
            level *= math.exp(-LN_1000 * dt / vf[v, VF_RELEASE_S])
            if level < SILENT:
                level = 0.0
                stage = IDLE
        elif stage == STEAL:
            level -= steal_step
            if level <= 0.0:
                level = 0.0
                vi[v, VI_STAGE] = stage
                vf[v, VF_LEVEL] = level
                _start(vi, vf, fcur, ratio, detune, v)
                stage = ATTACK
                if vi[v, VI_SUSTAINED] == 2:  # released while it was still fading
                    vi[v, VI_SUSTAINED] = 0
                    stage = RELEASE
        vi[v, VI_STAGE] = stage
        vf[v, VF_LEVEL] = level
        if stage != IDLE:
            active += 1
        f0 = vf[v, VF_F0_HZ]
        amp_v = level * vf[v, VF_VEL_AMP] * gain
        for k in range(K):
            i = v * K + k
            target = f0 * ratio[v, k] * detune[v, k]
            a = amp_v * pamp[v, k]
            if math.isfinite(target) and target > 0.0:
                fcur[i] += (target - fcur[i]) * glide
            else:
                a = 0.0  # a learner's NaN or negative frequency is silenced, not played
            if not (math.isfinite(a) and fcur[i] < max_hz):
                a = 0.0  # above the top frequency it would alias
            freq_out[i] = fcur[i]
            amp_out[i] = min(max(a, 0.0), 1.0)
    return active


class VoiceBank:
    """State of ``voices`` voices with ``partials`` partials each.

    ``freq_out``/``amp_out`` are float32 arrays of ``voices * partials`` entries (voice-major);
    the engine passes numpy views of pyo tables here so :meth:`update` writes straight into them.
    """

    def __init__(
        self,
        voices: int,
        partials: int,
        *,
        block_s: float,
        max_hz: float,
        freq_out: np.ndarray | None = None,
        amp_out: np.ndarray | None = None,
        attack_s: float = 0.005,
        decay_s: float = 1.0,
        sustain: float = 0.7,
        release_s: float = 0.5,
        glide_s: float = 0.01,
        gain: float = 1.0,
        steal_s: float = 0.004,
    ):
        if voices < 1 or partials < 1:
            raise ValueError("a voice bank needs at least one voice and one partial")
        n = voices * partials
        self.voices, self.partials = voices, partials
        self.vi = np.zeros((voices, N_VI), np.int64)
        self.vf = np.zeros((voices, N_VF), np.float64)
        self.vf[:, VF_DECAY_S] = decay_s
        self.vf[:, VF_RELEASE_S] = release_s
        self.p = np.zeros(N_P, np.float64)
        self.p[P_ATTACK_S] = attack_s
        self.p[P_SUSTAIN] = sustain
        self.p[P_GLIDE_S] = glide_s
        self.p[P_DT_S] = block_s
        self.p[P_GAIN] = gain
        self.p[P_STEAL_S] = steal_s
        self.p[P_MAX_HZ] = max_hz
        self.decay_s, self.release_s = decay_s, release_s
        self.ratio = np.tile(np.arange(1, partials + 1, dtype=np.float64), (voices, 1))
        self.detune = np.ones((voices, partials), np.float64)
        self.partial_amp = np.full((voices, partials), 1.0 / partials, np.float64)
        self.fcur = np.full(n, 100.0, np.float64)
        self.freq_out = np.zeros(n, np.float32) if freq_out is None else freq_out
        self.amp_out = np.zeros(n, np.float32) if amp_out is None else amp_out
        if self.freq_out.shape != (n,) or self.amp_out.shape != (n,):
            raise ValueError(f"output arrays must hold {n} partials")
        self._age = 0
        self.active = 0

    # -- parameters, by name (the pool's, for every voice; new values apply from the next
    # block, decay and release from the next note) ------------------------------------------
    attack_s = _parameter(P_ATTACK_S, "Time from silence to full level, in seconds.")
    sustain = _parameter(P_SUSTAIN, "Level held while a note is held (0..1); at 0 a note "
                                    "decays to silence.")
    glide_s = _parameter(P_GLIDE_S, "Time constant of a frequency's glide to its target, in "
                                    "seconds.")
    gain = _parameter(P_GAIN, "Linear gain of every partial.")

    # -- what the voices do, by name ------------------------------------------------------
    def note_of(self, v: int) -> int:
        """The note voice ``v`` was last started on (it may be releasing or idle since)."""
        return int(self.vi[v, VI_NOTE])

    def holds(self, note: int) -> bool:
        """``note`` is held in a voice (its key down; a voice fading out to be stolen for it
        counts). No allocation: the audio hook may ask."""
        for v in range(self.voices):
            if self.vi[v, VI_HELD] == 1 and self.vi[v, VI_PENDING_NOTE] == note:
                return True
        return False

    def held_notes(self) -> list[int]:
        """The notes held now, lowest first (allocates: not for the audio thread)."""
        return sorted(int(self.vi[v, VI_PENDING_NOTE]) for v in range(self.voices)
                      if self.vi[v, VI_HELD] == 1)

    # -- events (called from the audio block hook) ----------------------------------------
    def note_on(
        self,
        note: int,
        velocity: int,
        f0_hz: float | None = None,
        *,
        decay_s: float | None = None,
        release_s: float | None = None,
        overtones: float = math.nan,
    ) -> int:
        """Start ``note``; return the voice index it got (stealing one if all are busy).

        ``overtones``: if given, the voice's fundamental is in tune and its partials 2.. sound
        that factor off their ratios from the first sample (``detune`` row of the voice).
        """
        self._age += 1
        return _note_on(
            self.vi, self.vf, self.p, self.fcur, self.ratio, self.detune,
            note, velocity_amp(velocity),
            midi_hz(note) if f0_hz is None else f0_hz,
            self.decay_s if decay_s is None else decay_s,
            self.release_s if release_s is None else release_s,
            self._age,
            float(overtones),
        )

    def note_off(self, note: int) -> None:
        _note_off(self.vi, self.p, note)

    def pedal(self, down: bool) -> None:
        _pedal(self.vi, self.p, down)

    def release_all(self) -> None:
        _release_all(self.vi, self.p)

    def update(self) -> int:
        """One block: envelopes, glide, and the output tables. Returns active voices."""
        self.active = _update(
            self.vi, self.vf, self.p, self.ratio, self.detune, self.partial_amp,
            self.fcur, self.freq_out, self.amp_out,
        )
        return self.active

    def voice_of(self, note: int) -> int:
        """Index of the voice sounding ``note`` (or -1)."""
        hits = np.flatnonzero((self.vi[:, VI_NOTE] == note) & (self.vi[:, VI_STAGE] != IDLE))
        return int(hits[0]) if hits.size else -1

    def warm(self) -> None:
        """Compile and run every kernel with its final dtypes, then return to silence."""
        saved = (self.vi.copy(), self.vf.copy(), self.p.copy(), self.fcur.copy(), self._age,
                 self.detune.copy())
        self.note_on(60, 100)
        self.note_on(61, 100, overtones=1.0)
        set_overtone_detune(self.detune, np.zeros(self.voices, np.bool_), 1.0)
        self.note_off(60)
        self.pedal(True)
        self.pedal(False)
        self.release_all()
        self.update()
        self.vi[:], self.vf[:], self.p[:], self.fcur[:], self._age, self.detune[:] = saved
        self.freq_out[:] = self.fcur
        self.amp_out[:] = 0.0
        self.active = 0
