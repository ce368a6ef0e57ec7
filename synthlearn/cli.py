"""synthlearn: perform machine learning as music.

Commands: demo, render, perform, ruler, check-synth, devices and bench.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from synthlearn import __version__
from synthlearn.commands.printable import printable
from synthlearn.commands.score import MAX_DURATION_S
from synthlearn.errors import UserError
from synthlearn.runtime.stopping import STALL_LIMIT_S


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), like every other user error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def demo_score() -> Path:
    """The demo's score (:func:`synthlearn.runtime.demo.demo_score`)."""
    from synthlearn.runtime.demo import demo_score

    return demo_score()


# -- argument types: each turns one string into a checked value, or says why not ------------

def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1280x720") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be above 0")
    if w > MAX_SIZE[0] or h > MAX_SIZE[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: expected at most {MAX_SIZE[0]}x"
                                         f"{MAX_SIZE[1]}")
    return w, h


def _positive(what: str, most: float | None = None):
    """An argparse type: a finite number above 0 (and at most ``most``)."""
    def convert(text: str) -> float:
        import math

        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {what}") from None
        if not math.isfinite(value) or value <= 0 or (most is not None and value > most):
            within = f"above 0 and at most {most:g}" if most is not None else "above 0"
            raise argparse.ArgumentTypeError(f"{text!r}: expected a finite number of {what} "
                                             + within)
        return value
    convert.__name__ = what  # argparse names the type in its messages
    return convert


AUDIO_CHOICES = ("auto", "jack", "pipewire", "portaudio")  # backends.LIVE_CHOICES, kept light
AUDIO_HELP = ("auto (default: a running JACK server, then PipeWire, then ALSA's default), jack "
              "(jackd, or PipeWire's JACK), pipewire, or portaudio (ALSA's default)")
MAX_FPS = 240.0  # video and window frame rates: more only burns the cores the audio needs
MAX_SIZE = (7680, 4320)  # 8K: a bigger frame is a typo, and its buffers would not fit
_seconds = _positive("seconds", most=MAX_DURATION_S)
_fps = _positive("frames per second", most=MAX_FPS)


def _zero_or_more(what: str, least: int = 0):
    """An argparse type: a whole number, ``least`` or more (``what`` names it in the
    refusal)."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{text!r}: {what} is {least} or more")
        return value
    convert.__name__ = what
    return convert


_seed = _zero_or_more("a seed")


def _folder(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty name: expected a folder")
    return text


def _osc_address(text: str) -> tuple[str, int]:
    from synthlearn.commands.osc import parse_address

    try:
        return parse_address(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _osc_allow(text: str) -> tuple[str, ...]:
    from synthlearn.commands.osc import parse_allow

    try:
        return parse_allow(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _osc_may(text: str) -> tuple[str, ...]:
    from synthlearn.commands.osc import parse_may

    try:
        return parse_may(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _midi(text: str):
    from synthlearn.midi.source import midi_source

    try:
        return midi_source(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _piece_names(*, planned: bool = False) -> list[str]:
    """The pieces built (and, for argparse's choices, those planned: naming one gets the
    piece's own answer, that it is not built yet)."""
    from synthlearn.pieces import PIECES, PLANNED

    return sorted(PIECES) + (list(PLANNED) if planned else [])


def _formats(p: argparse.ArgumentParser, *, block: int, block_help: str = "") -> None:
    from synthlearn.audio.formats import BLOCK_SIZES, SAMPLE_RATES

    p.add_argument("--sr", type=int, default=48000, choices=SAMPLE_RATES, metavar="HZ",
                   help="sample rate in Hz (default 48000; " + "|".join(map(str, SAMPLE_RATES))
                   + ")")
    p.add_argument("--block", type=int, default=block, choices=BLOCK_SIZES, metavar="N",
                   help=f"block size in samples (default {block}; powers of two 16..2048)"
                   + block_help)


def _add_voices_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--voices", choices=("numba", "pyo"), default="numba",
                   help="how partials are rendered: numba (one kernel per voice pool, default) "
                        "or pyo (a pyo Sine per partial: the reference, about 10x the cost)")


def _add_render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=_seed, help="random seed (default: the score's, else 0)")
    _formats(p, block=64)
    p.add_argument("--no-video", action="store_true", help="write no video")
    p.add_argument("--size", type=_size, default=(640, 360), help="video size (default 640x360)")
    p.add_argument("--fps", type=_fps, default=30.0,
                   help="video frame rate (default 30)")
    _add_voices_option(p)
    p.add_argument("--video", metavar="SOURCE",
                   help="video under the visuals (pieces that use it, e.g. ldd parts 3-4): a "
                        "video FILE, 'camera' or 'test' (default: a moving test pattern)")


