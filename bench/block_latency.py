"""Per-block cost of the engine at several block sizes; writes bench/results/block_latency.json.

Run: python bench/block_latency.py [--quick]
"""

import argparse
import json
import platform
from pathlib import Path

from synthlearn.bench import run_bench


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    result = run_bench(quick=args.quick)
    result["machine"] = {"python": platform.python_version(), "cpu": platform.processor()}
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "block_latency.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
