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
from synthlearn.commands.names import Names, unsaid
from synthlearn.commands.printable import printable
from synthlearn.commands.terminal import Terminal
from synthlearn.errors import UserError
from synthlearn.faults import Tally

PROMPT = "> "
MAX_HISTORY = 10_000  # lines kept for the up-arrow and the session folder


def done_line(line: str, cmd, said: str | None = None) -> str:
    """What a command that worked says: the state it leaves, its side effects said, in the
    piece's words (``said``: ``Piece.describe``), else the line and its spec's help."""
    if said:
        return f"ok: {said}"
    return f"ok: {line} ({cmd.spec.help})"


def session_specs(pieces: tuple[str, ...] = (), planned: tuple[str, ...] = ()) -> tuple:
    """The session's commands; ``pieces``: the names ``piece NAME`` takes (the pieces' registry
    gives them: commands sit below pieces), ``planned`` those named but not built yet."""
    name = (console.Param("name", "choice", choices=pieces, later=planned) if pieces else
            console.Param("name", "word", example="ldd"))
    return (
        console.Spec("help", (console.Param("command", "word", optional=True),),
                     "list commands, or explain one", owner="session", where=Where.NOW),
        console.Spec("piece", (name,),
                     "switch to another piece; each keeps what it learned (live only)",
                     owner="session", where=Where.MAIN, touches=console.Touch.SHOW),
        console.Spec("quit", (), "end the performance (live only)", owner="session",
                     where=Where.MAIN, touches=console.Touch.SHOW),
        console.Spec("status", (), "what the piece is doing now: part, learner, loss, rates, "
                     "agents, rule sets; what the worker is learning, how far", owner="session",
                     where=Where.NOW),
        # Sound only (OSC may send it): it stops learning, and what a name keeps stays.
        console.Spec("cancel", (console.Param("name", "word", optional=True, example="r"),),
                     "stop NAME's retrain, running or queued (what NAME keeps stays): cancel r",
                     owner="session", where=Where.NOW),
    )


SESSION = session_specs()  # without the pieces' names (their registry: pieces.live_language)
REPLACED = ("cancelled", "replaced")  # why a job stopped when a line said so already


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
        # () -> the piece playing now (its main/worker commands): read at each use, never
        # kept (a performance passes its stage's, ``lambda: stage.piece``)
        self.playing = piece
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
        owner = self if cmd.spec.owner == "session" else self.playing()
        if where is Where.NOW:
            return self._run_now(cmd, owner, line)
        if where is Where.WORKER and self.worker is not None:
            return self._submit(cmd, owner, line, quiet)
        job = lambda: self._run_now(cmd, owner, line, quiet)  # noqa: E731
        if where is not Where.MAIN or self.main is None:
            return job()
        self.main(job)
        return None

    def _submit(self, cmd, owner, line: str, quiet: bool) -> str | None:
        """A worker command, queued behind the others. An assignment (a retrain) says so in
        one line, what it learns and whether it waits; a newer assignment of a name replaces
        the one queued or running for it (the newer parameters are what the performer wants:
        a running one is cancelled, what the name keeps stays until the new one ends). Other
        commands say a line only when they wait."""
        body = (None if quiet else self._described(cmd)) or \
            (cmd.text.partition("=")[2].strip() if cmd.target else cmd.text)
        what = f"{cmd.target} = {body}" if cmd.target else body
        replaced = self.worker.cancel_jobs(cmd.target, "replaced") if cmd.target else []
        ahead = [j for j in self.worker.jobs() if not j.cancel.is_set()]
        job = self.worker.submit(lambda: self._run_now(cmd, owner, line, quiet, worker=True),
                                 key=cmd.target, what=what,
                                 doing="learning" if cmd.target else "running")
        if quiet or (cmd.target is None and not ahead):
            return None
        waits = (f"queued behind {ahead[0].what}" + (f" and {len(ahead) - 1} more"
                                                    if len(ahead) > 1 else "")) if ahead else ""
        text = f"{what}: {waits or job.doing} (worker)"
        for old in replaced:
            old_body = old.what.partition(" = ")[2] or old.what
            if old.state == "dropped":
                text += (f"; the queued retrain of {cmd.target} ({old_body}) is replaced by "
                         "this one")
            else:
                so_far = f"; {old.progress}" if old.progress is not None else ""
                text += (f"; the running retrain of {cmd.target} ({old_body}{so_far}) is "
                         "cancelled for this one")
        return self._reply(text)

    def _run_now(self, cmd, owner, line: str, quiet: bool = False,
                 worker: bool = False) -> str | None:
        """Run ``cmd`` here; ``worker``: as the worker's job (its thread's ``job``), whose
        result is kept only if no cancel came first, and which says nothing more when a line
        (``cancel r``, a newer ``r = ...``) said it stops."""
        said = None if quiet else self._described(cmd)
        job = getattr(threading.current_thread(), "job", None) if worker else None
        try:
            result, words = unsaid(cmd.run(owner))
            if job is not None and not self.worker.keep(job):
                return None  # cancelled as it finished: the cancel said so, nothing is kept
            if cmd.target is not None:
                self.names.assign(cmd.target, result)
        except UserError as exc:
            if job is not None and job.why in REPLACED:
                return None
            return self._refuse(f"? {exc}", quiet)
        self._remember(line, cmd.name, quiet)
        if cmd.target is not None:
            return self._reply(f"{cmd.target} = {words or cmd.name + ': kept'}")
        if words is not None:
            return self._reply(words)
        if isinstance(result, str):
            return self._reply(result)
        if quiet or cmd.spec.owner == "session":
            return None
        return self._reply(done_line(line, cmd, said))

    def _described(self, cmd) -> str | None:
        """The playing piece's words for what ``cmd`` does (``Piece.describe``), read from its
        state before it runs; None for other commands, or when wording it failed (the
        command still runs: the reply falls back to its help)."""
        if cmd.spec.owner != "piece" or self.playing is None:
            return None
        try:
            return self.playing().describe(cmd)
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
        text = self.playing().status() if self.playing else "no piece is playing"
        jobs = self.worker.jobs() if self.worker is not None else []
        return "\n".join([text, *(f"worker: {job}" for job in jobs)])

    def cmd_cancel(self, name: str | None = None) -> str:
        jobs = [j for j in (self.worker.jobs() if self.worker is not None else [])
                if j.key is not None and not j.cancel.is_set()]
        if name is None or all(j.key != name for j in jobs):
            listed = ", ".join(f"{j.key} ({j.doing if j.state == 'running' else j.state})"
                               for j in jobs)
            if not jobs:
                raise UserError("cancel: nothing is learning or queued"
                                + (f" for {name!r}" if name is not None else ""))
            raise UserError(f"cancel: name what to cancel: {listed}" if name is None else
                            f"cancel: nothing is learning or queued for {name!r}; {listed}")
        stopped = self.worker.cancel_jobs(name)
        stays = f"{name} stays as it was" if name in self.names else f"{name} stays unset"
        if not stopped:  # it finished meanwhile
            return f"cancel {name}: it had just finished; {name} holds what it made"
        said = []
        for job in stopped:
            body = job.what.partition(" = ")[2] or job.what
            if job.state == "dropped":
                said.append(f"{body} was queued and will not run")
            else:
                so_far = f" ({job.progress})" if job.progress is not None else ""
                said.append(f"{body} stops{so_far}")
        return f"cancel {name}: {'; '.join(said)}; {stays}"

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
