"""MFCC and spectral features: shapes, librosa agreement, stream-vs-whole, bad request bodies."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from mixer.feature_requests import (
    INVALID_BUFFER_SIZE,
    INVALID_PARAMETER,
    INVALID_SAMPLE_RATE,
    FeatureRequestError,
    parse_extract_request,
)
from mixer.features import FeatureParams, extract_features
from tests.signals import DATA, load_mono

FS = 48000
MUSIC = DATA / "music" / "piano_blues_lincity_city_blues.flac"
SPEC_KEYS = {"features", "spectralCentroid", "zeroCrossingRate", "spectralRolloff",
             "spectralFlux", "frameCount", "duration"}
# Agreement with librosa (float64 here, float32 MFCC output): MFCCs are within 1e-3 dB-units,
# centroid within 1e-3 Hz, roll-off and zero-crossing rate are identical.
MFCC_TOLERANCE = 1e-3
CENTROID_TOLERANCE_HZ = 1e-3


@pytest.fixture(scope="module")
def music() -> np.ndarray:
    return load_mono(MUSIC, FS)[: 2 * FS]


def _librosa_reference(y: np.ndarray, p: FeatureParams) -> dict[str, np.ndarray]:
    stft = {"n_fft": p.fft_size, "hop_length": p.hop_size, "window": p.window_type,
            "center": False}
    mel = librosa.feature.melspectrogram(y=y, sr=p.sample_rate, n_mels=p.num_filters,
                                         fmax=p.fmax, **stft)
    log_mel = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    return {
        "mfcc": librosa.feature.mfcc(S=log_mel, n_mfcc=p.num_coefficients).T,
        "centroid": librosa.feature.spectral_centroid(y=y, sr=p.sample_rate, **stft)[0],
        "rolloff": librosa.feature.spectral_rolloff(y=y, sr=p.sample_rate, **stft)[0],
        "zcr": librosa.feature.zero_crossing_rate(y, frame_length=p.fft_size,
                                                  hop_length=p.hop_size, center=False)[0],
    }


@pytest.mark.parametrize(
    "params",
    [
        FeatureParams(),
        FeatureParams(num_coefficients=20, num_filters=64, fft_size=1024, hop_size=256,
                      window_type="hamming"),
        FeatureParams(sample_rate=16000, num_coefficients=8, num_filters=26, fft_size=512,
                      hop_size=160, window_type="blackman"),
    ],
)
def test_features_agree_with_librosa(music: np.ndarray, params: FeatureParams) -> None:
    y = music if params.sample_rate == FS else load_mono(MUSIC, params.sample_rate)[:32000]
    result = extract_features(y, params=params)
    reference = _librosa_reference(y.astype(np.float64), params)

    assert result.mfcc.shape == reference["mfcc"].shape
    np.testing.assert_allclose(result.mfcc, reference["mfcc"], atol=MFCC_TOLERANCE)
    np.testing.assert_allclose(result.centroid, reference["centroid"], atol=CENTROID_TOLERANCE_HZ)
    np.testing.assert_array_equal(result.rolloff, reference["rolloff"])
    np.testing.assert_array_equal(result.zero_crossing_rate, reference["zcr"])


def test_response_has_the_spec_keys_and_shapes(music: np.ndarray) -> None:
    params = FeatureParams(num_coefficients=20)
    body = extract_features(music[:10000], params=params).as_json()

    assert set(body) == SPEC_KEYS
    assert body["frameCount"] == 1 + (10000 - 2048) // 512 == len(body["features"])
    assert all(len(row) == 20 for row in body["features"])
    assert body["duration"] == pytest.approx(10000 / FS)
    assert 0 < body["spectralCentroid"] < body["spectralRolloff"] <= params.sample_rate / 2
    assert 0 < body["zeroCrossingRate"] < 1
    assert 0 < body["spectralFlux"] <= 2


def test_exactly_one_fft_frame_gives_one_frame_and_zero_flux(music: np.ndarray) -> None:
    body = extract_features(music[:2048], params=FeatureParams()).as_json()

    assert body["frameCount"] == 1
    assert body["spectralFlux"] == 0.0


def test_steady_tone_has_its_frequency_as_centroid_and_no_flux() -> None:
    t = np.arange(FS) / FS
    body = extract_features(0.5 * np.sin(2 * np.pi * 3000 * t), params=FeatureParams()).as_json()

    assert body["spectralCentroid"] == pytest.approx(3000, rel=0.02)
    assert body["spectralFlux"] < 1e-3
    assert body["zeroCrossingRate"] == pytest.approx(2 * 3000 / FS, rel=0.01)


def test_stream_in_pieces_gives_the_features_of_the_whole(music: np.ndarray) -> None:
    """Fixed dB reference and uncentred frames: pieces cut at hop multiples, each carrying
    the next fftSize - hop samples, reproduce the whole buffer's frames exactly."""
    params = FeatureParams()
    whole = extract_features(music, params=params)
    rows, start = [], 0
    for piece_frames in (1, 7, 40, 3, 100):
        stop = start + (piece_frames - 1) * params.hop_size + params.fft_size
        rows.append(extract_features(music[start:stop], params=params))
        start += piece_frames * params.hop_size

    pieces_mfcc = np.vstack([r.mfcc for r in rows])
    np.testing.assert_allclose(pieces_mfcc, whole.mfcc[: len(pieces_mfcc)], atol=1e-4)
    np.testing.assert_allclose(np.concatenate([r.centroid for r in rows]),
                               whole.centroid[: len(pieces_mfcc)], rtol=1e-9)


