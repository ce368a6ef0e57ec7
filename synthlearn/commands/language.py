"""The command language shared by the live console, scores and OSC.

A line is ``[target =] name arg arg key:value ...``. Each command has a :class:`Spec` that names
and types its parameters, so a line is checked completely before it reaches the audio thread:
``parse`` either returns a :class:`Command` with typed values or raises :class:`UserError` with one
line that says what was wrong and what was expected. Pure: no pyo, pygame or rtmidi.

A spec is bound to the code that runs it: ``owner`` says whose method (the engine's, the
piece's or the session's), ``handler`` its name (``cmd_<name>`` unless given), and ``where``
which thread runs it (:class:`Where`). A parsed :class:`Command` carries its spec, so whatever
receives it (the block hook, the console, a worker) calls ``getattr(owner, spec.handler)(*args)``
and nothing routes by name. :func:`check_handlers` fails on a spec without a handler and on a
handler without a spec; pieces run it when they are defined.
"""

from __future__ import annotations

import difflib
import enum
import math
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from synthlearn.errors import UserError
from synthlearn.files import is_name

KINDS = ("float", "int", "choice", "word", "path", "onoff")


def _number(value: float) -> str:
    """A bound as written: 4294967295, not 4.29497e+09; 0.5 as 0.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Param:
    """One parameter of a command. ``low``/``high`` bound numbers (inclusive); ``example`` is a
    value the conformance checks try (needed for words and paths)."""

    name: str
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False
    default: object = None
    example: object = None
    later: tuple[str, ...] = ()  # choices known but not available yet: a kinder refusal
    shown: str | None = None  # how help shows it, for a choice too long to list (ccN)
    writes: bool = False  # a path written to (else read from)
    names: bool = False  # a path that may instead be a bare name (``blip``): no file touched
    # choices read when asked (a registry that grows: the synths a performance loads)
    choices_of: Callable[[], tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")
        if (self.writes or self.names) and self.kind != "path":
            raise ValueError(f"{self.name}: writes/names are for a path parameter")

    def options(self) -> tuple[str, ...]:
        """A choice's choices, now."""
        return tuple(self.choices_of()) if self.choices_of is not None else self.choices

    def touch(self, value: object) -> Touch:
        """What this argument touches: a path reads or writes a file (a bare name given for a
        path that takes names touches none, nor do names joined with ``+``)."""
        if self.kind != "path" or value is None or (
                self.names and all(is_name(part) for part in str(value).split("+"))):
            return Touch(0)  # names, joined or not (blip+live), read no file
        return Touch.WRITES if self.writes else Touch.READS

    def describe(self) -> str:
        if self.shown is not None:
            return self.shown
        if self.kind == "choice":
            return "|".join(self.options())
        if self.kind == "onoff":
            return "on|off"
        if self.low is not None and self.high is not None:
            return f"{self.name} ({self.kind} {_number(self.low)}..{_number(self.high)})"
        return self.name

    def convert(self, token: str, command: str) -> object:
        def bad(expected: str) -> UserError:
            return UserError(f"{command}: {self.name} {token!r} is not {expected}")

        if self.kind in ("float", "int"):
            try:
                if not token.isascii():  # int() and float() take other scripts' digits
                    raise ValueError
                value: float = int(token) if self.kind == "int" else float(token)
            except ValueError:
                raise bad("an integer" if self.kind == "int" else "a number") from None
            if not math.isfinite(value):
                raise bad("a finite number")
            if (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high
            ):
                raise bad(f"in {_number(self.low)}..{_number(self.high)}")
            return value
        if self.kind == "choice":
            if token in self.later:
                raise UserError(f"{command} {token!r} is not built yet; available: "
                                + ", ".join(self.options()))
            if token not in self.options():
                raise bad(f"a {self.shown}" if self.shown else
                          "one of " + ", ".join(self.options()))
            return token
        if self.kind == "onoff":
            if token not in ("on", "off"):
                raise bad("on or off")
            return token == "on"
        if not token:
            raise bad("a non-empty word")
        return token


