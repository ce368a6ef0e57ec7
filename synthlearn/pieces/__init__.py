"""The pieces, by name. Loaded lazily so ``import synthlearn.pieces`` stays cheap."""

from __future__ import annotations

import importlib

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
    for name in PIECES:
        other = piece_class(name)
        if other is cls:
            continue
        for spec in other.commands:
            if spec.name not in language.specs:
                language.elsewhere.setdefault(spec.name, name)
    return language
