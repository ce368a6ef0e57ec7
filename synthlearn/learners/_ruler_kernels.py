"""numba kernels of the RuLer learner: rules as bitsets, coverage counted, never expanded.

A rule is, for each parameter, a bitset over that parameter's distinct values (``Wv`` uint64
words). Training presets are bits too: ``pmask[p, v]`` is the set of presets whose parameter p
has value v (``Wp`` words), so the presets inside a rule are ``AND_p OR_{v in rule[p]}
pmask[p, v]``, computed in a few word operations, and a rule's size is the product of its sets'
popcounts. The kernels release the GIL: retraining runs in a worker thread beside the audio.
Learning (``induce_step``) works in bounded chunks and allocates nothing: between chunks the
caller reads the clock and a cancel flag, and grows the arrays once its budget says they fit.
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
def seed_rules(codes, pmask, rules, masks):
    """The presets of value indices ``codes`` (k, P) as singleton rules into ``rules[:k]``, with
    their ``masks`` (one call: a loop of short nogil calls keeps taking the GIL back)."""
    k, P = codes.shape
    for r in range(k):
        for p in range(P):
            c = codes[r, p]
            rules[r, p, c // 64] |= np.uint64(1) << np.uint64(c % 64)
        _masks_of(rules[r], pmask, masks[r])


@njit(cache=True, nogil=True)
def set_counts(bits):
    """How many values each rule of ``bits`` (n, P, Wv) holds per parameter: (n, P)."""
    n, P, Wv = bits.shape
    out = np.zeros((n, P), np.int64)
    for r in range(n):
        for p in range(P):
            c = 0
            for w in range(Wv):
                c += popcount(bits[r, p, w])
            out[r, p] = c
    return out


@njit(cache=True, nogil=True)
def _copy2(dst, src):
    """``dst[:, :] = src`` for two arrays of one (P, W) shape, as loops: an array assigned to a
    slice makes numba compile its shape checks and their messages (~4 s of a cold start)."""
    for a in range(dst.shape[0]):
        for b in range(dst.shape[1]):
            dst[a, b] = src[a, b]


# ``induce_step`` resumes where it stopped: its cursors, kept between calls in an int64 array.
PHASE, N_RULES, N_CANDIDATES, PASSES, PAIR_I, PAIR_J, SUBSET_R, TOTAL = range(8)
STATE_SIZE = 8
# Its phases: a pass starts, pairs are compared, candidates join, rules inside another go.
START, PAIRS, MERGE, SUBSETS = range(4)
# What it returns: done (the rules in ``rules[:st[N_RULES]]``); its work ran out (call again);
# or the caller must grow an array (the candidates', the hash table, the rules'), then call again.
FINISHED, MORE, GROW_CANDIDATES, GROW_TABLE, GROW_RULES = range(5)


@njit(cache=True, nogil=True)
def induce_step(st, rules, masks, sizes, ages, keep, cand, cmask, csize, chash, table, union,
                umask, pmask, label_mask, other_mask, distance, consistency, work):
    """Learn the rules of one label for at most about ``work`` word operations, then return
    (FINISHED, MORE, or GROW_*: an array is full; it allocates nothing, so the caller grows it
    and calls again, the budget checked first). ``st`` (STATE_SIZE int64) holds where it is:
    zeroed but ``st[N_RULES]``, the label's presets, in ``rules`` as singleton rules with their
    ``masks``, sizes 1 and ages 0.

    Arrays: ``rules`` (cap, P, Wv) with ``masks`` (cap, P, Wp), ``sizes``, ``ages``, ``keep``
    (cap); candidates ``cand`` (ccap, P, Wv), ``cmask`` (ccap, P, Wp), ``csize``, ``chash``
    (ccap); ``table`` (a power of two, at least twice the candidates) their hashes, open
    addressing; ``union`` (P, Wv) and ``umask`` (P, Wp) scratch; ``pmask`` (P, V, Wp);
    ``label_mask``/``other_mask`` (Wp) its presets and every other label's.

    Passes compare every pair of current rules not compared before; a pair within ``distance``
    (parameters whose sets share no value) gives the union as a candidate: with distance 1 it
    must hold only this label's presets; with 2 or more it must hold no other label's preset
    and cover at least ``consistency`` of its size with this label's. Accepted candidates join,
    rules inside another rule go, until a pass changes nothing. ``st[PASSES]`` counts passes.

    Each rule carries, per parameter, the presets whose value is in its set (``masks``): a
    union's are the two rules' ORed, so a candidate's presets are an AND of P words, with no
    loop over values. Where it stops changes nothing: the same presets give the same rules
    in the same order, whatever the chunks and however the arrays grew.
    """
    P, Wv = rules.shape[1], rules.shape[2]
    Wp = pmask.shape[2]
    phase, n, m, passes = st[PHASE], st[N_RULES], st[N_CANDIDATES], st[PASSES]
    i, j, r, total = st[PAIR_I], st[PAIR_J], st[SUBSET_R], st[TOTAL]
    done = 0
    status = MORE
    while done < work:
        if phase == START:
            if distance <= 0:
                status = FINISHED
                break
            passes += 1
            m = 0
            for q in range(table.shape[0]):  # loops, not slices, here: see _copy2
                table[q] = -1
            i, j = 1, 0
            phase = PAIRS
        elif phase == PAIRS:
            grow = MORE
            while i < n:
                if j >= i:
                    i += 1
                    j = 0
                    continue
                if done >= work:
                    break
                done += 1
                if ages[i] < passes - 1 and ages[j] < passes - 1:
                    j += 1
                    continue  # both were here last pass: this pair was tried then
                done += P * Wv
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
                    j += 1
                    continue
                done += P * (Wv + Wp)
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
                        j += 1
                        continue
                elif contradicts or covered < consistency * size:
                    j += 1
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
                    j += 1
                    continue
                # Full: the caller grows the array and this pair is tried again.
                if m == cand.shape[0]:
                    grow = GROW_CANDIDATES
                    break
                if 2 * (m + 1) > table.shape[0]:  # keep the table at most half full
                    grow = GROW_TABLE
                    break
                _copy2(cand[m], union)
                _copy2(cmask[m], umask)
                csize[m] = size
                chash[m] = h
                table[slot] = m
                m += 1
                j += 1
            if grow != MORE:
                status = grow
                break
            if i < n:
                break  # the work ran out
            phase = MERGE
        elif phase == MERGE:
            if m == 0:
                status = FINISHED
                break
            total = n + m
            if total > rules.shape[0]:
                status = GROW_RULES
                break
            done += m * P * (Wv + Wp)
            for q in range(m):
                _copy2(rules[n + q], cand[q])
                _copy2(masks[n + q], cmask[q])
                sizes[n + q] = csize[q]
                ages[n + q] = passes
            for q in range(total):
                keep[q] = True
            r = 0
            phase = SUBSETS
        else:  # SUBSETS
            # Rules inside another go. A new rule is never inside an old one (see above) and
            # old rules are not inside each other: only old-in-new and new-in-new are possible.
            while r < total and done < work:
                for s in range(n, total):
                    done += 1
                    if r != s and sizes[s] > sizes[r]:
                        done += P * Wv
                        if _subset(rules[r], rules[s]):
                            keep[r] = False
                            break
                r += 1
            if r < total:
                break  # the work ran out
            done += total * P * (Wv + Wp)
            k = 0
            for q in range(total):
                if keep[q]:
                    _copy2(rules[k], rules[q])
                    _copy2(masks[k], masks[q])
                    sizes[k] = sizes[q]
                    ages[k] = ages[q]
                    k += 1
            n = k
            phase = START
    st[PHASE], st[N_RULES], st[N_CANDIDATES], st[PASSES] = phase, n, m, passes
    st[PAIR_I], st[PAIR_J], st[SUBSET_R], st[TOTAL] = i, j, r, total
    return status


@njit(cache=True, nogil=True)
def hash_table(chash, m, size):
    """A table of ``size`` slots (a power of two) holding the first ``m`` candidates' hashes."""
    table = np.full(size, -1, np.int64)
    for c in range(m):
        slot = chash[c] & (size - 1)
        while table[slot] >= 0:
            slot = (slot + 1) & (size - 1)
        table[slot] = c
    return table


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