def _render_options(args, **extra):
    from synthlearn.runtime.render import RenderOptions

    return RenderOptions(
        seed=args.seed, sr=args.sr, block=args.block, video=not args.no_video,
        width=args.size[0], height=args.size[1], fps=args.fps, video_source=args.video,
        voices=args.voices, **extra,
    )


def cmd_render(args) -> int:
    from synthlearn.runtime.render import render_on_terminal

    out = Path(args.out) if args.out else Path("out") / Path(args.input).stem
    return render_on_terminal(args.input, out, _render_options(
        args, piece=args.piece, faithful=args.faithful or None, duration_s=args.duration))


def _say(line: str) -> None:
    """A performance's lines, on stderr, with control characters shown escaped."""
    print(printable(line), file=sys.stderr, flush=True)


def _add_stall_option(p) -> None:
    p.add_argument("--stall-limit", type=_seconds, default=STALL_LIMIT_S, metavar="SECONDS",
                   help="how long a silent audio server is waited for before the show ends: "
                        "a stalled one plays on when it wakes, a dead JACK server that comes "
                        f"back under its name is rejoined (default {STALL_LIMIT_S:g})")


def cmd_demo(args) -> int:
    from synthlearn.runtime.demo import demo

    return demo(args.out, _render_options(args, duration_s=args.duration), audio=args.audio,
                render_only=args.render, window=not args.no_window,
                stall_limit_s=args.stall_limit,
                start_jack=args.jack_driver if args.start_jack else None)


def cmd_devices(args) -> int:
    from synthlearn.audio.devices import audio_report
    from synthlearn.midi.inputs import inputs_report

    lines, chosen = audio_report()
    for line in lines + inputs_report(chosen is not None and chosen.backend == "jack"):
        print(line)
    return 0


def _sections(text: str) -> tuple[str, ...]:
    from synthlearn.bench import SECTIONS

    names = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in names if s not in SECTIONS]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected sections among {', '.join(SECTIONS)}, comma-separated")
    return names


def cmd_bench(args) -> int:
    from synthlearn.bench import SECTIONS, run_bench
    from synthlearn.bench.report import plot, write_json

    plot_path = args.plot or (str(Path(args.json).with_suffix(".png")) if args.json else None)
    for path in (args.json, plot_path):  # a bad place fails now, not after the run
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise UserError(f"{path}: its folder does not exist")
    figures, samples = run_bench(quick=args.quick, only=args.only or SECTIONS)
    if args.json:
        write_json(figures, args.json)
        print(f"\nwrote {args.json}")
    if plot_path and samples:
        plot(samples, plot_path)
        print(f"wrote {plot_path}")
    return 0


def cmd_perform(args) -> int:
    from synthlearn.runtime.perform import (
        OscOptions,
        PerformOptions,
        SessionOptions,
        WindowOptions,
        perform,
    )

    result = perform(PerformOptions(
        piece=args.piece, seed=args.seed, faithful=args.faithful, audio=args.audio,
        sr=args.sr, block=args.block, voices=args.voices, midi=args.midi,
        console_in=not args.no_console, record=args.record, force=args.force,
        duration_s=args.duration, stall_limit_s=args.stall_limit, synths=args.synths,
        window=WindowOptions(show=not args.no_window, size=args.size, video_source=args.video),
        osc=OscOptions(listen=args.osc_in, send=args.osc_out, may=args.osc_may,
                       allow=args.osc_allow),
        session=SessionOptions(folder=args.session, resume=args.resume,
                               read_dirs=tuple(args.read), exports=args.exports),
    ), say=_say)
    print(f"performed on {result['backend']}: {result['blocks']} blocks, "
          f"{result['late_blocks']} late, "
          + (f"MIDI from {args.midi.value} ({result['midi_scheduled']} events)"
             if result["midi_scheduled"] else f"{result['midi_received']} MIDI events received")
          + (f"; {result['frames_shown']} frames shown, {result['frames_dropped']} dropped"
             if "frames_shown" in result else "")
          + (f"; recorded {result['recorded_s']:.1f} s to {result['recorded_to']}"
             + (f" (then: {result['recording_failed']})" if result["recording_failed"] else "")
             if args.record else ""))
    # The show ended because the audio died, or its last save failed (said above).
    return 1 if result["audio_lost"] or result["save_failed"] else 0


