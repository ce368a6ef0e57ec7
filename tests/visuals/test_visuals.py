"""The ldd visuals: raster and warp kernels against numpy references, the scene's parts, trail,
bubbles and split, and the video sources. Real pygame surfaces on SDL's dummy driver."""

import math

import numpy as np
import pytest

from synthlearn.errors import UserError
from synthlearn.visuals import raster, warps
from synthlearn.visuals.canvas import Canvas
from synthlearn.visuals.records.ldd import example
from synthlearn.visuals.scenes.ldd import LddScene
from synthlearn.visuals.sources import FileSource, TestPattern, camera_names, open_source

W, H = 160, 90


def noise_frame(seed=0, h=H, w=W):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def shifted(channel, dx, dy):
    """numpy reference: ``channel`` (H, W) moved by (dx, dy) px, black where nothing lands."""
    h, w = channel.shape
    out = np.zeros_like(channel)
    ys, xs = slice(max(0, dy), min(h, h + dy)), slice(max(0, dx), min(w, w + dx))
    yd, xd = slice(max(0, -dy), min(h, h - dy)), slice(max(0, -dx), min(w, w - dx))
    out[ys, xs] = channel[yd, xd]
    return out


def snapshot(part, **kw):
    """The piece's record (visuals/records/ldd.example) with known values for what is drawn."""
    values = dict(time_s=0.5, cubic_target=np.array([1.0, -0.5, -1.0, 0.25]),
                  cubic_theta=np.zeros(4), cubic_x=np.linspace(-1.0, 1.0, 100),
                  knot_freq=np.array([3.0, 2.0, 5.0]), knot_target=np.array([0.3, 1.0, 2.0]),
                  knot_phase=np.array([0.0, 0.5, 1.0]), grad=np.zeros(4), loss=float("nan"),
                  bubbles_added=0.0, bubbles_cleared=0.0)
    values.update(kw)
    return example(part, **values)


def scene(**kw):
    kw.setdefault("label", False)
    return LddScene(W, H, kw.pop("fps", 60.0), **kw)


# ----- warps


def test_rgb_split_with_zero_shifts_is_the_source():
    src = noise_frame()
    dst = noise_frame(1)  # garbage to be overwritten
    warps.rgb_split(src, dst, np.zeros(3), np.zeros(3))
    assert np.array_equal(dst, src)


@pytest.mark.parametrize("dx,dy", [((3, 0, -2), (1, -4, 0)), ((0, 7, 2), (-1, 0, 5))])
def test_rgb_split_moves_each_channel_by_its_shift(dx, dy):
    src = noise_frame()
    dst = np.zeros_like(src)
    warps.rgb_split(src, dst, np.array(dx, float), np.array(dy, float))
    for k in range(3):
        assert np.array_equal(dst[:, :, k], shifted(src[:, :, k], dx[k], dy[k])), k


def test_rgb_split_survives_huge_and_nan_shifts():
    src = noise_frame()
    dst = noise_frame(1)
    warps.rgb_split(src, dst, np.array([1e12, np.nan, -np.inf]), np.zeros(3))
    assert not dst[:, :, 0].any() and not dst[:, :, 2].any()  # moved off the frame
    assert np.array_equal(dst[:, :, 1], src[:, :, 1])  # NaN counts as no shift