def test_quiet_piece_is_not_normalised_to_its_own_maximum(music: np.ndarray) -> None:
    """A buffer-relative reference would hide a 20 dB drop; the fixed one shows it in c0."""
    params = FeatureParams()
    loud = extract_features(music[:8192], params=params).mfcc
    quiet = extract_features(0.1 * music[:8192], params=params).mfcc

    shift = 20 * np.sqrt(params.num_filters)  # -20 dB in every band, orthonormal DCT
    np.testing.assert_allclose(loud[:, 0] - quiet[:, 0], shift, rtol=0.02)


def test_long_buffers_are_processed_in_blocks_with_progress(music: np.ndarray) -> None:
    seen: list[float] = []
    result = extract_features(np.tile(music, 4), params=FeatureParams(), progress=seen.append)

    assert result.frame_count > 512
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


# ----------------------------------------------------------------------------- parsing


def test_parse_fills_the_spec_defaults(music: np.ndarray) -> None:
    samples, params = parse_extract_request({"audioBuffer": music[:4096].tolist()})

    assert params == FeatureParams()
    assert samples.dtype == np.float32
    assert samples.size == 4096


def test_parse_takes_every_parameter() -> None:
    _, params = parse_extract_request({
        "audioBuffer": [0.0] * 1024, "numCoefficients": 20, "numFilters": 64, "fftSize": 1024,
        "hopSize": 256, "windowType": "blackman", "sampleRate": 44100,
    })

    assert params == FeatureParams(sample_rate=44100, num_coefficients=20, num_filters=64,
                                   fft_size=1024, hop_size=256, window_type="blackman")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, INVALID_BUFFER_SIZE, "audioBuffer"),
        ({"audioBuffer": [0.1] * 2047}, INVALID_BUFFER_SIZE, "audioBuffer"),
        ({"audioBuffer": [0.1] * 600, "fftSize": 1024}, INVALID_BUFFER_SIZE, "audioBuffer"),
        ({"audioBuffer": [0.0] * (60 * 8000 + 1), "sampleRate": 8000}, INVALID_BUFFER_SIZE,
         "audioBuffer"),
        ({"audioBuffer": [0.1] * 2047 + [float("nan")]}, INVALID_PARAMETER, "audioBuffer"),
        ({"audioBuffer": [0.1] * 2047 + [float("inf")]}, INVALID_PARAMETER, "audioBuffer"),
        ({"audioBuffer": [0.1] * 2047 + [1e39]}, INVALID_PARAMETER, "audioBuffer"),
        ({"audioBuffer": ["0.1"] * 2048}, INVALID_PARAMETER, "audioBuffer"),
        ({"audioBuffer": [[0.1]] * 2048}, INVALID_PARAMETER, "audioBuffer"),
        ({"audioBuffer": "0.1,0.2"}, INVALID_PARAMETER, "audioBuffer"),
        ({"audioBuffer": [0.0] * 4096, "windowType": "kaiser"}, INVALID_PARAMETER, "windowType"),
        ({"audioBuffer": [0.0] * 4096, "fftSize": 1000}, INVALID_PARAMETER, "fftSize"),
        ({"audioBuffer": [0.0] * 4096, "hopSize": 0}, INVALID_PARAMETER, "hopSize"),
        ({"audioBuffer": [0.0] * 4096, "hopSize": 4096}, INVALID_PARAMETER, "hopSize"),
        ({"audioBuffer": [0.0] * 4096, "numCoefficients": 41}, INVALID_PARAMETER,
         "numCoefficients"),
        ({"audioBuffer": [0.0] * 4096, "numCoefficients": 12.5}, INVALID_PARAMETER,
         "numCoefficients"),
        ({"audioBuffer": [0.0] * 4096, "numFilters": True}, INVALID_PARAMETER, "numFilters"),
        ({"audioBuffer": [0.0] * 4096, "sampleRate": 4000}, INVALID_SAMPLE_RATE, "sampleRate"),
    ],
)
def test_bad_extract_bodies_get_a_clear_error(body: dict, code: str, field: str) -> None:
    with pytest.raises(FeatureRequestError) as caught:
        parse_extract_request(body)

    assert caught.value.code == code
    assert caught.value.details["field"] == field
    assert caught.value.status == 400
    assert field in caught.value.message


def test_too_short_buffer_says_one_fft_frame_is_needed() -> None:
    with pytest.raises(FeatureRequestError, match=r"at least one FFT frame \(fftSize = 2048"):
        parse_extract_request({"audioBuffer": [0.0] * 100})


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(FeatureRequestError) as caught:
        parse_extract_request([0.0] * 4096)

    assert caught.value.code == INVALID_PARAMETER
