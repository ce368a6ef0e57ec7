"""The few libjack calls synthlearn makes itself, through ctypes (no new dependency): the
running server's rate and period, and cutting a port's connections.

The system's libjack is used first (it speaks the running server's protocol), else the one
bundled with pyo. Every call opens a short-lived client that never starts a server.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import glob
import os
from collections.abc import Iterator

from synthlearn.errors import AudioUnavailable

JACK_NO_START_SERVER = 0x01  # jack_options_t: never start a server to answer us


@functools.cache
def _lib() -> ctypes.CDLL | None:
    names = [ctypes.util.find_library("jack") or "libjack.so.0"]
    try:
        import pyo

        names += glob.glob(os.path.join(os.path.dirname(pyo.__file__), os.pardir, "pyo.libs",
                                        "libjack*.so*"))
    except ImportError:
        pass
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        for fn, res, args in (
            ("jack_client_open", vp, (cp, ctypes.c_int, ctypes.POINTER(ctypes.c_int))),
            ("jack_client_close", ctypes.c_int, (vp,)),
            ("jack_get_buffer_size", ctypes.c_uint32, (vp,)),
            ("jack_get_sample_rate", ctypes.c_uint32, (vp,)),
            ("jack_port_by_name", vp, (vp, cp)),
            ("jack_port_get_all_connections", ctypes.POINTER(cp), (vp, vp)),
            ("jack_port_flags", ctypes.c_int, (vp,)),
            ("jack_disconnect", ctypes.c_int, (vp, cp, cp)),
            ("jack_free", None, (vp,)),
        ):
            getattr(lib, fn).restype = res
            getattr(lib, fn).argtypes = args
        return lib
    return None


@contextlib.contextmanager
def client(name: str) -> Iterator[tuple[ctypes.CDLL, int]]:
    """(libjack, a client handle) for the length of the block; AudioUnavailable when there is
    no libjack or no server answers."""
    from synthlearn.audio.quiet import c_stderr_silenced

    lib = _lib()
    if lib is None:
        raise AudioUnavailable("no libjack found to talk to the JACK server "
                               "(Debian/Ubuntu: apt-get install libjack-jackd2-0)")
    status = ctypes.c_int(0)
    with c_stderr_silenced():  # libjack prints its own lines when no server answers
        handle = lib.jack_client_open(name.encode(), JACK_NO_START_SERVER, ctypes.byref(status))
    if not handle:
        raise AudioUnavailable(f"the JACK server did not answer (jack status "
                               f"0x{status.value:x}); is jackd running?")
    try:
        yield lib, handle
    finally:
        lib.jack_client_close(handle)


def server_format(client_name: str = "synthlearn-probe") -> tuple[int, int]:
    """(sample rate in Hz, period in frames) of the running JACK server."""
    with client(client_name) as (lib, handle):
        return int(lib.jack_get_sample_rate(handle)), int(lib.jack_get_buffer_size(handle))


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
