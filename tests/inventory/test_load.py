"""Load, in manual mode: a MIDI storm (2,000 events a second for 10 s) arrives whole and in
order within the block budget; 128 voices held and stolen over and over neither click nor
grow memory; the source stays free of eval, exec and pickle."""

import re
import tracemalloc
from pathlib import Path

import numpy as np
from helpers import SR

from synthlearn import events
from synthlearn.audio.engine import Engine
from synthlearn.commands.osc import parse_address
from synthlearn.pieces.additive import Additive

BLOCK = 64


class Listening(Additive):
    """Additive that also writes down every event the hook hands it."""

    name = "listening"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.heard = np.zeros((30_000, 3), np.int64)  # stamp, kind, number: no allocation
        self.n_heard = 0

    def on_event(self, event):
        if self.n_heard < self.heard.shape[0]:
            self.heard[self.n_heard] = (event.time_smp, int(event.kind), event.number)
        self.n_heard += 1
        super().on_event(event)


def test_a_midi_storm_arrives_whole_in_order_and_within_the_block_budget():
    rng = np.random.default_rng(11)
    n = 20_000  # 2,000 a second for 10 s, pushed live as the MIDI thread does
    stamps = np.sort(rng.integers(0, 10 * SR, n))
    notes = rng.integers(21, 109, n)
    pairs = enumerate(zip(stamps, notes, strict=True))
    storm = [events.note_on(int(t), int(p), 100) if i % 2 == 0 else
             events.note_off(int(t), int(p)) for i, (t, p) in pairs]
    piece = Listening(voices=32, partials=8)
    engine = Engine("manual", sr=SR, block=BLOCK, seed=1)
    try:
        engine.play(piece, [])
        i = 0
        for b in range(10 * SR // BLOCK):
            while i < n and storm[i].time_smp < (b + 1) * BLOCK:  # due in this block
                engine.push(storm[i])
                i += 1
            engine.process()
        costs = engine.block_costs_s()
    finally:
        engine.close()
    assert piece.n_heard == n  # none lost
    heard = piece.heard[:n]
    sent = np.array([(e.time_smp, int(e.kind), e.number) for e in storm])
    assert np.array_equal(heard[:, 1:], sent[:, 1:])  # none reordered
    p99 = np.percentile(costs, 99)
    print(f"\nMIDI storm: 20,000 events in 10 s, block {BLOCK}: p99 {1e6 * p99:.0f} us "
          f"({100 * p99 / (BLOCK / SR):.0f} % of the block)")
    # the time a block takes is the machine's: printed here, held by synthlearn bench


def test_128_voices_stolen_again_and_again_neither_click_nor_grow_memory():
    piece = Additive(voices=128, partials=4)
    engine = Engine("manual", sr=SR, block=256, seed=1)
    out = np.zeros((256, 2), np.float32)
    rng = np.random.default_rng(5)

    def play(seconds, every_blocks):
        jumps = []
        prev = out[-1].copy()
        for b in range(round(seconds * SR / 256)):
            if b % every_blocks == 0:  # a new note each time: 128 held, the oldest stolen
                engine.push(events.note_on(engine.now_smp(), int(rng.integers(36, 96)), 90))
            engine.process(out)
            x = np.vstack([prev, out])
            jumps.append(np.abs(np.diff(x, axis=0)).max())
            prev = out[-1].copy()
        return np.array(jumps)

    try:
        engine.play(piece, [events.note_on(0, 36 + v % 60, 90) for v in range(128)])
        held = play(2.0, 10**9)  # 128 voices held, none stolen
        play(2.0, 2)  # warm: every allocation the stealing path makes, made
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        stolen = play(8.0, 2)  # a steal every 2 blocks (94 a second) for 8 s
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
    finally:
        engine.close()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(f"\n128 voices, {len(stolen) // 2} steals: largest step {stolen.max():.4f} "
          f"(held: {held.max():.4f}); memory {grown / 1024:+.1f} KiB")
    assert np.isfinite(stolen).all() and stolen.max() <= held.max() * 1.5
    assert grown < 64 * 1024


def test_a_stolen_voice_fades_instead_of_clicking():
    """Low sines (a click shows: one sample's step of a 55-110 Hz sine is 1-2 % of its
    amplitude, a voice cut off is all of it), 4 voices held, one stolen every 4 blocks."""
    piece = Additive(voices=4, partials=1)
    engine = Engine("manual", sr=SR, block=256, seed=1)
    out = np.zeros((256, 2), np.float32)
    steps = {"held": [], "stolen": []}
    try:
        engine.play(piece, [events.note_on(0, 33 + 3 * v, 100) for v in range(4)])
        prev = np.zeros(2, np.float32)
        for b in range(round(4.0 * SR / 256)):
            phase = "held" if b < round(2.0 * SR / 256) else "stolen"
            if phase == "stolen" and b % 4 == 0:
                engine.push(events.note_on(engine.now_smp(), 33 + (b // 4) % 12, 100))
            engine.process(out)
            if b > 40:  # past the attacks
                steps[phase].append(np.abs(np.diff(np.vstack([prev, out]), axis=0)).max())
            prev = out[-1].copy()
    finally:
        engine.close()
    held, stolen = max(steps["held"]), max(steps["stolen"])
    print(f"\nsteals of low sines: largest step {stolen:.5f} against {held:.5f} held")
    assert stolen < 2 * held


def test_files_are_parsed_as_data_and_network_inputs_stay_local():
    src = Path(__file__).resolve().parents[2] / "synthlearn"
    code = {p: p.read_text() for p in src.rglob("*.py")}
    bad = re.compile(r"\beval\(|\bexec\(|\bimport pickle|\bpickle\.|allow_pickle=True|"
                     r"shell=True|__import__\(")
    # The one exception: a performer's synth files are Python they wrote, run when named on the
    # command line (perform --synths DIR, check-synth FILE) and the shipped ones; nothing a
    # console line, OSC or a score says reaches the loader.
    runs_python = {"audio/synth_files.py"}
    assert [str(p) for p, text in code.items()
            if bad.search(text) and str(p.relative_to(src)) not in runs_python] == []
    loaders = {str(p.relative_to(src)) for p, text in code.items()
               if re.search(r"\bload_(file|folder)\(", text)}
    assert loaders == {"audio/synth_files.py", "audio/synths.py", "runtime/perform.py", "cli.py"}
    loads = [m for text in code.values() for m in re.findall(r"np\.load\([^)]*\)", text)]
    assert loads and all("allow_pickle=False" in m for m in loads)
    assert parse_address("9000") == ("127.0.0.1", 9000)  # --osc-in and --osc-out alike
    from synthlearn.pieces import PIECES, live_language, piece_class

    for name in PIECES:  # no command runs Python
        assert not {"python", "eval", "exec", "import", "shell"} & set(
            live_language(piece_class(name)).specs)
