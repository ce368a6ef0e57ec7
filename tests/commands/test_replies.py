"""A command's reply says the state it leaves and its side effects (issue 19, item 7): worded
by the playing piece (``Piece.describe``) before the block hook runs the command, and true
once it has."""

import threading

import pytest

from synthlearn.audio.engine import Engine
from synthlearn.commands.console import Console
from synthlearn.pieces import live_language
from synthlearn.pieces.ldd import Ldd
from synthlearn.pieces.qmelody import Qmelody
from synthlearn.pieces.ruler import Ruler

SR, BLOCK = 48000, 256


class Live:
    """A piece on a manual engine behind the console, as a performance has it (main-thread
    jobs run at once here)."""

    def __init__(self, piece):
        self.engine = Engine("manual", sr=SR, block=BLOCK)
        self.piece = piece
        self.said: list[str] = []
        self.console = Console(live_language(type(piece)), self.engine.push,
                               self.engine.now_smp, stop=threading.Event(),
                               say=self.said.append, stream=None, piece=lambda: self.piece,
                               names=piece.names)
        self.engine.play(piece)

    def do(self, line: str) -> str:
        """The line's reply, then two blocks: the hook has run it."""
        reply = self.console.handle(line)
        self.run(2 * BLOCK / SR)
        return reply

    def run(self, seconds: float) -> None:
        for _ in range(max(1, round(seconds * SR / BLOCK))):
            self.piece.main_tick(self.engine.time_s)
            self.engine.process()

    def close(self) -> None:
        self.engine.close()


@pytest.fixture
def live():
    made = []

    def make(piece):
        made.append(Live(piece))
        return made[-1]

    yield make
    for show in made:
        show.close()


def test_ldd_next_and_part_answer_with_the_part_now_playing(live):
    show = live(Ldd(seed=1))
    assert show.do("part 2") == "ok: part 2 (knot)"
    assert show.do("next") == "ok: part 3 (knot over video)" and show.piece.part == 3
    assert show.do("next") == "ok: part 4 (cubic with bubbles)" and show.piece.part == 4
    assert show.do("next") == "ok: part 1 (cubic)" and show.piece.part == 1
    assert show.do("lr 0.05") == "ok: lr 0.05 for the cubic (was 0.01)"
    assert show.piece.cubic.lr == 0.05


def test_faithful_says_what_it_does_to_the_detune(live):
    show = live(Ldd(seed=1))
    assert show.do("detune mae") == "ok: detune mae (was loss)"
    assert show.do("faithful on") == ("ok: faithful on: detune residual (was mae); the "
                                      "original's envelope, chords, knots and warps")
    assert show.piece.signal == "residual"
    show.do("detune mae")
    reply = show.do("faithful off")
    assert reply == ("ok: faithful off: detune back to loss (was mae); our envelope, chords, "
                     "knots and warps")
    assert (show.piece.faithful, show.piece.signal) == (False, "loss")  # as the reply said
    assert show.do("faithful off") == ("ok: faithful off: detune loss; our envelope, chords, "
                                       "knots and warps")  # nothing changed: no "back to"


def test_qmelody_reset_keeps_the_settings_you_set_and_says_so(live):
    show = live(Qmelody(seed=2))
    q = show.piece.learner
    assert show.do("teach all c4,e4,g4").startswith("a0, a1, a2 learn c4 e4 g4")
    assert show.do("a1.eps 0.3") == ("ok: a1.eps 0.3 (was 0.1), from its next note; kept over "
                                     "a reset")
    show.do("a1.stubborn on")
    show.run(6.0)
    played = q.agent(1).episodes
    assert played >= 3 and q.hyperparameter(1, "eps") < 0.3  # it decays as it learns
    reply = show.do("reset a1")
    assert reply == (f"ok: reset a1: forgets what it learned (a1 at episode {played}: from "
                     "episode 0 again); its target and scale stay, and the settings you set "
                     "stay (a1.eps 0.3, a1.stubborn on)")
    assert q.agent(1).episodes <= 1 and q.hyperparameter(1, "eps") == 0.3
    assert q.agent(1).stubborn
    assert show.do("reset a0").endswith("its settings are the defaults (none set)")
    assert q.hyperparameter(0, "eps") == 0.1
    assert show.do("tempo 90") == "ok: tempo 90 bpm (was 120)" and show.piece.tempo_bpm == 90


def test_main_thread_commands_say_the_state_they_leave(live):
    show = live(Ruler(seed=3))
    assert show.do("rules = ruler blip").startswith("rules = ruler blip: 11 rules (rhythm 18 "
                                                    "presets, tone 25), learned in ")
    assert show.do("tempo 90") == "tempo 90 bpm (was 60); no section conducts yet"
    assert show.do("section tone") == ("section tone: every beat (90 bpm) each sounding synth "
                                       "takes a preset of tone from rules (none sounds yet: "
                                       "set one)")
    show.do("set blip rules 0 tone")
    assert show.do("section tone") == ("section tone: every beat (90 bpm) blip takes a preset "
                                       "of tone from rules")
    assert show.do("stop blip") == "blip fades out"
    assert show.do("stop blip") == "blip was silent"
    assert show.do("section off") == "section off: the synths keep their presets (was tone)"


def test_a_wording_that_fails_costs_nothing_but_the_words(live):
    class Clumsy(Ldd):
        def describe(self, cmd):
            raise RuntimeError("a bug in the wording")

    show = live(Clumsy(seed=1))
    assert show.do("next") == "ok: next (go to the next part (after part 4, part 1))"
    assert show.piece.part == 2  # the command ran


def test_additive_settings_say_what_they_were(live):
    from synthlearn.pieces.additive import Additive

    show = live(Additive(voices=4, partials=4))
    assert show.do("brightness 2") == "ok: brightness 2 (was 1)"
    assert show.do("attack 0.5") == "ok: attack 0.5 s for new notes (was 0.01 s)"
    assert show.do("sustain 0.2") == "ok: sustain 0.2 for new notes (was 0.6)"
    assert show.do("release 3") == "ok: release 3 s for new notes (was 0.6 s)"
    assert show.piece.pool.bank.release_s == 3.0
