"""Compose the built-in demo's MIDI file (synthlearn/data/demo.mid): piece ldd, all four parts.

Run from the repo root. About 60 s; the soft pedal (CC 67) moves to the next part at 15, 30 and
45 s, as a performer would:

- part 1: a bass note draws a cubic, a slow right-hand line trains it (steps while held);
- parts 2 and 3: left-hand chords draw knots, held while a sparse melody sounds over them;
- part 4: part 1 again, each upper note adding a bubble to the video; a bass note clears them.
"""

import mido

TICKS = 480  # per beat
BPM = 120  # one beat = 0.5 s, so a tick is 1/960 s
TICK_S = 60.0 / BPM / TICKS
PART_S = 15.0


def ticks(seconds: float) -> int:
    return round(seconds / TICK_S)


def main(path: str = "synthlearn/data/demo.mid") -> None:
    timeline = []  # (seconds, message)

    def note(t: float, n: int, dur: float, vel: int) -> None:
        timeline.append((t, mido.Message("note_on", note=n, velocity=vel)))
        timeline.append((t + dur, mido.Message("note_on", note=n, velocity=0)))

    def cubic_part(t0: float, basses, line) -> None:
        for i, bass in enumerate(basses):
            start = t0 + i * PART_S / len(basses)
            note(start, bass, 3.0, 80)
            for j, (n, dur) in enumerate(line):
                note(start + 1.0 + j * 1.6, n, dur, 70 + 8 * (j % 3))

    def knot_part(t0: float, chords, melody) -> None:
        for i, chord in enumerate(chords):
            start = t0 + i * PART_S / len(chords)
            for k, n in enumerate(chord):  # rolled within 30 ms: one chord
                note(start + 0.01 * k, n, 3.2, 72)
            note(start + 1.0, melody[i % len(melody)], 1.5, 64)
            note(start + 2.2, melody[(i + 2) % len(melody)], 1.2, 58)

    cubic_part(0.0, (36, 41), ((64, 1.4), (67, 1.2), (72, 1.5), (71, 0.8)))
    knot_part(PART_S, ((45, 52, 57), (41, 48, 57), (43, 50, 55), (40, 47, 55)),
              (76, 74, 72, 71))
    knot_part(2 * PART_S, ((38, 45, 53), (43, 50, 59), (36, 43, 52), (41, 48, 56)),
              (79, 77, 76, 72))
    cubic_part(3 * PART_S, (33, 38, 43), ((69, 0.6), (72, 0.5), (76, 0.7), (79, 1.0),
                                          (74, 0.6)))
    for k in (1, 2, 3):  # the soft pedal: down moves on, up re-arms it
        timeline.append((k * PART_S - 0.2, mido.Message("control_change", control=67, value=127)))
        timeline.append((k * PART_S + 0.3, mido.Message("control_change", control=67, value=0)))

    mid = mido.MidiFile(ticks_per_beat=TICKS)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM), time=0))
    now = 0
    for t, msg in sorted(timeline, key=lambda x: (x[0], x[1].type != "note_on" or x[1].velocity)):
        tick = ticks(t)
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.save(path)


if __name__ == "__main__":
    main()
