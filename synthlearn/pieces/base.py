"""What every piece provides to the engine.

A piece is the glue between events and sound: it maps notes, controllers and commands to
learner actions and to voice pools. Life cycle: ``__init__`` stores parameters; ``build(engine)``
creates voice pools/synths and returns the stereo pyo output; ``warm()`` compiles kernels;
then, in the audio thread, ``on_event`` for each event due and ``step`` once per block;
``release()`` drops every table view before the engine frees the tables.

Commands: ``commands`` declares a piece's specs; each is run by the piece's method
``cmd_<name>`` (see ``synthlearn.commands.language``), which the base checks when a piece class
is defined, so a command without its code (or code without its command) cannot be registered.
"""

from __future__ import annotations

import numpy as np

from synthlearn.commands import language as console
from synthlearn.events import Event, Kind


class Piece:
    name = "piece"
    summary = ""
    commands: tuple[console.Spec, ...] = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        problems = console.check_handlers(cls, cls.commands)
        if problems:
            raise TypeError(f"piece {cls.__name__}: " + "; ".join(problems))

    # Lines a checker (or a new user) runs to make the piece sound: a piece that does not play
    # notes says here how it starts (run outside the audio thread, in order). ``{dir}`` is a
    # folder holding ``example_files`` (name -> text).
    example_lines: tuple[str, ...] = ()
    example_files: dict[str, str] = {}

    def __init__(self, *, seed: int = 0, faithful: bool = False):
        from synthlearn.commands.names import Names

        self.seed = seed
        self.faithful = faithful
        self.section = "start"
        self.section_time_s = 0.0  # audio time of the last section change
        self.names = Names()  # what assignments keep; the runtime gives the performance's
        self.log: list[dict] = []  # events worth a line in summary.json (sets, retrains)

    @classmethod
    def language(cls) -> console.Language:
        """The command language of this piece: the engine's commands plus its own."""
        return console.Language.of(console.ENGINE, cls.commands)

    def build(self, engine):
        raise NotImplementedError

    @classmethod
    def warm_kernels(cls) -> None:
        """Compile the numba kernels this piece calls in the audio thread, without building it:
        a performance warms every piece before audio starts, so switching compiles nothing."""

    def warm(self) -> None:
        """Compile every kernel the piece calls in the audio thread (pools warm themselves)."""

    def on_event(self, event: Event) -> None:
        """One event, in the audio thread. Commands arrive parsed and checked; the base runs
        them (a piece that overrides this calls :meth:`run_command` for them)."""
        if event.kind == Kind.COMMAND:
            self.run_command(event.command)

    def run_command(self, cmd) -> None:
        """Run one of the piece's commands: its handler ``cmd_<name>(*args)``."""
        cmd.run(self)

    def step(self, block_index: int) -> None:
        """Once per block in the audio thread, before the voice pools update."""

    def panic(self) -> None:
        """Silence whatever the piece sounds besides its voice pools (the engine releases those);
        in the audio thread."""

    def main_tick(self, time_s: float) -> None:
        """Between blocks, in the main thread (offline: before each block; live: each frame or
        every 50 ms): work that may take longer than the audio thread allows."""

    # -- learned state: what an autosave keeps and --resume restores ------------------------
    def learned_state(self) -> dict[str, np.ndarray]:
        """Everything learned so far (learner parameters, settings, rules, tables) as named
        arrays: a consistent copy, safe to take from any thread while audio runs."""
        return {}

    def state_version(self) -> int:
        """A count that changes whenever the learned state may have changed."""
        return 0

    def restore(self, state: dict[str, np.ndarray]) -> None:
        """Take back, exactly, a state :meth:`learned_state` returned (before ``build``)."""

    def use_midi_file(self, path) -> None:
        """A MIDI file plays this piece (a render's input, or perform --midi FILE): a piece that
        cares (qmelody takes its tempo) reads what it needs here, before audio starts."""

    @classmethod
    def default_duration_s(cls, scheduled_s: float) -> float:
        """How long a render lasts when neither the score nor --duration says: by default
        what the score schedules (its MIDI file and commands, and a tail)."""
        return scheduled_s

    def episode_series(self) -> dict[str, list[float]]:
        """Curves with one value per episode (qmelody's ``reward.<agent>``...), for a render's
        summary; read in the main thread."""
        return {}

    def status(self) -> str:
        """The piece's state now, in a line or a few (the console's ``status``: what a
        performer without a window needs). By default its section and signals."""
        values = ", ".join(f"{k} {float(v):.4g}" for k, v in self.signals().items())
        return f"{self.name}: {self.section}" + (f"; {values}" if values else "")

    def news(self) -> list[str]:
        """Lines to tell the performer, once each, since the last call (main thread; a live
        performance prints them): what the piece did by itself, e.g. a phrase taken."""
        return []

    def osc_events(self) -> list[tuple[str, float]]:
        """Messages to send over OSC once each, as they happen (``/synthlearn/KEY value``),
        besides :meth:`outputs`, which is sent when it changes."""
        return []

    def outputs(self) -> dict[str, float]:
        """Signals for other programs (sent over OSC as /synthlearn/KEY): read from what the
        audio hook published, so any thread may call it. qmelody adds ``reward/<agent>``."""
        return {}

    def signals(self) -> dict[str, float]:
        """Learner and voice signals to log over time (read between blocks)."""
        return {}

    def scene(self, engine, width: int, height: int, fps: float, source=None):
        """What the piece looks like: an object whose ``draw()`` returns an (H, W, 3) uint8
        frame of the state now (read between blocks or from the window thread)."""
        from synthlearn.visuals.scenes.partials import PartialsScene

        return PartialsScene(width, height, fps=fps, pools=engine.pools)

    def release(self) -> None:
        """Drop references to table views (called by the engine before it frees tables)."""
