"""Files a command names, confined: the one rule every read and write from a command goes
through. Pure (stdlib only).

A run (a performance, a render, a score played live) makes one :class:`Folders`: the roots it
may read under and the one folder it writes into. Reads resolve the name (symlinks included)
and must land inside a root; the file is then opened one folder at a time from that root, never
through a symlink, and must be a regular file (a FIFO would block the reader forever, a device
or ``/proc`` is no table). Writes make a new file in the exports folder: never over an existing
one (the next free name, said in one line), never through a symlink, never a chain of folders;
the file appears whole or not at all. An error names the path and the rule, never what the file
holds.

Whether a front-end may read or write at all is its grant (``commands.language.Grant``), checked
when its line is parsed; this module says *where*.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from synthlearn.errors import UserError

SHIPPED = Path(__file__).resolve().parent / "data"  # the demo's score and MIDI files


def _presets_folder() -> Path:
    """The shipped synths and their preset tables (``presets/``, installed as the package
    ``synthlearn.presets``), found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("synthlearn.presets")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("synthlearn's presets are missing from this installation")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


DATASETS = _presets_folder()  # the tables: blip.csv, rain.csv, fm.csv
SYSTEM = (Path("/proc"), Path("/sys"), Path("/dev"))  # files that are not files (size 0)
MAX_READ_BYTES = 16 * 1024 * 1024  # what a command may read: tables and presets are small
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO swapped in after the checks opens at once (and is then refused) instead of
# waiting forever for a writer.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def shipped_datasets() -> dict[str, Path]:
    """The labeled preset tables shipped with synthlearn, by name (``blip`` -> its CSV)."""
    return {p.stem: p for p in sorted(DATASETS.glob("*.csv"))}


def is_name(token: str) -> bool:
    """A bare name (``blip``, ``rules``), not a path: letters, digits and ``_`` only. A path has
    a ``/`` or a suffix (``blip.csv``, ``./blip``)."""
    return token.isidentifier()


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@dataclass(frozen=True)
class Folders:
    """Where one run's commands may read and write.

    ``reads``: the roots a read must resolve inside. ``base``: where a relative name is found.
    ``exports``: the folder every write goes into (made if missing, its parent must exist);
    None: this run writes nothing (``no_writes`` says why and what to do instead).
    ``more``: how the performer allows another folder (said with a refusal)."""

    reads: tuple[Path, ...]
    base: Path
    exports: Path | None = None
    more: str = "name its folder with --read DIR"
    no_writes: str = "this run writes no files"
    _roots: tuple[Path, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_roots", tuple(dict.fromkeys(_real(r) for r in self.reads)))

    # -- reading ------------------------------------------------------------------------------
    def where(self, text: str) -> Path:
        """The path ``text`` names (relative to ``base``; ``~`` is the home folder)."""
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.base / path

    def check_read(self, text: str) -> tuple[Path, Path]:
        """(root, resolved path) for a read of ``text``, or one line: outside every root, or
        in the system's own pseudo-files (``/proc``, ``/sys``, ``/dev``: no table is there)."""
        real = _real(self.where(text))
        if any(_inside(real, system) for system in SYSTEM):
            raise UserError(f"{text}: a system file ({real.parts[1]}); only a regular file "
                            "is read")
        for root in self._roots:
            if _inside(real, root):
                return root, real
        shown = ", ".join(str(r) for r in self._roots) or "none"
        raise UserError(f"{text}: outside the folders this run may read ({shown}); copy it "
                        f"into one, or {self.more}")

    def read_bytes(self, text: str, max_bytes: int = MAX_READ_BYTES,
                   what: str = "a file read by a command") -> bytes:
        """The bytes of the regular file ``text`` names inside a read root (at most
        ``max_bytes``), opened one folder at a time from its root and never through a
        symlink swapped in after the check."""
        root, real = self.check_read(text)
        fd = _open_under(root, real.relative_to(root).parts, _READ_FLAGS, text)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise UserError(f"{text}: {kind_of(info.st_mode)}; only a regular file is read")
            if info.st_size > max_bytes:
                raise UserError(f"{text}: {info.st_size} bytes; {what} is at most "
                                f"{max_bytes // (1024 * 1024)} MB")
            chunks, left = [], max_bytes + 1
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        finally:
            os.close(fd)
        data = b"".join(chunks)
        if len(data) > max_bytes:  # it grew while read
            raise UserError(f"{text}: over {max_bytes // (1024 * 1024)} MB; {what} is at "
                            "most that")
        return data

    # -- writing ------------------------------------------------------------------------------
    def write_new(self, text: str, data: bytes) -> tuple[Path, str | None]:
        """Write ``data`` to a new file named ``text`` inside the exports folder (a name, or a
        path under it whose folders exist). Never over an existing file: ``NAME-2.csv``,
        ``NAME-3.csv``... instead, said in the second value. The file appears whole (written
        under a temporary name, then linked to its own: a link never replaces)."""
        if self.exports is None:
            raise UserError(f"{text}: {self.no_writes}")
        exports = self._exports_folder()
        target = Path(text).expanduser()
        if target.is_absolute():
            real_parent = _real(target.parent)
            if not _inside(real_parent, exports):
                raise UserError(f"{text}: outside the exports folder {exports}; a command "
                                "writes only there (give a name, e.g. new-presets.csv)")
            parts = real_parent.relative_to(exports).parts
        else:
            if ".." in target.parts:
                raise UserError(f"{text}: '..' leaves the exports folder {exports}; a command "
                                "writes only there")
            parts = target.parent.parts
        name = target.name
        if not name or name in (".", ".."):
            raise UserError(f"{text}: not a file name")
        folder_fd = _open_under(exports, parts, _DIR_FLAGS, text, folders=True)
        try:
            return _write_free(folder_fd, exports.joinpath(*parts), name, data, text)
        finally:
            os.close(folder_fd)

    def _exports_folder(self) -> Path:
        """The exports folder, made if missing (one level: its parent must exist)."""
        folder = self.exports
        try:
            os.mkdir(folder, 0o755)
        except FileExistsError:
            pass
        except FileNotFoundError:
            raise UserError(f"{folder}: its folder {folder.parent} does not exist; synthlearn "
                            "makes one folder for exports, never a chain") from None
        except OSError as exc:
            raise UserError(f"{folder}: cannot make the exports folder ({exc.strerror})") \
                from None
        mode = os.lstat(folder).st_mode
        if not stat.S_ISDIR(mode):
            raise UserError(f"{folder}: {kind_of(mode)}; the exports folder must be a folder")
        return _real(folder)


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, in words (for a line refusing it)."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _open_under(root: Path, parts: tuple[str, ...], last_flags: int, text: str, *,
                folders: bool = False) -> int:
    """A descriptor for ``root/parts...``, each folder opened from the one before with
    O_NOFOLLOW: a symlink anywhere below the root is refused. ``folders``: every part is a
    folder (the last opened like the others)."""
    fd = os.open(root, _DIR_FLAGS)
    steps = list(parts)
    last = None if folders or not steps else steps.pop()
    for part in steps:
        fd = _step(fd, part, _DIR_FLAGS, text, "a folder")  # each step closes the one before
    if last is not None:
        fd = _step(fd, last, last_flags, text, "a regular file")
    return fd


