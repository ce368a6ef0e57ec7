"""Audio on a real-time clock with and without the ldd window: late blocks and callback jitter.

Starts a jackd of its own on the dummy driver (no sound card; ``-p`` = ``--block``) and plays a
busy ldd score live for ``--seconds`` a row: part 3 (knots over video with the RGB split) or
part 4 (the cubic over video with bubbles: an upper note every 0.4 s, each held 1.2 s, so about
three bubbles live and the learner steps all the time). Each part runs without a window, then
with a 1280x720 window at 60 fps (SDL's dummy driver when there is no display); ``--rounds``
alternations so both see the same machine. The library part is synthlearn.bench.realtime (the
``synthlearn bench`` section). Writes bench/results/ldd_live.json. "late" = a callback interval
over two blocks.

Run: python bench/ldd_live.py [--seconds 10] [--rounds 2] [--block 256]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from synthlearn.bench import realtime


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10.0, help="seconds per row (default 10)")
    p.add_argument("--rounds", type=int, default=2, help="alternations (default 2)")
    p.add_argument("--block", type=int, default=256, help="block = jackd period (default 256)")
    args = p.parse_args(argv)
    cases = [realtime.Case(args.block, window, part)
             for _ in range(args.rounds) for part in (3, 4) for window in (False, True)]
    result = realtime.measure(cases, seconds=args.seconds,
                              say=lambda line: print(line, file=sys.stderr, flush=True))
    print(*realtime.table(result), sep="\n")
    if "skipped" in result:
        return 1
    per_round = len(cases) // args.rounds
    for i, row in enumerate(result["rows"]):  # one block: the rows keep the cases' order
        row["round"] = i // per_round
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "ldd_live.json").write_text(json.dumps(
        {**result, "block": args.block,
         "jack_realtime": result["jack_realtime"].get(str(args.block))}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
