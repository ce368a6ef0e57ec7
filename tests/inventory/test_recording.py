"""The inventory for recordings: a folder or a missing folder is one line before any audio;
an earlier take is never overwritten unless asked; a full disk mid-show stops the recording
in one line while the music and the autosave go on."""

import re

import numpy as np
import pytest
from helpers import SR

from synthlearn.audio.recorder import take_path
from synthlearn.audio.wavfile import read_wav
from synthlearn.cli import main
from synthlearn.errors import UserError
from synthlearn.midi.files import write_midi


def test_a_folder_or_a_missing_folder_is_refused_before_any_audio(tmp_path, capsys):
    for where, words in ((tmp_path, "--record names a folder: give a file in it"),
                         (tmp_path / "no" / "t.wav", "--record: its folder does not exist")):
        assert main(["perform", "ldd", "--audio", "jack", "--record", str(where)]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1, err


def test_takes_are_numbered_never_overwritten_unless_forced(tmp_path):
    take = tmp_path / "take.wav"
    assert take_path(take) == (take, None)
    take.write_bytes(b"the first take")
    (tmp_path / "take-2.wav").write_bytes(b"the second")
    path, note = take_path(take)
    assert path == tmp_path / "take-3.wav"
    assert note == f"recording to {path} (take.wav exists; --force overwrites it)"
    assert take_path(take, force=True) == (take, None)
    with pytest.raises(UserError, match="names a folder"):
        take_path(tmp_path, force=True)


def test_a_link_or_a_fifo_at_the_name_is_never_written_through(tmp_path):
    import os
    import threading

    from synthlearn.audio.wavfile import WavWriter

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    os.symlink(victim, tmp_path / "take.wav")
    os.symlink(tmp_path / "nowhere.txt", tmp_path / "take-2.wav")  # a link to nothing
    assert take_path(tmp_path / "take.wav")[0] == tmp_path / "take-3.wav"
    os.mkfifo(tmp_path / "pipe.wav")
    failures = []

    def write_each() -> None:  # in a thread: a FIFO opened for writing may block forever
        for name in ("take.wav", "take-2.wav", "pipe.wav"):  # as with --force
            try:
                WavWriter(tmp_path / name, SR).close()
            except OSError as exc:
                failures.append(exc)

    thread = threading.Thread(target=write_each, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and len(failures) == 3
    assert victim.read_text() == "keep me\n" and not (tmp_path / "nowhere.txt").exists()


@pytest.mark.jack
def test_perform_keeps_the_earlier_take(jack_server, tmp_path, capsys):
    take = tmp_path / "take.wav"
    take.write_bytes(b"the first take")
    assert main(["perform", "additive", "--audio", "jack", "--midi", "none", "--no-window",
                 "--no-console", "--duration", "1", "--record", str(take)]) == 0
    captured = capsys.readouterr()
    assert take.read_bytes() == b"the first take"
    assert f"recording to {tmp_path / 'take-2.wav'} (take.wav exists" in captured.err
    assert re.search(rf"recorded [\d.]+ s to {re.escape(str(tmp_path / 'take-2.wav'))}$",
                     captured.out.strip()), captured.out
    sr, audio = read_wav(tmp_path / "take-2.wav")
    assert sr == SR and audio.shape[0] >= 0.9 * SR


@pytest.fixture
def small_disk(tmp_path):
    """A real disk of 256 KB (a tmpfs: mounting needs root; skipped without), full after about
    0.9 s of 24-bit stereo at 48 kHz."""
    import subprocess

    disk = tmp_path / "disk"
    disk.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.jack
def test_a_full_disk_stops_the_recording_not_the_music(jack_server, small_disk, tmp_path,
                                                       capsys):
    from synthlearn.runtime.sessions import Session

    notes = write_midi(tmp_path / "n.mid", [(0.1 + 0.3 * i + d, 60 + i, v) for i in range(8)
                                            for d, v in ((0.0, 90), (0.25, 0))])
    folder = tmp_path / "s"
    take = small_disk / "take.wav"
    assert main(["perform", "ldd", "--audio", "jack", "--midi", str(notes), "--no-window",
                 "--no-console", "--duration", "3", "--record", str(take),
                 "--session", str(folder)]) == 0
    captured = capsys.readouterr()
    said = [line for line in captured.err.splitlines() if line.startswith("recording stopped")]
    assert len(said) == 1 and re.fullmatch(
        rf"recording stopped: No space left on device; {re.escape(str(take))} holds the first "
        r"0\.\d s, and the music goes on", said[0]), said
    assert "Traceback" not in captured.err
    blocks = int(captured.out.split("performed on jack: ")[1].split()[0])
    assert blocks >= 0.9 * 3 * SR / 256  # it played to the end
    assert "(then: No space left on device)" in captured.out
    sr, audio = read_wav(take)  # what fitted, with a header that says so
    assert 0.5 * SR < audio.shape[0] < SR and np.abs(audio).max() > 0
    learned = Session(folder).load_state("ldd")  # the autosave went on
    assert learned["cubic_steps"][0] > 10
    assert np.isfinite(learned["cubic_theta"]).all()
