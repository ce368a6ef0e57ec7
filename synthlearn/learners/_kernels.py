"""numba kernels of the learners: arrays and scalars in, nothing allocated.

Each step computes the loss and its analytic gradient at the current parameters, then takes one
plain gradient-descent step. New targets and random minibatches come from a per-learner
splitmix64 state (a uint64 array of one element), so learners are seeded independently, are
deterministic, and a new target drawn in the audio thread allocates nothing.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True)
def splitmix_next(state):
    """The next 64 random bits of splitmix64; advances ``state[0]``."""
    state[0] += _GOLDEN
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def splitmix_below(state, n):
    """A uniform integer in [0, n)."""
    return int(splitmix_next(state) % np.uint64(n))


@njit(cache=True)
def splitmix_uniform(state, low, high):
    """A uniform float in [low, high) with 53 random bits."""
    u = float(splitmix_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
    return low + (high - low) * u


@njit(cache=True)
def fill_uniform(state, out, low, high):
    for i in range(out.shape[0]):
        out[i] = splitmix_uniform(state, low, high)


@njit(cache=True)
def cubic_new_target(state, target, theta, x):
    """Target and approximant coefficients ~ U[-1, 1]; points x ~ U[-1, 1], unsorted (the
    caller sorts them with numpy, in place: numba's sort alone took ~1 s to compile)."""
    fill_uniform(state, target, -1.0, 1.0)
    fill_uniform(state, theta, -1.0, 1.0)
    fill_uniform(state, x, -1.0, 1.0)


@njit(cache=True)
def knot_new_target(state, freq, target, phase, min_freq, max_freq):
    """Integer frequencies in [min_freq, max_freq]; target and learned phases ~ U[0, 1]."""
    for k in range(3):
        freq[k] = min_freq + splitmix_below(state, max_freq - min_freq + 1)
    fill_uniform(state, target, 0.0, 1.0)
    fill_uniform(state, phase, 0.0, 1.0)


@njit(cache=True)
def descend(params, grad, lr):
    """One plain gradient-descent step in place: params -= lr * grad."""
    for j in range(params.shape[0]):
        params[j] -= lr * grad[j]


@njit(cache=True)
def cubic_loss_grad(theta, target, x, grad):
    """0.5·mean((f_θ(x) − f(x))²) and its gradient (into ``grad``).

    Returns (loss, mean residual, mean absolute residual).

    f(x) = a·x³ + b·x² + c·x + d, parameters ordered (a, b, c, d).
    """
    n = x.shape[0]
    for j in range(4):
        grad[j] = 0.0
    loss = 0.0
    resid = 0.0
    mae = 0.0
    for i in range(n):
        xi = x[i]
        x2 = xi * xi
        x3 = x2 * xi
        r = ((theta[0] - target[0]) * x3 + (theta[1] - target[1]) * x2
             + (theta[2] - target[2]) * xi + (theta[3] - target[3]))
        loss += r * r
        resid += r
        mae += abs(r)
        grad[0] += r * x3
        grad[1] += r * x2
        grad[2] += r * xi
        grad[3] += r
    for j in range(4):
        grad[j] /= n
    return 0.5 * loss / n, resid / n, mae / n


@njit(cache=True)
def cubic_step(theta, target, x, grad, lr):
    loss, resid, mae = cubic_loss_grad(theta, target, x, grad)
    descend(theta, grad, lr)
    return loss, resid, mae


@njit(cache=True)
def knot_loss_grad(phase, target, freq, t, batch, grad):
    """Mean over ``batch`` (indices into ``t``) of 0.5·Σ_axes (cos(n·t+φ) − cos(n·t+φ*))².

    Gradient with respect to the learned phases φ into ``grad``; returns (loss, mean residual,
    mean absolute residual), residuals averaged over points and axes.
    """
    m = batch.shape[0]
    for k in range(3):
        grad[k] = 0.0
    loss = 0.0
    resid = 0.0
    mae = 0.0
    for i in range(m):
        ti = t[batch[i]]
        for k in range(3):
            arg = freq[k] * ti + phase[k]
            d = math.cos(arg) - math.cos(freq[k] * ti + target[k])
            loss += d * d
            resid += d
            mae += abs(d)
            grad[k] -= d * math.sin(arg)
    for k in range(3):
        grad[k] /= m
    return 0.5 * loss / m, resid / (3 * m), mae / (3 * m)


@njit(cache=True)
def knot_step(phase, target, freq, t, batch, grad, lr, rng_state):
    n = t.shape[0]
    for i in range(batch.shape[0]):  # a fresh minibatch, with replacement
        batch[i] = splitmix_below(rng_state, n)
    loss, resid, mae = knot_loss_grad(phase, target, freq, t, batch, grad)
    descend(phase, grad, lr)
    return loss, resid, mae