class Where(enum.Enum):
    """The thread a command runs in."""

    AUDIO = "audio"  # the block hook, at the command's sample stamp (scores, live events)
    MAIN = "main"  # the main thread, between frames (building a graph: switching pieces)
    NOW = "now"  # the front-end's own thread, answered at once (help)
    WORKER = "worker"  # a background worker; its result may be assigned (``r = ruler ...``)


class Touch(enum.Flag):
    """What a command touches. A front-end (the terminal, OSC, a score, a peer) is granted a
    set of these, and :meth:`Language.parse` refuses a command that needs more: the one place
    the trust boundary is checked, never in each handler."""

    SOUND = enum.auto()  # plays, sets, trains from what is in memory: sound only
    SHOW = enum.auto()  # ends or reshapes the show: quit, piece, reset
    READS = enum.auto()  # reads a file it names
    WRITES = enum.auto()  # writes a file it names

    @classmethod
    def everything(cls) -> Touch:
        return cls.SOUND | cls.SHOW | cls.READS | cls.WRITES

    @classmethod
    def files(cls) -> Touch:
        return cls.READS | cls.WRITES

    def words(self, *, it: bool = True) -> str:
        """'ends or reshapes the show, reads files' (``it``: as in "it reads files"), or
        'end or reshape the show, read files' (as in "may read files")."""
        said = {Touch.SOUND: ("plays and sets", "play and set"),
                Touch.SHOW: ("ends or reshapes the show", "end or reshape the show"),
                Touch.READS: ("reads files", "read files"),
                Touch.WRITES: ("writes files", "write files")}
        return ", ".join(text[0 if it else 1] for flag, text in said.items() if flag in self)


@dataclass(frozen=True)
class Grant:
    """What one front-end may do: a name for refusals, the touches it may make, and how the
    performer allows more (one line, said with a refusal)."""

    source: str
    may: Touch
    allow_more: Callable[[Touch], str] | None = None  # how to allow what was refused

    def refuse(self, spec: Spec, needs: Touch | None = None) -> UserError | None:
        """A one-line refusal when ``spec`` (or this line of it: ``needs``) needs more than
        this grant, else None."""
        denied = (spec.touches if needs is None else needs) & ~self.may
        if not denied:
            return None
        hint = f"; {self.allow_more(denied)}" if self.allow_more else ""
        return UserError(f"{spec.name}: not from {self.source}: it {denied.words()}{hint}")


TERMINAL = Grant("the terminal", Touch.everything())  # the performer
# A score may do what the performer may; where it reads and writes is its run's Folders (its
# own folder and the shipped data; the render's --out): see synthlearn.files.
SCORE = Grant("a score", Touch.everything())


FILES = Touch.files()
OWNERS = ("engine", "piece", "session")
HANDLER_PREFIX = "cmd_"


@dataclass(frozen=True)
class Spec:
    """A command: its name, parameters (positional, or ``name:value``), one line of help, and
    the code that runs it (``owner``'s method ``handler``, in the thread ``where``).

    ``takes_target``: ``x = name ...`` keeps the handler's result as ``x`` in the performance's
    names; only commands outside the audio thread may (the audio thread keeps nothing new).
    """

    name: str
    params: tuple[Param, ...] = ()
    help: str = ""
    takes_target: bool = False
    owner: str = "piece"
    where: Where = Where.AUDIO
    handler_name: str | None = None
    bound: tuple = ()  # arguments the handler gets first (``a0.eps 0.3``: agent 0, "eps")
    touches: Touch = Touch.SOUND  # what it touches (see Touch, Grant)

    def __post_init__(self) -> None:
        if self.owner not in OWNERS:
            raise ValueError(f"{self.name}: owner {self.owner!r} is not one of {OWNERS}")
        for p in self.params:
            if p.kind == "path" and not self.touches & p.touch("x.csv"):
                raise ValueError(f"{self.name}: a path parameter, but touches neither READS "
                                 "nor WRITES as it does")
        if self.takes_target and self.where is Where.AUDIO:
            raise ValueError(f"{self.name}: a command run in the audio thread cannot be "
                             "assigned")

    @property
    def handler(self) -> str:
        return self.handler_name or HANDLER_PREFIX + self.name

    def needs(self, args: tuple | None = None) -> Touch:
        """What a line of this command touches: its declared touches, where a file is touched
        only if an argument names one (``ruler blip`` trains from a shipped table by name;
        ``ruler my.csv`` reads a file). ``args`` None: before they are read (no files)."""
        paths = [p for p in self.params if p.kind == "path"]
        if not paths:
            return self.touches
        need = self.touches & ~FILES
        for p, value in zip(self.params, args or (), strict=False):
            need |= p.touch(value)
        return need

    def usage(self) -> str:
        parts = [self.name]
        for p in self.params:
            d = p.describe()
            parts.append(f"[{d}]" if p.optional else d)
        return " ".join(parts)


