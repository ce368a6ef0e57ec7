"""The few libjack calls synthlearn makes itself, through ctypes (no new dependency): whether a
server answers and at what rate and period, and cutting a port's connections; and, without
libjack, whether a server's process still listens for clients (:func:`listening`).

Which libjack: the one this process committed to (``native``), or a candidate being probed.
Every call opens a short-lived client that never starts a server.

A JACK server that dies leaves this process's clients of it allocated, and jack2's libjack
closes and frees all of them inside the next ``jack_client_open`` (``JackLibGlobals::Init``:
"Jack server was closed but clients are still allocated, cleanup..."), under their owners:
python-rtmidi then closed its freed client again and the process segfaulted at exit (seen
here: perform --midi all, jackd killed). So once the engine has seen its server die
(:func:`server_died`), no client is opened here until the engine's own new client has
rejoined a server (:func:`server_died` ``(False)``); and a server is asked whether it lives
through the kernel's socket table, never through a client (a stalled server would not answer
one, and a dead one's clean-up would run).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterable, Iterator

from synthlearn.audio import native
from synthlearn.errors import AudioUnavailable

JACK_NO_START_SERVER = 0x01  # jack_options_t: never start a server to answer us
JACK_SERVER_NAME = 0x04  # jack_options_t: the server's name follows as an argument
NO_LIBJACK = ("no libjack found to talk to the JACK server (Debian/Ubuntu: apt-get install "
              "libjack-jackd2-0, or pipewire-jack on a PipeWire desktop)")
SERVER_DIED = ("the JACK server this process played on died; no client opens until the engine "
               "has rejoined one")
_died = False  # see the module docstring and server_died()


def server_died(died: bool = True) -> None:
    """Say that this process's JACK server died (the engine saw pyo shut down by it), or, with
    ``False``, that the engine's new client has joined a server again."""
    global _died
    _died = died


@contextlib.contextmanager
def client(name: str, lib: native.JackLib | None = None,
           server: str | None = None) -> Iterator[tuple[ctypes.CDLL, int]]:
    """(libjack, a client handle) for the length of the block, through ``lib`` (default: the
    process's own); AudioUnavailable when there is no libjack or no server answers."""
    from synthlearn.audio.quiet import c_stderr_silenced

    lib = lib if lib is not None else native.ensure().jack
    if lib is None:
        raise AudioUnavailable(NO_LIBJACK)
    if _died:
        raise AudioUnavailable(SERVER_DIED)
    cdll = lib.cdll
    status = ctypes.c_int(0)
    named = (server.encode(),) if server else ()
    with c_stderr_silenced():  # libjack prints its own lines when no server answers
        handle = cdll.jack_client_open(name.encode(), JACK_NO_START_SERVER
                                       | (JACK_SERVER_NAME if server else 0),
                                       ctypes.byref(status), *named)
    if not handle:
        raise AudioUnavailable(f"no JACK server answered through {lib.describe()} (jack "
                               f"status 0x{status.value:x})")
    try:
        yield cdll, handle
    finally:
        cdll.jack_client_close(handle)


def answers(lib: native.JackLib, client_name: str = "synthlearn-probe",
            server: str | None = None) -> tuple[int, int] | None:
    """(sample rate in Hz, period in frames) if a server answers through ``lib``, else None."""
    try:
        with client(client_name, lib, server) as (cdll, handle):
            return int(cdll.jack_get_sample_rate(handle)), int(cdll.jack_get_buffer_size(handle))
    except AudioUnavailable:
        return None


JACK_PORT_IS_INPUT = 0x1


def disconnect_all(port_names: list[str], client_name: str = "synthlearn-unplug") -> int:
    """Cut every connection of the named ports (any client's); returns how many were cut."""
    cut = 0
    with client(client_name) as (lib, handle):
        for name in port_names:
            port = lib.jack_port_by_name(handle, name.encode())
            if not port:
                continue
            is_input = lib.jack_port_flags(port) & JACK_PORT_IS_INPUT
            others = lib.jack_port_get_all_connections(handle, port)
            if not others:
                continue
            try:
                i = 0
                while others[i]:
                    src, dst = (others[i], name.encode()) if is_input else (name.encode(),
                                                                            others[i])
                    cut += lib.jack_disconnect(handle, src, dst) == 0
                    i += 1
            finally:
                lib.jack_free(ctypes.cast(others, ctypes.c_void_p))
    return cut


# /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path"; a listening socket has
# __SO_ACCEPTCON in its flags and the state SS_UNCONNECTED.
UNIX_TABLE = "/proc/net/unix"
SO_ACCEPTCON = 0x10000
SS_UNCONNECTED = 1


def server_name() -> str:
    """The JACK server this process's clients join: libjack's default, $JACK_DEFAULT_SERVER
    or ``default`` (pyo names none)."""
    return os.environ.get("JACK_DEFAULT_SERVER", "default")


def socket_paths(server: str | None = None) -> tuple[str, ...]:
    """Where jackd listens for new clients of ``server`` (default: :func:`server_name`):
    jack2's request socket (``/dev/shm/jack_NAME_UID_0``, ``jack_NAME_0`` when promiscuous)
    and jack1's (``$JACK_TMPDIR/jack-UID/NAME/jack_0``)."""
    name = server_name() if server is None else server
    uid = os.geteuid()
    flat = name.replace("/", "_").replace("\\", "_")  # jack2's JackTools::RewriteName
    jack2 = f"/dev/shm/jack_{flat}_0" if "JACK_PROMISCUOUS_SERVER" in os.environ else (
        f"/dev/shm/jack_{flat}_{uid}_0")
    tmp = os.environ.get("JACK_TMPDIR", "/dev/shm")
    return jack2, f"{tmp}/jack-{uid}/{name}/jack_0"


def listening(paths: Iterable[str]) -> int | None:
    """The inode of a unix socket that a live process listens on at one of ``paths``, or None
    when none does (the socket file of a dead server stays behind, but the kernel's entry
    goes with the process). A stopped (SIGSTOP) or stalled server still listens. Reads the
    kernel's table, never the socket: nothing is asked of the server. OSError when the table
    cannot be read (not Linux)."""
    wanted = set(paths)
    with open(UNIX_TABLE, encoding="utf-8", errors="replace") as table:
        next(table, None)  # the header
        for line in table:
            fields = line.split(None, 7)
            if len(fields) < 8 or fields[7].rstrip("\n") not in wanted:
                continue
            flags, state = int(fields[3], 16), int(fields[5], 16)
            if flags & SO_ACCEPTCON and state == SS_UNCONNECTED:
                return int(fields[6])
    return None
