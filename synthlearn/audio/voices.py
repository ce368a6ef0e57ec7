"""The additive voice pool as a fixed pyo graph reading a :class:`VoiceBank`'s tables.

One ``Sine`` per partial. Its frequency comes from ``TableIndex(freq_table, i)`` and its
amplitude from ``TableIndex(amp_table, i)``, each through a one-pole ``Port`` of about one block:
the kernel's block-rate values become per-sample curves, so envelopes never click and a
frequency a learner moves every block reaches the oscillator without a per-block staircase
(measured: block-rate zipper images -70 dB without the frequency Port, -91 dB with it, for a
detune moving every block). Partials are spread across the stereo field with constant-power
gains: the fundamental in the centre, higher partials alternating left and right, wider as
they rise.
"""

from __future__ import annotations

import numpy as np

from synthlearn.voicing import VoiceBank


def partial_pans(voices: int, partials: int, spread: float) -> np.ndarray:
    """Pan position 0 (left) .. 1 (right) of every partial; voice-major, (voices*partials,)."""
    k = np.arange(partials)
    width = k / max(partials - 1, 1)
    side = np.where(k % 2 == 1, -1.0, 1.0)
    per_partial = 0.5 + 0.5 * spread * side * width
    # Neighbouring voices lean a little apart so chords open up too.
    lean = 0.1 * spread * np.where(np.arange(voices) % 2 == 1, -1.0, 1.0)
    pans = np.clip(per_partial[None, :] + lean[:, None], 0.0, 1.0)
    return pans.reshape(-1)


class AdditivePool:
    """``voices`` × ``partials`` sines driven by a VoiceBank; ``output`` is a stereo pyo object."""

    def __init__(
        self,
        engine,
        name: str,
        voices: int,
        partials: int,
        *,
        spread: float = 0.6,
        **bank_params,
    ):
        import pyo

        n = voices * partials
        self.name = name
        freq_view = engine.tables.new(f"{name}.freq_hz", n, init=100.0)
        amp_view = engine.tables.new(f"{name}.amp", n, init=0.0)
        self.bank = VoiceBank(
            voices,
            partials,
            block_s=engine.block_s,
            max_hz=0.45 * engine.sr,
            freq_out=freq_view,
            amp_out=amp_view,
            **bank_params,
        )
        smooth_s = max(0.002, engine.block_s)
        index = pyo.Sig([float(i) for i in range(n)])
        freq = pyo.Port(
            pyo.TableIndex(engine.tables.table(f"{name}.freq_hz"), index),
            risetime=smooth_s,
            falltime=smooth_s,
            init=100.0,
        )
        amp = pyo.Port(
            pyo.TableIndex(engine.tables.table(f"{name}.amp"), index),
            risetime=smooth_s,
            falltime=smooth_s,
        )
        osc = pyo.Sine(freq=freq, mul=amp)
        pans = partial_pans(voices, partials, spread)
        left = pyo.Mix(osc * list(np.cos(pans * np.pi / 2)), voices=1)
        right = pyo.Mix(osc * list(np.sin(pans * np.pi / 2)), voices=1)
        self.output = pyo.Mix([left, right], voices=2)
        self._objects = [index, freq, amp, osc, left, right]

    def update(self) -> int:
        return self.bank.update()

    def release(self) -> None:
        """Drop the bank's references to the table views (the engine frees the tables)."""
        self.bank.freq_out = np.zeros(0, np.float32)
        self.bank.amp_out = np.zeros(0, np.float32)
        self._objects.clear()
        self.output = None
