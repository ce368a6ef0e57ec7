"""numba kernels of the RuLer learner: rules as bitsets, coverage counted, never expanded.

A rule is, for each parameter, a bitset over that parameter's distinct values (``Wv`` uint64
words). Training presets are bits too: ``pmask[p, v]`` is the set of presets whose parameter p
has value v (``Wp`` words), so the presets inside a rule are ``AND_p OR_{v in rule[p]}
pmask[p, v]``, computed in a few word operations, and a rule's size is the product of its sets'
popcounts. The kernels release the GIL: retraining runs in a worker thread beside the audio.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@njit(cache=True, nogil=True, inline="always")
def popcount(x):
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return int((x * _H01) >> np.uint64(56))


@njit(cache=True, nogil=True)
def set_size(rule, p):
    n = 0
    for w in range(rule.shape[1]):
        n += popcount(rule[p, w])
    return n


@njit(cache=True, nogil=True)
def inside(rule, pmask, out):
    """The presets inside ``rule`` into ``out`` (Wp words)."""
    P, Wv = rule.shape
    Wp = out.shape[0]
    for k in range(Wp):
        out[k] = np.uint64(0xFFFFFFFFFFFFFFFF)
    acc = np.zeros(Wp, np.uint64)
    for p in range(P):
        for k in range(Wp):
            acc[k] = 0
        for w in range(Wv):
            bits = rule[p, w]
            while bits:
                low = bits & (~bits + np.uint64(1))  # the lowest set bit
                v = w * 64 + popcount(low - np.uint64(1))
                for k in range(Wp):
                    acc[k] |= pmask[p, v, k]
                bits ^= low
        for k in range(Wp):
            out[k] &= acc[k]


@njit(cache=True, nogil=True)
def _subset(a, b):
    """Every set of rule a within b's."""
    P, Wv = a.shape
    for p in range(P):
        for w in range(Wv):
            if a[p, w] & ~b[p, w]:
                return False
    return True


@njit(cache=True, nogil=True)
def _equal(a, b):
    P, Wv = a.shape
    for p in range(P):
        for w in range(Wv):
            if a[p, w] != b[p, w]:
                return False
    return True


@njit(cache=True, nogil=True)
def _hash(rule):
    """A non-negative 63-bit hash of a rule's bits (FNV-1a over the words)."""
    h = np.uint64(0xCBF29CE484222325)
    P, Wv = rule.shape
    for p in range(P):
        for w in range(Wv):
            h = (h ^ rule[p, w]) * np.uint64(0x100000001B3)
            h ^= h >> np.uint64(29)
    return int(h >> np.uint64(1))


@njit(cache=True, nogil=True)
def _masks_of(rule, pmask, out):
    """Per parameter, the presets whose value is in the rule's set: out (P, Wp)."""
    P, Wv = rule.shape
    Wp = out.shape[1]
    for p in range(P):
        for k in range(Wp):
            out[p, k] = 0
        for w in range(Wv):
            bits = rule[p, w]
            while bits:
                low = bits & (~bits + np.uint64(1))
                v = w * 64 + popcount(low - np.uint64(1))
                for k in range(Wp):
                    out[p, k] |= pmask[p, v, k]
                bits ^= low


@njit(cache=True, nogil=True)
def _grown(a, n, cap):
    """``a`` in a zeroed array of ``cap`` rows, its first ``n`` rows kept."""
    out = np.zeros((cap,) + a.shape[1:], a.dtype)
    out[:n] = a[:n]
    return out


