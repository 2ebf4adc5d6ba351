"""The true-peak kernels: exact against a plain reference, and their skipping is safe."""

import numpy as np
import pytest
from scipy import signal

from audioservices.audio import truepeak
from audioservices.audio.loudness import _hop_energies, _k_weighting_sos, integrated_loudness
from tests import signals


def reference_envelope(audio: np.ndarray) -> np.ndarray:
    """The same interpolator as plain numpy: each phase as a zero-padded FIR, max over all."""
    peaks = np.abs(audio).astype(np.float64)
    for phase in truepeak.PHASES:
        for channel, row in enumerate(audio.astype(np.float64)):
            # out[k] = sum_j phase[j] * x[k + DELAY - j]
            full = np.convolve(row, phase)
            start = truepeak._DELAY
            shifted = np.zeros(row.size)
            take = full[start : start + row.size]
            shifted[: take.size] = take
            peaks[channel] = np.maximum(peaks[channel], np.abs(shifted))
    return peaks.max(axis=0)


@pytest.fixture(scope="module")
def music_like() -> np.ndarray:
    rng = np.random.default_rng(7)
    speech = signals.speech(44100)[: 44100 * 3]
    return np.stack([speech, 0.6 * speech[::-1] + 0.05 * rng.standard_normal(speech.size)]
                    ).astype(np.float32)


def test_envelope_matches_a_plain_convolution(music_like):
    ours = truepeak.peak_envelope(music_like, 0, music_like.shape[1])
    np.testing.assert_allclose(ours, reference_envelope(music_like), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("start", "stop"), [(0, 1000), (37, 20_011), (130_000, 132_300)])
@pytest.mark.parametrize("floor_fraction", [0.3, 0.7, 0.95])
def test_a_floor_only_skips_what_stays_below_it(music_like, start, stop, floor_fraction):
    exact = truepeak.peak_envelope(music_like, start, stop)
    floor = floor_fraction * float(exact.max())
    floored = truepeak.peak_envelope(music_like, start, stop, floor=floor)
    above = exact >= floor
    assert above.any()
    np.testing.assert_array_equal(floored[above], exact[above])
    assert np.all(floored[~above] < floor)
    assert np.all(floored >= np.abs(music_like[:, start:stop]).max(axis=0))


@pytest.mark.parametrize(("start", "stop"), [(0, 132_300), (5, 999), (90_000, 132_300)])
def test_max_true_peak_is_the_envelope_maximum(music_like, start, stop):
    expected = float(truepeak.peak_envelope(music_like, start, stop).max())
    assert truepeak.max_true_peak(music_like, start, stop) == expected
    assert truepeak.max_true_peak(music_like, start, stop, floor=2.0) == 2.0


def test_hop_energies_are_scipys_k_weighted_mean_squares(music_like):
    sos, hop = _k_weighting_sos(44100), 4410
    filtered = signal.sosfilt(sos, music_like.astype(np.float64), axis=1)
    hops = music_like.shape[1] // hop
    expected = (filtered[:, : hops * hop] ** 2).reshape(2, hops, hop).mean(axis=2).sum(axis=0)
    ours = _hop_energies(music_like, sos, np.ones(2), hop, hops)
    np.testing.assert_allclose(ours, expected, rtol=1e-10)
    assert np.isfinite(integrated_loudness(music_like, sample_rate=44100))
