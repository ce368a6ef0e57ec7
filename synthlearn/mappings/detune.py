"""Learner signals to sound: the detune of overtones (piece ldd). Pure functions.

Each note's overtones sound at k·f0·D with D = 1 + s; the fundamental stays in tune.

- ``loss`` (default, as the source document says): s follows the loss. The gain is chosen so a
  typical fresh target starts near 50 cents: median fresh loss measured over 1,000 seeds is
  0.384 for the cubic and 0.109 for the knot (``python scripts/calibrate_detune.py``).
- ``residual`` (faithful): s is the signed mean residual × 0.05 (cubic) or × 1 (knot), as the
  original did.
- ``mae``: s follows the mean absolute residual, with the gain set like ``loss`` (median fresh
  mean |r|: 0.750 cubic, 0.204 knot). It falls like the square root of the loss, so the
  overtones stay audibly out of tune for longer and then settle.
Whatever the signal, the detune is capped at ±200 cents.
"""

from __future__ import annotations

import math

CAP_CENTS = 200.0
TYPICAL_START_CENTS = 50.0
FRESH_LOSS_MEDIAN = {"cubic": 0.388, "knot": 0.105}
FRESH_MAE_MEDIAN = {"cubic": 0.750, "knot": 0.204}
LOSS_GAIN_CENTS = {k: TYPICAL_START_CENTS / v for k, v in FRESH_LOSS_MEDIAN.items()}
MAE_GAIN_CENTS = {k: TYPICAL_START_CENTS / v for k, v in FRESH_MAE_MEDIAN.items()}
SIGNALS = ("loss", "residual", "mae")
RESIDUAL_SCALE = {"cubic": 0.05, "knot": 1.0}


def cents_to_ratio(cents: float) -> float:
    return 2.0 ** (cents / 1200.0)


def ratio_to_cents(ratio: float) -> float:
    return 1200.0 * math.log2(ratio)


def cap(cents: float) -> float:
    if not math.isfinite(cents):
        return CAP_CENTS if cents > 0 else -CAP_CENTS if cents < 0 else 0.0
    return max(-CAP_CENTS, min(CAP_CENTS, cents))


def loss_detune(loss: float, learner: str, gain: float = 1.0) -> float:
    """D for the ``loss`` signal: sharp by ``gain ×`` the learner's cents-per-loss, capped."""
    return cents_to_ratio(cap(gain * LOSS_GAIN_CENTS[learner] * loss))


def mae_detune(mae: float, learner: str, gain: float = 1.0) -> float:
    """D for the ``mae`` signal: sharp by ``gain ×`` the learner's cents-per-|r|, capped."""
    return cents_to_ratio(cap(gain * MAE_GAIN_CENTS[learner] * mae))


def detune(signal: str, learner, gain: float = 1.0) -> float:
    """D for ``signal`` (one of SIGNALS) from a learner's last step (1.0 before any step)."""
    if learner.steps_ == 0 and not learner.converged_:
        return 1.0
    if signal == "loss":
        return loss_detune(learner.loss_, learner.kind, gain)
    if signal == "mae":
        return mae_detune(learner.mae_, learner.kind, gain)
    return residual_detune(learner.residual_, learner.kind, gain)


def residual_detune(residual: float, learner: str, gain: float = 1.0) -> float:
    """D = 1 + residual·scale (the original's mapping), capped at ±200 cents."""
    d = 1.0 + gain * RESIDUAL_SCALE[learner] * residual
    if not d > 0.0:  # a huge negative residual would fold the overtone below zero
        return cents_to_ratio(-CAP_CENTS)
    return cents_to_ratio(cap(ratio_to_cents(d)))

