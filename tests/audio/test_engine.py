import subprocess
import sys

import numpy as np
import pytest
from helpers import SR, peak_hz, run_engine

from synthlearn import events
from synthlearn.audio import backends
from synthlearn.audio.engine import CEILING, Engine
from synthlearn.audio.voices import partial_pans
from synthlearn.errors import AudioUnavailable, UserError
from synthlearn.pieces.additive import Additive

VOICE_PATHS = ("numba", "pyo")


def cmd(time_smp, line):
    """A command event as a score would make it: parsed against the additive piece."""
    return events.command(time_smp, Additive.language().parse(line))


def held_note(note=69, partials=6, seconds=2.0, block=64, brightness=0.0, voices="numba"):
    piece = Additive(voices=4, partials=partials, brightness=brightness)
    evs = [cmd(0, "sustain 1"), events.note_on(0, note, 127)]
    return run_engine(piece, evs, seconds, block=block, voices=voices)


@pytest.mark.parametrize("voices", VOICE_PATHS)
@pytest.mark.parametrize("block", [64, 256])
def test_spectral_peaks_and_levels_of_a_held_note(block, voices):
    out, facts = held_note(block=block, voices=voices)
    x = out[SR // 2:, :].astype(np.float64)  # after the attack
    pans = partial_pans(4, 6, 0.6)[:6]  # voice 0
    for k in range(1, 7):
        angle = pans[k - 1] * np.pi / 2
        for ch, gain in ((0, np.cos(angle)), (1, np.sin(angle))):
            hz, amp = peak_hz(x[:, ch], SR, 440.0 * k)
            assert abs(hz - 440.0 * k) < 1.0
            # velocity 127, sustain 1, six equal partials: 1/6 each, times the pan gain
            assert 20 * np.log10(amp / (gain / 6)) == pytest.approx(0.0, abs=0.2)
    assert facts["leaked"] == []


def test_nothing_between_the_partials():
    out, _ = held_note(partials=4)
    x = out[SR // 2:, 0].astype(np.float64)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    near = np.zeros_like(freqs, bool)
    for k in range(1, 5):
        near |= np.abs(freqs - 440 * k) < 15
    floor_db = 20 * np.log10(spec[~near & (freqs > 20)].max() / spec.max())
    assert floor_db < -80


def test_note_is_heard_from_the_block_its_stamp_falls_in():
    t_smp = 12000  # in block 187 (11968..12031)
    piece = Additive(voices=2, partials=2)
    out, facts = run_engine(piece, [events.note_on(t_smp, 60, 100)], 0.4)
    start = (t_smp // 64) * 64 + facts["latency"]  # block start + engine latency
    assert np.all(out[:start] == 0.0)
    assert np.abs(out[start:start + 64]).max() > 0
    assert facts["latency"] == 64 + 74  # the block, the limiter's look-ahead and interpolator


def test_live_push_taken_before_play_still_reaches_the_hook():
    engine = Engine("manual", sr=SR, block=64)
    push = engine.push  # as perform binds it for ports, console and OSC before play()
    piece = Additive(voices=2, partials=2)
    out = np.zeros((64, 2), np.float32)
    try:
        engine.play(piece)
        push(events.note_on(engine.now_smp(), 60, 100))
        engine.process(out)
        active = piece.pool.bank.active
    finally:
        engine.close()
    assert active == 1


def test_note_off_releases_and_sound_ends():
    piece = Additive(voices=2, partials=3)
    out, _ = run_engine(piece, [events.note_on(0, 60, 100), events.note_on(SR // 2, 60, 0)], 2.0)
    rms = lambda a: np.sqrt(np.mean(a.astype(np.float64) ** 2))  # noqa: E731
    assert rms(out[SR // 4:SR // 2]) > 0.01
    assert rms(out[-SR // 4:]) < 1e-4  # release 0.6 s to -60 dB, then idle


def test_limiter_holds_minus_1_dbfs_with_64_loud_voices():
    piece = Additive(voices=64, partials=8, brightness=0.0)
    evs = [events.note_on(64 * v, 24 + v, 127) for v in range(64)]
    out, _ = run_engine(piece, evs, 1.5)
    peak = np.abs(out).max()
    assert peak <= CEILING  # -1 dBFS
    assert 20 * np.log10(peak) > -1.5  # and it is really that loud: the limiter is working
    # the last-guard clip never had to act: no run of samples sits flat at the ceiling
    assert np.mean(np.abs(out) >= CEILING * 0.99999) < 1e-4


def test_volume_command_scales_output():
    def level(db):
        piece = Additive(voices=2, partials=2)
        evs = [cmd(0, f"volume {db}"), events.note_on(0, 60, 100)]
        out, _ = run_engine(piece, evs, 0.6)
        return np.sqrt(np.mean(out[SR // 3:].astype(np.float64) ** 2))
    assert 20 * np.log10(level(-12.0) / level(0.0)) == pytest.approx(-12.0, abs=0.1)


def test_engine_refuses_bad_formats_and_backends():
    with pytest.raises(UserError, match="sample rate 12345"):
        Engine("manual", sr=12345)
    with pytest.raises(UserError, match="block size 100"):
        Engine("manual", block=100)
    with pytest.raises(UserError, match="unknown audio backend 'alsa'"):
        Engine("alsa")


def test_portaudio_refused_cleanly_without_output_device():
    if backends.portaudio_info().default_output >= 0:
        pytest.skip("this machine has an audio output device")
    # In a child process: if the refusal failed, pyo would segfault booting portaudio.
    code = ("from synthlearn.audio.engine import Engine\n"
            "from synthlearn.errors import AudioUnavailable\n"
            "try:\n    Engine('portaudio').boot()\nexcept AudioUnavailable as e:\n"
            "    print('refused:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "refused: portaudio finds no audio output device" in out.stdout
    assert "synthlearn render" in out.stdout  # says how to render instead


def test_auto_without_any_device_says_how_to_render():
    if backends.jack_running() or backends.portaudio_info().default_output >= 0:
        pytest.skip("this machine has live audio")
    with pytest.raises(AudioUnavailable, match="render instead"):
        Engine("auto")


def test_tables_kept_alive_when_a_view_escapes():
    engine = Engine("manual")
    engine.play(Additive(voices=1, partials=1))
    view = engine.tables.view("master.tap0")  # someone holds a view past close
    leaked = engine.close()
    assert leaked == ["master.tap0"]
    view[:] = 0.5  # still valid memory: the table was kept alive, not freed under the view
    assert float(view[0]) == 0.5


def _moving_detune_images_db(block=64, voices="numba", sr=SR):
    """Energy at block-rate images around a partial whose detune a learner moves every block."""
    piece = Additive(voices=1, partials=1, brightness=0.0)
    block_s = block / sr

    def move(engine, b):  # a learner moving the detune every block, from 0.4 s
        if b * block_s > 0.4:
            piece.pool.bank.detune[0, 0] = 1 + 0.05 * np.sin(b * block_s / 0.08)

    out, _ = run_engine(piece, [cmd(0, "sustain 1"), events.note_on(0, 93, 127)],  # 1760 Hz
                        1.5, block=block, voices=voices, each_block=move, sr=sr)
    x = out[sr // 2:, 0].astype(np.float64)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    f = np.fft.rfftfreq(len(x), 1 / sr)
    rate = sr / block
    main = spec[np.abs(f - 1760) < 200].sum()
    images = sum(spec[np.abs(f - (1760 + k * rate)) < 200].sum() for k in (-2, -1, 1, 2))
    return 10 * np.log10(images / main)


@pytest.mark.parametrize("voices, sr", [*((v, SR) for v in VOICE_PATHS),
                                        ("numba", 44100), ("numba", 96000)])
def test_detune_moving_every_block_makes_no_zipper(voices, sr):
    # -70 dB without per-sample frequency smoothing; measured -88.4 at 44.1 kHz, -90.6 at 48
    # and -108.7 at 96 (images fall with the block rate's distance from the partial)
    assert _moving_detune_images_db(voices=voices, sr=sr) < -87


@pytest.mark.parametrize("voices", VOICE_PATHS)
def test_attack_release_and_steal_do_not_click(voices):
    # The largest sample-to-sample step anywhere is no larger than in the steady tone.
    piece = Additive(voices=2, partials=4, brightness=0.0)
    evs = [cmd(0, "sustain 1"), cmd(0, "attack 0.001"), events.note_on(0, 69, 127),
           events.note_on(SR // 2, 69, 0), events.note_on(SR, 57, 127),
           events.note_on(SR + 100, 64, 127),
           events.note_on(SR + 4000, 76, 127)]  # a third note steals a sounding voice
    out, _ = run_engine(piece, evs, 1.6, voices=voices)
    x = out[:, 0].astype(np.float64)
    steps = np.abs(np.diff(x))
    steady = steps[SR // 4: SR // 2 - 1000].max()
    assert steps[: SR // 4].max() <= 1.05 * steady  # the 1 ms attack
    assert steps[SR // 2 - 1000: SR].max() <= 1.05 * steady  # the release
    # while notes are stolen and started, nothing jumps beyond three voices' steady slope
    assert steps[SR:].max() <= 3 * steady


def test_switching_pieces_crossfades_and_frees_the_old_graph():
    from synthlearn.pieces.ldd import Ldd

    engine = Engine("manual", sr=SR, block=64)
    out = np.zeros((64, 2), np.float32)

    def run(seconds):
        n = round(seconds * SR / 64)
        buf = np.zeros((n * 64, 2), np.float32)
        for b in range(n):
            engine.process(out)
            buf[b * 64:(b + 1) * 64] = out
        return buf[:, 0]

    try:
        engine.play(Additive(voices=4, partials=4), [events.control(0, 64, 127)])
        engine.push(events.note_on(0, 69, 100))  # held by the pedal
        before = run(0.5)
        streams, tables = engine._server.getNumberOfStreams(), len(engine.tables)
        ldd = Ldd(seed=1)
        engine.switch(ldd)
        engine.push(events.note_on(engine.now_smp(), 76, 100))  # the new piece gets events
        after = run(1.0)[SR // 4:]  # past the 50 ms crossfade
        assert not engine._retiring  # freed once the fade was over
        ldd_streams = engine._server.getNumberOfStreams()
        engine.switch(Additive(voices=4, partials=4))
        run(0.2)
        back_streams, back_tables = engine._server.getNumberOfStreams(), len(engine.tables)
        leaked = engine.close()
    finally:
        engine.close()
    assert peak_hz(before, SR, 440.0)[1] > 0.05
    assert peak_hz(after, SR, 440.0)[1] < 1e-4  # the old piece's note is gone with its graph
    assert peak_hz(after, SR, 659.26, 5.0)[0] == pytest.approx(659.26, abs=0.5)
    assert ldd.cubic.steps_ >= 1 and ldd_streams > streams  # ldd is the bigger graph
    # Back where it began: the same streams and tables, nothing kept alive by a stray view.
    assert (back_streams, back_tables) == (streams, tables) and leaked == []
