"""The one live driver (issue 20, item 5) and the one off-hook rule (item 9): a score's
commands that run outside the block hook run before the block their stamp falls in, in a
render and live alike. The driver is run here turn by turn on a manual clock (the engine's
own stamps decide; no wall clock, no sleep)."""

import numpy as np
import pytest

from synthlearn import events as ev
from synthlearn.audio.engine import Engine
from synthlearn.audio.wavfile import WavWriter
from synthlearn.commands.score import read_score, schedule, split_off_audio
from synthlearn.errors import UserError
from synthlearn.files import for_score
from synthlearn.pieces import piece_class
from synthlearn.pieces.additive import Additive
from synthlearn.pieces.base import Context
from synthlearn.runtime.live import Driver, Watchdog
from synthlearn.runtime.offhook import OffHook, due
from synthlearn.runtime.render import RenderOptions, render
from synthlearn.runtime.stage import Stage

SR, BLOCK = 48000, 256


def test_a_command_is_due_before_the_block_its_stamp_falls_in():
    # block 3 holds samples 768..1023
    assert not due(1024, 3, BLOCK)  # block 4's: not yet
    assert due(1023, 3, BLOCK) and due(768, 3, BLOCK)  # block 3's: now, before it
    assert due(767, 3, BLOCK)  # an earlier block's, not yet run: at once


def _off_hook_events(piece_cls, times_smp):
    language = piece_cls.language()
    return [ev.command(t, language.parse("brightness 0.5")) for t in times_smp]


