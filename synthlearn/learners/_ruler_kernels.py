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


# A union's hash: each word times its own odd constant, summed, then mixed. A sum of products
# (no chain from word to word) is computed for a whole block of pairs at once in ``_screen``,
# vectorised; ``_hash`` gives the same for one rule.
_KEY = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)


@njit(cache=True, nogil=True, inline="always")
def _word_key(index):
    """The odd constant word ``index`` of a rule (p * Wv + w) is multiplied by."""
    return (np.uint64(index) * np.uint64(2) + np.uint64(1)) * _KEY


@njit(cache=True, nogil=True, inline="always")
def _mixed(h):
    """The summed products of a rule's words, mixed; non-negative 63 bits."""
    h ^= h >> np.uint64(31)
    h *= _MIX
    h ^= h >> np.uint64(29)
    return int(h >> np.uint64(1))


@njit(cache=True, nogil=True)
def _hash(rule):
    """A non-negative 63-bit hash of a rule's bits (the one ``_screen`` gives a union)."""
    h = np.uint64(0)
    P, Wv = rule.shape
    for p in range(P):
        for w in range(Wv):
            h += rule[p, w] * _word_key(p * Wv + w)
    return _mixed(h)


@njit(cache=True, nogil=True)
def _is_union(a, b, c):
    """Whether rule c is the union of rules a and b."""
    P, Wv = a.shape
    for p in range(P):
        for w in range(Wv):
            if a[p, w] | b[p, w] != c[p, w]:
                return False
    return True


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
PHASE, N_RULES, N_CANDIDATES, PASSES, PAIR_I, PAIR_J, SUBSET_R, TOTAL, NEED, ROW = range(10)
NEED_LIST, MODE, COVERING, SKIP_ROW = 10, 11, 12, 13
STATE_SIZE = 14
# How a pass's new rules are indexed by value (``st[MODE]``, the caller's choice).
POST_BITS, POST_LIST = 0, 1
# Its phases: a pass starts, pairs are compared, candidates join, the new rules are indexed by
# value, rules inside another go.
START, PAIRS, MERGE, POSTINGS, SUBSETS = range(5)
# What it returns: done (the rules in ``rules[:st[N_RULES]]``); its work ran out (call again);
# or the caller must grow an array (the candidates', the hash table, the rules', the postings':
# to ``st[NEED]`` entries), then call again.
FINISHED, MORE, GROW_CANDIDATES, GROW_TABLE, GROW_RULES, GROW_POSTINGS = range(6)