@njit(cache=True, nogil=True)
def induce(start, pmask, label_mask, other_mask, distance, consistency):
    """The rules of one label: ``start`` (k, P, Wv) its presets as singleton rules; ``pmask``
    (P, V, Wp); ``label_mask``/``other_mask`` (Wp) its presets and every other label's.

    Passes compare every pair of current rules not compared before; a pair within ``distance``
    (parameters whose sets share no value) gives the union as a candidate: with distance 1 it
    must hold only this label's presets; with 2 or more it must hold no other label's preset
    and cover at least ``consistency`` of its size with this label's. Accepted candidates join,
    rules inside another rule go, until a pass changes nothing. Returns (rules, passes).

    Each rule carries, per parameter, the presets whose value is in its set (``masks``): a
    union's are the two rules' ORed, so a candidate's presets are an AND of P words, with no
    loop over values.
    """
    k0, P, Wv = start.shape
    Wp = pmask.shape[2]
    cap = max(2 * k0, 16)
    rules = np.zeros((cap, P, Wv), np.uint64)
    masks = np.zeros((cap, P, Wp), np.uint64)
    sizes = np.zeros(cap, np.float64)
    ages = np.zeros(cap, np.int64)
    rules[:k0] = start
    for r in range(k0):
        _masks_of(rules[r], pmask, masks[r])
        sizes[r] = 1.0
    n = k0
    ccap = 16
    cand = np.zeros((ccap, P, Wv), np.uint64)
    cmask = np.zeros((ccap, P, Wp), np.uint64)
    csize = np.zeros(ccap, np.float64)
    chash = np.zeros(ccap, np.int64)
    union = np.zeros((P, Wv), np.uint64)
    umask = np.zeros((P, Wp), np.uint64)
    passes = 0
    if distance <= 0:
        return rules[:n].copy(), passes
    while True:
        passes += 1
        m = 0  # candidates accepted in this pass
        table = np.full(64, -1, np.int64)  # candidate hashes -> index (open addressing)
        for i in range(n):
            for j in range(i):
                if ages[i] < passes - 1 and ages[j] < passes - 1:
                    continue  # both were here last pass: this pair was tried then
                dis = 0
                for p in range(P):
                    meet = False
                    for w in range(Wv):
                        if rules[i, p, w] & rules[j, p, w]:
                            meet = True
                            break
                    if not meet:
                        dis += 1
                if dis > distance:
                    continue
                size = 1.0
                for p in range(P):
                    c = 0
                    for w in range(Wv):
                        union[p, w] = rules[i, p, w] | rules[j, p, w]
                        c += popcount(union[p, w])
                    size *= c
                    for k in range(Wp):
                        umask[p, k] = masks[i, p, k] | masks[j, p, k]
                covered = 0
                contradicts = False
                for k in range(Wp):
                    x = umask[0, k]
                    for p in range(1, P):
                        x &= umask[p, k]
                    covered += popcount(x & label_mask[k])
                    if x & other_mask[k]:
                        contradicts = True
                if distance == 1:
                    if covered != size:
                        continue
                elif contradicts or covered < consistency * size:
                    continue
                # A union of two rules of a list where no rule is inside another is never inside
                # a rule of it (both would be inside that rule): only candidates can repeat.
                h = _hash(union)
                slot = h & (table.shape[0] - 1)
                known = False
                while table[slot] >= 0:
                    c = table[slot]
                    if chash[c] == h and _equal(union, cand[c]):
                        known = True
                        break
                    slot = (slot + 1) & (table.shape[0] - 1)
                if known:
                    continue
                if m == ccap:
                    ccap *= 2
                    cand, cmask = _grown(cand, m, ccap), _grown(cmask, m, ccap)
                    csize, chash = _grown(csize, m, ccap), _grown(chash, m, ccap)
                cand[m] = union
                cmask[m] = umask
                csize[m] = size
                chash[m] = h
                table[slot] = m
                m += 1
                if 2 * m > table.shape[0]:  # keep the table at most half full
                    table = np.full(2 * table.shape[0], -1, np.int64)
                    for c in range(m):
                        slot = chash[c] & (table.shape[0] - 1)
                        while table[slot] >= 0:
                            slot = (slot + 1) & (table.shape[0] - 1)
                        table[slot] = c
        if m == 0:
            return rules[:n].copy(), passes
        total = n + m
        if total > cap:
            cap = 2 * total
            rules, masks = _grown(rules, n, cap), _grown(masks, n, cap)
            sizes, ages = _grown(sizes, n, cap), _grown(ages, n, cap)
        rules[n:total] = cand[:m]
        masks[n:total] = cmask[:m]
        sizes[n:total] = csize[:m]
        ages[n:total] = passes
        # Rules inside another go. A new rule is never inside an old one (see above) and old
        # rules are not inside each other: only old-in-new and new-in-new are possible.
        keep = np.ones(total, np.bool_)
        for r in range(total):
            for s in range(n, total):
                if r != s and sizes[s] > sizes[r] and _subset(rules[r], rules[s]):
                    keep[r] = False
                    break
        n = 0
        for r in range(total):
            if keep[r]:
                rules[n] = rules[r]
                masks[n] = masks[r]
                sizes[n] = sizes[r]
                ages[n] = ages[r]
                n += 1


@njit(cache=True, nogil=True)
def trained_counts(bits, pmask, combos):
    """For every rule of ``bits`` (n, P, Wv): how many distinct training presets (``combos``)
    it holds. One call for all rules: a Python loop of short nogil calls keeps taking the GIL
    back before a waiting thread can (the audio thread waited 107 ms behind 1,909 of them)."""
    n = bits.shape[0]
    Wp = pmask.shape[2]
    out = np.zeros(n, np.int64)
    mask = np.zeros(Wp, np.uint64)
    for r in range(n):
        inside(bits[r], pmask, mask)
        c = 0
        for k in range(Wp):
            c += popcount(mask[k] & combos[k])
        out[r] = c
    return out
