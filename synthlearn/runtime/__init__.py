"""Running pieces: ``render`` (offline, block by block), ``play`` (a score live), ``perform``
(the live shell: inputs, console, window, recorder, autosave, piece switching), ``sessions``
(the autosave folders) and ``worker`` (a thread for long commands). The top layer: it wires the
engine, the pieces, MIDI, commands and visuals together."""
