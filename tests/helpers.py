"""Helpers the tests share: a manual-server run, spectral peaks, a JACK server of their own."""

import contextlib
import itertools

import numpy as np
import pytest

SR = 48000
JACK_PERIOD = 256  # the jack_server fixture's period: blocks of 256 in the JACK tests


def run_engine(piece, events, seconds, *, block=64, sr=SR, voices="numba", watch=None,
               each_block=None, engine_hook=None):
    """Run ``piece`` on a manual engine: the one manual-server loop of the tests.

    Returns (float32 frames (n, 2), facts): the latency, per-block costs, blocks run, tables
    leaked at close, and, with ``watch``, ``watch(piece)`` after every block (``seen``).
    ``each_block(engine, b)`` runs before block ``b``; ``engine_hook(engine)`` before playing.
    """
    from synthlearn.audio.engine import Engine

    engine = Engine("manual", sr=sr, block=block, voices=voices)
    n_blocks = round(seconds * sr / block)
    out = np.zeros((n_blocks * block, 2), np.float32)
    seen = []
    try:
        if engine_hook is not None:
            engine_hook(engine)
        engine.play(piece, list(events))
        for b in range(n_blocks):
            if each_block is not None:
                each_block(engine, b)
            engine.process(out[b * block:(b + 1) * block])
            if watch is not None:
                seen.append(watch(piece))
        facts = {"latency": engine.latency_samples, "costs": engine.block_costs_s(),
                 "block_index": engine.block_index, "seen": seen}
    finally:
        facts_leaked = engine.close()
    facts["leaked"] = facts_leaked
    return out, facts


def a440_midi(path, seconds):
    """A MIDI file at ``path`` holding one A4 (440 Hz) for ``seconds``, starting at 0.1 s."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks a second
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.Message("note_on", note=69, velocity=100, time=96))
    track.append(mido.Message("note_on", note=69, velocity=0, time=round(960 * seconds)))
    mid.save(path)
    return path


def peak_hz(x, sr, near_hz, width_hz=20.0):
    """Frequency (Hz) and amplitude of the strongest FFT peak near ``near_hz``.

    Hann window, parabolic interpolation on log magnitude; amplitude corrected for the window.
    """
    n = len(x)
    w = np.hanning(n)
    spec = np.abs(np.fft.rfft(x * w))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    band = np.flatnonzero(np.abs(freqs - near_hz) < width_hz)
    i = band[np.argmax(spec[band])]
    a, b, c = np.log(spec[i - 1:i + 2] + 1e-30)
    p = 0.5 * (a - c) / (a - 2 * b + c)
    hz = (i + p) * sr / n
    amp = np.exp(b - 0.25 * (a - c) * p) * 2 / w.sum()
    return hz, amp


@contextlib.contextmanager
def own_jackd(*, sr=SR, period=JACK_PERIOD):
    """A JACK server of the tests' own (dummy driver, a name no other server has), made the
    default server for this process and its children while it runs; skips without jackd."""
    import shutil

    from synthlearn.audio.jackd import start_jackd
    from synthlearn.errors import AudioUnavailable

    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (apt-get install jackd2)")
    # The same names every run: JACK keeps a slot per server name in its shared memory, and a
    # server killed with SIGKILL (one test does that) leaves its slot taken until a server of
    # the same name starts again; new names each run would use up JACK's slots for good.
    name = f"synthlearn-test-{next(_JACK_NAMES)}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JACK_DEFAULT_SERVER", name)  # libjack, pyo and our probe all read it
        try:
            server = start_jackd("dummy", sr=sr, period=period, name=name)
        except AudioUnavailable as exc:
            pytest.skip(f"jackd could not start here: {exc}")
        try:
            yield server
        finally:
            server.stop()


_JACK_NAMES = itertools.count()


def stderr_until(child, prefix, seen=None):
    """The first line of a ``perform`` child's stderr that starts with ``prefix`` (blocking on
    the child's own output, never on a timer); lines read on the way go into ``seen``."""
    seen = [] if seen is None else seen
    line = ""
    while not line.startswith(prefix):
        line = child.stderr.readline()
        assert line, f"perform ended before {prefix!r}: {seen}"
        seen.append(line)
    return line


