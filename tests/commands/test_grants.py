"""The trust boundary: each command says what it touches, each front-end what it may do, and
the language refuses the rest where a line is parsed — before any file is read or written."""

import queue
import threading
from pathlib import Path

import pytest
from helpers import folder_context
from pythonosc import udp_client

from synthlearn.commands import osc
from synthlearn.commands.console import Console
from synthlearn.commands.language import TERMINAL, Param, Spec, Touch
from synthlearn.pieces import PIECES, live_language, piece_class

WAIT_S = 10


def test_a_spec_with_a_path_must_say_whether_it_reads_or_writes():
    with pytest.raises(ValueError, match="touches neither READS nor WRITES"):
        Spec("load", (Param("file", "path", example="x.csv"),))
    Spec("load", (Param("file", "path", example="x.csv"),), touches=Touch.READS)


@pytest.mark.parametrize("name", PIECES)
def test_oscs_default_grant_refuses_files_and_the_show_in_every_piece(name):
    language = live_language(piece_class(name))
    default = osc.grant()
    for spec in language.specs.values():
        files = any(p.kind == "path" for p in spec.params)
        assert not files or spec.touches & (Touch.READS | Touch.WRITES), spec.name
        refused = default.refuse(spec)
        assert (refused is None) == (spec.touches == Touch.SOUND), spec.name
        assert TERMINAL.refuse(spec) is None  # the performer may do anything
        assert osc.grant(("show", "read", "write")).refuse(spec) is None
    for spec_name in ("quit", "piece"):
        assert default.refuse(language.specs[spec_name]) is not None


def test_the_osc_grant_is_said_and_its_words_checked():
    assert osc.describe_grant(osc.grant()) == (
        "may play and set; not end or reshape the show, read files, write files (allow it "
        "with perform --osc-may show,read,write)")
    assert osc.describe_grant(osc.grant(("read",))).endswith(
        "not end or reshape the show, write files (allow it with perform --osc-may show,write)")
    assert osc.parse_may("show, read") == ("show", "read")
    with pytest.raises(Exception, match="--osc-may 'all': expected some of show, read, write"):
        osc.parse_may("all")


def _osc_console(tmp_path, grant):
    """A ruler console behind a real OSC port: what it said, the main thread's jobs (a queue:
    a job arriving there shows every earlier packet was handled), its piece, the sender."""
    from synthlearn.pieces.ruler import Ruler

    piece = Ruler(seed=1, context=folder_context(tmp_path))
    said, jobs = [], queue.Queue()
    console = Console(live_language(Ruler), lambda event: None, lambda: 0,
                      stop=threading.Event(), say=said.append, stream=None,
                      piece=lambda: piece, main=jobs.put, names=piece.names)
    listener = osc.OscIn(lambda line: console.handle(line, quiet=True, grant=grant),
                         port=0, say=said.append).start()
    sender = udp_client.SimpleUDPClient(*listener.address)
    return console, said, jobs, listener, sender


