"""What every piece provides to the engine, in three protocols with defaults.

A piece is the glue between events and sound: it maps notes, controllers and commands to
learner actions and to voice pools. Its hooks come in three groups, each a class with defaults
a piece overrides: :class:`Sounding` (the audio thread, and building before it),
:class:`~synthlearn.pieces.learned.Learned` (what an autosave keeps, published from the hook)
and :class:`Telling` (the main thread: status, news, replies, signals, OSC, the scene). What
the run gives it (the names assignments keep, the folders its commands may use) is its
:class:`Context`, passed when it is made. Life cycle: ``__init__`` stores parameters;
``build(engine)`` creates voice pools/synths and returns the stereo pyo output; ``warm()``
compiles kernels; then, in the audio thread, ``on_event`` for each event due and ``step`` once
per block; ``release()`` drops every table view before the engine frees the tables.

Commands: ``commands`` declares a piece's specs; each is run by the piece's method
``cmd_<name>`` (see ``synthlearn.commands.language``), which the base checks when a piece class
is defined, so a command without its code (or code without its command) cannot be registered.

News (``news``): every line a piece tells goes through one limiter (``repeats``,
:class:`synthlearn.faults.Repeats`) on the piece's audio clock (``audio_s``): each kind at most
once a second, counted. Replies (``describe``): the console words a command's answer from the
piece's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthlearn import files
from synthlearn.commands import language as console
from synthlearn.commands.names import Names
from synthlearn.events import Event, Kind
from synthlearn.faults import Repeats
from synthlearn.pieces.learned import PUBLISH_LEARNED_S, Learned

__all__ = ["PUBLISH_LEARNED_S", "Context", "Learned", "Piece", "Sounding", "Telling"]


@dataclass(frozen=True)
class Context:
    """What the run gives every piece it makes, at construction: the names the performer's
    assignments keep (one owner for the run: every piece that plays, the console and the
    autosave share them) and the folders its commands may read and write
    (:class:`synthlearn.files.Folders`: a performance's session, a score's folder). By default a
    piece made alone (a test, a notebook) has names of its own and the working directory's
    folders."""

    names: Names = field(default_factory=Names)
    files: files.Folders = field(default_factory=files.here)


class Sounding:
    """In the audio thread (with ``build`` and the warms before it, in the main thread): what
    the piece sounds. ``build`` is the one hook without a default."""

    def build(self, engine):
        raise NotImplementedError

    @classmethod
    def warm_kernels(cls) -> None:
        """Compile the numba kernels this piece calls in the audio thread, without building it:
        a performance warms the piece it starts with before audio starts, and another when it
        is first switched to (in the main thread, before the switch), so the hook compiles
        nothing."""

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

    def release(self) -> None:
        """Drop references to table views (called by the engine before it frees tables)."""

    def use_midi_file(self, path) -> None:
        """A MIDI file plays this piece (a render's input, or perform --midi FILE): a piece that
        cares (qmelody takes its tempo) reads what it needs here, before audio starts."""

    @classmethod
    def default_duration_s(cls, scheduled_s: float) -> float:
        """How long a render lasts when neither the score nor --duration says: by default
        what the score schedules (its MIDI file and commands, and a tail)."""
        return scheduled_s


class Telling:
    """In the main thread (or any, where said): what the piece tells the performer, other
    programs and the picture, and the work between blocks."""

    def main_tick(self, time_s: float) -> None:
        """Between blocks, in the main thread (offline: before each block; live: each frame or
        every 50 ms): work that may take longer than the audio thread allows."""

    def status(self) -> str:
        """The piece's state now, in a line or a few (the console's ``status``: what a
        performer without a window needs). By default its section and signals."""
        values = ", ".join(f"{k} {float(v):.4g}" for k, v in self.signals().items())
        return f"{self.name}: {self.section}" + (f"; {values}" if values else "")

    def news(self) -> list[str]:
        """Lines to tell the performer since the last call (main thread; a live performance
        prints them, a render keeps them): what the piece did by itself, e.g. a phrase taken,
        a learner that diverged. Every line goes through the piece's one limiter
        (``repeats``): each kind at most once a second of audio, the repeats counted."""
        self.gather_news()
        return self.repeats.due()

    def gather_news(self) -> None:
        """Main thread, before :meth:`news` says what is due: hand what happened since the
        last call to ``self.repeats.add(kind, line, times)``."""

    def describe(self, cmd) -> str | None:
        """What a command will do, in words of the state it leaves (``part 3 (knot over
        video)``, ``faithful off: detune back to loss``), side effects said; read in the main
        thread from the state now, before the audio thread runs it. None: the console says
        the command's help."""
        return None

    def signals(self) -> dict[str, float]:
        """Learner and voice signals to log over time (read between blocks)."""
        return {}

    def outputs(self) -> dict[str, float]:
        """Signals for other programs (sent over OSC as /synthlearn/KEY): read from what the
        audio hook published, so any thread may call it. qmelody adds ``reward/<agent>``."""
        return {}

    def osc_events(self) -> list[tuple[str, float]]:
        """Messages to send over OSC once each, as they happen (``/synthlearn/KEY value``),
        besides :meth:`outputs`, which is sent when it changes."""
        return []

    def episode_series(self) -> dict[str, list[float]]:
        """Curves with one value per episode (qmelody's ``reward.<agent>``...), for a render's
        summary; read in the main thread."""
        return {}

    def scene(self, engine, width: int, height: int, fps: float, source=None):
        """What the piece looks like: an object whose ``draw()`` returns an (H, W, 3) uint8
        frame of the state now (read between blocks or from the window thread)."""
        from synthlearn.visuals.scenes import SnapshotView
        from synthlearn.visuals.scenes.partials import PartialsScene, PoolsRecord

        return SnapshotView(PoolsRecord(engine.pools), PartialsScene(width, height, fps=fps))


class _Made(type):
    """Every piece, once its own ``__init__`` has run, has its learned state laid out and
    published (in the thread that made it): the hook only ever copies into buffers that
    exist, and an autosave before the first block saves the state it was made with."""

    def __call__(cls, *args, **kwargs):
        piece = super().__call__(*args, **kwargs)
        piece.publish_learned()
        return piece


class Piece(Sounding, Learned, Telling, metaclass=_Made):
    """A piece: its protocols (:class:`Sounding`, :class:`~synthlearn.pieces.learned.Learned`,
    :class:`Telling`) with their defaults, its commands and its context."""

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

    def __init__(self, *, seed: int = 0, faithful: bool = False, context: Context | None = None):
        self.seed = seed
        self.faithful = faithful
        self.context = context if context is not None else Context()
        self.section = "start"
        self.section_time_s = 0.0  # audio time of the last section change
        self.log: list[dict] = []  # events worth a line in summary.json (sets, retrains)
        super().__init__()  # Learned: the publish buffers' bookkeeping, the audio clock
        self.repeats = Repeats(lambda: self.audio_s)

    @property
    def names(self) -> Names:
        """What the performer's assignments keep (the context's: read-only here)."""
        return self.context.names

    @property
    def files(self) -> files.Folders:
        """Where the piece's commands read and write (the context's)."""
        return self.context.files

    @classmethod
    def language(cls) -> console.Language:
        """The command language of this piece: the engine's commands plus its own."""
        return console.Language.of(console.ENGINE, cls.commands)
