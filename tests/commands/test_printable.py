"""No control character from a file or the network reaches the terminal."""

import subprocess
import sys
import threading

from hypothesis import given
from hypothesis import strategies as st

from synthlearn.commands.console import Console
from synthlearn.commands.printable import printable
from synthlearn.pieces import live_language
from synthlearn.pieces.additive import Additive

HOSTILE = "tone\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil\x7f"


def _reaches_the_terminal(text: str) -> bool:
    return any((ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0
               or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for c in text)


def test_controls_are_shown_escaped_and_plain_text_is_untouched():
    assert printable(HOSTILE) == "tone\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202eevil\\x7f"
    assert printable("ok: lr 0.02 (café, 日本)\n\tnext") == "ok: lr 0.02 (café, 日本)\n\tnext"


@given(st.text())
def test_nothing_that_acts_on_a_terminal_survives(text):
    assert not _reaches_the_terminal(printable(text))


def test_the_console_shows_a_hostile_name_escaped():
    said = []
    console = Console(live_language(Additive), lambda e: None, lambda: 0,
                      stop=threading.Event(), say=said.append, stream=None)
    console.handle(f"release {HOSTILE}")  # an OSC sender's bad value, echoed in the reply
    assert len(said) == 1 and said[0].startswith("? release: seconds ")
    assert not _reaches_the_terminal(said[0]) and "\\x1b]0;owned" in said[0]


def test_a_csv_label_reaches_the_ruler_table_escaped(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(f"freq,amp,label\n110,0.3,{HOSTILE}\n220,0.3,{HOSTILE}\n"
                     "2,0.4,rhythm\n3,0.4,rhythm\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "synthlearn", "ruler", str(table)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "\\x1b]0;owned\\x07" in run.stdout and not _reaches_the_terminal(run.stdout)
