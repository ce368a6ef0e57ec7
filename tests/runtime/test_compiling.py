"""Compiling you can see, and only what is needed (issue 19, item 6).

A first run (numba's cache empty) says it compiles the piece's kernels, then how long that took;
a second run with the same cache says nothing. A performance compiles only the piece it starts
with; a piece first switched to is compiled then (said), in the main thread before the switch,
and nothing compiles while its blocks run. Each run here is a new process with a
``NUMBA_CACHE_DIR`` of its own: in this process the kernels are loaded already.
"""

import json
import os
import subprocess
import sys
import threading

import pytest
from numba import njit

from synthlearn.runtime.compiling import compiling

COMPILING = "compiling the {} kernels (first run only: numba caches them)…"


# -- the line, in this process: fresh (uncached) functions compile whenever they are first called

def _fresh():
    @njit
    def twice(x):
        return 2.0 * x

    @njit
    def calls(x):
        return twice(x) + 1.0

    return calls


def test_a_compile_is_said_as_it_starts_and_its_time_once_done():
    calls, lines = _fresh(), []
    with compiling("the test kernels", lines.append):
        assert calls(1.0) == 3.0
        assert lines == [COMPILING.format("test")]  # said while compiling, before it is done
        calls(2.0)
    assert len(lines) == 2
    assert lines[1].startswith("the test kernels compiled in ")
    assert lines[1].endswith(" s (2 functions)")  # the kernel and the one it calls


def test_nothing_compiled_nothing_said():
    calls, lines = _fresh(), []
    calls(1.0)
    with compiling("the test kernels", lines.append):
        calls(2.0)
    assert lines == []


def test_another_threads_compiling_is_not_this_ones():
    calls, lines = _fresh(), []
    with compiling("the test kernels", lines.append):
        other = threading.Thread(target=calls, args=(1.0,))
        other.start()
        other.join()
    assert lines == []
    with compiling("the test kernels", lines.append):
        _fresh()(1.0)
    assert lines[0] == COMPILING.format("test")


# -- whole runs, each a process of its own ----------------------------------------------------

def _run(argv, cache, cwd, timeout=300):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYO_GUI_WX="0")
    done = subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def first_render(tmp_path_factory):
    """A render of a short additive score with numba's cache empty: (cache folder, folder,
    stderr lines)."""
    folder = tmp_path_factory.mktemp("compiling")
    (folder / "short.toml").write_text('piece = "additive"\nseed = 0\nduration = 0.2\n')
    cache = folder / "numba-cache"
    done = _run(["-m", "synthlearn", "render", "short.toml", "--no-video", "--out", "first"],
                cache, folder)
    return cache, folder, done.stderr.splitlines()


def test_a_first_render_says_it_compiles_then_how_long_it_took(first_render):
    _, _, lines = first_render
    said = COMPILING.format("additive")
    assert lines.count(said) == 1
    after = lines[lines.index(said) + 1:]
    assert [line for line in after if line.startswith("the additive kernels compiled in ")]


def test_a_second_render_with_the_cache_filled_says_nothing_of_compiling(first_render):
    cache, folder, _ = first_render
    done = _run(["-m", "synthlearn", "render", "short.toml", "--no-video", "--out", "second"],
                cache, folder)
    assert "compil" not in done.stderr
    assert (folder / "second" / "audio.wav").is_file()


# A performance on a manual server, as perform runs one: it starts with additive (its kernels in
# the cache already), then switches to ldd, which compiles, then runs ldd's blocks with notes
# and its knot part while every compile and every kernel loaded is counted; then back.
SWITCH = r"""
import json, sys
from numba.core import event
from numba.core.registry import CPUDispatcher
from synthlearn import events
from synthlearn.audio.engine import Engine
from synthlearn.runtime.compiling import Compiling
from synthlearn.runtime.perform import Performance, PerformOptions, WindowOptions, open_session
from synthlearn.runtime.stage import Stage

lines = []
say = lines.append
compiles = Compiling(say)
piece, session, history = open_session("additive", seed=0, faithful=False, resume=None,
                                       session_dir=sys.argv[1], compiles=compiles)
engine = Engine("manual", sr=48000, block=256)
options = PerformOptions(piece="additive", console_in=False,
                         window=WindowOptions(show=False, size=(64, 64), fps=30.0))
show = Performance(Stage(engine, piece), session, history, options=options, say=say)
compiled = []

class Count(event.Listener):
    def on_start(self, ev):
        compiled.append(ev.data["dispatcher"].py_func.__qualname__)

    def on_end(self, ev):
        pass

def loaded():
    # every kernel in memory: compiled, or loaded from the cache, as it is first called
    return sum(len(v.overloads) for m in list(sys.modules.values())
               if getattr(m, "__name__", "").startswith("synthlearn")
               for v in vars(m).values() if isinstance(v, CPUDispatcher))

def blocks(n):
    for b in range(n):
        if b % 20 == 0:
            engine.push(events.note_on(engine.now_smp(), 60 + b % 12, 100))
        if b % 20 == 10:
            engine.push(events.note_off(engine.now_smp(), 60 + (b - 10) % 12))
        engine.process()

try:
    show.open([], compiles)
    started = list(lines)
    blocks(50)
    reply = show.switch_to("ldd")
    switched = list(lines)
    before = loaded()
    with event.install_listener("numba:compile", Count()):
        blocks(100)
        show.console.handle("part 3")  # the knot learns from here
        blocks(100)
        back = show.switch_to("additive")
    after = loaded()
finally:
    show.close()
    session.release()
print(json.dumps({"started": started, "switched": switched[len(started):], "reply": reply,
                  "back": back, "lines": lines[len(switched):], "compiled": compiled,
                  "loaded": after - before}))
"""


def test_a_piece_first_switched_to_compiles_before_it_plays_and_never_in_its_blocks(
        first_render, tmp_path):
    cache, _, _ = first_render  # additive's kernels are in it; ldd's are not
    done = _run(["-c", SWITCH, str(tmp_path / "session")], cache, tmp_path)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert not [line for line in seen["started"] if "compil" in line]  # additive: loaded
    said = COMPILING.format("ldd")
    assert seen["switched"].count(said) == 1
    assert seen["switched"].index(said) < len(seen["switched"]) - 1
    assert seen["switched"][-1].startswith("the ldd kernels compiled in ")
    assert seen["reply"].startswith("playing ldd")
    # ldd's blocks, its notes and its knot part: nothing compiled, nothing even loaded
    assert seen["compiled"] == []
    assert seen["loaded"] == 0
    # back to additive, warmed at the start: nothing said of compiling
    assert seen["back"].startswith("playing additive")
    assert not [line for line in seen["lines"] if "compil" in line]
