"""A piece switched away from is paused, and switched back to it goes on where it was (issue 19,
item 4): nothing learned while it did not play, every state it shows restored — qmelody's
episodes, targets, each agent's note and place in its phrase; ruler's synths and their presets,
the conductor, the section and the tempo.

The switches go the way ``Performance.switch_to`` goes, on a manual server: a save, the piece
made anew from the session's saved state, ``engine.switch``, the autosaver's switch (the last
save of the piece that left)."""

import numpy as np
import pytest

from synthlearn.audio.engine import Engine
from synthlearn.commands.score import run_off_audio
from synthlearn.learners.qlearning import QMelody
from synthlearn.pieces.qmelody import AGENTS, Qmelody
from synthlearn.pieces.ruler import Ruler
from synthlearn.runtime.perform import restored_piece
from synthlearn.runtime.sessions import Autosaver, Session
from synthlearn.snapshot import same_state

SR, BLOCK = 48000, 256
SEED = 3


class Show:
    """One engine, one session and its autosaver, and pieces switched as a performance does."""

    def __init__(self, piece, tmp_path):
        self.engine = Engine("manual", sr=SR, block=BLOCK)
        self.names = piece.names  # the run's: every piece switched to shares them
        self.piece = piece
        self.session = Session(tmp_path / "session")
        self.saver = Autosaver(self.session, piece, history=[], names=self.names,
                               every_s=1e9).start()
        self.engine.play(piece)

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds * SR / BLOCK)):
            self.piece.main_tick(self.engine.time_s)
            self.engine.process()

    def switch_to(self, name: str):
        self.saver.save_now()
        piece = restored_piece(self.session, name, seed=SEED, faithful=False,
                               context=self.piece.context)
        self.engine.switch(piece)
        self.piece = piece
        self.saver.switch(piece)
        return piece

    def close(self) -> None:
        self.saver.close()
        self.engine.close()


def episodes(piece) -> list[int]:
    return [piece.learner.agent(k).episodes for k in range(AGENTS)]


def taught() -> Qmelody:
    piece = Qmelody(seed=SEED)
    piece.cmd_teach("all", "c4*2,e4,g4*3,e4,c4*2")
    piece.cmd_hyper(1, "eps", 0.3)  # a setting of its own, shown in its line
    return piece


def test_qmelody_round_trip_restores_it_exactly_and_learns_nothing_while_away(tmp_path):
    show = Show(taught(), tmp_path)
    try:
        show.run(9.0)
        left = show.piece
        before = {"episodes": episodes(left), "tstep": left._tstep.copy(),
                  "sounding": left.sound.sounding.copy(),
                  "targets": left.learner.target_pitch_.copy(),
                  "curve_n": left._curve_n.copy(), "status": left.cmd_agents()}
        assert min(before["episodes"]) >= 3 and (before["sounding"] >= 0).any()
        show.switch_to("ldd")
        show.run(2.5)  # 2.5 s of ldd: nothing of qmelody's plays
        back = show.switch_to("qmelody")
        # as it was when it left, exactly
        assert episodes(back) == before["episodes"]
        assert np.array_equal(back.learner.target_pitch_, before["targets"])
        assert np.array_equal(back._tstep, before["tstep"])
        assert np.array_equal(back.sound.sounding, before["sounding"])
        assert np.array_equal(back._curve_n, before["curve_n"])
        assert back.cmd_agents() == before["status"]
        show.run(BLOCK / SR)  # its first block: the notes that sounded sound again, no burst
        for k in range(AGENTS):
            if before["sounding"][k] >= 0:
                assert int(before["sounding"][k]) in back.sound.agent_banks[k].held_notes()
        assert all(b - a <= 1 for a, b in zip(before["episodes"], episodes(back), strict=True))
        show.run(3.0)
        back.publish_learned()  # between blocks, this thread runs them: the state now
        after = back.learned_state()
        after_episodes = episodes(back)
    finally:
        show.close()
    # The same piece played the same 12 s without leaving: the same state, bit for bit (the
    # 2.5 s away were not played, not learned from, not caught up).
    twin = Show(taught(), tmp_path / "twin")
    try:
        twin.run(9.0)
        twin.run(BLOCK / SR)
        twin.run(3.0)
        twin.piece.publish_learned()
        assert episodes(twin.piece) == after_episodes
        assert same_state(twin.piece.learned_state(), after)
    finally:
        twin.close()
    # and the episodes it played in those 3 s are what 3 s allow (not 2.5 s more)
    assert max(b - a for a, b in zip(before["episodes"], after_episodes, strict=True)) <= 3


