"""Phrases: notes played (or typed) to a target a qmelody agent learns. Pure (stdlib only).

A phrase is a list of steps, each a MIDI note or a rest (-1) lasting a whole number of grid
steps (sixteenth notes at the tempo). Played notes are quantised against the phrase's first
onset, chords keep their top note (the melody), a silence of an eighth or more between notes
becomes a rest (a shorter one is articulation: the note lasts to the next), and a phrase ends
at the first silence of two beats or more.
"""

from __future__ import annotations

from dataclasses import dataclass

REST = -1
GRID_PER_BEAT = 4  # sixteenth notes
PHRASE_GAP_BEATS = 2.0  # a silence this long ends a phrase
MIN_REST_GRID = 2  # a shorter silence between two notes is the player's articulation
MAX_STEP_GRID = 16  # one step lasts at most a bar of 4/4: a held note does not stall learning
TYPED_STEP_GRID = 2  # a typed note lasts an eighth unless told (c4*4: a quarter)
NOTE_NAMES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


@dataclass(frozen=True)
class Phrase:
    pitches: tuple[int, ...]  # MIDI note or REST per step
    steps: tuple[int, ...]  # grid steps per step, each >= 1

    def __post_init__(self) -> None:
        if len(self.pitches) != len(self.steps) or not self.pitches:
            raise ValueError("a phrase has one length per step, and at least one step")

    def __len__(self) -> int:
        return len(self.pitches)

    @property
    def grid_steps(self) -> int:
        return sum(self.steps)


def quantise(notes, grid_s: float, max_steps: int) -> tuple[Phrase, bool]:
    """(phrase, truncated): ``notes`` — (onset_s, offset_s, pitch) — on a grid of ``grid_s``
    seconds from the first onset, at most ``max_steps`` steps (rests count)."""
    if not notes:
        raise ValueError("no notes to make a phrase of")
    if not grid_s > 0:
        raise ValueError(f"grid {grid_s!r} s: expected more than 0")
    t0 = min(n[0] for n in notes)
    slots: dict[int, tuple[int, int]] = {}  # grid onset -> (pitch, grid offset): top note
    for on_s, off_s, pitch in notes:
        q_on = round((on_s - t0) / grid_s)
        q_off = max(q_on + 1, round((off_s - t0) / grid_s))
        kept = slots.get(q_on)
        if kept is None or pitch > kept[0]:
            slots[q_on] = (int(pitch), q_off if kept is None else max(q_off, kept[1]))
    onsets = sorted(slots)
    pitches, steps = [], []
    for i, q_on in enumerate(onsets):
        pitch, q_off = slots[q_on]
        nxt = onsets[i + 1] if i + 1 < len(onsets) else None
        end = q_off if nxt is None else min(q_off, nxt)
        if nxt is not None and nxt - end < MIN_REST_GRID:
            end = nxt  # detached, not a rest
        pitches.append(pitch)
        steps.append(min(MAX_STEP_GRID, end - q_on))
        if nxt is not None and nxt > end:
            pitches.append(REST)
            steps.append(min(MAX_STEP_GRID, nxt - end))
    truncated = len(pitches) > max_steps
    return Phrase(tuple(pitches[:max_steps]), tuple(steps[:max_steps])), truncated


def note_number(token: str) -> int:
    """``c4`` (middle C, 60), ``f#3``, ``bb2``, ``eb5`` or a MIDI number; ValueError if none."""
    text = token.strip().lower()
    if not text.isascii():  # int() would take full-width or Arabic-Indic digits as numbers
        raise ValueError(f"{token!r} is not a note (c4, f#3, bb2 or a MIDI number)")
    if text.lstrip("-").isdigit():
        value = int(text)
    else:
        if not text or text[0] not in NOTE_NAMES:
            raise ValueError(f"{token!r} is not a note (c4, f#3, bb2 or a MIDI number)")
        pc = NOTE_NAMES[text[0]]
        rest = text[1:]
        while rest[:1] in ("#", "b") and rest[1:2] not in ("",):
            pc += 1 if rest[0] == "#" else -1
            rest = rest[1:]
        try:
            octave = int(rest)
        except ValueError:
            raise ValueError(f"{token!r} is not a note (c4, f#3, bb2 or a MIDI number)") \
                from None
        value = 12 * (octave + 1) + pc
    if not 0 <= value <= 127:
        raise ValueError(f"{token!r} is outside MIDI notes 0..127")
    return value


def parse_typed(text: str, max_steps: int) -> Phrase:
    """A phrase typed as comma-separated steps: a note (``c4``, ``61``) or a rest (``r``),
    each with an optional length in sixteenths (``e4*4``; default an eighth)."""
    pitches, steps = [], []
    for token in text.split(","):
        word, _, length = token.strip().partition("*")
        if not word:
            raise ValueError(f"an empty step in {text!r}: expected notes like c4,e4,g4")
        pitch = REST if word.lower() in ("r", "rest", "-") else note_number(word)
        try:
            if not length.isascii():
                raise ValueError
            grid = int(length) if length else TYPED_STEP_GRID
        except ValueError:
            raise ValueError(f"{token.strip()!r}: the length after * is a whole number of "
                             "sixteenths") from None
        if not 1 <= grid <= MAX_STEP_GRID:
            raise ValueError(f"{token.strip()!r}: a step lasts 1 to {MAX_STEP_GRID} sixteenths")
        pitches.append(pitch)
        steps.append(grid)
    if len(pitches) > max_steps:
        raise ValueError(f"{len(pitches)} steps: a phrase holds at most {max_steps}")
    if all(p == REST for p in pitches):
        raise ValueError("a phrase needs at least one note")
    return Phrase(tuple(pitches), tuple(steps))
