"""Retraining on stage: late blocks on JACK while piece ruler relearns its biggest rule set.

Piece ruler plays its three synths on a JACK server of the bench's own (dummy driver) while the
console's worker retrains ``r = ruler blip-ivan.csv distance:3 consistency:0.2`` (1,909 rules)
again and again, as a performer might between phrases: the learning kernels release the GIL,
the rest holds it for at most a switch interval. Counted as the other real-time rows: late
blocks (a callback interval over two blocks), the interval's jitter, and a bare real-time
thread beside it as the machine's own control. The user tests are read from
``../shared/data/ruler`` (or ``$SYNTHLEARN_SHARED_DATA/ruler``); without them the section
says so and skips.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

SR = 48000
POLL_S = 0.02  # the main thread's turn: a retrain that ended is followed at once
DATA = "blip-ivan.csv"
LINE = "r = ruler {path} distance:3 consistency:0.2"


def data_path() -> Path | None:
    """Where the author's blip user test is, if anywhere here."""
    roots = [os.environ.get("SYNTHLEARN_SHARED_DATA"), Path.cwd() / ".." / "shared" / "data",
             Path(__file__).resolve().parents[3] / "shared" / "data"]
    for root in roots:
        if root and (Path(root) / "ruler" / DATA).is_file():
            return (Path(root) / "ruler" / DATA).resolve()
    return None


def run_row(block: int, seconds: float, path: Path, say=print, retrain: bool = True) -> dict:
    """``seconds`` of ruler on the running JACK server, retraining all the time (or, the
    row to compare with, only playing)."""
    from synthlearn.audio.engine import Engine
    from synthlearn.bench.blocks import RULER_PRESETS
    from synthlearn.bench.realtime import _finish_control, _start_control, jitter_ms
    from synthlearn.commands.console import Console
    from synthlearn.files import Folders
    from synthlearn.pieces import live_language
    from synthlearn.pieces.base import Context
    from synthlearn.pieces.ruler import Ruler
    from synthlearn.runtime.live import Driver, Watchdog
    from synthlearn.runtime.stage import Stage
    from synthlearn.runtime.worker import Worker

    engine = Engine("jack", sr=SR, block=block, seed=1, jack_client="synthlearn-bench")
    # the bench is the performer: it may read the data's folder (as perform --read DIR)
    piece = Ruler(seed=1, context=Context(files=Folders(reads=(path.parent,), base=path.parent)))
    stage = Stage(engine, piece)
    worker = Worker(say=say)
    replies: list[str] = []
    console = Console(live_language(Ruler), engine.push, engine.now_smp, stop=threading.Event(),
                      say=replies.append, stream=None, piece=lambda: stage.piece, worker=worker,
                      names=piece.names)
    submitted = [0]

    def next_retrain() -> None:
        if retrain and worker.done == submitted[0]:  # the last one is over: the next
            console.handle(LINE.format(path=path))
            submitted[0] += 1

    try:
        stage.play()
        for synth, values in RULER_PRESETS.items():
            piece.synths[synth].set(values)
        Ruler.warm_kernels()
        worker.start()
        with tempfile.TemporaryDirectory(prefix="synthlearn-retrain-") as folder:
            control = _start_control(engine.block_s, seconds, folder=Path(folder))
            watchdog = Watchdog(engine, say, after_s=2.0, limit_s=2.0)  # a row ends at once
            # the main thread waits (a turn every POLL_S); the worker learns
            driver = Driver(stage, watchdog, say=say, duration_s=seconds,
                            chores=[next_retrain], poll_s=POLL_S)
            driver.start()
            figures = driver.run()
            intervals, times = engine.callback_intervals_s(), engine.callback_times_s()
            control_figures = _finish_control(control, engine.block_s, intervals, times)
    finally:
        worker.close(timeout_s=30)
        engine.close()
    failed = [r for r in replies if r.startswith("?")]
    if failed:
        raise RuntimeError(f"a retrain failed: {failed[0]}")
    rules = len(piece.names["r"]["rules"]) if "r" in piece.names else 0
    return {"block": block, "seconds": seconds, "retraining": retrain, "retrains": worker.done,
            "rules": rules,
            "late_blocks": figures["late_blocks"], "blocks": figures["blocks"],
            "interval_ms": jitter_ms(intervals), "control": control_figures,
            "audio_lost": watchdog.lost}


def run(*, quick: bool, say=print, jackd: str = "jackd") -> dict:
    from synthlearn.bench.realtime import bench_jackd, jackd_missing
    from synthlearn.errors import AudioUnavailable

    reason = jackd_missing(jackd)
    path = data_path()
    if reason is None and path is None:
        reason = f"the author's {DATA} is not here (../shared/data/ruler, or set " \
                 "SYNTHLEARN_SHARED_DATA)"
    if reason is not None:
        return {"skipped": reason}
    # Each block: only playing, then retraining, alternating: the machine's noise changes over
    # minutes, so the row to compare with runs beside it.
    plan = ((256, 5.0, 1),) if quick else ((256, 15.0, 2), (64, 15.0, 2))
    rows = []
    for block, seconds, rounds in plan:
        try:
            with bench_jackd(block, jackd=jackd):
                for _ in range(rounds):
                    for retrain in (False, True):
                        say(f"retrain: block {block}, {seconds:g} s, "
                            + (f"relearning {DATA} at distance 3, consistency 0.2" if retrain
                               else "only playing"))
                        rows.append(run_row(block, seconds, path, say, retrain=retrain))
        except AudioUnavailable as exc:
            say(f"retrain: block {block} skipped: {exc}")
    if not rows:
        return {"skipped": "jackd did not start"}
    return {"data": str(path), "rows": rows}


def table(result: dict) -> list[str]:
    if "skipped" in result:
        return [f"retraining on JACK: skipped ({result['skipped']})"]
    lines = [f"{'block':>5} {'seconds':>7} {'doing':>10} {'retrains':>8} {'rules':>6} "
             f"{'late/blocks':>12} {'interval p99/max ms':>19} {'bare thread late':>16} "
             f"{'in its stalls':>13}"]
    for r in result["rows"]:
        iv, c = r["interval_ms"], r["control"] or {}
        doing = "retraining" if r["retraining"] else "playing"
        lines.append(f"{r['block']:>5} {r['seconds']:>7.0f} {doing:>10} {r['retrains']:>8} "
                     f"{r['rules']:>6} "
                     f"{r['late_blocks']:>5}/{r['blocks']:<6} "
                     f"{iv['p99']:>9.2f}/{iv['max']:<9.2f} {c.get('late', '-'):>16} "
                     f"{c.get('late_blocks_in_a_control_stall', '-'):>13}")
    return lines
