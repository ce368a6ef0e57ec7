"""``synthlearn bench``: the engine measured, and side by side with SuperCollider.

Sections (each a module with ``run(quick=..., say=...) -> dict`` and ``table(...)``):

- ``blocks``: per-block cost on a manual server, block 64..512 x workloads x both voice paths,
  held and after release (``synthlearn.bench.blocks``);
- ``costs``: the per-block kernels, the ldd learners, an ldd frame at 1280x720;
- ``qlearning``: how fast qmelody's agents learn: the notebook replayed over seeds, the default
  agents over 50 seeds, the cost of a note;
- ``startup``: a new process to its first block, numba cache cold and warm (the engine alone,
  and ``perform ldd`` on a JACK server of its own);
- ``scsynth``: the same additive workload rendered by scsynth in NRT mode, compute CPU ratio
  (skipped, with the reason, where scsynth is absent: it is a peer, never a dependency);
- ``realtime``: late blocks and callback jitter on JACK's dummy driver, with and without the
  window at 60 fps;
- ``midi_latency``: MIDI -> sound through JACK MIDI into perform's virtual port;
- ``retrain``: late blocks on JACK while piece ruler relearns 1,909 rules in its worker;
- ``ruler``: RuLer's learning time and rules on the author's four user tests, distance 2 and 3
  x consistency 0.2 and 0.5.

``run_bench`` runs them in that order and returns every figure plus a description of the
machine; ``targets`` checks the engine's goals against the figures. Compare ratios measured in
one run: the machine is shared and noisy.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys

SECTIONS = ("blocks", "costs", "qlearning", "startup", "scsynth", "realtime", "midi_latency",
            "retrain", "ruler")
_MODULES = {"scsynth": "peer"}  # the scsynth section lives in peer.py (scsynth.py drives it)


def section(name: str):
    return importlib.import_module(f"synthlearn.bench.{_MODULES.get(name, name)}")


def machine() -> dict:
    """What the figures were measured on."""
    import numba
    import numpy

    import synthlearn.audio  # noqa: F401  (it silences pyo's wx notice: imported before pyo)

    pyo = importlib.import_module("pyo")

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    from synthlearn.audio import denormals

    return {"cpu": cpu, "cores": os.cpu_count(), "machine": platform.machine(),
            "system": platform.platform(), "python": platform.python_version(),
            "pyo": ".".join(str(v) for v in pyo.getVersion()), "numba": numba.__version__,
            "numpy": numpy.__version__, "flush_to_zero": denormals.supported()}


def _blocks_run(quick: bool, say) -> tuple[list, dict]:
    result = section("blocks").run(quick=quick, say=say)
    return result["records"], result["samples"]


def run_bench(quick: bool = False, *, only: tuple[str, ...] = SECTIONS, out=print,
              say=None) -> tuple[dict, dict]:
    """(figures, block-cost samples for the plot). ``out`` prints the tables, ``say`` the
    progress lines (default: stderr)."""
    if say is None:
        def say(line: str) -> None:
            print(line, file=sys.stderr, flush=True)
    figures: dict = {"machine": machine(), "quick": quick, "sections": list(only)}
    samples: dict = {}
    for name in SECTIONS:
        if name not in only:
            continue
        say(f"bench: {name} ...")
        mod = section(name)
        if name == "blocks":
            figures["blocks"], samples = _blocks_run(quick, say)
            lines = mod.table(figures["blocks"])
        else:
            figures[name] = mod.run(quick=quick, say=say)
            lines = mod.table(figures[name])
        out(f"\n## {name}")
        for line in lines:
            out(line)
    figures["targets"] = targets(figures)
    out("\n## targets")
    for line in targets_table(figures["targets"]):
        out(line)
    return figures, samples


# -- the engine's goals, checked against the figures ----------------------------------------

def _record(figures, workload, voices, block):
    for r in figures.get("blocks", []):
        if (r["workload"], r["voices"], r["block"]) == (workload, voices, block):
            return r
    return None


def targets(figures: dict) -> list[dict]:
    """Each goal with its figure (None where its section did not run) and whether it is met."""
    found = []

    def add(name, figure, goal, met, unit="", note=None):
        found.append({"target": name, "figure": figure, "goal": goal, "unit": unit,
                      "met": None if figure is None else bool(met), "note": note})

    r = _record(figures, "ldd-16", "numba", 64)
    add("ldd-16 held, block 64: p99", r and r["p99_pct"], "<= 3", r and r["p99_pct"] <= 3, "%")
    r = _record(figures, "additive-256", "numba", 64)
    add("256 partials held, block 64: p50", r and r["p50_pct"], "<= 2",
        r and r["p50_pct"] <= 2, "%")
    rel = [r["released_over_held"] for r in figures.get("blocks", [])
           if "released_over_held" in r]
    add("released / held cost (worst, both voice paths)", max(rel) if rel else None, "<= 1.1",
        rel and max(rel) <= 1.1)
    firsts = [r["first_over_median"] for r in figures.get("blocks", [])]
    add("first block / median (worst, both voice paths)", max(firsts) if firsts else None,
        "<= 3",
        firsts and max(firsts) <= 3)
    peer = [r for r in figures.get("scsynth", {}).get("rows", []) if r["partials"] == 128]
    ratio = peer[0]["ratio"] if peer else None
    add("synthlearn / scsynth compute CPU, 128 partials", ratio, "<= 1.0 (stretch <= 0.5)",
        ratio is not None and ratio <= 1.0)
    rows = figures.get("realtime", {}).get("rows", [])
    for block, window in ((256, True), (64, False)):
        row = next((x for x in rows if x.get("block") == block and x.get("window") == window
                    and x.get("part") != "qmelody"), None)
        seconds = row and row.get("seconds")
        control = row and row.get("control")
        add(f"late blocks on JACK dummy, block {block}, "
            f"{'with' if window else 'without'} the window"
            + (f" ({seconds:g} s)" if seconds else ""),
            row and row["late_blocks"], "0", row and row["late_blocks"] == 0,
            note=control and (
                f"beside it a bare real-time thread with no audio was late {control['late']} "
                f"times; {control['late_blocks_in_a_control_stall']} of the late blocks fell in "
                "those same stalls"))
    from synthlearn.bench.ruler import seconds_of

    learned = figures.get("ruler", {})
    for test, goal_s in (("blip-julia", 5.0), ("blip-german", 1.0)):
        s = seconds_of(learned, test, 3, 0.2)
        add(f"RuLer {test}, distance 3, consistency 0.2: learning", s, f"<= {goal_s:g}",
            s is not None and s <= goal_s, " s")
    same = [r["same"] for r in learned.get("rows", [])]
    add("RuLer user tests: the rules as always", sum(same) if same else None,
        f"= {len(same)} cases" if same else "all cases", same and all(same))
    return found


def targets_table(found: list[dict]) -> list[str]:
    lines = []
    for t in found:
        mark = {True: "met", False: "MISSED", None: "not run"}[t["met"]]
        figure = "-" if t["figure"] is None else f"{t['figure']}{t['unit']}"
        lines.append(f"{t['target']:<62} {figure:>10}  goal {t['goal']:<24} {mark}")
        if t.get("note"):
            lines.append(f"    ({t['note']})")
    return lines
