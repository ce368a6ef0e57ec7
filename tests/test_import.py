import subprocess
import sys

PURE = ("synthlearn", "synthlearn.commands.language", "synthlearn.commands.score",
        "synthlearn.dsp.voicing", "synthlearn.dsp.limiter", "synthlearn.dsp.oscbank",
        "synthlearn.events", "synthlearn.pieces", "synthlearn.mappings.detune",
        "synthlearn.learners.cubic", "synthlearn.learners.lissajous", "synthlearn.snapshot")


def test_import_is_cheap_and_pure():
    code = (
        f"import sys, {', '.join(PURE)}\n"
        "bad = [m for m in ('pyo', 'pygame', 'rtmidi', 'mido') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_python_dash_m_runs():
    out = subprocess.run([sys.executable, "-m", "synthlearn", "--version"], capture_output=True,
                         text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("synthlearn ")
