"""Preset synths: pyo synths whose named parameters take their values from presets (the CSV
columns of a preset table) and glide there, so a new preset never clicks.

Each synth is silent until its first preset arrives (as the author's Ndef played from the first
``set``), then sounds until ``stop``. A parameter a preset does not name keeps its value; a
value outside the parameter's range is brought inside it (a preset learned from data must not
harm speakers); a name the synth does not have is one clear line.

Every synth is registered here, in one place (:data:`SYNTHS`): its name, its parameters with
their ranges and defaults, and its build function; one call registers one (:func:`register`),
and a name not registered is an error (:func:`synth`). The ruler piece and the checks read the
registry. The shipped synths are files like a performer's own (``presets/``: see
``synthlearn.audio.synth_files``), registered the first time the registry is read:

- ``blip``: a band-limited pulse train (pyo ``Blit``): ``freq`` (Hz), ``numharm`` (harmonics;
  1 is a pure sine at freq), ``amp`` — the user tests' Blip synth.
- ``rain``: a noisy texture with reverb, as in the author's performance: white noise through
  two band-passes at ``freq`` and ``freq1`` (Hz), into a reverb (``room``, ``damp``, ``mix``
  dry/wet), ``amp``.
- ``fm``: two-operator FM (pyo ``FM``): ``carrier`` (Hz), ``ratio``, ``index``, ``amp``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from synthlearn.errors import UserError

GLIDE_S = 0.05  # every parameter glides to a new preset over this long
RELEASE_S = 0.3  # stop: the level glides to silence over this long
# Where each mono synth stands (pyo Pan: 0 left, 1 right, equal power, so its level is kept):
# blip left of centre, fm right of it; a synth with a ``pan`` parameter follows it, and a
# stereo one (rain: a noise each channel) passes through. Filled by :func:`register`.
PANS: dict[str, float] = {}


@dataclass(frozen=True)
class Param:
    name: str
    low: float
    high: float
    default: float


@dataclass(frozen=True)
class Synth:
    """A registered synth: its parameters (with ranges and defaults) and ``build(p)``, which
    receives a dict of pyo signals (one per parameter, already gliding; ``amp``, if the synth
    has one, carries the synth's on/off level too) and returns the pyo object to mix (mono,
    placed at its ``pan`` parameter or ``PANS[name]``; or stereo, as it is)."""

    name: str
    params: tuple[Param, ...]
    build: Callable[[dict], object]


SYNTHS: dict[str, Synth] = {}  # name -> synth, in the order registered: the registry
_shipped_loaded = False


def _with_shipped() -> dict[str, Synth]:
    """The registry, the shipped synths registered first (once, in their fixed order: the
    ruler piece keeps what each sounds in that order)."""
    global _shipped_loaded
    if not _shipped_loaded:
        _shipped_loaded = True
        from synthlearn.audio.synth_files import SHIPPED_ORDER, load_file, shipped_folder

        folder = shipped_folder()
        for name in SHIPPED_ORDER:
            if name not in SYNTHS:
                load_file(folder / f"{name}.py", register=register)
    return SYNTHS


def register(name: str, params, build: Callable[[dict], object], *,
             pan: float = 0.5) -> Synth:
    """Register a synth in one call (what loading a synth file does): ``params`` maps each
    parameter name to ``(low, high, default)`` (or is a sequence of :class:`Param`); ``pan``
    places it (0 left, 1 right) if it is mono and has no ``pan`` parameter. A name taken, or a
    parameter that cannot be, is one UserError."""
    _with_shipped()
    if not isinstance(name, str) or not name.isidentifier():
        raise UserError(f"synth name {name!r}: expected a word (letters, digits, _)")
    if name in SYNTHS:
        raise UserError(f"a synth named {name!r} is registered already")
    if not callable(build):
        raise UserError(f"synth {name}: build must be a function of its parameters' signals")
    made = tuple(p if isinstance(p, Param) else Param(p, *_range(name, p, spec))
                 for p, spec in (params.items() if hasattr(params, "items") else
                                 ((p, None) for p in params)))
    if not made:
        raise UserError(f"synth {name}: no parameters; expected name: (low, high, default)")
    for param in made:
        _range(name, param.name, (param.low, param.high, param.default))
    if len({p.name for p in made}) != len(made):
        raise UserError(f"synth {name}: a parameter is named twice")
    if isinstance(pan, bool) or not (isinstance(pan, (int, float)) and 0.0 <= pan <= 1.0):
        raise UserError(f"synth {name}: PAN {pan!r} must be a number within 0..1")
    synth = SYNTHS[name] = Synth(name, made, build)
    PANS[name] = pan
    return synth


def _range(synth: str, name, spec) -> tuple[float, float, float]:
    """(low, high, default) of parameter ``name``, checked: finite numbers, low <= default
    <= high."""
    if not isinstance(name, str) or not name.isidentifier():
        raise UserError(f"synth {synth}: parameter name {name!r}: expected a word")
    try:
        low, high, default = (float(x) for x in spec)
    except (TypeError, ValueError):
        raise UserError(f"synth {synth}: {name} {spec!r}: expected (low, high, default) "
                        "numbers") from None
    if not all(math.isfinite(x) for x in (low, high, default)) or \
            not low <= default <= high:
        raise UserError(f"synth {synth}: {name} {spec!r}: expected finite numbers with low "
                        "<= default <= high")
    return low, high, default


def synth(name: str) -> Synth:
    """The registered synth ``name``; an unknown name is a UserError naming the others."""
    registry = _with_shipped()
    try:
        return registry[name]
    except KeyError:
        raise UserError(f"no synth {name!r}; expected one of {', '.join(registry)}") from None


def names() -> tuple[str, ...]:
    """Every registered synth, in the order registered."""
    return tuple(_with_shipped())


def check_names(synth: str, names) -> None:
    """UserError unless every name is a parameter of ``synth``."""
    params = {p.name for p in synth_params(synth)}
    unknown = [n for n in names if n not in params]
    if unknown:
        raise UserError(f"{synth} has no parameter {unknown[0]!r}; its parameters are "
                        + ", ".join(p.name for p in synth_params(synth)))


def synth_params(name: str) -> tuple[Param, ...]:
    return synth(name).params


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
    """One registered synth (:data:`SYNTHS`) as a fixed pyo graph; ``output`` is stereo, with
    an image of its own (blip left of centre, fm right, rain wide, one with a ``pan``
    parameter where it says), at the level a centred one had. ``set(values)`` glides to a
    preset (called between blocks or from the block hook). An unknown name is a UserError."""

    def __init__(self, name: str):
        import pyo

        spec = synth(name)
        self.name = name
        self.params = {p.name: p for p in spec.params}
        self.values = {p.name: p.default for p in self.params.values()}
        self.sounding = False
        self._sig = {p.name: pyo.SigTo(p.default, time=GLIDE_S, init=p.default)
                     for p in self.params.values()}
        self._level = pyo.SigTo(0.0, time=GLIDE_S, init=0.0)  # silent until the first set
        signals = dict(self._sig)
        if "amp" in signals:  # the level rides on the synth's own gain
            signals["amp"] = self._sig["amp"] * self._level
        voice = spec.build(signals)
        if "amp" not in signals:
            voice = voice * self._level
        self._voice = voice
        # stereo (two streams) as it is; mono at its place, or where its pan parameter says
        where = self._sig["pan"] if "pan" in self._sig else PANS[name]
        self.output = voice if len(voice) == 2 else pyo.Pan(voice, outs=2, pan=where)

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


def stereo_mix(outputs):
    """Stereo pyo objects summed into one stereo object (left streams to 0, right to 1)."""
    import pyo

    return pyo.Mix(list(outputs), voices=2)
