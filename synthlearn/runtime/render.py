"""Offline rendering: a score (or MIDI file) + seed -> audio.wav, summary.json and video.

The same engine, piece and block hook as a live performance, driven block by block as fast as
the machine allows. The WAV is written in chunks as it goes (readable if the render stops), and
video frames are drawn between blocks, on audio time, outside the timed block.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthlearn.commands.score import MAX_DURATION_S, read_score, schedule, split_off_audio
from synthlearn.errors import UserError
from synthlearn.files import for_score
from synthlearn.pieces import piece_class
from synthlearn.pieces.base import Context
from synthlearn.runtime.offhook import OffHook
from synthlearn.runtime.status_line import StatusLine

SIGNAL_RATE_HZ = 50.0
CHUNK_S = 0.5


@dataclass
class RenderOptions:
    piece: str | None = None  # overrides the score's piece (required for a bare MIDI file)
    seed: int | None = None  # overrides the score's seed
    faithful: bool | None = None
    duration_s: float | None = None
    sr: int = 48000
    block: int = 64
    video: bool = True
    width: int = 640
    height: int = 360
    fps: float = 30.0
    video_source: str | None = None  # a video file, "test" or "camera" (pieces that use video)
    voices: str = "numba"  # the voice path: numba (one kernel per pool) or pyo (the reference)


def _stats_us(costs_s: np.ndarray, block_s: float) -> dict:
    us = costs_s * 1e6
    med = float(np.median(us))
    return {
        "p50_us": round(med, 2),
        "p99_us": round(float(np.percentile(us, 99)), 2),
        "max_us": round(float(us.max()), 2),
        "first_us": round(float(us[0]), 2),
        "first_over_median": round(float(us[0]) / med, 2) if med > 0 else None,
        "p50_pct_of_block": round(100 * med / (block_s * 1e6), 3),
        "p99_pct_of_block": round(100 * float(np.percentile(us, 99)) / (block_s * 1e6), 3),
    }


def _db(x: float) -> float:
    return round(20 * math.log10(x), 2) if x > 0 else None


def render(
    input_path: str | Path,
    out_dir: str | Path,
    options: RenderOptions | None = None,
    progress: Callable[[float, float, float], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> dict:
    """Render ``input_path`` into ``out_dir``; return the summary (also written as JSON).

    Every input is checked before ``out_dir`` is touched, so a bad score destroys nothing.
    ``progress(done_s, total_s, wall_s)`` follows the render; ``say`` gets a line while numba
    compiles (a first run) and one when it is done.
    """
    from synthlearn.audio.formats import validate_format

    opt = options or RenderOptions()
    validate_format(opt.sr, opt.block)
    score = read_score(input_path)
    piece_name = opt.piece or score.piece
    if piece_name is None:
        raise UserError("which piece plays this? give --piece NAME (or piece = \"...\" in a "
                        "score)", source=str(input_path))
    if opt.piece and score.piece and opt.piece != score.piece:
        raise UserError(f"--piece {opt.piece} differs from the score's piece {score.piece!r}",
                        source=str(input_path))
    cls = piece_class(piece_name)
    events, duration_s = schedule(score, cls.language(), opt.sr)
    if opt.duration_s is not None:
        duration_s = opt.duration_s
    elif score.duration_s is None:
        duration_s = cls.default_duration_s(duration_s)
        if duration_s > MAX_DURATION_S:  # a small file may ask for years of sound
            what = "the MIDI file" if score.midi == score.path else "the score"
            raise UserError(f"{what} runs to {duration_s:,.0f} s, longer than the "
                            f"{MAX_DURATION_S / 3600:g} h a render lasts unless asked: give "
                            f"--duration SECONDS (at most {MAX_DURATION_S:g}) to render the "
                            "start of it", source=str(input_path))
    seed = score.seed if opt.seed is None else opt.seed
    faithful = score.faithful if opt.faithful is None else opt.faithful
    if opt.video and (opt.width % 8 or opt.height % 8 or opt.width < 64 or opt.height < 64):
        raise UserError(f"video size {opt.width}x{opt.height}: expected multiples of 8, "
                        "at least 64x64")

    source = None
    if opt.video and opt.video_source is not None:
        from synthlearn.visuals.sources import open_source

        source = open_source(opt.video_source, opt.width, opt.height)  # checked before writing

    out = Path(out_dir)
    made = not out.exists()
    replaced = prepare_out(out)
    try:
        return _render(input_path, out, opt, score, cls, piece_name, events, duration_s, seed,
                       faithful, source, replaced, progress, say)
    except UserError:  # a line of the score failed as it played: no half render is left
        discard_out(out, made)
        raise
    except OSError as exc:  # a full disk, a folder made read-only meanwhile
        where = exc.filename or out
        raise UserError(f"cannot write {where}: {exc.strerror or exc}") from None


RENDER_FILES = ("audio.wav", "summary.json", "video.mp4", "curves.csv", "curves.png")


def discard_out(out: Path, made: bool) -> None:
    """Remove what a failed render wrote in ``out`` (its own files only), and ``out`` itself if
    the render made it and nothing else is in it."""
    import contextlib

    for name in RENDER_FILES:
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()
    if made:
        with contextlib.suppress(OSError):  # not empty: the performer's files stay
            out.rmdir()


def prepare_out(out: Path) -> list[str]:
    """Make ``out`` ready for a render: a folder, writable, and without the files of an
    earlier render (a new render replaces the whole set: no old video beside a summary that
    says there is none). Returns the names removed."""
    from synthlearn.runtime.places import cannot_write_in

    if out.exists() and not out.is_dir():
        raise UserError("--out is a file, not a folder", source=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot make this folder: {exc.strerror or exc}",
                        source=str(out)) from None
    why = cannot_write_in(out)
    if why:
        raise UserError(f"cannot write in this folder: {why}", source=str(out))
    replaced = [name for name in RENDER_FILES if (out / name).is_file()]
    for name in replaced:
        (out / name).unlink()
    return replaced


def _render(input_path, out: Path, opt: RenderOptions, score, cls, piece_name: str, events,
            duration_s: float, seed: int, faithful: bool, source, replaced: list[str],
            progress, say) -> dict:
    from synthlearn.audio.engine import Engine
    from synthlearn.audio.wavfile import WavWriter
    from synthlearn.runtime.compiling import Compiling, compiling
    from synthlearn.runtime.stopping import StopRequest

    n_frames_total = round(duration_s * opt.sr)
    n_blocks = -(-n_frames_total // opt.block)
    engine = Engine("offline", sr=opt.sr, block=opt.block, seed=seed, voices=opt.voices)
    compiles = Compiling(say)  # a first run compiles the piece's kernels: said as it does
    kernels = f"the {piece_name} kernels"
    with compiles.watch(kernels):
        # reads by the score, writes in --out
        piece = cls(seed=seed, faithful=faithful,
                    context=Context(files=for_score(score.path, exports=out)))
    if score.midi is not None:
        piece.use_midi_file(score.midi)
    events, off_audio = split_off_audio(events)
    # commands that run outside the block hook (a retrain, a set): before the block their
    # stamp falls in (offhook.due: the rule live runs follow too), so renders stay
    # deterministic; a retrain's learner compiles the first time (said)
    off_hook = OffHook(off_audio, source=str(input_path), around=lambda: compiling(kernels, say))
    writer = video = scene = None
    stop = StopRequest()
    drawing = Compiling(say)  # what the frames drawn need, compiled as they need it
    try:
        with compiles.watch(kernels):  # every kernel the block hook calls, before any block
            engine.play(piece, events)
        compiles.done()
        writer = WavWriter(out / "audio.wav", opt.sr)
        if opt.video:
            from synthlearn.visuals.video import VideoWriter

            # No scene.warm(): drawing is outside the timed blocks and offline has no deadline,
            # so a drawing kernel compiles when a frame first needs it (a short render of
            # part 1 compiles part 1's alone).
            scene = piece.scene(engine, opt.width, opt.height, opt.fps, source=source)
            video = VideoWriter(out / "video.mp4", opt.width, opt.height, opt.fps)
        blocks_per_chunk = max(1, round(CHUNK_S * opt.sr / opt.block))
        chunk = np.zeros((blocks_per_chunk * opt.block, 2), np.float32)
        signal_every = max(1, round(opt.sr / opt.block / SIGNAL_RATE_HZ))
        signals: dict[str, list[float]] = {"t_s": []}
        sections = [{"time_s": 0.0, "name": piece.section}]
        peak = 0.0
        sum_sq = 0.0
        max_reduction_db = 0.0
        frames_drawn = 0
        written = 0
        wall0 = last_report = time.perf_counter()
        stop.install()  # Ctrl-C, SIGTERM: finish this block, then the files, then stop
        for b in range(n_blocks):
            i = b % blocks_per_chunk
            piece.main_tick(b * engine.block_s)
            off_hook.run_due(piece, b, opt.block)
            engine.process(chunk[i * opt.block:(i + 1) * opt.block])
            max_reduction_db = max(max_reduction_db, engine.limiter.gain_reduction_db)
            if piece.section != sections[-1]["name"]:
                sections.append({"time_s": round(piece.section_time_s, 6),
                                 "name": piece.section})
            if b % signal_every == 0:
                signals["t_s"].append(round(b * engine.block_s, 6))
                values = dict(piece.signals(), limiter_db=engine.limiter.gain_reduction_db)
                for key, value in values.items():
                    value = float(value)  # JSON has no NaN: a signal not yet defined is null
                    signals.setdefault(key, []).append(
                        round(value, 6) if math.isfinite(value) else None)
            end_s = (b + 1) * engine.block_s
            while scene is not None and frames_drawn / opt.fps < end_s and (
                frames_drawn / opt.fps < duration_s
            ):
                with drawing.watch(f"the {piece_name} drawing kernels"):
                    frame = scene.draw()
                video.write(frame)
                frames_drawn += 1
            last = b == n_blocks - 1 or stop.signal is not None
            if i == blocks_per_chunk - 1 or last:
                keep = min((i + 1) * opt.block, n_frames_total - written)
                part = chunk[:keep]
                writer.write(part)
                written += keep
                peak = max(peak, float(np.abs(part).max(initial=0.0)))
                sum_sq += float(np.square(part, dtype=np.float64).sum())
            if last:
                n_blocks = b + 1
                break
            now = time.perf_counter()
            if progress is not None and now - last_report >= 0.5:
                progress(end_s, duration_s, now - wall0)
                last_report = now
        wall_s = time.perf_counter() - wall0
        drawing.done()
        duration_s = min(duration_s, written / opt.sr)  # less if stopped
        costs = engine.block_costs_s()
        piece.main_tick(n_blocks * engine.block_s)  # what the last blocks finished
        series = piece.episode_series()
    finally:
        stop.restore()
        if writer is not None:
            writer.close()
        if video is not None:
            video.close()
        if scene is not None:
            scene.close()
        elif source is not None:
            source.close()
        engine.close()

    summary = {
        "piece": piece_name,
        "seed": seed,
        "faithful": faithful,
        "input": str(input_path),
        "sr": opt.sr,
        "block": opt.block,
        "voices": opt.voices,
        "duration_s": duration_s,
        "blocks": n_blocks,
        "frames_written": written,
        "video_frames": frames_drawn,
        "wall_s": round(wall_s, 3),
        "realtime_factor": round(duration_s / wall_s, 2) if wall_s > 0 else None,
        "block_cost": _stats_us(costs, engine.block_s),
        "peak_dbfs": _db(peak),
        "rms_dbfs": _db(math.sqrt(sum_sq / max(1, 2 * written))),
        "limiter_max_reduction_db": round(max_reduction_db, 2),
        "latency_samples": engine.latency_samples,
        "sections": sections,
        "signals": {**signals, **series},  # series: one value per episode, not per t_s
        "events": piece.log,  # what the piece did outside the hook: sets, retrains
        "files": {"audio": "audio.wav", "video": "video.mp4" if opt.video else None},
        "news": [*piece.news(), *filter(None, [engine.faults.report()])],  # said at the end
        "faults": engine.faults.count,  # exceptions the piece raised in its hook (a bug)
        "replaced": replaced,  # an earlier render's files in the folder, removed first
        "stopped_by": stop.name,  # SIGINT, SIGTERM: the files hold what came before
    }
    if series:
        from synthlearn.runtime.curves import write_curves

        summary["files"].update(write_curves(series, out))
    from synthlearn.runtime.sessions import write_atomic

    # all at once: a crash while writing leaves no half summary
    write_atomic(out / "summary.json", (json.dumps(summary, indent=1) + "\n").encode())
    return summary


# -- on a terminal (``synthlearn render`` and the demo's render) --------------------------------
class RenderProgress:
    """Render progress on stderr: one updating line on a terminal, a line per 5 s in a log."""

    def __init__(self) -> None:
        self.line = StatusLine(log_every_s=5.0)  # a log gets a line at once: it has begun

    def __call__(self, done_s: float, total_s: float, wall_s: float) -> None:
        speed = done_s / wall_s if wall_s > 0 else 0.0
        self.line.show(wall_s, f"rendering {done_s:7.1f} / {total_s:.1f} s  "
                               f"({100 * done_s / total_s:3.0f} %, {speed:.1f}x real time)")

    def say(self, line: str) -> None:
        """A line of its own between the updates (on a terminal, over the updating line)."""
        self.line.say(line)


def print_summary(summary: dict, out: Path) -> None:
    """What a render made, said: the line on stdout (duration, speed, block cost, peak), the
    piece's news on stderr, and the files written."""
    if sys.stderr.isatty():
        print(file=sys.stderr)
    cost = summary["block_cost"]
    print(f"rendered {summary['duration_s']:.1f} s of '{summary['piece']}' (seed "
          f"{summary['seed']}) in {summary['wall_s']:.1f} s, {summary['realtime_factor']}x real "
          f"time; offline block cost p50 {cost['p50_us']} us, p99 {cost['p99_us']} us"
          + (" (beside the video encoder; synthlearn bench measures real time)"
             if summary["files"]["video"] else "") + "; "
          + ("silent" if summary["peak_dbfs"] is None else f"peak {summary['peak_dbfs']} dBFS"))
    for line in summary.get("news", []):
        print(line, file=sys.stderr)
    if summary.get("replaced"):
        print(f"replaced the earlier render in {out} ({', '.join(summary['replaced'])})")
    files = [out / "audio.wav", out / "summary.json"]
    files += [out / name for key, name in summary["files"].items()
              if name and key not in ("audio", "summary")]
    print("wrote " + ", ".join(str(f) for f in files))


def render_on_terminal(input_path: str | Path, out: Path, options: RenderOptions) -> int:
    """``synthlearn render``: :func:`render` with its progress and summary on the terminal;
    the exit code (0, or the signal's that stopped it: the files hold what came before)."""
    from synthlearn.runtime.stopping import EXIT_CODES

    progress = RenderProgress()
    summary = render(input_path, out, options, progress=progress, say=progress.say)
    print_summary(summary, out)
    if summary["stopped_by"]:
        print(f"stopped by {summary['stopped_by']} at {summary['duration_s']:.1f} s: the files "
              "hold everything up to there", file=sys.stderr)
        return EXIT_CODES[summary["stopped_by"]]
    return 0
