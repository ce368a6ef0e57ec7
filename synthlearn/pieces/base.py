"""What every piece provides to the engine.

A piece is the glue between events and sound: it maps notes, controllers and commands to
learner actions and to voice pools. Life cycle: ``__init__`` stores parameters; ``build(engine)``
creates voice pools/synths and returns the stereo pyo output; ``warm()`` compiles kernels;
then, in the audio thread, ``on_event`` for each event due and ``step`` once per block;
``release()`` drops every table view before the engine frees the tables.

Commands: ``commands`` declares a piece's specs; each is run by the piece's method
``cmd_<name>`` (see ``synthlearn.commands.language``), which the base checks when a piece class
is defined, so a command without its code (or code without its command) cannot be registered.

What is learned (for the autosave): a piece declares it (``learned_layout``) and copies it
(``capture_learned``); the base publishes it the way a scene's record is published. Two buffers
are allocated once, when the piece is made; at the end of a block the audio hook copies what is
learned into the back one and bumps a count (``publish_learned_at``: at most every
PUBLISH_LEARNED_S of audio, and only when ``state_version`` moved); the autosave copies the
front one, checking the count did not move meanwhile (``learned_state``). So a save is always
one block's state, never half of one block and half of the next, and the audio thread never
waits. Whoever owns the state when no hook runs the piece (the main thread: made, restored,
switched away, audio stopped) publishes it with ``publish_learned``. What a piece's show is
doing (qmelody's places in the phrase, on its own clock; ruler's synths and section) is kept
the same way, so a piece switched back to goes on where it was: nothing plays or is learned
while it is away.

News (``news``): every line a piece tells goes through one limiter (``repeats``,
:class:`synthlearn.faults.Repeats`) on the piece's audio clock (``audio_s``): each kind at most
once a second, counted. Replies (``describe``): the console words a command's answer from the
piece's state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from synthlearn import files
from synthlearn.commands import language as console
from synthlearn.commands.names import Names
from synthlearn.events import Event, Kind
from synthlearn.faults import Repeats
from synthlearn.snapshot import Snapshot

PUBLISH_LEARNED_S = 0.25  # audio time between the hook's looks at what is learned


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


class _Made(type):
    """Every piece, once its own ``__init__`` has run, has its learned state laid out and
    published (in the thread that made it): the hook only ever copies into buffers that
    exist, and an autosave before the first block saves the state it was made with."""

    def __call__(cls, *args, **kwargs):
        piece = super().__call__(*args, **kwargs)
        piece.publish_learned()
        return piece


class Piece(metaclass=_Made):
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
        # What is learned, as last published (see the module's docstring): made once the
        # subclass's __init__ has run (``_Made``), so its layout can read the learners.
        self._learned: Snapshot | None = None
        self._learned_lock = threading.Lock()  # two publishers never fill one buffer
        self._learned_seen: int | None = None  # state_version() at the last publish
        self._learned_look_s = float("-inf")  # audio time of the hook's last look
        # The audio time at the end of the last block the hook ran this piece: the clock of
        # its news (a flood of one kind of line is one line a second of audio, in a render too)
        self.audio_s = 0.0
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

    def main_tick(self, time_s: float) -> None:
        """Between blocks, in the main thread (offline: before each block; live: each frame or
        every 50 ms): work that may take longer than the audio thread allows."""

    # -- learned state: what an autosave keeps and --resume restores ------------------------
    # Where the learned state changes while audio runs, so who publishes it: AUDIO, the hook
    # at a block's end; MAIN (the main thread or a worker changes it), the piece itself, with
    # publish_learned() right after each change in that thread, and the hook leaves it alone.
    learned_in = console.Where.AUDIO

    def learned_layout(self) -> dict:
        """What the piece has learned (learner parameters and generators, settings, rules,
        tables): name -> size, ``(size, dtype)`` or ``(shape, dtype)``, as a
        :class:`~synthlearn.snapshot.Snapshot` field. Read outside the audio thread, when the
        publish buffers are made (:meth:`learned_record`)."""
        return {}

    def capture_learned(self, record: dict[str, np.ndarray]) -> None:
        """Copy what is learned now into ``record`` (one array per field of
        :meth:`learned_layout`, of its shape): element stores and ``np.copyto`` only, nothing
        allocated, no I/O; the audio hook calls it."""

    def restore_learned(self, state: dict[str, np.ndarray]) -> None:
        """Take back, exactly, a state :meth:`learned_state` returned (before ``build``)."""

    def restore(self, state: dict[str, np.ndarray]) -> None:
        """:meth:`restore_learned`, then publish it (main thread, before ``build``): the first
        save after a resume saves what was restored."""
        self.restore_learned(state)
        self.publish_learned()

    def learned_state(self) -> dict[str, np.ndarray]:
        """Everything learned, as last published, in named arrays: a copy taken from any
        thread while audio runs, all of it from one block's end. Raises
        :class:`~synthlearn.snapshot.SnapshotBusy` when the hook kept publishing while it
        copied (the autosave tries again later)."""
        return self._learned.read(arrays=True, strict=True)

    def learned_version(self) -> int:
        """How many times what is learned has been published: the autosave copies it again
        only when this moved."""
        return self._learned.published

    def state_version(self) -> int:
        """A count that changes whenever the learned state may have changed, read by the hook
        when a publish may be due. By default it changes at every publish, so the hook
        publishes every PUBLISH_LEARNED_S of audio; a piece that knows when it learns says
        so, and costs nothing while it does not."""
        return self._learned.published

    def learned_record(self, layout: dict | None = None) -> Snapshot:
        """New publish buffers for ``layout`` (default: :meth:`learned_layout` now). Allocates:
        never in the audio thread. A piece whose learned shapes change (an agent added by a
        main-thread command) makes the record where it makes the new arrays and hands both
        to the thread that owns the state, which swaps them in together
        (:meth:`use_learned_record`) before its next publish."""
        return Snapshot(**(self.learned_layout() if layout is None else layout))

    def use_learned_record(self, record: Snapshot) -> None:
        """Publish into ``record`` from now on, and publish into it now (the thread that owns
        the state; no allocation). Its count goes on from the old record's, so a reader sees
        a new version."""
        with self._learned_lock:
            record.published = self._learned.published
            self._learned = record
            self._publish_learned()

    def publish_learned(self) -> None:
        """Copy what is learned into the back buffer and publish it, from the thread that owns
        the state now: the main thread when no hook runs the piece (made, restored, switched
        away, audio stopped), the changing thread for a ``learned_in`` MAIN piece. (While the
        piece plays, the hook publishes: :meth:`publish_learned_at`.)"""
        with self._learned_lock:
            if self._learned is None:
                self._learned = self.learned_record()
            self._publish_learned()

    def publish_learned_if_moved(self) -> None:
        """The thread that owns the state (a ``learned_in`` MAIN piece's main thread, at its
        tick): publish if ``state_version()`` moved since the last publish (changed by another
        thread, which may not publish it)."""
        if self.state_version() != self._learned_seen:
            self.publish_learned()

    def publish_learned_at(self, end_s: float) -> None:
        """The audio hook, at the end of every block (``end_s``: the audio time it ends): if
        PUBLISH_LEARNED_S has passed since the last look (or the clock started again) and
        ``state_version()`` moved, publish. Never waits: while another thread publishes, the
        next block looks again. (It also keeps the piece's audio clock, ``audio_s``.)"""
        self.audio_s = end_s
        last = self._learned_look_s
        if last <= end_s < last + PUBLISH_LEARNED_S:
            return  # most blocks: one comparison
        if self.learned_in is not console.Where.AUDIO or not self._learned.fields:
            return
        if not self._learned_lock.acquire(blocking=False):
            return
        try:
            self._learned_look_s = end_s
            if self.state_version() != self._learned_seen:
                self._publish_learned()
        finally:
            self._learned_lock.release()

    def _publish_learned(self) -> None:
        record = self._learned
        self._learned_seen = self.state_version()  # before: a change while copying is seen
        self.capture_learned(record.back())
        record.publish()

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
        from synthlearn.visuals.scenes import SnapshotView
        from synthlearn.visuals.scenes.partials import PartialsScene, PoolsRecord

        return SnapshotView(PoolsRecord(engine.pools), PartialsScene(width, height, fps=fps))

    def release(self) -> None:
        """Drop references to table views (called by the engine before it frees tables)."""
