"""The stage: the one owner of the playing piece (STYLE habit 15).

A live run, a render and a bench each have one :class:`Stage`. It holds the piece on stage
and hands it to the engine (whose block hook plays it); everyone else reads
:attr:`Stage.piece` when they need the piece (the console's commands, OSC's signals, the
driver's main tick) or is told when it changes (:meth:`Stage.watch`: the autosave, the
window, the console's language). Nobody keeps a copy of it in step by hand.
"""

from __future__ import annotations

from collections.abc import Callable

Watcher = Callable[[object, object], None]  # (the piece that left, the piece that plays)


class Stage:
    """The piece on stage (``piece``: the one :meth:`play` starts with), played by
    ``engine`` (None: no audio, e.g. an autosave of a lone piece)."""

    def __init__(self, engine=None, piece=None):
        self.engine = engine
        self._piece = piece
        self._watchers: list[Watcher] = []

    @property
    def piece(self):
        """The piece playing now (main thread: the one the engine's hook plays from the next
        block on; before :meth:`play`, the one it will play)."""
        return self._piece

    def watch(self, watcher: Watcher) -> Watcher:
        """Call ``watcher(old, new)`` after every switch, in the order they began watching
        (main thread)."""
        self._watchers.append(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def play(self, events: list | tuple = ()) -> None:
        """The engine builds the piece on stage and plays it from its first block, with
        ``events`` (stamped in samples, in time order) queued for the hook."""
        self.engine.play(self._piece, events)

    def switch(self, piece, **engine_options):
        """Play ``piece`` instead, the audio going on (main thread): the engine builds it and
        crossfades to it (``Engine.switch``; a failure there changes nothing), then it is the
        piece on stage and every watcher is told. Returns the piece that left."""
        old = self._piece
        if self.engine is not None:
            self.engine.switch(piece, **engine_options)
        self._piece = piece
        for watcher in list(self._watchers):
            watcher(old, piece)
        return old
