"""A scrolling view of every sounding partial: time runs left to right, log frequency upward,
brightness is amplitude. Drawn with numpy into an RGB frame (no pygame needed offline).

Its record is what the voice pools publish: one record a pool (``freq_hz``, ``amp``: the pool's
snapshot read with ``arrays=True``), in a list (:func:`pools_record`).
"""

from __future__ import annotations

import math

import numpy as np

LOW_HZ, HIGH_HZ = 30.0, 16000.0


class PoolsRecord:
    """What ``pools`` published last, read together: ``read()`` gives one record a pool (a
    :class:`~synthlearn.visuals.scenes.SnapshotView`'s ``published``)."""

    def __init__(self, pools):
        self.pools = pools

    def read(self) -> list[dict]:
        return pools_record(self.pools)


def pools_record(pools) -> list[dict]:
    """The record :meth:`PartialsScene.draw` draws: each pool's last published snapshot."""
    return [pool.snapshot.read(arrays=True) for pool in pools]


class PartialsScene:
    def __init__(self, width: int, height: int, *, seconds_across: float = 8.0, fps: float = 30):
        self.width, self.height = width, height
        self.columns_per_frame = max(1, round(width / (seconds_across * fps)))
        self.frame = np.zeros((height, width, 3), np.uint8)
        self._log_span = math.log(HIGH_HZ / LOW_HZ)

    def warm(self) -> None:
        pass

    def close(self) -> None:
        pass

    def draw(self, record: list[dict]) -> np.ndarray:
        """Scroll one frame's worth and draw the partials of ``record`` (one record a pool);
        return the frame."""
        f, s = self.frame, self.columns_per_frame
        f[:, :-s] = f[:, s:]
        f[:, -s:] = (f[:, -s:] * 0).astype(np.uint8)
        f[:, :-s] = (f[:, :-s] * 0.993).astype(np.uint8)  # older traces fade
        for pool in record:  # what each pool published: never its live tables
            hz = pool["freq_hz"].astype(np.float64)
            amp = pool["amp"].astype(np.float64)
            live = (amp > 1e-4) & (hz > LOW_HZ) & (hz < HIGH_HZ)
            if not live.any():
                continue
            y = ((1.0 - np.log(hz[live] / LOW_HZ) / self._log_span) * (self.height - 1)).astype(int)
            level = np.clip((20 * np.log10(amp[live]) + 70) / 60, 0, 1)
            colour = np.stack([255 * level, 180 * level ** 2, 255 * (1 - level) * level], axis=1)
            c = colour[:, None, :].astype(np.uint8)
            for dy in (0, 1):  # two pixels thick
                yy = np.minimum(y + dy, self.height - 1)
                f[yy, -s:, :] = np.maximum(f[yy, -s:, :], c)
        return f
