"""MIDI-to-audio latency on JACK's dummy driver, with and without the ldd window.

One process, as in ``perform``: ldd on JACK, its virtual ``synthlearn`` MIDI input, and a mido
UNIX_JACK output sending ``--notes`` upper notes at random intervals around ``--rate`` a second;
each note is timed from the send to rtmidi's callback (push) and to the audio hook, and the
fixed delay after the hook (engine block + limiter look-ahead + JACK's playback buffer) is
added for MIDI-to-audio. Each block size gets a jackd of its own (dummy driver, ``-p`` = the
block). ``--watcher off`` stops MidiPorts' once-a-second port scan, to see what the window
alone costs. The library part is synthlearn.bench.midi_latency (the ``synthlearn bench``
section, which documents the measurement). Writes bench/results/midi_latency.json.

Run: python bench/midi_latency.py [--notes 200] [--rate 5] [--blocks 256,64] [--window both]
     [--watcher on|off|both]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from synthlearn.bench import midi_latency


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--notes", type=int, default=200, help="notes per run (default 200)")
    p.add_argument("--rate", type=float, default=5.0, help="notes per second (default 5)")
    p.add_argument("--blocks", default="256,64", help="block sizes = jackd periods (256,64)")
    p.add_argument("--window", choices=("both", "on", "off"), default="both")
    p.add_argument("--watcher", choices=("both", "on", "off"), default="on",
                   help="MidiPorts' once-a-second port scan, as perform runs it (default on)")
    p.add_argument("--seed", type=int, default=0, help="seed of the pitches and intervals")
    args = p.parse_args(argv)
    try:
        blocks = [int(b) for b in args.blocks.split(",")]
    except ValueError:
        p.error(f"--blocks {args.blocks!r}: expected block sizes separated by commas, e.g. 256,64")
    choice = {"both": (False, True), "on": (True,), "off": (False,)}
    cases = [(w, s) for s in choice[args.watcher][::-1] for w in choice[args.window]]
    result = midi_latency.measure(blocks, cases, notes=args.notes, rate_per_s=args.rate,
                                  seed=args.seed,
                                  say=lambda line: print(line, file=sys.stderr, flush=True))
    print(*midi_latency.table(result), sep="\n")
    if "skipped" in result:
        return 1
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "midi_latency.json").write_text(json.dumps(
        {**result, "command": " ".join(["python", *sys.argv])}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
