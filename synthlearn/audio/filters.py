"""pyo filters the pieces put after their voices (pyo stays inside synthlearn.audio)."""

from __future__ import annotations


class WanderingLowpass:
    """A Butterworth lowpass whose cutoff wanders between ``low_hz`` and ``high_hz``, to a new
    random value about ``wander_hz`` times a second (pyo's Randi: seeded by the server's global
    seed, so a render repeats). ``output`` is the filtered stereo pyo object."""

    def __init__(self, source, *, low_hz: float, high_hz: float, wander_hz: float):
        import pyo

        self._cutoff = pyo.Randi(min=low_hz, max=high_hz, freq=wander_hz)
        self.output = pyo.ButLP(source, freq=self._cutoff)

    @property
    def cutoff_hz(self) -> float:
        return float(self._cutoff.get())

    def release(self) -> None:
        self._cutoff = self.output = None
