"""A live performance: engine + inputs + console + window + recorder, in one process.

Threads: pyo's audio thread runs the block hook; rtmidi's threads, the console thread and the
OSC thread only push stamped events onto the engine's lock-free queue (short Python, then back
to waiting); the autosave thread writes what was learned; the recorder's thread writes the WAV.
The main thread is the one live driver (:mod:`synthlearn.runtime.live`): it runs the window (or
just waits) and switches pieces (``piece NAME``): building a pyo graph and a scene belongs
there, never in the audio thread. The playing piece is the stage's alone
(:class:`~synthlearn.runtime.stage.Stage`): the console, OSC, the autosave and the window read
it there or are told when it changes.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from synthlearn.commands.console import Console, Names
from synthlearn.errors import UserError
from synthlearn.files import checked_folders, for_performance
from synthlearn.pieces import live_language, piece_class
from synthlearn.pieces.base import Context
from synthlearn.runtime.compiling import Compiling, compiling
from synthlearn.runtime.stage import Stage
from synthlearn.runtime.stopping import STALL_LIMIT_S, StopRequest
from synthlearn.runtime.worker import Worker

if TYPE_CHECKING:
    from synthlearn.midi.source import MidiSource


@dataclass(frozen=True)
class WindowOptions:
    """The window (and the computer keyboard in it): shown or not, its size in pixels, its
    frame rate and the video under the visuals (a FILE, "camera" or "test")."""

    show: bool = True
    size: tuple[int, int] = (1280, 720)
    fps: float = 60.0
    video_source: str | None = None


@dataclass(frozen=True)
class OscOptions:
    """OSC: ``listen``/``send`` as "[HOST:]PORT" or (host, port) (None: no OSC that way);
    what senders may do beyond sound (``may``: show, read, write) and who may send
    (``allow``: needed beyond this machine)."""

    listen: str | tuple[str, int] | None = None
    send: str | tuple[str, int] | None = None
    may: tuple[str, ...] = ()
    allow: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SessionOptions:
    """Where what is learned is autosaved: a new ``folder`` (None: one under
    $XDG_DATA_HOME) or the one to ``resume``; the folders commands may read (``read_dirs``,
    beside the working directory, the session and the shipped data) and where they write
    (``exports``, else the session's ``exports/``)."""

    folder: str | Path | None = None
    resume: str | Path | None = None
    read_dirs: tuple[str | Path, ...] = ()
    exports: str | Path | None = None


@dataclass(frozen=True)
class PerformOptions:
    """Everything a performance is asked for (``synthlearn perform``'s options).

    ``piece``: ldd by default, or the one ``session.resume`` continues; ``audio``: auto, jack,
    pipewire or portaudio; ``midi``: all, a port name fragment, FILE.mid, keyboard, none (or a
    MidiSource); ``record``: a WAV of the master (never over an earlier take unless
    ``force``); ``duration_s``: stop after this much audio (None: Ctrl-C, ``quit`` or the
    window closing); ``stall_limit_s``: how long a silent server is waited for (None: 30 s);
    ``synths``: a folder whose ``*.py`` synth files are loaded before anything else (a file that
    is no synth is one line, and left out)."""

    piece: str | None = None
    seed: int = 0
    faithful: bool = False
    audio: str = "auto"
    sr: int = 48000
    block: int = 256
    voices: str = "numba"
    midi: str | MidiSource = "all"
    console_in: bool = True
    record: str | Path | None = None
    force: bool = False
    duration_s: float | None = None
    stall_limit_s: float | None = None
    synths: str | Path | None = None  # a folder of the performer's synth files, loaded first
    window: WindowOptions = field(default_factory=WindowOptions)
    osc: OscOptions = field(default_factory=OscOptions)
    session: SessionOptions = field(default_factory=SessionOptions)


def open_session(piece_name: str | None, *, seed: int, faithful: bool,
                 resume: str | Path | None, session_dir: str | Path | None,
                 compiles: Compiling | None = None, read_dirs: tuple[Path, ...] = (),
                 exports: Path | None = None):
    """(piece, Session, history): a fresh piece and a new folder, or the resumed ones; the
    piece's context is the session's (its names, and folders reading the session, the
    working directory, the shipped data and ``read_dirs``, writing into ``exports``, else
    the session's ``exports/``). ``compiles`` watches the kernels making the piece compiles
    (its learners' first targets)."""
    from synthlearn.runtime.sessions import Session, new_folder

    if resume is not None:
        session = Session(resume)
        if not session.folder.is_dir():
            session.load()  # its own one line: no such session
        session.claim()  # before reading: a session another process plays is refused
        try:
            return _resumed(session, piece_name, faithful, compiles, read_dirs, exports)
        except BaseException:
            session.release()
            raise
    name = piece_name or "ldd"
    cls = piece_class(name)
    session = Session(session_dir if session_dir is not None else new_folder(name))
    if session_dir is not None:
        session.check_makeable()
    session.claim()  # first, then the check: two starts in one instant cannot both pass it
    if session.exists():
        session.release()
        raise UserError(f"{session_dir}: already holds a session; continue it with "
                        f"--resume {session_dir}, or choose another --session")
    context = Context(Names(), for_performance(session.folder, read_dirs, exports))
    with _watching(compiles, name):
        piece = cls(seed=seed, faithful=faithful, context=context)
    return piece, session, []


def _watching(compiles: Compiling | None, name: str):
    return compiles.watch(f"the {name} kernels") if compiles else contextlib.nullcontext()


def _resumed(session, piece_name: str | None, faithful: bool, compiles: Compiling | None,
             read_dirs: tuple[Path, ...], exports: Path | None):
    """(piece, session, history) of a claimed session folder, or one UserError."""
    meta, history = session.load()
    saved = meta["piece"]
    if piece_name is not None and piece_name != saved:
        raise UserError(f"{session.session_path}: was playing {saved!r}, not "
                        f"{piece_name!r}; leave the piece out to resume it")
    was_faithful = meta.get("faithful")  # absent in sessions saved before it was kept
    if not isinstance(was_faithful, bool):
        was_faithful = faithful
    if faithful and not was_faithful:
        raise UserError(f"{session.session_path}: was playing {saved} in its own mode, not "
                        "the faithful one; leave --faithful out to resume it")
    context = Context(Names(session.load_names()),  # checked now, before any audio
                      for_performance(session.folder, read_dirs, exports))
    with _watching(compiles, saved):
        piece = restored_piece(session, saved, seed=meta["seed"], faithful=was_faithful,
                               context=context)
    return piece, session, history


def restored_piece(session, name: str, *, seed: int, faithful: bool,
                   context: Context | None = None):
    """Piece ``name`` in ``context``, with what it learned in ``session`` if it played there
    before."""
    piece = piece_class(name)(seed=seed, faithful=faithful, context=context)
    state = session.load_state(name)
    if state is not None:
        try:
            piece.restore(state)
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            raise UserError(f"{session.state_path(name)}: cannot restore {name} ({exc!s}); "
                            "expected a state saved by this version") from None
    return piece


class Performance:
    """One live performance of the piece on ``stage``; :func:`perform` runs it. Owns the
    inputs, console, autosave, OSC and window (all told by the stage when the piece
    changes), and switches pieces in the main thread. ``options``: what was asked (the OSC
    addresses already as (host, port)); ``midi_ports``: which MIDI inputs to open (None:
    none)."""

    def __init__(self, stage: Stage, session, history, *, options: PerformOptions,
                 midi_ports: str | None = None, say=print):
        self.stage, self.session, self.options = stage, session, options
        self.engine = stage.engine
        self.midi_ports = midi_ports
        from synthlearn.commands.osc import grant

        self.osc_grant = grant(options.osc.may)  # what OSC senders may do (sound only default)
        self.stop = threading.Event()
        self.ports = self.win = self.saver = self.osc_listener = self.osc_sender = None
        self.on_key = self.bar = None
        self.watchdog = self.driver = None
        self._reopen_midi = False  # JACK MIDI inputs closed for a rejoin, to open after it
        self.signals = StopRequest()  # Ctrl-C, SIGTERM: installed while the show runs
        self.started = False  # the audio ran: the session folder is kept whatever follows
        self.save_failed: str | None = None  # the last save's failure, said
        self.switches = 0
        self._warmed: set[str] = set()  # pieces whose kernels are compiled (or loaded) here
        self._said_recording = False
        self._main_jobs: collections.deque = collections.deque()  # commands for the main thread
        self.worker = Worker(say)
        # The run's context (the names assignments keep, the folders commands may use): the
        # first piece's, given to every piece made after it.
        self.context = stage.piece.context
        self.names = self.context.names
        engine = self.engine
        self.console = Console(live_language(type(stage.piece)), engine.push, engine.now_smp,
                               stop=self.stop, say=say, history=history,
                               on_piece=self.switch_to, piece=lambda: stage.piece,
                               main=self._main_jobs.append, worker=self.worker,
                               names=self.names)
        stage.watch(self._speak)  # the console parses the language of the piece playing
        self.say = self.console.emit  # above the terminal's prompt while it waits there

    def _speak(self, old, new) -> None:
        self.console.language = live_language(type(new))

    # -- set-up (main thread, before audio starts) --------------------------------------------
    def open(self, scheduled, compiles: Compiling | None = None) -> None:
        """Everything but the window (opened once the audio runs: see :meth:`run`).
        ``compiles``: what making the piece compiled, said with its warm's."""
        from synthlearn.runtime.sessions import Autosaver

        engine, say, piece = self.engine, self.say, self.stage.piece
        engine.boot()
        if engine.boot_note:
            say(engine.boot_note)
        # Only the playing piece's kernels, before the first block: another's compile when it
        # is first switched to (switch_to), while this one plays on.
        compiles = compiles if compiles is not None else Compiling(say)
        with compiles.watch(f"the {piece.name} kernels"):
            self._warm_kernels(type(piece))
            self.stage.play(scheduled)
            if self.options.record is not None:
                engine.record(self.options.record)
        compiles.done()
        self.saver = Autosaver(self.session, self.stage, history=self.console.history,
                               names=self.names, now_s=lambda: engine.time_s, say=say).start()
        self.worker.start()
        if self.midi_ports is not None:
            self.ports = self._midi_ports(engine.backend == "jack")
        self._open_osc()

    def _midi_ports(self, jack: bool):
        from synthlearn.midi.inputs import MidiPorts

        return MidiPorts(self.engine.push, self.engine.now_smp, which=self.midi_ports,
                         api="UNIX_JACK" if jack else None, say=self.say).start()

    def _warm_kernels(self, cls) -> None:
        """Compile (or load) ``cls``'s audio-thread kernels, once per performance."""
        if cls.name not in self._warmed:
            cls.warm_kernels()
            self._warmed.add(cls.name)

    def _open_osc(self) -> None:
        from synthlearn.commands.osc import OscIn, OscOut, describe_grant

        osc, stage = self.options.osc, self.stage
        if osc.listen is not None:
            host, port = osc.listen
            self.osc_listener = OscIn(
                lambda line: self.console.handle(line, quiet=True, grant=self.osc_grant),
                host=host, port=port, say=self.say, allow=osc.allow).start()
            senders = f"; only from {', '.join(osc.allow)}" if osc.allow is not None else ""
            self.say("osc: listening on {}:{} (/synthlearn/do \"LINE\", /synthlearn/COMMAND "
                     "ARGS){}; it {}".format(*self.osc_listener.address, senders,
                                             describe_grant(self.osc_grant)))
        if osc.send is not None:
            host, port = osc.send
            # Reads whichever piece plays now: a switch needs no new sender.
            self.osc_sender = OscOut(lambda: stage.piece.outputs(), host=host, port=port,
                                     events=lambda: stage.piece.osc_events()).start()
            self.say(f"osc: sending /synthlearn/... to {host}:{port}")

    def _open_window(self) -> None:
        from synthlearn.commands.window_line import ConsoleLine, WindowKeys
        from synthlearn.midi.keyboard import KeyboardPiano
        from synthlearn.runtime.live import LiveWindow
        from synthlearn.visuals.console_bar import ConsoleBar

        shown = self.options.window
        self.win = LiveWindow(self.stage, size=shown.size, fps=shown.fps,
                              title=f"synthlearn: {self.stage.piece.name}",
                              video_source=shown.video_source, say=self.say)
        line = ConsoleLine(self.console.complete, self.console.handle, self.console.history)
        self.on_key = WindowKeys(KeyboardPiano(), line, self.engine.push, self.engine.now_smp)
        self.bar = ConsoleBar(line, *shown.size)

    # -- piece switching (main thread: ``piece NAME`` is a main-thread command) ----------------
    def switch_to(self, name: str) -> str:
        """Play piece ``name`` instead, keeping what each learned; returns what to say."""
        cls = piece_class(name)  # an unknown or unbuilt piece: its UserError is the answer
        playing = self.stage.piece
        if name == playing.name:
            return f"{name} is playing"
        t0, piece = time.perf_counter(), None
        # Its kernels first, the first time it plays here: numba may compile for seconds (said),
        # here in the main thread, while the old piece plays on; the hook compiles nothing.
        with compiling(f"the {name} kernels", self.say):
            try:
                self._warm_kernels(cls)
                # Lines sent before this one reach the old piece first (a busy machine may run
                # this main-thread job before the audio thread's next block); its learning is
                # saved once it has gone (the autosave is a watcher of the stage).
                self.engine.drain()
                piece = restored_piece(self.session, name, seed=playing.seed,
                                       faithful=self.options.faithful, context=self.context)
                # The engine builds and warms it before it plays; then the console, the
                # autosave and the window are told (the stage's watchers).
                self.stage.switch(piece)
            except Exception as exc:  # a damaged state file, a graph that failed: play on
                if piece is not None and self.stage.piece is piece:  # a watcher failed
                    raise
                raise UserError(f"piece {name}: {exc}; {playing.name} plays on") from None
        self.switches += 1
        return f"playing {name} (switched in {1e3 * (time.perf_counter() - t0):.0f} ms)"

    def run_main_jobs(self) -> None:
        """Main thread: the commands that run here (piece, quit), in the order they came."""
        while self._main_jobs:
            self._main_jobs.popleft()()

    # -- running ---------------------------------------------------------------------------
    def run(self) -> dict:
        """The show, through the one live driver, until ``duration_s``, ``quit``, Ctrl-C,
        SIGTERM, the window closing or the watchdog; the driver's figures."""
        from synthlearn.runtime.live import Driver, Watchdog

        engine, options, signals = self.engine, self.options, self.signals
        # A server silent for stall_limit_s ends the show; a dead JACK server that comes back
        # under its name before then is rejoined (_rejoin).
        self.watchdog = Watchdog(engine, self.say, rejoin=self._rejoin,
                                 limit_s=STALL_LIMIT_S if options.stall_limit_s is None
                                 else options.stall_limit_s)
        reports = [listening.report for listening in (self.osc_listener, self.osc_sender)
                   if listening is not None]
        self.driver = Driver(
            self.stage, self.watchdog, say=self.say, duration_s=options.duration_s,
            chores=[self.run_main_jobs, self._recording_failed],
            reports=[*reports, self.console.report],
            stop=lambda: self.stop.is_set() or signals.signal is not None,
            # What was learned, saved before anything closes: closing a JACK client while the
            # server is stopped (SIGSTOP) blocks in libjack (rtmidi's, holding the GIL).
            on_lost=self.saver.save_now)
        self.say(f"session {self.session.folder} (autosaved; continue it with --resume "
                 f"{self.session.folder})")
        self.driver.start()
        self.started = True
        if options.window.show:  # after the first block: a first run compiles its drawing
            self._open_window()
        self.say(f"performing {self.stage.piece.name} on {engine.backend}, block {engine.block}"
                 + (f", recording to {engine.recorder.path}" if engine.recorder else "")
                 + " (Ctrl-C or 'quit' ends"
                 + ("; in the window the keys play and Return opens the console line)"
                    if self.win else ")"))
        # Ctrl-C and SIGTERM (a logout, systemd, kill) end the show the way 'quit' does: the
        # last save, the recording's end and the terminal given back, never torn out midway
        # (close() gives the handlers back, after the last save; a second Ctrl-C means now).
        signals.install()
        if options.console_in:  # its prompt after the opening lines, not among them
            self.console.start()
        interrupted = False
        try:
            self.driver.loop(self.win, self.on_key, self.bar)
        except KeyboardInterrupt:  # a second Ctrl-C while the first was being handled
            interrupted = True
        if signals.signal is not None or interrupted:
            self.say(f"stopped ({signals.name or 'SIGINT'})")
        return self.driver.finish(self.win)

    def _rejoin(self) -> None:
        """The watchdog's rejoin (main thread): the JACK server died and one listens under
        its name again. MIDI inputs through JACK close first, while their clients of the dead
        server are still theirs to close (the engine's new client makes libjack free every
        one left, under rtmidi), then the engine rejoins, then the inputs open again."""
        if self.ports is not None and self.ports.jack:
            self.ports.close()  # jacklib opens no client meanwhile: the server died
            self.ports, self._reopen_midi = None, True
        self.engine.rejoin()
        if self._reopen_midi:
            self._reopen_midi = False
            self.ports = self._midi_ports(jack=True)

    def _recording_failed(self) -> None:
        """Say once that the recording stopped (a full disk); the music goes on."""
        rec = self.engine.recorder
        if rec is not None and rec.failed is not None and not self._said_recording:
            self._said_recording = True
            self.say(f"recording stopped: {rec.failed}; {rec.path} holds the first "
                     f"{rec.seconds:.1f} s, and the music goes on")

    def close(self) -> None:
        self.stop.set()
        self.console.close()  # the terminal as it was found, whatever ended the show
        for closing in (self.ports, self.osc_listener, self.osc_sender):
            if closing is not None:
                closing.close()
        if self.win is not None:
            self.win.close()
        self.worker.close(timeout_s=0.0)  # a retrain is cancelled: quit waits 0.5 s at most
        if self.saver is not None:
            # The last save, with the audio stopped; if it fails, say what was not saved.
            self.save_failed = self.saver.close()
            if self.save_failed:
                self.say(self.save_failed)
        self.engine.close()  # also finishes the recording
        self.signals.restore()


def perform(options: PerformOptions | None = None, *, say=print) -> dict:
    """Perform a piece (default ldd, or the resumed one) until ``duration_s``, Ctrl-C, ``quit``,
    the window closing or ``stall_limit_s`` without audio (default 30 s: a stalled server is
    waited for, a dead JACK server rejoined if it comes back); what it learns is autosaved
    to the session folder. Commands read files under the working directory, the session, the
    shipped data and ``session.read_dirs``, and write into ``session.exports`` (else the
    session's ``exports/``). Returns the show's figures."""
    from synthlearn.audio.engine import Engine
    from synthlearn.commands.osc import parse_address
    from synthlearn.midi.files import read_midi
    from synthlearn.midi.source import midi_source
    from synthlearn.runtime.live import display_available

    options = options if options is not None else PerformOptions()
    scheduled, ports = [], None  # ports: which MIDI inputs to open, if any
    midi = options.midi
    source = midi_source(midi) if isinstance(midi, str) else midi  # decided once
    if source.kind == "file":
        scheduled, _ = read_midi(source.value, options.sr)  # played as if performed live
    elif source.opens_ports:
        ports = source.value
    # Addresses as "[HOST:]PORT" or, from the command line, already (host, port).
    osc = options.osc
    osc_in_at = (parse_address(osc.listen, what="--osc-in") if isinstance(osc.listen, str)
                 else osc.listen)
    if osc_in_at is not None:  # refused now, before any audio or folder
        from synthlearn.commands.osc import check_listen

        check_listen(*osc_in_at, osc.allow)
    osc_out_at = (parse_address(osc.send, what="--osc-out") if isinstance(osc.send, str)
                  else osc.send)
    record = options.record
    if record is not None:  # checked, and never over an earlier take, before any audio
        from synthlearn.audio.recorder import take_path

        record, note = take_path(record, force=options.force)
        if note:
            say(note)
    where = options.session
    if where.folder is not None and where.resume is not None:
        raise UserError("--session starts a new session and --resume continues one; give one")
    read_dirs = checked_folders(where.read_dirs, "--read")  # before any folder is made
    if options.synths is not None:  # before the pieces are made: they read the registry
        from synthlearn.audio import synths
        from synthlearn.audio.synth_files import load_folder

        load_folder(Path(options.synths), register=synths.register, say=say)
    compiles = Compiling(say)  # a first run compiles the piece's kernels: said as it does
    piece, session, history = open_session(options.piece, seed=options.seed,
                                           faithful=options.faithful, resume=where.resume,
                                           session_dir=where.folder, compiles=compiles,
                                           read_dirs=read_dirs, exports=where.exports)
    show = None
    try:  # a start that fails leaves nothing behind; the lock goes with us either way
        if source.kind == "file":
            piece.use_midi_file(source.value)
        # A resumed session's seed; the running server's rate and period, if they differ.
        engine = Engine(options.audio, sr=options.sr, block=options.block, seed=piece.seed,
                        voices=options.voices)
        if not engine.realtime:
            raise UserError(f"perform needs real-time audio (jack or portaudio), not "
                            f"{options.audio}; 'synthlearn render' plays scores offline")
        say(engine.route.line)  # which server and library play
        if engine.format_note:
            say(engine.format_note)
        if scheduled and engine.sr != options.sr:  # stamped again at the rate the server runs
            scheduled, _ = read_midi(source.value, engine.sr)
        window = options.window.show
        if window and not display_available():
            say("no display here: performing without a window")
            window = False
        if not window and source.kind == "keyboard":
            say("the computer keyboard plays in the window, and there is none: notes come only "
                "from the console and OSC (try --midi all)")
        # What this show runs with: the addresses parsed, the take's path, the window decided.
        options = dataclasses.replace(
            options, record=record, window=dataclasses.replace(options.window, show=window),
            osc=dataclasses.replace(osc, listen=osc_in_at, send=osc_out_at))
        show = Performance(Stage(engine, piece), session, history, options=options,
                           midi_ports=ports, say=say)
        try:
            show.open(scheduled, compiles)
            figures = show.run()
        finally:
            show.close()
    finally:
        session.release(discard=show is None or not show.started)
    recorded_s = engine.recorder.seconds if engine.recorder is not None else None
    return {"backend": engine.backend, **figures, "recorded_s": recorded_s,
            "recorded_to": str(record) if record is not None else None,
            "recording_failed": engine.recorder.failed if engine.recorder else None,
            "midi_received": show.ports.received if show.ports else 0,
            "midi_scheduled": len(scheduled), "commands": list(show.console.history),
            "session": str(session.folder), "saves": show.saver.saves,
            "piece": show.stage.piece.name, "switches": show.switches,
            "audio_lost": show.watchdog.lost if show.watchdog else None,
            "save_failed": show.save_failed}
