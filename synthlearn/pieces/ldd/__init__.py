"""``ldd``: losses, dissonances and distortions.

A tiny function approximator is trained by gradient descent while the performer plays: the
loss detunes the overtones of the notes played, the gradients warp the video, and the notes drive
the training. Four parts, moved through with the soft pedal (CC 67), ``next`` or ``part N``:

1. a note below 48 draws a new target cubic and a new approximant; a note at or above 48 takes
   one gradient step and is voiced with detuned overtones; steps go on at the control rate
   while upper notes are held;
2. a left-hand chord (two or more notes below 60 within 50 ms; faithful: any note below 60)
   draws a new target Lissajous knot, at most one every 2 s; steps go on while the chord is
   held; up to three chord notes, and the notes above 60, are voiced with detuned overtones;
3. part 2 over video split into its colour channels by the gradients;
4. part 1 over video, each upper note adding a bubble warped by the gradients (a bass note
   clears them).

Every note sounds five sines f0, 2·f0·D, … 5·f0·D at equal amplitude (D = 1 for the bass notes
that only draw targets and for chord notes past the third). A lowpass wanders between 1 and 3 kHz.
Learners step inside the audio block hook on a fixed control clock (60 steps per second, the
original's frame rate), never on the frame rate; the visuals read a snapshot published there.

The package: ``piece`` (voices, chords and knots, the learners on the control clock, what is
published and kept) and ``commands`` (each spec beside its handler, and the words of the state
each leaves).
"""

from synthlearn.pieces.ldd.commands import PART_NAMES, PARTS
from synthlearn.pieces.ldd.piece import CONTROL_HZ, Ldd

__all__ = ["CONTROL_HZ", "PARTS", "PART_NAMES", "Ldd"]