@dataclass(frozen=True)
class Command:
    """A parsed, typed command. ``args`` follow the spec's parameter order; ``spec`` says who
    runs it, where."""

    name: str
    args: tuple = ()
    text: str = ""
    target: str | None = None
    spec: Spec | None = field(default=None, compare=False, repr=False)

    def run(self, owner) -> object:
        """Call the handler on ``owner`` (the spec's owner) with the typed arguments."""
        return getattr(owner, self.spec.handler)(*self.spec.bound, *self.args)


def check_handlers(owner, specs: Iterable[Spec], owner_name: str = "piece") -> list[str]:
    """What is wrong between ``owner`` (an object or a class) and the specs it owns: a spec
    whose handler is missing or not callable, a ``cmd_*`` method no spec names, a spec owned
    by someone else, a name given twice. Empty when every command has its code."""
    problems, seen = [], set()
    mine = [s for s in specs if s.owner == owner_name]
    for spec in specs:
        if spec.name in seen:
            problems.append(f"command {spec.name!r} is declared twice")
        seen.add(spec.name)
        if spec.owner != owner_name:
            problems.append(f"command {spec.name!r} is owned by the {spec.owner}, not the "
                            f"{owner_name}")
    for spec in mine:
        if not callable(getattr(owner, spec.handler, None)):
            problems.append(f"command {spec.name!r} has no handler {spec.handler}()")
    named = {s.handler for s in mine}
    for attr in dir(owner):
        if attr.startswith(HANDLER_PREFIX) and attr not in named:
            problems.append(f"{attr}() handles no declared command")
    return problems


def without_comment(text: str) -> str:
    """``text`` up to its comment: a ``#`` that starts a word, outside quotes. A ``#`` inside a
    word is the word's own (``f#3``, a sharp), never a comment."""
    quote, escaped = None, False
    for i, ch in enumerate(text):
        if escaped:  # the character after a backslash (outside single quotes) is itself
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote is not None:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i]
    return text


