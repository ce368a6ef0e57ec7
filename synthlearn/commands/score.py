"""Scores: a TOML file (piece, seed, duration, optional MIDI file, timed commands) or a bare MIDI
file played by a named piece. Both become one list of events stamped in samples.

```toml
piece = "additive"
seed = 7
duration = 60.0          # seconds
midi = "perf.mid"        # optional, relative to the score file
[[at]]
time = 0.0
do = "brightness 2"
```

Everything is checked before anything is rendered: a bad key, value or command is reported with
the file, its line and the value, and what was expected.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from synthlearn import events
from synthlearn.commands.language import SCORE, Language, Where
from synthlearn.errors import UserError

KEYS = ("piece", "seed", "duration", "midi", "at", "faithful")
AT_KEYS = ("time", "do")
MAX_DURATION_S = 4 * 3600.0
# Seconds of sound after a MIDI file's last event when no duration is given (releases ring out).
TAIL_S = 3.0


@dataclass
class Cue:
    time_s: float
    text: str
    line: int | None = None


@dataclass
class Score:
    path: Path | None
    piece: str | None = None
    seed: int = 0
    duration_s: float | None = None
    midi: Path | None = None
    faithful: bool = False
    cues: list[Cue] = field(default_factory=list)

    @property
    def source(self) -> str:
        return str(self.path) if self.path else "<score>"


def _line_of(pattern: str, text: str, start: int = 0) -> tuple[int | None, int]:
    """1-based line of the first match of ``pattern`` at or after offset ``start``."""
    m = re.compile(pattern, re.M).search(text, start)
    if m is None:
        return None, start
    return text.count("\n", 0, m.start()) + 1, m.end()


def read_score(path: str | Path) -> Score:
    """Read a ``.toml`` score or a ``.mid`` file (then the piece comes from the command line)."""
    path = Path(path)
    if not path.is_file():
        raise UserError("no such score or MIDI file", source=str(path))
    suffix = path.suffix.lower()
    if suffix in (".mid", ".midi"):
        return Score(path=path, midi=path)
    if suffix != ".toml":
        raise UserError(f"expected a .toml score or a .mid file, not {suffix or 'no extension'!r}",
                        source=str(path))
    text = path.read_text(encoding="utf-8", errors="replace")
    return parse_score(text, path)


def parse_score(text: str, path: Path | None = None) -> Score:
    source = str(path) if path else "<score>"
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise UserError("not valid TOML: arrays or tables nested too deeply",
                        source=source) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(m.group(1)) if m else None
        if line is None and "end of document" in str(exc):
            line = max(1, len(text.rstrip("\n").split("\n")))
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        raise UserError(f"not valid TOML: {message}", source=source, line=line) from None

    def line_of_key(key: str) -> int | None:
        return _line_of(rf"^\s*{re.escape(key)}\s*=", text)[0]

    def bad(key: str, value: object, expected: str) -> UserError:
        return UserError(f"{key} = {value!r}: expected {expected}", source=source,
                         line=line_of_key(key))

    for key in data:
        if key not in KEYS:
            raise UserError(f"unknown key {key!r}; expected one of {', '.join(KEYS)}",
                            source=source, line=line_of_key(key))
    score = Score(path=path)
    piece = data.get("piece")
    if piece is not None and not isinstance(piece, str):
        raise bad("piece", piece, "a piece name in quotes")
    score.piece = piece
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise bad("seed", seed, "a whole number >= 0")
    score.seed = seed
    if "duration" in data:
        dur = data["duration"]
        if isinstance(dur, bool) or not isinstance(dur, int | float) or not (
            0 < dur <= MAX_DURATION_S
        ):
            raise bad("duration", dur, f"seconds, more than 0 and at most {MAX_DURATION_S:g}")
        score.duration_s = float(dur)
    faithful = data.get("faithful", False)
    if not isinstance(faithful, bool):
        raise bad("faithful", faithful, "true or false")
    score.faithful = faithful
    if "midi" in data:
        midi = data["midi"]
        if not isinstance(midi, str) or not midi:
            raise bad("midi", midi, "a MIDI file name in quotes")
        base = path.parent if path else Path.cwd()
        score.midi = (base / midi).resolve()
        if not score.midi.is_file():
            raise UserError(f"midi = {midi!r}: no such file ({score.midi})", source=source,
                            line=line_of_key("midi"))
    cues = data.get("at", [])
    if not isinstance(cues, list):
        raise bad("at", cues, "[[at]] tables with time and do")
    offset = 0
    for cue in cues:
        line, offset = _line_of(r"^\s*\[\[\s*at\s*\]\]", text, offset)
        do_line = _line_of(r"^\s*do\s*=", text, offset)[0] if line else None
        time_line = _line_of(r"^\s*time\s*=", text, offset)[0] if line else None
        if not isinstance(cue, dict):
            raise UserError(f"[[at]] entry {cue!r}: expected a table with time and do",
                            source=source, line=line)
        for key in cue:
            if key not in AT_KEYS:
                raise UserError(f"[[at]] has unknown key {key!r}; expected time and do",
                                source=source, line=line)
        t = cue.get("time")
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or not (
                0 <= t <= MAX_DURATION_S):
            raise UserError(f"time = {t!r}: expected seconds from 0 to {MAX_DURATION_S:g}",
                            source=source, line=time_line or line)
        do = cue.get("do")
        if not isinstance(do, str) or not do.strip():
            raise UserError(f"do = {do!r}: expected a command in quotes", source=source,
                            line=do_line or line)
        score.cues.append(Cue(float(t), do, do_line))
    return score


def schedule(score: Score, language: Language, sr: int) -> tuple[list[events.Event], float]:
    """All events of ``score`` stamped in samples, and the duration to render in seconds.

    Commands are parsed against the piece's ``language`` here, so a typo is reported with its
    line before a single block is computed.
    """
    from synthlearn.commands.console import SESSION

    # The live console's own commands are known too, so they get the reason they cannot run.
    language = Language.of(language.specs.values(), SESSION)
    out: list[events.Event] = []
    end_s = 0.0
    if score.midi is not None:
        midi_events, midi_len_s = read_midi_events(score.midi, sr)
        out.extend(midi_events)
        end_s = midi_len_s + TAIL_S
    for cue in score.cues:
        try:
            cmd = language.parse(cue.text, SCORE)
        except UserError as exc:
            raise UserError(str(exc), source=score.source, line=cue.line) from None
        if cmd.spec.owner == "session":  # help, piece, quit: the live console's own
            raise UserError(f"{cmd.name} is for the live console, not a score",
                            source=score.source, line=cue.line)
        out.append(events.command(round(cue.time_s * sr), cmd))
        end_s = max(end_s, cue.time_s + TAIL_S)
    duration = score.duration_s if score.duration_s is not None else end_s
    if duration <= 0:
        raise UserError("nothing to render: give a duration, a MIDI file or timed commands",
                        source=score.source)
    return out, duration


def read_midi_events(path: Path, sr: int):
    from synthlearn.midi.files import read_midi

    return read_midi(path, sr)


def split_off_audio(evs: list[events.Event]) -> tuple[list[events.Event], list[events.Event]]:
    """(events for the block hook, commands that run outside it, in time order): a render or
    a live play runs the second kind between blocks, before the block their stamp falls in
    (a retrain at its time, its rules in place for the next event)."""
    audio, off = [], []
    for e in evs:
        is_off = e.kind == events.Kind.COMMAND and e.command.spec.where is not Where.AUDIO
        (off if is_off else audio).append(e)
    off.sort(key=lambda e: e.time_smp)
    return audio, off


def run_off_audio(cmd, owner, *, source: str) -> None:
    """A score's command that runs outside the block hook (:func:`split_off_audio`), now, on
    its owner (the piece); its result kept in the owner's names if assigned. A failure is one
    line naming ``source`` (a score is fixed before it plays: a render ends there)."""
    try:
        result = cmd.run(owner)
        if cmd.target is not None:
            owner.names.assign(cmd.target, result)
    except UserError as exc:
        raise UserError(f"{cmd.text!r}: {exc}", source=source) from None
