"""Scales: the notes a qmelody agent may play. Pure (stdlib only).

An agent plays the notes of a scale over two octaves (both ends included) and a rest. The two
octaves start on the highest note of the scale at or below the lowest note of the agent's
target, so a phrase of up to two octaves is always within reach; a wider phrase widens the
range while the scale's notes fit in ``MAX_NOTES`` (a diatonic scale reaches three octaves).
``auto`` picks, for each target, the first scale that holds every one of its pitch classes
(major, then harmonic and melodic minor, then chromatic), rooted where the phrase suggests (its
last note, then its first).
"""

from __future__ import annotations

SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "harmonic": (0, 2, 3, 5, 7, 8, 11),
    "melodic": (0, 2, 3, 5, 7, 9, 11),
    "pentatonic": (0, 2, 4, 7, 9),
    "minor-pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "whole-tone": (0, 2, 4, 6, 8, 10),
    "chromatic": tuple(range(12)),
}
AUTO = "auto"
NAMES = (AUTO, *SCALES)
_AUTO_ORDER = ("major", "harmonic", "melodic", "chromatic")
NOTE_NAMES = ("c", "c#", "d", "d#", "e", "f", "f#", "g", "g#", "a", "a#", "b")
_FLATS = {"db": 1, "eb": 3, "gb": 6, "ab": 8, "bb": 10}
OCTAVES = 2
MAX_NOTES = OCTAVES * 12 + 1  # chromatic, both ends


def root_pc(name: str) -> int:
    """A note name (c, f#, bb, ...) as a pitch class 0..11; ValueError if it is none."""
    key = name.strip().lower()
    if key in NOTE_NAMES:
        return NOTE_NAMES.index(key)
    if key in _FLATS:
        return _FLATS[key]
    raise ValueError(f"{name!r} is not a note name (c, c#, db, ... b)")


def fit(pitches: list[int]) -> tuple[str, int]:
    """(scale, root pitch class) of the first scale holding every pitch class of ``pitches``
    (MIDI notes; rests left out), trying roots at the last note, the first, then C upwards."""
    notes = [p for p in pitches if p >= 0]
    if not notes:
        return "major", 0
    classes = {p % 12 for p in notes}
    roots = [notes[-1] % 12, notes[0] % 12, *range(12)]
    for name in _AUTO_ORDER:
        for root in roots:
            degrees = {(root + d) % 12 for d in SCALES[name]}
            if classes <= degrees:
                return name, root
    return "chromatic", 0  # unreachable: chromatic holds everything


def window(name: str, root: int, lowest: int, highest: int | None = None) -> list[int]:
    """The MIDI notes of scale ``name`` on ``root`` from its highest note at or below
    ``lowest`` (never below MIDI 0) up two octaves, or on to ``highest`` while at most
    ``MAX_NOTES`` notes fit."""
    degrees = SCALES[name]
    start = max(0, lowest)
    while (start - root) % 12 not in degrees and start > 0:
        start -= 1
    top = start + 12 * OCTAVES
    notes = []
    note = start
    while note <= 127 and len(notes) < MAX_NOTES and (
            note <= top or (highest is not None and note <= highest)):
        if (note - root) % 12 in degrees:
            notes.append(note)
        note += 1
    return notes
