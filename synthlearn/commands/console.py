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
from synthlearn.commands.printable import printable
from synthlearn.commands.terminal import Terminal
from synthlearn.errors import UserError
from synthlearn.faults import Tally
from synthlearn.pieces import PIECES, PLANNED

PROMPT = "> "
MAX_HISTORY = 10_000  # lines kept for the up-arrow and the session folder


def done_line(line: str, cmd, said: str | None = None) -> str:
    """What a command that worked says: the state it leaves, its side effects said, in the
    piece's words (``said``: ``Piece.describe``), else the line and its spec's help."""
    if said:
        return f"ok: {said}"
    return f"ok: {line} ({cmd.spec.help})"


SESSION = (
    console.Spec("help", (console.Param("command", "word", optional=True),),
                 "list commands, or explain one", owner="session", where=Where.NOW),
    console.Spec("piece", (console.Param("name", "choice", choices=tuple(PIECES),
                                         later=PLANNED),),
                 "switch to another piece; each keeps what it learned (live only)",
                 owner="session", where=Where.MAIN, touches=console.Touch.SHOW),
    console.Spec("quit", (), "end the performance (live only)", owner="session",
                 where=Where.MAIN, touches=console.Touch.SHOW),
    console.Spec("status", (), "what the piece is doing now: part, learner, loss, rates, "
                 "agents, rule sets", owner="session", where=Where.NOW),
)


