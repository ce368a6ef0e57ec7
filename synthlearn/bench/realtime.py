"""Real time on JACK's dummy driver: late blocks and callback jitter, with and without the window.

Each row plays a busy ldd score live on a JACK server of the bench's own (``jackd -R -P 80 -d
dummy``, one per period, named ``synthlearn-bench-PERIOD`` so a server the user runs is never
touched)
and measures the audio thread's clock: blocks, late blocks ("late" = a callback interval over
two blocks), and the interval's p50 / p99 / max and standard deviation in ms. With the window
(1280x720 at 60 fps, ldd's scene over the test video pattern; SDL's dummy driver when there is
no display) it adds frames shown / dropped and the frame's draw time p50 / p99.

Workload: ldd part 4, the heavier of the two busy parts for audio plus window: the cubic learner
steps at 60 Hz the whole time (an upper note every 0.4 s, each held 1.2 s), each note adds a
bubble the gradients warp over the video, and a bass note every 4 s draws a new target and
clears the bubbles. Part 3 (knots over the RGB split) is available through :func:`measure`.
And qmelody (part ``"qmelody"``): its three agents learning an 8-note phrase in sixteenths at
160 bpm with their scene (piano rolls, Q heatmaps, curves), one agent practising 400 silent
episodes from 10 s, a ring copy every 4 episodes from 20 s.

Rows (full): block 256 without / with the window, then block 64 (``jackd -p 64``: pyo runs once
per JACK period) without / with it; then qmelody with the window at both blocks; 30 s each.
Quick: block 256 with the window and block 64
without, 3 s each. Targets: 0 late blocks at block 256 with the window, and at block 64
without.

A control runs beside every row and tells the machine's own lateness from synthlearn's: a bare
thread in a process of its own (no JACK, no pyo) on real-time priority, waking every period on
absolute deadlines (``synthlearn.bench.timer``). Its late wakes are counted the same way, and
so are the audio's late blocks that fall within 20 ms of one of them: the same stall of the
machine (on a virtual machine, its host preempting it), not of synthlearn.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from synthlearn.audio.jackd import JackServer

SR = 48000
SIZE = (1280, 720)
FPS = 60.0
PART = 4  # the busy ldd part the section plays (see the module docstring)
FULL_S, QUICK_S = 30.0, 3.0  # seconds per row


class Case(NamedTuple):
    """One row: block size (= jackd period, frames), the window on or off, the busy part (an
    ldd part, or "qmelody")."""

    block: int
    window: bool
    part: int | str = PART


# In the order they run; rows of one block share one jackd.
FULL_ROWS = (Case(256, False), Case(256, True), Case(256, True, "qmelody"), Case(64, False),
             Case(64, True), Case(64, True, "qmelody"))
QUICK_ROWS = (Case(256, True), Case(64, False))
TARGETS = ((256, True), (64, False))  # ldd rows that must show 0 late blocks
QMELODY_PHRASE = "c4,e4,g4,c5,e5,g5,e5,c5"  # sixteenths at 160 bpm: a note every 94 ms
WATCHDOG_S = 2.0  # no callback for this long: the server died; the row ends early


# -- the workload ---------------------------------------------------------------------------
def busy_score(folder: Path, part: int | str, seconds: float) -> Path:
    """Write ``part{part}.toml`` + ``.mid`` into ``folder``: ldd kept busy in ``part`` (3 or 4)
    for ``seconds``, or qmelody's agents learning; returns the score's path."""
    from synthlearn.midi.files import write_midi

    if part == "qmelody":
        score = folder / "qmelody.toml"
        score.write_text('piece = "qmelody"\nseed = 3\n'
                         '[[at]]\ntime = 0.0\ndo = "tempo 160"\n'
                         f'[[at]]\ntime = 0.0\ndo = "teach all {QMELODY_PHRASE}"\n'
                         '[[at]]\ntime = 10.0\ndo = "practice a2 400"\n'
                         '[[at]]\ntime = 20.0\ndo = "ring 4"\n')
        return score
    timeline = []
    t = 0.1
    while t < seconds:
        if part == 4:
            notes, dur, gap = [(60 + round(17 * ((t * 7.3) % 1)), 0.0)], 1.2, 0.4
            if int(t / 4) != int((t - gap) / 4):
                notes.append((36 + int(t) % 8, 0.0))  # a bass note: new target, bubbles cleared
        else:
            notes = [(40 + int(t) % 5, 0.0), (47 + int(t) % 5, 0.01), (64 + int(t) % 7, 0.3)]
            dur, gap = 2.2, 2.5
        for n, dt in notes:
            timeline += [(t + dt, n, 80), (t + dt + dur, n, 0)]
        t += gap
    write_midi(folder / f"part{part}.mid", timeline)
    score = folder / f"part{part}.toml"
    score.write_text(f'piece = "ldd"\nseed = 3\nmidi = "part{part}.mid"\n'
                     f'[[at]]\ntime = 0.0\ndo = "part {part}"\n')
    return score


# -- a JACK server of the bench's own ---------------------------------------------------------
def jackd_missing(jackd: str = "jackd") -> str | None:
    """Why ``jackd`` (a command name or a path) cannot run here, or None if it is found."""
    if shutil.which(jackd) is None:
        return f"{jackd} is not installed (Debian/Ubuntu: apt-get install jackd2)"
    return None


@contextlib.contextmanager
def _env(name: str, value: str | None) -> Iterator[None]:
    """``os.environ[name] = value`` (unset for None) inside the block, the old value after."""
    old = os.environ.get(name)
    try:
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


@contextlib.contextmanager
def bench_jackd(period: int, *, sr: int = SR, jackd: str = "jackd") -> Iterator[JackServer]:
    """A jackd of the bench's own on the dummy driver (``period`` frames at ``sr`` Hz), made the
    default server of this process and its children (JACK_DEFAULT_SERVER, read by libjack, pyo
    and synthlearn's probe) while it runs; yields the JackServer (``.realtime``).

    ``jackd`` is looked up on PATH, or is a path to a binary named jackd (its folder then goes
    first on PATH while it starts). Raises AudioUnavailable when it does not start.
    """
    from synthlearn.audio.jackd import start_jackd

    # The same name every run: JACK keeps a slot per server name until a server of that name
    # starts again, so names new each run would use JACK's few slots up after a crash.
    name = f"synthlearn-bench-{period}"
    found = shutil.which(jackd)
    path = os.environ.get("PATH", "")
    if found is not None and os.sep in jackd:
        path = os.path.dirname(found) + os.pathsep + path
    with _env("JACK_DEFAULT_SERVER", name):
        with _env("PATH", path):
            server = start_jackd("dummy", sr=sr, period=period, name=name)
        try:
            yield server
        finally:
            server.stop()


# -- one row --------------------------------------------------------------------------------
def _rt_threads() -> int:
    """Threads of this process on a real-time scheduling policy (JACK's client thread, when
    jackd runs with -R)."""
    rt = (os.SCHED_FIFO, os.SCHED_RR)
    count = 0
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):  # a thread that ended since the listing
            count += os.sched_getscheduler(int(tid)) in rt
    return count


def jitter_ms(intervals_s: np.ndarray) -> dict:
    """p50 / p99 / max / standard deviation (ms) of callback intervals (s)."""
    if intervals_s.size == 0:
        return {}
    ms = intervals_s * 1e3
    return {"p50": round(float(np.median(ms)), 3), "p99": round(float(np.percentile(ms, 99)), 3),
            "max": round(float(ms.max()), 3), "sd": round(float(ms.std()), 3)}


def late_times_s(intervals_s: np.ndarray, over_s: float, most: int = 8) -> list[float]:
    """When (s after start, callback time) the first ``most`` intervals over ``over_s`` ended."""
    ends_s = np.cumsum(intervals_s)
    return [round(float(t), 3) for t in ends_s[intervals_s > over_s][:most]]


def run_row(score: Path, *, block: int, window: bool, seconds: float, say=print) -> dict:
    """Play ``score`` on the running (default) JACK server for ``seconds`` of audio time, with
    or without the window, through the live driver (as ``perform`` and the demo do); the
    row's figures (intervals in ms, frame times in ms)."""
    from synthlearn.audio.engine import Engine
    from synthlearn.commands.score import read_score, schedule, split_off_audio
    from synthlearn.pieces import piece_class
    from synthlearn.runtime.live import Driver, LiveWindow, Watchdog, display_available
    from synthlearn.runtime.offhook import OffHook
    from synthlearn.runtime.stage import Stage

    if window and not display_available():
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYO_GUI_WX", "0")
    sc = read_score(score)
    cls = piece_class(sc.piece)
    engine = Engine("jack", sr=SR, block=block, seed=sc.seed, jack_client="synthlearn-bench")
    if engine.format_note:
        say(engine.format_note)
    events, off_audio = split_off_audio(schedule(sc, cls.language(), engine.sr)[0])
    win = None
    rt_threads = [0]
    try:
        engine.boot()
        stage = Stage(engine, cls(seed=sc.seed, faithful=sc.faithful))
        stage.play(events)
        if window:
            win = LiveWindow(stage, size=SIZE, fps=FPS, title="synthlearn: bench",
                             video_source="test")
        watchdog = Watchdog(engine, say, after_s=WATCHDOG_S, limit_s=WATCHDOG_S)  # ends at once

        def sample_rt_threads() -> None:
            if rt_threads[0] == 0 and engine.time_s > 0.5:
                rt_threads[0] = _rt_threads()  # sampled while JACK's thread runs our hook

        driver = Driver(stage, watchdog, say=say, duration_s=seconds,
                        off_hook=OffHook(off_audio, source=str(score)),
                        chores=[sample_rt_threads])
        t0 = time.perf_counter()
        control = _start_control(engine.block_s, seconds, folder=score.parent)
        driver.start()
        figures = driver.run(win)
        wall_s = time.perf_counter() - t0
        intervals = engine.callback_intervals_s()
        times = engine.callback_times_s()
    finally:
        if win is not None:
            win.close()
        engine.close()
    control_figures = _finish_control(control, engine.block_s, intervals, times)
    row = {"block": engine.block, "window": window, "seconds": seconds,
           "wall_s": round(wall_s, 3), "rt_threads": rt_threads[0],
           "audio_lost": watchdog.lost, **figures, "interval_ms": jitter_ms(intervals),
           "late_at_s": late_times_s(intervals, 2 * engine.block_s),
           "control": control_figures}
    row.pop("interval_p99_ms", None)  # in interval_ms
    return row


def _start_control(period_s: float, seconds: float, *, folder: Path):
    """The control (see the module docstring), in a process of its own, for ``seconds``."""
    import subprocess
    import sys

    out = folder / f"control-{time.monotonic_ns()}.npy"
    proc = subprocess.Popen([sys.executable, "-m", "synthlearn.bench.timer", repr(period_s),
                             repr(seconds), str(out)])
    return proc, out


def _finish_control(control, period_s: float, intervals: np.ndarray,
                    times: np.ndarray | None) -> dict | None:
    from synthlearn.bench.timer import coinciding, late_wakes

    proc, out = control
    try:
        proc.wait(timeout=60)
    except Exception:  # a control that cannot finish says nothing
        proc.kill()
        return None
    if proc.returncode != 0 or not out.exists():
        return None
    data = np.load(out, allow_pickle=False)
    realtime, wakes = bool(data[0]), data[1:]
    control_late = late_wakes(wakes, period_s)
    late_blocks = (times[1:][np.diff(times) > 2 * period_s] if times is not None
                   else np.zeros(0))
    return {"realtime": realtime, "ticks": int(wakes.size), "late": int(control_late.size),
            "interval_ms": jitter_ms(np.diff(wakes)),
            "late_blocks_in_a_control_stall": coinciding(late_blocks, control_late)}


# -- the section ----------------------------------------------------------------------------
def measure(cases: Sequence[Case], *, seconds: float, say: Callable[[str], None] = print,
            jackd: str = "jackd") -> dict:
    """Run ``cases``, ``seconds`` each: one jackd per block (period = block), started before
    that block's first row and stopped after its last; rows of a block keep their order.
    ``{"skipped": reason}`` when jackd is missing or no server would start."""
    from synthlearn.errors import AudioUnavailable

    reason = jackd_missing(jackd)
    if reason is not None:
        return {"skipped": reason}
    cases = [Case(*c) for c in cases]
    out_rows, jack_rt, failed = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="synthlearn-bench-") as folder:
        scores = {part: busy_score(Path(folder), part, seconds + 1.0)
                  for part in dict.fromkeys(c.part for c in cases)}
        for block in dict.fromkeys(c.block for c in cases):
            with contextlib.ExitStack() as stack:
                try:
                    server = stack.enter_context(bench_jackd(block, jackd=jackd))
                except AudioUnavailable as exc:
                    failed[str(block)] = str(exc)
                    say(f"realtime: block {block} skipped: {exc}")
                    continue
                jack_rt[str(block)] = server.realtime
                for case in [c for c in cases if c.block == block]:
                    say(f"realtime: block {block}, part {case.part}, window "
                        f"{'on' if case.window else 'off'}, {seconds:g} s "
                        f"(jackd {'-R' if server.realtime else '--no-realtime'})")
                    row = run_row(scores[case.part], block=block, window=case.window,
                                  seconds=seconds, say=say)
                    row.update(part=case.part, jack_realtime=server.realtime)
                    out_rows.append(row)
    if not out_rows:
        return {"skipped": "jackd did not start: " + "; ".join(failed.values())}
    return {"rows": out_rows, "parts": list(scores), "sr": SR, "seconds_per_row": seconds,
            "window": {"size": list(SIZE), "fps": FPS}, "jack_realtime": jack_rt,
            "failed_blocks": failed,
            "machine": {"python": platform.python_version(), "cores": os.cpu_count()}}


