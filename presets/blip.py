"""blip: a band-limited pulse train (pyo ``Blit``), the synth of the author's user tests.

``freq`` in Hz (below 20 Hz a click train: a rhythm), ``numharm`` harmonics (1 is a pure sine
at freq), ``amp``. Mono, placed left of centre."""

import pyo

PARAMS = {
    "freq": (0.5, 12000.0, 220.0),
    "numharm": (1.0, 200.0, 10.0),
    "amp": (0.0, 1.0, 0.3),
}
PAN = 0.3  # where a mono synth stands: 0 left, 1 right


def build(p):
    return pyo.Blit(freq=p["freq"], harms=p["numharm"], mul=p["amp"])