def live_language(cls) -> console.Language:
    """The console language while ``cls`` plays: the engine's, the piece's own, the session's;
    the other pieces' commands are known by name, to say whose a line is."""
    from synthlearn.pieces import piece_class

    language = console.Language.of(console.ENGINE, cls.commands, SESSION)
    for name in PIECES:
        other = piece_class(name)
        if other is cls:
            continue
        for spec in other.commands:
            if spec.name not in language.specs:
                language.elsewhere.setdefault(spec.name, name)
    return language


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
        self._refused, self._refused_last = Tally(), ""
        self._thread = threading.Thread(target=self._run, name="synthlearn-console", daemon=True)
        self._reading = False  # at the terminal's prompt now
        self._terminal: Terminal | None = None
        self._out_lock = threading.Lock()

    def start(self) -> Console:
        """Read the terminal (or the given stream) in a thread."""
        if self.stream is not None and self.stream.isatty():
            self._terminal = Terminal(self.stream.fileno())  # as found: given back at close
            self._setup_readline()
        self._thread.start()
        return self

    def close(self) -> None:
        """The end of the show: the reading thread is left waiting (it is a daemon), the
        terminal's echo and line editing are given back, and a prompt on screen is ended with
        a newline so the shell's own starts on a line of its own."""
        self.stop.set()
        if self._terminal is not None:
            self._terminal.restore()
        if self._reading:
            self._reading = False
            with self._out_lock:
                sys.stdout.write("\n")
                sys.stdout.flush()

    def _setup_readline(self) -> None:
        try:
            import readline
        except ImportError:  # no readline (Windows): plain lines still work
            return

        def complete(text, state):
            options = self.complete(readline.get_line_buffer())
            if len(options) == 1:  # one way on: the word and a space, ready for the next
                options = [options[0] + " "]
            return options[state] if state < len(options) else None

        readline.set_completer(complete)
        readline.parse_and_bind("tab: complete")
        for line in self.history:  # a resumed session's up-arrow goes back into the last one
            readline.add_history(line)

    def complete(self, prefix: str) -> list[str]:
        return self.language.complete(prefix)  # the language of the piece playing now

    def handle(self, line: str, *, quiet: bool = False,
               grant: console.Grant = console.TERMINAL) -> str | None:
        """One line, run where its spec says. Returns what was said back (an error, help, a
        result, or the one line saying what a command changes), if anything; a bad line is one
        line starting with ``?``, the music goes on. ``quiet`` (OSC: a controller may send a
        hundred lines a second) says only what went wrong, and keeps a run of the same command
        as one history line. ``grant``: what the front-end may do (the terminal: anything)."""
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        try:
            cmd = self.language.parse(line, grant)
        except UserError as exc:
            return self._refuse(f"? {exc}", quiet)
        where = cmd.spec.where
        if where is Where.AUDIO:
            self._remember(line, cmd.name, quiet)
            said = None if quiet else self._described(cmd)  # worded before the hook runs it
            self.push(events.command(self.now_smp(), cmd))
            return None if quiet else self._reply(done_line(line, cmd, said))
        owner = self if cmd.spec.owner == "session" else self.piece()
        if where is Where.NOW:
            return self._run_now(cmd, owner, line)
        runner = self.main if where is Where.MAIN else self.worker.submit if self.worker else None
        job = lambda: self._run_now(cmd, owner, line, quiet)  # noqa: E731
        if runner is None:
            return job()
        runner(job)
        return None

    def _run_now(self, cmd, owner, line: str, quiet: bool = False) -> str | None:
        said = None if quiet else self._described(cmd)
        try:
            result = cmd.run(owner)
            if cmd.target is not None:
                self.names.assign(cmd.target, result)
        except UserError as exc:
            return self._refuse(f"? {exc}", quiet)
        self._remember(line, cmd.name, quiet)
        if cmd.target is not None:
            return self._reply(f"{cmd.target} = {cmd.name}: kept")
        if isinstance(result, str):
            return self._reply(result)
        if quiet or cmd.spec.owner == "session":
            return None
        return self._reply(done_line(line, cmd, said))

    def _described(self, cmd) -> str | None:
        """The playing piece's words for what ``cmd`` does (``Piece.describe``), read from its
        state before it runs; None for other commands, or when wording it failed (the
        command still runs: the reply falls back to its help)."""
        if cmd.spec.owner != "piece" or self.piece is None:
            return None
        try:
            return self.piece().describe(cmd)
        except Exception:  # noqa: BLE001 - a reply's wording must never cost the command
            return None

    def _remember(self, line: str, name: str, quiet: bool) -> None:
        """Into the history (which the autosave keeps). Bounded: a controller's stream of one
        command is one line, and past MAX_HISTORY lines nothing more is kept."""
        if quiet and self.history and self.history[-1].split(" ", 1)[0] == name:
            return
        if len(self.history) < MAX_HISTORY:
            self.history.append(line)

    def _refuse(self, text: str, quiet: bool) -> str:
        """A wrong line's answer. From a stream (``quiet``: OSC) at most one a second is said;
        the rest are counted and told by :meth:`report` (a flood of wrong commands is one line
        a second, not two hundred)."""
        if not quiet or self._refused.now_or_later():
            return self._reply(text)
        self._refused_last = text
        return text

    def report(self) -> str | None:
        """Main thread: the wrong lines a stream sent that were not said (once a second)."""
        new = self._refused.since_said()
        return f"osc: {new} more wrong lines (last: {self._refused_last[2:]})" if new else None

    def _reply(self, text: str) -> str:
        self.emit(text)
        return text

    def emit(self, text: str) -> None:
        """Say ``text``; while the terminal console waits at its prompt, above it: the line
        being typed is cleared, the text printed, and the prompt with what was typed drawn
        again, so output never runs into the prompt (any thread). Control characters in it
        (a label from a CSV, a name from OSC) are shown escaped, never sent to the terminal."""
        text = printable(text)
        if not self._reading:
            self.say(text)
            return
        try:
            import readline

            typed = readline.get_line_buffer()
        except ImportError:
            typed = ""
        with self._out_lock:
            sys.stdout.write(f"\r\x1b[2K{text}\n{PROMPT}{typed}")
            sys.stdout.flush()

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

    def cmd_status(self) -> str:
        return self.piece().status() if self.piece else "no piece is playing"

    def cmd_quit(self) -> None:
        self.stop.set()

    def _run(self) -> None:
        interactive = self.stream.isatty()
        while not self.stop.is_set():
            try:
                self._reading = interactive
                line = input(PROMPT) if interactive else self.stream.readline()
            except EOFError:
                self._reading = False
                if interactive:  # Ctrl-D
                    self.say("console closed (Ctrl-D); the music goes on: Ctrl-C or closing "
                             "the window ends it")
                return
            except (OSError, ValueError):
                self._reading = False
                return
            self._reading = False
            if not line and not interactive:
                return  # end of piped input
            self.handle(line)
