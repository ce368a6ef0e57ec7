"""Running pieces: ``render`` (offline, block by block), ``play`` (a score live), ``perform``
(the live shell: inputs, console, window, recorder, autosave, piece switching), ``sessions``
(the autosave folders), ``worker`` (a thread for long commands) and ``compiling`` (a line
while numba compiles: a first run). The top layer: it wires the engine, the pieces, MIDI,
commands and visuals together."""
