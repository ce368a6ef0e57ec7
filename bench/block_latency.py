"""Per-block cost of the engine: workloads x block sizes x both voice paths, held and released.
Writes bench/results/block_latency.json and .png (the same figures as
``synthlearn bench --only blocks``).

Run: python bench/block_latency.py [--quick]
"""

import argparse
from pathlib import Path

from synthlearn.bench import run_bench
from synthlearn.bench.report import plot, write_json


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    figures, samples = run_bench(quick=args.quick, only=("blocks",))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    write_json(figures, out / "block_latency.json")
    plot(samples, out / "block_latency.png")


if __name__ == "__main__":
    main()
