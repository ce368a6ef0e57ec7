"""A live performance: engine + inputs + console + window + recorder, in one process.

Threads: pyo's audio thread runs the block hook; rtmidi's threads and the console thread only
push stamped events onto the engine's lock-free queue (short Python, then back to waiting); the
main thread runs the window (or just waits); the recorder's thread writes the WAV.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from synthlearn import console, events
from synthlearn.errors import UserError
from synthlearn.pieces import piece_class

SESSION = (
    console.Spec("quit", (), "end the performance (live only)"),
)


class Console:
    """Lines of the command language (from the terminal, the window's console line or OSC) to
    commands in the queue; help and quit answered here. With a terminal stream attached, a
    thread reads it (readline history and completion on a tty)."""

    def __init__(self, language: console.Language, push, now_smp, *, stop, say=print,
                 stream=None, history: list[str] | None = None):
        self.language, self.push, self.now_smp, self.stop, self.say = (
            language, push, now_smp, stop, say)
        self.stream = stream if stream is not None else sys.stdin
        self.history: list[str] = [] if history is None else history
        self._thread = threading.Thread(target=self._run, name="synthlearn-console", daemon=True)

    def start(self) -> Console:
        """Read the terminal (or the given stream) in a thread."""
        if self.stream is not None and self.stream.isatty():
            self._setup_readline()
        self._thread.start()
        return self

    def _setup_readline(self) -> None:
        try:
            import readline
        except ImportError:  # no readline (Windows): plain lines still work
            return

        def complete(text, state):
            options = self.language.complete(readline.get_line_buffer())
            return options[state] if state < len(options) else None

        readline.set_completer(complete)
        readline.parse_and_bind("tab: complete")
        for line in self.history:  # a resumed session's up-arrow goes back into the last one
            readline.add_history(line)

    def handle(self, line: str) -> str | None:
        """One line: a command into the queue, or one line saying what was wrong. Returns what
        was said back (an error or help), if anything."""
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        try:
            cmd = self.language.parse(line)
        except UserError as exc:
            reply = f"? {exc}"  # the music goes on
            self.say(reply)
            return reply
        self.history.append(line)
        if cmd.name == "help":
            try:
                reply = self.language.help(*cmd.args)
            except UserError as exc:
                reply = f"? {exc}"
            self.say(reply)
            return reply
        if cmd.name == "quit":
            self.stop.set()
        else:
            self.push(events.command(self.now_smp(), cmd))
        return None

    def _run(self) -> None:
        interactive = self.stream.isatty()
        while not self.stop.is_set():
            try:
                line = input("> ") if interactive else self.stream.readline()
            except (EOFError, OSError, ValueError):
                return
            if not line and not interactive:
                return  # end of piped input
            self.handle(line)


class WindowKeys:
    """The window's keys: the console line when open (or opened by Return), else the piano.
    Releases always reach the piano, so a note held while the line opened still ends."""

    def __init__(self, piano, line, push, now_smp):
        self.piano, self.line, self.push, self.now_smp = piano, line, push, now_smp

    def __call__(self, down: bool, name: str, text: str = "") -> None:
        if down and self.line.key(name, text):
            return
        for event in (self.piano.key_down if down else self.piano.key_up)(name, self.now_smp()):
            self.push(event)


def open_session(piece_name: str | None, *, seed: int, faithful: bool,
                 resume: str | Path | None, session_dir: str | Path | None):
    """(piece, Session, history): a fresh piece and a new folder, or the resumed ones."""
    from synthlearn.autosave import STATE_FILE, Session, new_folder

    if resume is not None:
        session = Session(resume)
        meta, state, history = session.load()
        saved = meta["piece"]
        if piece_name is not None and piece_name != saved:
            raise UserError(f"{session.state_path}: holds piece {saved!r}, not {piece_name!r}; "
                            "leave the piece out to resume it")
        piece = piece_class(saved)(seed=int(meta.get("seed", 0)), faithful=faithful)
        try:
            piece.restore(state)
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            raise UserError(f"{session.state_path}: cannot restore {saved} ({exc!s}); "
                            "expected a state saved by this version") from None
        return piece, session, history
    name = piece_name or "ldd"
    cls = piece_class(name)
    if session_dir is not None:
        folder = Path(session_dir)
        if (folder / STATE_FILE).exists():
            raise UserError(f"{folder}: already holds a session; continue it with "
                            f"--resume {folder}, or choose another --session")
    else:
        folder = new_folder(name)
    return cls(seed=seed, faithful=faithful), Session(folder), []


def perform(piece_name: str | None = None, *, audio: str = "auto", midi: str = "all",
            block: int = 256, sr: int = 48000, record: str | Path | None = None,
            duration_s: float | None = None, window: bool = True, console_in: bool = True,
            seed: int = 0, faithful: bool = False, size=(1280, 720), fps: float = 60.0,
            video_source: str | None = None, session_dir: str | Path | None = None,
            resume: str | Path | None = None, osc_in: str | None = None,
            osc_out: str | None = None, say=print) -> dict:
    """Perform a piece (default ldd, or the resumed one) until ``duration_s``, Ctrl-C, ``quit``
    or the window closing; what it learns is autosaved to the session folder."""
    from synthlearn.audio.engine import Engine
    from synthlearn.autosave import Autosaver
    from synthlearn.live import LiveWindow, display_available, run_main_thread, timing_figures

    scheduled = []
    from_file = midi.lower().endswith((".mid", ".midi"))
    if from_file:
        from synthlearn.midi.files import read_midi

        scheduled, _ = read_midi(midi, sr)  # played as if performed live
    from synthlearn.osc import OscIn, OscOut, parse_address

    osc_in_at = parse_address(osc_in, what="--osc-in") if osc_in else None
    osc_out_at = parse_address(osc_out, what="--osc-out") if osc_out else None
    if session_dir is not None and resume is not None:
        raise UserError("--session starts a new session and --resume continues one; give one")
    piece, session, history = open_session(piece_name, seed=seed, faithful=faithful,
                                           resume=resume, session_dir=session_dir)
    engine = Engine(audio, sr=sr, block=block, seed=piece.seed)  # a resumed session's seed
    if not engine.realtime:
        raise UserError(f"perform needs real-time audio (jack or portaudio), not {audio}; "
                        "'synthlearn render' plays scores offline")
    language = console.Language.of(console.COMMON, piece.commands, SESSION)
    if window and not display_available():
        say("no display here: performing without a window")
        window = False
    stop = threading.Event()
    ports = win = saver = osc_listener = osc_sender = None
    push, now = engine.push, engine.now_smp
    cons = Console(language, push, now, stop=stop, say=say, history=history)
    try:
        engine.boot()
        engine.play(piece, scheduled)
        if record is not None:
            engine.record(record)
        saver = Autosaver(session, piece, history=cons.history, now_s=lambda: engine.time_s,
                          say=say).start()
        if midi not in ("keyboard", "none") and not from_file:
            from synthlearn.midi.inputs import MidiPorts

            ports = MidiPorts(push, now, which=midi,
                              api="UNIX_JACK" if engine.backend == "jack" else None,
                              say=say).start()
        if console_in:
            cons.start()
        if osc_in_at is not None:
            osc_listener = OscIn(cons.handle, host=osc_in_at[0], port=osc_in_at[1],
                                 say=say).start()
            say("osc: listening on {}:{} (/synthlearn/do \"LINE\", /synthlearn/COMMAND ARGS)"
                .format(*osc_listener.address))
        if osc_out_at is not None:
            osc_sender = OscOut(piece.outputs, host=osc_out_at[0], port=osc_out_at[1]).start()
            say("osc: sending /synthlearn/{} to {}:{}".format(
                "|".join(piece.outputs()) or "...", *osc_out_at))
        on_key = bar = None
        if window:
            from synthlearn.console_line import ConsoleLine
            from synthlearn.midi.keyboard import KeyboardPiano
            from synthlearn.visuals.console_bar import ConsoleBar

            win = LiveWindow(engine, size=size, fps=fps, title=f"synthlearn: {piece.name}",
                             video_source=video_source)
            on_key = WindowKeys(KeyboardPiano(), ConsoleLine(language, cons.handle,
                                                              cons.history), push, now)
            bar = ConsoleBar(on_key.line, *size)

        say(f"session {session.folder} (autosaved; continue it with --resume {session.folder})")
        engine.start()
        say(f"performing {piece.name} on {engine.backend}, block {block}"
            + (f", recording to {record}" if record else "") + " (Ctrl-C or 'quit' ends"
            + ("; in the window the keys play and Return opens the console line)" if win
               else ")"))
        try:
            run_main_thread(
                lambda: stop.is_set() or (duration_s is not None and engine.time_s >= duration_s),
                win, on_key, bar)
        except KeyboardInterrupt:
            say("stopped")
        engine.stop()
        figures = timing_figures(engine)
        if win is not None:
            figures.update(win.figures())
    finally:
        stop.set()
        for closing in (ports, osc_listener, osc_sender):
            if closing is not None:
                closing.close()
        if win is not None:
            win.close()
        if saver is not None:
            saver.close()  # the last save, with the audio stopped
        engine.close()  # also finishes the recording
    recorded_s = engine.recorder.seconds if engine.recorder is not None else None
    return {"backend": engine.backend, **figures, "recorded_s": recorded_s,
            "midi_received": ports.received if ports else 0, "midi_scheduled": len(scheduled),
            "commands": list(cons.history), "session": str(session.folder),
            "saves": saver.saves}
