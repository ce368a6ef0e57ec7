"""What a piece shows is true (issue 19, item 10): qmelody's mean reward is the agents' own,
ldd's picture shows a loss whenever one is defined, ruler's synths stand in a stereo image."""

import json

import numpy as np
import pytest
from helpers import SR, peak_hz, run_engine

from synthlearn import files
from synthlearn.audio.wavfile import read_wav
from synthlearn.pieces.ldd import Ldd
from synthlearn.pieces.qmelody import AGENTS, Qmelody
from synthlearn.runtime.render import RenderOptions, render
from synthlearn.visuals.scenes.ldd import LddScene, fresh_loss


def test_qmelody_status_says_the_mean_of_the_rewards_its_agents_show():
    piece = Qmelody(seed=2)
    assert "no episode yet" in piece.status()
    piece.cmd_teach("all", "c4,f#5,a3,e5,c#4")  # wide leaps: the first episodes score < 0
    run_engine(piece, [], 4.0, block=256)
    agents = [piece.learner.agent(k) for k in range(AGENTS)]
    rewards = [agent.reward for agent in agents]
    assert all(agent.episodes >= 1 for agent in agents) and max(rewards) < 0
    first = piece.status().splitlines()[0]
    assert f"mean reward {np.mean(rewards):.2f} (last episodes)" in first
    assert "mean reward 0.00" not in first and "drone at 0.00" in first  # the drone's, apart
    for k, line in enumerate(piece.status().splitlines()[1:]):  # the lines below agree
        assert f"reward {rewards[k]:.2f}" in line


def ldd_label(record) -> str:
    scene = LddScene(160, 96, 30.0, seed=1)
    said = []
    scene.canvas.text = lambda s, *args, **kwargs: said.append(s)
    try:
        scene.draw(record)
    finally:
        scene.close()
    return said[0]


@pytest.mark.parametrize("part", [1, 2])
def test_ldd_shows_the_loss_of_a_fresh_target_before_its_first_step(part):
    piece = Ldd(seed=5)
    piece.part = part
    piece._publish()
    record = piece.snapshot.read()
    learner = piece.learner
    assert np.isnan(record["loss"])  # no step yet: the learner has no loss of its own
    loss = learner.loss_at(learner.theta_ if part == 1 else learner.phase_)
    assert fresh_loss(record, part == 1) == pytest.approx(loss, rel=1e-12)
    assert ldd_label(record) == f"part {part} · loss {loss:.4g}"
    assert piece.status().startswith(f"ldd: part {part} ({learner.kind}), loss {loss:.4g} "
                                     "after 0 steps")
    learner.step()  # once it has stepped, its own loss is shown
    piece._publish()
    assert ldd_label(piece.snapshot.read()) == f"part {part} · loss {learner.loss_:.4g}"


def ruler_render(tmp_path, lines, duration=3.0):
    tmp_path.mkdir()
    for data in ("blip.csv", "fm.csv", "rain.csv"):
        (tmp_path / data).write_text((files.DATASETS / data).read_text())
    score = ['piece = "ruler"', "seed = 3", f"duration = {duration}"]
    for t, line in lines:
        score += ["[[at]]", f"time = {t}", f"do = {json.dumps(line)}"]
    (tmp_path / "s.toml").write_text("\n".join(score) + "\n")
    render(tmp_path / "s.toml", tmp_path / "out", RenderOptions(video=False, block=256))
    return read_wav(tmp_path / "out" / "audio.wav")[1]


def test_ruler_synths_stand_apart_in_stereo_at_the_level_a_centred_one_had(tmp_path,
                                                                           monkeypatch):
    from synthlearn.audio import synths

    blip = [(0.0, "b = ruler blip.csv"), (0.1, "set blip b 0 tone")]  # 110 Hz sine
    audio = ruler_render(tmp_path / "panned", blip)
    tone = audio[SR:2 * SR]
    left, right = (peak_hz(tone[:, c], SR, 110.0, 10.0)[1] for c in range(2))
    assert left > 1.5 * right > 0  # blip stands left of centre
    monkeypatch.setitem(synths.PANS, "blip", 0.5)  # as every synth was: mono, centred
    centred = ruler_render(tmp_path / "centred", blip)[SR:2 * SR]
    c_left, c_right = (peak_hz(centred[:, c], SR, 110.0, 10.0)[1] for c in range(2))
    assert c_left == pytest.approx(c_right, rel=1e-6)
    assert left ** 2 + right ** 2 == pytest.approx(c_left ** 2 + c_right ** 2, rel=0.01)

    both = ruler_render(tmp_path / "all", [
        (0.0, "r = ruler rain.csv"), (0.0, "f = ruler fm.csv"),
        (0.1, "set rain r r rain"), (1.6, "stop rain"), (1.6, "set fm f r bell")], 3.2)
    rain, fm = both[round(0.6 * SR):round(1.5 * SR)], both[round(2.2 * SR):round(3.1 * SR)]
    rms = lambda x: float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))  # noqa: E731
    # rain: wide (its channels drawn apart), as loud on each side
    assert np.corrcoef(rain[:, 0], rain[:, 1])[0, 1] < 0.5
    assert rms(rain[:, 0]) == pytest.approx(rms(rain[:, 1]), rel=0.2) and rms(rain) > 1e-3
    # fm: right of centre
    assert rms(fm[:, 1]) > 1.5 * rms(fm[:, 0]) > 0
