"""The session folder: what a performance has learned, saved as it changes, and taken back.

A performance writes into one folder:

- ``session.json``: which piece is playing, the seed, the format;
- ``PIECE.npz`` for every piece played (``ldd.npz``, ...): its learned state (learner
  parameters and random-number state, settings, later rules, presets and Q-tables) as named
  arrays of their own dtypes, plus a ``meta`` entry (JSON: piece, seed, audio time, format);
- ``history.txt``: the command history, one line each;
- ``names.json``: what assignments kept (``r = ruler ...``), name by name.

Every write goes to a temporary file in the same folder, is flushed to disk, then renamed over
the old one: a crash (or ``kill -9``) leaves the last complete save, never half of one. The
saver thread looks every SAVE_EVERY_S and writes only what changed; the audio thread never waits
for it: the saver reads only what the piece last published (``Piece.learned_state``: one
block's end, never live arrays), and the last save of a piece that no longer plays (switched
away, audio stopped) publishes it once more first. ``perform --resume DIR`` restores the piece
that was playing exactly, and a piece switched back to (``piece NAME``) gets its own state back.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path

import numpy as np

from synthlearn import __version__
from synthlearn.errors import UserError
from synthlearn.snapshot import SnapshotBusy, same_state

SESSION_FILE = "session.json"
LOCK_FILE = ".lock"  # flock'ed by the one process that plays the session; holds its PID
HISTORY_FILE = "history.txt"
NAMES_FILE = "names.json"
FORMAT = 1
# A crash loses at most this much learning, plus what the piece learned since it last
# published (at most pieces.base.PUBLISH_LEARNED_S of audio).
SAVE_EVERY_S = 0.25


def default_root() -> Path:
    """Where session folders go unless told: $XDG_DATA_HOME/synthlearn/sessions."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "synthlearn" / "sessions"


