"""Additive voice pools: a :class:`VoiceBank` (envelopes, allocation, glide at block rate) whose
partials are made audible one of two ways, chosen per engine (``voices="numba"|"pyo"``).

- ``numba`` (default): one kernel renders every partial of the pool into two block-sized
  DataTables (see ``synthlearn.dsp.oscbank``), which pyo plays with ``TableIndex(table,
  block counter)`` in the same block (the hook runs before pyo computes it: no added latency).
  Measured 11-16x cheaper than the pyo graph, and cost follows what sounds.
- ``pyo``: the reference graph, one ``Sine`` per partial. Its frequency and amplitude come from
  ``TableIndex`` reads of the bank's tables, each through a one-pole ``Port`` of about one block
  (measured: block-rate zipper images -70 dB without the frequency Port, -91 dB with it).

Both smooth per sample with the same recursion, so envelopes never click and a frequency a
learner moves every block reaches the oscillator without a staircase. Partials are spread
across the stereo field with constant-power gains: the fundamental in the centre, higher
partials alternating left and right, wider as they rise.
"""

from __future__ import annotations

import numpy as np

from synthlearn.dsp.oscbank import OscBank
from synthlearn.dsp.voicing import VoiceBank
from synthlearn.snapshot import Snapshot

VOICE_PATHS = ("numba", "pyo")
MIN_SMOOTH_S = 0.002  # the per-sample smoothers' time: about a block, at least 2 ms
PUBLISH_HZ = 60.0  # how often a pool publishes its partials for the window


def partial_pans(voices: int, partials: int, spread: float,
                 centre: float = 0.5) -> np.ndarray:
    """Pan position 0 (left) .. 1 (right) of every partial, around ``centre``; voice-major,
    (voices*partials,)."""
    k = np.arange(partials)
    width = k / max(partials - 1, 1)
    side = np.where(k % 2 == 1, -1.0, 1.0)
    per_partial = centre + 0.5 * spread * side * width
    # Neighbouring voices lean a little apart so chords open up too.
    lean = 0.1 * spread * np.where(np.arange(voices) % 2 == 1, -1.0, 1.0)
    pans = np.clip(per_partial[None, :] + lean[:, None], 0.0, 1.0)
    return pans.reshape(-1)


def _of_bank(name: str, doc: str) -> property:
    """A pool's parameter by name: its bank's attribute ``name`` (see VoiceBank)."""

    def get(pool):
        return getattr(pool.bank, name)

    def put(pool, value) -> None:
        setattr(pool.bank, name, value)

    return property(get, put, doc=doc)


class PartialPool:
    """``voices`` × ``partials`` sines driven by a VoiceBank; ``output`` is a stereo pyo object.

    Subclasses make the bank's block-rate targets audible; ``process()`` runs in the block hook.
    About ``PUBLISH_HZ`` times a second it copies every partial's frequency and amplitude into
    ``snapshot`` (fields ``freq_hz``, ``amp``): what a scene reads, never the pyo tables.
    """

    def __init__(self, engine, name: str, voices: int, partials: int, *, spread: float = 0.6,
                 pan: float = 0.5, **bank_params):
        n = voices * partials
        self.name = name
        self.pans = partial_pans(voices, partials, spread, pan)
        self.smooth_s = max(MIN_SMOOTH_S, engine.block_s)
        freq_out, amp_out = self._targets(engine, n)
        self.bank = VoiceBank(voices, partials, block_s=engine.block_s, max_hz=0.45 * engine.sr,
                              freq_out=freq_out, amp_out=amp_out, **bank_params)
        self._objects: list = []
        self.output = self._graph(engine, n)
        self.snapshot = Snapshot(freq_hz=(n, np.float32), amp=(n, np.float32))
        self._publish_every = max(1, round(engine.sr / engine.block / PUBLISH_HZ))
        self._blocks = 0

    # -- the pool's envelope and level, by name (its bank's: see VoiceBank) -----------------
    attack_s = _of_bank("attack_s", "Time from silence to full level, in seconds.")
    decay_s = _of_bank("decay_s", "Time a note falls by 60 dB towards its sustain, from its "
                                  "next note on.")
    sustain = _of_bank("sustain", "Level held while a note is held (0..1).")
    release_s = _of_bank("release_s", "Time a released note falls by 60 dB, from its next "
                                      "note on.")
    glide_s = _of_bank("glide_s", "Time constant of a frequency's glide, in seconds.")
    gain = _of_bank("gain", "Linear gain of every partial.")

    def _targets(self, engine, n: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _graph(self, engine, n: int):
        raise NotImplementedError

    def process(self) -> None:
        """In the audio thread, once per block: envelopes, then the partials' targets."""
        self.bank.update()
        self._publish()

    def _publish(self) -> None:
        self._blocks += 1
        if self._blocks % self._publish_every == 0:
            record = self.snapshot.back()
            record["freq_hz"][:] = self.bank.freq_out
            record["amp"][:] = self.bank.amp_out
            self.snapshot.publish()

    def warm(self) -> None:
        self.bank.warm()

    def release(self) -> None:
        """Drop every reference to table views (the engine frees the tables)."""
        self.bank.freq_out = np.zeros(0, np.float32)
        self.bank.amp_out = np.zeros(0, np.float32)
        self._objects.clear()
        self.output = None


class PyoPartials(PartialPool):
    """The reference path: a pyo ``Sine`` per partial reading the bank's tables."""

    path = "pyo"

    def _targets(self, engine, n):
        return (engine.tables.new(f"{self.name}.freq_hz", n, init=100.0),
                engine.tables.new(f"{self.name}.amp", n, init=0.0))

    def _graph(self, engine, n):
        import pyo

        index = pyo.Sig([float(i) for i in range(n)])
        t = self.smooth_s
        freq = pyo.Port(pyo.TableIndex(engine.tables.table(f"{self.name}.freq_hz"), index),
                        risetime=t, falltime=t, init=100.0)
        amp = pyo.Port(pyo.TableIndex(engine.tables.table(f"{self.name}.amp"), index),
                       risetime=t, falltime=t)
        osc = pyo.Sine(freq=freq, mul=amp)
        left = pyo.Mix(osc * list(np.cos(self.pans * np.pi / 2)), voices=1)
        right = pyo.Mix(osc * list(np.sin(self.pans * np.pi / 2)), voices=1)
        self._objects = [index, freq, amp, osc, left, right]
        return pyo.Mix([left, right], voices=2)


class KernelPartials(PartialPool):
    """The default path: one numba kernel renders the pool into two block-sized tables."""

    path = "numba"

    def _targets(self, engine, n):
        # Plain arrays: only the kernel reads the targets, so pyo needs no table of them.
        return np.full(n, 100.0, np.float32), np.zeros(n, np.float32)

    def _graph(self, engine, n):
        import pyo

        self.osc = OscBank(self.pans, block=engine.block, sr=engine.sr, smooth_s=self.smooth_s)
        self._out = [engine.tables.new(f"{self.name}.out{c}", engine.block) for c in range(2)]
        counter = engine.block_counter()
        self._objects = [pyo.TableIndex(engine.tables.table(f"{self.name}.out{c}"), counter)
                         for c in range(2)]
        return pyo.Mix(self._objects, voices=2)

    def process(self) -> None:
        bank = self.bank
        bank.update()
        self.osc.process(bank.freq_out, bank.amp_out, self._out[0], self._out[1])
        self._publish()

    def warm(self) -> None:
        self.bank.warm()
        self.osc.warm()

    def release(self) -> None:
        self._out = []
        super().release()


POOLS = {"numba": KernelPartials, "pyo": PyoPartials}
