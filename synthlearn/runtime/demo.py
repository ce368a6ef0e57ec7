"""``synthlearn demo``: the built-in demo, played live where an audio device exists, else
rendered (and where the files went said)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from synthlearn.errors import UserError
from synthlearn.runtime.render import RenderOptions
from synthlearn.runtime.stopping import STALL_LIMIT_S


def demo_score() -> Path:
    """The demo's score (ldd, all four parts), shipped with the package."""
    return Path(str(resources.files("synthlearn") / "data" / "demo.toml"))


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def demo(out: str | Path, options: RenderOptions, *, audio: str = "auto",
         render_only: bool = False, window: bool = True,
         stall_limit_s: float = STALL_LIMIT_S, start_jack: str | None = None,
         say: Callable[[str], None] = _stderr) -> int:
    """Play the demo live on ``audio`` (with the window if asked and a display exists), or
    render it into ``out`` with ``options`` where no live audio plays (``audio`` "auto"),
    or when ``render_only``. ``start_jack``: a jackd driver ("alsa", "dummy") to start for a
    live run and stop after. ``options.duration_s``, ``video_source`` and ``voices`` serve
    both ways. Returns the exit code (1: the audio was lost)."""
    score = demo_score()
    if not render_only:
        played = _play_live(score, options, audio=audio, window=window,
                            stall_limit_s=stall_limit_s, start_jack=start_jack, say=say)
        if played is not None:
            return played
    from synthlearn.runtime.render import RenderProgress, print_summary, render

    out = Path(out)
    progress = RenderProgress()
    summary = render(score, out, options, progress=progress, say=progress.say)
    print_summary(summary, out)
    return 0


def _play_live(score: Path, options: RenderOptions, *, audio: str, window: bool,
               stall_limit_s: float, start_jack: str | None, say) -> int | None:
    """The live run's exit code, or None where no live audio plays (and ``audio`` is
    "auto": the demo renders instead, said)."""
    from synthlearn.audio import backends

    jack = None
    if start_jack is not None:
        from synthlearn.audio.jackd import start_jackd

        jack = start_jackd(start_jack)
        print(f"started jackd -d {start_jack}"
              + ("" if jack.realtime else " (without real-time priority: expect late blocks)"),
              file=sys.stderr)
    try:
        route = "jack" if jack else audio
        try:
            backends.resolve(route)
        except UserError as exc:
            if audio != "auto":
                raise
            print(f"no live audio here ({exc.args[0].split(';')[0]}); rendering the demo "
                  "instead", file=sys.stderr)
            return None
        from synthlearn.runtime.live import display_available
        from synthlearn.runtime.play import play

        window = window and display_available()
        print("playing the demo live" + (" with a window" if window else "")
              + " (Ctrl-C stops)", file=sys.stderr)
        result = play(score, route, duration_s=options.duration_s, window=window,
                      video_source=options.video_source, voices=options.voices,
                      stall_limit_s=stall_limit_s, say=say)
        if result["audio_lost"]:
            return 1
        print(f"played {result['duration_s']:.1f} s on {result['backend']}, "
              f"{result['late_blocks']} late blocks"
              + (f"; {result['frames_shown']} frames, frame p50 "
                 f"{result['frame_p50_ms']} ms, {result['frames_dropped']} dropped"
                 if window else ""))
        return 0
    finally:
        if jack is not None:
            jack.stop()