def test_rgb_split_alpha_matches_the_layer_by_layer_composite():
    src = noise_frame()
    dx, dy = np.array([3.0, 0.0, -2.0]), np.array([1.0, -4.0, 0.0])
    order = np.array([2, 0, 1])
    alpha = 100 / 255
    ref = np.zeros(src.shape)
    for k in order:  # the original: each single-channel layer laid over the result
        layer = np.zeros(src.shape)
        layer[:, :, k] = shifted(src[:, :, k], int(dx[k]), int(dy[k]))
        ref = ref * (1 - alpha) + layer * alpha
    dst = np.zeros_like(src)
    warps.rgb_split_alpha(src, dst, dx, dy, order, alpha)
    diff = np.abs(dst.astype(int) - np.floor(ref + 0.5).astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99
    # The last layer dominates: channel 1 keeps alpha, channel 2 alpha (1 - alpha)^2.
    assert dst[:, :, 1].mean() > dst[:, :, 0].mean() > dst[:, :, 2].mean()


def bubble_reference(src, dst, cx, cy, r, phx, phy, ax, ay):
    out = dst.copy()
    h, w = src.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    sx = np.clip(np.floor(xx + ax * np.cos(phx + xx / 300) + 0.5), 0, w - 1).astype(int)
    sy = np.clip(np.floor(yy + ay * np.sin(phy + xx / 300) + 0.5), 0, h - 1).astype(int)
    out[inside] = src[sy[inside], sx[inside]]
    return out, inside


def test_bubble_warp_with_zero_amplitude_leaves_the_frame_alone():
    src = noise_frame()
    dst = src.copy()
    warps.bubble_warp(src, dst, 80.0, 45.0, 30.0, 1.0, 2.0, 0.0, 0.0)
    assert np.array_equal(dst, src)
    untouched = np.zeros_like(src)
    warps.bubble_warp(src, untouched, 80.0, 45.0, 30.0, 1.0, 2.0, 0.0, 0.0)
    assert not untouched.any()  # nothing written at all


@pytest.mark.parametrize("cx,cy,r", [(80.0, 45.0, 30.0), (5.0, 87.0, 20.0), (150.5, 3.2, 11.0)])
def test_bubble_warp_changes_the_disc_and_nothing_else(cx, cy, r):
    src = noise_frame()
    dst = src.copy()
    args = (cx, cy, r, 0.3, -1.2, 40.0, 25.0)
    warps.bubble_warp(src, dst, *args)
    ref, inside = bubble_reference(src, src, *args)
    assert np.array_equal(dst, ref)
    assert np.array_equal(dst[~inside], src[~inside])
    assert (dst[inside] != src[inside]).any()


# ----- raster


def test_fade_and_add_saturate():
    f = np.array([[[0, 1, 200]]], np.uint8)
    raster.fade(f, 2)
    assert f.tolist() == [[[0, 0, 198]]]
    g = np.array([[[10, 100, 250]]], np.uint8)
    raster.add_frame(np.array([[[5, 200, 10]]], np.uint8), g)
    assert g.tolist() == [[[15, 255, 255]]]


def test_lines_are_additive_and_clipped():
    f = np.zeros((20, 30, 3), np.uint8)
    colour = np.array([100.0, 50.0, 0.0])
    x0, y0, x1, y1 = (np.array(v) for v in ([2.0, 2.0], [5.0, 5.0], [10.0, 10.0], [5.0, 5.0]))
    raster.draw_lines(f, x0, y0, x1, y1, colour, 1.0)  # the same line twice
    lit = f.any(axis=2)
    assert lit[5, 2:11].all() and lit.sum() == 9
    assert f[5, 6].tolist() == [200, 100, 0]
    raster.draw_lines(f, x0[:1], y0[:1], x1[:1], y1[:1], colour, 1.0)
    assert f[5, 6].tolist() == [255, 150, 0]
    g = np.zeros_like(f)  # NaN, inf, absurd: nothing drawn, nothing out of bounds
    bad = np.array([np.nan, np.inf, -1e30, 1e6])
    raster.draw_lines(g, bad, bad, bad[::-1].copy(), np.zeros(4), colour, 1.0)
    raster.draw_discs(g, bad, bad, 3.0, colour, 1.0)
    assert not g.any()
    far = np.array([-1e6]), np.array([7.0]), np.array([1e6]), np.array([7.0])
    raster.draw_lines(g, *far, colour, 1.0)  # clipped to the frame: row 7 exactly, once
    assert g[7, :, 0].tolist() == [100] * 30 and g.sum() == 30 * 150


def test_polyline_lights_each_joint_once():
    f = np.zeros((10, 20, 3), np.uint8)
    xs, ys = np.array([1.0, 6.0, 12.0]), np.array([4.0, 4.0, 4.0])
    raster.draw_polyline(f, xs, ys, np.ones(3), np.array([10.0, 10.0, 10.0]))
    assert set(f[4, 1:13, 0].tolist()) == {10} and f.sum() == 12 * 30


# ----- canvas


def test_canvas_text_draws_into_the_shared_array():
    c = Canvas(W, H)
    assert c.array.flags["C_CONTIGUOUS"] and c.surface.get_size() == (W, H)
    c.text("part 3 · loss 0.0123", 4, 4)
    assert c.array[:30, :120].any() and not c.array[50:].any()


# ----- the scene


@pytest.mark.parametrize("part", [1, 2, 3, 4])
@pytest.mark.parametrize("faithful", [0.0, 1.0])
def test_frames_have_the_requested_size(part, faithful):
    s = scene(label=True)
    frame = s.draw(snapshot(part, faithful=faithful, grad=np.full(4, 0.03), loss=0.1,
                            bubbles_added=2.0))
    assert frame.shape == (H, W, 3) and frame.dtype == np.uint8
    assert frame is s.canvas.array and frame.any()
    assert s.frames_drawn == 1 and s.frame_times()[0] > 0


def test_warm_leaves_the_scene_as_new():
    s = scene()
    s.warm()
    assert s.frames_drawn == 0 and s.n_bubbles == 0 and not s.trail.any()
    assert np.array_equal(s.draw(snapshot(4, bubbles_added=1.0)),
                          scene().draw(snapshot(4, bubbles_added=1.0)))


@pytest.mark.parametrize("fps,frames_to_fade", [(60.0, 255), (30.0, 128)])
def test_an_old_fit_fades_to_nothing_within_255_frames_at_60_fps(fps, frames_to_fade):
    s = scene(fps=fps)
    theta_a, theta_b = np.array([0.5, 0.0, 0.0, 0.0]), np.array([0.9, -0.3, -0.6, 0.2])
    s.draw(snapshot(1, cubic_theta=theta_a))
    assert not s.trail.any()  # nothing replaced yet
    s.draw(snapshot(1, cubic_theta=theta_b))  # fit A goes into the trail
    assert s.trail.max() == 255
    for _ in range(frames_to_fade - 1):
        frame = s.draw(snapshot(1, cubic_theta=theta_b))
    assert s.trail.any()  # not gone a frame early
    frame = s.draw(snapshot(1, cubic_theta=theta_b))
    assert not s.trail.any()
    assert np.array_equal(frame, scene(fps=fps).draw(snapshot(1, cubic_theta=theta_b)))


def test_a_new_fit_every_frame_leaves_a_trail():
    s = scene()
    for i in range(10):
        frame = s.draw(snapshot(1, cubic_theta=np.array([0.1 * i, 0.0, -0.1 * i, 0.0])))
    alone = scene().draw(snapshot(1, cubic_theta=np.array([0.9, 0.0, -0.9, 0.0])))
    assert (frame.astype(int) >= alone).all()
    assert (frame.any(axis=2) & ~alone.any(axis=2)).sum() > 100
    assert (s.trail[:, :, 0] > s.trail[:, :, 1]).any()  # red approximants in the trail


def test_part_4_draws_the_cubic_over_the_video():
    s = scene()
    video = s.source.read(0.5).copy()
    frame = s.draw(snapshot(4))
    lit = frame.astype(int) - video
    assert (lit >= 0).all() and (lit > 0).sum() > 100


def test_bubbles_appear_seeded_shrink_and_clear():
    s = scene(seed=3)
    s.draw(snapshot(4))
    assert s.n_bubbles == 0
    s.draw(snapshot(4, bubbles_added=2.0))
    b = s.bubbles()
    assert b.shape == (2, 3) and np.allclose(b[:, 2], H / 8)
    assert ((b[:, 0] >= 0) & (b[:, 0] <= W) & (b[:, 1] >= 0) & (b[:, 1] <= H)).all()
    assert not np.allclose(b[0, :2], b[1, :2])
    for _ in range(10):
        s.draw(snapshot(4, bubbles_added=2.0))
    assert np.allclose(s.bubbles()[:, 2], H / 8 - 10 * 12 / 60)
    s.draw(snapshot(4, bubbles_added=3.0))
    assert s.n_bubbles == 3
    same, other = scene(seed=3), scene(seed=4)
    for t in (same, other):
        t.draw(snapshot(4, bubbles_added=2.0))
    assert np.array_equal(same.bubbles()[:, :2], b[:, :2])
    assert not np.allclose(other.bubbles()[:, :2], b[:, :2])
    s.draw(snapshot(4, bubbles_added=3.0, bubbles_cleared=1.0))
    assert s.n_bubbles == 0


def test_bubbles_shrink_away():
    s = scene()
    s.draw(snapshot(4, bubbles_added=1.0))
    frames = math.ceil((H / 8) / (12 / 60))
    for _ in range(frames - 1):
        s.draw(snapshot(4, bubbles_added=1.0))
    assert s.n_bubbles == 1
    s.draw(snapshot(4, bubbles_added=1.0))
    assert s.n_bubbles == 0


def test_bubbles_warp_with_the_gradient_and_not_at_rest():
    g = np.array([0.05, -0.08, 0.0, 0.0])
    plain = scene().draw(snapshot(4, grad=g)).copy()
    at_rest = scene().draw(snapshot(4, bubbles_added=6.0)).copy()
    assert np.array_equal(at_rest, scene().draw(snapshot(4)))  # a converged learner: whole
    warped = scene().draw(snapshot(4, grad=g, bubbles_added=6.0))
    assert (warped != plain).any()
    faithful_at_rest = scene().draw(snapshot(4, faithful=1.0, bubbles_added=6.0))
    assert (faithful_at_rest != at_rest).any()  # the original warps even at rest


def test_part_3_at_rest_is_the_video_plus_the_knots():
    video = TestPattern(W, H).read(0.5).astype(int)
    knots = scene().draw(snapshot(2)).astype(int)
    assert knots.any()
    frame = scene().draw(snapshot(3)).astype(int)
    assert np.array_equal(frame, np.minimum(video + knots, 255))
    bare = ~knots.any(axis=2)
    assert np.array_equal(frame[bare], video[bare])


def test_part_3_split_follows_the_gradient_and_faithful_differs():
    g = np.array([0.03, 0.0, -0.02, 0.0])
    default = scene().draw(snapshot(3, grad=g)).copy()
    assert (default != scene().draw(snapshot(3))).any()
    faithful = scene().draw(snapshot(3, grad=g, faithful=1.0)).copy()
    assert (faithful != default).any()
    assert faithful.mean() < default.mean()  # alpha layers over black darken the picture


def test_faithful_channel_order_is_seeded_and_changes():
    frames = []
    for _ in range(2):
        s = scene(seed=5)
        frames.append([s.draw(snapshot(3, faithful=1.0)).copy() for _ in range(6)])
    assert all(np.array_equal(a, b) for a, b in zip(*frames, strict=True))
    assert len({f.tobytes() for f in frames[0]}) > 1


def test_stress_flag_forces_the_split_in_part_4():
    g = np.full(4, 0.05)
    plain = scene().draw(snapshot(4, grad=g)).copy()
    split = scene().draw(snapshot(4, grad=g, split=1.0))
    assert (split != plain).any()


def test_a_diverged_learner_still_draws_what_is_drawable():
    # Its approximant is NaN and infinite: the target (white) is still drawn where a healthy
    # learner's frame has it.
    diverged = dict(cubic_theta=np.array([np.nan, np.inf, 1e300, -1e300]),
                    knot_phase=np.array([np.nan, 0.0, np.inf]),
                    grad=np.array([np.nan, np.inf, -np.inf, 1e300]), bubbles_added=1.0)
    for part in (1, 2):
        frame = scene().draw(snapshot(part, **diverged)).copy()
        healthy = scene().draw(snapshot(part, bubbles_added=1.0)).copy()
        white = np.all(healthy == 255, axis=2)
        assert frame.shape == (H, W, 3) and white.sum() >= 10, part
        # the target is there (where the healthy approximant crossed it, a little less bright)
        assert np.mean(frame[white].min(axis=1) > 200) > 0.8, part


@pytest.mark.parametrize("part", [3, 4])
def test_nan_gradients_warp_nothing_and_infinite_ones_stay_bounded(part):
    nan = scene().draw(snapshot(part, grad=np.full(4, np.nan), bubbles_added=1.0)).copy()
    zero = scene().draw(snapshot(part, grad=np.zeros(4), bubbles_added=1.0)).copy()
    assert np.array_equal(nan, zero)  # no direction to show: the picture as if converged
    far = scene().draw(snapshot(part, grad=np.array([np.inf, -np.inf, 1e300, 0.0]),
                                bubbles_added=1.0)).copy()
    assert far.shape == (H, W, 3) and far.any()


# ----- sources


def test_test_pattern_is_a_function_of_time():
    a, b = TestPattern(W, H), TestPattern(W, H)
    f1 = a.read(1.25).copy()
    assert np.array_equal(f1, b.read(1.25))
    assert not np.array_equal(f1, a.read(0.0))
    assert np.array_equal(f1, a.read(1.25))


def test_file_source_reads_frames_by_time_and_loops(tmp_path):
    from synthlearn.visuals.video import VideoWriter

    path = tmp_path / "grey.mp4"
    writer = VideoWriter(path, 64, 48, 10)
    for i in range(10):  # 1 s at 10 fps; frame i is grey level 20 (i + 1)
        writer.write(np.full((48, 64, 3), 20 * (i + 1), np.uint8))
    writer.close()
    src = FileSource(path, 32, 24)
    try:
        assert src.read(0.0).shape == (24, 32, 3)
        assert src.fps == pytest.approx(10.0)
        times = [(0.0, 20), (0.55, 120), (0.95, 200), (1.05, 20), (2.35, 80), (0.3, 80),
                 (0.15, 40)]  # in order: forward, past the end (loop), again, back in time
        for t, level in times:
            assert abs(src.read(t).mean() - level) < 8, t
        assert src.frame_count == 10
    finally:
        src.close()


def test_file_source_names_a_missing_or_bad_file(tmp_path):
    missing = tmp_path / "nothing.mp4"
    with pytest.raises(UserError, match="cannot read video") as err:
        FileSource(missing, 32, 24)
    assert str(missing) in str(err.value)
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    with pytest.raises(UserError, match="bad.mp4"):
        open_source(str(bad), 32, 24)


def test_open_source_specs():
    assert isinstance(open_source("test", W, H), TestPattern)
    if camera_names():
        pytest.skip("this machine has a camera")
    assert isinstance(open_source(None, W, H), TestPattern)
    with pytest.raises(UserError, match="camera"):
        open_source("camera", W, H)


@pytest.mark.parametrize("voices", ["numba", "pyo"])
def test_the_partials_scene_draws_what_the_pools_published(voices):
    import math

    from synthlearn import events
    from synthlearn.audio.engine import Engine
    from synthlearn.pieces.additive import Additive
    from synthlearn.visuals.scenes.partials import HIGH_HZ, LOW_HZ

    engine = Engine("manual", block=64, voices=voices)
    try:
        piece = Additive(voices=2, partials=2, brightness=0.0)
        engine.play(piece, [events.note_on(0, 69, 127)])  # 440 and 880 Hz
        scene = piece.scene(engine, 320, 180, 30.0)
        blank = scene.draw().copy()
        for _ in range(60):  # published about 60 times a second: a few records by now
            engine.process()
        assert piece.pool.snapshot.published >= 3
        frame = scene.draw()
    finally:
        engine.close()
    assert not blank.any()
    lit = np.flatnonzero(frame[:, -1].max(axis=1))  # the newest column
    rows = [round((1 - math.log(hz / LOW_HZ) / math.log(HIGH_HZ / LOW_HZ)) * 179)
            for hz in (440.0, 880.0)]
    for row in rows:
        assert any(abs(r - row) <= 1 for r in lit), (row, lit)
    assert len(lit) <= 6  # two partials, two pixels thick: nothing else


def test_the_partials_scene_draws_the_pools_records_through_a_view():
    """The protocol: a SnapshotView of what the pools published draws as the scene given the
    pools did (Piece.scene's default, until it hands the view)."""
    from synthlearn import events
    from synthlearn.audio.engine import Engine
    from synthlearn.pieces.additive import Additive
    from synthlearn.visuals.scenes import SnapshotView
    from synthlearn.visuals.scenes.partials import PartialsScene, PoolsRecord

    engine = Engine("manual", block=64)
    try:
        piece = Additive(voices=2, partials=2, brightness=0.0)
        engine.play(piece, [events.note_on(0, 69, 127)])
        for _ in range(60):
            engine.process()
        view = SnapshotView(PoolsRecord(engine.pools), PartialsScene(320, 180, fps=30.0))
        direct = PartialsScene(320, 180, fps=30.0)  # drawn from the pools' records by hand
        frames = [(view.draw().copy(),
                   direct.draw([p.snapshot.read(arrays=True) for p in engine.pools]).copy())
                  for _ in range(3)]
    finally:
        engine.close()
    assert all(np.array_equal(a, b) for a, b in frames) and frames[-1][0].any()
