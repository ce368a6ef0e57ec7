"""``ruler``: conversational learning. RuLer learns rules from a small labeled table of synth
presets and the rules make new presets; the performer retrains mid-performance with another
distance or consistency, and the labels conduct the sections.

Commands (the seed's syntax kept):

- ``rules = ruler blip distance:2 consistency:0.5`` — learn (in a worker thread live, at its
  time in a render) and keep the rules under ``rules`` (names are autosaved; ``--resume`` brings
  them back); a failed retrain keeps the old rules and says why. Live, a retrain says when
  it starts and when it ends (its rules, each label's presets, its seconds), ``rules`` and
  ``status`` say how far it got, ``cancel rules`` stops it and a newer ``rules = ruler ...``
  replaces it (queued or running: the newer parameters win). The table is a shipped dataset
  by name (``blip``, ``rain``, ``fm``), the table of rules kept (``r2 = ruler rules
  distance:4``: no file read), or a CSV path (``ruler my/table.csv``: reading a file);
- ``set blip rules r rhythm`` — a random preset of label rhythm into synth blip;
  ``set blip rules 5 tone`` — preset number 5 (from 0); the synth sounds from its first set;
- ``stop blip`` — the synth fades out; ``rules`` — the rule sets kept, with counts;
- ``presets rules rain 700 rain-new.csv`` — export new presets of a label into the run's
  exports folder (a session's ``exports/``, a render's ``--out``), never over a file;
- ``section rain`` — the label conducts: every beat each sounding synth takes a random preset
  of it; ``tempo 90`` sets the beat (BPM); ``section off`` stops conducting.

Synths: every one registered in ``synthlearn.audio.synths`` (``blip``, ``rain`` and ``fm``). A
CSV path is relative to the score in a score, to the working directory in the console; where it
may be is the run's :class:`synthlearn.files.Folders`.

The package: ``piece`` (the synths, the conductor, the rule sets kept), ``commands`` (each spec
beside its handler), ``state`` (what is kept with what it learned) and ``shown`` (what its
scene draws). What it shows (``synthlearn.visuals.records.ruler``: the rule set in play, its
training presets and the presets sounding) is published where it changes: the main thread (set,
stop, the conductor, a restore) and whichever thread keeps a name (a retrain: the worker, told
by the names). A panic in the hook puts up the record made beforehand for nothing sounding.
"""

from synthlearn.pieces.ruler.piece import Ruler

__all__ = ["Ruler"]
