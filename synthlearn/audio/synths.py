"""Preset synths: pyo synths whose named parameters take their values from presets (the CSV
columns of a preset table) and glide there, so a new preset never clicks.

Each synth is silent until its first preset arrives (as the author's Ndef played from the first
``set``), then sounds until ``stop``. A parameter a preset does not name keeps its value; a
value outside the parameter's range is brought inside it (a preset learned from data must not
harm speakers); a name the synth does not have is one clear line.

- ``blip``: a band-limited pulse train (pyo ``Blit``): ``freq`` (Hz), ``numharm`` (harmonics;
  1 is a pure sine at freq), ``amp`` — the user tests' Blip synth.
- ``rain``: a noisy texture with reverb, as in the author's performance: white noise through
  two band-passes at ``freq`` and ``freq1`` (Hz), into a reverb (``room``, ``damp``, ``mix``
  dry/wet), ``amp``.
- ``fm``: two-operator FM (pyo ``FM``): ``carrier`` (Hz), ``ratio``, ``index``, ``amp``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from synthlearn.errors import UserError

GLIDE_S = 0.05  # every parameter glides to a new preset over this long
RELEASE_S = 0.3  # stop: the level glides to silence over this long
# Where each synth stands (pyo Pan: 0 left, 1 right, equal power, so its level is kept): blip
# left of centre, fm right of it; rain is wide instead, its noise drawn apart in each channel.
PANS = {"blip": 0.3, "rain": 0.5, "fm": 0.7}
CENTRE_GAIN = math.sqrt(0.5)  # a centred Pan's gain per channel: rain's channels keep it


@dataclass(frozen=True)
class Param:
    name: str
    low: float
    high: float
    default: float


SYNTHS: dict[str, tuple[Param, ...]] = {
    # blip's freq goes below 20 Hz: a click train there, a rhythm
    "blip": (Param("freq", 0.5, 12000.0, 220.0), Param("numharm", 1.0, 200.0, 10.0),
             Param("amp", 0.0, 1.0, 0.3)),
    "rain": (Param("freq", 20.0, 16000.0, 800.0), Param("freq1", 20.0, 16000.0, 3000.0),
             Param("amp", 0.0, 1.0, 0.3), Param("mix", 0.0, 1.0, 0.5),
             Param("room", 0.0, 1.0, 0.8), Param("damp", 0.0, 1.0, 0.5)),
    "fm": (Param("carrier", 20.0, 12000.0, 220.0), Param("ratio", 0.0, 16.0, 1.5),
           Param("index", 0.0, 40.0, 4.0), Param("amp", 0.0, 1.0, 0.3)),
}


def check_names(synth: str, names) -> None:
    """UserError unless every name is a parameter of ``synth``."""
    params = {p.name for p in synth_params(synth)}
    unknown = [n for n in names if n not in params]
    if unknown:
        raise UserError(f"{synth} has no parameter {unknown[0]!r}; its parameters are "
                        + ", ".join(p.name for p in synth_params(synth)))


def synth_params(synth: str) -> tuple[Param, ...]:
    try:
        return SYNTHS[synth]
    except KeyError:
        raise UserError(f"no synth {synth!r}; expected one of {', '.join(SYNTHS)}") from None


def clamp(param: Param, value) -> float:
    """A preset's value for ``param``, inside its range (a number is expected)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{param.name} {value!r} is not a number") from None
    if not math.isfinite(x):
        raise UserError(f"{param.name} {value!r} is not a finite number")
    return min(max(x, param.low), param.high)


class PresetSynth:
    """One synth of ``SYNTHS`` as a fixed pyo graph; ``output`` is stereo, with an image of its
    own (``PANS``: blip left of centre, fm right, rain wide), at the level a centred one had.
    ``set(values)`` glides to a preset (called between blocks or from the block hook)."""

    def __init__(self, name: str):
        import pyo

        self.name = name
        self.params = {p.name: p for p in synth_params(name)}
        self.values = {p.name: p.default for p in self.params.values()}
        self.sounding = False
        self._sig = {p.name: pyo.SigTo(p.default, time=GLIDE_S, init=p.default)
                     for p in self.params.values()}
        self._level = pyo.SigTo(0.0, time=GLIDE_S, init=0.0)  # silent until the first set
        s, level = self._sig, self._level
        if name == "blip":
            voice = pyo.Blit(freq=s["freq"], harms=s["numharm"], mul=s["amp"] * level)
        elif name == "rain":
            # two noises (one a channel, uncorrelated): the texture is wide, not one point
            noise = pyo.Noise(mul=[1.0, 1.0])
            bands = pyo.ButBP(noise, freq=s["freq"], q=4) + pyo.ButBP(noise, freq=s["freq1"], q=4)
            voice = pyo.Freeverb(bands, size=s["room"], damp=s["damp"], bal=s["mix"],
                                 mul=s["amp"] * level * 2.0 * CENTRE_GAIN)
            self._keep = (noise, bands)
        else:
            voice = pyo.FM(carrier=s["carrier"], ratio=s["ratio"], index=s["index"],
                           mul=s["amp"] * level)
        self._voice = voice
        # stereo: rain is already (two channels); the others stand at their place
        self.output = voice if name == "rain" else pyo.Pan(voice, outs=2, pan=PANS[name])

    def set(self, values: dict) -> dict:
        """Glide to ``values`` (names of this synth's parameters) and sound; returns the values
        set, each inside its parameter's range."""
        check_names(self.name, values)
        applied = {name: clamp(self.params[name], v) for name, v in values.items()}
        for name, x in applied.items():
            self._sig[name].value = x
            self.values[name] = x
        if not self.sounding:
            self._level.time = GLIDE_S
            self._level.value = 1.0
            self.sounding = True
        return applied

    def stop(self) -> None:
        self._level.time = RELEASE_S
        self._level.value = 0.0
        self.sounding = False

    def release(self) -> None:
        self._sig = {}
        self._level = self._voice = self.output = None
        self._keep = ()


def stereo_mix(outputs):
    """Stereo pyo objects summed into one stereo object (left streams to 0, right to 1)."""
    import pyo

    return pyo.Mix(list(outputs), voices=2)
