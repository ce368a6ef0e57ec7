"""The real-time bench sections without jackd, and their arithmetic. Their figures on a real
jackd are checked in test_bench.py, on the quick run CI makes."""

import shutil

import numpy as np
import pytest

from synthlearn.bench import midi_latency, realtime


def needs_jackd() -> None:
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (apt-get install jackd2)")


@pytest.mark.jack
@pytest.mark.parametrize("section", [realtime, midi_latency], ids=["realtime", "midi_latency"])
def test_without_jackd_the_section_says_why(section, tmp_path):
    missing = str(tmp_path / "no-such-dir" / "jackd")
    result = section.run(quick=True, say=lambda line: None, jackd=missing)
    assert set(result) == {"skipped"}
    assert missing in result["skipped"]
    [line] = section.table(result)
    assert "skipped" in line and result["skipped"] in line


@pytest.mark.jack
def test_without_jackd_on_path(monkeypatch):
    monkeypatch.setattr(realtime.shutil, "which", lambda name: None)
    result = realtime.run(quick=True, say=lambda line: None)
    assert "not installed" in result["skipped"]
    assert result["skipped"] in realtime.table(result)[0]


def test_late_times_and_jitter_from_intervals():
    block_s = 0.005
    intervals = np.array([block_s] * 5 + [3 * block_s] + [block_s] * 3 + [2.5 * block_s])
    # the late intervals end 40 ms and 67.5 ms after the start
    assert realtime.late_times_s(intervals, 2 * block_s) == pytest.approx([0.04, 0.0675],
                                                                          abs=1e-3)
    j = realtime.jitter_ms(intervals)
    assert j["p50"] == 5.0 and j["max"] == 15.0
    assert j["sd"] == pytest.approx(float(np.std(intervals * 1e3)), abs=1e-3)
    assert realtime.jitter_ms(np.zeros(0)) == {}
