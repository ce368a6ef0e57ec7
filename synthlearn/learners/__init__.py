"""Learners: pure numpy + numba (no pyo, pygame or rtmidi). They arrive with their pieces."""
