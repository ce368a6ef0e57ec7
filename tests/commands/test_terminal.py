"""The terminal is given back as it was found on every way out of ``perform``: ``quit``, Ctrl-C
(typed: the terminal's own SIGINT), SIGTERM, ``--duration`` and an exception in the main
thread. A real pseudo-terminal is the performance's controlling terminal; its attributes are
read back after the process has ended."""

import fcntl
import os
import pty
import signal
import subprocess
import sys
import termios

import pytest

pytestmark = pytest.mark.jack

WAIT_S = 120  # a bound for a stuck child on a loaded machine, not a timing
# Make the main thread fail once the show runs: the one fault injected (the rest is real).
# It polls for a file the test makes once the prompt is up, so readline has the terminal.
RAISES = ("import os, time\n"
          "import synthlearn.runtime.live as live\n"
          "def boom(until, *args, **kwargs):\n"
          "    while not until():\n"
          "        if os.path.exists(os.environ['SYNTHLEARN_TEST_FAIL']):\n"
          "            raise RuntimeError('the main thread failed')\n"
          "        time.sleep(0.01)\n"
          "live.run_main_thread = boom\n")


def _as_controlling_terminal() -> None:  # in the child, after setsid
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _perform(tmp_path, args, prelude=""):
    """(child, leader, follower, read_until): perform ldd on the tests' JACK server in a new
    pseudo-terminal that is its controlling terminal."""
    leader, follower = pty.openpty()
    code = (prelude + "import sys\nfrom synthlearn.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    child = subprocess.Popen(
        [sys.executable, "-c", code, "perform", "ldd", "--audio", "jack", "--no-window",
         "--midi", "none", "--session", str(tmp_path / "s"), *args],
        stdin=follower, stdout=follower, stderr=follower, start_new_session=True,
        preexec_fn=_as_controlling_terminal,
        env=dict(os.environ, PYO_GUI_WX="0", SYNTHLEARN_TEST_FAIL=str(tmp_path / "fail")))
    seen = bytearray()

    def read_until(text: bytes) -> bytes:
        while text not in seen:
            chunk = os.read(leader, 4096)  # blocks on the child's own output
            assert chunk, bytes(seen)
            seen.extend(chunk)
        return bytes(seen)

    def drain() -> bytes:
        """Everything written so far (the child has ended: nothing more comes)."""
        os.set_blocking(leader, False)
        try:
            while chunk := os.read(leader, 4096):
                seen.extend(chunk)
        except BlockingIOError:
            pass
        return bytes(seen)

    read_until.drain = drain
    return child, leader, follower, read_until


def _lflag(fd) -> int:
    return termios.tcgetattr(fd)[3]


@pytest.mark.parametrize("way", ["quit", "ctrl-c", "sigterm", "duration", "exception"])
def test_every_way_out_gives_the_terminal_back(jack_server, tmp_path, way):
    args = ["--duration", "3"] if way == "duration" else []
    child, leader, follower, read_until = _perform(
        tmp_path, args, prelude=RAISES if way == "exception" else "")
    try:
        before = _lflag(follower)
        assert before & termios.ECHO and before & termios.ICANON
        read_until(b"> ")  # the console's prompt: readline has taken the terminal
        assert not _lflag(follower) & termios.ECHO  # as readline does while it waits
        if way == "exception":
            (tmp_path / "fail").touch()
        elif way == "quit":
            os.write(leader, b"quit\n")
        elif way == "ctrl-c":
            os.write(leader, b"\x03")  # the terminal sends SIGINT to its foreground group
        elif way == "sigterm":
            os.killpg(child.pid, signal.SIGTERM)
        code = child.wait(timeout=WAIT_S)
        out = read_until.drain()
        after = termios.tcgetattr(follower)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(leader)
        os.close(follower)
    assert after[3] & termios.ECHO and after[3] & termios.ICANON, out
    if way == "exception":
        assert code != 0 and b"the main thread failed" in out
    else:
        assert code == 0, out
        assert b"Traceback" not in out
    if way in ("ctrl-c", "sigterm"):
        assert b"stopped (SIG" in out
    assert (tmp_path / "s" / "session.json").is_file()  # the last save was made
