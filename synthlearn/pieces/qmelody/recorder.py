"""The phrase recorder: notes played while an agent is armed, kept until a silence ends the
phrase, then handed from the audio thread to the main thread (which quantises it).

The audio thread writes (``note_on``, ``note_off``, ``check_end``); the main thread reads a
phrase once ``ready`` says one is there and takes it (``take``), which frees the hand-over for
the next. Preallocated: the hook allocates nothing here.
"""

from __future__ import annotations

import numpy as np

RECORD_NOTES = 256  # notes a phrase may hold


class PhraseRecorder:
    def __init__(self, notes: int = RECORD_NOTES):
        self._rec = np.zeros((3, notes), np.float64)  # onset, offset (-1 open), pitch; samples
        self._rec_n = 0
        self._open = 0
        self._last_off_smp = 0.0
        self._ready = np.zeros((3, notes), np.float64)  # the phrase handed over
        self._ready_n = 0

    @property
    def ready(self) -> bool:
        """A phrase has ended and waits for the main thread (:meth:`take`)."""
        return self._ready_n > 0

    # -- the audio thread ---------------------------------------------------------------------
    def note_on(self, note: int, t_smp: int) -> None:
        """A note starts at sample ``t_smp`` (the piece's clock); past the capacity it is not
        kept."""
        if self._rec_n >= self._rec.shape[1]:
            return
        i = self._rec_n
        self._rec[0, i], self._rec[1, i], self._rec[2, i] = t_smp, -1.0, note
        self._rec_n += 1
        self._open += 1

    def note_off(self, note: int, t_smp: int) -> None:
        """The last open ``note`` ends at ``t_smp``."""
        for i in range(self._rec_n - 1, -1, -1):
            if self._rec[2, i] == note and self._rec[1, i] < 0:
                self._rec[1, i] = t_smp
                self._open -= 1
                self._last_off_smp = t_smp
                return

    def check_end(self, now_smp: int, gap_smp: float) -> None:
        """At ``now_smp``: the phrase being played ends if every note is off and ``gap_smp``
        samples have passed since the last (or it is full); it is handed over unless the last
        one still waits."""
        if self._rec_n == 0 or self._open > 0 or self._ready_n:
            return
        if now_smp - self._last_off_smp >= gap_smp or self._rec_n >= self._rec.shape[1]:
            n = self._rec_n
            self._ready[:, :n] = self._rec[:, :n]
            self._rec_n = 0
            self._ready_n = n  # last: the main thread reads the phrase once this is set

    # -- the main thread ----------------------------------------------------------------------
    def take(self, sr: float) -> list[tuple[float, float, int]]:
        """The phrase handed over, as (onset s, offset s, MIDI note) on the piece's clock;
        frees the hand-over for the next."""
        n = self._ready_n
        notes = [(self._ready[0, i] / sr, self._ready[1, i] / sr, int(self._ready[2, i]))
                 for i in range(n)]
        self._ready_n = 0
        return notes
