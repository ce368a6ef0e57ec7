"""Format negotiation: the sample rate and block the engine plays at.

What the performer asks (``--sr``, ``--block``) is checked here; a running server (jackd,
PipeWire, an ALSA device) may impose its own rate and period, and then the server's win and
one line says so. PipeWire may also move its quantum as our client joins: the engine boots
again until pyo and PipeWire agree (:func:`settle_pipewire`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from synthlearn.audio import backends, pipewire
from synthlearn.errors import AudioUnavailable, UserError

SAMPLE_RATES = (22050, 32000, 44100, 48000, 88200, 96000)
BLOCK_SIZES = (16, 32, 64, 128, 256, 512, 1024, 2048)
# What a running audio server may impose (any rate or period in these ranges plays right).
SERVER_SR_RANGE = (8000, 384000)
SERVER_PERIOD_RANGE = (16, 4096)
# PipeWire: how long a quantum must hold before pyo's graph is built for it (a change lands
# within a few cycles: 12 at 1024 frames), and how many boots may chase it.
SETTLE_S = 0.25
SETTLE_POLL_S = 0.01
SETTLE_ATTEMPTS = 4


def validate_format(sr: int, block: int) -> None:
    """One UserError unless ``sr`` (Hz) and ``block`` (samples) are formats synthlearn plays."""
    if sr not in SAMPLE_RATES:
        raise UserError(
            f"sample rate {sr} Hz is not supported; expected one of "
            + ", ".join(str(s) for s in SAMPLE_RATES)
        )
    if block not in BLOCK_SIZES:
        raise UserError(
            f"block size {block} is not supported; expected a power of two from "
            f"{BLOCK_SIZES[0]} to {BLOCK_SIZES[-1]}"
        )


def server_format(backend: str, sr: int, block: int, fmt: backends.ServerFormat | None,
                  name: str | None = None) -> tuple[int, int, str | None]:
    """(sample rate, block size, a one-line note or None): what the engine must run at.

    A JACK server (jackd or PipeWire) imposes its rate and period on every client, and pyo
    takes them whatever it was asked, so a graph built for ``sr``/``block`` would play garbled.
    A portaudio device plays its own default rate, or PipeWire's graph rate behind ALSA. Where
    these differ from what was asked, the server's win and the note (naming ``name``) says so.
    """
    if fmt is None:
        return sr, block, None
    name = name or ("JACK" if backend == "jack" else "the audio device")
    period_word = "quantum" if name == "PipeWire" else "period"
    lo, hi = SERVER_SR_RANGE
    if not lo <= fmt.sr <= hi:
        raise UserError(f"{name} runs at {fmt.sr} Hz; synthlearn plays from {lo} to {hi} Hz")
    new_block = block if fmt.period is None else fmt.period
    lo, hi = SERVER_PERIOD_RANGE
    if not lo <= new_block <= hi:
        how = "--block 256" if name == "PipeWire" else "jackd ... -p 256"
        raise UserError(f"{name} runs a {period_word} of {new_block} frames; synthlearn needs "
                        f"{lo} to {hi} (e.g. {how})")
    changed = []
    if fmt.sr != sr:
        changed.append(f"{fmt.sr} Hz (asked {sr})")
    if new_block != block:
        changed.append(f"block {new_block} (asked {block})")
    if not changed:
        return sr, block, None
    runs = f"{fmt.sr} Hz" + (f" with a {period_word} of {fmt.period} frames"
                             if fmt.period is not None else "")
    return fmt.sr, new_block, f"{name} runs at {runs}: playing at " + ", ".join(changed)


def settled(read: Callable[[], int]) -> int:
    """``read()`` once it has held for SETTLE_S (waiting on an external server's clock)."""
    value = int(read())
    held_since = time.monotonic()
    while time.monotonic() - held_since < SETTLE_S:
        time.sleep(SETTLE_POLL_S)
        now = int(read())
        if now != value:
            value, held_since = now, time.monotonic()
    return value


def settle_pipewire(server, boot: Callable[[int], object], *, sr: int, block: int,
                    backend: str, name: str) -> tuple[object, int, str | None]:
    """(server, block, a note or None): boot again (``boot(block)``) until pyo and PipeWire
    agree on the quantum.

    pyo reads the quantum we asked for (PIPEWIRE_LATENCY) when its client opens, and
    follows PipeWire's buffer-size notices from then on; a graph already running at
    another quantum (a stream playing, a forced quantum) sends one as our client joins,
    and the graph may then move to our request a few cycles later. A pyo graph built for
    one block and run at another plays garbled, so: wait until the quantum has held for
    SETTLE_S (pyo outputs silence until started), and if it is not the block we built
    for, boot again asking for the one PipeWire runs.
    """
    asked = block
    for _ in range(SETTLE_ATTEMPTS):
        quantum = settled(server.getBufferSize)
        if quantum == block:
            note = None
            if block != asked:
                note = (f"PipeWire keeps a quantum of {block} frames (a stream playing "
                        "already, or a forced quantum, holds it): playing at block "
                        f"{block} (asked {asked})")
            return server, block, note
        server.shutdown()
        # A quantum out of range: server_format's one line.
        server_format(backend, sr, block, backends.ServerFormat(sr, quantum), name)
        pipewire.request_latency(quantum, sr, force=True)
        block = quantum
        server = boot(block)
    server.shutdown()
    raise AudioUnavailable(f"PipeWire's quantum did not settle in {SETTLE_ATTEMPTS} boots "
                           "(another program keeps changing it); start again")
