"""The computer keyboard as a piano (pure: key names in, note events out).

Two rows, tracker style: the lower row ``z s x d c v g b h n j m , l . ; /`` plays from C3 (48)
and the upper row ``q 2 w 3 e r 5 t 6 y 7 u i 9 o 0 p [ = ]`` from C4 (60), black keys on the
row above each. The left/right arrows shift both rows an octave; space is the sustain pedal.
Key names are pygame's (``pygame.key.name``).
"""

from __future__ import annotations

from synthlearn import events
from synthlearn.events import CC_SUSTAIN, Event

LOWER_ROW = ("z", "s", "x", "d", "c", "v", "g", "b", "h", "n", "j", "m", ",", "l", ".", ";", "/")
UPPER_ROW = ("q", "2", "w", "3", "e", "r", "5", "t", "6", "y", "7", "u", "i", "9", "o", "0",
             "p", "[", "=", "]")
LOWER_BASE, UPPER_BASE = 48, 60
VELOCITY = 100
OCTAVE_DOWN, OCTAVE_UP, SUSTAIN = "left", "right", "space"

KEY_OFFSETS = {**{k: LOWER_BASE + i for i, k in enumerate(LOWER_ROW)},
               **{k: UPPER_BASE + i for i, k in enumerate(UPPER_ROW)}}


class KeyboardPiano:
    def __init__(self) -> None:
        self.octave = 0
        self._sounding: dict[str, int] = {}  # key -> the note it started (octave may change)

    def key_down(self, key: str, time_smp: int) -> list[Event]:
        if key == OCTAVE_DOWN:
            self.octave = max(-3, self.octave - 1)
        elif key == OCTAVE_UP:
            self.octave = min(3, self.octave + 1)
        elif key == SUSTAIN:
            return [events.control(time_smp, CC_SUSTAIN, 127)]
        elif key in KEY_OFFSETS and key not in self._sounding:  # ignore auto-repeat
            note = KEY_OFFSETS[key] + 12 * self.octave
            if 0 <= note <= 127:
                self._sounding[key] = note
                return [events.note_on(time_smp, note, VELOCITY)]
        return []

    def key_up(self, key: str, time_smp: int) -> list[Event]:
        if key == SUSTAIN:
            return [events.control(time_smp, CC_SUSTAIN, 0)]
        note = self._sounding.pop(key, None)
        return [] if note is None else [events.note_off(time_smp, note)]
