"""``additive``: MIDI notes to additive voices, no learner. The simplest instrument.

Each note is a voice of ``partials`` harmonics whose amplitudes fall as k^-brightness; velocity
sets the level (DLS curve); the sustain pedal holds released notes. It is the engine's test bed.
"""

from __future__ import annotations

import numpy as np

from synthlearn.commands.language import Param, Spec
from synthlearn.events import CC_SUSTAIN, Event, Kind
from synthlearn.pieces.base import Context, Piece


def harmonic_amps(partials: int, brightness: float) -> np.ndarray:
    """Relative amplitudes k^-brightness for k = 1..partials, summing to 1."""
    amps = np.arange(1, partials + 1, dtype=np.float64) ** -brightness
    return amps / amps.sum()


class Additive(Piece):
    name = "additive"
    summary = "MIDI notes to additive voices (no learner)"
    commands = (
        Spec("brightness", (Param("exponent", "float", 0.0, 4.0),),
             "harmonic k at amplitude k^-exponent (0 = all equal, 2 = mellow)"),
        Spec("attack", (Param("seconds", "float", 0.001, 10.0),), "attack time of new notes"),
        Spec("release", (Param("seconds", "float", 0.01, 30.0),), "release time (to -60 dB)"),
        Spec("sustain", (Param("level", "float", 0.0, 1.0),), "sustain level while held"),
    )

    def __init__(
        self,
        *,
        seed: int = 0,
        faithful: bool = False,
        voices: int = 16,
        partials: int = 8,
        brightness: float = 1.0,
        context: Context | None = None,
    ):
        super().__init__(seed=seed, faithful=faithful, context=context)
        self.voices = voices
        self.partials = partials
        self.brightness = brightness
        self.section = "play"
        self.pool = None

    def build(self, engine):
        self.pool = engine.pool(
            "notes", self.voices, self.partials,
            attack_s=0.01, decay_s=2.0, sustain=0.6, release_s=0.6,
        )
        self.pool.bank.partial_amp[:] = harmonic_amps(self.partials, self.brightness)
        return self.pool.output

    def on_event(self, event: Event) -> None:
        bank = self.pool.bank
        kind = event.kind
        if kind == Kind.NOTE_ON:
            bank.note_on(event.number, event.value)
        elif kind == Kind.NOTE_OFF:
            bank.note_off(event.number)
        elif kind == Kind.CONTROL and event.number == CC_SUSTAIN:
            bank.pedal(event.value >= 64)
        elif kind == Kind.COMMAND:
            self.run_command(event.command)

    # -- commands (audio thread) ------------------------------------------------------------
    def cmd_brightness(self, exponent: float) -> None:
        self.brightness = exponent
        self.pool.bank.partial_amp[:] = harmonic_amps(self.partials, exponent)

    def cmd_attack(self, seconds: float) -> None:
        self.pool.attack_s = seconds

    def cmd_release(self, seconds: float) -> None:
        self.pool.release_s = seconds

    def cmd_sustain(self, level: float) -> None:
        self.pool.sustain = level

    def describe(self, cmd) -> str | None:
        """The setting a command leaves (main thread, before the hook runs it)."""
        (value,) = cmd.args
        if cmd.name == "brightness":
            return f"brightness {value:g} (was {self.brightness:g})"
        if self.pool is None:
            return None
        was = {"attack": self.pool.attack_s, "release": self.pool.release_s,
               "sustain": self.pool.sustain}[cmd.name]
        unit = "" if cmd.name == "sustain" else " s"
        return f"{cmd.name} {value:g}{unit} for new notes (was {float(was):g}{unit})"

    def signals(self) -> dict[str, float]:
        return {"voices": float(self.pool.bank.active)}

    def release(self) -> None:
        self.pool = None
