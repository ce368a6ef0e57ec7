"""A background worker for commands that take long (``r = ruler data.csv ...`` learns rules):
jobs run one after another in a thread of their own, so neither the audio thread nor the
console waits. A job's own failure is said in one line and the next job runs."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable


class Worker:
    def __init__(self, say=print, name: str = "synthlearn-worker"):
        self.say = say
        self.done = 0
        self._jobs: queue.Queue[Callable[[], object] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    def submit(self, job: Callable[[], object]) -> None:
        self._jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception as exc:  # a failed job must not end the performance
                self.say(f"? worker: {type(exc).__name__}: {exc}")
            self.done += 1

    def close(self, timeout_s: float = 5.0) -> None:
        """Finish the jobs queued so far, then stop (at most ``timeout_s``)."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout_s)
