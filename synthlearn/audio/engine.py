"""The audio engine: the only place a pyo Server is created.

One engine runs one piece on one clock:

- ``jack`` / ``portaudio``: real time; the audio thread calls the block hook every block.
- ``offline`` / ``manual``: pyo's manual server, one block per :meth:`Engine.process` call. A
  render drives it as fast as the machine allows (measured as fast as pyo's ``offline`` mode:
  0.69 s vs 0.74 s for 30 s of 64 partials) and gains what that blocking mode lacks: the WAV is
  written in chunks as it goes, progress is shown, each block is timed on its own, and video
  frames are drawn between blocks without touching the audio timing.

Every block the hook (1) drains the events due in the block, (2) lets the piece step its
learners, (3) lets each voice pool's kernel write partial frequencies and amplitudes into the
numpy views of the pyo tables the oscillators read; then pyo computes the block through the
master chain (volume, limiter, -1 dBFS ceiling) into the outputs and the master tap.

The engine coordinates; its parts live beside it: ``formats`` (the rate and block a server
imposes), ``master`` (the master chain), ``timing`` (block costs and callback intervals),
``liveness`` (the server as seen while no audio comes). Which piece plays is the runtime's
Stage's to say: the engine plays the piece it is handed (:meth:`Engine.play`,
:meth:`Engine.switch`) and :attr:`Engine.piece` is only what its hook plays now.
"""

from __future__ import annotations

import gc
import sys
import threading
import time

import numpy as np

from synthlearn.audio import backends, denormals, jacklib, native, pipewire

# The engine's parts; their names callers know (formats, the server's states, the ceiling) are
# named here too.
from synthlearn.audio.formats import (  # noqa: F401
    BLOCK_SIZES,
    SAMPLE_RATES,
    server_format,
    settle_pipewire,
    validate_format,
)
from synthlearn.audio.liveness import ALIVE, BACK, GONE, UNKNOWN, ServerWatch  # noqa: F401
from synthlearn.audio.master import CEILING, Master  # noqa: F401
from synthlearn.audio.switching import SWITCH_FADE_S, Retiring, free_graph
from synthlearn.audio.tables import Tables
from synthlearn.audio.timing import BlockTimes
from synthlearn.audio.voices import POOLS, VOICE_PATHS, PartialPool
from synthlearn.errors import AudioUnavailable, UserError
from synthlearn.events import CC_ALL_NOTES_OFF, Event, EventQueue, Kind
from synthlearn.faults import Faults

# Python switch interval while audio runs in real time (another thread's bytecode holds the GIL
# at most this long; measured: 94 late blocks in 4 s at the default 5 ms, 3 at 0.5 ms).
SWITCH_INTERVAL_S = 0.0005
# Silent blocks computed before the first block of a manual/offline run, so that block does
# not pay pyo's first pass through the graph and the hook's first, cold run (measured: 100-190
# us instead of 8-11 at block 64). A real-time server runs silent blocks before anyone plays.
PREROLL_BLOCKS = 2
# A voice bank's state (what VoiceBank.warm saves and restores, and more), which a rejoin
# carries from the old pools into the rebuilt ones: notes held go on sounding, and what the
# piece and the performer set (partial amplitudes, detune, envelope) stays.
VOICE_STATE = ("vi", "vf", "p", "fcur", "ratio", "detune", "partial_amp")
VOICE_SCALARS = ("_age", "active", "decay_s", "release_s")


def _noop() -> None:
    pass


