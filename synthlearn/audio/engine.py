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
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable

import numpy as np

from synthlearn.audio import backends, denormals, jacklib, native, pipewire
from synthlearn.audio.tables import Tables
from synthlearn.audio.voices import POOLS, VOICE_PATHS, PartialPool
from synthlearn.dsp.limiter import Limiter
from synthlearn.errors import AudioUnavailable, UserError
from synthlearn.events import CC_ALL_NOTES_OFF, Event, EventQueue, Kind
from synthlearn.faults import Faults

SAMPLE_RATES = (22050, 32000, 44100, 48000, 88200, 96000)
BLOCK_SIZES = (16, 32, 64, 128, 256, 512, 1024, 2048)
CEILING_DBFS = -1.0
CEILING = 10.0 ** (CEILING_DBFS / 20.0)
# Real-time runs keep this many block costs / callback intervals (a ring).
COST_RING = 1 << 16
# Python switch interval while audio runs in real time (another thread's bytecode holds the GIL
# at most this long; measured: 94 late blocks in 4 s at the default 5 ms, 3 at 0.5 ms).
SWITCH_INTERVAL_S = 0.0005
SWITCH_FADE_S = 0.05  # crossfade from the old piece to the new one
# Silent blocks computed before the first block of a manual/offline run, so that block does
# not pay pyo's first pass through the graph and the hook's first, cold run (measured: 100-190
# us instead of 8-11 at block 64). A real-time server runs silent blocks before anyone plays.
PREROLL_BLOCKS = 2
# What the audio server looks like from here (Engine.server_status), asked of nobody: a
# stalled server answers no one, and opening a client of a dead one has libjack free this
# process's other clients of it (see jacklib).
ALIVE = "alive"  # its process still listens for clients, and pyo's client is in it
GONE = "gone"  # nothing listens under its name (or a new server does, and pyo is not told yet)
BACK = "back"  # it shut pyo down (died, or dropped us), and a server listens under its name
UNKNOWN = "unknown"  # no way to tell (portaudio; no /proc)
# A voice bank's state (what VoiceBank.warm saves and restores, and more), which a rejoin
# carries from the old pools into the rebuilt ones: notes held go on sounding, and what the
# piece and the performer set (partial amplitudes, detune, envelope) stays.
VOICE_STATE = ("vi", "vf", "p", "fcur", "ratio", "detune", "partial_amp")
VOICE_SCALARS = ("_age", "active", "decay_s", "release_s")


def _noop() -> None:
    pass


# PipeWire: how long a quantum must hold before pyo's graph is built for it (a change lands
# within a few cycles: 12 at 1024 frames), and how many boots may chase it.
SETTLE_S = 0.25
SETTLE_POLL_S = 0.01
SETTLE_ATTEMPTS = 4


def _settled(read: Callable[[], int]) -> int:
    """``read()`` once it has held for SETTLE_S (waiting on an external server's clock)."""
    value = int(read())
    held_since = time.monotonic()
    while time.monotonic() - held_since < SETTLE_S:
        time.sleep(SETTLE_POLL_S)
        now = int(read())
        if now != value:
            value, held_since = now, time.monotonic()
    return value


# What a running audio server may impose (any rate or period in these ranges plays right).
SERVER_SR_RANGE = (8000, 384000)
SERVER_PERIOD_RANGE = (16, 4096)