@njit(cache=True, nogil=True)
def induce_step(st, rules, masks, sizes, ages, keep, cand, cmask, csize, chash, table, union,
                umask, post_start, post_items, across, ok, scratch, sizes_f,
                near_stamp, near_cand, rpost, cpost, todo, js, pmask, label_mask, other_mask,
                distance, consistency, work):
    """Learn the rules of one label for at most about ``work`` word operations, then return
    (FINISHED, MORE, or GROW_*: an array is full; it allocates nothing, so the caller grows it
    and calls again, the budget checked first). ``st`` (STATE_SIZE int64) holds where it is:
    zeroed but ``st[N_RULES]``, the label's presets, in ``rules`` as singleton rules with their
    ``masks``, sizes 1 and ages 0.

    Arrays: ``rules`` (cap, P, Wv) with ``masks`` (cap, P, Wp), ``sizes``, ``ages``, ``keep``
    (cap); candidates ``cand`` (ccap, P, Wv), ``cmask`` (ccap, P, Wp), ``csize``, ``chash``
    (ccap); ``table`` (a power of two, at least twice the candidates) their hashes, open
    addressing; ``union`` (P, Wv) and ``umask`` (P, Wp) scratch; ``post_start`` (P * V + 1) and
    ``post_items`` (uint64) the new rules of a pass under each (parameter, value) they hold, as
    bitsets over them or listed (CSR), as ``st[MODE]`` says; ``across`` (P * Wv, cap) the
    rules laid out word by word across them (made at a pass's start);
    ``ok`` (B,) int64, ``scratch`` (5, B) uint64 and ``sizes_f`` (B,) for a block of B pairs
    screened at once;
    ``near_stamp``/``near_cand`` (a power of two) a cache of the unions a row of pairs made
    (most pairs of a row that pass make one of a few unions: each is looked up there, in the
    cache, before the candidates' table); with ``st[COVERING]``, ``rpost`` (P * V, cap / 64)
    and ``cpost`` (P * V, ccap / 64) the pass's rules and its candidates as bits under each
    (parameter, value) they hold, ``todo`` (cap / 64) the rules a row screens and ``js`` (B,)
    a block's of them; ``pmask`` (P, V, Wp); ``label_mask``/``other_mask`` (Wp) its presets
    and every other label's.

    Passes compare every pair of current rules not compared before; a pair within ``distance``
    (parameters whose sets share no value) gives the union as a candidate: with distance 1 it
    must hold only this label's presets; with 2 or more it must hold no other label's preset
    and cover at least ``consistency`` of its size with this label's. Accepted candidates join,
    rules inside another rule go, until a pass changes nothing. ``st[PASSES]`` counts passes.
    A rule inside another is found through the postings, not by comparing it with every new
    rule: the bitsets of its values ANDed (or the list of its rarest value's new rules).

    Covers: a row of pairs (rule i with every rule before it) starts by finding the largest
    candidate of the pass so far that holds rule i (its values' candidate bits ANDed); the
    rules inside it are skipped (the union of two rules inside a candidate is inside it: that
    candidate again, or one the pruning drops), so the rules kept, their order and the passes
    are those of every pair compared; only fewer candidates are held.

    Each rule carries, per parameter, the presets whose value is in its set (``masks``): a
    union's are the two rules' ORed, so a candidate's presets are an AND of P words, with no
    loop over values. Where it stops changes nothing: the same presets give the same rules
    in the same order, whatever the chunks and however the arrays grew.
    """
    P, Wv = rules.shape[1], rules.shape[2]
    Wp = pmask.shape[2]
    phase, n, m, passes = st[PHASE], st[N_RULES], st[N_CANDIDATES], st[PASSES]
    i, j, r, total, row = st[PAIR_I], st[PAIR_J], st[SUBSET_R], st[TOTAL], st[ROW]
    near = near_stamp.shape[0] - 1
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
            for r in range(n):  # the rules word by word across them: screened in blocks
                for p in range(P):
                    for w in range(Wv):
                        across[p * Wv + w, r] = rules[r, p, w]
            done += n * P * Wv
            if st[COVERING]:  # the rules under each value they hold; no candidates yet
                _clear(rpost, (n + 63) // 64)
                for r in range(n):
                    _post(rpost, rules[r], r, pmask.shape[1])
                _clear(cpost, cpost.shape[1])
                done += rpost.shape[0] * ((n + 63) // 64 + cpost.shape[1]) + n * P * Wv
            i, j = 1, 0
            st[SKIP_ROW] = -1
            row += 1
            phase = PAIRS
        elif phase == PAIRS:
            grow = MORE
            while i < n:
                if j >= i:
                    i += 1
                    j = 0
                    row += 1  # the cache of the row's unions starts empty
                    st[SKIP_ROW] = -1
                    continue
                if done >= work:
                    break
                if st[SKIP_ROW] < 0:  # the row's start: the rules inside its cover, skipped
                    st[SKIP_ROW] = 0
                    if st[COVERING]:
                        best = _holder(rules[i], cpost, csize, m, post_start, pmask.shape[1])
                        done += 1 + rpost.shape[0] * ((m + 63) // 64 + (i + 63) // 64) // 8
                        if best >= 0:
                            _outside(cand[best], rpost, todo, i, pmask.shape[1])
                            st[SKIP_ROW] = 1
                # A block of row i screened at once (vectorised: most pairs fail), then the
                # pairs that pass, in order, made into candidates exactly as one at a time.
                if st[SKIP_ROW]:
                    count = _gather(todo, j, i, js)
                    if count == 0:
                        j = i
                        continue
                    passed = _screen(i, js, count, rules, masks, ages, across, passes,
                                     label_mask, other_mask, distance, consistency, ok, scratch,
                                     sizes_f)
                else:
                    count = min(i - j, ok.shape[0])
                    for q in range(count):
                        js[q] = j + q
                    passed = _screen(i, js, count, rules, masks, ages, across, passes,
                                     label_mask, other_mask, distance, consistency, ok, scratch,
                                     sizes_f)
                hashes = scratch[4]
                done += 1 + count * P * (Wv + Wp) // 4
                t = 0
                while t < passed:
                    q = ok[t]
                    jj = js[q]
                    done += P * Wv
                    # A union of two rules of a list where no rule is inside another is never
                    # inside a rule of it (both would be inside that rule): only candidates can
                    # repeat. Most repeat one made earlier in the row: looked up first, without
                    # the union written out.
                    h = int(hashes[q])
                    seen = h & near
                    if near_stamp[seen] == row:
                        c = near_cand[seen]
                        if chash[c] == h and _is_union(rules[i], rules[jj], cand[c]):
                            t += 1
                            continue
                    for p in range(P):
                        for w in range(Wv):
                            union[p, w] = rules[i, p, w] | rules[jj, p, w]
                    slot = h & (table.shape[0] - 1)
                    known = False
                    while table[slot] >= 0:
                        c = table[slot]
                        if chash[c] == h and _equal(union, cand[c]):
                            known = True
                            break
                        slot = (slot + 1) & (table.shape[0] - 1)
                    if known:
                        near_stamp[seen], near_cand[seen] = row, c
                        t += 1
                        continue
                    # Full: the caller grows the array and this pair is tried again.
                    if m == cand.shape[0]:
                        grow = GROW_CANDIDATES
                        break
                    if 2 * (m + 1) > table.shape[0]:  # keep the table at most half full
                        grow = GROW_TABLE
                        break
                    # New: its size and masks (most unions that pass are known already).
                    done += P * (Wv + Wp)
                    size = 1.0
                    for p in range(P):
                        c = 0
                        for w in range(Wv):
                            c += popcount(union[p, w])
                        size *= c
                        for k in range(Wp):
                            umask[p, k] = masks[i, p, k] | masks[jj, p, k]
                    _copy2(cand[m], union)
                    _copy2(cmask[m], umask)
                    csize[m] = size
                    chash[m] = h
                    table[slot] = m
                    near_stamp[seen], near_cand[seen] = row, m
                    if st[COVERING]:
                        _post(cpost, union, m, pmask.shape[1])
                    m += 1
                    t += 1
                if grow != MORE:
                    j = js[ok[t]]  # this pair is tried again once the array has grown
                    break
                j = js[count - 1] + 1
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
            phase = POSTINGS
        elif phase == POSTINGS:
            # The new rules under each (parameter, value) they hold: as bitsets over the new
            # rules (POST_BITS), or listed (POST_LIST: less memory for a huge pass). Both are
            # counted first; the caller grows the array (and picks the form) when it is short.
            V = pmask.shape[1]
            words = (total - n + 63) // 64
            for q in range(post_start.shape[0]):
                post_start[q] = 0
            need = 0
            for s in range(n, total):
                for p in range(P):
                    for w in range(Wv):
                        bits = rules[s, p, w]
                        while bits:
                            low = bits & (~bits + np.uint64(1))
                            post_start[p * V + w * 64 + popcount(low - np.uint64(1)) + 1] += 1
                            need += 1
                            bits ^= low
            need_bits = P * V * words
            done += need + post_start.shape[0]
            if (need_bits if st[MODE] == POST_BITS else need) > post_items.shape[0]:
                st[NEED], st[NEED_LIST] = need_bits, need
                status = GROW_POSTINGS
                break
            if st[MODE] == POST_BITS:
                done += need_bits
                for q in range(need_bits):
                    post_items[q] = 0
                for s in range(n, total):
                    word, bit = (s - n) // 64, np.uint64(1) << np.uint64((s - n) % 64)
                    for p in range(P):
                        for w in range(Wv):
                            bits = rules[s, p, w]
                            while bits:
                                low = bits & (~bits + np.uint64(1))
                                key = p * V + w * 64 + popcount(low - np.uint64(1))
                                post_items[key * words + word] |= bit
                                bits ^= low
            else:
                for q in range(1, post_start.shape[0]):
                    post_start[q] += post_start[q - 1]
                for s in range(n, total):  # filled in order: each list ascends
                    for p in range(P):
                        for w in range(Wv):
                            bits = rules[s, p, w]
                            while bits:
                                low = bits & (~bits + np.uint64(1))
                                key = p * V + w * 64 + popcount(low - np.uint64(1))
                                post_items[post_start[key]] = s
                                post_start[key] += 1
                                bits ^= low
                for q in range(post_start.shape[0] - 1, 0, -1):  # the counts' starts, back
                    post_start[q] = post_start[q - 1]
                post_start[0] = 0
            r = 0
            phase = SUBSETS
        elif st[MODE] == POST_BITS:  # SUBSETS, through bitsets
            # Rules inside another go. A new rule is never inside an old one (see above) and
            # old rules are not inside each other: only old-in-new and new-in-new are possible.
            # The new rules holding every value of rule r: its values' bitsets ANDed, a word
            # at a time (the keys of its values listed first, in post_start's room).
            V = pmask.shape[1]
            words = (total - n + 63) // 64
            while r < total and done < work:
                keys = 0
                for p in range(P):
                    for w in range(Wv):
                        bits = rules[r, p, w]
                        while bits:
                            low = bits & (~bits + np.uint64(1))
                            post_start[keys] = (p * V + w * 64 + popcount(low - np.uint64(1))) \
                                * words
                            keys += 1
                            bits ^= low
                done += P * Wv + keys * words
                inside_one = False
                for w in range(words):
                    x = np.uint64(0xFFFFFFFFFFFFFFFF)
                    for t in range(keys):
                        x &= post_items[post_start[t] + w]
                        if x == 0:
                            break
                    if r >= n and (r - n) // 64 == w:  # not itself
                        x &= ~(np.uint64(1) << np.uint64((r - n) % 64))
                    while x:
                        low = x & (~x + np.uint64(1))
                        s = n + w * 64 + popcount(low - np.uint64(1))
                        if sizes[s] > sizes[r]:
                            inside_one = True
                            break
                        x ^= low
                    if inside_one:
                        break
                if inside_one:
                    keep[r] = False
                r += 1
            if r < total:
                break  # the work ran out
            done += total * P * (Wv + Wp)
            n = _compact(rules, masks, sizes, ages, keep, total)
            phase = START
        else:  # SUBSETS, through lists
            # As above; a new rule holding rule r holds each of r's values: only those listed
            # under r's rarest (parameter, value) are compared.
            V = pmask.shape[1]
            while r < total and done < work:
                best, best_n = -1, total + 1
                for p in range(P):
                    for w in range(Wv):
                        bits = rules[r, p, w]
                        while bits:
                            low = bits & (~bits + np.uint64(1))
                            key = p * V + w * 64 + popcount(low - np.uint64(1))
                            count = post_start[key + 1] - post_start[key]
                            if count < best_n:
                                best, best_n = key, count
                            bits ^= low
                done += P * Wv + 1
                for q in range(post_start[best], post_start[best + 1]):
                    s = int(post_items[q])
                    done += 1
                    if s != r and sizes[s] > sizes[r]:
                        done += P * Wv
                        if _subset(rules[r], rules[s]):
                            keep[r] = False
                            break
                r += 1
            if r < total:
                break  # the work ran out
            done += total * P * (Wv + Wp)
            n = _compact(rules, masks, sizes, ages, keep, total)
            phase = START
    st[PHASE], st[N_RULES], st[N_CANDIDATES], st[PASSES] = phase, n, m, passes
    st[PAIR_I], st[PAIR_J], st[SUBSET_R], st[TOTAL], st[ROW] = i, j, r, total, row
    return status


@njit(cache=True, nogil=True)
def _clear(bits, words):
    """The first ``words`` words of every row of ``bits`` zeroed."""
    for k in range(bits.shape[0]):
        for w in range(words):
            bits[k, w] = 0


@njit(cache=True, nogil=True)
def _post(bits, rule, r, V):
    """Rule number ``r`` under each (parameter, value) it holds: bit r of ``bits[p * V + v]``."""
    P, Wv = rule.shape
    word, bit = r // 64, np.uint64(1) << np.uint64(r % 64)
    for p in range(P):
        for w in range(Wv):
            x = rule[p, w]
            while x:
                low = x & (~x + np.uint64(1))
                bits[p * V + w * 64 + popcount(low - np.uint64(1)), word] |= bit
                x ^= low


@njit(cache=True, nogil=True)
def _holder(rule, cpost, csize, m, keys, V):
    """The largest of the first ``m`` candidates holding ``rule`` (the first of the largest),
    or -1: its values' candidate bitsets ANDed (``keys``: scratch for their rows)."""
    P, Wv = rule.shape
    n_keys = 0
    for p in range(P):
        for w in range(Wv):
            x = rule[p, w]
            while x:
                low = x & (~x + np.uint64(1))
                keys[n_keys] = p * V + w * 64 + popcount(low - np.uint64(1))
                n_keys += 1
                x ^= low
    best, best_size = -1, -1.0
    for w in range((m + 63) // 64):
        x = np.uint64(0xFFFFFFFFFFFFFFFF)
        for t in range(n_keys):
            x &= cpost[keys[t], w]
        while x:
            low = x & (~x + np.uint64(1))
            c = w * 64 + popcount(low - np.uint64(1))
            if c < m and csize[c] > best_size:
                best, best_size = c, csize[c]
            x ^= low
    return best


@njit(cache=True, nogil=True)
def _outside(cover, rpost, todo, i, V):
    """Into ``todo``: the rules before rule ``i`` with a value outside ``cover`` (the others
    are inside it: any union with rule i, itself inside, is inside ``cover`` too)."""
    P, Wv = cover.shape
    words = (i + 63) // 64
    for w in range(words):
        todo[w] = 0
    for p in range(P):
        for v in range(V):
            if not (cover[p, v // 64] >> np.uint64(v % 64)) & np.uint64(1):
                row = rpost[p * V + v]
                for w in range(words):
                    todo[w] |= row[w]
    if i % 64:
        todo[words - 1] &= (np.uint64(1) << np.uint64(i % 64)) - np.uint64(1)


@njit(cache=True, nogil=True)
def _gather(todo, j, i, js):
    """Into ``js``: the next rules from ``j`` (below ``i``) ``todo`` holds, ascending, at most
    as many as ``js`` has room for; how many."""
    count = 0
    w = j // 64
    x = todo[w] & ~((np.uint64(1) << np.uint64(j % 64)) - np.uint64(1))
    while count < js.shape[0]:
        while x:
            low = x & (~x + np.uint64(1))
            js[count] = w * 64 + popcount(low - np.uint64(1))
            count += 1
            x ^= low
            if count == js.shape[0]:
                return count
        w += 1
        if w * 64 >= i:
            break
        x = todo[w]
    return count


@njit(cache=True, nogil=True)
def _compact(rules, masks, sizes, ages, keep, total):
    """The rules kept (``keep``) moved to the front, in order; how many."""
    k = 0
    for q in range(total):
        if keep[q]:
            _copy2(rules[k], rules[q])
            _copy2(masks[k], masks[q])
            sizes[k] = sizes[q]
            ages[k] = ages[q]
            k += 1
    return k


@njit(cache=True, nogil=True)
def _screen(i, js, count, rules, masks, ages, across, passes, label_mask, other_mask,
            distance, consistency, ok, scratch, sizes_f):
    """How many pairs (i, js[q]), q < count, make a candidate, their q listed in ``ok``
    (ascending): at least one of the two new last pass, at most ``distance`` parameters
    apart, and their union holding only this label's presets (distance 1) or none of another
    label's and at least ``consistency`` of its size. Loops over the block innermost, word
    by word, so they vectorise; the same arithmetic as a pair alone (sizes multiplied as
    floats)."""
    P, Wv = rules.shape[1], rules.shape[2]
    Wp = masks.shape[2]
    dis, meet, acc, hit, hashes = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    recent = passes - 1
    i_new = ages[i] >= recent
    for q in range(count):
        sizes_f[q] = 1.0
        dis[q] = 0
        hit[q] = 0
        hashes[q] = 0
    for p in range(P):
        for q in range(count):
            meet[q] = 0
            acc[q] = 0  # the union's values here, counted
        for w in range(Wv):
            a = rules[i, p, w]
            key = _word_key(p * Wv + w)
            row = across[p * Wv + w]
            for q in range(count):
                x = row[js[q]]
                meet[q] |= x & a
                acc[q] += np.uint64(popcount(x | a))
                hashes[q] += (x | a) * key
        for q in range(count):
            sizes_f[q] *= float(acc[q])
            dis[q] += np.uint64(meet[q] == 0)
    covered = meet  # reused: counted per block word by word
    for q in range(count):
        covered[q] = 0
    for k in range(Wp):
        for q in range(count):
            acc[q] = np.uint64(0xFFFFFFFFFFFFFFFF)
        for p in range(P):
            a = masks[i, p, k]
            for q in range(count):
                acc[q] &= masks[js[q], p, k] | a
        lm, om = label_mask[k], other_mask[k]
        for q in range(count):
            covered[q] += np.uint64(popcount(acc[q] & lm))
            hit[q] |= acc[q] & om
    # The pairs that pass, listed (ascending) for the caller, each union's hash in ``hashes``.
    passed = 0
    for q in range(count):
        if not (i_new or ages[js[q]] >= recent):
            continue  # both were here last pass: this pair was tried then
        if dis[q] > np.uint64(distance):
            continue
        c = float(covered[q])
        if distance == 1:
            if c != sizes_f[q]:
                continue
        elif hit[q] != 0 or c < consistency * sizes_f[q]:
            continue
        ok[passed] = q
        hashes[q] = np.uint64(_mixed(hashes[q]))
        passed += 1
    return passed


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
