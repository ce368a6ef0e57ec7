"""check_piece over every registered piece, and proof that it catches what it is for."""

import pytest

from synthlearn.commands.language import Param, Spec
from synthlearn.pieces import PIECES, piece_class
from synthlearn.pieces.additive import Additive
from synthlearn.pieces.checks import check_piece


@pytest.mark.parametrize("name", sorted(PIECES))
def test_every_registered_piece_passes_the_checks(name):
    check_piece(piece_class(name))


def test_a_command_that_does_nothing_is_caught():
    class Idle(Additive):
        name = "idle"
        commands = (*Additive.commands, Spec("shimmer", (Param("amount", "float", 0, 1),), ""))

        def cmd_shimmer(self, amount):
            pass  # declared, bound, and does nothing

    with pytest.raises(AssertionError, match="command 'shimmer' changes nothing observable"):
        check_piece(Idle)


def test_a_state_that_does_not_come_back_is_caught():
    class Amnesic(Additive):
        name = "amnesic"

        def learned_state(self):
            import numpy as np

            return {"seen": np.array([float(id(self))])}  # differs from piece to piece

    with pytest.raises(AssertionError, match="does not come back bit for bit"):
        check_piece(Amnesic)


def test_a_silent_piece_is_caught():
    class Mute(Additive):
        name = "mute"

        def on_event(self, event):
            pass  # notes never reach the voices

    with pytest.raises(AssertionError, match="held notes make no sound"):
        check_piece(Mute)


class Counting(Additive):
    """Learns something in the hook: how many notes it heard, and their sum."""

    name = "counting"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        import numpy as np

        self.heard = np.zeros(2, np.int64)

    def on_event(self, event):
        from synthlearn.events import Kind

        super().on_event(event)
        if event.kind == Kind.NOTE_ON:
            self.heard += (1, event.number)

    def learned_layout(self):
        return {"heard": (2, "int64")}

    def capture_learned(self, record):
        record["heard"][:] = self.heard

    def restore_learned(self, state):
        self.heard[:] = state["heard"]


def test_a_piece_that_learns_in_the_hook_passes_the_publishing_checks():
    check_piece(Counting)


def test_a_capture_that_forgets_a_field_is_caught():
    class Forgetful(Counting):
        def capture_learned(self, record):
            pass

    with pytest.raises(AssertionError, match=r"capture_learned leaves \['heard'\] unwritten"):
        check_piece(Forgetful)


def test_a_capture_that_allocates_is_caught():
    class Copying(Counting):
        def capture_learned(self, record):
            import numpy as np

            record["heard"][:] = np.zeros((1024, 2), np.int64).sum(axis=0) + self.heard

    with pytest.raises(AssertionError, match="capture_learned allocates"):
        check_piece(Copying)


def test_learning_the_hook_never_publishes_is_caught():
    class Unannounced(Counting):
        def state_version(self):
            return 0  # says nothing ever changes

    with pytest.raises(AssertionError, match="the hook published none of it"):
        check_piece(Unannounced)


# -- issue 20: warm then switch, the faithful variant, saves while the hook runs, scenes -------

