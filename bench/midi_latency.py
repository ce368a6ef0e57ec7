"""MIDI-to-audio latency on JACK's dummy driver, with and without the ldd window.

One process, as in ``perform``: an Engine on JACK plays ldd (part 1), ``MidiPorts`` opens its
virtual ``synthlearn`` input on rtmidi/UNIX_JACK, and a mido UNIX_JACK output connected to that
input sends ``--notes`` upper notes (pitch >= 48: voiced and stepping the learner) at random
intervals around ``--rate`` per second from a sender thread, stamping ``perf_counter()`` just
before each send. Measured per note:

- send -> push: the rtmidi callback (rtmidi's JACK thread) hands the converted event to the
  engine's queue (the ``push`` given to MidiPorts is wrapped; the package is not touched);
- send -> hook: the audio hook hands the NOTE_ON to the piece (a bench-only Ldd subclass stamps
  it into a preallocated array).

After the hook the sound is fixed-delay: ``engine.latency_samples`` (one block + the limiter's
look-ahead) and JACK's playback latency (queried with ``jack_lsp -l system:playback_1``; the
dummy driver reports period x 2). total = send -> hook + both, an estimate of MIDI-to-audio.

MidiPorts' hot-plug watcher lists the JACK MIDI ports once a second, as in ``perform``;
``--watcher off`` sets the watch interval out of reach (a module constant; the package is not
edited) to see what the window alone costs.

jackd is started on the dummy driver for each block size (``-p`` = the block: pyo's JACK
backend runs once per period), or a running one is used if its buffer size matches. The main
thread either waits or draws the ldd scene in a 1280x720 window at 60 fps (SDL's dummy driver
when there is no display). "late" = a callback interval over two blocks.
Writes bench/results/midi_latency.json.

Run: python bench/midi_latency.py [--notes 200] [--rate 5] [--blocks 256,64] [--window both]
     [--watcher on|off|both]
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYO_GUI_WX", "0")

from synthlearn.audio import backends  # noqa: E402
from synthlearn.audio.engine import Engine  # noqa: E402
from synthlearn.audio.jackd import start_jackd  # noqa: E402
from synthlearn.events import Kind  # noqa: E402
from synthlearn.live import LiveWindow, run_main_thread, stop_and_measure  # noqa: E402
from synthlearn.midi import inputs  # noqa: E402
from synthlearn.midi.inputs import VIRTUAL_NAME, MidiPorts  # noqa: E402
from synthlearn.pieces.ldd import Ldd  # noqa: E402

SR = 48000
HOLD_S = 0.12  # each note's length (ldd has 16 voices; short notes never run out of them)
# MidiPorts also opens every JACK MIDI source whose name contains ``which`` (and not
# "synthlearn"); our own output is such a source and would then deliver every note twice.
NO_HARDWARE = "no-such-port-midi-latency-bench"
TAIL_S = 2.0  # after the last send, how long to wait for it to reach the hook at most


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

    def __init__(self, push, n: int):
        self.push = push
        self.push_s = np.zeros(n, np.float64)
        self.n = 0

    def __call__(self, event) -> None:
        if event.kind == Kind.NOTE_ON and self.n < len(self.push_s):
            self.push_s[self.n] = time.perf_counter()
            self.n += 1
        self.push(event)


def jack_playback_latency() -> int | None:
    """Frames of JACK's playback latency on system:playback_1 (None if it cannot be read)."""
    if shutil.which("jack_lsp") is None:
        return None
    out = subprocess.run(["jack_lsp", "-l", "system:playback_1"], capture_output=True,
                         text=True, timeout=10).stdout
    m = re.search(r"playback latency = \[ (\d+) (\d+) \]", out)
    return int(m[2]) if m else None


def jack_buffer_size() -> int | None:
    if shutil.which("jack_bufsize") is None:
        return None
    out = subprocess.run(["jack_bufsize"], capture_output=True, text=True, timeout=10).stdout
    return int(out.split()[0]) if out.strip() else None


