"""The live console: lines of the command language, from the terminal, the window's console
line or OSC, become commands in the engine's queue; ``help``, ``piece`` and ``quit`` are answered
here. A bad line gets one line back starting with ``?`` and the music goes on.
"""

from __future__ import annotations

import sys
import threading

from synthlearn import events
from synthlearn.commands import language as console
from synthlearn.commands.language import Where
from synthlearn.commands.names import Names
from synthlearn.errors import UserError
from synthlearn.pieces import PIECES, PLANNED

SESSION = (
    console.Spec("help", (console.Param("command", "word", optional=True),),
                 "list commands, or explain one", owner="session", where=Where.NOW),
    console.Spec("piece", (console.Param("name", "choice", choices=tuple(PIECES),
                                         later=PLANNED),),
                 "switch to another piece; each keeps what it learned (live only)",
                 owner="session", where=Where.MAIN),
    console.Spec("quit", (), "end the performance (live only)", owner="session",
                 where=Where.MAIN),
)


def live_language(cls) -> console.Language:
    """The console language while ``cls`` plays: the engine's, the piece's own, the session's."""
    return console.Language.of(console.ENGINE, cls.commands, SESSION)


class Console:
    """The one dispatcher of command lines, from the terminal, the window's console line and
    OSC: each line is parsed against the language of the piece playing now, then run where its
    spec says — pushed to the block hook (audio), answered here (help), handed to the main
    thread (piece, quit) or to the worker — and its result kept when it is assigned. With a
    terminal stream attached, a thread reads it (readline history and completion on a tty)."""

    def __init__(self, language: console.Language, push, now_smp, *, stop, say=print,
                 stream=None, history: list[str] | None = None, on_piece=None,
                 piece=None, main=None, worker=None, names: Names | None = None):
        self.language, self.push, self.now_smp, self.stop, self.say = (
            language, push, now_smp, stop, say)
        self.stream = stream if stream is not None else sys.stdin
        self.history: list[str] = [] if history is None else history
        self.on_piece = on_piece  # piece NAME: the performance switches (None: not live)
        self.piece = piece  # () -> the piece playing now (its main/worker commands)
        self.main = main  # (job) -> None: run job in the main thread (None: run here)
        self.worker = worker  # .submit(job): a background thread (None: run here)
        self.names = Names() if names is None else names
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
        """One line, run where its spec says. Returns what was said back (an error, help or a
        result), if anything; a bad line is one line starting with ``?``, the music goes on."""
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        try:
            cmd = self.language.parse(line)
        except UserError as exc:
            return self._reply(f"? {exc}")
        where = cmd.spec.where
        if where is Where.AUDIO:
            self.history.append(line)
            self.push(events.command(self.now_smp(), cmd))
            return None
        owner = self if cmd.spec.owner == "session" else self.piece()
        if where is Where.NOW:
            return self._run_now(cmd, owner, line)
        runner = self.main if where is Where.MAIN else self.worker.submit if self.worker else None
        job = lambda: self._run_now(cmd, owner, line)  # noqa: E731
        if runner is None:
            return job()
        runner(job)
        return None

    def _run_now(self, cmd, owner, line: str) -> str | None:
        try:
            result = cmd.run(owner)
            if cmd.target is not None:
                self.names.assign(cmd.target, result)
        except UserError as exc:
            return self._reply(f"? {exc}")
        self.history.append(line)
        if cmd.target is not None:
            return self._reply(f"{cmd.target} = {cmd.name}: kept")
        return self._reply(result) if isinstance(result, str) else None

    def _reply(self, text: str) -> str:
        self.say(text)
        return text

    # -- the session's commands ---------------------------------------------------------------
    def cmd_help(self, command: str | None = None) -> str:
        return self.language.help(*(() if command is None else (command,)))

    def cmd_piece(self, name: str) -> str | None:
        if self.on_piece is None:
            raise UserError("piece: live only")
        reply = self.on_piece(name)
        if reply and reply.startswith("? "):
            raise UserError(reply[2:])
        return reply

    def cmd_quit(self) -> None:
        self.stop.set()

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
