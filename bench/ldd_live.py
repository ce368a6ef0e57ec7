"""Audio on a real-time clock with and without the ldd window: late blocks and callback p99.

Starts jackd on its dummy driver (no sound card) and plays a busy ldd score live for
``--seconds``: part 3 (knots over video with the RGB split) or part 4 (the cubic over video with
bubbles: an upper note every 0.4 s, each held 1.2 s, so about three bubbles live and the learner
steps all the time). Each case runs without a window, then with a 1280x720 window at 60 fps
(SDL's dummy driver when there is no display); ``--rounds`` alternations so both see the same
machine.
Writes bench/results/ldd_live.json. "late" = a callback interval over two blocks.

Run: python bench/ldd_live.py [--seconds 10] [--rounds 2] [--block 256]
"""

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

import mido

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from synthlearn.audio import backends  # noqa: E402
from synthlearn.audio.jackd import start_jackd  # noqa: E402
from synthlearn.live import play  # noqa: E402


def busy_score(folder: Path, part: int, seconds: float) -> Path:
    """A score that stays in ``part`` with the learner busy the whole time."""
    mid = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks a second
    track = mido.MidiTrack()
    mid.tracks.append(track)
    timeline = []
    t = 0.1
    while t < seconds:
        if part == 4:
            notes, dur, gap = [(60 + round(17 * ((t * 7.3) % 1)), 0.0)], 1.2, 0.4
            if int(t / 4) != int((t - gap) / 4):
                notes.append((36 + int(t) % 8, 0.0))  # a bass note: new target, bubbles cleared
        else:
            notes = [(40 + int(t) % 5, 0.0), (47 + int(t) % 5, 0.01), (64 + int(t) % 7, 0.3)]
            dur, gap = 2.2, 2.5
        for n, dt in notes:
            timeline += [(t + dt, mido.Message("note_on", note=n, velocity=80)),
                         (t + dt + dur, mido.Message("note_on", note=n, velocity=0))]
        t += gap
    now = 0
    for when, msg in sorted(timeline, key=lambda x: x[0]):
        tick = round(when * 960)
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.save(folder / f"part{part}.mid")
    score = folder / f"part{part}.toml"
    score.write_text(f'piece = "ldd"\nseed = 3\nmidi = "part{part}.mid"\n'
                     f'[[at]]\ntime = 0.0\ndo = "part {part}"\n')
    return score


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--block", type=int, default=256)
    args = p.parse_args()
    server = None if backends.jack_running() else start_jackd("dummy", period=args.block)
    rows = []
    folder = Path(tempfile.mkdtemp(prefix="ldd_live_"))
    try:
        for r in range(args.rounds):
            for part in (3, 4):
                score = busy_score(folder, part, args.seconds)
                for window in (False, True):
                    result = play(score, "jack", block=args.block, window=window,
                                  duration_s=args.seconds, video_source="test")
                    result.update(part=part, window=window, round=r)
                    rows.append(result)
                    print(json.dumps(result), flush=True)
    finally:
        if server is not None:
            server.stop()
    realtime = None if server is None else server.realtime
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "ldd_live.json").write_text(json.dumps(
        {"rows": rows, "jack_realtime": realtime, "block": args.block,
         "machine": {"python": platform.python_version(), "cores": os.cpu_count()}},
        indent=1) + "\n")


if __name__ == "__main__":
    main()