def test_qmelody_reset_then_a_round_trip_starts_from_episode_zero_where_it_was(tmp_path):
    show = Show(taught(), tmp_path)
    try:
        show.run(6.0)
        show.piece.cmd_reset("all")
        show.run(0.5)
        was = episodes(show.piece)
        show.switch_to("ldd")
        show.run(2.5)
        back = show.switch_to("qmelody")
        assert episodes(back) == was and max(was) <= 1
        show.run(0.5)  # half a second: at most one more episode each, no catching up
        assert all(b - a <= 1 for a, b in zip(was, episodes(back), strict=True))
        assert back.learner.hyperparameter(1, "eps") == pytest.approx(
            QMelody.from_state(show.session.load_state("qmelody")).hyperparameter(1, "eps"))
    finally:
        show.close()


def ruler_playing(tmp_path) -> Show:
    show = Show(Ruler(seed=SEED), tmp_path)
    for line in ("rules = ruler blip distance:2 consistency:0.5", "set blip rules r tone",
                 "tempo 90", "section tone"):
        run_off_audio(Ruler.language().parse(line), show.piece, source="test")
    return show


def test_ruler_round_trip_restores_what_sounds_the_section_and_the_tempo(tmp_path):
    show = ruler_playing(tmp_path)
    for line in ("explore fm every:3", "map cc21 blip.freq"):  # what it does by itself, too
        run_off_audio(Ruler.language().parse(line), show.piece, source="test")
    try:
        show.run(2.2)  # the conductor has moved blip to other presets of tone
        left = show.piece
        sounding = {name: dict(entry) for name, entry in left.sounding.items()}
        values = {name: dict(s.values) for name, s in left.synths.items()}
        playing = {name: s.sounding for name, s in left.synths.items()}
        wait_s = left._next_beat_s - left._now_s
        explore_wait_s = left.exploring["fm"][1] - left._now_s
        status = left.status()
        assert playing == {"blip": True, "rain": False, "fm": True}
        assert left.log[-1]["set"] == "blip" and left.log[-1]["time_s"] > 0.5  # conducted
        show.switch_to("qmelody")
        show.run(2.5)
        back = show.switch_to("ruler")
        assert {name: s.sounding for name, s in back.synths.items()} == playing
        assert {name: dict(s.values) for name, s in back.synths.items()} == values
        assert (back.tempo_bpm, back.conducting, back.section) == (90.0, ("rules", "tone"),
                                                                   "tone")
        show.run(BLOCK / SR)  # a main tick: its rules are known here again
        assert back.sounding == sounding  # model, label, preset number and the preset itself
        assert back.status() == status
        # the conductor's clock was paused too: its next beat is as far off as it was
        assert back._next_beat_s - back._now_s == pytest.approx(wait_s, abs=1e-9)
        assert back.cc_map == {21: ("blip", "freq")} and back.exploring["fm"][0] == 3.0
        assert back.exploring["fm"][1] - back._now_s == pytest.approx(explore_wait_s, abs=1e-9)
        out = np.zeros((BLOCK, 2), np.float32)
        for _ in range(20):
            show.engine.process(out)
        assert np.abs(out).max() > 0.01  # blip sounds again
    finally:
        show.close()
