"""A session folder is owned by one process: an flock taken before anything is written, so
two performances can never write one session, and a start that fails leaves nothing behind."""

import multiprocessing
import os
import re
import socket
import subprocess
import sys

import pytest

from synthlearn.errors import UserError
from synthlearn.runtime.perform import open_session
from synthlearn.runtime.sessions import LOCK_FILE, Session


def test_a_claimed_session_is_refused_to_a_second_claim_naming_the_holder(tmp_path):
    first = Session(tmp_path / "s")
    first.claim()
    try:
        with pytest.raises(UserError) as info:
            Session(tmp_path / "s").claim()
        assert str(info.value) == (
            f"{tmp_path / 's'}: in use by another performance (process {os.getpid()}); wait "
            "for it to end, or choose another folder")
    finally:
        first.release()
    second = Session(tmp_path / "s")
    second.claim()  # released: free again
    second.release()


def _start(folder, barrier, results):
    barrier.wait()  # both start in the same instant
    try:
        piece, session, _ = open_session("additive", seed=0, faithful=False, resume=None,
                                         session_dir=folder)
        results.put("started")
        barrier.wait()  # hold the session until both have tried
        session.release()
    except UserError as exc:
        results.put(f"refused: {exc}")
        barrier.wait()


def test_two_performances_started_in_one_instant_on_one_session_one_is_refused(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    folder = str(tmp_path / "shared")
    children = [ctx.Process(target=_start, args=(folder, barrier, results)) for _ in range(2)]
    for child in children:
        child.start()
    got = sorted(results.get(timeout=120) for _ in children)
    for child in children:
        child.join(timeout=120)
    assert got[1] == "started"
    # the winner may not have written its process number yet when the other looks
    assert re.match(rf"refused: {re.escape(folder)}: in use by another performance "
                    r"\((process \d+|another process)\); wait for it to end", got[0]), got[0]


def test_resuming_a_session_another_process_plays_is_refused(tmp_path):
    playing = Session(tmp_path / "s")
    playing.claim()
    playing.save_current("additive", 0)
    try:
        with pytest.raises(UserError, match="in use by another performance"):
            open_session(None, seed=0, faithful=False, resume=tmp_path / "s", session_dir=None)
    finally:
        playing.release()
    _, session, _ = open_session(None, seed=0, faithful=False, resume=tmp_path / "s",
                                 session_dir=None)
    session.release()


def test_a_planted_symlink_lock_is_not_followed(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / LOCK_FILE).symlink_to(target)
    with pytest.raises(UserError, match=r"cannot lock the session \(.*a regular file is "
                                        r"expected\)"):
        Session(folder).claim()
    assert target.read_text() == "keep me"


def test_a_start_that_fails_leaves_no_session_folder(tmp_path):
    # The audio refuses (no output through portaudio here), after the folder was claimed.
    from synthlearn.audio import backends

    if backends.portaudio_info().default_output >= 0:
        pytest.skip("this machine has an audio output device")
    folder = tmp_path / "new"
    run = subprocess.run([sys.executable, "-m", "synthlearn", "perform", "additive", "--audio",
                          "portaudio", "--session", str(folder), "--no-window", "--no-console",
                          "--midi", "none"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "portaudio finds no audio output device" in run.stderr
    assert not folder.exists()


@pytest.mark.jack
def test_a_busy_osc_port_leaves_no_session_folder(jack_server, tmp_path):
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    try:
        folder = tmp_path / "new"
        run = subprocess.run([sys.executable, "-m", "synthlearn", "perform", "additive",
                              "--audio", "jack", "--session", str(folder), "--no-window",
                              "--no-console", "--midi", "none", "--duration", "2", "--osc-in",
                              f"127.0.0.1:{busy.getsockname()[1]}"],
                             capture_output=True, text=True, timeout=120)
    finally:
        busy.close()
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert not folder.exists()


def test_a_planted_symlink_temp_file_is_not_followed(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    session = Session(tmp_path / "s")
    session.claim()
    try:
        (session.folder / ".session.json.tmp").symlink_to(target)
        (session.folder / ".history.txt.tmp").symlink_to(tmp_path / "made-through-a-link")
        session.save_current("ldd", 3)
        session.save_history(["part 2"])
    finally:
        session.release()
    assert target.read_text() == "keep me"
    assert not (tmp_path / "made-through-a-link").exists()
    assert session.load() == ({"format": 1, "piece": "ldd", "seed": 3, "faithful": False,
                               "synthlearn": session.load()[0]["synthlearn"]}, ["part 2"])
    assert sorted(p.name for p in session.folder.iterdir()) == [
        LOCK_FILE, "history.txt", "session.json"]  # no temporary file left behind


@pytest.mark.parametrize("name", ["session.json", "ldd.npz", "names.json"])
def test_a_session_file_that_is_a_symlink_is_refused_in_one_line(tmp_path, name):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not yours")
    session = Session(tmp_path / "s")
    session.claim()
    session.save_current("ldd", 0)
    session.release()
    (session.folder / name).unlink(missing_ok=True)
    (session.folder / name).symlink_to(elsewhere)
    with pytest.raises(UserError, match=f"{name}: a symbolic link; a session folder holds "
                                        "regular files only"):
        open_session(None, seed=0, faithful=False, resume=session.folder, session_dir=None)


def test_a_last_save_that_fails_is_said_and_the_exit_code_is_not_zero(tmp_path):
    # A folder where the history's temporary file must go makes every history save fail,
    # the last one included (as a full disk would), while the music plays on.
    from synthlearn.pieces.additive import Additive
    from synthlearn.runtime.sessions import Autosaver

    session = Session(tmp_path / "s")
    session.claim()
    (session.folder / ".history.txt.tmp").mkdir()
    said, history = [], ["volume -3"]
    saver = Autosaver(session, Additive(), history=history, say=said.append).start()
    history.append("volume -6")
    line = saver.close()
    session.release()
    assert line.startswith(f"autosave: the last save to {session.folder} failed (")
    assert line.endswith("what was learned since the last save that worked is not there")
    assert len(said) == 1 and "still playing, not saving" in said[0]  # said once meanwhile


@pytest.mark.jack
def test_perform_says_a_failed_last_save_and_exits_1(jack_server, tmp_path):
    from synthlearn.runtime.sessions import Session as Folder

    folder = Folder(tmp_path / "s")
    folder.claim()
    folder.save_current("additive", 0)
    folder.release()
    (folder.folder / ".history.txt.tmp").mkdir()
    run = subprocess.run([sys.executable, "-m", "synthlearn", "perform", "--resume",
                          str(folder.folder), "--audio", "jack", "--no-window", "--no-console",
                          "--midi", "none", "--duration", "1"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "autosave: the last save to " in run.stderr and "Traceback" not in run.stderr


def test_a_resume_restores_the_flags_the_piece_was_made_with_or_refuses(tmp_path):
    for faithful in (True, False):
        session = Session(tmp_path / f"s{faithful}")
        session.claim()
        session.save_current("qmelody", 7, faithful)
        session.release()
        piece, resumed, _ = open_session(None, seed=0, faithful=False, resume=session.folder,
                                         session_dir=None)
        resumed.release()
        assert (piece.name, piece.seed, piece.faithful) == ("qmelody", 7, faithful)
    with pytest.raises(UserError, match="was playing qmelody in its own mode, not the faithful "
                                        "one; leave --faithful out to resume it"):
        open_session(None, seed=0, faithful=True, resume=tmp_path / "sFalse", session_dir=None)
