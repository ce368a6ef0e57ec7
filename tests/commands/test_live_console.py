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


def test_ctrl_d_closes_the_terminal_console_and_says_the_music_goes_on(tmp_path):
    """On a real terminal (a pseudo-terminal here): a line runs, then Ctrl-D."""
    import os
    import pty
    import subprocess
    import sys

    script = tmp_path / "console.py"
    script.write_text(
        "import sys, threading\n"
        "from synthlearn.commands.console import Console\n"
        "from synthlearn.pieces import live_language\n"
        "from synthlearn.pieces.ldd import Ldd\n"
        "c = Console(live_language(Ldd), lambda e: None, lambda: 0, stop=threading.Event(),\n"
        "            say=print, piece=lambda: Ldd(seed=1)).start()\n"
        "c._thread.join()\n"
        "print('console thread ended')\n")
    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, str(script)], stdin=follower, stdout=follower,
                             stderr=follower, close_fds=True,
                             env=dict(os.environ, PYO_GUI_WX="0"))
    os.close(follower)
    seen = b""

    def read_until(text: bytes, after: bytes = b"") -> None:
        """Until ``text`` appears (after ``after``, when given)."""
        nonlocal seen
        while True:
            start = seen.find(after)
            if start >= 0 and text in seen[start + len(after):]:
                return
            chunk = os.read(leader, 4096)  # blocks on the child's own output
            assert chunk, seen
            seen += chunk

    try:
        read_until(b"> ")
        os.write(leader, b"gain 2\n")
        # the next prompt: readline reads again (a Ctrl-D typed between two reads is lost)
        read_until(b"> ", after=b"ok: gain 2")
        os.write(leader, b"\x04")  # Ctrl-D at an empty prompt
        read_until(b"console thread ended")
        assert child.wait(timeout=20) == 0
    finally:
        child.kill()
        os.close(leader)
    assert b"console closed (Ctrl-D); the music goes on" in seen
    assert b"Traceback" not in seen
