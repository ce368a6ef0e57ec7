"""MIDI-to-audio latency on JACK's dummy driver, with and without the ldd window.

One process, as in ``perform``: an Engine on JACK plays ldd (part 1), ``MidiPorts`` opens its
virtual ``synthlearn`` input on rtmidi/UNIX_JACK, and a JACK MIDI output connected to that
input sends upper notes (pitch >= 48: voiced and stepping the learner) at random intervals
around a rate per second from a sender thread, stamping ``perf_counter()`` just before each
send. Measured per note (ms):

- send -> push: the rtmidi callback (rtmidi's JACK thread) hands the converted event to the
  engine's queue (the ``push`` given to MidiPorts is wrapped; the package is not touched);
- send -> hook: the audio hook hands the NOTE_ON to the piece (a bench-only Ldd subclass stamps
  it into a preallocated array).

After the hook the sound is fixed-delay: ``engine.latency_samples`` (one block + the limiter's
look-ahead) and JACK's playback latency (``jack_lsp -l system:playback_1``; the dummy driver
reports period x 2). total = send -> hook + both, an estimate of MIDI-to-audio.

MidiPorts' hot-plug watcher lists the JACK MIDI ports once a second, as in ``perform``;
``watcher=False`` opens the ports without it (``MidiPorts(watch_every_s=None)``) to see what
the window alone costs.

The main thread is the live driver's (``perform``'s): the watchdog, ldd's main tick, its news;
it waits, or draws the window, until the last note reached the hook.

Each block size gets a jackd of the bench's own (``-p`` = the block: pyo's JACK backend runs
once per period; see :func:`synthlearn.bench.realtime.bench_jackd`). The main thread either
waits or draws the ldd scene in a 1280x720 window at 60 fps. "late" = a callback interval over
two blocks.

Rows (full): blocks 256 and 64, window off and on, 100 notes at 5 a second (about 20 s a row).
Quick: block 256, no window, 20 notes at 10 a second.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from synthlearn.bench.realtime import SIZE, WATCHDOG_S, bench_jackd, jackd_missing
from synthlearn.events import Kind
from synthlearn.pieces.ldd import Ldd  # pure: numpy + numba, no pyo

SR = 48000
FPS = 60.0
HOLD_S = 0.12  # each note's length (ldd has 16 voices; short notes never run out of them)
# MidiPorts also opens every JACK MIDI source whose name contains ``which`` (and not
# "synthlearn"); our own output is such a source and would then deliver every note twice.
NO_HARDWARE = "no-such-port-midi-latency-bench"
TAIL_S = 2.0  # after the last send, how long to wait for it to reach the hook at most
FULL = {"blocks": (256, 64), "windows": (False, True), "notes": 100, "rate_per_s": 5.0}
QUICK = {"blocks": (256,), "windows": (False,), "notes": 20, "rate_per_s": 10.0}


class NoJackMidi(RuntimeError):
    """python-rtmidi cannot make JACK MIDI ports here."""


class TimedLdd(Ldd):
    """ldd, stamping each NOTE_ON the hook hands it (audio thread; preallocated arrays)."""

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        self.hook_s = np.zeros(n, np.float64)
        self.hook_note = np.zeros(n, np.int16)
        self.n_hook = 0

    def on_event(self, event) -> None:
        if event.kind == Kind.NOTE_ON and self.n_hook < len(self.hook_s):
            self.hook_s[self.n_hook] = time.perf_counter()
            self.hook_note[self.n_hook] = event.number
            self.n_hook += 1
        super().on_event(event)


class TimedPush:
    """The engine queue's push, stamping each NOTE_ON as rtmidi's callback pushes it."""

    def __init__(self, push: Callable, n: int):
        self.push = push
        self.push_s = np.zeros(n, np.float64)
        self.n = 0

    def __call__(self, event) -> None:
        if event.kind == Kind.NOTE_ON and self.n < len(self.push_s):
            self.push_s[self.n] = time.perf_counter()
            self.n += 1
        self.push(event)


def jack_playback_latency() -> int | None:
    """Frames of the default JACK server's playback latency on system:playback_1 (None if it
    cannot be read)."""
    if shutil.which("jack_lsp") is None:
        return None
    out = subprocess.run(["jack_lsp", "-l", "system:playback_1"], capture_output=True,
                         text=True, timeout=10).stdout
    m = re.search(r"playback latency = \[ (\d+) (\d+) \]", out)
    return int(m[2]) if m else None


def note_plan(n: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(pitches 48..83, waits in s before each note): intervals uniform in [0.5, 1.5] / rate,
    so sends fall anywhere in a JACK period."""
    rng = np.random.default_rng(seed)
    return rng.integers(48, 84, n), rng.uniform(0.5, 1.5, n) / rate


