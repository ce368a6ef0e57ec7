"""The fresh losses and mean |residual| of 1,000 seeded learners of each kind: the figures
``synthlearn/mappings/detune.py`` calibrates its gains against (a script above the layers: the
mappings do not import the learners)."""

import numpy as np

from synthlearn.learners.cubic import Cubic
from synthlearn.learners.lissajous import Lissajous

for name, make in (("cubic", Cubic), ("knot", Lissajous)):
    fresh = [make().reset(seed=s) for s in range(1000)]
    losses = [learner.step() for learner in fresh]
    maes = [learner.mae_ for learner in fresh]
    print(f"{name}: median fresh loss {np.median(losses):.3f}, mean |r| {np.median(maes):.3f}")
