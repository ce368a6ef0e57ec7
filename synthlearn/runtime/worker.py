"""A background worker for commands that take long (``r = ruler data.csv ...`` learns rules):
jobs run one after another in a thread of their own, so neither the audio thread nor the
console waits. A job's own failure is said in one line and the next job runs.

Each job is a :class:`Job`: its code, what it is for (``key``: the name a retrain assigns),
its words (``what``), its own cancel flag and the progress its code last noted. A job still
queued can be dropped, and a running one cancelled, by its key (:meth:`Worker.cancel_jobs`:
the console's ``cancel r``, or a newer ``r = ruler ...`` replacing it); :meth:`Worker.keep`
says, atomically, whether a job finishing may still keep its result.

The worker never wedges a quit: :meth:`Worker.close` waits for the queued jobs only as long as
it is told, then sets :attr:`Worker.cancel` and the running job's flag, drops the queue and
waits at most ``CANCEL_JOIN_S`` more. A running job finds its flag as its thread's ``cancel``
attribute and itself as ``job`` (``threading.current_thread().cancel``, ``.job``: the pieces
are below this layer and do not import it) and stops at its next look: RuLer reads the flag
between chunks of a few milliseconds of work (``RuLer.fit(..., cancel=..., progress=...)``),
and notes how far it got with ``job.note(progress)``.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

CANCEL_JOIN_S = 0.5  # how long a close waits, at most, for a cancelled job to stop


class Job:
    """One command for the worker: ``run()`` its code; ``key`` what it is for (a name to
    cancel or replace it by, or None); ``what`` its words (``r = ruler blip distance:2
    consistency:0.5``); ``doing`` what it does while it runs (``learning``). ``cancel`` is its
    own flag, ``why`` says who set it (``cancelled``, ``replaced``, ``closing``); ``state`` is
    ``queued``, ``running``, ``done`` or ``dropped``; ``progress`` what its code last noted
    (any object, worded by ``str``)."""

    def __init__(self, run: Callable[[], object] | None = None, *, key: str | None = None,
                 what: str = "", doing: str = "running"):
        self.run, self.key, self.what, self.doing = run, key, what, doing
        self.cancel = threading.Event()
        self.why: str | None = None
        self.state = "queued"
        self.progress: object = None
        self._kept = False  # past Worker.keep: its result is kept, no cancel reaches it

    def note(self, progress: object) -> None:
        """How far the job got (its own thread; one assignment, read by any thread)."""
        self.progress = progress

    def __str__(self) -> str:
        """``r = ruler blip ...: learning, 340 rules so far, ...`` or ``...: queued``."""
        if self.state in ("queued", "dropped"):
            return f"{self.what}: {self.state}"
        if self.cancel.is_set():
            return f"{self.what}: {self.why}, stopping"
        progress = "starting" if self.progress is None else self.progress
        return f"{self.what}: {self.doing}, {progress}"


class Worker:
    def __init__(self, say=print, name: str = "synthlearn-worker"):
        self.say = say
        self.done = 0
        self.cancel = threading.Event()  # set by close: the running job stops, no other starts
        self._lock = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._running: Job | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.cancel = self.cancel  # what a job running here looks at (its own, later)
        self._thread.job = None

    def start(self) -> Worker:
        self._thread.start()
        return self

    def submit(self, job: Job | Callable[[], object], *, key: str | None = None,
               what: str = "", doing: str = "running") -> Job:
        """Queue ``job`` (a :class:`Job`, or a callable made into one with ``key``, ``what``,
        ``doing``) behind the others; returns it."""
        if not isinstance(job, Job):
            job = Job(job, key=key, what=what, doing=doing)
        with self._lock:
            self._queue.append(job)
            self._lock.notify()
        return job

    def jobs(self) -> list[Job]:
        """The running job, then the queued ones in order (a copy)."""
        with self._lock:
            return ([self._running] if self._running is not None else []) + list(self._queue)

    def cancel_jobs(self, key: str, why: str = "cancelled") -> list[Job]:
        """Drop the queued jobs of ``key`` and cancel its running one (it stops at its next
        look at its flag; one whose result is already being kept is left to finish). Returns
        them, the running one first; each says ``why``."""
        with self._lock:
            hit = [j for j in self._queue if j.key == key]
            for job in hit:
                self._queue.remove(job)
                job.state, job.why = "dropped", why
                job.cancel.set()
            running = self._running
            if running is not None and running.key == key and not running._kept and \
                    not running.cancel.is_set():
                running.why = why
                running.cancel.set()
                hit.insert(0, running)
        return hit

    def keep(self, job: Job) -> bool:
        """Whether the finishing ``job`` may keep its result: False once a line cancelled or
        replaced it; True, and from then on no cancel reaches it (a cancel said is never
        undone). A job that finished as the worker closed keeps what it made."""
        with self._lock:
            if job.cancel.is_set() and job.why != "closing":
                return False
            job._kept = True
            return True

    def _run(self) -> None:
        dropped = 0
        while True:
            with self._lock:
                while not self._queue and not self._closing:
                    self._lock.wait()
                if not self._queue:  # closing, and nothing is left
                    break
                job = self._queue.popleft()
                if self.cancel.is_set():  # closing: what is still queued is not run
                    job.state, job.why = "dropped", "closing"
                    dropped += 1
                    continue
                self._running, job.state = job, "running"
            self._thread.cancel, self._thread.job = job.cancel, job
            try:
                job.run()
            except Exception as exc:  # a failed job must not end the performance
                self.say(f"? worker: {type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._running, job.state = None, "done"
                self._thread.job = None
            self.done += 1
        if dropped:
            self.say(f"worker: closing, {dropped} queued command{'s' * (dropped > 1)} not run")

    def close(self, timeout_s: float = 5.0) -> bool:
        """Finish the jobs queued so far, waiting at most ``timeout_s``; then cancel what still
        runs (the rest never starts) and wait at most ``CANCEL_JOIN_S`` more. A quit passes 0:
        it waits on no learning. Returns whether the thread has ended."""
        if not self._thread.is_alive():
            return True
        with self._lock:
            self._closing = True
            self._lock.notify()
        self._thread.join(max(0.0, timeout_s))
        if self._thread.is_alive():
            with self._lock:  # the thread takes no job past this without seeing the flag
                self.cancel.set()
                running = self._running
                if running is not None and not running.cancel.is_set():
                    running.why = "closing"
                    running.cancel.set()
            self._thread.join(CANCEL_JOIN_S)
            if self._thread.is_alive():  # a job that does not look at the flag
                self.say("worker: closing, a command still running was left unfinished")
        return not self._thread.is_alive()
