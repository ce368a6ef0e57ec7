"""The few libjack calls synthlearn makes itself, through ctypes (no new dependency): whether a
server answers and at what rate and period, and cutting a port's connections.

Which libjack: the one this process committed to (``native``), or a candidate being probed.
Every call opens a short-lived client that never starts a server.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator

from synthlearn.audio import native
from synthlearn.errors import AudioUnavailable

JACK_NO_START_SERVER = 0x01  # jack_options_t: never start a server to answer us
JACK_SERVER_NAME = 0x04  # jack_options_t: the server's name follows as an argument
NO_LIBJACK = ("no libjack found to talk to the JACK server (Debian/Ubuntu: apt-get install "
              "libjack-jackd2-0, or pipewire-jack on a PipeWire desktop)")


@contextlib.contextmanager
def client(name: str, lib: native.JackLib | None = None,
           server: str | None = None) -> Iterator[tuple[ctypes.CDLL, int]]:
    """(libjack, a client handle) for the length of the block, through ``lib`` (default: the
    process's own); AudioUnavailable when there is no libjack or no server answers."""
    from synthlearn.audio.quiet import c_stderr_silenced

    lib = lib if lib is not None else native.ensure().jack
    if lib is None:
        raise AudioUnavailable(NO_LIBJACK)
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
