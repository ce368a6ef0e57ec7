"""Where a performance's MIDI comes from (``perform --midi``), decided once from its text.

- ``all``: every input port, watched for devices that come and go, plus a virtual port;
- ``NAME``: the ports whose name contains NAME (plus the virtual port);
- ``FILE.mid``/``FILE.midi``: a file played as if performed (rehearsals, tests); it must exist;
- ``keyboard``: the computer keyboard in the window only; ``none``: no MIDI at all.
Pure: nothing is opened here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synthlearn.errors import UserError

KINDS = ("ports", "file", "keyboard", "none")


@dataclass(frozen=True)
class MidiSource:
    kind: str
    value: str = ""  # the port name fragment ("all" for every port) or the file's path

    @property
    def opens_ports(self) -> bool:
        return self.kind == "ports"


def midi_source(text: str) -> MidiSource:
    """``text`` as a MidiSource; a missing file or an empty name is a UserError."""
    text = text.strip()
    if not text:
        raise UserError("--midi '': expected all, a port name, FILE.mid, keyboard or none")
    if text in ("keyboard", "none"):
        return MidiSource(text)
    if text.lower().endswith((".mid", ".midi")):
        if not Path(text).is_file():
            raise UserError("no such MIDI file", source=text)
        return MidiSource("file", text)
    return MidiSource("ports", text)
