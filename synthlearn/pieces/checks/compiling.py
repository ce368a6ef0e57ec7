"""Warm, then switch: once ``warm_kernels()`` and the piece's ``warm()`` have run, its blocks,
notes and example lines compile nothing (numba's compile events and new signatures)."""

from __future__ import annotations

import sys

from synthlearn.pieces.checks.playing import (
    WARM_BLOCKS,
    playing,
    run_blocks,
)


class _Compiled:
    """What numba compiles (its compile events, in any thread) or loads from its cache (new
    signatures of synthlearn's kernels and the piece module's) while entered."""

    def __init__(self, module: str):
        from numba.core import event

        self.module = module
        self.compiled: list[str] = []
        self._listener = type("Listener", (event.Listener,), {
            "on_start": lambda _, ev: self.compiled.append(_kernel_name(ev.data)),
            "on_end": lambda _, ev: None})()
        self._before: dict | None = None  # the kernels' signatures, while entered

    def _kernels(self) -> dict:
        from numba.core.dispatcher import Dispatcher

        found = {}
        for module_name, module in list(sys.modules.items()):
            if module_name.split(".")[0] == "synthlearn" or module_name == self.module:
                for value in list(vars(module).values()):
                    if isinstance(value, Dispatcher):
                        found[value] = set(value.signatures)
        return found

    def __enter__(self):
        from numba.core import event

        self._before = self._kernels()
        event.register("numba:compile", self._listener)
        return self

    def __exit__(self, *exc) -> None:
        from numba.core import event

        if self._before is None:
            return
        event.unregister("numba:compile", self._listener)
        for kernel, signatures in self._kernels().items():
            for sig in signatures - self._before.get(kernel, set()):
                line = f"{kernel.py_func.__qualname__}({', '.join(map(str, sig))})"
                if line not in self.compiled:
                    self.compiled.append(line)
        self._before = None


def _kernel_name(data) -> str:
    dispatcher = data.get("dispatcher") if isinstance(data, dict) else None
    func = getattr(dispatcher, "py_func", None)
    args = ", ".join(map(str, data.get("args", ()))) if isinstance(data, dict) else ""
    return f"{getattr(func, '__qualname__', dispatcher)}({args})" if dispatcher is not None \
        else repr(data)


def check_warm_then_switch(cls) -> None:
    """The first of :func:`check_piece`'s checks alone, both variants: run first in a fresh
    process, it sees every kernel the warm leaves out (one loaded from numba's cache too)."""
    for faithful in (False, True):
        warm_then_switch(cls, f"{cls.name} (faithful)" if faithful else cls.name,
                                faithful)


def warm_then_switch(cls, name: str, faithful: bool) -> None:
    """As a performance switches to the piece: ``warm_kernels()``, then made, built and warmed
    (``warm()``, its pools) while another piece plays; from then on, its blocks with notes and
    its example lines compile nothing and load nothing from numba's cache (the hook would
    stall). The check is as sharp as the process is fresh: a kernel already compiled here by
    something else is not seen missing from the warm."""
    cls.warm_kernels()
    watch = _Compiled(cls.__module__)
    try:
        engine, piece = playing(cls, faithful, switched=True, watch=watch)
        try:
            run_blocks(engine, WARM_BLOCKS)
        finally:
            watch.__exit__(None, None, None)
            engine.close()
    finally:
        watch.__exit__(None, None, None)  # playing failed while watching
    assert not watch.compiled, (
        f"{name}: after warm_kernels() and warm(), playing compiled " + ", ".join(
            watch.compiled[:6]) + (" ..." if len(watch.compiled) > 6 else "")
        + " (the hook would stall: warm them)")
