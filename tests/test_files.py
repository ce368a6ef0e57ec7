"""Files a command names, confined (synthlearn.files): reads resolve inside the run's roots and
only regular files are read; writes make new files in the exports folder only, never over a
file, never through a link, never a chain of folders. Errors name the path and the rule, never
what a file holds. Real files, links and FIFOs in tmp_path."""

import os
import threading
from pathlib import Path

import pytest

from synthlearn import files
from synthlearn.errors import UserError

SECRET = "root:$y$j9T$SECRETHASH:19000:0:99999:7:::"
WAIT_S = 30  # a FIFO opened for reading blocks forever: a bound on the test, not a timing


@pytest.fixture
def run(tmp_path):
    """A run's folders: it reads under ``in/`` and writes into ``in/exports``; ``out/`` is
    outside (with a secret in it)."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "secret.csv").write_text(SECRET + "\n1,2\n")
    (tmp_path / "in" / "table.csv").write_text("a,label\n1,x\n")
    return files.Folders(reads=(tmp_path / "in",), base=tmp_path / "in",
                         exports=tmp_path / "in" / "exports")


def refused(call, *words):
    with pytest.raises(UserError) as err:
        call()
    text = str(err.value)
    assert "\n" not in text and SECRET not in text and "SECRETHASH" not in text, text
    for word in words:
        assert word in text, text
    return text


def test_a_read_inside_the_roots_works_relative_and_absolute(run, tmp_path):
    assert run.read_bytes("table.csv") == b"a,label\n1,x\n"
    assert run.read_bytes(str(tmp_path / "in" / "table.csv")) == b"a,label\n1,x\n"
    (tmp_path / "in" / "sub").mkdir()
    (tmp_path / "in" / "sub" / "t.csv").write_text("b,label\n")
    assert run.read_bytes("sub/t.csv") == b"b,label\n"
    # a link inside the roots to a file inside them is read (reads resolve links)
    os.symlink(tmp_path / "in" / "table.csv", tmp_path / "in" / "alias.csv")
    assert run.read_bytes("alias.csv") == b"a,label\n1,x\n"


@pytest.mark.parametrize("name", ["../out/secret.csv", "{tmp}/out/secret.csv", "/etc/passwd",
                                  "/etc/shadow", "~/.bashrc", "sub/../../out/secret.csv"])
def test_a_read_outside_the_roots_is_refused_naming_the_path_and_the_rule(run, tmp_path, name):
    name = name.format(tmp=tmp_path)
    refused(lambda: run.read_bytes(name), name, "outside the folders this run may read",
            "--read DIR")


def test_a_link_out_of_the_roots_is_refused(run, tmp_path):
    os.symlink(tmp_path / "out" / "secret.csv", tmp_path / "in" / "link.csv")
    os.symlink(tmp_path / "out", tmp_path / "in" / "linked-folder")
    refused(lambda: run.read_bytes("link.csv"), "link.csv", "outside")
    refused(lambda: run.read_bytes("linked-folder/secret.csv"), "outside")


def _bounded(call):
    """Run ``call`` in a thread; what it raised, and whether it returned at all."""
    caught = []

    def body():
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            caught.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(WAIT_S)
    return caught, not thread.is_alive()


def test_a_fifo_a_folder_and_system_files_are_refused_without_blocking(run, tmp_path):
    os.mkfifo(tmp_path / "in" / "pipe.csv")
    caught, returned = _bounded(lambda: run.read_bytes("pipe.csv"))
    assert returned, "reading a FIFO blocked"
    assert isinstance(caught[0], UserError) and "a FIFO; only a regular file" in str(caught[0])
    refused(lambda: run.read_bytes("."), "a folder")
    everything = files.Folders(reads=(Path("/"),), base=Path("/"))
    for system in ("/dev/zero", "/proc/self/environ", "/sys/kernel/mm/transparent_hugepage"):
        refused(lambda s=system: everything.read_bytes(s), system, "a system file")


def test_a_file_over_the_size_bound_is_refused_before_it_is_read(run, tmp_path):
    (tmp_path / "in" / "big.csv").write_bytes(b"x" * 2000)
    assert len(run.read_bytes("big.csv", max_bytes=2000)) == 2000
    refused(lambda: run.read_bytes("big.csv", max_bytes=1999, what="a preset table"),
            "2000 bytes", "a preset table is at most")


def test_writes_go_into_exports_never_over_a_file(run, tmp_path):
    exports = tmp_path / "in" / "exports"
    first, note = run.write_new("new.csv", b"one")
    assert first == exports / "new.csv" and note is None and first.read_bytes() == b"one"
    second, note = run.write_new("new.csv", b"two")
    assert second == exports / "new-2.csv" and second.read_bytes() == b"two"
    assert note == f"{exports / 'new.csv'} exists: wrote {exports / 'new-2.csv'}"
    assert first.read_bytes() == b"one"  # never overwritten
    third, _ = run.write_new(str(exports / "new.csv"), b"three")  # absolute, inside exports
    assert third == exports / "new-3.csv"
    assert sorted(p.name for p in exports.iterdir()) == ["new-2.csv", "new-3.csv", "new.csv"]


@pytest.mark.parametrize("name, rule", [
    ("{tmp}/out/x.csv", "outside the exports folder"),
    ("../x.csv", "'..' leaves the exports folder"),
    ("/etc/cron.d/x", "outside the exports folder"),
    ("~/.bashrc", "outside the exports folder"),
    ("a/b/c/x.csv", "no such folder 'a'"),
])
def test_a_write_outside_exports_or_into_a_chain_of_folders_is_refused(run, tmp_path, name,
                                                                      rule):
    name = name.format(tmp=tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    refused(lambda: run.write_new(name, b"#!/bin/sh\n"), rule)
    after = sorted(str(p) for p in tmp_path.rglob("*"))
    assert [p for p in after if p not in before] in ([], [str(tmp_path / "in" / "exports")])


def test_a_write_never_follows_a_link_nor_opens_a_fifo(run, tmp_path):
    exports = tmp_path / "in" / "exports"
    exports.mkdir()
    target = tmp_path / "out" / "victim.sh"
    target.write_text("original\n")
    os.symlink(target, exports / "x.csv")  # planted at the name
    os.symlink(tmp_path / "out", exports / "sub")  # a folder link out of exports
    os.mkfifo(exports / "p.csv")
    path, note = run.write_new("x.csv", b"data")
    assert path == exports / "x-2.csv" and "x.csv exists" in note
    assert target.read_text() == "original\n"
    refused(lambda: run.write_new("sub/y.csv", b"data"), "sub is a symbolic link")
    assert not (tmp_path / "out" / "y.csv").exists()
    caught, returned = _bounded(lambda: run.write_new("p.csv", b"data"))
    assert returned and not caught and (exports / "p-2.csv").read_bytes() == b"data"
    assert not [p for p in exports.iterdir() if p.name.endswith(".tmp")]  # no temp left


def test_the_exports_folder_is_made_one_level_never_a_chain_nor_through_a_link(tmp_path):
    chain = files.Folders(reads=(tmp_path,), base=tmp_path, exports=tmp_path / "a" / "b")
    refused(lambda: chain.write_new("x.csv", b""), "never a chain")
    assert not (tmp_path / "a").exists()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "linked")
    linked = files.Folders(reads=(tmp_path,), base=tmp_path, exports=tmp_path / "linked")
    refused(lambda: linked.write_new("x.csv", b""), "a symbolic link")
    assert list((tmp_path / "elsewhere").iterdir()) == []
    none = files.Folders(reads=(tmp_path,), base=tmp_path, no_writes="this run writes nothing")
    refused(lambda: none.write_new("x.csv", b""), "this run writes nothing")


def test_names_are_not_paths_and_the_shipped_datasets_are_found_by_name():
    assert files.is_name("blip") and files.is_name("rules_2")
    for path in ("blip.csv", "./blip", "a/b", "~", "..", "/etc/passwd", "rain-new"):
        assert not files.is_name(path), path
    shipped = files.shipped_datasets()
    assert {"blip", "rain", "fm"} <= set(shipped)
    assert all(p.parent == files.DATASETS and p.is_file() for p in shipped.values())


def test_a_score_reads_its_folder_and_the_shipped_data_and_writes_only_in_out(tmp_path):
    score = tmp_path / "show" / "s.toml"
    score.parent.mkdir()
    (score.parent / "t.csv").write_text("a,label\n")
    (tmp_path / "beside.csv").write_text(SECRET)
    played = files.for_score(score)
    assert played.read_bytes("t.csv") == b"a,label\n"
    assert played.read_bytes(str(files.DATASETS / "blip.csv")).startswith(b"freq,")
    refused(lambda: played.read_bytes("../beside.csv"), "a score reads only its own folder")
    refused(lambda: played.write_new("x.csv", b""), "a score played live writes no files")
    rendered = files.for_score(score, exports=tmp_path / "o")
    assert rendered.write_new("x.csv", b"1")[0] == tmp_path / "o" / "x.csv"


def test_folders_named_on_the_command_line_must_be_folders(tmp_path):
    assert files.checked_folders([str(tmp_path)], "--read") == (tmp_path.resolve(),)
    refused(lambda: files.checked_folders([str(tmp_path / "nope")], "--read"),
            "--read", "not a folder")
