import subprocess
import sys


def test_import_is_cheap_and_pure():
    code = (
        "import sys, synthlearn, synthlearn.console, synthlearn.score, synthlearn.voicing, "
        "synthlearn.limiter, synthlearn.events, synthlearn.pieces, synthlearn.mappings, "
        "synthlearn.learners.cubic, synthlearn.learners.lissajous\n"
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
