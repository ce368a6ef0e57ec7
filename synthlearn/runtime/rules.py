"""``synthlearn ruler``: RuLer rules learned from a labeled preset table, shown as a table or
JSON, a long fit said on stderr as it goes."""

from __future__ import annotations

import json
import time
from pathlib import Path

from synthlearn.commands.printable import printable
from synthlearn.errors import UserError
from synthlearn.runtime.status_line import StatusLine


class FitProgress:
    """A long RuLer fit, said on stderr (stdout carries the table or the JSON): on a terminal
    one line redrawn at most every ``TTY_EVERY_S`` (a bar for the share of the pass's step
    done), else a line every ``LOG_EVERY_S``; nothing for a fit over within ``QUIET_S``. Its
    times are the fit's own (``Progress.seconds``)."""

    QUIET_S, TTY_EVERY_S, LOG_EVERY_S = 1.0, 0.1, 5.0
    BAR = 20  # characters of the bar

    def __init__(self, data: str, time_s: float, stream=None):
        self.data, self.time_s = Path(data).name, time_s
        self.line = StatusLine(stream, quiet_s=self.QUIET_S, tty_every_s=self.TTY_EVERY_S,
                               log_every_s=self.LOG_EVERY_S)

    def __call__(self, p) -> None:
        filled = min(self.BAR, int(self.BAR * p.share))
        self.line.show(
            p.seconds,
            f"ruler {self.data}: pass {p.passes} {p.step} "
            f"[{'#' * filled}{'-' * (self.BAR - filled)}] {100 * p.share:3.0f} %, "
            f"{p.rules:,} rules so far, label {p.label} ({p.labels_done} of {p.labels} done), "
            f"{p.seconds:.1f} of {self.time_s:g} s",
            log_line=f"ruler {self.data}: {p} (of {self.time_s:g} s at most)")

    def end(self) -> None:
        """The fit is over: the bar's line is cleared (what follows says how it ended)."""
        self.line.end()


def ruler_report(data: str, *, distance: int, consistency: float, memory_mb: int,
                 time_s: float, as_json: bool = False, check: bool = False) -> list[str]:
    """Learn rules from ``data`` (a CSV: a header, one preset a row, label last) within
    ``memory_mb`` and ``time_s``; what ``synthlearn ruler`` prints on stdout: one JSON line
    (``{"rules": [...], "seconds": t}``, reading and learning timed) or a table, one rule a
    line. Past a budget: one UserError saying what was reached and what to try. ``check``:
    then how well they generalise, a label a line (``learners.validation``: leave-one-out,
    and how far the new presets stray), or under ``"check"`` in the JSON."""
    from synthlearn.learners.presets import read_presets
    from synthlearn.learners.ruler import BudgetReached, RuLer

    t0 = time.perf_counter()
    presets = read_presets(data)
    learner = RuLer(distance=distance, consistency=consistency, memory_mb=memory_mb,
                    time_s=time_s).reset()
    progress = FitProgress(data, time_s)
    try:
        found = learner.fit(presets, progress=progress)
    except BudgetReached as exc:  # one line: what was reached, and what to try
        more = {"memory": f"--memory-mb {2 * memory_mb}",
                "time": f"--time-s {2 * time_s:g}"}.get(exc.what)
        raise UserError(exc.message(more)) from None
    finally:
        progress.end()
    checked = []
    if check:
        from dataclasses import asdict

        from synthlearn.learners.validation import check as check_rules

        try:
            checked = check_rules(presets, found, time_s=time_s)
        except BudgetReached as exc:
            raise UserError("ruler --check: " + exc.message(f"--time-s {2 * time_s:g}")) from None
    if as_json:
        out = found.to_json()
        out["seconds"] = round(time.perf_counter() - t0, 6)  # reading, learning, counting
        if check:
            out["check"] = [asdict(r) for r in checked]
        return [json.dumps(out)]
    return rules_table(found, presets.names) + [printable(
        f"{len(found.rules)} rules from {len(presets)} presets ({data}, distance {distance}, "
        f"consistency {consistency:g}) in {found.seconds:.3f} s")] + [
        printable(r.line()) for r in checked]


def rules_table(found, names) -> list[str]:
    """The rules as aligned lines: a header (label, each parameter, presets, new), then one
    rule a line, each parameter's set of values in braces. Labels and parameter names come
    from a CSV: shown escaped, never acting on the terminal."""
    width = {n: max(len(n), *(len(_cell(r.sets[i])) for r in found.rules)) if found.rules
             else len(n) for i, n in enumerate(names)}
    label_w = max(5, *(len(r.label) for r in found.rules)) if found.rules else 5
    lines = [printable(f"{'label':<{label_w}}  " + "  ".join(f"{n:<{width[n]}}" for n in names)
                       + f"  {'presets':>8} {'new':>8}")]
    for r in found.rules:
        lines.append(printable(f"{r.label:<{label_w}}  " + "  ".join(
            f"{_cell(s):<{width[n]}}" for n, s in zip(names, r.sets, strict=True))
            + f"  {r.size:>8} {r.new:>8}"))
    return lines


def _cell(values) -> str:
    return "{" + ",".join(str(v) for v in values) + "}"
