"""ldd's commands: each spec beside its handler (all run in the audio thread), and the words
of the state each leaves (``describe``). :class:`Commands` is the piece's half that holds
them."""

from __future__ import annotations

from synthlearn.commands.language import Param, Spec
from synthlearn.mappings import detune as mappings

PARTS = (1, 2, 3, 4)
PART_NAMES = {1: "cubic", 2: "knot", 3: "knot over video", 4: "cubic with bubbles"}
CUBIC_PARTS = (1, 4)

SPECS = (
    Spec("part", (Param("n", "int", 1, 4),),
         "go to part N: 1 cubic, 2 knot, 3 knot + colour split, 4 cubic + bubbles"),
    Spec("next", (), "go to the next part (after part 4, part 1)"),
    Spec("lr", (Param("rate", "float", 1e-6, 10.0),), "learning rate of the current learner"),
    Spec("detune", (Param("signal", "choice", choices=mappings.SIGNALS),),
         "what detunes the overtones: loss (default), residual (the original), mae"),
    Spec("gain", (Param("factor", "float", 0.0, 20.0),),
         "detune gain (1: a typical fresh target starts near 50 cents)"),
    Spec("faithful", (Param("mode", "onoff"),),
         "the original's envelope, chords, knots, detune and warps (on) or ours (off)"),
    Spec("new", (), "a new random target and approximant for the current learner"),
)


class Commands:
    """The handlers of :data:`SPECS` (mixed into :class:`~synthlearn.pieces.ldd.piece.Ldd`)."""

    # -- parts and commands -----------------------------------------------------------------
    def _go(self, part: int) -> None:
        self.part = part
        self.section = f"part {part}"
        self.section_time_s = self._now_smp / self._sr
        self._in_chord[:] = False
        self._apply_detune()

    # -- commands (audio thread) ------------------------------------------------------------
    def cmd_part(self, n: int) -> None:
        self._go(int(n))

    def cmd_next(self) -> None:
        self._go(self.part % len(PARTS) + 1)

    def cmd_lr(self, rate: float) -> None:
        self.learner.lr = rate

    def cmd_detune(self, signal: str) -> None:
        self.signal = signal
        self._apply_detune()

    def cmd_gain(self, factor: float) -> None:
        self.gain = factor
        self._apply_detune()

    def cmd_faithful(self, mode: bool) -> None:
        self._set_faithful(mode)
        self._apply_detune()

    def cmd_new(self) -> None:
        self.learner.new_target()
        if self.part not in CUBIC_PARTS:
            self._last_knot_smp = self._now_smp
        self._apply_detune()

    def describe(self, cmd) -> str | None:
        """The state a command leaves (main thread, before the hook runs it)."""
        name, args = cmd.name, cmd.args
        if name in ("part", "next"):
            part = int(args[0]) if name == "part" else self.part % len(PARTS) + 1
            return f"part {part} ({PART_NAMES[part]})"
        if name == "lr":
            return f"lr {args[0]:g} for the {self.learner.kind} (was {self.learner.lr:g})"
        if name == "detune":
            return f"detune {args[0]} (was {self.signal})"
        if name == "gain":
            return f"gain {args[0]:g} (the detune's, was {self.gain:g})"
        if name == "faithful":
            on = bool(args[0])
            signal = "residual" if on else "loss"  # _set_faithful sets it
            detune = (f"detune {'' if on else 'back to '}{signal} (was {self.signal})"
                      if signal != self.signal else f"detune {signal}")
            ours = "the original's" if on else "our"
            return (f"faithful {'on' if on else 'off'}: {detune}; {ours} envelope, chords, "
                    "knots and warps")
        if name == "new":
            return f"a new target and approximant for the {self.learner.kind}"
        return None
