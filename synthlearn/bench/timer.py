"""The machine's own lateness: a bare thread waking every period on absolute deadlines, on
real-time priority when allowed, with nothing else to do (no JACK, no pyo).

Run beside a real-time row in a process of its own (``python -m synthlearn.bench.timer PERIOD_S
SECONDS OUT.npy``), its late wakes show when the machine itself stalled: on a virtual machine
whose host preempts it, the audio thread and this one are late at the same moments. Wake times
are ``time.perf_counter()`` (CLOCK_MONOTONIC), comparable across processes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

import numpy as np

PRIORITY = 60  # below JACK's client threads (jackd -P 80 gives them 70), above everything else
COINCIDE_S = 0.02  # a late block this close to a late wake of the control: the same stall


def wake_times(period_s: float, seconds: float, priority: int = PRIORITY) -> tuple[np.ndarray,
                                                                                   bool]:
    """(wake times in s, whether real-time priority was granted) of a loop waking every
    ``period_s`` for ``seconds``, in the calling thread."""
    realtime = False
    with contextlib.suppress(OSError, AttributeError):  # refused: measure without it
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
        realtime = True
    n = max(2, round(seconds / period_s))
    times = np.zeros(n, np.float64)
    deadline = time.perf_counter()
    for i in range(n):
        deadline += period_s
        wait = deadline - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        times[i] = time.perf_counter()
    return times, realtime


def late_wakes(times: np.ndarray, period_s: float) -> np.ndarray:
    """Times of the wakes that came over two periods after the one before."""
    return times[1:][np.diff(times) > 2 * period_s]


def coinciding(late_s: np.ndarray, control_late_s: np.ndarray,
               within_s: float = COINCIDE_S) -> int:
    """How many of ``late_s`` have a late wake of the control within ``within_s``."""
    if late_s.size == 0 or control_late_s.size == 0:
        return 0
    return int(sum(np.abs(control_late_s - t).min() <= within_s for t in late_s))


def main(argv: list[str]) -> int:
    period_s, seconds, out = float(argv[0]), float(argv[1]), argv[2]
    times, realtime = wake_times(period_s, seconds)
    np.save(out, np.concatenate([[float(realtime)], times]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