def _step(dir_fd: int, part: str, flags: int, text: str, expected: str) -> int:
    """Open ``part`` inside ``dir_fd`` and close ``dir_fd`` (whatever happens)."""
    try:
        return os.open(part, flags, dir_fd=dir_fd)
    except OSError as exc:
        kind = None
        with contextlib.suppress(OSError):
            kind = kind_of(os.lstat(part, dir_fd=dir_fd).st_mode)
        if kind is not None and kind != "not a regular file" and kind != expected:
            why = f"{part} is {kind}; {expected} is expected (links are not followed)"
        elif isinstance(exc, FileNotFoundError):
            why = f"no such folder {part!r}" if expected == "a folder" else "no such file"
        else:
            why = exc.strerror or type(exc).__name__
        raise UserError(f"{text}: {why}") from None
    finally:
        os.close(dir_fd)


def _write_free(folder_fd: int, folder: Path, name: str, data: bytes,
                text: str) -> tuple[Path, str | None]:
    stem, suffix = os.path.splitext(name)
    tmp = f".{name}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, _NEW_FLAGS, 0o644, dir_fd=folder_fd)
    except OSError as exc:
        raise UserError(f"{text}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        for n in range(1, 10_000):
            chosen = name if n == 1 else f"{stem}-{n}{suffix}"
            try:
                os.link(tmp, chosen, src_dir_fd=folder_fd, dst_dir_fd=folder_fd,
                        follow_symlinks=False)
            except FileExistsError:
                continue
            note = None if n == 1 else f"{folder / name} exists: wrote {folder / chosen}"
            return folder / chosen, note
        raise UserError(f"{text}: {folder} holds {name} and 9,999 numbered copies; "
                        "choose another name")
    except OSError as exc:
        raise UserError(f"{text}: cannot write in {folder} ({exc.strerror})") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder_fd)


def here() -> Folders:
    """Reads under the working directory and the shipped data; no writes (a piece made
    outside a run: tests, checks)."""
    cwd = Path.cwd()
    return Folders(reads=(cwd, SHIPPED, DATASETS), base=cwd,
                   no_writes="nothing here writes files (a performance writes into its "
                             "session's exports/, a render into its --out folder)")


def for_score(score_path: str | Path | None, exports: Path | None = None) -> Folders:
    """A score's run: it reads inside its own folder and the shipped data, and writes only in
    the render's output folder (``exports``; None: played live, it writes nothing)."""
    folder = Path(score_path).resolve().parent if score_path else Path.cwd()
    return Folders(reads=(folder, SHIPPED, DATASETS), base=folder, exports=exports,
                   more="a score reads only its own folder and the shipped data: copy the "
                        "file next to the score",
                   no_writes="a score played live writes no files; render it (synthlearn "
                             "render SCORE --out DIR) to export")


def for_performance(session_folder: Path, reads: tuple[Path, ...] = (),
                    exports: Path | None = None) -> Folders:
    """A performance: it reads under the working directory at start, its session folder, the
    shipped data and the folders named with --read; it writes into ``exports`` (--exports
    DIR), else the session's own ``exports/``."""
    cwd = Path.cwd()
    return Folders(reads=(cwd, Path(session_folder), SHIPPED, DATASETS, *reads),
                   base=cwd,
                   exports=Path(exports) if exports is not None else
                   Path(session_folder) / "exports")


def checked_folders(texts, option: str) -> tuple[Path, ...]:
    """The folders named with ``option`` (``--read DIR``), each an existing folder: one line
    naming the first that is not."""
    found = []
    for text in texts:
        path = Path(text).expanduser()
        if not path.is_dir():
            raise UserError(f"{option} {text}: not a folder")
        found.append(path.resolve())
    return tuple(found)