def note_plan(n: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(pitches 48..83, waits in s before each note): intervals uniform in [0.5, 1.5] / rate,
    so sends fall anywhere in a JACK period."""
    rng = np.random.default_rng(seed)
    return rng.integers(48, 84, n), rng.uniform(0.5, 1.5, n) / rate


def send_notes(port, pitches, waits, sent_s: np.ndarray, done: threading.Event) -> None:
    """The performer: note on, HOLD_S later note off (velocity 0), then the next wait."""
    import mido

    try:
        for i, (note, wait_s) in enumerate(zip(pitches, waits, strict=True)):
            time.sleep(max(wait_s - HOLD_S, 0.0))
            on = mido.Message("note_on", note=int(note), velocity=100)
            off = mido.Message("note_on", note=int(note), velocity=0)
            sent_s[i] = time.perf_counter()
            port.send(on)
            time.sleep(HOLD_S)
            port.send(off)
    finally:
        done.set()


def percentiles_ms(x_s: np.ndarray) -> dict:
    if x_s.size == 0:
        return {}
    ms = x_s * 1e3
    return {"p50": round(float(np.median(ms)), 2),
            "p95": round(float(np.percentile(ms, 95)), 2),
            "p99": round(float(np.percentile(ms, 99)), 2),
            "max": round(float(ms.max()), 2)}


def run_once(block: int, window: bool, watcher: bool, pitches, waits,
             playback_frames: int | None) -> dict:
    import mido

    n = len(pitches)
    engine = Engine("jack", sr=SR, block=block, seed=0, jack_client="synthlearn-bench")
    piece = TimedLdd(n, seed=0)
    ports = win = out = None
    sent_s = np.zeros(n, np.float64)
    done = threading.Event()
    watch_every_s = inputs.WATCH_EVERY_S
    if not watcher:
        inputs.WATCH_EVERY_S = 1e9  # the watcher thread waits until close()
    try:
        engine.boot()
        engine.play(piece)
        # play() replaced the queue: take its push only now.
        push = TimedPush(engine.push, n)
        ports = MidiPorts(push, engine.now_smp, which=NO_HARDWARE, api="UNIX_JACK",
                          say=lambda line: print(line, file=sys.stderr)).start()
        if not ports.available:
            raise SystemExit("no JACK MIDI here (python-rtmidi without JACK?)")
        backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK", load=True)
        target = [p for p in backend.get_output_names() if p.rsplit(":", 1)[-1] == VIRTUAL_NAME]
        if len(target) != 1:
            raise SystemExit(f"expected one '{VIRTUAL_NAME}' input, got {target}")
        out = backend.open_output(target[0])  # rtmidi creates and connects its own port
        if window:
            win = LiveWindow(engine, size=(1280, 720), fps=60.0, title="synthlearn: bench",
                             video_source=None)
        engine.start()
        sender = threading.Thread(target=send_notes, args=(out, pitches, waits, sent_s, done),
                                  name="bench-sender", daemon=True)
        sender.start()
        deadline = [None]

        def until() -> bool:  # the sender is done and the last note reached the hook
            if not done.is_set():
                return False
            if deadline[0] is None:
                deadline[0] = time.perf_counter() + TAIL_S
            return piece.n_hook >= n or time.perf_counter() > deadline[0]

        run_main_thread(until, win)
        sender.join()
        figures = stop_and_measure(engine, win)
    finally:
        if ports is not None:
            ports.close()
        if out is not None:
            out.close()
        if win is not None:
            win.close()
        engine.close()
        inputs.WATCH_EVERY_S = watch_every_s
    got_hook, got_push = piece.n_hook, push.n
    if got_hook and not np.array_equal(piece.hook_note[:got_hook], pitches[:got_hook]):
        raise SystemExit("notes reached the hook out of order or duplicated")
    to_hook = piece.hook_s[:got_hook] - sent_s[:got_hook]
    to_push = push.push_s[:got_push] - sent_s[:got_push]
    both = min(got_hook, got_push)
    push_to_hook = piece.hook_s[:both] - push.push_s[:both]
    fixed_smp = engine.latency_samples
    row = {"block": block, "window": window, "watcher": watcher, "notes_sent": n,
           "reached_push": got_push, "reached_hook": got_hook,
           "send_to_push_ms": percentiles_ms(to_push), "send_to_hook_ms": percentiles_ms(to_hook),
           "push_to_hook_ms": percentiles_ms(push_to_hook),
           "engine_latency_samples": fixed_smp,
           "jack_playback_latency_frames": playback_frames, **figures}
    fixed_s = (fixed_smp + (playback_frames or 0)) / SR
    row["fixed_after_hook_ms"] = round(fixed_s * 1e3, 2)
    row["total_ms"] = percentiles_ms(to_hook + fixed_s)
    return row


def print_table(rows: list[dict]) -> None:
    head = (f"{'block':>5} {'window':>6} {'watch':>5} {'n':>4} | "
            f"{'send->push ms p50/p95/p99/max':>29} | {'send->hook ms p50/p95/p99/max':>29} | "
            f"{'fixed ms':>8} | {'total p50/p99':>13} | "
            f"{'late/blocks':>11}")
    print(head)
    print("-" * len(head))
    for r in rows:
        def q(d):
            return "/".join(f"{d[k]:.1f}" for k in ("p50", "p95", "p99", "max")) if d else "-"
        t = r["total_ms"]
        print(f"{r['block']:>5} {'on' if r['window'] else 'off':>6} "
              f"{'on' if r['watcher'] else 'off':>5} {r['reached_hook']:>4} | "
              f"{q(r['send_to_push_ms']):>29} | {q(r['send_to_hook_ms']):>29} | "
              f"{r['fixed_after_hook_ms']:>8.2f} | {t['p50']:>6.1f}/{t['p99']:<6.1f} | "
              f"{r['late_blocks']:>4}/{r['blocks']:<6}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--notes", type=int, default=200, help="notes per run (default 200)")
    p.add_argument("--rate", type=float, default=5.0, help="notes per second (default 5)")
    p.add_argument("--blocks", default="256,64", help="block sizes = jackd periods (256,64)")
    p.add_argument("--window", choices=("both", "on", "off"), default="both")
    p.add_argument("--watcher", choices=("both", "on", "off"), default="on",
                   help="MidiPorts' once-a-second port scan, as perform runs it (default on)")
    p.add_argument("--seed", type=int, default=0, help="seed of the pitches and intervals")
    args = p.parse_args()
    blocks = [int(b) for b in args.blocks.split(",")]
    choice = {"both": (False, True), "on": (True,), "off": (False,)}
    cases = [(w, s) for s in choice[args.watcher][::-1] for w in choice[args.window]]
    pitches, waits = note_plan(args.notes, args.rate, args.seed)
    rows, realtime = [], {}
    for block in blocks:
        server = None
        if backends.jack_running():
            running = jack_buffer_size()
            if running != block:
                print(f"a JACK server runs with period {running}: skipping block {block} "
                      "(stop it, or give --blocks to match)", file=sys.stderr)
                continue
        else:
            server = start_jackd("dummy", sr=SR, period=block)
            realtime[block] = server.realtime
        try:
            playback = jack_playback_latency()
            for window, watcher in cases:
                row = run_once(block, window, watcher, pitches, waits, playback)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
        finally:
            if server is not None:
                server.stop()
    print_table(rows)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "midi_latency.json").write_text(json.dumps(
        {"rows": rows, "notes": args.notes, "rate_per_s": args.rate, "sr": SR,
         "jack_realtime": realtime, "command": " ".join(["python", *sys.argv]),
         "machine": {"python": platform.python_version(), "cores": os.cpu_count()}},
        indent=1) + "\n")


if __name__ == "__main__":
    main()