def test_osc_can_neither_read_nor_write_a_file_nor_end_the_show(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("TOPSECRET,numharm,amp,label\n1,2,3,tone\n")
    console, said, jobs, listener, sender = _osc_console(tmp_path, osc.grant())
    try:
        sender.send_message("/synthlearn/do", f"r = ruler {secret}")
        sender.send_message("/synthlearn/do", "r = ruler /etc/passwd")
        sender.send_message("/synthlearn/do", f"presets r tone 3 {tmp_path / 'x.csv'}")
        sender.send_message("/synthlearn/quit", [])
        sender.send_message("/synthlearn/piece", "ldd")
        sender.send_message("/synthlearn/tempo", 90.0)  # sound only: it reaches the show
        jobs.get(timeout=WAIT_S).__call__()  # the tempo, after every packet before it
    finally:
        listener.close()
    # A stream's wrong lines: the first said at once, the rest counted (one line a second).
    refusals = [line for line in said if line.startswith("? ")]
    assert refusals == [
        "? ruler: not from OSC: it reads files; allow it with perform --osc-may read"]
    assert console.report() == (
        "osc: 4 more wrong lines (last: piece: not from OSC: it ends or reshapes the show; "
        "allow it with perform --osc-may show)")
    assert not any("TOPSECRET" in line or "root" in line for line in said)
    assert not (tmp_path / "x.csv").exists()
    assert console.history == ["tempo 90"] and not console.stop.is_set()


def test_osc_reads_a_file_when_the_performer_allows_it(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("freq,numharm,amp,label\n110,3,0.3,tone\n165,3,0.3,tone\n"
                     "2,40,0.4,rhythm\n3,80,0.4,rhythm\n")
    console, said, jobs, listener, sender = _osc_console(tmp_path, osc.grant(("read",)))
    try:
        sender.send_message("/synthlearn/do", f"r = ruler {table} distance:1")
        sender.send_message("/synthlearn/tempo", 90.0)
        jobs.get(timeout=WAIT_S)
    finally:
        listener.close()
    assert [line for line in said if line.startswith("? ")] == []
    assert "r" in console.names and console.history[0].startswith("r = ruler")


@pytest.mark.parametrize("line, refusal", [
    ("presets r tone 3 x.csv",
     "? presets: not from OSC: it writes files; allow it with perform --osc-may write"),
    ("quit", "? quit: not from OSC: it ends or reshapes the show; allow it with perform "
             "--osc-may show"),
])
def test_each_refusal_names_what_the_command_touches(tmp_path, line, refusal):
    from synthlearn.pieces.ruler import Ruler

    said = []
    console = Console(live_language(Ruler), lambda event: None, lambda: 0,
                      stop=threading.Event(), say=said.append, stream=None,
                      piece=lambda: Ruler(seed=1))
    assert console.handle(line, quiet=True, grant=osc.grant()) == refusal
    assert said == [refusal] and not (tmp_path / "x.csv").exists()


def test_a_flood_of_wrong_lines_from_a_stream_is_one_line_a_second():
    from synthlearn.pieces.additive import Additive

    said = []
    console = Console(live_language(Additive), lambda event: None, lambda: 0,
                      stop=threading.Event(), say=said.append, stream=None)
    console._refused.clock = lambda: 100.0  # the flood within one second, however slow the run
    for i in range(5000):
        console.handle(f"nosuch{i}", quiet=True)
    assert said == ["? unknown command 'nosuch0'; type 'help' for the list"]
    assert console.report() == ("osc: 4999 more wrong lines (last: unknown command "
                                "'nosuch4999'; type 'help' for the list)")
    assert console.report() is None
    console.handle("nosuch", quiet=False)  # the performer's own mistakes are always said
    assert said[-1] == "? unknown command 'nosuch'; type 'help' for the list"


def test_osc_trains_by_default_from_a_shipped_dataset_or_a_table_in_memory(tmp_path):
    console, said, jobs, listener, sender = _osc_console(tmp_path, osc.grant())
    try:
        sender.send_message("/synthlearn/do", "r = ruler blip distance:2 consistency:0.5")
        sender.send_message("/synthlearn/do", "r2 = ruler r distance:1")  # r's own table
        sender.send_message("/synthlearn/do", "r3 = ruler nosuch")
        sender.send_message("/synthlearn/do", "r4 = ruler blip+r")  # names joined: no file
        sender.send_message("/synthlearn/tempo", 90.0)
        jobs.get(timeout=WAIT_S)
    finally:
        listener.close()
    assert [line for line in said if line.startswith("? ")] == [
        "? ruler: no rules kept or shipped dataset named 'nosuch' (shipped: blip, fm, rain); a "
        "file is named by its path: ./nosuch.csv"]
    assert console.names["r"]["distance"] == 2 and console.names["r2"]["distance"] == 1
    assert len(console.names["r4"]["training"]) == len(console.names["r"]["training"])
    assert console.names["r2"]["training"] == console.names["r"]["training"]


def test_the_terminal_reads_only_inside_the_performances_folders(tmp_path, monkeypatch):
    from synthlearn.files import for_performance
    from synthlearn.pieces.base import Context
    from synthlearn.pieces.ruler import Ruler

    here, session, elsewhere = (tmp_path / d for d in ("here", "session", "elsewhere"))
    for folder in (here, session, elsewhere):
        folder.mkdir()
    table = "freq,numharm,amp,label\n110,3,0.3,tone\n2,40,0.4,rhythm\n"
    (here / "mine.csv").write_text(table)
    (elsewhere / "theirs.csv").write_text(table)
    monkeypatch.chdir(here)
    piece = Ruler(seed=1, context=Context(files=for_performance(session)))
    said = []
    console = Console(live_language(Ruler), lambda event: None, lambda: 0,
                      stop=threading.Event(), say=said.append, stream=None,
                      piece=lambda: piece, names=piece.names)
    console.handle("a = ruler mine.csv")
    console.handle(f"b = ruler {elsewhere / 'theirs.csv'}")
    assert "a" in console.names and "b" not in console.names
    assert said[-1].startswith(f"? {elsewhere / 'theirs.csv'}: outside the folders this run "
                               "may read") and said[-1].endswith("name its folder with --read DIR")
    # perform --read elsewhere: the same names, folders reading there too
    piece = Ruler(seed=1, context=Context(piece.names,
                                         for_performance(session, reads=(elsewhere,))))
    console.handle(f"b = ruler {elsewhere / 'theirs.csv'}")
    assert "b" in console.names
    said.append(console.handle("presets a tone 2 new.csv"))
    assert (session / "exports" / "new.csv").is_file() and "exports/new.csv" in said[-1]


def test_a_score_reads_only_beside_it_and_writes_only_into_its_render(tmp_path, capsys):
    from synthlearn.cli import main

    show = tmp_path / "show"
    show.mkdir()
    (tmp_path / "secret.csv").write_text("TOPSECRET,b,label\n1,2,x\n")

    def render(*cues, out="o"):
        text = 'piece = "ruler"\nduration = 0.5\n' + "".join(
            f'[[at]]\ntime = {0.01 * i}\ndo = "{cue}"\n' for i, cue in enumerate(cues))
        (show / "s.toml").write_text(text)
        code = main(["render", str(show / "s.toml"), "--out", str(tmp_path / out),
                     "--no-video"])
        return code, capsys.readouterr().err

    for cue, rule in (("r = ruler ../secret.csv", "outside the folders this run may read"),
                      ("r = ruler /etc/passwd", "outside the folders this run may read"),
                      ("presets r tone 3 /tmp/x.csv", "outside the exports folder"),
                      ("presets r tone 3 ../x.csv", "'..' leaves the exports folder")):
        code, err = render("r = ruler blip", cue)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert rule in err and "TOPSECRET" not in err and "root:" not in err, err
        assert "Traceback" not in err
    assert not (tmp_path / "x.csv").exists() and not Path("/tmp/x.csv").exists()
    code, err = render("r = ruler blip", "presets r tone 3 new.csv", out="ok")
    assert code == 0 and (tmp_path / "ok" / "new.csv").is_file(), err
