"""MIDI files as bytes, well-formed or not, for the inventory of bad input."""

import struct


def chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack(">I", len(body)) + body


def header(fmt=0, tracks=1, division=480) -> bytes:
    return chunk(b"MThd", struct.pack(">HHH", fmt, tracks, division & 0xFFFF))


def vlq(n: int) -> bytes:
    """A variable-length quantity, as delta times are written."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


END = b"\x00\xff\x2f\x00"
NOTE = b"\x00\x90\x3c\x50" + vlq(480) + b"\x80\x3c\x00"  # C4 for a beat


def midi(track: bytes = NOTE + END, **head) -> bytes:
    return header(**head) + chunk(b"MTrk", track)
