"""PipeWire, the audio server of most Linux desktops today (Ubuntu since 22.10, Fedora since 34,
Debian 12's desktops): is it running, what rate its graph runs at, and the latency we ask of it.

synthlearn reaches PipeWire through its JACK library (``pipewire-jack``) or its ALSA plugin
(``pipewire-alsa``): see ``native`` and ``backends``. Nothing here loads a library.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

LATENCY_ENV = "PIPEWIRE_LATENCY"  # read by PipeWire's clients (its libjack and ALSA plugin)
DEFAULT_RATE = 48000  # PipeWire's default.clock.rate
METADATA_TIMEOUT_S = 2.0


def socket_path() -> str | None:
    """Where a PipeWire client connects, as libpipewire finds it, or None (no runtime dir)."""
    remote = os.environ.get("PIPEWIRE_REMOTE", "pipewire-0")
    if os.path.isabs(remote):
        return remote
    folder = os.environ.get("PIPEWIRE_RUNTIME_DIR") or os.environ.get("XDG_RUNTIME_DIR")
    return os.path.join(folder, remote) if folder else None


def running() -> bool:
    """True if a PipeWire daemon accepts connections on its socket (a stale file refuses)."""
    path = socket_path()
    if path is None:
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(0.5)
    try:
        sock.connect(path)
        return True
    except OSError:
        return False
    finally:
        sock.close()


def graph_rate() -> int:
    """The rate PipeWire's graph runs at: its ``settings`` metadata (``clock.force-rate`` when
    set, else ``clock.rate``) through ``pw-metadata``, else PipeWire's default, 48 kHz."""
    tool = shutil.which("pw-metadata")
    if tool is None:
        return DEFAULT_RATE
    try:
        out = subprocess.run([tool, "-n", "settings", "0"], capture_output=True, text=True,
                             timeout=METADATA_TIMEOUT_S, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return DEFAULT_RATE
    values = {}
    for line in out.splitlines():  # update: id:0 key:'clock.rate' value:'48000' type:''
        if "key:'" in line and "value:'" in line:
            key = line.split("key:'", 1)[1].split("'", 1)[0]
            values[key] = line.split("value:'", 1)[1].split("'", 1)[0]
    for key in ("clock.force-rate", "clock.rate"):
        try:
            rate = int(values.get(key, "0"))
        except ValueError:
            continue
        if rate > 0:
            return rate
    return DEFAULT_RATE


_ours: str | None = None  # the value we set, told apart from the performer's own


def request_latency(block: int, sr: int, *, force: bool = False) -> str | None:
    """Ask PipeWire for a quantum of ``block`` frames: sets PIPEWIRE_LATENCY (read when a
    PipeWire client opens) unless the performer set it (or ``force``); returns the
    performer's value then."""
    global _ours
    own = performers_latency()
    if own and not force:
        return own
    _ours = os.environ[LATENCY_ENV] = f"{block}/{sr}"
    return None


def performers_latency() -> str | None:
    """PIPEWIRE_LATENCY as the performer set it, or None (unset, or set by us)."""
    own = os.environ.get(LATENCY_ENV)
    return own if own and own != _ours else None
