"""Whether a folder can take new files: asked of the place itself (a trial folder made and
removed), because permission bits do not say (root passes every check) and neither does a
read-only or pseudo file system."""

from __future__ import annotations

import tempfile
from pathlib import Path


def cannot_write_in(folder: Path) -> str | None:
    """Why nothing can be made in the existing ``folder``, or None if something can."""
    try:
        Path(tempfile.mkdtemp(dir=folder, prefix=".synthlearn-")).rmdir()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None
