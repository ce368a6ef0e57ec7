"""What a piece has learned, published for the autosave: one of the piece's protocols.

A piece declares what it learned (``learned_layout``) and copies it (``capture_learned``);
:class:`Learned` publishes it the way a scene's record is published. Two buffers are allocated
once, when the piece is made; at the end of a block the audio hook copies what is learned into
the back one and bumps a count (``publish_learned_at``: at most every PUBLISH_LEARNED_S of
audio, and only when ``state_version`` moved); the autosave copies the front one, checking the
count did not move meanwhile (``learned_state``). So a save is always one block's state, never
half of one block and half of the next, and the audio thread never waits. Whoever owns the
state when no hook runs the piece (the main thread: made, restored, switched away, audio
stopped) publishes it with ``publish_learned``. What a piece's show is doing (qmelody's places
in the phrase, on its own clock; ruler's synths and section) is kept the same way, so a piece
switched back to goes on where it was: nothing plays or is learned while it is away.
"""

from __future__ import annotations

import threading

import numpy as np

from synthlearn.commands.language import Where
from synthlearn.snapshot import Snapshot

PUBLISH_LEARNED_S = 0.25  # audio time between the hook's looks at what is learned


class Learned:
    """What an autosave keeps and ``--resume`` restores: a piece declares its layout and copies
    it (the hooks with defaults: nothing learned); the rest is done here."""

    def __init__(self) -> None:
        super().__init__()
        # What is learned, as last published: made once the piece's own __init__ has run
        # (pieces.base._Made), so its layout can read the learners.
        self._learned: Snapshot | None = None
        self._learned_lock = threading.Lock()  # two publishers never fill one buffer
        self._learned_seen: int | None = None  # state_version() at the last publish
        self._learned_look_s = float("-inf")  # audio time of the hook's last look
        # The audio time at the end of the last block the hook ran this piece: the clock of
        # its news (a flood of one kind of line is one line a second of audio, in a render too)
        self.audio_s = 0.0

    # Where the learned state changes while audio runs, so who publishes it: AUDIO, the hook
    # at a block's end; MAIN (the main thread or a worker changes it), the piece itself, with
    # publish_learned() right after each change in that thread, and the hook leaves it alone.
    learned_in = Where.AUDIO

    def learned_layout(self) -> dict:
        """What the piece has learned (learner parameters and generators, settings, rules,
        tables): name -> size, ``(size, dtype)`` or ``(shape, dtype)``, as a
        :class:`~synthlearn.snapshot.Snapshot` field. Read outside the audio thread, when the
        publish buffers are made (:meth:`learned_record`)."""
        return {}

    def capture_learned(self, record: dict[str, np.ndarray]) -> None:
        """Copy what is learned now into ``record`` (one array per field of
        :meth:`learned_layout`, of its shape): element stores and ``np.copyto`` only, nothing
        allocated, no I/O; the audio hook calls it."""

    def restore_learned(self, state: dict[str, np.ndarray]) -> None:
        """Take back, exactly, a state :meth:`learned_state` returned (before ``build``)."""

    def restore(self, state: dict[str, np.ndarray]) -> None:
        """:meth:`restore_learned`, then publish it (main thread, before ``build``): the first
        save after a resume saves what was restored."""
        self.restore_learned(state)
        self.publish_learned()

    def learned_state(self) -> dict[str, np.ndarray]:
        """Everything learned, as last published, in named arrays: a copy taken from any
        thread while audio runs, all of it from one block's end. Raises
        :class:`~synthlearn.snapshot.SnapshotBusy` when the hook kept publishing while it
        copied (the autosave tries again later)."""
        return self._learned.read(arrays=True, strict=True)

    def learned_version(self) -> int:
        """How many times what is learned has been published: the autosave copies it again
        only when this moved."""
        return self._learned.published

    def state_version(self) -> int:
        """A count that changes whenever the learned state may have changed, read by the hook
        when a publish may be due. By default it changes at every publish, so the hook
        publishes every PUBLISH_LEARNED_S of audio; a piece that knows when it learns says
        so, and costs nothing while it does not."""
        return self._learned.published

    def learned_record(self, layout: dict | None = None) -> Snapshot:
        """New publish buffers for ``layout`` (default: :meth:`learned_layout` now). Allocates:
        never in the audio thread. A piece whose learned shapes change (an agent added by a
        main-thread command) makes the record where it makes the new arrays and hands both
        to the thread that owns the state, which swaps them in together
        (:meth:`use_learned_record`) before its next publish."""
        return Snapshot(**(self.learned_layout() if layout is None else layout))

    def use_learned_record(self, record: Snapshot) -> None:
        """Publish into ``record`` from now on, and publish into it now (the thread that owns
        the state; no allocation). Its count goes on from the old record's, so a reader sees
        a new version."""
        with self._learned_lock:
            record.published = self._learned.published
            self._learned = record
            self._publish_learned()

    def publish_learned(self) -> None:
        """Copy what is learned into the back buffer and publish it, from the thread that owns
        the state now: the main thread when no hook runs the piece (made, restored, switched
        away, audio stopped), the changing thread for a ``learned_in`` MAIN piece. (While the
        piece plays, the hook publishes: :meth:`publish_learned_at`.)"""
        with self._learned_lock:
            if self._learned is None:
                self._learned = self.learned_record()
            self._publish_learned()

    def publish_learned_if_moved(self) -> None:
        """The thread that owns the state (a ``learned_in`` MAIN piece's main thread, at its
        tick): publish if ``state_version()`` moved since the last publish (changed by another
        thread, which may not publish it)."""
        if self.state_version() != self._learned_seen:
            self.publish_learned()

    def publish_learned_at(self, end_s: float) -> None:
        """The audio hook, at the end of every block (``end_s``: the audio time it ends): if
        PUBLISH_LEARNED_S has passed since the last look (or the clock started again) and
        ``state_version()`` moved, publish. Never waits: while another thread publishes, the
        next block looks again. (It also keeps the piece's audio clock, ``audio_s``.)"""
        self.audio_s = end_s
        last = self._learned_look_s
        if last <= end_s < last + PUBLISH_LEARNED_S:
            return  # most blocks: one comparison
        if self.learned_in is not Where.AUDIO or not self._learned.fields:
            return
        if not self._learned_lock.acquire(blocking=False):
            return
        try:
            self._learned_look_s = end_s
            if self.state_version() != self._learned_seen:
                self._publish_learned()
        finally:
            self._learned_lock.release()

    def _publish_learned(self) -> None:
        record = self._learned
        self._learned_seen = self.state_version()  # before: a change while copying is seen
        self.capture_learned(record.back())
        record.publish()
