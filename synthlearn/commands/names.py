"""What assignments keep: ``r = ruler data.csv ...`` stores the command's result as ``r`` for
later commands (``set blip r r rain``) and for the autosave, which writes them to the session
folder's ``names.json``. Values are JSON-able, so a saved session holds them as plain data."""

from __future__ import annotations

from synthlearn.errors import UserError


class Names:
    """What assignments (``r = ruler ...``) keep: names to JSON-able values, with a version
    that changes on every assignment (the autosaver writes them when it does)."""

    def __init__(self, values: dict | None = None):
        self.values: dict[str, object] = dict(values or {})
        self.version = 0

    def assign(self, name: str, value) -> None:
        import json

        try:
            json.dumps(value)
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
