"""A '#' inside a word is a sharp, not a comment: ``teach a0 f#3,c4,bb2`` (the help's own
example) works in the console, over OSC and in a score; a '#' that starts a word still begins a
comment."""

import json
import queue
import threading

import pytest
from pythonosc import udp_client

from synthlearn.commands import osc
from synthlearn.commands.console import Console
from synthlearn.commands.language import without_comment
from synthlearn.pieces import live_language
from synthlearn.pieces.qmelody import Qmelody

WAIT_S = 10
SHARPS = "f#3,c4,bb2,c#5*2"
PITCHES = [54, 60, 46, 73]  # f#3, c4, bb2, c#5


@pytest.mark.parametrize("text, kept", [
    ("teach a0 f#3,c4", "teach a0 f#3,c4"),
    ("part 2 # the knot", "part 2 "),
    ("#all of it", ""),
    ("teach a0 'f#3 # not a comment' # a comment", "teach a0 'f#3 # not a comment' "),
    ('x "a \\" # b" # c', 'x "a \\" # b" '),
    ("x \\# y #z", "x \\# y "),
    ("x\t#tab", "x\t"),
])
def test_a_comment_starts_a_word(text, kept):
    assert without_comment(text) == kept


def test_sharps_in_the_console_and_over_osc():
    piece = Qmelody(seed=1)
    said, jobs = [], queue.Queue()
    console = Console(live_language(Qmelody), lambda event: None, lambda: 0,
                      stop=threading.Event(), say=said.append, stream=None,
                      piece=lambda: piece, main=jobs.put, names=piece.names)
    cmd = console.language.parse(f"teach a0 {SHARPS}  # from the help")
    assert cmd.args == ("a0", SHARPS)
    assert piece.cmd_teach(*cmd.args).startswith("a0 learns")
    assert list(piece.log[-1]["phrase"]) == PITCHES
    listener = osc.OscIn(lambda line: console.handle(line, quiet=True, grant=osc.grant()),
                         port=0, say=said.append).start()
    try:
        sender = udp_client.SimpleUDPClient(*listener.address)
        sender.send_message("/synthlearn/do", f"teach a1 {SHARPS}")
        sender.send_message("/synthlearn/teach", ["a2", SHARPS])
        for _ in range(2):
            jobs.get(timeout=WAIT_S)()  # teach runs in the main thread
    finally:
        listener.close()
    assert [line for line in said if line.startswith("?")] == []
    assert [entry["agents"] for entry in piece.log[-2:]] == [["a1"], ["a2"]]
    assert all(list(entry["phrase"]) == PITCHES for entry in piece.log[-2:])


def test_sharps_in_a_score(tmp_path):
    from synthlearn.runtime.render import RenderOptions, render

    score = tmp_path / "s.toml"
    score.write_text('piece = "qmelody"\nduration = 1.0\n[[at]]\ntime = 0.0\n'
                     f'do = {json.dumps(f"teach a0 {SHARPS} # a sharp is no comment")}\n')
    summary = render(score, tmp_path / "out", RenderOptions(video=False))
    taught = [e for e in summary["events"] if "phrase" in e]
    assert [list(e["phrase"]) for e in taught] == [PITCHES]
