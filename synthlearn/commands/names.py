"""What assignments keep: ``r = ruler data.csv ...`` stores the command's result as ``r`` for
later commands (``set blip r r rain``) and for the autosave, which writes them to the session
folder's ``names.json``. Values are JSON-able, so a saved session holds them as plain data."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from synthlearn.errors import UserError


@dataclass(frozen=True)
class Said:
    """A handler's result that carries its own words: ``value`` is the result (what an
    assignment keeps), ``words`` the reply (``ruler blip: 11 rules (...), learned in 0.02 s``;
    the console puts ``r = `` before it)."""

    value: object
    words: str


def unsaid(result) -> tuple[object, str | None]:
    """(the value, its words or None) of a handler's result."""
    return (result.value, result.words) if isinstance(result, Said) else (result, None)


def dumps_gently(value) -> str:
    """JSON text of ``value`` by the pure-Python encoder: slower than ``json.dumps``, but
    another thread (the audio) gets the GIL every switch interval; the C encoder holds it for
    the whole value (16 ms for 1,909 rules: late blocks)."""
    import json

    return "".join(json.JSONEncoder(sort_keys=True).iterencode(value, _one_shot=False))


class Names:
    """What assignments (``r = ruler ...``) keep: names to JSON-able values, with a version
    that changes on every assignment (the autosaver writes them when it does), and who is told
    of each one (:meth:`watch`: a piece that shows what is kept)."""

    def __init__(self, values: dict | None = None):
        self.values: dict[str, object] = dict(values or {})
        self.version = 0
        self._watchers: list[weakref.WeakMethod] = []

    def watch(self, method) -> None:
        """Call ``method()`` (a bound method, held weakly: an owner let go stops watching)
        after every assignment, in the thread that assigns."""
        self._watchers.append(weakref.WeakMethod(method))

    def unwatch(self, method) -> None:
        self._watchers = [w for w in self._watchers if w() not in (None, method)]

    def assign(self, name: str, value) -> None:
        """Keep ``value`` as ``name`` (a :class:`Said` keeps its value)."""
        value = unsaid(value)[0]
        try:
            dumps_gently(value)
        except (TypeError, ValueError):
            raise UserError(f"{name}: a {type(value).__name__} cannot be kept as a name") \
                from None
        self.values[name] = value
        self.version += 1
        for watcher in list(self._watchers):
            method = watcher()
            if method is not None:
                method()

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __getitem__(self, name: str):
        return self.values[name]

    def items(self):
        return list(self.values.items())  # a copy: another thread may assign meanwhile
