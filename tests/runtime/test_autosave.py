"""Autosave and --resume: the learned state comes back bit for bit; saves are atomic."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from synthlearn import events
from synthlearn.commands.language import Language
from synthlearn.errors import UserError
from synthlearn.learners.cubic import Cubic
from synthlearn.learners.lissajous import Lissajous
from synthlearn.pieces.ldd import Ldd
from synthlearn.runtime.perform import open_session
from synthlearn.runtime.sessions import Autosaver, Session
from synthlearn.snapshot import Snapshot, same_state

SR = 48000


def cmd(time_smp, line):
    return events.command(time_smp, Language.of(Ldd.language().specs.values()).parse(line))


@pytest.mark.parametrize("cls", [Cubic, Lissajous])
def test_learner_state_restores_exactly_and_goes_on_identically(cls):
    a = cls().reset(seed=11)
    for i in range(57):
        a.step()
        if i % 20 == 19:
            a.new_target()
    a.lr *= 1.7
    snap = Snapshot(**a.state_layout("x"))
    a.capture(snap.back(), "x")
    snap.publish()
    saved = snap.read(arrays=True)
    assert saved["x_rng_state"].dtype == np.uint64  # the generator's counter, not a float

    b = cls().reset(seed=999)  # a different learner taken back to a's state
    b.restore(saved, "x")
    for name in (*cls.STATE_NUMBERS, *cls.STATE_ARRAYS):
        va, vb = getattr(a, name), getattr(b, name)
        assert type(va) is type(vb), name
        assert np.asarray(va).tobytes() == np.asarray(vb).tobytes(), name
    for i in range(40):  # the same future: steps, minibatches and new targets
        assert a.step() == b.step() or (np.isnan(a.loss_) and np.isnan(b.loss_))
        if i == 25:
            a.new_target()
            b.new_target()
    assert a.theta_.tobytes() == b.theta_.tobytes() if cls is Cubic else \
        a.phase_.tobytes() == b.phase_.tobytes()
    assert a._rng_state[0] == b._rng_state[0]


def played_ldd(engine_run, seed=5):
    """An ldd piece after a short performance: steps, a knot, commands that change settings."""
    piece = Ldd(seed=seed)
    evs = [events.note_on(0, 40, 90), events.note_off(100, 40)]
    for k in range(6):  # upper notes held 0.1 s: steps on the 60 Hz control clock
        evs += [events.note_on(2000 + 6000 * k, 64 + k, 90),
                events.note_off(6800 + 6000 * k, 64 + k)]
    t = 40000
    evs += [cmd(t, "lr 0.03"), cmd(t, "gain 2.5"), cmd(t, "detune mae"), cmd(t + 64, "part 2"),
            events.note_on(t + 200, 40, 90), events.note_on(t + 300, 44, 90),
            events.note_off(t + 9000, 40), events.note_off(t + 9000, 44), cmd(t + 9600, "lr 0.1")]
    engine_run(piece, evs, 1.2)
    return piece


def test_ldd_resume_restores_every_learned_value(engine_run, tmp_path):
    a = played_ldd(engine_run)
    assert a.part == 2 and a.knot.steps_ > 0 and a.cubic.steps_ > 0  # it learned something
    history = ["lr 0.03", "gain 2.5", "detune mae", "part 2", "lr 0.1"]
    saver = Autosaver(Session(tmp_path / "s"), a, history=history, now_s=lambda: 1.2)
    saver.start()
    saver.close()
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "history.txt", "ldd.npz", "session.json"]

    b, session, restored_history = open_session(None, seed=0, faithful=False,
                                                resume=tmp_path / "s", session_dir=None)
    assert same_state(b.learned_state(), a.learned_state())
    assert restored_history == history
    assert (b.seed, b.part, b.signal, b.gain, b.knot.lr) == (5, 2, "mae", 2.5, 0.1)
    assert b.cubic.lr == 0.03 and b.cubic.theta_.tobytes() == a.cubic.theta_.tobytes()

    # Both go on from here with the same playing: bass notes (new targets) and single steps.
    more = [cmd(0, "part 1")]
    for k in range(8):
        note = 36 if k % 3 == 0 else 70 + k
        more += [events.note_on(1000 * k + 10, note, 90), events.note_off(1000 * k + 20, note)]
    engine_run(a, more, 0.2)
    engine_run(b, more, 0.2)
    assert same_state(a.learned_state(), b.learned_state())


def test_autosave_writes_only_on_change_and_says_a_failure_once(engine_run, tmp_path):
    piece = Ldd(seed=1)
    history, said = [], []
    # every_s out of reach: its thread waits, and only this test's save_now() calls save
    saver = Autosaver(Session(tmp_path / "s"), piece, history=history, say=said.append,
                      every_s=1e9)
    saver.start()  # the first save: state and (empty) history
    assert saver.saves == 2
    assert saver.save_now() == 0  # nothing changed
    history.append("gain 2")
    assert saver.save_now() == 1
    (tmp_path / "s" / "ldd.npz").unlink()
    engine_run(piece, [events.note_on(0, 70, 90), events.note_off(300, 70)], 0.05)
    assert saver.save_now() == 1 and (tmp_path / "s" / "ldd.npz").exists()
    # A folder that vanished (a pulled USB stick): one line, the performance goes on.
    for p in (tmp_path / "s").iterdir():
        p.unlink()
    (tmp_path / "s").rmdir()
    history.append("gain 3")
    assert saver.save_now() == 0 and saver.save_now() == 0
    assert len(said) == 1 and "not saving" in said[0] and "\n" not in said[0]
    assert not list(tmp_path.glob("**/.*.tmp"))


def test_resume_refuses_bad_folders_in_one_line(tmp_path, engine_run):
    def resume(folder, piece=None):
        return open_session(piece, seed=0, faithful=False, resume=folder, session_dir=None)

    with pytest.raises(UserError, match="no such session folder"):
        resume(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="session.json: missing"):
        resume(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "session.json").write_text('{"format": 1, "piece": 3}')
    with pytest.raises(UserError, match="is not a format-1 session"):
        resume(tmp_path / "bad")
    piece = Ldd(seed=2)
    ok = Session(tmp_path / "ok")
    ok.make()
    ok.save_current("ldd", 2)
    ok.save_state("ldd", 2, piece.learned_state())
    with pytest.raises(UserError, match="was playing 'ldd', not 'additive'"):
        resume(tmp_path / "ok", "additive")
    with pytest.raises(UserError, match="already holds a session"):
        open_session("ldd", seed=0, faithful=False, resume=None, session_dir=tmp_path / "ok")
    (tmp_path / "ok" / "ldd.npz").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="ldd.npz: not a synthlearn piece state"):
        resume(tmp_path / "ok")
    broken = piece.learned_state()
    broken["part"] = np.array([9.0])
    ok.save_state("ldd", 2, broken)
    with pytest.raises(UserError, match="cannot restore ldd"):
        resume(tmp_path / "ok")
    (tmp_path / "ok" / "ldd.npz").unlink()  # it never learned anything here: a fresh piece
    assert resume(tmp_path / "ok")[0].learned_state().keys() == piece.learned_state().keys()


def test_switching_pieces_saves_each_and_a_switch_back_restores_it(engine_run, tmp_path):
    from synthlearn.pieces.additive import Additive
    from synthlearn.runtime.perform import restored_piece

    ldd = played_ldd(engine_run, seed=6)
    session = Session(tmp_path / "s")
    saver = Autosaver(session, ldd, history=[]).start()
    saver.switch(Additive(seed=6))  # ldd's last state saved, then the additive piece's
    assert Session(tmp_path / "s").load()[0]["piece"] == "additive"
    saver.close()
    back = restored_piece(session, "ldd", seed=6, faithful=False)
    assert same_state(back.learned_state(), ldd.learned_state())


CRASHER = textwrap.dedent("""
    import sys
    from synthlearn.runtime.sessions import Session
    from synthlearn.learners.cubic import Cubic
    from synthlearn.snapshot import Snapshot

    learner = Cubic().reset(seed=3)
    snap = Snapshot(**learner.state_layout("cubic"))
    session = Session(sys.argv[1])
    session.make()
    session.save_current("cubic", 3)
    while True:  # save as fast as it can until killed
        learner.step()
        learner.capture(snap.back(), "cubic")
        snap.publish()
        session.save_state("cubic", 3, snap.read(arrays=True))
        print(learner.steps_, flush=True)