class Engine:
    """A pyo server, its tables, voice pools and master chain, and the block hook."""

    def __init__(
        self,
        backend: str = "auto",
        *,
        sr: int = 48000,
        block: int = 64,
        seed: int = 0,
        jack_client: str = "synthlearn",
        voices: str = "numba",
    ):
        validate_format(sr, block)
        if voices not in VOICE_PATHS:
            raise UserError(f"unknown voice path {voices!r}; expected one of "
                            + ", ".join(VOICE_PATHS))
        self.voices = voices
        # Which server and library play (the process's native libraries committed).
        self.route = backends.resolve(backend, sr=sr, block=block, client=f"{jack_client}-probe")
        self.backend = self.route.backend
        # A one-line note for the performer when the server's format replaced the asked one.
        self.boot_note: str | None = None  # said after boot: what the server made us change
        sr, block, self.format_note = server_format(self.backend, sr, block, self.route.fmt,
                                                    self.route.name)
        own = pipewire.performers_latency()
        if self.format_note and self.route.name == "PipeWire" and own:
            self.format_note += f" ({pipewire.LATENCY_ENV}={own} is set in your environment)"
        self.sr = sr
        self.block = block
        self.block_s = block / sr
        self.seed = seed
        self.jack_client = jack_client
        self.tables = Tables()
        self.queue = EventQueue()
        # What the hook plays, swapped as one tuple so a block never sees half a switch: the
        # piece and its voice pools (the list a scene may hold: a rejoin refills it in place).
        self._playing: tuple = (None, [])
        self._hook_piece = None
        self._building: list[PartialPool] | None = None
        self._counter = None  # 0..block-1 at audio rate, shared by every block-table reader
        self._retiring = Retiring(self.tables)  # graphs switched away from, until freed
        self._output = None  # the playing piece's output, into the master fader
        self._master: Master | None = None
        self.block_index = 0
        self.volume_db = 0.0
        self._server = None
        self._running = False
        self._closed = False
        self._watch = ServerWatch(self.route)  # the server while no audio comes
        self._voices: dict = {}  # pool name -> its voice bank, from a rejoin's old graph
        self._times = BlockTimes()
        self._saved_switch = None
        self.latency_samples = 0
        self.recorder = None  # a Recorder fed the finished master block by the hook
        self.faults = Faults("in its block hook", "its voices were silenced, and the audio "
                             "goes on")  # a piece's exceptions in the hook (see _fault)
        # Flush-to-zero is per thread: set by the hook in whichever thread runs the DSP (pyo's
        # audio thread; the caller's in manual mode, restored by close()).
        self._fpu = denormals.FloatControl()
        self._fpu_thread: int | None = None
        self._fpu_before: dict[int, int] = {}  # thread -> its control word before the DSP's
        self.dsp_control_word = -1  # MXCSR/FPCR as the hook last read it in the DSP thread

    # -- set-up -------------------------------------------------------------------------
    @property
    def realtime(self) -> bool:
        return self.backend in ("jack", "portaudio")

    @property
    def time_s(self) -> float:
        """Audio time at the start of the next block."""
        return self.block_index * self.block_s

    @property
    def piece(self):
        """The piece the hook plays now (None before :meth:`play` and after :meth:`close`)."""
        return self._playing[0]

    @property
    def pools(self) -> list[PartialPool]:
        """The playing piece's voice pools (rebuilt in place by a rejoin)."""
        return self._playing[1]

    @property
    def limiter(self):
        """The master limiter (None while no graph is built)."""
        return None if self._master is None else self._master.limiter

    def boot(self) -> Engine:
        server = self._boot_server()
        if self.backend == "jack" and self.route.name == "PipeWire":
            server, self.block, self.boot_note = settle_pipewire(
                server, self._boot_server, sr=self.sr, block=self.block, backend=self.backend,
                name=self.route.name)
            self.block_s = self.block / self.sr
        booted = (int(server.getSamplingRate()), int(server.getBufferSize()))
        if booted != (self.sr, self.block):
            # The server changed between our question and the boot: never play garbled.
            server.shutdown()
            raise AudioUnavailable(
                f"the {self.backend} server runs at {booted[0]} Hz, block {booted[1]}, not the "
                f"{self.sr} Hz, block {self.block} it reported a moment ago; start again")
        server.setGlobalSeed(self.seed % 2_000_000_000 + 1)  # 0 would mean "seed from time"
        self._server = server
        return self

    def _boot_server(self, block: int | None = None):
        """A booted pyo server at the engine's rate and ``block`` (default: the engine's)."""
        native.ensure()  # pyo binds to the libraries this process chose
        import pyo

        mode = "manual" if self.backend in ("offline", "manual") else self.backend
        kwargs = {"jackname": self.jack_client} if mode == "jack" else {}
        server = pyo.Server(
            sr=self.sr, nchnls=2, buffersize=self.block if block is None else block, duplex=0,
            audio=mode, **kwargs
        )
        server.deactivateMidi()  # MIDI comes through synthlearn's own queue
        server.setVerbosity(1)
        if mode == "jack":
            server.setJackAuto(False, True)
        server.boot()
        if not server.getIsBooted():
            raise UserError(f"the {self.backend} audio backend failed to start")
        return server

    def server_block(self) -> int | None:
        """The block pyo's server runs now (a JACK server may change its period mid-show:
        pyo follows, and a graph built for another block plays garbled)."""
        return None if self._server is None else int(self._server.getBufferSize())

    def block_counter(self):
        """pyo's sample index within the block, 0..block-1 (made once, before its readers: pyo
        computes objects in the order they were made)."""
        if self._counter is None:
            import pyo

            self._counter = pyo.Count(pyo.Trig(), min=0, max=self.block - 1)
        return self._counter

    def pool(self, name: str, voices: int, partials: int, **params) -> PartialPool:
        """An additive voice pool (on this engine's voice path) processed every block after
        the piece's step."""
        pool = POOLS[self.voices](self, name, voices, partials, **params)
        (self.pools if self._building is None else self._building).append(pool)
        return pool

    def play(self, piece, events: list[Event] | tuple = ()) -> None:
        """Build ``piece``'s graph, warm its kernels, route it to the master, install the hook."""
        if self._server is None:
            self.boot()
        self.queue = EventQueue(events)
        self._playing = (piece, [])  # no hook runs yet: its pools are built into that list
        self._build()
        if not self.realtime:
            self._server.setCallback(self._preroll)
            self._server.start()  # a manual server computes nothing until started
            self._running = True
            for _ in range(PREROLL_BLOCKS):
                self._server.process()
        self._server.setCallback(self._hook)

    def _build(self) -> None:
        """The playing piece's graph (its pools into its list) and the master chain on the
        booted server, every kernel warmed, the piece routed to the master (no hook runs)."""
        piece, pools = self._playing
        output = piece.build(self)
        # pyo computes objects in the order they were made: the master chain comes after the
        # piece's graph, or it would read the piece's output one block late.
        self._master = Master(self.tables, sr=self.sr, block=self.block,
                              counter=self.block_counter, volume_db=self.volume_db)
        self.latency_samples = self._master.latency_samples
        piece.warm()
        for pool in pools:
            pool.warm()
        self._master.warm(self.block)
        self._master.route(output, 0.001)
        self._output = output

    # -- the block hook (audio thread) ----------------------------------------------------
    def _hook(self) -> None:
        if self._fpu_thread != threading.get_ident():
            self._enter_dsp_thread()
        elif self.block_index & 1023 == 0:  # proof that the bits stay set in this thread
            self.dsp_control_word = self._fpu.word()
        if self.realtime:
            self._times.callback(time.perf_counter())
        piece, pools = self._playing  # once: a switch lands between blocks, never inside one
        self._hook_piece = piece
        end = (self.block_index + 1) * self.block
        while True:  # a piece's bug must not stop the music: count it, go on
            try:
                self.queue.drain(end, self._dispatch)
                break
            except Exception as exc:  # the event it raised on is taken: the rest follow
                self._fault(piece, exc)
        try:
            piece.step(self.block_index)
            # What it learned, for the autosave (a step that raised publishes nothing half done)
            piece.publish_learned_at((self.block_index + 1) * self.block_s)
        except Exception as exc:  # a piece's bug must not stop the music: count it, go on
            self._fault(piece, exc)
        for pool in pools:
            pool.process()
        master = self._master
        master.limit()
        if self.recorder is not None:  # the tap still holds the block pyo finished last
            self.recorder.capture(master.tap[0], master.tap[1])
        self.block_index += 1

    def _fault(self, piece, exc: Exception) -> None:
        """A piece raised in the hook (a bug): count it, silence its voices; the main thread
        tells the performer (``faults.report()``)."""
        self.faults.record(piece, exc, self.block_index * self.block_s)
        try:
            self.panic()
        except Exception:  # noqa: BLE001 - silencing is best effort; the limiter still guards
            pass

    def _preroll(self) -> None:
        """The hook's work on silence, before any event: the pools' kernels (every voice idle)
        and the limiter (a ring of zeros) leave their state as it was; nothing is counted."""
        if self._fpu_thread != threading.get_ident():
            self._enter_dsp_thread()
        for pool in self._playing[1]:
            pool.process()
        self._master.limit()

    def _enter_dsp_thread(self) -> None:
        """First block in this thread: subnormal numbers flushed to zero from now on here (the
        callback and pyo's DSP run in the same thread, the callback first)."""
        before = self._fpu.flush_to_zero()
        if not self.realtime:  # a caller's thread (manual mode): given back at close
            self._fpu_before.setdefault(threading.get_ident(), before)
        self._fpu_thread = threading.get_ident()
        self.dsp_control_word = self._fpu.word()

    def _dispatch(self, event: Event) -> None:
        if event.kind == Kind.COMMAND:
            if event.command.spec.owner == "engine":  # its spec names the handler
                event.command.run(self)
                return
        elif event.kind == Kind.CONTROL and event.number == CC_ALL_NOTES_OFF:
            self.panic()
        self._hook_piece.on_event(event)

    # -- the engine's commands (synthlearn.commands.language.ENGINE), in the hook --------------
    def cmd_volume(self, db: float) -> None:
        self.set_volume(db)

    def cmd_panic(self) -> None:
        self.panic()

    def record(self, path) -> None:
        """Record the master output to ``path`` (call before start; see Recorder)."""
        from synthlearn.audio.recorder import Recorder

        self.recorder = Recorder(path, self.sr, self.block)
        self.recorder.warm()
        self.recorder.start()

    def push(self, event: Event) -> None:
        """A live event from any thread, applied in the next block. Always the queue the hook
        drains (``play`` makes a new one; a ``queue.push`` bound before it would be lost)."""
        self.queue.push(event)

    def now_smp(self) -> int:
        """The sample stamp a live event gets: the start of the next block the hook runs."""
        return self.block_index * self.block

    def set_volume(self, db: float) -> None:
        self.volume_db = float(db)
        self._master.set_volume(self.volume_db)

    def panic(self) -> None:
        piece, pools = self._playing
        for pool in pools:
            pool.bank.release_all()
        if piece is not None:
            piece.panic()  # whatever else it sounds (ruler's synths)

    # -- switching pieces while audio runs (main thread) ----------------------------------
    def switch(self, piece, *, fade_s: float = SWITCH_FADE_S, timeout_s: float = 2.0) -> None:
        """Play ``piece`` instead of the current one, without stopping the audio.

        The new graph is built and its kernels warmed first, in the calling thread while the
        old piece plays on (a first switch to it compiles them unless ``piece.warm_kernels()``
        ran before); then (piece, pools) is swapped for the hook in one assignment, the master
        input crossfades over ``fade_s``, and once the fade is over and no hook can still
        touch them, the old piece's views and tables are freed (real time: waited for here;
        manual: freed by a later ``process``). The new graph comes after the master chain in
        pyo's order, so a switched-to piece sounds one block later than a piece played from
        the start.
        """
        old_piece, old_pools = self._playing
        self._building = []
        try:
            output = piece.build(self)
            piece.warm()
            for pool in self._building:
                pool.warm()
        except BaseException:
            free_graph(self.tables, piece, self._building)
            raise
        finally:
            new_pools, self._building = self._building, None
        self._playing = (piece, new_pools)
        self._master.route(output, fade_s)
        self._output = output
        after = self._retiring.add(old_piece, old_pools, block_index=self.block_index,
                                   fade_s=fade_s, block_s=self.block_s, output=output)
        if self.realtime and self._running:
            self._wait_for_block(after, timeout_s)
            self._retire_due()

    def drain(self, timeout_s: float = 1.0) -> None:
        """Main thread, real time: return once the hook has run every event queued before
        this call, so what a piece was told before a switch lands on it, not on the next one.
        Two blocks: one pushed while a hook ran, after it drained, waits for the next hook.
        Manual runs drain in ``process``."""
        if self.realtime and self._running:
            self._wait_for_block(self.block_index + 2, timeout_s)

    def _wait_for_block(self, index: int, timeout_s: float) -> None:
        """Wait (main thread) until the hook has begun block ``index``, or ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while self.block_index < index and time.monotonic() < deadline:
            time.sleep(self.block_s)  # waiting on the audio clock, in the main thread

    def _retire_due(self) -> None:
        """Free retired pieces whose fade is over (main thread, between blocks)."""
        self._retiring.free_due(self.block_index, self._output, self._master.route)

    # -- clocks ---------------------------------------------------------------------------
    def copy_unlimited(self, out: np.ndarray) -> None:
        """The last block as the piece mixed it, before the master's limiter, into ``out``
        (block, 2) (main thread, between blocks of a manual server): what a check measures of
        a synth's own level, which the limiter would hide."""
        if self._master is None:
            raise RuntimeError("no block mixed yet: play a piece first")
        self._master.copy_unlimited(out)

    def process(self, out: np.ndarray | None = None) -> None:
        """Compute one block (offline/manual); copy it into ``out`` (shape (block, 2)) if given.

        The tap's table views never leave the engine, so none can outlive its table.
        """
        t0 = time.perf_counter()
        self._server.process()
        self._times.cost(time.perf_counter() - t0)
        if self._retiring:
            self._retire_due()
        if out is not None:
            self._master.copy_tap(out)

    def start(self) -> None:
        """Start real-time audio (jack/portaudio)."""
        if not self.realtime:
            raise RuntimeError("start() is for real-time backends; call process() instead")
        self._times.start(time.perf_counter())
        self._watch.started()
        self._start_server()

    def _start_server(self) -> None:
        self._saved_switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        # Everything built so far (numba, pyo, the piece) lives as long as the performance: out
        # of the garbage collector's full passes from now on. Measured: a full pass over that
        # heap held the GIL 50-70 ms (a worker's retrain made late blocks at block 256).
        gc.freeze()
        self._server.start()
        self._running = True

    def stop(self) -> None:
        if self._running:
            # A JACK server that died took pyo's server down with it (pyo shuts it down from
            # JACK's thread): stopping it again would only print pyo's "must be booted" error.
            if not self._server_died() and self._server.getIsBooted():
                self._server.stop()
                if self.realtime:
                    # Let a block already waiting for the GIL finish now, before the server's
                    # client can be shut down under it (a thread cancelled inside CPython's GIL
                    # wait leaves the GIL locked); later periods no longer call Python.
                    time.sleep(2 * self.block_s)
            self._running = False
        if self._saved_switch is not None:
            sys.setswitchinterval(self._saved_switch)
            self._saved_switch = None
            gc.unfreeze()

    def silent_for_s(self) -> float:
        """Seconds since the last block hook ran in real time (0 when not running, and from
        the last block before the server died until a rejoined one plays): the server stalled
        or died, or the device is gone, when this grows past a few periods
        (:meth:`server_status` tells which)."""
        if not (self.realtime and (self._running or self._watch.died)):
            return 0.0
        return time.perf_counter() - self._times.last_callback

    # -- when the server goes quiet (main thread) -------------------------------------------
    @property
    def server_label(self) -> str:
        """The server in a line for the performer."""
        return self._watch.label

    @property
    def can_rejoin(self) -> bool:
        """Whether :meth:`rejoin` is done for this server: a JACK server (jackd); not PipeWire
        (not tried) nor a portaudio device."""
        return self._watch.can_rejoin

    def _server_died(self) -> bool:
        """Whether the JACK server shut pyo's server down under us (see ServerWatch)."""
        return self._watch.check_died(self._server, self._running)

    def server_status(self) -> str:
        """ALIVE, GONE, BACK or UNKNOWN: the server as seen from here while no audio comes
        (:mod:`synthlearn.audio.liveness`); nothing is asked of the server itself."""
        if not self.realtime or self._server is None:
            return UNKNOWN
        return self._watch.status(self._server, self._running)

    def rejoin(self) -> None:
        """Play on after the JACK server died, once one listens under its name again
        (:meth:`server_status` is BACK): the old graph freed, a new pyo server booted, and the
        playing piece's graph built again on it. The piece is the same object, so what it
        learned stays; the event queue, the clock (blocks counted: the silence is not), the
        recorder (its file goes on), the volume and the voices (notes held sound on) go on
        as they were. What lives only in pyo objects (a preset synth's parameters) starts
        again as the piece builds it.

        Measured (jackd 1.9.21, pyo 1.1.0): pyo's JACK shutdown callback shuts its server down
        cleanly (streams dropped, its client left to libjack), a new server boots and plays;
        36 kill/restart cycles (the four pieces) under MALLOC_CHECK_=3 ran clean, threads
        steady, about 8 KB more memory each (the dead client).

        AudioUnavailable when the server does not take us yet, or runs another rate or
        period (the old graph is gone then: call again, or close)."""
        status = self.server_status()
        if status != BACK:
            raise AudioUnavailable(f"{self.server_label} is not back ({status})")
        if not self.can_rejoin:
            raise AudioUnavailable(f"rejoining {self.server_label} is not done")
        if self._output is not None:  # the old graph, once (a failed boot keeps trying)
            self._server.setCallback(_noop)
            self.stop()
            self._voices = {pool.name: pool.bank for pool in self.pools}
            self._release_graph()  # the piece stays the one played, its learning in it
            gc.collect()  # the old graph's cycles, before the heap is frozen again
        try:
            self.boot()  # a new pyo server: libjack frees the dead client as it opens ours
        except UserError as exc:
            raise AudioUnavailable(str(exc)) from None
        try:
            self._build()
        except BaseException:  # still dead to the watchdog, which says why at its limit
            self._release_graph()
            self._server.shutdown()
            raise
        self._watch.rejoined()
        self._carry_voices()
        self._server.setCallback(self._hook)
        self._watch.started()
        self._start_server()

    def _carry_voices(self) -> None:
        """Into each rebuilt pool, the state of the old pool of its name and size."""
        old, self._voices = self._voices, {}
        for pool in self.pools:
            bank, was = pool.bank, old.get(pool.name)
            if was is None or (was.voices, was.partials) != (bank.voices, bank.partials):
                continue
            for name in VOICE_STATE:
                getattr(bank, name)[...] = getattr(was, name)
            for name in VOICE_SCALARS:
                setattr(bank, name, getattr(was, name))

    def block_costs_s(self) -> np.ndarray:
        """Per-block compute times (offline/manual), oldest first, at most COST_RING."""
        return self._times.block_costs_s()

    def callback_times_s(self) -> np.ndarray | None:
        """``time.perf_counter()`` of every block hook in real time since ``start`` (None once
        the ring has wrapped)."""
        return self._times.callback_times_s()

    def callback_intervals_s(self) -> np.ndarray:
        """Times between block hooks in real time (the first one dropped), oldest first."""
        return self._times.callback_intervals_s()

    # -- tear-down ------------------------------------------------------------------------
    def close(self) -> list[str]:
        """Tear down in the one safe order; returns tables kept alive because views leaked.

        Callback first (so no hook runs again), then stop (the audio thread is done), then
        every view is dropped, then the tables, then the server.
        """
        if self._closed or self._server is None:
            self._closed = True
            return []
        self._closed = True
        self._server.setCallback(_noop)
        self.stop()
        if self.recorder is not None:
            self.recorder.close()
        leaked = self._release_graph()
        self._playing = (None, [])  # the piece let go
        if self._server.getIsBooted():
            self._server.shutdown()
        self._server = None
        if self._watch.died:  # the performance's other JACK clients are closed by now
            jacklib.server_died(False)
        # manual mode: the closing thread's own word back, if it ran blocks (each thread that
        # ran some kept FTZ otherwise: numpy in a test's main thread then raised on subnormals)
        before = self._fpu_before.pop(threading.get_ident(), None)
        if before is not None:
            self._fpu.restore(before)
        return leaked

    def _release_graph(self) -> list[str]:
        """Every piece's and the master's views dropped, then the tables, then the pyo objects
        (no hook runs: call after the callback is cleared and the audio stopped). The piece
        stays the one :attr:`piece` names, its learning in it, and its pools' list (emptied)
        stays its list; returns tables kept alive by leaked views."""
        self._retiring.release_all()
        self._hook_piece = None
        piece, pools = self._playing
        if piece is not None:
            piece.release()
        for pool in pools:
            pool.release()
        if self._master is not None:
            self._master.release()  # its views, before the tables
        leaked = self.tables.release()
        pools.clear()  # in place: a scene drawing them sees the rebuilt ones
        self._master = self._counter = self._output = None
        return leaked

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
