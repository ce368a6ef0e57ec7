"""fm: two-operator FM (pyo ``FM``): ``carrier`` in Hz, ``ratio`` of the modulator to the
carrier, ``index`` of modulation, ``amp``. Mono, placed right of centre."""

import pyo

PARAMS = {
    "carrier": (20.0, 12000.0, 220.0),
    "ratio": (0.0, 16.0, 1.5),
    "index": (0.0, 40.0, 4.0),
    "amp": (0.0, 1.0, 0.3),
}
PAN = 0.7


def build(p):
    return pyo.FM(carrier=p["carrier"], ratio=p["ratio"], index=p["index"], mul=p["amp"])