def osc_port(child, seen=None):
    """The UDP port a ``perform --osc-in 127.0.0.1:0`` child says it listens on."""
    line = stderr_until(child, "osc: listening on 127.0.0.1:", seen)
    return int(line.split(":")[2].split()[0])


class OscListener:
    """A python-osc UDP server in the test, for what a ``perform --osc-out`` child sends: each
    message as ``(address, *args)`` in ``got``; a message that does not come within
    ``timeout_s`` fails the test instead of hanging it."""

    def __init__(self, timeout_s):
        from pythonosc import dispatcher, osc_server

        self.got = []
        disp = dispatcher.Dispatcher()
        disp.set_default_handler(lambda address, *args: self.got.append((address, *args)))
        self.server = osc_server.BlockingOSCUDPServer(("127.0.0.1", 0), disp)
        self.server.timeout = self.timeout_s = timeout_s

    @property
    def port(self):
        return self.server.server_address[1]

    def until(self, done):
        """Take messages until ``done(got)``."""
        while not done(self.got):
            n = len(self.got)
            self.server.handle_request()
            assert len(self.got) > n, f"no OSC within {self.timeout_s} s; got {self.got}"

    def close(self):
        self.server.server_close()


def random_presets(rows: int, cols: int, seed: int, levels: int = 10, labels: int = 4):
    """Random-ish labeled presets from a seed: ``cols`` parameters of ``levels`` values each,
    ``labels`` labels (the RuLer budget and progress tests)."""
    import random

    from synthlearn.learners.presets import Presets

    rnd = random.Random(seed)
    return Presets.from_rows(tuple(f"p{i}" for i in range(cols)),
                             [tuple(rnd.randrange(levels) for _ in range(cols))
                              + (f"l{rnd.randrange(labels)}",) for _ in range(rows)])


def random_presets_csv(rows: int, cols: int, seed: int) -> str:
    """The same kind of table as CSV text (a header, then one preset a row)."""
    import random

    rnd = random.Random(seed)
    lines = [",".join([f"p{i}" for i in range(cols)] + ["label"])]
    lines += [",".join([str(rnd.randrange(10)) for _ in range(cols)] + [f"l{rnd.randrange(4)}"])
              for _ in range(rows)]
    return "\n".join(lines) + "\n"


def folder_context(folder):
    """A piece's context reading in ``folder`` and exporting into ``folder/exports``."""
    from synthlearn import files
    from synthlearn.pieces.base import Context

    return Context(files=files.Folders(reads=(folder,), base=folder, exports=folder / "exports"))


def ruler_console(tmp_path, said: list):
    """(piece, console, worker): piece ruler behind a console with a started worker, reading
    and exporting in ``tmp_path``, with a small table ``small.csv`` there; ``said`` collects
    what both say."""
    import threading

    from synthlearn.commands.console import Console
    from synthlearn.pieces import live_language
    from synthlearn.pieces.ruler import Ruler
    from synthlearn.runtime.worker import Worker

    piece = Ruler(seed=1, context=folder_context(tmp_path))
    worker = Worker(say=said.append).start()
    console = Console(live_language(Ruler), lambda e: None, lambda: 0, stop=threading.Event(),
                      say=said.append, stream=None, piece=lambda: piece, worker=worker,
                      names=piece.names)
    (tmp_path / "small.csv").write_text("x,y,label\n1,2,a\n2,2,a\n2,3,a\n1,3,b\n")
    return piece, console, worker


def ruler_score(tmp_path, cues, *, duration=4.0, seed=3, name="s.toml"):
    """A ruler score of ``cues`` ((time s, line) pairs) in ``tmp_path``; its path."""
    import json

    lines = ['piece = "ruler"', f"seed = {seed}", f"duration = {duration}"]
    for t, line in cues:
        lines += ["[[at]]", f"time = {t}", f"do = {json.dumps(line)}"]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path