@dataclass
class Language:
    """A set of command specs: parse, help and completion."""

    specs: dict[str, Spec] = field(default_factory=dict)
    # Commands of other pieces (name -> the piece): a line naming one is told where it lives.
    elsewhere: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, *groups: Iterable[Spec]) -> Language:
        lang = cls()
        for group in groups:
            for spec in group:
                lang.add(spec)
        return lang

    def add(self, spec: Spec) -> None:
        self.specs[spec.name] = spec

    def names(self) -> list[str]:
        return sorted(self.specs)

    def parse(self, text: str, grant: Grant = TERMINAL) -> Command:
        """Parse one line from a front-end with ``grant``; raise :class:`UserError` naming the
        bad token and what was expected, or what the command touches that ``grant`` may not
        (before any argument is read: a refused line reads no file)."""
        try:
            tokens = shlex.split(without_comment(text))
        except ValueError as exc:  # an unclosed quote
            raise UserError(f"cannot read {text.strip()!r}: {exc}") from None
        if not tokens:
            raise UserError("empty command; type 'help' for the list")
        target = None
        if len(tokens) >= 2 and tokens[1] == "=":
            target = tokens[0]
            if not target.isidentifier():
                raise UserError(f"{target!r} is not a name to assign to (letters, digits, _)")
            tokens = tokens[2:]
            if not tokens:
                raise UserError(f"nothing after '{target} ='")
        name, rest = tokens[0], tokens[1:]
        spec = self.specs.get(name)
        if spec is None:
            raise UserError(self._unknown(name))
        refused = grant.refuse(spec, spec.needs())  # the show, before any argument is read
        if refused is not None:
            raise refused
        if target is not None and not spec.takes_target:
            raise UserError(f"{name}: its result cannot be assigned ('{target} = ...')")
        args = self._bind(spec, rest)
        refused = grant.refuse(spec, spec.needs(args))  # files: a path named, not a name
        if refused is not None:
            raise refused
        return Command(name, args, text.strip(), target, spec)

    def _unknown(self, name: str) -> str:
        """What to say of a command this language lacks: whose it is, or the nearest name
        (this piece's first, then another's) and how to reach it."""
        owner = self.elsewhere.get(name)
        if owner is not None:
            return f"{name!r} is {owner}'s command; 'piece {owner}' plays {owner}"
        close = difflib.get_close_matches(name, self.specs, n=1) or \
            difflib.get_close_matches(name, self.elsewhere, n=1)
        if not close:
            return f"unknown command {name!r}; type 'help' for the list"
        owner = self.elsewhere.get(close[0]) if close[0] not in self.specs else None
        where = f" ({owner}'s: 'piece {owner}' plays it)" if owner else ""
        return f"unknown command {name!r}; did you mean '{close[0]}'{where}?"

    def _bind(self, spec: Spec, tokens: list[str]) -> tuple:
        values: dict[str, object] = {}
        positional = [p for p in spec.params]
        by_name = {p.name: p for p in spec.params}
        pos = 0
        for tok in tokens:
            key, sep, val = tok.partition(":")
            if sep and key in by_name:
                param = by_name[key]
                if key in values:
                    raise UserError(f"{spec.name}: {key} given twice")
                values[key] = param.convert(val, spec.name)
                continue
            while pos < len(positional) and positional[pos].name in values:
                pos += 1
            if pos >= len(positional):
                raise UserError(f"{spec.name}: unexpected {tok!r}; usage: {spec.usage()}")
            param = positional[pos]
            values[param.name] = param.convert(tok, spec.name)
            pos += 1
        args = []
        for p in spec.params:
            if p.name in values:
                args.append(values[p.name])
            elif p.optional:
                args.append(p.default)
            else:
                raise UserError(f"{spec.name}: missing {p.name}; usage: {spec.usage()}")
        return tuple(args)

    def help(self, name: str | None = None) -> str:
        if name is None:
            width = max((len(s.usage()) for s in self.specs.values()), default=0)
            return "\n".join(
                f"{s.usage():<{width}}  {s.help}" for _, s in sorted(self.specs.items())
            )
        spec = self.specs.get(name)
        if spec is None:
            raise UserError(f"help: no command {name!r}")
        return f"{spec.usage()}\n  {spec.help}"

    def complete(self, prefix: str) -> list[str]:
        """Completions for the last word of ``prefix`` (command names, then choices)."""
        words = prefix.split()
        if not words or (len(words) == 1 and not prefix.endswith(" ")):
            stem = words[0] if words else ""
            return [n for n in self.names() if n.startswith(stem)]
        spec = self.specs.get(words[0])
        if spec is None:
            return []
        stem = "" if prefix.endswith(" ") else words[-1]
        index = len(words) - 1 if prefix.endswith(" ") else len(words) - 2
        if index >= len(spec.params):
            return []
        param = spec.params[index]
        options = param.options() if param.kind == "choice" else ()
        if param.kind == "onoff":
            options = ("on", "off")
        return [o for o in options if o.startswith(stem)]


# Commands every piece understands; the engine carries them out in the block hook.
ENGINE = (
    Spec("volume", (Param("db", "float", -60.0, 6.0),), "master volume in dB (0 = unity)",
         owner="engine"),
    Spec("panic", (), "release every sounding voice at once", owner="engine"),
)
