"""The synths shipped with synthlearn, written as a performer writes their own: one file
``NAME.py`` each (its ``PARAMS`` and ``build``), and ``NAME.csv``, a labeled table of its
presets (``r = ruler NAME``). Read as files (``synthlearn.audio.synth_files``), never imported
as modules; installed with the package as ``synthlearn/presets``."""
