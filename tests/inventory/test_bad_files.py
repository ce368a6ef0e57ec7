"""The inventory of bad files: MIDI files and scores that are broken, hostile or merely odd.
Each is either played (a well-formed oddity) or refused in one line naming the file (and the
line, in a score) and what was expected: exit 2, no traceback, nothing written."""

import pytest
from midi_bytes import END, NOTE, chunk, header, midi, vlq

from synthlearn.cli import main

BAD_MIDI = {  # name: (bytes, what the refusal says)
    "empty": (b"", "an empty file, not a MIDI file"),
    "not MIDI": (b"hello, this is text", "not a readable MIDI file (MThd not found"),
    "header cut short": (midi()[:10], "not a readable MIDI file"),
    "track cut short": (header() + b"MTrk\x00\x00\x01\x00" + NOTE, "(it ends early)"),
    "track length beyond the file": (header() + b"MTrk\xff\xff\xff\xff" + NOTE,
                                     "(it ends early)"),
    "zero time division": (midi(division=0), "time division 0: expected ticks per beat"),
    "SMPTE time division": (midi(division=0xE728), "counts SMPTE frames"),
    "data byte over 127": (midi(b"\x00\x90\x3c\xff" + END), "data byte must be in range"),
    "note number 200": (midi(b"\x00\x90\xc8\x50" + END), "data byte must be in range"),
    "undefined status": (midi(b"\x00\xf4\x01" + END), "undefined status byte 0xf4"),
    "meta event cut short": (midi(b"\x00\xff\x51\x01\x00" + NOTE + END),
                             "a message is cut short or malformed"),
    "a chunk that is not a track": (header() + chunk(b"XXXX", b"abc") + chunk(b"MTrk", NOTE),
                                    "no MTrk header"),
    "one huge delta time": (midi(b"\x00\x90\x3c\x50" + vlq(0x0FFFFFFF) + b"\x80\x3c\x00" + END),
                            "runs to 279,623 s, longer than the 4 h a render lasts unless "
                            "asked: give --duration"),
}

ODD_MIDI = {  # well-formed, if unusual: played
    "running status": midi(b"\x00\x90\x3c\x50\x00\x40\x50" + vlq(480) + b"\x3c\x00\x00\x40\x00"
                           + END),
    "sysex": midi(b"\x00\xf0\x05\x7e\x7f\x09\x01\xf7" + NOTE + END),
    "no end-of-track": midi(NOTE),
    "no tracks": header(tracks=0),
    "tempo 0": midi(b"\x00\xff\x51\x03\x00\x00\x00" + NOTE + END),
    "format 1, two tracks": header(fmt=1, tracks=2) + chunk(b"MTrk", END) + chunk(b"MTrk",
                                                                                   NOTE + END),
}


