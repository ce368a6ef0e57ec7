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
    """Lines from the terminal (readline history and completion on a tty) to commands."""

    def __init__(self, language: console.Language, push, now_smp, *, stop, say=print,
                 stream=None):
        self.language, self.push, self.now_smp, self.stop, self.say = (
            language, push, now_smp, stop, say)
        self.stream = stream if stream is not None else sys.stdin
        self.history: list[str] = []
        self._thread = threading.Thread(target=self._run, name="synthlearn-console", daemon=True)

    def start(self) -> Console:
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

    def handle(self, line: str) -> None:
        """One line: a command into the queue, or one line saying what was wrong."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        try:
            cmd = self.language.parse(line)
        except UserError as exc:
            self.say(f"? {exc}")  # the music goes on
            return
        self.history.append(line)
        if cmd.name == "help":
            self.say(self.language.help(*cmd.args))
        elif cmd.name == "quit":
            self.stop.set()
        else:
            self.push(events.command(self.now_smp(), cmd))

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


def perform(piece_name: str = "ldd", *, audio: str = "auto", midi: str = "all",
            block: int = 256, sr: int = 48000, record: str | Path | None = None,
            duration_s: float | None = None, window: bool = True, console_in: bool = True,
            seed: int = 0, faithful: bool = False, size=(1280, 720), fps: float = 60.0,
            video_source: str | None = None, say=print) -> dict:
    """Perform ``piece_name`` until ``duration_s``, Ctrl-C, ``quit`` or the window closing."""
    from synthlearn.audio.engine import Engine
    from synthlearn.live import LiveWindow, display_available, run_main_thread, timing_figures

    cls = piece_class(piece_name)
    language = console.Language.of(console.COMMON, cls.commands, SESSION)
    scheduled = []
    from_file = midi.lower().endswith((".mid", ".midi"))
    if from_file:
        from synthlearn.midi.files import read_midi

        scheduled, _ = read_midi(midi, sr)  # played as if performed live
    if window and not display_available():
        say("no display here: performing without a window")
        window = False
    engine = Engine(audio, sr=sr, block=block, seed=seed)
    if not engine.realtime:
        raise UserError(f"perform needs real-time audio (jack or portaudio), not {audio}; "
                        "'synthlearn render' plays scores offline")
    stop = threading.Event()
    ports = cons = win = None
    try:
        engine.boot()
        engine.play(cls(seed=seed, faithful=faithful), scheduled)
        if record is not None:
            engine.record(record)
        push, now = engine.queue.push, engine.now_smp
        if midi not in ("keyboard", "none") and not from_file:
            from synthlearn.midi.inputs import MidiPorts

            ports = MidiPorts(push, now, which=midi,
                              api="UNIX_JACK" if engine.backend == "jack" else None,
                              say=say).start()
        if console_in:
            cons = Console(language, push, now, stop=stop, say=say).start()
        on_key = None
        if window:
            from synthlearn.midi.keyboard import KeyboardPiano

            win = LiveWindow(engine, size=size, fps=fps, title=f"synthlearn: {piece_name}",
                             video_source=video_source)
            piano = KeyboardPiano()

            def on_key(down: bool, name: str) -> None:
                for event in (piano.key_down if down else piano.key_up)(name, now()):
                    push(event)

        engine.start()
        say(f"performing {piece_name} on {engine.backend}, block {block}"
            + (f", recording to {record}" if record else "") + " (Ctrl-C or 'quit' ends)")
        try:
            run_main_thread(
                lambda: stop.is_set() or (duration_s is not None and engine.time_s >= duration_s),
                win, on_key)
        except KeyboardInterrupt:
            say("stopped")
        engine.stop()
        figures = timing_figures(engine)
    finally:
        stop.set()
        if ports is not None:
            ports.close()
        if win is not None:
            win.close()
        engine.close()  # also finishes the recording
    recorded_s = engine.recorder.seconds if engine.recorder is not None else None
    return {"backend": engine.backend, **figures, "recorded_s": recorded_s,
            "midi_received": ports.received if ports else 0,
            "commands": list(cons.history) if cons else []}