@pytest.mark.parametrize("name", sorted(PIECES))
def test_warm_then_switch_compiles_nothing_in_a_fresh_process(name):
    """Run first in a process of its own, the check sees a kernel loaded from numba's cache as
    well as one compiled: every kernel the hook calls is warmed before the switch."""
    import subprocess
    import sys

    code = ("from synthlearn.pieces import piece_class\n"
            "from synthlearn.pieces.checks import check_warm_then_switch\n"
            f"check_warm_then_switch(piece_class({name!r}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_kernel_the_warm_leaves_out_is_caught():
    from numba import njit

    @njit
    def louder(x):
        return 2.0 * x

    class Cold(Additive):
        name = "cold"

        def on_event(self, event):
            louder(1.0)  # first called in the hook: numba compiles there
            super().on_event(event)

    with pytest.raises(AssertionError, match=r"cold: after warm_kernels\(\) and warm\(\), "
                                             r"playing compiled .*louder\(float64\)"):
        check_piece(Cold)


def test_a_kernel_the_warm_compiles_is_not_caught():
    from numba import njit

    @njit
    def louder(x):
        return 2.0 * x

    class Warmed(Additive):
        name = "warmed"

        @classmethod
        def warm_kernels(cls):
            louder(1.0)

        def on_event(self, event):
            louder(1.0)
            super().on_event(event)

    from synthlearn.pieces.checks import check_warm_then_switch

    check_warm_then_switch(Warmed)


def test_a_piece_broken_only_when_faithful_is_caught():
    class Brittle(Additive):
        name = "brittle"

        def on_event(self, event):
            if not self.faithful:  # faithful: notes never reach the voices
                super().on_event(event)

    with pytest.raises(AssertionError, match=r"brittle \(faithful\): held notes make no sound"):
        check_piece(Brittle)


class Torn(Counting):
    """Its save reads the live arrays, not what the hook published: a save that lands between
    the hook's two changes of one block holds half of them."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        import threading

        self.saved = threading.Event()

    def step(self, block_index):
        import threading

        self.heard[0] += 1
        if threading.current_thread() is not threading.main_thread():  # the check's hook
            self.saved.clear()
            self.saved.wait(1.0)  # a save lands here, mid-block
        self.heard[1] += 1

    def learned_state(self):
        state = {"heard": self.heard.copy()}
        self.saved.set()
        return state


def test_a_save_the_hook_tears_is_caught():
    with pytest.raises(AssertionError, match="saves taken while the hook ran are the state at "
                                             "no block's end"):
        check_piece(Torn)


def test_a_scene_that_holds_the_piece_is_caught():
    class Nosy(Additive):
        name = "nosy"

        def scene(self, engine, width, height, fps, source=None):
            view = super().scene(engine, width, height, fps, source)
            view.piece = self  # reads the live state at every frame
            return view

    with pytest.raises(AssertionError, match=r"nosy: its scene holds the piece"):
        check_piece(Nosy)


# -- the synths' registry: every synth checked the day it is registered ------------------------

def _synth_names():
    from synthlearn.audio import synths

    return synths.names()


@pytest.mark.parametrize("name", _synth_names())
def test_every_registered_synth_passes_the_checks(name):
    from synthlearn.pieces.checks import check_synth

    check_synth(name)


@pytest.fixture
def registry(monkeypatch):
    """The synths' registry, put back as it was after the test."""
    from synthlearn.audio import synths

    synths.names()  # the shipped ones registered first, and kept
    monkeypatch.setattr(synths, "SYNTHS", dict(synths.SYNTHS))
    monkeypatch.setattr(synths, "PANS", dict(synths.PANS))
    return synths


def test_a_synth_registered_in_one_call_is_checked(registry):
    from synthlearn.pieces.checks import check_synth

    def build(p):
        import pyo

        return pyo.Sine(freq=p["freq"], mul=p["amp"])

    registry.register("sine", {"freq": (20.0, 2000.0, 440.0), "amp": (0.0, 1.0, 0.2)}, build)
    assert "sine" in registry.names() and registry.PANS["sine"] == 0.5
    check_synth("sine")


def test_a_synth_that_sounds_before_it_is_set_is_caught(registry):
    from synthlearn.pieces.checks import check_synth

    def build(p):
        import pyo

        return pyo.Sine(freq=p["freq"], mul=0.2)  # its amp (and the level riding on it) unused

    registry.register("drone", {"freq": (20.0, 2000.0, 440.0), "amp": (0.0, 1.0, 0.2)}, build)
    with pytest.raises(AssertionError, match="synth drone: sounds before its first preset"):
        check_synth("drone")


@pytest.mark.parametrize("build_text, says", [
    ("pyo.Sine(freq=440, mul=p['amp'])", "changing freq from low to high does not change"),
    ("pyo.Sine(freq=p['freq'], mul=p['amp'] * 40)", "peaks at"),
    ("pyo.Sine(freq=p['freq'], mul=p['amp'] * 20 / (p['freq'] - 20))", "not a number|peaks at"),
])
def test_a_synth_deaf_to_a_parameter_or_unsafe_at_a_corner_is_caught(registry, build_text,
                                                                      says):
    from synthlearn.pieces.checks import check_synth

    def build(p):
        import pyo

        return eval(build_text, {"pyo": pyo, "p": p})

    registry.register("bad", {"freq": (20.0, 2000.0, 440.0), "amp": (0.0, 1.0, 0.2)}, build)
    with pytest.raises(AssertionError, match=says):
        check_synth("bad")


def test_a_synth_without_amp_is_silenced_by_its_level(registry):
    from synthlearn.pieces.checks import check_synth

    def build(p):
        import pyo

        return pyo.Sine(freq=p["freq"], mul=0.2)

    registry.register("plain", {"freq": (20.0, 2000.0, 440.0)}, build, pan=0.2)
    check_synth("plain")


def test_a_piece_that_only_builds_plays_through_every_protocols_defaults():
    """The three protocols (Sounding, Learned, Telling) each give a default for every hook but
    ``build``: a piece that plays notes on one pool needs nothing more to pass the checks."""
    from synthlearn.pieces.base import Learned, Piece, Sounding, Telling

    class Plain(Piece):
        name = "plain"

        def build(self, engine):
            self.pool = engine.pool("plain", 4, 2)
            return self.pool.output

        def on_event(self, event):
            from synthlearn.events import Kind

            if event.kind == Kind.NOTE_ON:
                self.pool.bank.note_on(event.number, event.value)
            elif event.kind == Kind.NOTE_OFF:
                self.pool.bank.note_off(event.number)

    hooks = [{k for k in vars(c) if not k.startswith("_")} for c in (Sounding, Learned, Telling)]
    assert not (hooks[0] & hooks[1] or hooks[0] & hooks[2] or hooks[1] & hooks[2])
    assert [c for c in Piece.__mro__ if c in (Sounding, Learned, Telling)] == \
        [Sounding, Learned, Telling]
    check_piece(Plain)