def server_format(backend: str, sr: int, block: int, fmt: backends.ServerFormat | None,
                  name: str | None = None) -> tuple[int, int, str | None]:
    """(sample rate, block size, a one-line note or None): what the engine must run at.

    A JACK server (jackd or PipeWire) imposes its rate and period on every client, and pyo
    takes them whatever it was asked, so a graph built for ``sr``/``block`` would play garbled.
    A portaudio device plays its own default rate, or PipeWire's graph rate behind ALSA. Where
    these differ from what was asked, the server's win and the note (naming ``name``) says so.
    """
    if fmt is None:
        return sr, block, None
    name = name or ("JACK" if backend == "jack" else "the audio device")
    period_word = "quantum" if name == "PipeWire" else "period"
    lo, hi = SERVER_SR_RANGE
    if not lo <= fmt.sr <= hi:
        raise UserError(f"{name} runs at {fmt.sr} Hz; synthlearn plays from {lo} to {hi} Hz")
    new_block = block if fmt.period is None else fmt.period
    lo, hi = SERVER_PERIOD_RANGE
    if not lo <= new_block <= hi:
        how = "--block 256" if name == "PipeWire" else "jackd ... -p 256"
        raise UserError(f"{name} runs a {period_word} of {new_block} frames; synthlearn needs "
                        f"{lo} to {hi} (e.g. {how})")
    changed = []
    if fmt.sr != sr:
        changed.append(f"{fmt.sr} Hz (asked {sr})")
    if new_block != block:
        changed.append(f"block {new_block} (asked {block})")
    if not changed:
        return sr, block, None
    runs = f"{fmt.sr} Hz" + (f" with a {period_word} of {fmt.period} frames"
                             if fmt.period is not None else "")
    return fmt.sr, new_block, f"{name} runs at {runs}: playing at " + ", ".join(changed)


