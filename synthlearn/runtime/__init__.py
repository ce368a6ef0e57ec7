"""Running pieces: ``stage`` (the one owner of the playing piece), ``live`` (the only live
driver: the main thread of every real-time run, its window and watchdog), ``offhook`` (when a
score's off-hook commands run: one rule offline and live), ``render`` (offline, block by
block), ``play`` (a score live), ``perform`` (the live shell: inputs, console, window,
recorder, autosave, piece switching), ``demo``, ``rules`` (``synthlearn ruler``'s table),
``sessions`` (the autosave folders), ``worker`` (a thread for long commands) and
``compiling`` (a line while numba compiles: a first run). The top layer: it wires the engine,
the pieces, MIDI, commands and visuals together."""
