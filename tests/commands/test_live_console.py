"""The live console: lines become commands in the queue; bad lines are one line, never a stop."""

import io
import threading

from synthlearn.commands import language as console
from synthlearn.commands.console import SESSION, Console
from synthlearn.events import Kind
from synthlearn.pieces.ldd import Ldd

LANG = console.Language.of(console.ENGINE, Ldd.commands, SESSION)


def run_console(text):
    pushed, said, stop = [], [], threading.Event()
    c = Console(LANG, pushed.append, lambda: 960, stop=stop, say=said.append,
                stream=io.StringIO(text))
    c._run()  # the thread's body, on this thread: ends at the end of the input
    return pushed, said, stop, c


def test_console_lines_become_stamped_commands_and_errors_one_line():
    pushed, said, stop, c = run_console("part 3\nnext\ndetune mea\nvolume -6\n# note\nhelp part\n"
                                        "quit\n")
    assert [(e.kind, e.time_smp, e.command.name) for e in pushed] == [
        (Kind.COMMAND, 960, "part"), (Kind.COMMAND, 960, "next"), (Kind.COMMAND, 960, "volume")]
    assert tuple(pushed[0].command.args) == (3,)
    errors = [s for s in said if s.startswith("? ")]
    assert len(errors) == 1 and "mea" in errors[0] and "\n" not in errors[0]
    assert any("part" in s for s in said if not s.startswith("? "))  # help text
    assert stop.is_set() and c.history[-1] == "quit"