def validate_format(sr: int, block: int) -> None:
    if sr not in SAMPLE_RATES:
        raise UserError(
            f"sample rate {sr} Hz is not supported; expected one of "
            + ", ".join(str(s) for s in SAMPLE_RATES)
        )
    if block not in BLOCK_SIZES:
        raise UserError(
            f"block size {block} is not supported; expected a power of two from "
            f"{BLOCK_SIZES[0]} to {BLOCK_SIZES[-1]}"
        )


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
        self.pools: list[PartialPool] = []
        self.queue = EventQueue()
        self.piece = None
        # What the hook plays, swapped as one tuple so a block never sees half a switch.
        self._playing: tuple = (None, [])
        self._hook_piece = None
        self._building: list[PartialPool] | None = None
        self._counter = None  # 0..block-1 at audio rate, shared by every block-table reader
        self._retiring: list[tuple] = []  # (piece, pools, free after this block, new output)
        self._output = None  # the playing piece's output, into the master fader
        self.block_index = 0
        self.volume_db = 0.0
        self._server = None
        self._running = False
        self._closed = False
        self._died = False  # the JACK server shut pyo's server down under us (died)
        self._server_inode: int | None = None  # its listening socket when audio started
        self._voices: dict = {}  # pool name -> its voice bank, from a rejoin's old graph
        self._costs_s = np.zeros(COST_RING, np.float64)
        self._intervals_s = np.zeros(COST_RING, np.float64)
        self._n_costs = 0
        self._last_callback = 0.0
        self._started_at: float | None = None
        self._saved_switch = None
        self._tap_views: list[np.ndarray] = []
        self._pre_views: list[np.ndarray] = []
        self._lim_views: list[np.ndarray] = []
        self._master_objects: list = []
        self.limiter = None
        self.latency_samples = 0
        self.recorder = None  # a Recorder fed the finished master block by the hook
        self.faults = Faults("in its block hook", "its voices were silenced, and the audio "
                             "goes on")  # a piece's exceptions in the hook (see _fault)
        # Flush-to-zero is per thread: set by the hook in whichever thread runs the DSP (pyo's
        # audio thread; the caller's in manual mode, restored by close()).
        self._fpu = denormals.FloatControl()
        self._fpu_thread: int | None = None
        self._fpu_before = -1
        self.dsp_control_word = -1  # MXCSR/FPCR as the hook last read it in the DSP thread

    # -- set-up -------------------------------------------------------------------------
    @property
    def realtime(self) -> bool:
        return self.backend in ("jack", "portaudio")

    @property
    def time_s(self) -> float:
        """Audio time at the start of the next block."""
        return self.block_index * self.block_s

    def boot(self) -> Engine:
        server = self._boot_server()
        if self.backend == "jack" and self.route.name == "PipeWire":
            server = self._settle_pipewire(server)
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

    def _settle_pipewire(self, server):
        """Boot again until pyo and PipeWire agree on the quantum.

        pyo reads the quantum we asked for (PIPEWIRE_LATENCY) when its client opens, and
        follows PipeWire's buffer-size notices from then on; a graph already running at
        another quantum (a stream playing, a forced quantum) sends one as our client joins,
        and the graph may then move to our request a few cycles later. A pyo graph built for
        one block and run at another plays garbled, so: wait until the quantum has held for
        SETTLE_S (pyo outputs silence until started), and if it is not the block we built
        for, boot again asking for the one PipeWire runs.
        """
        asked = self.block
        for _ in range(SETTLE_ATTEMPTS):
            quantum = _settled(server.getBufferSize)
            if quantum == self.block:
                if self.block != asked:
                    self.boot_note = (
                        f"PipeWire keeps a quantum of {self.block} frames (a stream playing "
                        "already, or a forced quantum, holds it): playing at block "
                        f"{self.block} (asked {asked})")
                return server
            server.shutdown()
            # A quantum out of range: server_format's one line.
            server_format(self.backend, self.sr, self.block,
                          backends.ServerFormat(self.sr, quantum), self.route.name)
            pipewire.request_latency(quantum, self.sr, force=True)
            self.block, self.block_s = quantum, quantum / self.sr
            server = self._boot_server()
        server.shutdown()
        raise AudioUnavailable(f"PipeWire's quantum did not settle in {SETTLE_ATTEMPTS} boots "
                               "(another program keeps changing it); start again")

    def _boot_server(self):
        native.ensure()  # pyo binds to the libraries this process chose
        import pyo

        mode = "manual" if self.backend in ("offline", "manual") else self.backend
        kwargs = {"jackname": self.jack_client} if mode == "jack" else {}
        server = pyo.Server(
            sr=self.sr, nchnls=2, buffersize=self.block, duplex=0, audio=mode, **kwargs
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

    def _build_master(self) -> None:
        import pyo

        block = self.block
        self._silence = pyo.Sig([0.0, 0.0])
        self._input = pyo.InputFader(self._silence)
        level = 10.0 ** (self.volume_db / 20.0)  # 1 at first; the performer's after a rejoin
        self._volume = pyo.SigTo(level, time=0.05, init=level)
        pre = self._input * self._volume
        # The limiter runs in the block hook: it reads the block pyo just mixed (the pre tap,
        # one block old when the hook runs) and writes the limited block that the counter-
        # indexed readers below play in this block. Latency: one block + the look-ahead.
        self.limiter = Limiter(self.sr, ceiling_dbfs=CEILING_DBFS)
        self._pre_views = [self.tables.new(f"master.pre{c}", block) for c in range(2)]
        self._lim_views = [self.tables.new(f"master.limited{c}", block) for c in range(2)]
        counter = self.block_counter()
        limited = pyo.Mix(
            [pyo.TableIndex(self.tables.table(f"master.limited{c}"), counter) for c in range(2)],
            voices=2,
        )
        # The limiter already holds the ceiling; the clip is a last guard that never acts.
        self._out = pyo.Clip(limited, min=-CEILING, max=CEILING)
        self._out.out()
        # The master tap: after each block these tables hold exactly that block (the fill
        # index wraps at the table size, which is the block size).
        self._tap_views = [self.tables.new(f"master.tap{c}", block) for c in range(2)]
        self._master_objects = [
            pre, limited,
            *(pyo.TableFill(pre[c], self.tables.table(f"master.pre{c}")) for c in range(2)),
            *(pyo.TableFill(self._out[c], self.tables.table(f"master.tap{c}")) for c in range(2)),
        ]
        self.latency_samples = block + self.limiter.latency_samples

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
        self.piece = piece
        self.queue = EventQueue(events)
        self._build(piece)
        if not self.realtime:
            self._server.setCallback(self._preroll)
            self._server.start()  # a manual server computes nothing until started
            self._running = True
            for _ in range(PREROLL_BLOCKS):
                self._server.process()
        self._server.setCallback(self._hook)

    def _build(self, piece) -> None:
        """``piece``'s graph and the master chain on the booted server, every kernel warmed,
        the piece routed to the master and handed to the hook."""
        output = piece.build(self)
        # pyo computes objects in the order they were made: the master chain comes after the
        # piece's graph, or it would read the piece's output one block late.
        self._build_master()
        piece.warm()
        for pool in self.pools:
            pool.warm()
        self.limiter.warm(self.block)
        self._input.setInput(output, fadetime=0.001)
        self._output = output
        self._playing = (piece, self.pools)

    # -- the block hook (audio thread) ----------------------------------------------------
    def _hook(self) -> None:
        if self._fpu_thread != threading.get_ident():
            self._enter_dsp_thread()
        elif self.block_index & 1023 == 0:  # proof that the bits stay set in this thread
            self.dsp_control_word = self._fpu.word()
        if self.realtime:
            now = time.perf_counter()
            self._intervals_s[self._n_costs % COST_RING] = now - self._last_callback
            self._last_callback = now
            self._n_costs += 1
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
        pre, lim = self._pre_views, self._lim_views
        self.limiter.process(pre[0], pre[1], lim[0], lim[1])
        if self.recorder is not None:  # the tap still holds the block pyo finished last
            self.recorder.capture(self._tap_views[0], self._tap_views[1])
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
        pre, lim = self._pre_views, self._lim_views
        self.limiter.process(pre[0], pre[1], lim[0], lim[1])

    def _enter_dsp_thread(self) -> None:
        """First block in this thread: subnormal numbers flushed to zero from now on here (the
        callback and pyo's DSP run in the same thread, the callback first)."""
        before = self._fpu.flush_to_zero()
        if self._fpu_thread is None:
            self._fpu_before = before
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
        self._volume.value = 10.0 ** (self.volume_db / 20.0)

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
            self._retire_now(piece, self._building)
            raise
        finally:
            new_pools, self._building = self._building, None
        self._playing = (piece, new_pools)
        self.piece, self.pools = piece, new_pools
        self._input.setInput(output, fadetime=fade_s)
        self._output = output
        fade_blocks = int(np.ceil(fade_s / self.block_s))
        self._retiring.append((old_piece, old_pools, self.block_index + fade_blocks + 2, output))
        if self.realtime and self._running:
            self._wait_for_block(self._retiring[-1][2], timeout_s)
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
        keep = []
        for old_piece, old_pools, after, output in self._retiring:
            if self.block_index < after:
                keep.append((old_piece, old_pools, after, output))
                continue
            # The fader still holds the old graph in its other slot: give it the new output
            # there too (identical signals, so no click) and the old graph is let go. (After
            # a later switch the fader has let go of it already.)
            if output is self._output:
                self._input.setInput(output, fadetime=0.001)
            self._retire_now(old_piece, old_pools)
        self._retiring = keep

    def _retire_now(self, piece, pools) -> None:
        piece.release()
        for pool in pools:
            pool.release()
            self.tables.release(prefix=f"{pool.name}.")

    # -- clocks ---------------------------------------------------------------------------
    def process(self, out: np.ndarray | None = None) -> None:
        """Compute one block (offline/manual); copy it into ``out`` (shape (block, 2)) if given.

        The tap's table views never leave the engine, so none can outlive its table.
        """
        t0 = time.perf_counter()
        self._server.process()
        self._costs_s[self._n_costs % COST_RING] = time.perf_counter() - t0
        self._n_costs += 1
        if self._retiring:
            self._retire_due()
        if out is not None:
            out[:, 0] = self._tap_views[0]
            out[:, 1] = self._tap_views[1]

    def start(self) -> None:
        """Start real-time audio (jack/portaudio)."""
        if not self.realtime:
            raise RuntimeError("start() is for real-time backends; call process() instead")
        self._last_callback = self._started_at = time.perf_counter()
        self._server_inode = self._listening()
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
        if not (self.realtime and (self._running or self._died)):
            return 0.0
        return time.perf_counter() - self._last_callback

    # -- when the server goes quiet (main thread) -------------------------------------------
    @property
    def server_label(self) -> str:
        """The server in a line for the performer."""
        if self.backend != "jack":
            return f"the {self.backend} device"
        if self.route.name == "PipeWire":
            return "PipeWire"
        return f"the JACK server '{jacklib.server_name()}'"

    @property
    def can_rejoin(self) -> bool:
        """Whether :meth:`rejoin` is done for this server: a JACK server (jackd); not PipeWire
        (not tried) nor a portaudio device."""
        return self.backend == "jack" and self.route.name != "PipeWire"

    def _server_paths(self) -> tuple[str, ...]:
        """Where the audio server listens for new clients (none known for portaudio)."""
        if self.backend != "jack":
            return ()
        if self.route.name == "PipeWire":
            path = pipewire.socket_path()
            return (path,) if path else ()
        return jacklib.socket_paths()

    def _listening(self) -> int | None:
        """The inode of the socket the server listens on now; None when none is known."""
        paths = self._server_paths()
        if not paths:
            return None
        try:
            return jacklib.listening(paths)
        except OSError:  # no /proc/net/unix here
            return None

    def _server_died(self) -> bool:
        """Whether the JACK server shut pyo's server down under us (pyo does so from JACK's
        shutdown callback when the server dies or drops our client); said to jacklib, so that
        no client is opened until a rejoin."""
        if not self._died and self._running and self.backend == "jack" \
                and not self._server.getIsBooted():
            self._died = True
            jacklib.server_died()
        return self._died

    def server_status(self) -> str:
        """ALIVE, GONE, BACK or UNKNOWN: the server as seen from here while no audio comes,
        from pyo's server (shut down by JACK or not) and the kernel's table of listening
        sockets (a stopped or stalled server still listens; a dead one does not). Nothing is
        asked of the server itself. PipeWire is looked for at its own socket."""
        if not self.realtime or self._server is None:
            return UNKNOWN
        inode = self._listening()
        if self._server_died():
            return BACK if inode is not None else GONE
        if self._server_inode is None:
            return UNKNOWN  # no socket seen when audio started (portaudio, no /proc): no telling
        return ALIVE if inode == self._server_inode else GONE

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
        piece = self.piece
        if self._output is not None:  # the old graph, once (a failed boot keeps trying)
            self._server.setCallback(_noop)
            self.stop()
            self._voices = {pool.name: pool.bank for pool in self.pools}
            self._release_graph()
            gc.collect()  # the old graph's cycles, before the heap is frozen again
        try:
            self.boot()  # a new pyo server: libjack frees the dead client as it opens ours
        except UserError as exc:
            raise AudioUnavailable(str(exc)) from None
        try:
            self._build(piece)
        except BaseException:  # still dead to the watchdog, which says why at its limit
            self._release_graph()
            self._server.shutdown()
            raise
        self._died = False
        jacklib.server_died(False)
        self._carry_voices()
        self._server.setCallback(self._hook)
        self._server_inode = self._listening()
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
        return self._ring(self._costs_s)

    def callback_times_s(self) -> np.ndarray | None:
        """``time.perf_counter()`` of every block hook in real time since ``start`` (None once
        the ring has wrapped)."""
        if self._n_costs > COST_RING or self._started_at is None:
            return None
        return self._started_at + np.cumsum(self._intervals_s[:self._n_costs])

    def callback_intervals_s(self) -> np.ndarray:
        """Times between block hooks in real time (the first one dropped), oldest first."""
        return self._ring(self._intervals_s)[1:]

    def _ring(self, ring: np.ndarray) -> np.ndarray:
        n = self._n_costs
        if n <= COST_RING:
            return ring[:n].copy()
        i = n % COST_RING
        return np.concatenate([ring[i:], ring[:i]])

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
        self.piece = None
        if self._server.getIsBooted():
            self._server.shutdown()
        self._server = None
        if self._died:  # the performance's other JACK clients are closed by now
            jacklib.server_died(False)
        if self._fpu_thread == threading.get_ident():  # manual mode: the caller's thread back
            self._fpu.restore(self._fpu_before)
        return leaked

    def _release_graph(self) -> list[str]:
        """Every piece's and the master's views dropped, then the tables, then the pyo objects
        (no hook runs: call after the callback is cleared and the audio stopped). The piece
        stays ``self.piece``, its learning in it; returns tables kept alive by leaked views."""
        for old_piece, old_pools, _, _ in self._retiring:
            old_piece.release()
            for pool in old_pools:
                pool.release()
        self._retiring = []
        self._playing = (None, [])
        self._hook_piece = None
        if self.piece is not None:
            self.piece.release()
        self.limiter = None
        for pool in self.pools:
            pool.release()
        self._tap_views = self._pre_views = self._lim_views = []
        self._master_objects = []
        leaked = self.tables.release()
        self.pools.clear()  # in place: a scene drawing them sees the rebuilt ones
        self._input = self._out = self._volume = self._silence = self._counter = None
        self._output = None
        return leaked

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
