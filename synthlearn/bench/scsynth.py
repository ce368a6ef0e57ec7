"""SuperCollider's ``scsynth`` as a peer in the benchmark: N summed partials, rendered in NRT mode.

SuperCollider is never a dependency: :func:`available` says whether ``scsynth`` runs here and,
if not, why. Everything is driven from Python, without sclang: a small SynthDef (format 2)
writer, an NRT score writer (OSC bundles) and a runner that times the child process.

The workload, per partial ``i``::

    freq = Lag.ar(K2A.ar(freq_i), smooth_s)        # per-sample smoothing of the frequency
    amp  = Lag.ar(K2A.ar(amp_i), smooth_s)         # ... and of the amplitude
    Out.ar(0, Pan2.ar(SinOsc.ar(freq, 0) * amp, pos_i, 1))   # pos_i = 2 * pan_i - 1

``freq_i``, ``amp_i`` and ``pos_i`` are named parameters of one ``Control.kr``. Why this graph:
``Lag.ar`` reads its input as a full audio buffer, so a control must reach it through ``K2A``
(which also spreads a change linearly across the block); ``Lag`` then smooths per sample, the
analogue of pyo's ``Port`` in synthlearn's voices. Both signals are audio rate, so ``SinOsc``
follows the frequency per sample; the amplitude is one ``BinaryOpUGen`` ``*`` (``SinOsc`` has
no ``mul`` input on the server). Pan2 is constant power (sin/cos table: -3 dB each at the
centre); the pan is fixed per partial, as in synthlearn, so ``pos`` is computed here and
stays control rate. Each partial adds into buses 0/1 with its own ``Out``. That is 8 UGens
per partial plus one ``Control`` per synth.

``smooth_s`` is SuperCollider's lag time: the time to come within 60 dB of a step. pyo's
``Port(risetime=τ)`` has a time constant of about τ (measured: 63 % of a step after 2.2 ms
for τ = 2 ms), so SC's equivalent is ``smooth_s ≈ τ * ln(1000) ≈ 6.9 τ``. The CPU cost does
not depend on it.

Onset: ``K2A`` and ``Lag`` start at their input's first value (``Lag_Ctor`` sets its state
to ``ZIN0(0)``), and UGen constructors run at the synth's first block, not at ``/s_new``; so a
synth created with amplitude ``a`` starts at full amplitude, and so does one whose ``/n_set``
arrives in the same block. To fade in as synthlearn's voices do (their amplitudes start at 0),
each synth is created with amplitude 0 and its amplitudes are set one block later: ``K2A``
ramps 0 → a across that block and ``Lag`` smooths the ramp. Block 0 is silent.

Structure: one synth per voice holding ``partials_per_synth`` (K) partials, as synthlearn
renders (16 voices x 8 partials); K = 1 is one node per partial. A remainder (N not a
multiple of K) goes to one smaller synth, never to silent padding partials that would cost CPU.
Measured (256 partials, block 64): K = 1 and K = 8 cost the same within run-to-run noise
(±10 %), and so does summing the partials with ``BinaryOpUGen`` ``+`` into one ``Out`` instead
of one ``Out`` per partial.

Timing: ``cpu_s`` is user + system CPU of the scsynth child (``RUSAGE_CHILDREN``);
``startup_cpu_s`` is the same score cut to two blocks (plugin loading, SynthDef and synth
creation, the first calculation, writing the file); ``compute_cpu_s`` is the difference.
"""

from __future__ import annotations

import math
import re
import resource
import shutil
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pythonosc.osc_message_builder import OscMessageBuilder

from synthlearn.errors import SynthlearnError

SCALAR, CONTROL, AUDIO = 0, 1, 2  # calculation rates in a SynthDef
OP_MUL = 2  # BinaryOpUGen special index for '*'
HEADER, SAMPLE_FORMAT = "WAV", "int16"
FIRST_NODE = 1000  # node ids below this are left to the server (group 0 is the root)


class ScsynthError(SynthlearnError, RuntimeError):
    """scsynth is missing, failed, or wrote no usable output."""


# --- SynthDef (file format version 2) -------------------------------------------------------


@dataclass(frozen=True)
class Wire:
    """Output ``output`` of the UGen at ``ugen`` in its SynthDef: an input for later UGens."""

    ugen: int
    output: int = 0


@dataclass
class _UGen:
    name: str
    rate: int
    inputs: list[tuple[int, int]]  # (ugen index, output index) or (-1, constant index)
    output_rates: list[int]
    special: int


