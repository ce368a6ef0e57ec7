"""What the main thread hands the audio thread: work prepared where it may take its time (a
phrase quantised, a scale's actions worked out), applied by the hook at its next block with row
copies only. Each job is a small typed record whose ``apply(piece)`` does its part; the piece
queues them in order and applies them in order (``Qmelody._take``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthlearn.learners.qlearning import MAX_STEPS, Placement
from synthlearn.mappings.phrase import Phrase


@dataclass(frozen=True, slots=True)
class Target:
    """Agent ``k`` learns a phrase: the learner's placement, the rhythm (grid steps per step,
    which steps the learner plays), its length, the ``rec`` count it was taken for, and the
    phrase as the teacher plays it ((2, MAX_STEPS): pitches, grid steps)."""

    k: int
    place: Placement
    durs: np.ndarray
    learnable: np.ndarray
    n: int
    arms: int
    teacher: np.ndarray

    @classmethod
    def of(cls, piece, k: int, phrase: Phrase) -> Target:
        """Agent ``k`` of ``piece`` learning ``phrase``, worked out (main thread: it
        allocates; nothing changes until it is applied)."""
        place = piece.learner.prepare_target(k, phrase.pitches)
        durs = np.zeros(MAX_STEPS, np.int64)
        durs[:len(phrase)] = phrase.steps
        learnable = np.zeros(MAX_STEPS, np.bool_)
        learnable[:len(phrase)] = [not (piece.faithful and p < 0) for p in phrase.pitches]
        teacher = np.full((2, MAX_STEPS), -1, np.int64)  # the teacher plays it from then
        teacher[0, :len(phrase)] = phrase.pitches
        teacher[1, :len(phrase)] = phrase.steps
        return cls(k, place, durs, learnable, len(phrase), int(piece._arms[k]), teacher)

    def apply(self, piece) -> None:
        k = self.k
        piece.learner.apply(k, self.place)
        piece.durs[k] = self.durs
        piece.learnable[k] = self.learnable
        piece.nsteps[k] = self.n
        piece.teacher_phrase[:] = self.teacher
        piece.teacher_steps = self.n
        piece._tstep[k] = 0
        piece.sound.silence(k)
        grid = piece.grid_smp
        piece._next_smp[k] = math.ceil(piece._now_smp / grid) * grid  # on the grid
        if piece._arms[k] == self.arms:  # no rec since: this target was what it was armed for
            piece.armed[k] = False
        piece._dirty = True


@dataclass(frozen=True, slots=True)
class Scale:
    """Agent ``k`` plays a new scale (its actions worked out, what it learned kept)."""

    k: int
    place: Placement

    def apply(self, piece) -> None:
        piece.learner.apply(self.k, self.place)


@dataclass(frozen=True, slots=True)
class Copy:
    """Agent ``dst`` learns what agent ``src`` plays now."""

    dst: int
    src: int

    def apply(self, piece) -> None:
        piece._copy(self.dst, self.src)


@dataclass(frozen=True, slots=True)
class Practice:
    """Agent ``k`` practises ``episodes`` silent episodes, spread over blocks."""

    k: int
    episodes: int

    def apply(self, piece) -> None:
        piece.sound.silence(self.k)
        piece._practice_left[self.k] += self.episodes
