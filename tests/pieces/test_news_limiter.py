"""A piece's news goes through one limiter (issue 19, item 3): each kind of line at most once a
second of the audio clock, the first at once, the rest counted and said with their true count."""

import re

from helpers import run_engine

from synthlearn import events
from synthlearn.faults import Repeats
from synthlearn.pieces.ldd import Ldd
from synthlearn.pieces.qmelody import Qmelody

COUNTED = re.compile(r" \((\d+) times in the last (\d+\.\d) s\)$")


def times_said(line: str) -> int:
    found = COUNTED.search(line)
    return int(found.group(1)) if found else 1


def test_repeats_says_the_first_at_once_then_one_counted_line_a_second():
    clock = [0.0]
    repeats = Repeats(lambda: clock[0])
    said = []

    def at(t_s, *adds):
        clock[0] = t_s
        for kind, line in adds:
            repeats.add(kind, line)
        said.extend((t_s, line) for line in repeats.due())

    at(0.0)
    at(0.1, ("x", "x went wrong"))
    at(0.2, ("x", "x went wrong"), ("y", "y happened"))
    at(0.5, ("x", "x went wrong again"))
    at(0.9)
    at(1.05)  # not yet a second since x's first line
    at(1.1)  # a second after it: its two more, counted, with the newest wording
    at(1.6, ("x", "x went wrong"))
    at(2.2)
    at(30.0, ("x", "x is back"))  # long quiet: said at once, as a first
    assert said == [(0.1, "x went wrong"), (0.2, "y happened"),
                    (1.1, "x went wrong again (2 times in the last 1.0 s)"),
                    (2.2, "x went wrong"), (30.0, "x is back")]
    assert repeats.pending() == 0


def held_note_at_lr_10(seconds_held: float, tail_s: float, block: int = 64):
    """ldd, part 1, lr 10, one upper note held: the cubic diverges again and again. The news
    is read after every block (as often as the live main thread could), stamped with the
    engine's own clock."""
    piece = Ldd(seed=4)
    lang = Ldd.language()
    sr = 48000
    evs = [events.command(0, lang.parse("part 1")), events.command(0, lang.parse("lr 10")),
           events.note_on(block, 64, 100), events.note_off(round(seconds_held * sr), 64)]
    seen = []

    def watch(p):
        seen.append((p.audio_s, p.cubic.diverged, p.news()))

    _, facts = run_engine(piece, evs, seconds_held + tail_s, block=block, watch=watch)
    return piece, seen


def test_the_divergence_line_is_said_at_most_once_a_second_with_its_true_count():
    piece, seen = held_note_at_lr_10(5.0, 1.5)
    lines = [(t, line) for t, _, news in seen for line in news]
    total = piece.cubic.diverged
    assert total > 20  # the case of the issue: it diverges many times a second
    assert all(line.startswith("the cubic diverged at lr 10: it starts again") for _, line in
               lines)
    times = [t for t, _ in lines]
    assert all(b - a >= 1.0 for a, b in zip(times, times[1:], strict=False))
    assert len(lines) <= 7  # 5 s of floods and the tail: never 59 lines
    first_diverged = next(t for t, n, _ in seen if n > 0)
    assert times[0] == first_diverged  # the first is said at once (the poll that saw it)
    assert sum(times_said(line) for _, line in lines) == total  # every one counted, once
    assert max(times_said(line) for _, line in lines) > 1
    for t_prev, (t, line) in zip(times, lines[1:], strict=False):
        found = COUNTED.search(line)
        if found:  # the window it names is the audio time since the line before
            assert float(found.group(2)) == round(t - t_prev, 1)


def test_news_of_a_render_pass_through_the_same_limiter_and_distinct_lines_pass():
    piece = Qmelody(seed=1)
    piece.audio_s = 3.0
    piece.chronicle.news.extend(["a0 learns c4", "a1 learns d4"])
    assert piece.news() == ["a0 learns c4", "a1 learns d4"]  # distinct lines: all said
    piece.audio_s = 3.5
    piece.chronicle.news.extend(["a0 learns c4", "a0 learns c4"])
    assert piece.news() == []  # the same line within the second: counted
    piece.audio_s = 4.0
    assert piece.news() == ["a0 learns c4 (2 times in the last 1.0 s)"]
    assert piece.news() == []