""")


def test_kill_9_while_saving_leaves_the_last_complete_state(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CRASHER, str(tmp_path / "s")],
                             stdout=subprocess.PIPE, text=True)
    try:
        last = 0
        while last < 300:  # each line: a save has completed
            line = child.stdout.readline()
            assert line, "the saving child ended early"
            last = int(line)
        child.kill()  # SIGKILL, mid-save or between saves
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    state = Session(tmp_path / "s").load_state("cubic")
    steps = int(state["cubic_steps"][0])
    assert steps >= last  # complete, and no older than reported
    fresh = Cubic().reset(seed=3)
    for _ in range(steps):
        fresh.step()
    assert fresh.theta_.tobytes() == state["cubic_theta"].tobytes()  # a whole, consistent save


def test_a_busy_snapshot_is_never_saved_half_written(tmp_path):
    from synthlearn.snapshot import SnapshotBusy

    class Racing(Snapshot):
        """A writer that publishes between every two looks of the reader."""

        racing = True

        @property
        def published(self):
            self._count += self.racing
            return self._count

        @published.setter
        def published(self, value):
            self._count = value

    piece = Ldd(seed=3)
    racing = Racing(**piece.learned_layout())
    piece.use_learned_record(racing)  # what it learns is published into the racing record
    racing.back()["part"][0] = 1  # a record a frame may show, torn or not
    assert racing.read()["part"] in (0.0, 1.0)  # visuals: a copy, consistent or not
    with pytest.raises(SnapshotBusy):
        racing.read(strict=True)
    saver = Autosaver(Session(tmp_path / "s"), piece, history=[])
    saver.start()  # the state could not be read consistently: not written
    assert not (tmp_path / "s" / "ldd.npz").exists()
    racing.racing = False  # the writer pauses: the next look saves
    piece.publish_learned()
    assert saver.save_now() == 1 and (tmp_path / "s" / "ldd.npz").exists()
    saver.close()
