"""The pieces, by name. Loaded lazily so ``import synthlearn.pieces`` stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from synthlearn.errors import UserError

# name -> "module:Class"
PIECES = {
    "additive": "synthlearn.pieces.additive:Additive",
    "ldd": "synthlearn.pieces.ldd:Ldd",
    "ruler": "synthlearn.pieces.ruler:Ruler",
    "qmelody": "synthlearn.pieces.qmelody:Qmelody",
}
# Pieces that arrive with later issues: named so the CLI can say so.
PLANNED: tuple[str, ...] = ()


def piece_class(name: str):
    """The class of piece ``name``; a :class:`UserError` for an unknown or unbuilt one."""
    target = PIECES.get(name)
    if target is None:
        if name in PLANNED:
            raise UserError(f"piece {name!r} is not built yet; available: {', '.join(PIECES)}")
        raise UserError(f"unknown piece {name!r}; expected one of {', '.join(PIECES)}")
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)


def live_language(cls):
    """The console language while ``cls`` plays: the engine's, the piece's own, the session's
    (``piece NAME`` taking the registry's names); the other pieces' commands are known by
    name, to say whose a line is."""
    from synthlearn.commands.console import session_specs
    from synthlearn.commands.language import ENGINE, Language

    language = Language.of(ENGINE, cls.commands, session_specs(tuple(PIECES), PLANNED))
    language.elsewhere = OtherPieces(cls, frozenset(language.specs))
    return language


class OtherPieces(Mapping):
    """The other pieces' command names (name -> the piece), loaded when first asked: only a
    line this piece does not know asks, and the start need not import every piece's kernels."""

    def __init__(self, playing, known: frozenset[str]) -> None:
        self._playing, self._known = playing, known
        self._owners: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._owners is None:
            owners: dict[str, str] = {}
            for name in PIECES:
                other = piece_class(name)
                if other is self._playing:
                    continue
                for spec in other.commands:
                    if spec.name not in self._known:
                        owners.setdefault(spec.name, name)
            self._owners = owners
        return self._owners

    def __getitem__(self, name: str) -> str:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())