@dataclass
class SynthDef:
    """A tiny UGen graph builder that writes SynthDef file format 2 ("SCgf", version 2).

    UGens are listed in the order they are added, which is the order scsynth runs them; inputs
    are :class:`Wire` s of earlier UGens or numbers (stored once each in the constants table).
    """

    name: str
    constants: list[float] = field(default_factory=list)
    param_names: list[str] = field(default_factory=list)
    param_values: list[float] = field(default_factory=list)
    ugens: list[_UGen] = field(default_factory=list)

    def controls(self, params: dict[str, float]) -> tuple[Wire, ...]:
        """One ``Control.kr`` with a named parameter (and default) per entry of ``params``."""
        first = len(self.param_values)  # Control's special index: its first parameter
        self.param_names += list(params)
        self.param_values += [float(v) for v in params.values()]
        return self.add("Control", CONTROL, outputs=len(params), special=first)

    def add(self, name: str, rate: int, *inputs: Wire | float, outputs: int = 1,
            special: int = 0) -> tuple[Wire, ...]:
        """Append UGen ``name`` at ``rate``; return its outputs (all at ``rate``)."""
        specs = []
        for x in inputs:
            if isinstance(x, Wire):
                if not (0 <= x.ugen < len(self.ugens)):
                    raise ValueError(f"{name}: input from UGen {x.ugen}, not added before it")
                specs.append((x.ugen, x.output))
            else:
                specs.append((-1, self._constant(float(x))))
        self.ugens.append(_UGen(name, rate, specs, [rate] * outputs, special))
        index = len(self.ugens) - 1
        return tuple(Wire(index, k) for k in range(outputs))

    def _constant(self, value: float) -> int:
        if value not in self.constants:
            self.constants.append(value)
        return self.constants.index(value)

    def to_bytes(self) -> bytes:
        """The bytes of a one-definition SynthDef file (big endian, packed)."""
        out = [b"SCgf", struct.pack(">iH", 2, 1), _pstring(self.name)]
        out.append(struct.pack(f">i{len(self.constants)}f", len(self.constants), *self.constants))
        out.append(struct.pack(f">i{len(self.param_values)}f", len(self.param_values),
                               *self.param_values))
        out.append(struct.pack(">i", len(self.param_names)))
        for i, pname in enumerate(self.param_names):
            out += [_pstring(pname), struct.pack(">i", i)]
        out.append(struct.pack(">i", len(self.ugens)))
        for u in self.ugens:
            out += [_pstring(u.name),
                    struct.pack(">biih", u.rate, len(u.inputs), len(u.output_rates), u.special)]
            out += [struct.pack(">ii", a, b) for a, b in u.inputs]
            out += [struct.pack(">b", r) for r in u.output_rates]
        out.append(struct.pack(">h", 0))  # no variants
        return b"".join(out)


def _pstring(s: str) -> bytes:
    b = s.encode("ascii")
    if len(b) > 255:
        raise ValueError(f"name too long for a SynthDef pstring: {s[:40]}...")
    return bytes([len(b)]) + b


def partials_synthdef(k: int, smooth_s: float) -> SynthDef:
    """SynthDef ``partials{k}`` of ``k`` smoothed, panned sines added into buses 0/1.

    Parameters ``freq{j}`` (Hz), ``amp{j}`` (linear) and ``pos{j}`` (-1 left .. 1 right).
    """
    g = SynthDef(f"partials{k}")
    params = {}
    for j in range(k):
        params |= {f"freq{j}": 440.0, f"amp{j}": 0.0, f"pos{j}": 0.0}
    ctl = g.controls(params)
    for j in range(k):
        freq_in, amp_in, pos = ctl[3 * j:3 * j + 3]
        (freq,) = g.add("Lag", AUDIO, *g.add("K2A", AUDIO, freq_in), smooth_s)
        (sine,) = g.add("SinOsc", AUDIO, freq, 0.0)
        (amp,) = g.add("Lag", AUDIO, *g.add("K2A", AUDIO, amp_in), smooth_s)
        (sig,) = g.add("BinaryOpUGen", AUDIO, sine, amp, special=OP_MUL)
        left, right = g.add("Pan2", AUDIO, sig, pos, 1.0, outputs=2)
        g.add("Out", AUDIO, 0.0, left, right, outputs=0)
    return g


# --- NRT score: [int32 size][OSC bundle] ... ------------------------------------------------


def osc_message(address: str, *args: str | int | float | bytes) -> bytes:
    """One OSC message; ``bytes`` become blobs, ints int32, floats float32."""
    b = OscMessageBuilder(address=address)
    for a in args:
        b.add_arg(a, "b" if isinstance(a, bytes) else None)
    return b.build().dgram


def osc_bundle(time_s: float, messages: list[bytes]) -> bytes:
    """An OSC bundle time-tagged ``time_s`` seconds from the start of the NRT score.

    Written by hand: pythonosc's bundle builder converts from Unix time, and NRT time tags
    count seconds (32.32 fixed point) from the score's start.
    """
    tag = struct.pack(">Q", round(time_s * 2**32))
    return b"#bundle\0" + tag + b"".join(struct.pack(">i", len(m)) + m for m in messages)


