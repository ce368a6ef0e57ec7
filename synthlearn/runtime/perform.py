"""A live performance: engine + inputs + console + window + recorder, in one process.

Threads: pyo's audio thread runs the block hook; rtmidi's threads, the console thread and the
OSC thread only push stamped events onto the engine's lock-free queue (short Python, then back
to waiting); the autosave thread writes what was learned; the recorder's thread writes the WAV.
The main thread runs the window (or just waits) and switches pieces (``piece NAME``): building a
pyo graph and a scene belongs there, never in the audio thread.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from pathlib import Path

from synthlearn.commands.console import Console, Names
from synthlearn.errors import UserError
from synthlearn.faults import Faults
from synthlearn.files import checked_folders, for_performance
from synthlearn.pieces import live_language, piece_class
from synthlearn.runtime.compiling import Compiling, compiling
from synthlearn.runtime.stopping import STALL_LIMIT_S, StopRequest
from synthlearn.runtime.worker import Worker


def open_session(piece_name: str | None, *, seed: int, faithful: bool,
                 resume: str | Path | None, session_dir: str | Path | None,
                 compiles: Compiling | None = None):
    """(piece, Session, history): a fresh piece and a new folder, or the resumed ones.
    ``compiles`` watches the kernels making the piece compiles (its learners' first targets)."""
    from synthlearn.runtime.sessions import Session, new_folder

    if resume is not None:
        session = Session(resume)
        if not session.folder.is_dir():
            session.load()  # its own one line: no such session
        session.claim()  # before reading: a session another process plays is refused
        try:
            return _resumed(session, piece_name, faithful, compiles)
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
    with _watching(compiles, name):
        piece = cls(seed=seed, faithful=faithful)
    return piece, session, []


def _watching(compiles: Compiling | None, name: str):
    return compiles.watch(f"the {name} kernels") if compiles else contextlib.nullcontext()


def _resumed(session, piece_name: str | None, faithful: bool, compiles: Compiling | None):
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
    with _watching(compiles, saved):
        piece = restored_piece(session, saved, seed=meta["seed"], faithful=was_faithful)
    session.load_names()  # checked now, before any audio (the performance reads it again)
    return piece, session, history


def restored_piece(session, name: str, *, seed: int, faithful: bool):
    """Piece ``name``, with what it learned in ``session`` if it played there before."""
    piece = piece_class(name)(seed=seed, faithful=faithful)
    state = session.load_state(name)
    if state is not None:
        try:
            piece.restore(state)
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            raise UserError(f"{session.state_path(name)}: cannot restore {name} ({exc!s}); "
                            "expected a state saved by this version") from None
    return piece


class Performance:
    """One live performance; :func:`perform` runs it. Owns the engine, inputs, console,
    autosave, OSC and window, and switches pieces in the main thread."""

    def __init__(self, piece, session, history, *, engine, faithful: bool, midi_ports: str | None,
                 window: bool, console_in: bool, size, fps: float, video_source, osc_in,
                 osc_out, say, osc_may: tuple[str, ...] = (),
                 osc_allow: tuple[str, ...] | None = None, files=None):
        self.piece, self.session, self.engine, self.faithful, self.say = (
            piece, session, engine, faithful, say)
        self.midi_ports, self.window, self.console_in = midi_ports, window, console_in
        self.size, self.fps, self.video_source = size, fps, video_source
        self.osc_in_at, self.osc_out_at = osc_in, osc_out
        from synthlearn.commands.osc import grant

        self.osc_grant = grant(osc_may)  # what OSC senders may do (sound only by default)
        self.osc_allow = osc_allow  # who may send (needed beyond this machine)
        self.stop = threading.Event()
        self.ports = self.win = self.saver = self.osc_listener = self.osc_sender = None
        self.on_key = self.bar = None
        self.watchdog = None
        self._reopen_midi = False  # JACK MIDI inputs closed for a rejoin, to open after it
        self.signals = StopRequest()  # Ctrl-C, SIGTERM: installed while the show runs
        self.started = False  # the audio ran: the session folder is kept whatever follows
        self.save_failed: str | None = None  # the last save's failure, said
        self.switches = 0
        self._warmed: set[str] = set()  # pieces whose kernels are compiled (or loaded) here
        self._said_recording = False
        self.main_faults = Faults("between blocks", "the music goes on")
        self._main_jobs: collections.deque = collections.deque()  # commands for the main thread
        self.worker = Worker(say)
        self.names = Names(session.load_names() if session.exists() else None)
        piece.names = self.names
        # where commands read and write (synthlearn.files): given to every piece that plays
        self.files = files if files is not None else for_performance(session.folder)
        piece.files = self.files
        self.console = Console(live_language(type(piece)), engine.push, engine.now_smp,
                               stop=self.stop, say=say, history=history,
                               on_piece=self.switch_to, piece=lambda: self.piece,
                               main=self._main_jobs.append, worker=self.worker,
                               names=self.names)
        self.say = self.console.emit  # above the terminal's prompt while it waits there

    # -- set-up (main thread, before audio starts) --------------------------------------------
    def open(self, scheduled, record, compiles: Compiling | None = None) -> None:
        """Everything but the window (opened once the audio runs: see :meth:`run`).
        ``compiles``: what making the piece compiled, said with its warm's."""
        from synthlearn.runtime.sessions import Autosaver

        engine, say = self.engine, self.say
        engine.boot()
        if engine.boot_note:
            say(engine.boot_note)
        # Only the playing piece's kernels, before the first block: another's compile when it
        # is first switched to (switch_to), while this one plays on.
        compiles = compiles if compiles is not None else Compiling(say)
        with compiles.watch(f"the {self.piece.name} kernels"):
            self._warm_kernels(type(self.piece))
            engine.play(self.piece, scheduled)
            if record is not None:
                engine.record(record)
        compiles.done()
        self.saver = Autosaver(self.session, self.piece, history=self.console.history,
                               names=self.names, now_s=lambda: engine.time_s, say=say).start()
        self.worker.start()
        if self.midi_ports is not None:
            from synthlearn.midi.inputs import MidiPorts

            self.ports = MidiPorts(engine.push, engine.now_smp, which=self.midi_ports,
                                   api="UNIX_JACK" if engine.backend == "jack" else None,
                                   say=say).start()
        self._open_osc()

    def _warm_kernels(self, cls) -> None:
        """Compile (or load) ``cls``'s audio-thread kernels, once per performance."""
        if cls.name not in self._warmed:
            cls.warm_kernels()
            self._warmed.add(cls.name)

    def _open_osc(self) -> None:
        from synthlearn.commands.osc import OscIn, OscOut, describe_grant

        if self.osc_in_at is not None:
            host, port = self.osc_in_at
            self.osc_listener = OscIn(
                lambda line: self.console.handle(line, quiet=True, grant=self.osc_grant),
                host=host, port=port, say=self.say, allow=self.osc_allow).start()
            senders = (f"; only from {', '.join(self.osc_allow)}" if self.osc_allow is not None
                       else "")
            self.say("osc: listening on {}:{} (/synthlearn/do \"LINE\", /synthlearn/COMMAND "
                     "ARGS){}; it {}".format(*self.osc_listener.address, senders,
                                             describe_grant(self.osc_grant)))
        if self.osc_out_at is not None:
            host, port = self.osc_out_at
            # Reads whichever piece plays now: a switch needs no new sender.
            self.osc_sender = OscOut(lambda: self.piece.outputs(), host=host, port=port,
                                     events=lambda: self.piece.osc_events()).start()
            self.say(f"osc: sending /synthlearn/... to {host}:{port}")

    def _open_window(self) -> None:
        from synthlearn.commands.window_line import ConsoleLine, WindowKeys
        from synthlearn.midi.keyboard import KeyboardPiano
        from synthlearn.runtime.play import LiveWindow
        from synthlearn.visuals.console_bar import ConsoleBar

        self.win = LiveWindow(self.engine, size=self.size, fps=self.fps,
                              title=f"synthlearn: {self.piece.name}",
                              video_source=self.video_source, say=self.say)
        line = ConsoleLine(self.console.complete, self.console.handle, self.console.history)
        self.on_key = WindowKeys(KeyboardPiano(), line, self.engine.push, self.engine.now_smp)
        self.bar = ConsoleBar(line, *self.size)

    # -- piece switching (main thread: ``piece NAME`` is a main-thread command) ----------------
    def switch_to(self, name: str) -> str:
        """Play piece ``name`` instead, keeping what each learned; returns what to say."""
        cls = piece_class(name)  # an unknown or unbuilt piece: its UserError is the answer
        if name == self.piece.name:
            return f"{name} is playing"
        t0 = time.perf_counter()
        # Its kernels first, the first time it plays here: numba may compile for seconds (said),
        # here in the main thread, while the old piece plays on; the hook compiles nothing.
        with compiling(f"the {name} kernels", self.say):
            try:
                self._warm_kernels(cls)
                # Lines sent before this one reach the old piece first (a busy machine may run
                # this main-thread job before the audio thread's next block), then its learning
                # is saved.
                self.engine.drain()
                self.saver.save_now()  # the old piece's learning, saved before it goes
                piece = restored_piece(self.session, name, seed=self.piece.seed,
                                       faithful=self.faithful)
                self.engine.switch(piece)  # builds and warms it before it plays
            except Exception as exc:  # a damaged state file, a graph that failed: play on
                raise UserError(f"piece {name}: {exc}; {self.piece.name} plays on") from None
        piece.names = self.names
        piece.files = self.files
        self.piece = piece
        self.console.language = live_language(type(piece))
        self.saver.switch(piece)
        if self.win is not None:
            self.win.switch(piece)
        self.switches += 1
        return f"playing {name} (switched in {1e3 * (time.perf_counter() - t0):.0f} ms)"

    def run_main_jobs(self) -> None:
        """Main thread: the commands that run here (piece, quit), in the order they came."""
        while self._main_jobs:
            self._main_jobs.popleft()()

    # -- running ---------------------------------------------------------------------------
    def run(self, duration_s: float | None, stall_limit_s: float | None = None) -> dict:
        from synthlearn.runtime.play import Watchdog, run_main_thread, stop_and_measure

        engine = self.engine
        # A server silent for stall_limit_s ends the show; a dead JACK server that comes back
        # under its name before then is rejoined (_rejoin).
        self.watchdog = Watchdog(engine, self.say, rejoin=self._rejoin,
                                 limit_s=STALL_LIMIT_S if stall_limit_s is None
                                 else stall_limit_s)

        def until() -> bool:
            if self.watchdog():
                # What was learned, saved before anything closes: closing a JACK client while
                # the server is stopped (SIGSTOP) blocks in libjack (rtmidi's, holding the GIL).
                self.saver.save_now()
                return True  # close() then finishes the recording and the autosave
            self.run_main_jobs()
            self._recording_failed()
            try:
                self.piece.main_tick(engine.time_s)
                news = self.piece.news()
            except Exception as exc:  # a piece's bug must not end the show
                self.main_faults.record(self.piece, exc, engine.time_s)
                news = []
            osc = self.osc_listener.report() if self.osc_listener else None
            sent = self.osc_sender.report() if self.osc_sender else None
            wrong = self.console.report()
            for line in [*news, engine.faults.report(), self.main_faults.report(), osc, sent,
                         wrong]:
                if line:
                    self.say(line)
            return (self.stop.is_set() or signals.signal is not None
                    or (duration_s is not None and engine.time_s >= duration_s))

        self.say(f"session {self.session.folder} (autosaved; continue it with --resume "
                 f"{self.session.folder})")
        engine.start()
        self.started = True
        if self.window:  # after the first block: a first run compiles its drawing (said)
            self._open_window()
        self.say(f"performing {self.piece.name} on {engine.backend}, block {engine.block}"
                 + (f", recording to {engine.recorder.path}" if engine.recorder else "")
                 + " (Ctrl-C or 'quit' ends"
                 + ("; in the window the keys play and Return opens the console line)"
                    if self.win else ")"))
        # Ctrl-C and SIGTERM (a logout, systemd, kill) end the show the way 'quit' does: the
        # last save, the recording's end and the terminal given back, never torn out midway
        # (close() gives the handlers back, after the last save; a second Ctrl-C means now).
        signals = self.signals
        signals.install()
        if self.console_in:  # its prompt after the opening lines, not among them
            self.console.start()
        interrupted = False
        try:
            run_main_thread(until, self.win, self.on_key, self.bar)
        except KeyboardInterrupt:  # a second Ctrl-C while the first was being handled
            interrupted = True
        if signals.signal is not None or interrupted:
            self.say(f"stopped ({signals.name or 'SIGINT'})")
        return stop_and_measure(engine, self.win)

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
            from synthlearn.midi.inputs import MidiPorts

            self._reopen_midi = False
            self.ports = MidiPorts(self.engine.push, self.engine.now_smp, which=self.midi_ports,
                                   api="UNIX_JACK", say=self.say).start()

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


def perform(piece_name: str | None = None, *, audio: str = "auto", midi="all",
            block: int = 256, sr: int = 48000, record: str | Path | None = None,
            duration_s: float | None = None, window: bool = True, console_in: bool = True,
            seed: int = 0, faithful: bool = False, size=(1280, 720), fps: float = 60.0,
            video_source: str | None = None, session_dir: str | Path | None = None,
            resume: str | Path | None = None, osc_in: str | tuple | None = None,
            osc_out: str | tuple | None = None, voices: str = "numba", force: bool = False,
            osc_may: tuple[str, ...] = (), osc_allow: tuple[str, ...] | None = None,
            read_dirs: tuple[str | Path, ...] = (), exports: str | Path | None = None,
            stall_limit_s: float | None = None, say=print) -> dict:
    """Perform a piece (default ldd, or the resumed one) until ``duration_s``, Ctrl-C, ``quit``,
    the window closing or ``stall_limit_s`` without audio (default 30 s: a stalled server is
    waited for, a dead JACK server rejoined if it comes back); what it learns is autosaved
    to the session folder. Commands read
    files under the working directory, the session, the shipped data and ``read_dirs``, and
    write into ``exports`` (else the session's ``exports/``)."""
    from synthlearn.audio.engine import Engine
    from synthlearn.commands.osc import parse_address
    from synthlearn.midi.files import read_midi
    from synthlearn.midi.source import midi_source
    from synthlearn.runtime.play import display_available

    scheduled, ports = [], None  # ports: which MIDI inputs to open, if any
    source = midi_source(midi) if isinstance(midi, str) else midi  # decided once
    if source.kind == "file":
        scheduled, _ = read_midi(source.value, sr)  # played as if performed live
    elif source.opens_ports:
        ports = source.value
    # Addresses as "[HOST:]PORT" or, from the command line, already (host, port).
    osc_in_at = parse_address(osc_in, what="--osc-in") if isinstance(osc_in, str) else osc_in
    if osc_in_at is not None:  # refused now, before any audio or folder
        from synthlearn.commands.osc import check_listen

        check_listen(*osc_in_at, osc_allow)
    osc_out_at = (parse_address(osc_out, what="--osc-out") if isinstance(osc_out, str)
                  else osc_out)
    if record is not None:  # checked, and never over an earlier take, before any audio
        from synthlearn.audio.recorder import take_path

        record, note = take_path(record, force=force)
        if note:
            say(note)
    if session_dir is not None and resume is not None:
        raise UserError("--session starts a new session and --resume continues one; give one")
    read_dirs = checked_folders(read_dirs, "--read")  # before any folder is made
    compiles = Compiling(say)  # a first run compiles the piece's kernels: said as it does
    piece, session, history = open_session(piece_name, seed=seed, faithful=faithful,
                                           resume=resume, session_dir=session_dir,
                                           compiles=compiles)
    show = None
    try:  # a start that fails leaves nothing behind; the lock goes with us either way
        if source.kind == "file":
            piece.use_midi_file(source.value)
        # A resumed session's seed; the running server's rate and period, if they differ.
        engine = Engine(audio, sr=sr, block=block, seed=piece.seed, voices=voices)
        if not engine.realtime:
            raise UserError(f"perform needs real-time audio (jack or portaudio), not {audio}; "
                            "'synthlearn render' plays scores offline")
        say(engine.route.line)  # which server and library play
        if engine.format_note:
            say(engine.format_note)
        if scheduled and engine.sr != sr:  # stamped again at the rate the server runs
            scheduled, _ = read_midi(source.value, engine.sr)
        if window and not display_available():
            say("no display here: performing without a window")
            window = False
        if not window and source.kind == "keyboard":
            say("the computer keyboard plays in the window, and there is none: notes come only "
                "from the console and OSC (try --midi all)")
        show = Performance(piece, session, history, engine=engine, faithful=faithful,
                           midi_ports=ports, window=window, console_in=console_in, size=size,
                           fps=fps,
                           video_source=video_source, osc_in=osc_in_at, osc_out=osc_out_at,
                           say=say, osc_may=osc_may, osc_allow=osc_allow,
                           files=for_performance(session.folder, read_dirs, exports))
        try:
            show.open(scheduled, record, compiles)
            figures = show.run(duration_s, stall_limit_s)
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
            "piece": show.piece.name, "switches": show.switches,
            "audio_lost": show.watchdog.lost if show.watchdog else None,
            "save_failed": show.save_failed}