def send_notes(port, pitches: np.ndarray, waits: np.ndarray, sent_s: np.ndarray,
               done: threading.Event) -> None:
    """The performer: note on, HOLD_S later note off (velocity 0), then the next wait (s);
    ``sent_s[i]`` = perf_counter() just before note i's send."""
    try:
        for i, (note, wait_s) in enumerate(zip(pitches, waits, strict=True)):
            time.sleep(max(wait_s - HOLD_S, 0.0))
            sent_s[i] = time.perf_counter()
            port.note_on(note, 100)
            time.sleep(HOLD_S)
            port.note_on(note, 0)
    finally:
        done.set()


def percentiles_ms(x_s: np.ndarray) -> dict:
    """p50 / p95 / p99 / max in ms of times in s ({} for none)."""
    if x_s.size == 0:
        return {}
    ms = x_s * 1e3
    return {"p50": round(float(np.median(ms)), 2),
            "p95": round(float(np.percentile(ms, 95)), 2),
            "p99": round(float(np.percentile(ms, 99)), 2),
            "max": round(float(ms.max()), 2)}


def run_once(block: int, window: bool, watcher: bool, pitches: np.ndarray, waits: np.ndarray,
             playback_frames: int | None, say: Callable[[str], None] = print) -> dict:
    """One row on the running (default) JACK server: send the notes, measure each one's way
    to the hook; latencies in ms, fixed delays in samples and ms."""
    from synthlearn.audio.engine import Engine
    from synthlearn.midi.inputs import VIRTUAL_NAME, WATCH_EVERY_S, MidiPorts
    from synthlearn.midi.ports import JackOutput
    from synthlearn.runtime.live import Driver, LiveWindow, Watchdog, display_available
    from synthlearn.runtime.stage import Stage

    if window and not display_available():
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYO_GUI_WX", "0")
    n = len(pitches)
    engine = Engine("jack", sr=SR, block=block, seed=0, jack_client="synthlearn-bench")
    piece = TimedLdd(n, seed=0)
    stage = Stage(engine, piece)
    ports = win = out = watchdog = None
    sent_s = np.zeros(n, np.float64)
    done = threading.Event()
    try:
        engine.boot()
        stage.play()
        # play() replaced the queue: take its push only now.
        push = TimedPush(engine.push, n)
        # its "midi: ..." notices (its virtual port; no port named NO_HARDWARE) are the
        # bench's own doing, not news: said only when MIDI fails
        ports = MidiPorts(push, engine.now_smp, which=NO_HARDWARE, api="UNIX_JACK",
                          say=lambda line: None if line.startswith("midi: ") else say(line),
                          watch_every_s=WATCH_EVERY_S if watcher else None).start()
        if not ports.available:
            raise NoJackMidi("no JACK MIDI here (python-rtmidi could not open a JACK port)")
        try:
            out = JackOutput(VIRTUAL_NAME, client="synthlearn-bench-sender")
        except OSError as exc:
            raise NoJackMidi(str(exc)) from None
        if window:
            win = LiveWindow(stage, size=SIZE, fps=FPS, title="synthlearn: bench",
                             video_source=None)
        deadline = [None]

        def arrived() -> bool:  # the sender is done and the last note reached the hook
            if not done.is_set():
                return False
            if deadline[0] is None:
                deadline[0] = time.perf_counter() + TAIL_S
            return piece.n_hook >= n or time.perf_counter() > deadline[0]

        watchdog = Watchdog(engine, say, after_s=WATCHDOG_S, limit_s=WATCHDOG_S)  # ends at once
        driver = Driver(stage, watchdog, say=say, stop=arrived)
        driver.start()
        sender = threading.Thread(target=send_notes, args=(out, pitches, waits, sent_s, done),
                                  name="bench-sender", daemon=True)
        sender.start()
        driver.loop(win)
        sender.join()
        figures = driver.finish(win)
    finally:
        if ports is not None:
            ports.close()
        if out is not None:
            out.close()
        if win is not None:
            win.close()
        engine.close()
    got_hook, got_push = piece.n_hook, push.n
    in_order = bool(np.array_equal(piece.hook_note[:got_hook], pitches[:got_hook]))
    to_hook = piece.hook_s[:got_hook] - sent_s[:got_hook]
    to_push = push.push_s[:got_push] - sent_s[:got_push]
    both = min(got_hook, got_push)
    push_to_hook = piece.hook_s[:both] - push.push_s[:both]
    fixed_smp = engine.latency_samples
    row = {"block": engine.block, "window": window, "watcher": watcher, "notes_sent": n,
           "reached_push": got_push, "reached_hook": got_hook, "in_order": in_order,
           "send_to_push_ms": percentiles_ms(to_push), "send_to_hook_ms": percentiles_ms(to_hook),
           "push_to_hook_ms": percentiles_ms(push_to_hook),
           "engine_latency_samples": fixed_smp,
           "jack_playback_latency_frames": playback_frames, "audio_lost": watchdog.lost,
           **figures}
    fixed_s = (fixed_smp + (playback_frames or 0)) / SR
    row["fixed_after_hook_ms"] = round(fixed_s * 1e3, 2)
    row["total_ms"] = percentiles_ms(to_hook + fixed_s)
    return row


