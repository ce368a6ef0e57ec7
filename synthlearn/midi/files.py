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


def tempo_bpm(path: str | Path) -> float | None:
    """The file's first tempo in beats per minute, or None if it sets none (then MIDI says
    120)."""
    import mido

    try:
        midi = mido.MidiFile(str(path))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise UserError(f"not a readable MIDI file ({exc})", source=str(path)) from None
    for track in midi.tracks:
        for msg in track:
            if msg.type == "set_tempo":
                return round(mido.tempo2bpm(msg.tempo), 6)
    return None


TICKS_PER_BEAT = 480  # at 120 bpm: 960 ticks a second


def write_midi(path: str | Path, notes, *, track_name: str | None = None) -> Path:
    """Write ``notes`` — (time_s, note, velocity) with velocity 0 a note-off, in any order — as
    a one-track MIDI file at 120 bpm; returns the path. For scores, benchmarks and tests."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    if track_name:
        track.append(mido.MetaMessage("track_name", name=track_name, time=0))
    now = 0
    ticks_per_s = 2 * TICKS_PER_BEAT
    for time_s, note, velocity in sorted(notes, key=lambda n: n[0]):
        tick = round(time_s * ticks_per_s)
        track.append(mido.Message("note_on", note=int(note), velocity=int(velocity),
                                  time=tick - now))
        now = tick
    mid.save(str(path))
    return Path(path)