def cmd_check_synth(args) -> int:
    from synthlearn.audio import synths
    from synthlearn.audio.synth_files import describe, load_file
    from synthlearn.pieces.checks import check_synth

    name = load_file(Path(args.file), register=synths.register)
    print(f"synth {name}: {describe(name)}")
    try:
        check_synth(name)
    except AssertionError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.file}: synth {name} passes the checks")
    return 0


def cmd_ruler(args) -> int:
    from synthlearn.runtime.rules import ruler_report

    for line in ruler_report(args.data, distance=args.distance, consistency=args.consistency,
                             memory_mb=args.memory_mb, time_s=args.time_s, as_json=args.json,
                             check=args.check):
        print(line)
    return 0


def _consistency(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number within 0..1")
    return value


_distance = _zero_or_more("a distance")
# learners.ruler's DEFAULT_MEMORY_MB and DEFAULT_TIME_S, kept light (numba loads with it)
RULER_MEMORY_MB, RULER_TIME_S = 1024, 60.0


_megabytes = _zero_or_more("a memory budget in MB", least=1)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="synthlearn", description=__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"synthlearn {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    d = sub.add_parser("demo", help="play the built-in demo live, or render it without audio")
    d.add_argument("--out", default="out", type=_folder,
                   help="where a rendered demo goes (default out/)")
    d.add_argument("--audio", default="auto", choices=AUDIO_CHOICES,
                   help=AUDIO_HELP)
    d.add_argument("--render", action="store_true", help="render even if audio could play")
    d.add_argument("--duration", type=_seconds, help="stop after this many seconds")
    _add_stall_option(d)
    d.add_argument("--start-jack", action="store_true",
                   help="start jackd for this run (synthlearn never starts it otherwise)")
    d.add_argument("--jack-driver", default="alsa", choices=("alsa", "dummy"),
                   help="jackd driver for --start-jack (dummy: no sound card)")
    d.add_argument("--no-window", action="store_true",
                   help="play live without the window (no window where there is no display)")
    _add_render_options(d)
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("render", help="render a score (.toml) or MIDI file (.mid) to WAV + video")
    r.add_argument("input", help="score.toml, or a MIDI file with --piece")
    r.add_argument("--piece", choices=_piece_names(planned=True), metavar="PIECE",
                   help="the piece that plays a MIDI file: " + ", ".join(_piece_names()))
    r.add_argument("--out", type=_folder, help="output folder (default out/<input name>)")
    r.add_argument("--faithful", action="store_true", help="the original's behaviour")
    r.add_argument("--duration", type=_seconds,
                   help="seconds to render (default: the score's)")
    _add_render_options(r)
    r.set_defaults(func=cmd_render)

    v = sub.add_parser("devices", help="audio and MIDI devices, and why none where none")
    v.set_defaults(func=cmd_devices)

    b = sub.add_parser("bench", help="the engine measured: block costs, start-up, real time, "
                                     "MIDI latency, and side by side with SuperCollider")
    b.add_argument("--quick", action="store_true",
                   help="a smoke run under a minute: fewer sizes, shorter runs")
    b.add_argument("--json", metavar="FILE", help="write every figure to FILE (JSON)")
    b.add_argument("--plot", metavar="FILE.png",
                   help="the block-cost distributions as a PNG (default: next to --json)")
    b.add_argument("--only", type=_sections, metavar="SECTIONS",
                   help="run only these, e.g. blocks,scsynth (blocks, costs, qlearning, "
                        "startup, scsynth, realtime, midi_latency, retrain)")
    b.set_defaults(func=cmd_bench)

    f = sub.add_parser("perform", help="perform live: MIDI in, keyboard, console, window")
    f.add_argument("piece", nargs="?", choices=_piece_names(planned=True), metavar="PIECE",
                   help="the piece: " + ", ".join(_piece_names())
                   + " (default ldd, or the one --resume continues)")
    f.add_argument("--audio", default="auto", choices=AUDIO_CHOICES,
                   help=AUDIO_HELP)
    f.add_argument("--midi", default="all", type=_midi, metavar="SOURCE",
                   help="all (every port + a virtual 'synthlearn' port), NAME (ports whose name "
                        "contains it), FILE.mid (played as if live), keyboard, none")
    _formats(f, block=256, block_help="; PipeWire is asked for it; a jackd server's period "
             "and rate rule")
    f.add_argument("--record", metavar="FILE.wav",
                   help="record the master output (an existing FILE is kept: the take goes to "
                        "FILE-2.wav, ... unless --force)")
    f.add_argument("--force", action="store_true", help="let --record overwrite its file")
    f.add_argument("--duration", type=_seconds, help="stop after this many seconds")
    f.add_argument("--no-window", action="store_true", help="no window (no keyboard piano)")
    f.add_argument("--no-console", action="store_true", help="do not read commands from stdin")
    f.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    f.add_argument("--faithful", action="store_true", help="the original's behaviour")
    f.add_argument("--size", type=_size, default=(1280, 720), help="window size (1280x720)")
    f.add_argument("--video", metavar="SOURCE", help="video FILE, 'camera' or 'test'")
    _add_voices_option(f)
    where = f.add_mutually_exclusive_group()
    where.add_argument("--session", metavar="DIR",
                       help="autosave what is learned here (default: a new folder under "
                            "$XDG_DATA_HOME/synthlearn/sessions, i.e. ~/.local/share/...)")
    where.add_argument("--resume", metavar="DIR",
                       help="continue a saved session exactly where it was (and keep saving "
                            "there)")
    f.add_argument("--osc-in", metavar="[HOST:]PORT", type=_osc_address,
                   help="take commands over OSC: /synthlearn/do \"LINE\" or "
                        "/synthlearn/COMMAND ARGS (host 127.0.0.1 unless given)")
    f.add_argument("--osc-may", metavar="show,read,write", type=_osc_may, default=(),
                   help="what OSC senders may do beyond playing and setting: show (quit, "
                        "piece, reset), read (files), write (files); default none")
    f.add_argument("--osc-allow", metavar="HOST[,HOST...]", type=_osc_allow,
                   help="the only senders --osc-in takes packets from (needed when it listens "
                        "beyond this machine, e.g. 0.0.0.0)")
    f.add_argument("--osc-out", metavar="[HOST:]PORT", type=_osc_address,
                   help="send learner signals (/synthlearn/loss, ...) as OSC to this port")
    f.add_argument("--read", metavar="DIR", action="append", default=[],
                   help="a folder commands may read files from, beside the working directory, "
                        "the session and the shipped data (repeat for more)")
    _add_stall_option(f)
    f.add_argument("--exports", metavar="DIR",
                   help="where commands write files (presets ...): default the session's "
                        "exports/ folder; never over a file")
    f.add_argument("--synths", metavar="DIR",
                   help="load your own synths: every DIR/NAME.py defining PARAMS and build(p) "
                        "(see presets/README.md); one that fails is one line, left out")
    f.set_defaults(func=cmd_perform)

    c = sub.add_parser("check-synth", help="check a synth file of your own (PARAMS, build): "
                       "silent until set, every parameter heard, safe at its range's corners")
    c.add_argument("file", metavar="NAME.py", help="the synth file")
    c.set_defaults(func=cmd_check_synth)

    u = sub.add_parser("ruler", help="RuLer rules from labeled presets (a CSV, label last)")
    u.add_argument("data", metavar="DATA.csv", help="presets: a header, then one per row")
    u.add_argument("--distance", type=_distance, default=2,
                   help="how many parameters two rules may differ in to be joined (default 2)")
    u.add_argument("--consistency", type=_consistency, default=0.5,
                   help="the share of a new rule's presets that must be training presets of "
                        "its label, 0..1 (default 0.5)")
    u.add_argument("--memory-mb", type=_megabytes, default=RULER_MEMORY_MB, metavar="MB",
                   help="stop learning (exit 2) before its arrays and rules would pass this "
                        f"many MB (default {RULER_MEMORY_MB})")
    u.add_argument("--time-s", type=_positive("seconds"), default=RULER_TIME_S, metavar="S",
                   help=f"stop learning (exit 2) after this many seconds (default "
                        f"{RULER_TIME_S:g})")
    u.add_argument("--json", action="store_true", help="JSON on stdout instead of a table")
    u.add_argument("--check", action="store_true",
                   help="then how well the rules generalise, per label: each training preset "
                        "left out in turn (right, wrong, unknown) and how far the new presets "
                        "stray from the training data")
    u.set_defaults(func=cmd_ruler)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except UserError as exc:
        print(printable(f"synthlearn {args.command}: error: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 130
