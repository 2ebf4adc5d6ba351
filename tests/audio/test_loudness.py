import numpy as np
import pyloudnorm
import pytest

from audioservices.audio.limiter import LookaheadLimiter
from audioservices.audio.loudness import BOOST_GAIN_DB, boost, integrated_loudness, true_peak
from tests import signals


def test_integrated_loudness_matches_pyloudnorm():
    rng = np.random.default_rng(0)
    audio = (0.05 * rng.standard_normal((2, 44100 * 8))).astype(np.float32)
    audio[:, 44100 * 2 : 44100 * 3] *= 6
    expected = pyloudnorm.Meter(44100).integrated_loudness(audio.T.astype(np.float64))
    assert integrated_loudness(audio, sample_rate=44100) == pytest.approx(expected, abs=0.05)


def test_silence_has_no_loudness():
    assert integrated_loudness(np.zeros((1, 48000)), sample_rate=48000) == float("-inf")


@pytest.mark.parametrize("level", list(BOOST_GAIN_DB))
def test_each_level_raises_quiet_speech_by_its_gain(level):
    quiet = signals.speech(44100)[None, :] * 0.05  # far below the ceiling: limiter idle
    before = integrated_loudness(quiet, sample_rate=44100)
    boosted, report = boost(quiet.copy(), sample_rate=44100, gain_db=BOOST_GAIN_DB[level])
    after = integrated_loudness(boosted, sample_rate=44100)
    assert after - before == pytest.approx(BOOST_GAIN_DB[level], abs=0.5)
    assert report.limiter_max_reduction_db == pytest.approx(0.0, abs=0.01)


def test_loud_input_at_5x_never_clips_and_stays_under_minus_1_dbtp():
    if signals.HOT_MUSIC.exists():
        import soundfile as sf

        audio = sf.read(str(signals.HOT_MUSIC), dtype="float32", always_2d=True)[0].T.copy()
        rate = sf.info(str(signals.HOT_MUSIC)).samplerate
    else:
        rate, audio = 44100, np.clip(signals.tone(5.0, amplitude=0.99) * 1.2, -1, 1)
    boosted, report = boost(audio, sample_rate=rate, gain_db=BOOST_GAIN_DB["5x"])
    assert np.abs(boosted).max() < 1.0
    assert true_peak(boosted) <= -1.0 + 1e-6
    assert report.output_true_peak_dbtp <= -1.0
    assert report.limiter_max_reduction_db > 3.0  # the limiter really worked


def test_limiter_gain_never_exceeds_what_each_sample_requires():
    rng = np.random.default_rng(3)
    required = np.minimum(1.0, rng.uniform(0.2, 3.0, 50_000))
    limiter = LookaheadLimiter(sample_rate=44100)
    gains = np.concatenate([limiter.push(required[i : i + 7777]) for i in range(0, 50_000, 7777)]
                           + [limiter.flush()])
    assert gains.size == required.size
    assert np.all(gains <= required + 1e-12)
