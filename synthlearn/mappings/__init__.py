"""Learner signals to what is heard and seen: detune (loss -> overtones) and warp
(gradients -> the picture). Pure functions: no pyo, pygame or rtmidi."""