@pytest.mark.parametrize("live", [False, True])
def test_render_and_live_run_each_command_before_the_block_its_stamp_falls_in(live):
    """The render's loop and the driver's turn, each before the engine's next block, on the
    same manual clock: the same command runs before the same block."""
    stamps = [0, 100, 255, 256, 1000, 1023, 1024]
    engine = Engine("manual", sr=SR, block=BLOCK)
    piece = Additive()
    ran = []
    off = OffHook(_off_hook_events(Additive, stamps), source="test")
    real_run = off.run_due

    def noting(p, next_block, block):  # which block each command ran before
        before = len(off)
        n = real_run(p, next_block, block)
        ran.extend([engine.block_index] * n)
        assert len(off) == before - n
        return n

    off.run_due = noting
    stage = Stage(engine, piece)
    try:
        stage.play()
        driver = Driver(stage, Watchdog(engine), off_hook=off)
        for b in range(6):
            if live:
                driver.turn()
            else:  # synthlearn.runtime.render's loop
                piece.main_tick(b * engine.block_s)
                off.run_due(piece, b, BLOCK)
            engine.process()
    finally:
        engine.close()
    assert ran == [t // BLOCK for t in stamps]


SCORE = """piece = "ruler"
seed = 5
duration = 2.5
[[at]]
time = 0.0
do = "r = ruler rain distance:2 consistency:0.5"
[[at]]
time = 0.5003
do = "set rain r r rain"
[[at]]
time = 1.0021
do = "tempo 90"
[[at]]
time = 1.6
do = "section rain"
[[at]]
time = 1.81
do = "r = ruler rain distance:1 consistency:0.4"
[[at]]
time = 2.0007
do = "set rain r r rain"
"""


def test_a_score_through_the_live_driver_sounds_as_its_render_bit_for_bit(tmp_path):
    """The live driver on a manual clock (a turn before each block, as the main thread would
    if it kept up) plays a score with off-hook commands exactly as its render: one rule."""
    score_path = tmp_path / "ruler.toml"
    score_path.write_text(SCORE)
    render(score_path, tmp_path / "render",
           RenderOptions(video=False, block=BLOCK, sr=SR))
    score = read_score(score_path)
    cls = piece_class(score.piece)
    events, duration_s = schedule(score, cls.language(), SR)
    events, off_audio = split_off_audio(events)
    engine = Engine("manual", sr=SR, block=BLOCK, seed=score.seed)
    piece = cls(seed=score.seed, faithful=score.faithful,
                context=Context(files=for_score(score_path)))
    stage = Stage(engine, piece)
    n_blocks = -(-round(duration_s * SR) // BLOCK)
    out = []
    frames = np.zeros((n_blocks * BLOCK, 2), np.float32)
    try:
        stage.play(events)
        driver = Driver(stage, Watchdog(engine), say=out.append, duration_s=duration_s,
                        off_hook=OffHook(off_audio, source=str(score_path)))
        for b in range(n_blocks):
            assert not driver.turn()
            engine.process(frames[b * BLOCK:(b + 1) * BLOCK])
        assert driver.turn()  # the duration reached: the run ends
    finally:
        engine.close()
    with WavWriter(tmp_path / "live.wav", SR) as writer:
        writer.write(frames[:round(duration_s * SR)])
    assert (tmp_path / "live.wav").read_bytes() == \
        (tmp_path / "render" / "audio.wav").read_bytes()


class FakeWatchdog:
    def __init__(self, ends_at_turn=None):
        self.turns, self.ends_at_turn = 0, ends_at_turn

    def __call__(self):
        self.turns += 1
        return self.ends_at_turn is not None and self.turns >= self.ends_at_turn


class Ticking(Additive):
    def __init__(self, log, **kw):
        super().__init__(**kw)
        self.log = log

    def main_tick(self, time_s):
        self.log.append(("tick", time_s))

    def news(self):
        return ["news"]


def test_a_turn_runs_chores_then_the_tick_then_says_the_news_and_reports():
    log, said = [], []
    engine = Engine("manual", sr=SR, block=BLOCK)
    stage = Stage(engine, Ticking(log))
    try:
        stage.play()
        engine.process()
        driver = Driver(stage, FakeWatchdog(), say=said.append,
                        chores=[lambda: log.append("chore")],
                        reports=[lambda: "report", lambda: None],
                        stop=lambda: len(log) > 4)
        assert driver.turn() is False
        assert log == ["chore", ("tick", engine.time_s)]
        assert said == ["news", "report"]
        assert driver.turn() is False and driver.turn() is True  # stop() asked
    finally:
        engine.close()


def test_the_watchdog_ends_the_run_before_anything_else_and_on_lost_runs_once():
    log, lost = [], []
    engine = Engine("manual", sr=SR, block=BLOCK)
    stage = Stage(engine, Ticking(log))
    try:
        stage.play()
        driver = Driver(stage, FakeWatchdog(ends_at_turn=2), chores=[lambda: log.append("c")],
                        on_lost=lambda: lost.append(True))
        assert driver.turn() is False
        assert driver.turn() is True
        assert lost == [True] and log.count("c") == 1
    finally:
        engine.close()


def test_a_piece_that_raises_in_its_main_tick_is_counted_and_the_show_goes_on():
    class Raising(Additive):
        def main_tick(self, time_s):
            raise ValueError("a bug")

    said = []
    engine = Engine("manual", sr=SR, block=BLOCK)
    stage = Stage(engine, Raising())
    try:
        stage.play()
        driver = Driver(stage, FakeWatchdog(), say=said.append)
        assert driver.turn() is False
        assert driver.faults.count == 1
        assert any("failed between blocks" in line for line in said)
    finally:
        engine.close()


def test_a_score_line_that_fails_live_ends_the_run_with_its_line():
    engine = Engine("manual", sr=SR, block=BLOCK)
    piece = piece_class("ruler")(seed=0)
    stage = Stage(engine, piece)
    bad = piece.language().parse("set rain r r rain")  # no rules named r yet
    try:
        stage.play()
        driver = Driver(stage, FakeWatchdog(),
                        off_hook=OffHook([ev.command(0, bad)], source="s.toml"))
        with pytest.raises(UserError, match="set rain r r rain"):
            driver.turn()
    finally:
        engine.close()
