"""Which audio backends can run here, found without booting anything that could crash.

pyo 1.1.0 segfaults when it boots portaudio with no output device, and its bundled libjack tries
to start ``/usr/local/bin/jackd`` (not where Debian puts it) when no JACK server runs. So we look
first: a JACK server is alive if its socket accepts a connection; portaudio has an output if
``pa_get_default_output()`` says so.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from synthlearn.audio.quiet import c_stderr_silenced
from synthlearn.errors import AudioUnavailable, UserError

BACKENDS = ("auto", "jack", "portaudio", "offline", "manual")

RENDER_HINT = "render instead: synthlearn render SCORE.toml (or synthlearn demo, which renders)"


def jack_socket_path(server: str | None = None) -> str:
    name = server or os.environ.get("JACK_DEFAULT_SERVER", "default")
    return f"/dev/shm/jack_{name}_{os.getuid()}_0"


def jack_running(server: str | None = None) -> bool:
    """True if a JACK2 server answers on its request socket (a stale socket file refuses)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(0.5)
    try:
        sock.connect(jack_socket_path(server))
        return True
    except OSError:
        return False
    finally:
        sock.close()


@dataclass(frozen=True)
class ServerFormat:
    """What an audio server runs: its sample rate (Hz) and, for JACK, its period (frames)."""

    sr: int
    period: int | None = None


def jack_format(client_name: str = "synthlearn-probe") -> ServerFormat:
    """The running JACK server's sample rate and period, read through libjack in a few ms.

    pyo takes the server's period and rate when it boots, whatever it was asked, and a pyo
    graph built for another block size or rate then plays garbled audio with no error: so the
    engine asks first and builds for what the server runs.
    """
    from synthlearn.audio import jacklib

    try:
        sr, period = jacklib.server_format(client_name)
    except AudioUnavailable as exc:
        raise AudioUnavailable(f"{exc}; " + RENDER_HINT) from None
    return ServerFormat(sr=sr, period=period)


@dataclass(frozen=True)
class PortaudioInfo:
    default_output: int
    outputs: tuple[str, ...]
    default_sr: int | None = None  # the default output device's own rate


def portaudio_info() -> PortaudioInfo:
    """Default output device index (-1 for none) and output device names, quietly."""
    import pyo

    with c_stderr_silenced():
        default = int(pyo.pa_get_default_output())
        try:
            names, _ = pyo.pa_get_output_devices()
        except Exception:  # pyo raises plain errors when portaudio finds no host API
            names = []
        default_sr = None
        if default >= 0:
            try:
                outputs = pyo.pa_get_devices_infos()[1]
                default_sr = int(outputs[default]["default sr"])
            except Exception:  # a device that vanished between the two calls
                default_sr = None
    return PortaudioInfo(default, tuple(str(n) for n in names), default_sr)


def resolve(backend: str) -> str:
    """Turn ``auto`` into a concrete backend and refuse one that cannot run here."""
    if backend not in BACKENDS:
        raise UserError(f"unknown audio backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if backend in ("offline", "manual"):
        return backend
    if backend == "jack":
        if not jack_running():
            raise AudioUnavailable(
                "no JACK server is running (looked for "
                f"{jack_socket_path()}); start one, e.g. 'jackd -R -d alsa' "
                "(or 'jackd -R -d dummy -r 48000 -p 256' with no sound card), or use "
                "--audio portaudio, or " + RENDER_HINT
            )
        return "jack"
    if backend == "portaudio":
        if portaudio_info().default_output < 0:
            raise AudioUnavailable("portaudio finds no audio output device here; " + RENDER_HINT)
        return "portaudio"
    if jack_running():
        return "jack"
    if portaudio_info().default_output >= 0:
        return "portaudio"
    raise AudioUnavailable(
        "no audio output here: no JACK server runs and portaudio finds no output device; "
        + RENDER_HINT
    )