def new_folder(piece: str, root: Path | None = None) -> Path:
    """A fresh session folder's path, named by local time and piece (``2026-11-21_20-15-03_ldd``).
    Made by the first save, so a performance that never starts leaves nothing behind."""
    root = default_root() if root is None else Path(root)
    stem = time.strftime("%Y-%m-%d_%H-%M-%S") + f"_{piece}"
    folder, n = root / stem, 1
    while folder.exists():
        folder, n = root / f"{stem}_{n}", n + 1
    return folder


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once (temporary file, fsync, rename).

    The temporary file is made new (O_EXCL) and never through a symlink (O_NOFOLLOW): one
    planted in its place, or left by a crash, is removed (unlinking a link leaves its target
    alone) and the file made again. A failed write removes it."""
    tmp = path.with_name(f".{path.name}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(tmp, flags, 0o644)
    except FileExistsError:
        os.unlink(tmp)  # a directory here raises: the save fails in one line
        fd = os.open(tmp, flags, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def encode_state(state: dict[str, np.ndarray], meta: dict) -> bytes:
    import io

    buf = io.BytesIO()
    meta_bytes = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8)
    np.savez(buf, meta=meta_bytes, **{f"state.{k}": np.asarray(v) for k, v in state.items()})
    return buf.getvalue()


class Session:
    """One session folder: save states, the current piece and the history atomically; load."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.session_path = self.folder / SESSION_FILE
        self.history_path = self.folder / HISTORY_FILE
        self.names_path = self.folder / NAMES_FILE

    _lock_fd: int | None = None
    _made_here = False  # claim() made the folder: a start that fails removes it

    def claim(self) -> None:
        """Own the folder for this process, before anything is written: make it if need be,
        then take an exclusive flock on its lock file (never through a symlink). Another
        performance holding it: one line naming its process. The lock goes with the process
        (a crash releases it)."""
        import fcntl

        self._made_here = not self.folder.exists()
        self.make()
        try:
            fd = os.open(self.folder / LOCK_FILE,
                         os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            self._discard()
            raise UserError(f"{self.folder / LOCK_FILE}: cannot lock the session "
                            f"({exc.strerror}; a regular file is expected)") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 16).decode(errors="replace").strip()
            os.close(fd)
            holder = f"process {holder}" if holder.isdigit() else "another process"
            raise UserError(f"{self.folder}: in use by another performance ({holder}); wait "
                            "for it to end, or choose another folder") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def release(self, *, discard: bool = False) -> None:
        """Let the folder go; ``discard`` (a start that failed) removes it if claim() made it.
        The lock file stays: unlinking it would let two processes lock two files."""
        if discard and self._made_here:
            self._discard()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _discard(self) -> None:
        import shutil

        if self._made_here:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._made_here = False

    def state_path(self, piece: str) -> Path:
        return self.folder / f"{piece}.npz"

    def exists(self) -> bool:
        return self.session_path.exists()

    def check_makeable(self) -> None:
        """One line now, before any audio, if :meth:`make` could not make the folder: a file
        in the way, or no existing folder above it to make it in."""
        from synthlearn.runtime.places import cannot_write_in

        if self.folder.exists() and not self.folder.is_dir():
            raise UserError(f"{self.folder}: cannot make the session folder (File exists)")
        above = self.folder
        while not above.exists():
            above = above.parent
        why = cannot_write_in(above)
        if why:
            raise UserError(f"{self.folder}: cannot make the session folder ({above}: {why})")

    def make(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{self.folder}: cannot make the session folder ({exc.strerror})") \
                from None

    def save_current(self, piece: str, seed: int, faithful: bool = False) -> None:
        """The piece playing and every flag it was made with, so a resume makes the same."""
        meta = {"format": FORMAT, "piece": piece, "seed": seed, "faithful": bool(faithful),
                "synthlearn": __version__}
        write_atomic(self.session_path, json.dumps(meta, sort_keys=True).encode())

    def save_state(self, piece: str, seed: int, state: dict[str, np.ndarray],
                   time_s: float = 0.0) -> None:
        meta = {"format": FORMAT, "piece": piece, "seed": seed, "time_s": round(time_s, 6),
                "synthlearn": __version__}
        write_atomic(self.state_path(piece), encode_state(state, meta))

    def save_history(self, lines: list[str]) -> None:
        write_atomic(self.history_path, "".join(f"{line}\n" for line in lines).encode())

    def save_names(self, values: dict) -> None:
        from synthlearn.commands.names import dumps_gently

        write_atomic(self.names_path, dumps_gently(values).encode())

    def load_names(self) -> dict:
        """What assignments kept here (empty when none did); a damaged file: one UserError."""
        _regular(self.names_path)
        if not self.names_path.is_file():
            return {}
        try:
            values = json.loads(self.names_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise UserError(f"{self.names_path}: not a synthlearn names file ({exc})") from None
        if not isinstance(values, dict):
            raise UserError(f"{self.names_path}: expected names and their values, got "
                            f"{type(values).__name__}")
        return values

    def load(self) -> tuple[dict, list[str]]:
        """(session meta: piece, seed; history); a missing or damaged folder: one UserError."""
        if not self.folder.is_dir():
            raise UserError(f"{self.folder}: no such session folder")
        for path in (self.session_path, self.history_path, self.names_path):
            _regular(path)
        if not self.session_path.is_file():
            raise UserError(f"{self.session_path}: missing; a session folder holds "
                            f"{SESSION_FILE}, PIECE.npz and {HISTORY_FILE}")
        try:
            meta = json.loads(self.session_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise UserError(f"{self.session_path}: not a synthlearn session ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or \
                not isinstance(meta.get("piece"), str) or not isinstance(meta.get("seed"), int):
            raise UserError(f"{self.session_path}: {meta!r} is not a format-{FORMAT} session "
                            "(piece, seed)")
        history = []
        if self.history_path.is_file():  # only for the up-arrow: odd bytes are not worth a stop
            history = self.history_path.read_text(encoding="utf-8",
                                                  errors="replace").splitlines()
        return meta, history

    def load_state(self, piece: str) -> dict[str, np.ndarray] | None:
        """The saved state of ``piece`` (None if it never played here)."""
        path = self.state_path(piece)
        _regular(path)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                state = {k[len("state."):]: data[k] for k in data.files
                         if k.startswith("state.")}
        except Exception as exc:  # noqa: BLE001 - data, not code: a cut or foreign file
            why = str(exc) or type(exc).__name__
            raise UserError(f"{path}: not a synthlearn piece state ({why})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or \
                meta.get("piece") != piece:
            raise UserError(f"{path}: meta {meta!r} is not a format-{FORMAT} state of {piece}")
        return state


def _regular(path: Path) -> None:
    """One line if ``path`` exists as anything but a regular file (a symlink, a FIFO, a
    device): a session folder holds its own regular files, read never through a link."""
    import stat

    from synthlearn.files import kind_of

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise UserError(f"{path}: {kind_of(mode)}; a session folder holds regular files only")


class Autosaver:
    """A thread that saves the learned state of the piece on stage and the command history
    when they change.

    ``stage``: the :class:`~synthlearn.runtime.stage.Stage` whose piece it saves, read at
    each save; it tells the saver when another piece plays (the last save of the one that
    left, then the new one's). A lone piece is given a stage of its own (``switch`` switches
    it). ``history`` is a list other threads append to (appending is atomic); the saver
    notices its length change. ``close()`` stops the thread and makes a last save.
    """

    def __init__(self, session: Session, stage, *, history: list[str], names=None,
                 now_s=lambda: 0.0, say=print, every_s: float = SAVE_EVERY_S):
        from synthlearn.runtime.stage import Stage

        self.stage = stage if isinstance(stage, Stage) else Stage(piece=stage)
        self.session, self.history, self.now_s, self.say = session, history, now_s, say
        self.names = names  # an object with .values and .version (assignments), or None
        self._names_version = -1
        self.every_s = every_s
        self.saves = 0
        # What the last save of a state wrote: (that piece, its learned version, the state);
        # a piece's first save always writes.
        self._saved: tuple = (None, None, None)
        self._history_len = -1
        self._failed = False
        self._lock = threading.Lock()  # the saver thread and a piece switch both save
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="synthlearn-autosave",
                                        daemon=True)

    def start(self) -> Autosaver:
        self.session.make()
        self._save_current(self.stage.piece)
        self.save_now()
        self.stage.watch(self._switched)
        self._thread.start()
        return self

    def switch(self, piece) -> None:
        """Switch the stage it saves to ``piece`` (a lone piece's stage; a performance
        switches its own stage, which tells the saver)."""
        self.stage.switch(piece)

    def _switched(self, old, new) -> None:
        """The performance goes on with ``new``: a last save of ``old``, then the new one.
        The old one no longer plays (the engine let it go): this thread publishes it once
        more, with what it took after its last block (qmelody: lines typed just before)."""
        with self._lock:
            old.publish_learned()
            self._save(old)
            self._saved = (None, None, None)
            self._save_current(new)
            self._save(new)

    def _save_current(self, piece) -> None:
        try:
            self.session.save_current(piece.name, piece.seed, piece.faithful)
        except OSError as exc:
            self._failure(exc)

    def save_now(self) -> int:
        """Write whatever changed since the last save; returns how many files were written."""
        with self._lock:
            return self._save(self.stage.piece)

    def _failure(self, exc: OSError) -> None:
        self._why = exc.strerror or str(exc)
        if not self._failed:  # a full disk must not stop the music; say it once
            self.say(f"autosave: {self.session.folder}: {exc}; still playing, not saving")
        self._failed = True

    def _save(self, piece) -> int:
        written = 0
        try:
            written += self._save_state(piece)
            n = len(self.history)
            if n != self._history_len:
                self.session.save_history(self.history[:n])
                self._history_len = n
                written += 1
            if self.names is not None and self.names.version != self._names_version:
                version = self.names.version
                if version or self.names.values:  # nothing assigned yet: no file
                    self.session.save_names(dict(self.names.values))
                    written += 1
                self._names_version = version
        except OSError as exc:
            self._failure(exc)
            return written
        if self._failed and written:
            self.say(f"autosave: {self.session.folder}: saving again")
        self._failed = False
        self.saves += written
        return written

    def _save_state(self, piece) -> int:
        saved_piece, saved_version, saved_state = self._saved
        if saved_piece is not piece:  # another piece's save, or none yet
            saved_version = saved_state = None
        version = piece.learned_version()  # read first: the copy is this one or newer
        if version == saved_version:
            return 0
        try:
            state = piece.learned_state()
        except SnapshotBusy:  # the audio thread kept publishing: next time
            return 0
        written = 0
        if saved_state is None or not same_state(state, saved_state):
            self.session.save_state(piece.name, piece.seed, state, self.now_s())
            saved_state = state
            written = 1
        self._saved = (piece, version, saved_state)  # only once saved: a failure tries again
        return written

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.save_now()

    def close(self) -> str | None:
        """Stop, and make the last save (call it once the audio has stopped: this thread then
        owns the piece and publishes what it learned in its last blocks, then saves it); one
        line saying what was not saved if it failed."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.stage.unwatch(self._switched)
        with self._lock:
            self.stage.piece.publish_learned()
        self.save_now()
        if not self._failed:
            return None
        return (f"autosave: the last save to {self.session.folder} failed ({self._why}): what "
                "was learned since the last save that worked is not there")
