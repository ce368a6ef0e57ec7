"""A session folder is owned by one process: an flock taken before anything is written, so
two performances can never write one session, and a start that fails leaves nothing behind."""

import multiprocessing
import os
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
    assert got[0].startswith(f"refused: {folder}: in use by another performance (process ")


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
