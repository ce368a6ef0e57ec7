"""numba kernels of the Q-learning agents (piece qmelody): arrays and scalars in, nothing
allocated, so the audio hook can call them at every note boundary.

Each agent draws from its own Mersenne Twister (MT19937), stepped exactly as numpy's legacy
``RandomState`` steps it (``random()``: 53 bits from two words; ``randint(0, n)``: masked
rejection on one word, no draw when n is 1). That is what lets the faithful mode replay the
original notebook's episodes note for note from its seeds. The state is a uint64 array of 625
entries (624 words and the position), so autosave keeps it bit for bit.

Q is ``U[s, a] + W[pos, a]`` when ``share`` is on (the default agents: a table per position
every context shares, plus a table per state), else ``U[s, a]`` alone (tabular, as the
original). Updates move both by the same TD error.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

MAX_STEPS = 64  # notes (and rests) in a target phrase
MAX_ACTIONS = 26  # two chromatic octaves with the top note, and a rest
START = MAX_ACTIONS  # the "previous note" before the first
TOKENS = MAX_ACTIONS + 1  # what a previous step can be: an action or the start
# Constant arguments of kernels called by kernels, typed: a bare ``True``, ``0`` or ``START``
# is a literal to numba, and each literal compiles the callee once more.
_TRUE, _FALSE, _ZERO, _START = np.bool_(True), np.bool_(False), np.int64(0), np.int64(START)
MAX_STATES = MAX_STEPS * TOKENS

MT_N = 624
MT_M = 397
MT_WORDS = MT_N + 1  # the words and the position
_MASK32 = np.uint64(0xFFFFFFFF)

# Hyperparameters, one row per agent (``hp``).
(HP_EPS, HP_DECAY, HP_FLOOR, HP_ALPHA, HP_GAMMA, HP_TEMP, HP_SHARP, HP_PENALTY, HP_STUBBORN,
 HP_FROZEN) = range(10)
N_HP = 10

# Per-agent counters and signals (``ag``, float64).
(AG_POS, AG_PREV, AG_EPISODES, AG_REWARD_SUM, AG_LAST_REWARD, AG_LAST_CORRECT, AG_LAST_TD,
 AG_MAX_TD, AG_DISTANCE, AG_TARGET_EPISODES, AG_STEPS) = range(11)
N_AG = 11

# State designs.
STATE_PREVIOUS, STATE_CONTEXT, STATE_POSITION = 0, 1, 2

# What ``play`` returns in ``out``.
OUT_ACTION, OUT_EXPLORED, OUT_REWARD, OUT_TD, OUT_EPISODE_DONE, OUT_GREEDY = range(6)
N_OUT = 6


# -- the generator ------------------------------------------------------------------------------

@njit(cache=True)
def mt_seed(st, seed):
    """Seed as numpy's legacy ``RandomState(seed)`` does (Knuth's linear recurrence)."""
    s = np.uint64(seed) & _MASK32
    for i in range(MT_N):
        st[i] = s
        s = (np.uint64(1812433253) * (s ^ (s >> np.uint64(30))) + np.uint64(i + 1)) & _MASK32
    st[MT_N] = MT_N


@njit(cache=True)
def _mt_twist(st):
    upper, lower = np.uint64(0x80000000), np.uint64(0x7FFFFFFF)
    matrix = np.uint64(0x9908B0DF)
    for k in range(MT_N):
        y = (st[k] & upper) | (st[(k + 1) % MT_N] & lower)
        v = st[(k + MT_M) % MT_N] ^ (y >> np.uint64(1))
        if y & np.uint64(1):
            v ^= matrix
        st[k] = v
    st[MT_N] = 0


@njit(cache=True)
def mt_u32(st):
    """The next 32-bit word."""
    if st[MT_N] >= MT_N:
        _mt_twist(st)
    y = st[st[MT_N]]
    st[MT_N] += np.uint64(1)
    y ^= y >> np.uint64(11)
    y ^= (y << np.uint64(7)) & np.uint64(0x9D2C5680)
    y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
    y ^= y >> np.uint64(18)
    return y & _MASK32


@njit(cache=True)
def mt_double(st):
    """A float in [0, 1) with 53 random bits (numpy's ``random()``)."""
    a = float(mt_u32(st) >> np.uint64(5))
    b = float(mt_u32(st) >> np.uint64(6))
    return (a * 67108864.0 + b) / 9007199254740992.0


@njit(cache=True)
def mt_below(st, n):
    """A uniform integer in [0, n) (numpy's legacy ``randint(0, n)``)."""
    rng = np.uint64(n - 1)
    if rng == 0:
        return 0
    mask = rng
    for shift in (1, 2, 4, 8, 16):
        mask |= mask >> np.uint64(shift)
    while True:
        v = mt_u32(st) & mask
        if v <= rng:
            return np.int64(v)  # not int(): uint64 and int64 would unify to float64


# -- values and choices ---------------------------------------------------------------------------

@njit(cache=True)
def state_of(design, pos, prev, target, tlen, wrap):
    """The state index of an agent at step ``pos`` having played ``prev`` (``START``: nothing
    yet). Context: the target's two preceding steps (wrapping round the phrase when ``wrap``,
    as the original's looping melody; else the start token). The same index whatever the
    scale, so a scale change keeps what was learned where it was."""
    if design == STATE_PREVIOUS:
        return pos * TOKENS + prev
    if design == STATE_POSITION:
        return pos
    if wrap:
        c1 = target[(pos - 2) % tlen]
        c2 = target[(pos - 1) % tlen]
    else:
        c1 = target[pos - 2] if pos >= 2 else START
        c2 = target[pos - 1] if pos >= 1 else START
    return c1 * TOKENS + c2


@njit(cache=True)
def value(U, W, share, s, pos, a):
    v = U[s, a]
    if share:
        v += W[pos, a]
    return v


@njit(cache=True)
def best_value(U, W, share, s, pos, nact):
    m = -math.inf
    for a in range(nact):
        v = value(U, W, share, s, pos, a)
        if v > m:
            m = v
    return m


@njit(cache=True)
def argmax_first(U, W, share, s, pos, nact):
    """The greedy action, ties to the lowest index (deterministic, for evaluation)."""
    m, best = -math.inf, 0
    for a in range(nact):
        v = value(U, W, share, s, pos, a)
        if v > m:
            m, best = v, a
    return best


@njit(cache=True)
def argmax_random(st, U, W, share, s, pos, nact):
    """The greedy action, ties broken at random (as numpy's ``choice(where(q == max))``)."""
    m = best_value(U, W, share, s, pos, nact)
    ties = _ZERO  # not 0: typing would compile mt_below for the literal too
    for a in range(nact):
        if value(U, W, share, s, pos, a) == m:
            ties += 1
    pick = mt_below(st, ties)
    for a in range(nact):
        if value(U, W, share, s, pos, a) == m:
            if pick == 0:
                return a
            pick -= 1
    return 0


@njit(cache=True)
def softmax_choice(st, U, W, share, s, pos, nact, temp):
    m = best_value(U, W, share, s, pos, nact)
    total = 0.0
    for a in range(nact):
        total += math.exp((value(U, W, share, s, pos, a) - m) / temp)
    u = mt_double(st) * total
    for a in range(nact):
        u -= math.exp((value(U, W, share, s, pos, a) - m) / temp)
        if u < 0.0:
            return a
    return nact - 1


@njit(cache=True)
def reward_of(pitch, target_pitch, sharp, penalty):
    """+1 for the exact note (or a rest where the target rests); partial credit
    exp(-semitones/sharp) less the penalty for a wrong note; -penalty for a note against a rest
    or a rest against a note."""
    if pitch == target_pitch:
        return 1.0
    if pitch < 0 or target_pitch < 0:
        return -penalty
    return math.exp(-abs(pitch - target_pitch) / sharp) - penalty


@njit(cache=True)
def faithful_reward(a, t, distance, n_actions):
    """The original: exp(-|a - t| / 12) while the distance reward lasts, then 1 or 0."""
    if distance:
        return math.exp(-abs(a - t) / n_actions)
    return 1.0 if a == t else 0.0


# -- one note -----------------------------------------------------------------------------------

@njit(cache=True)
def play(k, faithful, design, share, hp, ag, st, U, W, visits, target, target_pitch, tlen,
         pitches, nacts, played, greedy, trans, out):
    """Agent ``k`` plays the note at its position: choose, reward, learn (faithful: at the
    episode's end, in one batch, as the original), advance. ``out`` gets the action, whether it
    explored, the reward, the TD error, 1 if the episode ended, and the greedy action."""
    nact = nacts[k]
    L = tlen[k]
    pos = int(ag[k, AG_POS])
    prev = int(ag[k, AG_PREV])
    Uk, Wk, stk = U[k], W[k], st[k]
    s = state_of(design, pos, prev, target[k], L, faithful)
    eps = hp[k, HP_EPS]
    temp = hp[k, HP_TEMP]
    frozen = hp[k, HP_FROZEN] != 0.0
    if faithful:
        # The original draws random() before looking at epsilon, for the greedy call too.
        if mt_double(stk) < eps and not frozen:
            a = mt_below(stk, nact)
        else:
            a = argmax_random(stk, Uk, Wk, share, s, pos, nact)
        r = faithful_reward(a, target[k, pos], ag[k, AG_DISTANCE] != 0.0, nact)
        mt_double(stk)
        g = argmax_random(stk, Uk, Wk, share, s, pos, nact)
    else:
        g = argmax_first(Uk, Wk, share, s, pos, nact)
        if frozen:
            a = g
        elif temp > 0.0:
            a = softmax_choice(stk, Uk, Wk, share, s, pos, nact, temp)
        elif mt_double(stk) < eps:
            a = mt_below(stk, nact)
        else:
            a = argmax_random(stk, Uk, Wk, share, s, pos, nact)
        r = reward_of(pitches[k, a], target_pitch[k, pos], hp[k, HP_SHARP], hp[k, HP_PENALTY])
    played[k, pos] = a
    greedy[k, pos] = g
    td = 0.0
    nxt = pos + 1
    if faithful:
        s2 = state_of(design, nxt % L, a, target[k], L, _TRUE)
        trans[k, pos, 0] = s
        trans[k, pos, 1] = a
        trans[k, pos, 2] = r
        trans[k, pos, 3] = s2
    elif not frozen:
        goal = r
        if nxt < L:
            s2 = state_of(design, nxt, a, target[k], L, _FALSE)
            goal += hp[k, HP_GAMMA] * best_value(Uk, Wk, share, s2, nxt, nact)
        td = goal - value(Uk, Wk, share, s, pos, a)
        visits[k, s, a] += 1.0
        alpha = 1.0 / visits[k, s, a] if hp[k, HP_STUBBORN] != 0.0 else hp[k, HP_ALPHA]
        Uk[s, a] += alpha * td
        if share:
            Wk[pos, a] += alpha * td
    ag[k, AG_REWARD_SUM] += r
    ag[k, AG_STEPS] += 1.0
    ag[k, AG_PREV] = a
    ag[k, AG_POS] = nxt
    done = nxt >= L
    if done:
        if faithful and not frozen:
            td = _faithful_batch(k, hp, Uk, Wk, share, visits, trans, L, nact)
        _end_episode(k, faithful, design, share, hp, ag, Uk, Wk, target, target_pitch, L,
                     pitches, nact, greedy)
    ag[k, AG_LAST_TD] = td
    if abs(td) > ag[k, AG_MAX_TD]:
        ag[k, AG_MAX_TD] = abs(td)
    out[OUT_ACTION] = a
    out[OUT_EXPLORED] = 1.0 if a != g else 0.0
    out[OUT_REWARD] = r
    out[OUT_TD] = td
    out[OUT_EPISODE_DONE] = 1.0 if done else 0.0
    out[OUT_GREEDY] = g


@njit(cache=True)
def _faithful_batch(k, hp, Uk, Wk, share, visits, trans, L, nact):
    """The original's ``q_learn``: visits first, step 1/n clipped at 1, TD target r plus the
    next state's best value clipped into [0, gamma]. Returns the largest |TD error|."""
    biggest = 0.0
    for i in range(L):
        s, a = int(trans[k, i, 0]), int(trans[k, i, 1])
        r, s2 = trans[k, i, 2], int(trans[k, i, 3])
        visits[k, s, a] += 1.0
        if hp[k, HP_STUBBORN] != 0.0:
            lr = min(1.0, 1.0 / visits[k, s, a])
        else:
            lr = hp[k, HP_ALPHA]
        m = best_value(Uk, Wk, share, s2, _ZERO, nact)
        goal = r + min(max(m, 0.0), hp[k, HP_GAMMA])
        td = goal - Uk[s, a]
        Uk[s, a] += td * lr
        if abs(td) > biggest:
            biggest = abs(td)
    return biggest


@njit(cache=True)
def _end_episode(k, faithful, design, share, hp, ag, Uk, Wk, target, target_pitch, L, pitches,
                 nact, greedy):
    """Close agent ``k``'s episode: its mean reward, its greedy-correct fraction, and the
    exploration schedule for the next one."""
    correct = 0
    if faithful:  # the greedy notes drawn during the episode, as the original records them
        for i in range(L):
            correct += greedy[k, i] == target[k, i]
    else:  # the greedy rollout now, following its own notes
        prev = _START
        for i in range(L):
            s = state_of(design, i, prev, target[k], L, _FALSE)
            g = argmax_first(Uk, Wk, share, s, i, nact)
            greedy[k, i] = g
            correct += pitches[k, g] == target_pitch[k, i]
            prev = g
    ag[k, AG_LAST_REWARD] = ag[k, AG_REWARD_SUM] / L
    ag[k, AG_LAST_CORRECT] = correct / L
    ag[k, AG_REWARD_SUM] = 0.0
    ag[k, AG_POS] = 0.0
    ag[k, AG_PREV] = START
    ag[k, AG_EPISODES] += 1.0
    e = ag[k, AG_TARGET_EPISODES]  # this target's episode just played, from 0
    ag[k, AG_TARGET_EPISODES] = e + 1.0
    if hp[k, HP_FROZEN] != 0.0:
        return
    if faithful:  # decrease_ep(e): explore for 50 episodes, then 0.01; distance reward to 51
        hp[k, HP_EPS] = 1.0 if e < 50 else 0.01
        if e > 50:
            ag[k, AG_DISTANCE] = 0.0
    else:
        hp[k, HP_EPS] = max(hp[k, HP_FLOOR], hp[k, HP_EPS] * hp[k, HP_DECAY])


@njit(cache=True)
def greedy_rollout(k, design, share, U, W, target, tlen, nacts, wrap, out):
    """The notes agent ``k`` would play now, exploring nothing (``out[:tlen]``: actions)."""
    nact = nacts[k]
    L = tlen[k]
    prev = _START
    for i in range(L):
        s = state_of(design, i, prev, target[k], L, wrap)
        out[i] = argmax_first(U[k], W[k], share, s, i, nact)
        prev = out[i]
    return L


@njit(cache=True)
def q_path(k, design, share, U, W, target, tlen, nacts, wrap, out):
    """Agent ``k``'s Q values along its greedy path now: ``out[i, a]`` for its steps ``i``
    and actions ``a`` (the rest of ``out`` left as it was). What it believes, step by step,
    for the heatmap."""
    nact = nacts[k]
    L = tlen[k]
    prev = _START
    for i in range(L):
        s = state_of(design, i, prev, target[k], L, wrap)
        for a in range(nact):
            out[i, a] = value(U[k], W[k], share, s, i, a)
        prev = argmax_first(U[k], W[k], share, s, i, nact)


@njit(cache=True)
def pitches_of(pitches, actions, n, out):
    """``out[:n] = pitches[actions[:n]]`` (the notes of actions)."""
    for i in range(n):
        out[i] = pitches[actions[i]]


@njit(cache=True)
def log_episode(k, ag, log, log_count, silent, time_s):
    """Agent ``k``'s finished episode into the ring ``log``: (agent, mean reward,
    greedy-correct fraction, 1 if silent, time in seconds)."""
    row = log_count[0] % log.shape[0]
    log[row, 0] = k
    log[row, 1] = ag[k, AG_LAST_REWARD]
    log[row, 2] = ag[k, AG_LAST_CORRECT]
    log[row, 3] = silent
    log[row, 4] = time_s
    log_count[0] += 1


@njit(cache=True)
def practice(k, steps, faithful, design, share, hp, ag, st, U, W, visits, target,
             target_pitch, tlen, pitches, nacts, played, greedy, trans, out, log, log_count,
             time_s, max_episodes):
    """Up to ``steps`` silent notes of agent ``k``, stopping after ``max_episodes`` finished
    episodes, each logged at ``time_s``. Returns the episodes finished."""
    done = 0
    for _ in range(steps):
        if done >= max_episodes:
            break
        play(k, faithful, design, share, hp, ag, st, U, W, visits, target, target_pitch, tlen,
             pitches, nacts, played, greedy, trans, out)
        if out[OUT_EPISODE_DONE] != 0.0:
            log_episode(k, ag, log, log_count, 1.0, time_s)
            done += 1
    return done