def nrt_score(bundles: list[bytes]) -> bytes:
    """The command file ``scsynth -N`` reads: each bundle preceded by its int32 size."""
    return b"".join(struct.pack(">i", len(b)) + b for b in bundles)


def partials_score(freqs_hz: np.ndarray, amps: np.ndarray, pos: np.ndarray, *, k: int,
                   smooth_s: float, amps_s: float, end_s: float) -> tuple[bytes, int]:
    """(score bytes, number of synths): SynthDefs and silent synths at 0 s, their amplitudes
    at ``amps_s``, an empty bundle at ``end_s`` (>= ``amps_s``) that ends the render."""
    n = len(freqs_hz)
    sizes = [k] * (n // k) + ([n % k] if n % k else [])
    load = [osc_message("/d_recv", partials_synthdef(s, smooth_s).to_bytes())
            for s in sorted(set(sizes))]
    start, new, sets = 0, [], []
    for node, size in enumerate(sizes, FIRST_NODE):
        part = range(start, start + size)
        args: list[str | float] = []
        for j, i in enumerate(part):
            args += [f"freq{j}", float(freqs_hz[i]), f"pos{j}", float(pos[i])]
        # addAction 1: tail of group 0. Amplitudes stay 0 until ``amps_s`` (the onset).
        new.append(osc_message("/s_new", f"partials{size}", node, 1, 0, *args))
        amp_args: list[str | float] = []
        for j, i in enumerate(part):
            amp_args += [f"amp{j}", float(amps[i])]
        sets.append(osc_message("/n_set", node, *amp_args))
        start += size
    bundles = [osc_bundle(0.0, load), osc_bundle(0.0, new), osc_bundle(amps_s, sets),
               osc_bundle(end_s, [])]
    return nrt_score(bundles), len(sizes)


# --- running scsynth -----------------------------------------------------------------------


def available() -> tuple[bool, str]:
    """(True, "scsynth 3.13.0 at /usr/bin/scsynth") or (False, why it cannot be used)."""
    exe = shutil.which("scsynth")
    if exe is None:
        return False, "scsynth is not installed (Debian: apt-get install supercollider-server)"
    try:
        run = subprocess.run([exe, "-v"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{exe} -v did not run: {exc}"
    m = re.search(r"scsynth\s+(\S+)", run.stdout + run.stderr)
    if run.returncode != 0 or m is None:
        return False, f"{exe} -v failed (exit {run.returncode}): {_last_line(run)}"
    return True, f"scsynth {m.group(1)} at {exe}"


def nrt_command(exe: str, score: Path, wav: Path, *, sr: int, block: int, nodes: int) -> list[str]:
    """The scsynth argv: options first, then ``-N cmd-file input-file output-file sr header
    sample-format`` (``_`` = no input file). ``-D 0`` skips loading the user's SynthDef
    directory, so start-up does not depend on what is installed there."""
    return [exe, "-o", "2", "-i", "0", "-z", str(block), "-n", str(max(1024, nodes + 16)),
            "-D", "0", "-N", str(score), "_", str(wav), str(sr), HEADER, SAMPLE_FORMAT]


def _last_line(run: subprocess.CompletedProcess) -> str:
    for text in (run.stderr, run.stdout):
        lines = [s for s in (text or "").splitlines() if s.strip()]
        if lines:
            return lines[-1].strip()
    return "(no output)"


def _run(argv: list[str], wav: Path, min_frames: int) -> tuple[float, float]:
    """Run scsynth; return (child CPU s, wall s). Raises ScsynthError on any failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run = subprocess.run(argv, capture_output=True, text=True)
    wall_s = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # scsynth exits 0 even when a command fails inside the score; it says so in its output.
    failed = [s for s in (run.stdout + run.stderr).splitlines()
              if "FAILURE" in s or "ERROR" in s or "exception" in s.lower()]
    if run.returncode != 0 or failed:
        why = failed[-1].strip() if failed else _last_line(run)
        raise ScsynthError(f"scsynth failed (exit {run.returncode}): {why}")
    frames = _wav_frames(wav)
    if frames < min_frames:
        raise ScsynthError(f"scsynth wrote {frames} frames to {wav.name}, expected {min_frames}")
    return cpu_s, wall_s


def _wav_frames(path: Path) -> int:
    import wave

    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes()
    except (OSError, EOFError, wave.Error):
        return 0


def _check(freqs_hz, amps, pans, *, k: int, seconds: float, sr: int, block: int,
           smooth_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arrays = []
    for label, a in (("freqs_hz", freqs_hz), ("amps", amps), ("pans", pans)):
        a = np.asarray(a, dtype=np.float64)
        if a.ndim != 1 or a.size == 0:
            raise ValueError(f"{label} must be a non-empty 1-D array, got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{label} must be finite")
        arrays.append(a)
    f, a, p = arrays
    if not (len(f) == len(a) == len(p)):
        raise ValueError(f"freqs_hz, amps, pans differ in length: {len(f)}, {len(a)}, {len(p)}")
    if isinstance(sr, bool) or not isinstance(sr, int | np.integer) or sr < 1000:
        raise ValueError(f"sr must be an integer sample rate >= 1000 Hz, got {sr!r}")
    if isinstance(block, bool) or not isinstance(block, int | np.integer) or block < 1:
        raise ValueError(f"block must be a positive integer (samples), got {block!r}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"partials_per_synth must be a positive integer, got {k!r}")
    if np.any(f <= 0) or np.any(f >= sr / 2):
        raise ValueError(f"freqs_hz must lie in (0, {sr / 2:g}) Hz (Nyquist at sr={sr})")
    if np.any(a < 0):
        raise ValueError("amps must be >= 0 (linear amplitude)")
    if np.any(p < 0) or np.any(p > 1):
        raise ValueError("pans must lie in [0, 1] (0 left, 1 right)")
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"seconds must be > 0, got {seconds!r}")
    if not (math.isfinite(smooth_s) and smooth_s >= 0):
        raise ValueError(f"smooth_s must be >= 0 seconds, got {smooth_s!r}")
    return f, a, p


def render_partials(freqs_hz: np.ndarray, amps: np.ndarray, pans: np.ndarray, *,
                    partials_per_synth: int, seconds: float, sr: int = 48000, block: int = 64,
                    smooth_s: float = 0.002, wav_path: str | Path | None = None) -> dict:
    """Render N partials with scsynth in NRT mode and time it.

    ``freqs_hz``, ``amps`` (linear) and ``pans`` (0 left .. 1 right) are 1-D, length N.
    ``seconds`` is rounded up to whole blocks of ``block`` samples at ``sr`` Hz (at least 2:
    block 0 is silent, amplitudes glide in from block 1). Returns
    ``cpu_s``, ``startup_cpu_s``, ``compute_cpu_s`` (CPU seconds), ``wall_s``, ``partials``,
    ``seconds``, ``sr``, ``block`` and ``wav`` (``wav_path``, where the 16-bit stereo render is
    kept, or None). Raises ValueError for bad arguments, ScsynthError if scsynth cannot run.
    """
    f, a, p = _check(freqs_hz, amps, pans, k=partials_per_synth, seconds=seconds, sr=sr,
                     block=block, smooth_s=smooth_s)
    ok, why = available()
    if not ok:
        raise ScsynthError(why)
    exe = shutil.which("scsynth")
    assert exe is not None
    k = int(partials_per_synth)
    pos = 2.0 * p - 1.0
    n_blocks = max(2, math.ceil(seconds * sr / block - 1e-9))
    with tempfile.TemporaryDirectory(prefix="synthlearn-scsynth-") as tmp:
        tmp_dir = Path(tmp)
        runs = {}
        # Before rendering block b, scsynth runs the bundles stamped up to the end of block b, and
        # it stops after the block that ran the last one; so a bundle mid-block b acts from
        # block b on, and one mid-block b - 1 ends the render after b blocks.
        mid_s = 0.5 * block / sr
        # The start-up run first: synths built (block 0) and amplitudes set (block 1), no more.
        for label, blocks in (("startup", 2), ("full", n_blocks)):
            score, synths = partials_score(f, a, pos, k=k, smooth_s=smooth_s,
                                           amps_s=block / sr + mid_s,
                                           end_s=(blocks - 1) * block / sr + mid_s)
            score_path, wav = tmp_dir / f"{label}.osc", tmp_dir / f"{label}.wav"
            score_path.write_bytes(score)
            argv = nrt_command(exe, score_path, wav, sr=sr, block=block, nodes=synths)
            runs[label] = _run(argv, wav, blocks * block)
        if wav_path is not None:
            shutil.move(tmp_dir / "full.wav", wav_path)
    cpu_s, wall_s = runs["full"]
    startup_cpu_s = runs["startup"][0]
    return {
        "cpu_s": cpu_s,
        "startup_cpu_s": startup_cpu_s,
        "compute_cpu_s": max(0.0, cpu_s - startup_cpu_s),
        "wall_s": wall_s,
        "partials": len(f),
        "seconds": n_blocks * block / sr,
        "sr": sr,
        "block": block,
        "wav": str(wav_path) if wav_path is not None else None,
    }
