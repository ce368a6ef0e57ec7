"""Text for a terminal: labels, names, paths and values from files or the network, with every
control character shown as an escape (``\\x1b``) instead of acting on the terminal (a CSV
label carrying ``ESC]0;...BEL`` would set the window title; ``ESC[2J`` would clear the screen).
Pure: the stdlib only."""

from __future__ import annotations

# Bidirectional overrides and isolates reorder what follows them on screen: shown too.
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
KEPT = frozenset("\n\t")  # the line breaks and tabs of synthlearn's own multi-line output


def _shown(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with C0/C1 controls, DEL and bidi overrides escaped; newlines and tabs kept."""
    if text.isprintable():  # the common case, fast
        return text
    return "".join(
        _shown(ch) if (ch not in KEPT and (ord(ch) < 0x20 or 0x7f <= ord(ch) < 0xa0))
        or ch in BIDI else ch
        for ch in text)
