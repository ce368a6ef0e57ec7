"""MIDI files (through mido) to synthlearn events stamped in samples."""

from __future__ import annotations

from pathlib import Path

from synthlearn import events
from synthlearn.errors import UserError


def read_midi(path: str | Path, sr: int) -> tuple[list[events.Event], float]:
    """Events of every track (tempo changes honoured) and the file's length in seconds.

    Note-on with velocity 0 becomes note-off (mido leaves it as note-on). Channels are kept.
    """
    import mido

    path = Path(path)
    if not path.is_file():
        raise UserError("no such MIDI file", source=str(path))
    try:
        midi = mido.MidiFile(str(path))
        messages = list(midi)  # merged tracks, .time = seconds since the previous message
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise UserError(f"not a readable MIDI file ({exc})", source=str(path)) from None
    out: list[events.Event] = []
    now_s = 0.0
    for msg in messages:
        now_s += msg.time
        t = round(now_s * sr)
        if msg.type == "note_on":
            out.append(events.note_on(t, msg.note, msg.velocity, msg.channel))
        elif msg.type == "note_off":
            out.append(events.note_off(t, msg.note, msg.channel))
        elif msg.type == "control_change":
            out.append(events.control(t, msg.control, msg.value, msg.channel))
    return out, now_s
