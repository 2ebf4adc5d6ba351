"""The fast non-stationary gate (denoise/engines/gate.py) against noisereduce itself."""

import numpy as np
import pytest

from denoise.engines import gate, spectral
from tests import signals

# float32 instead of float64, separable smoothing instead of a 2-D FFT convolution: the
# output differs from noisereduce's by rounding only (measured: SI-SDR 138 dB, 1e-7 abs).
MATCH_SI_SDR_DB = 100.0
MATCH_ABS = 1e-5


def noisereduce_reference(noisy: np.ndarray, *, sample_rate: int, wet: float) -> np.ndarray:
    """noisereduce's own non-stationary gate, called the way spectral.py used to call it."""
    padded = np.pad(noisy, (0, max(0, 4 * gate.N_FFT - noisy.size)))
    cleaned = spectral.noisereduce.reduce_noise(
        y=padded, sr=sample_rate, stationary=False, n_fft=gate.N_FFT, prop_decrease=wet,
        chunk_size=None, padding=gate.N_FFT,
    )
    return cleaned[: noisy.size]


@pytest.mark.parametrize("rate", [16000, 44100])
@pytest.mark.parametrize("wet", [1.0, 0.5])
def test_gate_matches_noisereduce(rate, wet):
    speech = signals.speech(rate)[: 6 * rate]
    noisy = signals.mix_at_snr(speech, signals.noise(rate, speech.size), 0.0).astype(np.float32)
    reference = noisereduce_reference(noisy, sample_rate=rate, wet=wet)
    ours = spectral._reduce(noisy, sample_rate=rate, stationary=False, wet=wet)
    assert ours.dtype == np.float32
    assert ours.shape == noisy.shape
    assert np.abs(ours - reference).max() < MATCH_ABS
    assert signals.si_sdr(ours, reference) > MATCH_SI_SDR_DB


def test_silence_stays_silent_where_noisereduce_gives_nan():
    silence = np.zeros(3 * 44100, np.float32)
    with np.errstate(invalid="ignore"):
        assert np.isnan(noisereduce_reference(silence, sample_rate=44100, wet=1.0)).all()
    out = spectral._reduce(silence, sample_rate=44100, stationary=False, wet=1.0)
    np.testing.assert_array_equal(out, silence)


def test_a_silent_start_does_not_spoil_the_rest():
    rate = 16000
    speech = signals.speech(rate)[: 4 * rate]
    noisy = signals.mix_at_snr(speech, signals.noise(rate, speech.size), 0.0).astype(np.float32)
    with_silence = np.concatenate([np.zeros(3 * rate, np.float32), noisy])
    out = spectral._reduce(with_silence, sample_rate=rate, stationary=False, wet=1.0)
    assert np.isfinite(out).all()
    assert signals.si_sdr(out[3 * rate :], speech) > signals.si_sdr(noisy, speech)


def test_rates_below_noisereduces_time_smoothing_limit_are_denoised():
    """noisereduce raises under 10,240 Hz (50 ms < one hop); the gate smooths 3 frames."""
    with pytest.raises(ValueError, match="time_mask_smooth_ms"):
        noisereduce_reference(np.zeros(8000, np.float32), sample_rate=8000, wet=1.0)
    assert gate.smoothing_kernels(8000)[0].size == 3
    rate = 8000
    speech = signals.speech(rate)[: 4 * rate]
    noisy = signals.mix_at_snr(speech, signals.noise(rate, speech.size), 0.0).astype(np.float32)
    out = spectral._reduce(noisy, sample_rate=rate, stationary=False, wet=1.0)
    assert signals.si_sdr(out, speech) > signals.si_sdr(noisy, speech)
