"""rain: a noisy texture with reverb, as in the author's performance: white noise through two
band-passes at ``freq`` and ``freq1`` (Hz), into a reverb (``room``, ``damp``, ``mix``
dry/wet), ``amp``. Stereo of its own: one noise a channel, so the texture is wide."""

import math

import pyo

PARAMS = {
    "freq": (20.0, 16000.0, 800.0),
    "freq1": (20.0, 16000.0, 3000.0),
    "amp": (0.0, 1.0, 0.3),
    "mix": (0.0, 1.0, 0.5),
    "room": (0.0, 1.0, 0.8),
    "damp": (0.0, 1.0, 0.5),
}
CENTRE_GAIN = math.sqrt(0.5)  # a centred mono synth's gain per channel: rain keeps that level


def build(p):
    noise = pyo.Noise(mul=[1.0, 1.0])  # two noises, one a channel (uncorrelated)
    bands = pyo.ButBP(noise, freq=p["freq"], q=4) + pyo.ButBP(noise, freq=p["freq1"], q=4)
    voice = pyo.Freeverb(bands, size=p["room"], damp=p["damp"], bal=p["mix"],
                         mul=p["amp"] * 2.0 * CENTRE_GAIN)
    voice.made = (noise, bands)  # what only the graph reads, kept as long as the voice
    return voice
