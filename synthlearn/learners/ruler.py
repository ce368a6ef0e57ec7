"""RuLer: rule induction over labeled synth presets (Paz et al., Entropy 22(9):969, 2020), made
fast enough to retrain between two phrases.

A rule is one set of values per parameter plus a label; it stands for every combination of its
sets (their cartesian product). Each training preset starts as a rule of singleton sets; each
label is learned on its own. A pass compares every pair of the label's rules: when at most
``distance`` parameters have sets sharing no value, the per-parameter union is a candidate,
accepted as follows:

- distance 0: never;
- distance 1: only when every combination it stands for is a training preset of the label
  (``consistency`` is ignored);
- distance 2 or more: never when it holds a training preset of another label (always checked
  against the *original* presets, so the result does not depend on row order), else when the
  label's presets inside it are at least ``consistency`` of its size.

Accepted candidates join, rules inside another rule go, and passes repeat until one changes
nothing. Identical rows count once; rules come out in a canonical order. The passes run as
numba kernels over bitsets (see ``_ruler_kernels``), counting coverage instead of expanding
products; ``RuleSet`` counts, numbers and draws the presets the rules stand for, also without
expanding them.

The labels are learned side by side, one per core (``threads``; the kernels release the GIL),
sharing one budget (``ruler_budget``); the rules are the same however many learn at once.

Learning is bounded: a table inside every limit can still ask for millions of rules (a 0.4 MB
table at distance 64, consistency 0, grew a show by 750 MB every 5 s). The bytes it would hold
are counted before each array grows, with what its rules will take as Python objects, and the
clock and a cancel flag are looked at between the kernel's chunks of work: past ``memory_mb``
or ``time_s``, or cancelled, :meth:`RuLer.fit` stops with :class:`BudgetReached` (one line;
nothing was learned). Within them, the rules are the same however the work was cut. Between
the same chunks a ``progress`` callable, if given, is handed a :class:`Progress` (rules so far,
pass, label, seconds): how a front-end shows a long fit; it changes nothing learned.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

from synthlearn.errors import UserError
from synthlearn.learners import _kernels as K
from synthlearn.learners import _ruler_kernels as R
from synthlearn.learners.base import Learner, finite, whole
from synthlearn.learners.presets import Presets
from synthlearn.learners.ruler_budget import (
    MB,
    RULE_BYTES,
    RULE_PARAM_BYTES,
    RULE_VALUE_BYTES,
    Budget,
    Halted,
    Progress,
    Share,
)
from synthlearn.learners.ruler_budget import BudgetReached as BudgetReached  # theirs, from here

MAX_DISTANCE = 1024
MAX_THREADS = 4  # labels learned at once, at most (each label's passes are its own)


def live_threads() -> int:
    """Labels learned at once while the music plays: one core is left to the audio (measured:
    a retrain on both cores of a 2-core machine made 10-11 late blocks in 15 s at block 256,
    on one core as many as only playing)."""
    return max(1, min(MAX_THREADS, (os.cpu_count() or 1) - 1))

# 1 GB: the show's own process holds a few hundred MB (163 MB with numba and the piece, before
# pyo and pygame), so an 8 GB laptop keeps room for its system; a runaway grew ~150 MB/s, so it
# stops in seconds. Counted: the learner's arrays and what its rules will take as Python objects.
DEFAULT_MEMORY_MB = 1024
MIN_MEMORY_MB = 1
# A minute: blip-german's 2,597 rules take 0.55 s, blip-julia's 7,193 6.4 s; the slowest user
# test here, blip-julia at consistency 0.1 (4 rules), takes 7.4 s (195 s before the bitsets).
DEFAULT_TIME_S = 60.0
# A live retrain shares the machine with the music, between two phrases: less time, and a
# performer (or an OSC sender) may raise the memory only so far.
LIVE_TIME_S = 30.0
LIVE_MAX_MEMORY_MB, LIVE_MAX_TIME_S = 4096, 600.0
# Work per kernel call, in 64-bit word operations (~3-10 ms on this 2-core machine): between
# calls the clock and the cancel flag are read, so a cancel is seen within one chunk.
CHUNK_WORK = 1 << 22
SCREEN_BLOCK = 512  # pairs screened at once (vectorised), their scratch in the cache
POSTINGS_BITS_MAX_BYTES = 64 * MB  # the bitsets of a pass's new rules by value, at most
# Rules and candidates are posted under each (parameter, value) when there are at most this
# many: a bit per rule and candidate each (a 40-parameter table of 64 values: 320 bytes a rule).
COVER_KEYS_MAX = 4096
NEAR_SLOTS = 8192  # the cache of a row's unions (a row of pairs makes a few hundred at most)
GROW_SLICE_BYTES = 4 * MB  # a growing array is copied in slices of this, the same read between


def _words(n: int) -> int:
    return max(1, -(-n // 64))


def _bits(indices, words: int) -> np.ndarray:
    out = np.zeros(words, np.uint64)
    i = np.asarray(indices, np.int64)
    np.bitwise_or.at(out, i // 64, np.left_shift(np.uint64(1), (i % 64).astype(np.uint64)))
    return out


def _indices(bits: np.ndarray) -> list[int]:
    return [w * 64 + b for w in range(bits.shape[0]) for b in range(64)
            if int(bits[w]) >> b & 1]


class RuLer(Learner):
    """The RuLer learner: ``fit(presets)`` returns the :class:`RuleSet` of ``distance`` and
    ``consistency``; the seed draws random presets from it."""

    kind = "ruler"

    def __init__(self, *, distance: int = 2, consistency: float = 0.5,
                 memory_mb: int = DEFAULT_MEMORY_MB, time_s: float = DEFAULT_TIME_S,
                 threads: int | None = None):
        super().__init__()
        self.distance = distance
        self.consistency = consistency
        self.memory_mb = memory_mb
        self.time_s = time_s
        self.threads = threads  # labels learned side by side (None: one per core, MAX_THREADS)

    def threads_for(self, presets: Presets) -> int:
        """How many labels of ``presets`` are learned at once: ``threads``, else one per core
        (at most MAX_THREADS), never more than there are labels. The rules are the same."""
        want = self.threads if self.threads is not None else min(MAX_THREADS,
                                                                 os.cpu_count() or 1)
        return max(1, min(int(want), len(presets.labels)))

    def validate(self) -> None:
        whole(self, "distance", 0, MAX_DISTANCE)
        c = finite(self, "consistency")
        if not 0.0 <= c <= 1.0:
            raise UserError(f"ruler: consistency {c!r} must be within 0..1")
        whole(self, "memory_mb", MIN_MEMORY_MB)
        if self.threads is not None:
            whole(self, "threads", 1, MAX_THREADS)
        if finite(self, "time_s") < 0:
            raise UserError(f"ruler: time_s {self.time_s!r} must be 0 or more")

    def _exercise(self, twin) -> None:
        rows = [(1, 2, "a"), (2, 2, "a"), (2, 3, "a"), (1, 3, "b")]
        twin.distance, twin.memory_mb, twin.time_s = 2, DEFAULT_MEMORY_MB, DEFAULT_TIME_S
        twin.fit(Presets.from_rows(("x", "y"), rows)).random_preset("a", twin.rng_state)
        R.hash_table(np.zeros(1, np.int64), 1, 4)  # grown only by bigger tables

    def fit(self, presets: Presets, *, cancel=None, clock=time.perf_counter,
            progress: Callable[[Progress], object] | None = None) -> RuleSet:
        """The rules of every label (validating the parameters first). ``cancel``: an object
        with ``is_set()`` (a ``threading.Event``) another thread sets to stop the fit; ``clock``
        (seconds) times it. Past ``memory_mb``, ``time_s`` or cancelled: :class:`BudgetReached`.
        ``progress``: called between chunks of work (every few milliseconds, in the fit's
        thread) with a :class:`Progress`; keep it cheap. A fit done in one chunk never calls it.
        """
        self.validate()
        P = len(presets.names)
        n = len(presets)
        V = max(len(v) for v in presets.values)
        Wv = _words(V)
        Wp = _words(n)
        budget = Budget(self.memory_mb, self.time_s, cancel, clock, P, progress,
                        labels=len(presets.labels))
        table_bytes = (P * V + 4) * Wp * 8  # pmask, combos and the label masks
        if not budget.fits(table_bytes):
            raise budget.over(f"its table alone needs {table_bytes / MB:,.0f} MB: {P} "
                              f"parameters, {V:,} values, {n:,} presets",
                              advice="fewer presets or fewer distinct values")
        pmask, combos = self._masks(presets)
        budget.hold(table_bytes)
        everyone = _bits(range(n), Wp)

        def learn(budget: Budget, k: int) -> tuple[np.ndarray, int]:
            mine = np.flatnonzero(presets.label_of == k)
            label_mask = _bits(mine, Wp)
            found, label_passes = _induce(presets.codes[mine], Wv, pmask, label_mask,
                                          everyone & ~label_mask, int(self.distance),
                                          float(self.consistency),
                                          budget.share(k, str(presets.labels[k])))
            budget.learned(k, found.shape[0], found.nbytes)
            return found, label_passes

        # The labels with the most presets first: they take longest.
        order = sorted(range(len(presets.labels)),
                       key=lambda k: (-int(np.count_nonzero(presets.label_of == k)), k))
        threads = self.threads_for(presets)
        try:
            learned = _side_by_side(functools.partial(learn, budget), order, threads, budget)
        except BudgetReached as exc:
            if exc.what != "memory" or threads == 1:
                raise
            # Side by side, the labels held more at once than the budget: one at a time, as
            # with one thread (the same clock: the time budget counts both).
            budget = budget.again(held=table_bytes)
            learned = _side_by_side(functools.partial(learn, budget), order, 1, budget)
        rules, labels, passes = [], [], 0
        for k, (found, label_passes) in enumerate(learned):  # in the labels' order
            passes = max(passes, label_passes)
            rules.append(found)
            labels.extend([k] * found.shape[0])
        bits = np.concatenate(rules) if rules else np.zeros((0, P, Wv), np.uint64)
        # What the rules will take as Python objects, now counted exactly before they are made
        # (the canonical order's table too: a row per rule, as wide as the widest sets).
        counts = R.set_counts(bits)
        python_bytes = (bits.shape[0] * (RULE_BYTES + P * RULE_PARAM_BYTES
                                         + 8 * (1 + int(counts.max(0).sum() if len(bits) else 0)))
                        + int(counts.sum()) * RULE_VALUE_BYTES)
        if budget.held + python_bytes > budget.limit:
            raise budget.over(f"its {bits.shape[0]:,} rules would take "
                              f"{python_bytes / MB:,.0f} MB as Python objects")
        return RuleSet(presets, bits, np.array(labels, np.int64), self.distance,
                       self.consistency, seconds=clock() - budget.t0, passes=passes,
                       pmask=pmask, combos=combos)

    @staticmethod
    def _masks(presets: Presets) -> tuple[np.ndarray, np.ndarray]:
        """(pmask (P, V, Wp): per parameter and value, the presets having it; one preset per
        distinct combination of values, two labels may share one: what "not a training
        preset" is counted against)."""
        P, n = len(presets.names), len(presets)
        Wp = _words(n)
        V = max(len(v) for v in presets.values)
        pmask = np.zeros((P, V, Wp), np.uint64)
        rows = np.arange(n)
        bit = np.left_shift(np.uint64(1), (rows % 64).astype(np.uint64))
        for p in range(P):  # numpy, not a loop over presets: 5,000 x 40 took 0.5 s so
            np.bitwise_or.at(pmask[p], (presets.codes[:, p], rows // 64), bit)
        first = np.unique(presets.codes, axis=0, return_index=True)[1] if n else rows
        return pmask, _bits(np.sort(first), Wp)

    def rollout(self, seed: int, n: int) -> np.ndarray:
        """``reset(seed=seed)``, the rules of a small fixed table, then ``n`` preset numbers of
        label a drawn from the learner's generator, (n,) (the learner checks' determinism and
        reset)."""
        self.reset(seed=seed)
        rules = self.fit(Presets.from_rows(("x", "y"), [(1, 2, "a"), (2, 2, "a"), (2, 3, "a"),
                                                        (1, 3, "b"), (3, 1, "a")]))
        total = rules.count("a")
        return np.array([self.random_index(total) for _ in range(n)], np.int64)

    def random_index(self, total: int) -> int:
        """A uniform index below ``total`` from the learner's own generator."""
        return K.splitmix_below(self._rng_state, total)

    @property
    def rng_state(self) -> np.ndarray:
        """The learner's generator: a (1,) uint64 array (splitmix64's counter), changed in
        place by every draw. A piece keeps it with what is learned (copy it out, write it back
        with ``rng_state[:] = ...``) and draws from it (``RuleSet.random_preset``)."""
        return self._rng_state

    @rng_state.setter
    def rng_state(self, state: np.ndarray) -> None:
        """Draw from ``state`` from now on, the array itself (not a copy): learners given one
        generator share one stream (a piece's every fit draws from the piece's)."""
        if not isinstance(state, np.ndarray) or state.shape != (1,) or \
                state.dtype != np.uint64:
            raise ValueError("a RuLer generator is a (1,) uint64 array")
        self._rng_state = state


def _side_by_side(learn, order: list[int], threads: int, budget: Budget) -> list:
    """``learn(k)`` of every label k (in ``order``), ``threads`` at once, the results in the
    labels' own order. The first label to stop stops the others (``budget.halt``); its reason
    is raised."""
    if threads <= 1:
        results = {k: learn(k) for k in order}
        return [results[k] for k in sorted(results)]

    def one(k: int):
        # What a label raises is kept without its traceback: its frames hold the label's
        # arrays (a retry needs the memory back); one stopped for another's reason is None.
        try:
            return learn(k)
        except Halted:
            return None
        except BaseException as exc:
            raise exc.with_traceback(None) from None

    with ThreadPoolExecutor(threads, thread_name_prefix="synthlearn-ruler") as pool:
        futures = {pool.submit(one, k): k for k in order}
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f.exception() for f in done if f.exception() is not None]
        if failed:
            budget.halt.set()  # the others stop at their next chunk
    if failed:
        raise failed[0]
    return [f.result() for f in sorted(futures, key=futures.get)]


def _induce(codes: np.ndarray, Wv: int, pmask: np.ndarray, label_mask: np.ndarray,
            other_mask: np.ndarray, distance: int, consistency: float,
            budget: Share) -> tuple[np.ndarray, int]:
    """The rules (k, P, Wv) of one label whose presets have value indices ``codes`` (k, P),
    and the passes it took: :func:`_ruler_kernels.induce_step` in chunks of ``CHUNK_WORK``,
    its arrays grown here once ``budget`` (this label's share) says they fit (doubled, or as
    far as they fit)."""
    k0, P = codes.shape
    V, Wp = pmask.shape[1], pmask.shape[2]
    # Covers (see _ruler_kernels._holder): the rules and the candidates under each value.
    covering = P * V <= COVER_KEYS_MAX
    keys = P * V if covering else 0
    # rules, masks, sizes, ages, keep, the rules laid across them (screening), their postings
    # and the row's rules to screen (covering: a bit each)
    rule_row = P * (2 * Wv + Wp) * 8 + 8 + 8 + 1 + -(-(keys + 1) // 8)
    cand_row = P * (Wv + Wp) * 8 + 8 + 8 + -(-keys // 8)  # cand, cmask, csize, chash, postings
    cap, ccap, tsize, pcap = max(2 * k0, 16), 16, 64, 64
    # union, umask, the postings' starts, a block of pairs' scratch
    fixed = (P * (Wv + Wp) * 8 + (P * V + 1) * 8 + SCREEN_BLOCK * (5 * 8 + 8 + 8 + 8)
             + NEAR_SLOTS * 16)
    first = cap * rule_row + ccap * cand_row + tsize * 8 + pcap * 8 + fixed
    if not budget.take(first, first, k0):
        raise budget.over(k0)
    rules = np.zeros((cap, P, Wv), np.uint64)
    masks = np.zeros((cap, P, Wp), np.uint64)
    sizes, ages, keep = np.ones(cap, np.float64), np.zeros(cap, np.int64), np.ones(cap, np.bool_)
    R.seed_rules(codes, pmask, rules, masks)
    cand, cmask = np.zeros((ccap, P, Wv), np.uint64), np.zeros((ccap, P, Wp), np.uint64)
    csize, chash = np.zeros(ccap, np.float64), np.zeros(ccap, np.int64)
    table = np.full(tsize, -1, np.int64)
    union, umask = np.zeros((P, Wv), np.uint64), np.zeros((P, Wp), np.uint64)
    post_start, post_items = np.zeros(P * V + 1, np.int64), np.zeros(pcap, np.uint64)
    across = np.zeros((P * Wv, cap), np.uint64)
    ok, scratch = np.zeros(SCREEN_BLOCK, np.int64), np.zeros((5, SCREEN_BLOCK), np.uint64)
    sizes_f = np.zeros(SCREEN_BLOCK, np.float64)
    near_stamp, near_cand = np.full(NEAR_SLOTS, -1, np.int64), np.zeros(NEAR_SLOTS, np.int64)
    rpost, todo = np.zeros((keys, _words(cap)), np.uint64), np.zeros(_words(cap), np.uint64)
    cpost, js = np.zeros((keys, _words(ccap)), np.uint64), np.zeros(SCREEN_BLOCK, np.int64)
    st = np.zeros(R.STATE_SIZE, np.int64)
    st[R.N_RULES], st[R.COVERING] = k0, covering

    def grown(a: np.ndarray, n: int, room: int, made: int) -> np.ndarray:
        """``a`` with room for ``room`` rows, its first ``n`` kept; copied a slice at a time,
        the clock and cancel flag read between (numpy copies without the GIL)."""
        out = np.zeros((room,) + a.shape[1:], a.dtype)  # calloc: pages are made as written
        step = max(1, GROW_SLICE_BYTES // max(1, a[:1].nbytes))
        for lo in range(0, n, step):
            out[lo:min(n, lo + step)] = a[lo:min(n, lo + step)]
            budget.check(made)
        return out

    def bigger(now: int, least: int, row: int, made: int) -> int:
        """Room for ``least`` rows (``now`` held): doubled, else as many as fit, else stop;
        the rows added held (the whole new array must fit beside the old while it is copied)."""
        for want in (max(2 * now, least), least):
            if budget.take(want * row, (want - now) * row, made):
                return want
        raise budget.over(made)

    try:
        while True:
            status = R.induce_step(st, rules, masks, sizes, ages, keep, cand, cmask, csize,
                                   chash, table, union, umask, post_start, post_items, across,
                                   ok, scratch, sizes_f, near_stamp, near_cand, rpost,
                                   cpost, todo, js, pmask, label_mask, other_mask, distance,
                                   consistency, CHUNK_WORK)
            made = int(st[R.N_RULES] + st[R.N_CANDIDATES])
            budget.passes, budget.step = int(st[R.PASSES]), _step(st)
            if status == R.FINISHED:
                return rules[:st[R.N_RULES]].copy(), int(st[R.PASSES])
            budget.check(made)  # after a chunk, or before an array grows
            if status == R.GROW_CANDIDATES:
                m = int(st[R.N_CANDIDATES])
                new = bigger(ccap, m + 1, cand_row, made + 1)
                cand, cmask = grown(cand, m, new, made), grown(cmask, m, new, made)
                csize, chash = grown(csize, m, new, made), grown(chash, m, new, made)
                if covering:  # its candidates' bits kept
                    more = np.zeros((keys, _words(new)), np.uint64)
                    more[:, :cpost.shape[1]] = cpost
                    cpost = more
                ccap = new
            elif status == R.GROW_TABLE:
                if not budget.take(2 * tsize * 8, tsize * 8, made):
                    raise budget.over(made)
                table = R.hash_table(chash, int(st[R.N_CANDIDATES]), 2 * tsize)
                tsize *= 2
            elif status == R.GROW_POSTINGS:
                # Bitsets over the new rules when they are small enough (a few word ANDs find
                # the rules holding another), else lists (memory as the values held).
                need_bits, need_list = int(st[R.NEED]), int(st[R.NEED_LIST])
                if need_bits * 8 <= POSTINGS_BITS_MAX_BYTES and \
                        budget.take((need_bits - pcap) * 8, max(0, need_bits - pcap) * 8, made):
                    st[R.MODE], new = R.POST_BITS, max(need_bits, pcap)
                else:
                    st[R.MODE] = R.POST_LIST
                    new = bigger(pcap, need_list, 8, made) if need_list > pcap else pcap
                if new != pcap:
                    post_items = np.zeros(new, np.uint64)  # refilled whole: nothing to keep
                    pcap = new
            elif status == R.GROW_RULES:
                n = int(st[R.N_RULES])
                new = bigger(cap, made, rule_row, made)
                rules, masks = grown(rules, n, new, made), grown(masks, n, new, made)
                sizes, ages = grown(sizes, n, new, made), grown(ages, n, new, made)
                keep = grown(keep, n, new, made)
                # made again at the next pass's start: nothing to keep
                across = np.zeros((P * Wv, new), np.uint64)
                rpost = np.zeros((keys, _words(new)), np.uint64)  # made again, as across
                todo = np.zeros(_words(new), np.uint64)
                cap = new
    finally:
        budget.hold(-(cap * rule_row + ccap * cand_row + tsize * 8 + pcap * 8 + fixed))


def _step(st: np.ndarray) -> tuple[str, float]:
    """Where ``induce_step`` is in its pass (its state ``st``), and the share of that step
    done: pairs of rules compared ((i, j) for j < i, in order), or rules looked at for being
    inside a new one (pruning)."""
    if st[R.PHASE] in (R.MERGE, R.POSTINGS, R.SUBSETS):
        total = int(st[R.TOTAL])
        done = int(st[R.SUBSET_R]) if st[R.PHASE] == R.SUBSETS else 0
        return "pruning", min(1.0, done / max(1, total))
    if st[R.PHASE] == R.START:
        return "pairs", 0.0
    n, i, j = int(st[R.N_RULES]), int(st[R.PAIR_I]), int(st[R.PAIR_J])
    return "pairs", min(1.0, (i * (i - 1) // 2 + j) / max(1, n * (n - 1) // 2))


@dataclass
class Rule:
    label: str
    sets: tuple[tuple, ...]  # each parameter's values, sorted
    size: int  # how many presets the rule stands for
    new: int  # how many of those are not training presets


class RuleSet:
    """The rules RuLer found, with the presets they stand for counted, numbered and drawn."""

    def __init__(self, presets: Presets, bits: np.ndarray, label_of: np.ndarray,
                 distance: int, consistency: float, *, seconds: float = 0.0, passes: int = 0,
                 pmask: np.ndarray | None = None, combos: np.ndarray | None = None,
                 fuzzy: bool = False):
        self.presets, self.distance, self.consistency = presets, distance, consistency
        self.seconds, self.passes = seconds, passes
        # FuzzyRuLer (Paz et al. 2020): a rule's numeric sets read as ranges when drawing
        self.fuzzy = fuzzy
        P = len(presets.names)
        trained = (R.trained_counts(bits, pmask, combos) if pmask is not None and len(bits)
                   else np.zeros(len(bits), np.int64))
        rules = []
        for r in range(bits.shape[0]):
            sets = tuple(tuple(presets.values[p][v] for v in _indices(bits[r, p]))
                         for p in range(P))
            size = math.prod(len(s) for s in sets)
            rules.append((presets.labels[label_of[r]], sets, size, size - int(trained[r]),
                          bits[r]))
        # Canonical order: label, then each parameter's sorted values. Sorted by numpy on a
        # padded matrix of value indices: list.sort on nested keys compares in C holding the
        # GIL (88 ms for 1,909 rules, late blocks while a worker retrains).
        order = _canonical_order(label_of, bits, presets) if rules else []
        rules = [rules[i] for i in order]
        self.rules = [Rule(label, sets, size, new) for label, sets, size, new, _ in rules]
        self._bits: dict[str, list[np.ndarray]] = {}
        for label, *_, b in rules:
            self._bits.setdefault(label, []).append(b)
        self._memo: dict[str, tuple] = {}

    # -- counting, numbering and drawing the presets a label's rules stand for -----------------
    @property
    def labels(self) -> tuple[str, ...]:
        return self.presets.labels

    def of(self, label: str) -> list[Rule]:
        self._check_label(label)
        return [r for r in self.rules if r.label == label]

    def _check_label(self, label: str) -> None:
        if label not in self.presets.labels:
            raise UserError(f"no label {label!r} in these rules; expected one of "
                            + ", ".join(self.presets.labels))

    def count(self, label: str) -> int:
        """Distinct presets the label's rules stand for (overlaps counted once)."""
        boxes, memo = self._boxes(label)
        return _union(tuple(range(len(boxes))), 0, boxes, memo)

    def _boxes(self, label: str):
        """The label's rules as bitsets, and the memo of its counts (kept: the next question
        about the label costs a few lookups)."""
        self._check_label(label)
        if label not in self._memo:
            self._memo[label] = (self._bits.get(label, []), {})
        return self._memo[label]

    def _values_of(self, boxes, ids, p, memo):
        """Values (indices, ascending) of parameter p in the rules ``ids``, each with the rules
        that hold it (worked out by the count, and kept there)."""
        _union(ids, p, boxes, memo)
        return memo[(ids, p, "values")]

    def preset(self, label: str, n: int) -> tuple:
        """Preset number ``n`` (from 0) of ``label``: the presets its rules stand for, each once,
        in mixed-radix order over the parameters' sorted values (the first parameter slowest)."""
        boxes, memo = self._boxes(label)
        ids = tuple(range(len(boxes)))
        total = _union(ids, 0, boxes, memo)
        if not 0 <= n < total:
            raise UserError(f"preset {n} of {label!r}: expected 0..{total - 1}")
        chosen = []
        for p in range(len(self.presets.names)):
            for v, holders in self._values_of(boxes, ids, p, memo):
                here = _union(holders, p + 1, boxes, memo)
                if n < here:
                    chosen.append(v)
                    ids = holders
                    break
                n -= here
        return tuple(self.presets.values[p][v] for p, v in enumerate(chosen))

    def index_of(self, label: str, preset: tuple) -> int:
        """The number of ``preset`` among ``label``'s presets (the inverse of :meth:`preset`)."""
        boxes, memo = self._boxes(label)
        ids = tuple(range(len(boxes)))
        n = 0
        for p, value in enumerate(preset):
            try:
                code = self.presets.values[p].index(value)
            except ValueError:
                raise UserError(f"{value!r} is no value of {self.presets.names[p]}") from None
            for v, holders in self._values_of(boxes, ids, p, memo):
                if v == code:
                    ids = holders
                    break
                n += _union(holders, p + 1, boxes, memo)
            else:
                raise UserError(f"{preset!r} is not a preset of {label!r}")
        return n

    def random_preset(self, label: str, rng_state: np.ndarray) -> tuple:
        """A preset of ``label`` drawn uniformly with a splitmix64 state."""
        return self.preset(label, K.splitmix_below(rng_state, self.count(label)))

    def fuzzy_preset(self, label: str, rng_state: np.ndarray) -> tuple:
        """The interval reading (FuzzyRuLer): one of ``label``'s rules drawn (each as likely as
        its presets are many), then each parameter drawn uniformly between the least and the
        greatest value of its set when they are numbers (so between training values, not only
        at them), else one of its values."""
        mine = self.of(label)
        if not mine:
            raise UserError(f"no rules for label {label!r}")
        pick = K.splitmix_below(rng_state, sum(r.size for r in mine))
        for rule in mine:
            if pick < rule.size:
                break
            pick -= rule.size
        out = []
        for values in rule.sets:
            if all(isinstance(v, (int, float)) for v in values):
                low, high = float(min(values)), float(max(values))
                u = K.splitmix_below(rng_state, 1 << 30) / float(1 << 30)
                out.append(low + u * (high - low))
            else:
                out.append(values[K.splitmix_below(rng_state, len(values))])
        return tuple(out)

    # -- keeping: a JSON value a performance keeps under a name, and back -------------------
    STATE_KIND = "synthlearn.rules/1"

    def to_state(self) -> dict:
        """Everything needed to use these rules again (the training presets included, for
        counting new presets), as JSON-able data."""
        names = self.presets.names
        return {"kind": self.STATE_KIND, "names": list(names),
                "training": [[*self.presets.row(i), self.presets.labels[self.presets.label_of[i]]]
                             for i in range(len(self.presets))],
                "distance": self.distance, "consistency": self.consistency,
                "passes": self.passes, "fuzzy": self.fuzzy,
                "rules": [{"label": r.label, "params": {n: list(v) for n, v in
                                                        zip(names, r.sets, strict=True)}}
                          for r in self.rules]}

    @classmethod
    def from_state(cls, state: dict) -> RuleSet:
        """The rules :meth:`to_state` kept; a damaged value is a UserError."""
        try:
            if state.get("kind") != cls.STATE_KIND:
                raise ValueError(f"kind {state.get('kind')!r}")
            names = tuple(state["names"])
            presets = Presets.from_rows(names, [tuple(r) for r in state["training"]])
            P = len(names)
            Wv = _words(max(len(v) for v in presets.values))
            bits, labels = [], []
            for rule in state["rules"]:
                b = np.zeros((P, Wv), np.uint64)
                for p, name in enumerate(names):
                    for value in rule["params"][name]:
                        c = presets.values[p].index(value)
                        b[p, c // 64] |= np.uint64(1) << np.uint64(c % 64)
                bits.append(b)
                labels.append(presets.labels.index(rule["label"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UserError(f"not a rule set kept by synthlearn ({exc})") from None
        learner = RuLer(distance=state["distance"], consistency=state["consistency"])
        pmask, combos = learner._masks(presets)
        return cls(presets, np.array(bits, np.uint64).reshape(len(bits), P, Wv),
                   np.array(labels, np.int64), state["distance"], state["consistency"],
                   seconds=state.get("seconds", 0.0), passes=state.get("passes", 0),
                   pmask=pmask, combos=combos, fuzzy=bool(state.get("fuzzy", False)))

    # -- export ----------------------------------------------------------------------------
    def to_json(self) -> dict:
        """``{"rules": [{"label", "params": {name: [values]}, "presets", "new"}], ...}``."""
        names = self.presets.names
        return {"rules": [{"label": r.label, "params": {n: list(s) for n, s in
                                                        zip(names, r.sets, strict=True)},
                           "presets": r.size, "new": r.new} for r in self.rules],
                "distance": self.distance, "consistency": self.consistency,
                "seconds": round(self.seconds, 6)}


def _canonical_order(label_of: np.ndarray, bits: np.ndarray, presets: Presets) -> np.ndarray:
    """Rule indices sorted by label, then lexicographically by each parameter's value indices
    (a shorter set first where one is a prefix of the other, as tuples compare)."""
    P = len(presets.names)
    sets = [[_indices(bits[r, p]) for p in range(P)] for r in range(bits.shape[0])]
    widths = [max(len(s[p]) for s in sets) for p in range(P)]
    table = np.full((bits.shape[0], 1 + sum(widths)), -1, np.int64)
    table[:, 0] = label_of
    for r, per_param in enumerate(sets):
        col = 1
        for p, values in enumerate(per_param):
            table[r, col:col + len(values)] = values
            col += widths[p]
    return np.lexsort(table.T[::-1])  # the last key of lexsort is the first compared


def _as_int(words: np.ndarray) -> int:
    """A bitset of uint64 words as one Python int."""
    out = 0
    for w in range(words.shape[0] - 1, -1, -1):
        out = (out << 64) | int(words[w])
    return out


def _union(ids: tuple[int, ...], p: int, boxes: list, memo: dict) -> int:
    """How many distinct presets the rules ``ids`` (bitsets ``boxes``) stand for together,
    counting parameters from ``p`` on: the values of parameter p grouped by which rules hold
    them, then the rest counted per group, memoised on (group, p). Overlapping rules are
    counted once and no product is expanded."""
    if not ids:
        return 0
    P = boxes[ids[0]].shape[0]
    if p == P:
        return 1
    hit = memo.get((ids, p))
    if hit is not None:
        return hit
    groups: dict[tuple[int, ...], int] = {}
    values = []  # (value index, the rules holding it), ascending: for numbering presets
    words = boxes[ids[0]].shape[1]
    for w in range(words):
        union_word = 0
        for i in ids:
            union_word |= int(boxes[i][p][w])
        while union_word:
            low = union_word & -union_word
            b = low.bit_length() - 1
            holders = tuple(i for i in ids if int(boxes[i][p][w]) >> b & 1)
            groups[holders] = groups.get(holders, 0) + 1
            values.append((w * 64 + b, holders))
            union_word ^= low
    total = sum(count * _union(holders, p + 1, boxes, memo)
                for holders, count in groups.items())
    memo[(ids, p)] = total
    memo[(ids, p, "values")] = values
    return total
