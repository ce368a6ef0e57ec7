"""Synths as files: a performer's own (``perform --synths DIR``) and the ones shipped
(``presets/`` in the repository, ``synthlearn/presets`` installed), all written the same way.

A synth is a small Python file ``NAME.py`` (the name: letters, digits and ``_``) that defines

- ``PARAMS``: a dict of parameter name -> ``(low, high, default)``;
- ``build(p)``: given a dict of pyo signals, one per parameter and already gliding, the pyo
  object to mix. A mono one is placed at its ``pan`` parameter if it has one, else at ``PAN``
  (0 left .. 1 right, default 0.5, the centre); a stereo one passes through as it is;
- optionally ``PAN``.

Loading runs the file (it is the performer's code, named on the command line: never from OSC
or a score) and registers the synth (:func:`synthlearn.audio.synths.register`); ``build`` runs
when a piece makes the synth. A file that cannot be a synth is one line naming the file and,
where there is one, its line.
"""

from __future__ import annotations

import os
import stat
import traceback
from pathlib import Path

from synthlearn.errors import UserError

SHIPPED_ORDER = ("blip", "rain", "fm")  # the order the ruler piece keeps their state in
MAX_FILE_BYTES = 256 * 1024


def shipped_folder() -> Path:
    """Where the shipped synths and their tables are (the package ``synthlearn.presets``)."""
    from synthlearn.files import DATASETS

    return DATASETS


def load_file(path: Path, *, register) -> str:
    """Run synth file ``path`` and register what it defines with ``register(name, params,
    build, pan=...)``; its name. A UserError (one line) names the file and what is wrong."""
    path = Path(path)
    name = path.stem
    if not name.isidentifier():
        raise UserError(f"{path}: a synth file is named NAME.py, NAME a word (letters, digits, _)")
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"{path}: not a regular file (a link or a device is not read)")
    if info.st_size > MAX_FILE_BYTES:
        raise UserError(f"{path}: {info.st_size:,} bytes; a synth file is at most "
                        f"{MAX_FILE_BYTES // 1024} KB")
    try:
        source = path.read_text(encoding="utf-8")
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise UserError(f"{path}:{exc.lineno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{path}: cannot read it ({exc})") from None
    space: dict = {"__name__": f"synthlearn_synth_{name}", "__file__": str(path)}
    try:
        exec(code, space)  # the performer's own file, named on the command line
    except Exception as exc:  # whatever their code raises: one line, the show goes on
        raise UserError(f"{path}:{_line_in(exc, path)}: {type(exc).__name__}: {exc}") from None
    params, build = space.get("PARAMS"), space.get("build")
    if not isinstance(params, dict) or not params:
        raise UserError(f"{path}: defines no PARAMS (a dict of name: (low, high, default))")
    if not callable(build):
        raise UserError(f"{path}: defines no build(p) (given the parameters' signals, it "
                        "returns the pyo object to mix)")
    pan = space.get("PAN", 0.5)
    try:
        register(name, params, _checked_build(build, path), pan=pan)
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from None
    return name


def _line_in(exc: BaseException, path: Path) -> str:
    """The line of ``path`` an exception came from (the last frame in that file), or ``?``."""
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
             if f.filename == str(path)]
    return str(lines[-1]) if lines else "?"


def _checked_build(build, path: Path):
    """``build``, its failures said as one line naming the file and line."""
    def made(p):
        try:
            return build(p)
        except Exception as exc:
            raise UserError(f"{path}:{_line_in(exc, path)}: build failed: "
                            f"{type(exc).__name__}: {exc}") from None
    made.source = path
    return made


def load_folder(folder: Path, *, register, say=print) -> list[str]:
    """Every ``*.py`` of ``folder`` (in name order) loaded and registered, a line said for each
    (its name and parameters, or what is wrong with it: that synth is left out); the names."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"--synths {folder}: not a folder")
    loaded = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue  # __init__.py and helpers are not synths
        try:
            name = load_file(path, register=register)
        except UserError as exc:
            say(f"synth left out: {exc}")
            continue
        loaded.append(name)
        say(f"synth {name}: {describe(name)} ({path})")
    return loaded


def describe(name: str) -> str:
    """``freq 0.5..12000 (220), amp 0..1 (0.3); mono at 0.3`` for a registered synth."""
    from synthlearn.audio import synths

    spec = synths.synth(name)
    params = ", ".join(f"{p.name} {p.low:g}..{p.high:g} ({p.default:g})" for p in spec.params)
    pan = synths.PANS.get(name)
    where = "pan follows its pan parameter" if "pan" in {p.name for p in spec.params} else \
        (f"mono at {pan:g}, or stereo" if pan is not None else "stereo")
    return f"{params}; {where}"