def refused(argv, capsys, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.mark.parametrize("name", BAD_MIDI)
def test_bad_midi_files_are_one_line_and_nothing_is_written(name, tmp_path, capsys):
    data, words = BAD_MIDI[name]
    path = tmp_path / "bad.mid"
    path.write_bytes(data)
    out = tmp_path / "out"
    refused(["render", str(path), "--piece", "additive", "--out", str(out), "--no-video"],
            capsys, f"{path}: ", words)
    assert not out.exists()
    score = tmp_path / "s.toml"  # named by a score: the same answer
    score.write_text('piece = "additive"\nmidi = "bad.mid"\n')
    refused(["render", str(score), "--out", str(out), "--no-video"], capsys, words)
    if "--duration" not in words:  # live, a long file just plays on: the rest never would
        assert main(["perform", "ldd", "--midi", str(path), "--audio", "jack"]) == 2
        assert words in capsys.readouterr().err


@pytest.mark.parametrize("name", ODD_MIDI)
def test_odd_but_well_formed_midi_files_play(name, tmp_path):
    path = tmp_path / "odd.mid"
    path.write_bytes(ODD_MIDI[name])
    assert main(["render", str(path), "--piece", "additive", "--out", str(tmp_path / "o"),
                 "--no-video", "--duration", "1", "--block", "256"]) == 0
    assert (tmp_path / "o" / "audio.wav").stat().st_size > 48000 * 6


def test_a_huge_midi_file_renders_its_start_when_asked(tmp_path):
    path = tmp_path / "long.mid"
    path.write_bytes(BAD_MIDI["one huge delta time"][0])
    assert main(["render", str(path), "--piece", "additive", "--out", str(tmp_path / "o"),
                 "--no-video", "--duration", "0.5", "--block", "256"]) == 0


DEEP = "[" * 3000 + "]" * 3000
BAD_SCORES = {  # name: (text, line named or None, what the refusal says)
    "not TOML": ('piece = "ldd"\nseed = \n', 2, "not valid TOML"),
    "nested deeply": (f'piece = "ldd"\nx = {DEEP}\n', None, "nested too deeply"),
    "unknown key": ('piece = "ldd"\ntempo = 3\n', 2, "unknown key 'tempo'"),
    "duration nan": ('piece = "ldd"\nduration = nan\n', 2, "duration = nan: expected seconds"),
    "duration inf": ('piece = "ldd"\nduration = inf\n', 2, "duration = inf"),
    "duration overflows": ('piece = "ldd"\nduration = 1e400\n', 2, "duration = inf"),
    "duration 0": ('piece = "ldd"\nduration = 0\n', 2, "more than 0 and at most 14400"),
    "duration 5 h": ('piece = "ldd"\nduration = 18000\n', 2, "at most 14400"),
    "duration a word": ('piece = "ldd"\nduration = "long"\n', 2, "duration = 'long'"),
    "seed negative": ('piece = "ldd"\nseed = -1\n', 2, "seed = -1: expected a whole number"),
    "seed a float": ('piece = "ldd"\nseed = 1.5\n', 2, "seed = 1.5"),
    "piece a number": ("piece = 3\n", 1, "piece = 3: expected a piece name"),
    "faithful a word": ('piece = "ldd"\nfaithful = "yes"\n', 2, "true or false"),
    "midi missing": ('piece = "ldd"\nmidi = "nope.mid"\n', 2, "no such file"),
    "cue at 1e300 s": ('piece = "ldd"\n[[at]]\ntime = 1e300\ndo = "next"\n', 3,
                       "time = 1e+300: expected seconds from 0 to 14400"),
    "cue at nan": ('piece = "ldd"\n[[at]]\ntime = nan\ndo = "next"\n', 3, "time = nan"),
    "cue before 0": ('piece = "ldd"\nduration = 2\n[[at]]\ntime = -1\ndo = "next"\n', 4,
                     "time = -1"),
    "cue without a command": ('piece = "ldd"\n[[at]]\ntime = 1\n', 2, "do = None"),
    "cue with a typo": ('piece = "ldd"\n[[at]]\ntime = 1\ndo = "nxt"\n', 4,
                        "unknown command 'nxt'"),
    "cue with a bad value": ('piece = "ldd"\n[[at]]\ntime = 1\ndo = "part 9"\n', 4, "part"),
    "cue for the console only": ('piece = "ldd"\n[[at]]\ntime = 1\ndo = "quit"\n', 4,
                                 "quit is for the live console"),
    "at not a table": ('piece = "ldd"\nat = 3\n', 2, "at = 3"),
    "no piece": ("duration = 1\n", None, "which piece plays this?"),
    "nothing to render": ('piece = "ldd"\n', None, "nothing to render"),
    "not UTF-8": (b'piece = "ldd"\nduration = 1\n# \xff\xfe\n', None, None),
}


@pytest.mark.parametrize("name", BAD_SCORES)
def test_bad_scores_are_one_line_naming_file_and_line(name, tmp_path, capsys):
    text, line, words = BAD_SCORES[name]
    path = tmp_path / "s.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    out = tmp_path / "out"
    argv = ["render", str(path), "--out", str(out), "--no-video"]
    if words is None:  # undecodable bytes in a comment: read as replacement characters
        assert main(argv + ["--block", "256"]) == 0
        return
    refused(argv, capsys, f"{path}{'' if line is None else f':{line}'}: ", words)
    assert not out.exists()
