"""The running integrated loudness meter against BS.1770's reference and pyloudnorm."""

import numpy as np
import pyloudnorm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixer import loudness
from mixer.dsp import METER_FLOOR_DB
from tests import signals

FS = 48000


def run(x: np.ndarray, chunk: int = 960) -> float:
    state, value = loudness.new_meter_state(), None
    for start in range(0, x.size, chunk):
        value = loudness.meter(x[start : start + chunk], state)
    return value


def test_1khz_sine_at_minus_20_dbfs_reads_minus_23_lufs():
    t = np.arange(5 * FS) / FS
    assert run((0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)) == pytest.approx(
        -23.01, abs=0.02)  # BS.1770-4: a 0 dBFS 997 Hz sine reads -3.01 LKFS


def test_matches_pyloudnorm_on_real_speech_with_pauses():
    speech = signals.speech(FS)
    x = np.concatenate([speech, np.zeros(FS, np.float32), 0.3 * speech])
    x = x[: x.size // 960 * 960]
    expected = pyloudnorm.Meter(FS).integrated_loudness(x.astype(np.float64))
    assert run(x) == pytest.approx(expected, abs=0.1)  # pyloudnorm's K-filter differs slightly


def test_silence_reads_the_meter_floor():
    assert run(np.zeros(3 * FS, np.float32)) == METER_FLOOR_DB


def test_a_single_frame_reads_its_own_ungated_loudness():
    frame = np.full(960, 0.5, np.float32)
    state = loudness.new_meter_state()
    weighted_ms = loudness.meter(frame, state)
    assert METER_FLOOR_DB < weighted_ms < 0


@settings(max_examples=25, deadline=None)
@given(chunk=st.integers(1, 20000))
def test_result_does_not_depend_on_frame_size(chunk: int):
    x = np.random.default_rng(3).standard_normal(2 * FS).astype(np.float32) * 0.1
    assert run(x, chunk) == pytest.approx(run(x, 960), abs=1e-9)
