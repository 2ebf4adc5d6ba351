import numpy as np
import pytest

from denoise import engine
from tests import signals


def test_denoise_raises_si_sdr_on_real_speech_in_real_noise():
    rate = 16000
    clean = signals.speech(rate)
    noisy = signals.mix_at_snr(clean, signals.noise(rate, clean.size), snr_db=0.0)
    before = signals.si_sdr(noisy, clean)
    cleaned = engine.denoise(noisy[None, :].copy(), sample_rate=rate)[0]
    assert signals.si_sdr(cleaned, clean) > before + 3.0


def test_blocks_cover_the_whole_file_and_report_progress(monkeypatch):
    monkeypatch.setattr(engine, "BLOCK_S", 2.0)
    monkeypatch.setattr(engine, "CONTEXT_S", 0.5)
    rate = 16000
    noisy = signals.mix_at_snr(signals.speech(rate), signals.noise(rate, signals.speech(rate).size), 5.0)
    seen: list[float] = []
    out = engine.denoise(np.stack([noisy, noisy]), sample_rate=rate, progress=seen.append)
    assert out.shape == (2, noisy.size)
    assert np.isfinite(out).all()
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)
    assert len(seen) == int(np.ceil(noisy.size / (2.0 * rate)))
