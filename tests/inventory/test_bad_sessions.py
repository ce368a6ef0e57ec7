"""The inventory of damaged session folders: --resume answers in one line naming the file,
before any audio, and never writes over what is there."""

import json

import numpy as np
import pytest

from synthlearn.cli import main
from synthlearn.pieces.ldd import Ldd
from synthlearn.runtime.sessions import Session


@pytest.fixture
def session(tmp_path):
    s = Session(tmp_path / "s")
    s.folder.mkdir()
    s.save_current("ldd", 3)
    s.save_state("ldd", 3, Ldd(seed=3).learned_state())
    s.save_history(["part 2", "lr 0.02"])
    return s


def _npz(session):
    return session.state_path("ldd")


def _reshaped(session):
    """A state whose learner parameters have the wrong length."""
    state = Ldd(seed=3).learned_state()
    state["cubic_theta"] = np.zeros(3)
    session.save_state("ldd", 3, state)


DAMAGE = {  # name: (what to do to the folder, what the answer says)
    "session.json empty": (lambda s: s.session_path.write_text(""), "not a synthlearn session"),
    "session.json not JSON": (lambda s: s.session_path.write_text("{piece"),
                              "not a synthlearn session"),
    "session.json nested deeply": (lambda s: s.session_path.write_text("[" * 100000),
                                   "not a synthlearn session"),
    "session.json a list": (lambda s: s.session_path.write_text("[1, 2]"),
                            "is not a format-1 session"),
    "session.json of another format": (
        lambda s: s.session_path.write_text(json.dumps({"format": 99, "piece": "ldd",
                                                        "seed": 3})), "format-1 session"),
    "session.json missing": (lambda s: s.session_path.unlink(), "missing; a session folder"),
    "session.json not UTF-8": (lambda s: s.session_path.write_bytes(b"\xff\xfe{"),
                               "not a synthlearn session"),
    "state empty": (lambda s: _npz(s).write_bytes(b""), "not a synthlearn piece state"),
    "state cut short": (lambda s: _npz(s).write_bytes(_npz(s).read_bytes()[:300]),
                        "not a synthlearn piece state"),
    "state not a zip": (lambda s: _npz(s).write_bytes(b"PK\x03\x04 nonsense"),
                        "not a synthlearn piece state"),
    "state of another piece": (lambda s: _npz(s).write_bytes(
        s.state_path("ldd").read_bytes().replace(b'"ldd"', b'"xyz"')),
        "not a synthlearn piece state"),
    "state with a wrong shape": (_reshaped, "cannot restore ldd"),
    "names.json nested deeply": (lambda s: s.names_path.write_text("[" * 100000),
                                 "not a synthlearn names file"),
}


@pytest.mark.parametrize("name", DAMAGE)
def test_a_damaged_session_is_one_line_and_left_as_it_was(name, session, capsys):
    damage, words = DAMAGE[name]
    damage(session)
    before = _contents(session.folder)
    assert main(["perform", "--resume", str(session.folder), "--audio", "jack", "--no-window",
                 "--no-console", "--midi", "none"]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert _contents(session.folder) == before


def _contents(folder):
    """What a session folder holds, but its lock file (which a claim makes and leaves)."""
    from synthlearn.runtime.sessions import LOCK_FILE

    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != LOCK_FILE}


def test_a_history_that_is_not_utf8_still_resumes(session):
    session.history_path.write_bytes(b"part 2\n\xff\xfe lr\n")
    meta, history = session.load()
    assert meta["piece"] == "ldd" and history[0] == "part 2" and len(history) == 2
