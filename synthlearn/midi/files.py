"""MIDI files (through mido) to synthlearn events stamped in samples."""

from __future__ import annotations

from pathlib import Path

from synthlearn import events
from synthlearn.errors import UserError


def _unreadable(path: Path, exc: BaseException) -> UserError:
    if isinstance(exc, (IndexError, KeyError)):  # mido indexing a message cut short
        why = "a message is cut short or malformed"
    else:
        why = str(exc).strip() or ("it ends early" if isinstance(exc, EOFError)
                                   else type(exc).__name__)
    return UserError(f"not a readable MIDI file ({why})", source=str(path))


def open_midi(path: Path):
    """The file as a ``mido.MidiFile``, checked: one line (UserError) for a missing, empty or
    unreadable file and for a time division that has no beats in it."""
    import mido

    if not path.is_file():
        raise UserError("no such MIDI file", source=str(path))
    if path.stat().st_size == 0:
        raise UserError("an empty file, not a MIDI file", source=str(path))
    try:
        midi = mido.MidiFile(str(path))
    except Exception as exc:  # noqa: BLE001 - data, not code: whatever mido trips on is a bad file
        raise _unreadable(path, exc) from None
    division = midi.ticks_per_beat  # read as signed: SMPTE timing (top bit set) is below 0
    if division < 0 or division >= 0x8000:
        raise UserError(f"time division {division & 0xFFFF:#06x} counts SMPTE frames: expected "
                        "ticks per beat (save it with musical time)", source=str(path))
    if division == 0:
        raise UserError(f"time division {division}: expected ticks per beat above 0",
                        source=str(path))
    return midi


def read_midi(path: str | Path, sr: int) -> tuple[list[events.Event], float]:
    """Events of every track (tempo changes honoured) and the file's length in seconds.

    Note-on with velocity 0 becomes note-off (mido leaves it as note-on). Channels are kept.
    """
    path = Path(path)
    midi = open_midi(path)
    try:
        messages = list(midi)  # merged tracks, .time = seconds since the previous message
    except Exception as exc:  # noqa: BLE001 - data, not code: whatever mido trips on is a bad file
        raise _unreadable(path, exc) from None
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

    midi = open_midi(Path(path))
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
