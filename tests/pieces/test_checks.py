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