def run(*, quick: bool, say: Callable[[str], None] = print, jackd: str = "jackd") -> dict:
    """The bench section: full = block 256 and 64, each without and with the window, 30 s a
    row; quick = block 256 with the window and 64 without, 3 s a row. JSON-serialisable."""
    if quick:
        return measure(QUICK_ROWS, seconds=QUICK_S, say=say, jackd=jackd)
    return measure(FULL_ROWS, seconds=FULL_S, say=say, jackd=jackd)


def _target(row: dict) -> str:
    if (row["block"], row["window"]) not in TARGETS or row.get("part") == "qmelody":
        return ""
    return "0 late: met" if row["late_blocks"] == 0 else f"0 late: MISSED ({row['late_blocks']})"


def table(result: dict) -> list[str]:
    """The section's printed rows (plain text, aligned)."""
    if "skipped" in result:
        return [f"real time on JACK: skipped ({result['skipped']})"]
    parts = ", ".join(f"ldd part {p}" if isinstance(p, int) else p for p in result["parts"])
    lines = [f"real time on JACK (dummy driver, {result['sr']} Hz), {parts} "
             f"busy, {result['seconds_per_row']:g} s a row; late = callback interval over two "
             f"blocks; window {result['window']['size'][0]}x{result['window']['size'][1]} at "
             f"{result['window']['fps']:g} fps"]
    head = (f"{'block':>5} {'ms':>5} {'part':>7} {'window':>6} | {'late/blocks':>12} | "
            f"{'interval ms p50/p99/max':>23} {'sd':>6} | {'frames shown/drop':>17} "
            f"{'frame p50/p99':>13} | {'jackd':>5} {'rt thr':>6} | target")
    lines += [head, "-" * len(head)]
    for r in result["rows"]:
        iv = r["interval_ms"]
        ivs = f"{iv['p50']:.2f}/{iv['p99']:.2f}/{iv['max']:.2f}" if iv else "-"
        sd = f"{iv['sd']:.3f}" if iv else "-"
        if r["window"]:
            frames = f"{r['frames_shown']}/{r['frames_dropped']}"
            ft = (f"{r['frame_p50_ms']:.1f}/{r['frame_p99_ms']:.1f}"
                  if "frame_p50_ms" in r else "-")
        else:
            frames = ft = "-"
        late = f"{r['late_blocks']}/{r['blocks']}"
        lines.append(
            f"{r['block']:>5} {1e3 * r['block'] / result['sr']:>5.2f} {r['part']:>7} "
            f"{'on' if r['window'] else 'off':>6} | {late:>12} | {ivs:>23} {sd:>6} | "
            f"{frames:>17} {ft:>13} | {'-R' if r['jack_realtime'] else 'no-RT':>5} "
            f"{r['rt_threads']:>6} | {_target(r)}")
        if r.get("late_at_s"):
            more = " ..." if len(r["late_at_s"]) < r["late_blocks"] else ""
            lines.append("      late blocks at " + ", ".join(f"{t:.2f}" for t in r["late_at_s"])
                         + f"{more} s")
        if r.get("audio_lost"):
            lines.append(f"      audio lost: {r['audio_lost']}")
        c = r.get("control")
        if c:
            lines.append(f"      control beside it (a bare {'real-time ' if c['realtime'] else ''}"
                         f"thread, no audio): {c['late']} late of {c['ticks']}; late blocks in "
                         f"the same stalls: {c['late_blocks_in_a_control_stall']} of "
                         f"{r['late_blocks']}")
    for block, reason in result.get("failed_blocks", {}).items():
        lines.append(f"block {block}: skipped ({reason})")
    return lines
