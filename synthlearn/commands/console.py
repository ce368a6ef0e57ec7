"""The live console: lines of the command language, from the terminal, the window's console
line or OSC, become commands in the engine's queue; ``help``, ``piece`` and ``quit`` are answered
here. A bad line gets one line back starting with ``?`` and the music goes on.
"""

from __future__ import annotations

import sys
import threading

from synthlearn import events
from synthlearn.commands import language as console
from synthlearn.errors import UserError
from synthlearn.pieces import PIECES, PLANNED

SESSION = (
    console.Spec("piece", (console.Param("name", "choice", choices=(*PIECES, *PLANNED)),),
                 "switch to another piece; each keeps what it learned (live only)"),
    console.Spec("quit", (), "end the performance (live only)"),
)


def live_language(cls) -> console.Language:
    """The console language while ``cls`` plays: common, the piece's own, and the session's."""
    return console.Language.of(console.COMMON, cls.commands, SESSION)


class Console:
    """Lines of the command language (from the terminal, the window's console line or OSC) to
    commands in the queue; help and quit answered here. With a terminal stream attached, a
    thread reads it (readline history and completion on a tty)."""

    def __init__(self, language: console.Language, push, now_smp, *, stop, say=print,
                 stream=None, history: list[str] | None = None, on_piece=None):
        self.language, self.push, self.now_smp, self.stop, self.say = (
            language, push, now_smp, stop, say)
        self.stream = stream if stream is not None else sys.stdin
        self.history: list[str] = [] if history is None else history
        self.on_piece = on_piece  # piece NAME: the performance switches (None: not live)
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
            options = self.complete(readline.get_line_buffer())
            return options[state] if state < len(options) else None

        readline.set_completer(complete)
        readline.parse_and_bind("tab: complete")
        for line in self.history:  # a resumed session's up-arrow goes back into the last one
            readline.add_history(line)

    def complete(self, prefix: str) -> list[str]:
        return self.language.complete(prefix)  # the language of the piece playing now

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
        if cmd.name == "piece":
            reply = self.on_piece(cmd.args[0]) if self.on_piece else "? piece: live only"
            if not (reply and reply.startswith("? ")):  # history: what happened
                self.history.append(line)
            if reply:
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