def measure(blocks: Sequence[int], cases: Sequence[tuple[bool, bool]], *, notes: int,
            rate_per_s: float, seed: int = 0, say: Callable[[str], None] = print,
            jackd: str = "jackd") -> dict:
    """Rows for each block (one jackd each, period = block) and each (window, watcher) case,
    ``notes`` notes at about ``rate_per_s`` a second. ``{"skipped": reason}`` without jackd or
    JACK MIDI."""
    from synthlearn.errors import AudioUnavailable
    from synthlearn.midi.ports import jack_midi_missing

    reason = jackd_missing(jackd) or jack_midi_missing()
    if reason is not None:
        return {"skipped": reason}
    pitches, waits = note_plan(notes, rate_per_s, seed)
    rows, jack_rt, failed = [], {}, {}
    for block in blocks:
        with contextlib.ExitStack() as stack:
            try:
                server = stack.enter_context(bench_jackd(block, sr=SR, jackd=jackd))
            except AudioUnavailable as exc:
                failed[str(block)] = str(exc)
                say(f"midi latency: block {block} skipped: {exc}")
                continue
            jack_rt[str(block)] = server.realtime
            playback = jack_playback_latency()
            for window, watcher in cases:
                say(f"midi latency: block {block}, window {'on' if window else 'off'}, watcher "
                    f"{'on' if watcher else 'off'}, {notes} notes at {rate_per_s:g}/s")
                try:
                    row = run_once(block, window, watcher, pitches, waits, playback, say)
                except NoJackMidi as exc:
                    return {"skipped": str(exc)}
                row["jack_realtime"] = server.realtime
                rows.append(row)
    if not rows:
        return {"skipped": "jackd did not start: " + "; ".join(failed.values())}
    return {"rows": rows, "notes": notes, "rate_per_s": rate_per_s, "seed": seed, "sr": SR,
            "jack_realtime": jack_rt, "failed_blocks": failed,
            "machine": {"python": platform.python_version(), "cores": os.cpu_count()}}


def run(*, quick: bool, say: Callable[[str], None] = print, jackd: str = "jackd") -> dict:
    """The bench section: full = blocks 256 and 64, window off and on, 100 notes at 5/s;
    quick = block 256, no window, 20 notes at 10/s. The port watcher runs, as in perform."""
    plan = QUICK if quick else FULL
    return measure(plan["blocks"], [(w, True) for w in plan["windows"]], notes=plan["notes"],
                   rate_per_s=plan["rate_per_s"], say=say, jackd=jackd)


def table(result: dict) -> list[str]:
    """The section's printed rows (plain text, aligned)."""
    if "skipped" in result:
        return [f"MIDI to audio on JACK: skipped ({result['skipped']})"]
    lines = [f"MIDI to audio on JACK (dummy driver, {result['sr']} Hz), {result['notes']} notes "
             f"at ~{result['rate_per_s']:g}/s into perform's virtual port; total = send->hook + "
             "fixed (engine block + limiter look-ahead + JACK playback)"]
    head = (f"{'block':>5} {'window':>6} {'watch':>5} {'hook/sent':>9} | "
            f"{'send->push ms p50/p95/p99/max':>29} | {'send->hook ms p50/p95/p99/max':>29} | "
            f"{'fixed ms':>8} | {'total p50/p99':>13} | {'late/blocks':>11}")
    lines += [head, "-" * len(head)]

    def q(d: dict) -> str:
        return "/".join(f"{d[k]:.1f}" for k in ("p50", "p95", "p99", "max")) if d else "-"

    for r in result["rows"]:
        t = r["total_ms"]
        total = f"{t['p50']:.1f}/{t['p99']:.1f}" if t else "-"
        late = f"{r['late_blocks']}/{r['blocks']}"
        got = f"{r['reached_hook']}/{r['notes_sent']}"
        lines.append(
            f"{r['block']:>5} {'on' if r['window'] else 'off':>6} "
            f"{'on' if r['watcher'] else 'off':>5} {got:>9} | "
            f"{q(r['send_to_push_ms']):>29} | {q(r['send_to_hook_ms']):>29} | "
            f"{r['fixed_after_hook_ms']:>8.2f} | {total:>13} | {late:>11}")
        if not r["in_order"]:
            lines.append("      notes reached the hook out of order or duplicated")
    for block, reason in result.get("failed_blocks", {}).items():
        lines.append(f"block {block}: skipped ({reason})")
    return lines
