"""A background worker for commands that take long (``r = ruler data.csv ...`` learns rules):
jobs run one after another in a thread of their own, so neither the audio thread nor the
console waits. A job's own failure is said in one line and the next job runs.

The worker never wedges a quit: :meth:`Worker.close` waits for the queued jobs only as long as
it is told, then sets :attr:`Worker.cancel` and waits at most ``CANCEL_JOIN_S`` more. A long job
finds that flag as its thread's ``cancel`` attribute (``threading.current_thread().cancel``:
the pieces are below this layer and do not import it) and stops at its next look: RuLer reads
it between chunks of a few milliseconds of work (``RuLer.fit(..., cancel=...)``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

CANCEL_JOIN_S = 0.5  # how long a close waits, at most, for a cancelled job to stop


class Worker:
    def __init__(self, say=print, name: str = "synthlearn-worker"):
        self.say = say
        self.done = 0
        self.cancel = threading.Event()  # set by close: the running job stops, no other starts
        self._jobs: queue.Queue[Callable[[], object] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.cancel = self.cancel  # what a job running here looks at

    def start(self) -> Worker:
        self._thread.start()
        return self

    def submit(self, job: Callable[[], object]) -> None:
        self._jobs.put(job)

    def _run(self) -> None:
        dropped = 0
        while True:
            job = self._jobs.get()
            if job is None:
                break
            if self.cancel.is_set():  # closing: what is still queued is not run
                dropped += 1
                continue
            try:
                job()
            except Exception as exc:  # a failed job must not end the performance
                self.say(f"? worker: {type(exc).__name__}: {exc}")
            self.done += 1
        if dropped:
            self.say(f"worker: closing, {dropped} queued command{'s' * (dropped > 1)} not run")

    def close(self, timeout_s: float = 5.0) -> bool:
        """Finish the jobs queued so far, waiting at most ``timeout_s``; then cancel what still
        runs (the rest never starts) and wait at most ``CANCEL_JOIN_S`` more. A quit passes 0:
        it waits on no learning. Returns whether the thread has ended."""
        if not self._thread.is_alive():
            return True
        self._jobs.put(None)
        self._thread.join(max(0.0, timeout_s))
        if self._thread.is_alive():
            self.cancel.set()
            self._thread.join(CANCEL_JOIN_S)
            if self._thread.is_alive():  # a job that does not look at the flag
                self.say("worker: closing, a command still running was left unfinished")
        return not self._thread.is_alive()
