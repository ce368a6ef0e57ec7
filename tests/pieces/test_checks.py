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
