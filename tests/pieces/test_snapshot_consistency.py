"""What an autosave reads is one block's state: the base class publishes what a piece learned at
a block's end, and readers in other threads copy only that (issue 18, item 4).

The race below, run with the live copy qmelody's ``learned_state`` made before (blocks as
versions), found about one torn copy in ten: Q tables from one block, counters from the next.
"""

import hashlib
import sys
import threading

import numpy as np

from synthlearn import events
from synthlearn.audio.engine import Engine
from synthlearn.commands.language import Where
from synthlearn.pieces.additive import Additive
from synthlearn.pieces.base import PUBLISH_LEARNED_S
from synthlearn.pieces.ldd import Ldd
from synthlearn.pieces.qmelody import Qmelody
from synthlearn.runtime.sessions import Autosaver, Session
from synthlearn.snapshot import Snapshot, SnapshotBusy, same_state

SR, BLOCK = 48000, 64
READS = 200  # copies taken by the reader while the hook runs
VERSIONS = 4  # ... across at least this many publishes
HANG_GUARD_BLOCKS = 400_000


def digest(state: dict[str, np.ndarray]) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(state):
        a = np.ascontiguousarray(state[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.digest()


def captured(piece) -> dict[str, np.ndarray]:
    """What the piece holds now (between blocks, in the thread that runs them)."""
    record = Snapshot(**piece.learned_layout()).back()
    piece.capture_learned(record)
    return record


def race(engine, piece, *, quiescent=captured, version=None, read=None):
    """Blocks in this thread, copies of the saved state in another, until the reader has
    READS copies spanning VERSIONS publishes (counts, never time, end it). Returns
    (reads as (first version seen, last version seen, digest), digest of each version's
    state at the end of its block, copies refused as busy)."""
    version = version or piece.learned_version
    read = read or piece.learned_state
    states = {version(): digest(quiescent(piece))}
    reads: list[tuple[int, int, bytes]] = []
    busy = [0]
    done = threading.Event()

    def reader():
        while not done.is_set():
            v0 = version()
            try:
                state = read()
            except SnapshotBusy:
                busy[0] += 1
                continue
            reads.append((v0, version(), digest(state)))

    thread = threading.Thread(target=reader)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # the threads take turns often: more copies cross a block
    thread.start()
    try:
        for _ in range(HANG_GUARD_BLOCKS):
            engine.process()
            v = version()
            if v not in states:  # the hook published at this block's end: its state now
                states[v] = digest(quiescent(piece))
            if len(reads) >= READS and len({r[0] for r in reads}) >= VERSIONS:
                break
    finally:
        done.set()
        thread.join()
        sys.setswitchinterval(old)
    return reads, states, busy[0]


def whole(reads, states) -> list:
    """The reads that are no block's state (torn)."""
    return [(v0, v1) for v0, v1, d in reads
            if d not in {states.get(v) for v in range(v0, v1 + 1)}]


def practising_qmelody():
    """qmelody on a manual server: a0 plays the phrase at 300 bpm, a1 and a2 practise it
    silently, so Q tables, visit counts, counters and generators move in every block."""
    engine = Engine("manual", sr=SR, block=BLOCK)
    piece = Qmelody(seed=4)
    engine.play(piece, [])
    language = Qmelody.language()
    for line in ("teach all c4,e4,g4,e4,c4", "practice a1 100000", "practice a2 100000"):
        language.parse(line).run(piece)  # main-thread commands, as the runtime runs them
    engine.push(events.command(0, language.parse("tempo 300")))
    return engine, piece


def test_qmelody_autosave_copies_are_whole_blocks_while_the_hook_runs():
    engine, piece = practising_qmelody()
    try:
        reads, states, busy = race(engine, piece)
    finally:
        engine.close()
    assert len(reads) >= READS and len(states) >= VERSIONS
    assert whole(reads, states) == [], f"torn copies ({busy} refused as busy)"


def test_ldd_autosave_copies_are_whole_blocks_while_the_hook_runs():
    engine = Engine("manual", sr=SR, block=BLOCK)
    piece = Ldd(seed=4)
    engine.play(piece, [events.note_on(0, 72, 90)])  # held: a step on every control tick
    try:
        reads, states, _ = race(engine, piece)
    finally:
        engine.close()
    assert whole(reads, states) == []


def test_the_hook_publishes_at_most_every_publish_interval_and_only_what_moved():
    engine, piece = practising_qmelody()
    try:
        versions = []
        for _ in range(round(1.0 * SR / BLOCK)):
            engine.process()
            versions.append(piece.learned_version())
    finally:
        engine.close()
    moved = [b for b in range(1, len(versions)) if versions[b] != versions[b - 1]]
    gaps = {b - a for a, b in zip(moved, moved[1:], strict=False)}
    assert len(moved) >= 1.0 / PUBLISH_LEARNED_S - 1  # learning all along: every look
    assert min(gaps) >= PUBLISH_LEARNED_S * SR / BLOCK
    engine = Engine("manual", sr=SR, block=BLOCK)
    quiet = Ldd(seed=4)
    engine.play(quiet, [])  # nothing played: after its first block, nothing moves
    try:
        engine.process()
        seen = quiet.learned_version()
        for _ in range(round(1.0 * SR / BLOCK)):
            engine.process()
        assert quiet.learned_version() == seen
    finally:
        engine.close()
    idle = Additive()  # nothing learned: no publish after the one it was made with
    assert idle.learned_version() == 1 and idle.learned_state() == {}


def test_the_last_save_holds_the_last_block(tmp_path):
    engine, piece = practising_qmelody()
    session = Session(tmp_path / "s")
    saver = Autosaver(session, piece, history=[], every_s=1e9).start()
    try:
        for _ in range(round(PUBLISH_LEARNED_S * SR / BLOCK) + 7):  # the copy lags 7 blocks
            engine.process()
        assert not same_state(piece.learned_state(), captured(piece))
        engine.stop()  # the audio stopped: the last save publishes once more, then saves
        saver.close()
        assert same_state(session.load_state("qmelody"), captured(piece))
    finally:
        engine.close()


def test_a_piece_switched_away_saves_what_it_took_after_its_last_block(tmp_path):
    engine, piece = practising_qmelody()
    saver = Autosaver(Session(tmp_path / "s"), piece, history=[], every_s=1e9).start()
    try:
        for _ in range(20):
            engine.process()
        piece.cmd_teach("a0", "d4,f4,a4")  # typed just before the switch: still pending
    finally:
        engine.close()  # lets the piece go (release takes what was pending)
    saver.switch(Additive())
    saver.close()
    saved = Session(tmp_path / "s").load_state("qmelody")
    assert saved["q_target_pitch"][:3].tolist() == [62, 65, 69]
    assert same_state(saved, captured(piece))


class Grows(Additive):
    """A piece whose learned state changes in the main thread (learned_in MAIN) and may grow
    (an agent added): it publishes itself, where it changes its state."""

    name = "grows"
    learned_in = Where.MAIN

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.weights = np.zeros((1, 4))
        self.count = np.zeros(1, np.int64)

    def learned_layout(self):
        return {"weights": (self.weights.shape, np.float64), "count": (1, np.int64)}

    def capture_learned(self, record):
        np.copyto(record["weights"], self.weights)
        np.copyto(record["count"], self.count)

    def learn(self):  # main thread: two arrays that must agree, then published
        self.weights += 1.0
        self.count += 1
        self.publish_learned()

    def add_agent(self):  # main thread: new arrays and new buffers made here, swapped together
        weights = np.vstack([self.weights, np.zeros(4)])
        record = self.learned_record({"weights": (weights.shape, np.float64),
                                      "count": (1, np.int64)})
        self.weights = weights
        self.use_learned_record(record)


def test_state_changed_outside_the_audio_thread_is_published_there_and_may_grow():
    engine = Engine("manual", sr=SR, block=BLOCK)
    piece = Grows()
    engine.play(piece, [])
    try:
        piece.learn()
        seen = piece.learned_version()
        for _ in range(round(3 * PUBLISH_LEARNED_S * SR / BLOCK)):
            engine.process()
        assert piece.learned_version() == seen  # the hook leaves a MAIN piece alone
        piece.add_agent()
        piece.learn()
        state = piece.learned_state()
        assert state["weights"].shape == (2, 4) and state["count"][0] == 2
        assert state["weights"][0].tolist() == [2.0] * 4 and piece.learned_version() > seen
    finally:
        engine.close()
