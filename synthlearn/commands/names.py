"""What assignments keep: ``r = ruler data.csv ...`` stores the command's result as ``r`` for
later commands (``set blip r r rain``) and for the autosave, which writes them to the session
folder's ``names.json``. Values are JSON-able, so a saved session holds them as plain data."""

from __future__ import annotations

from synthlearn.errors import UserError


def dumps_gently(value) -> str:
    """JSON text of ``value`` by the pure-Python encoder: slower than ``json.dumps``, but
    another thread (the audio) gets the GIL every switch interval; the C encoder holds it for
    the whole value (16 ms for 1,909 rules: late blocks)."""
    import json

    return "".join(json.JSONEncoder(sort_keys=True).iterencode(value, _one_shot=False))


class Names:
    """What assignments (``r = ruler ...``) keep: names to JSON-able values, with a version
    that changes on every assignment (the autosaver writes them when it does)."""

    def __init__(self, values: dict | None = None):
        self.values: dict[str, object] = dict(values or {})
        self.version = 0

    def assign(self, name: str, value) -> None:
        try:
            dumps_gently(value)
        except (TypeError, ValueError):
            raise UserError(f"{name}: a {type(value).__name__} cannot be kept as a name") \
                from None
        self.values[name] = value
        self.version += 1

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __getitem__(self, name: str):
        return self.values[name]

    def items(self):
        return list(self.values.items())  # a copy: another thread may assign meanwhile
