"""Compose the additive example score's MIDI file (synthlearn/data/additive.mid).

Run from the repo root. A slow progression with a melody over it, the sustain pedal held
across each chord.
"""

import mido

TICKS = 480  # per beat
BPM = 84


def main(path: str = "synthlearn/data/additive.mid") -> None:
    mid = mido.MidiFile(ticks_per_beat=TICKS)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM), time=0))
    chords = [(45, 52, 60, 64), (41, 53, 57, 60), (43, 55, 59, 62), (40, 52, 55, 59)] * 2
    melody = [76, 74, 72, 71, 72, 74, 76, 79, 77, 76, 74, 72, 71, 72, 74, 71]
    timeline = []  # (tick, message)
    bar = 4 * TICKS
    for i, chord in enumerate(chords):
        start = i * bar
        timeline.append((start, mido.Message("control_change", control=64, value=127)))
        for n, note in enumerate(chord):
            timeline.append((start + n * 40, mido.Message("note_on", note=note, velocity=70)))
            # velocity 0 = note off, as many keyboards send it
            timeline.append((start + TICKS, mido.Message("note_on", note=note, velocity=0)))
        timeline.append((start + bar - 30, mido.Message("control_change", control=64, value=0)))
        for half in range(2):
            note = melody[(2 * i + half) % len(melody)]
            t = start + half * 2 * TICKS
            timeline.append((t, mido.Message("note_on", note=note, velocity=96 - 10 * half)))
            timeline.append((t + 2 * TICKS - 60, mido.Message("note_off", note=note)))
    timeline.sort(key=lambda x: x[0])
    now = 0
    for tick, msg in timeline:
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.save(path)


if __name__ == "__main__":
    main()
