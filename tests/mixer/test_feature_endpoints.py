"""POST /extract-features and /classify-genre over HTTP: auth, the spec's bodies and errors."""

from pathlib import Path

import numpy as np
import pytest
from rest_framework.test import APIClient

from mixer import features_api
from mixer.features import extract_features
from mixer.genre import load_model
from tests import signals
from tests.mixer.test_auth import assert_spec_error

pytestmark = pytest.mark.django_db
RATE = 48000


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return signals.speech(RATE)[: 3 * RATE]


def test_extract_features_answers_the_spec_keys(api, speech):
    response = api.post("/extract-features", {"audioBuffer": speech.tolist()}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"features", "spectralCentroid", "zeroCrossingRate", "spectralRolloff",
                         "spectralFlux", "frameCount", "duration"}
    model = load_model()
    expected = extract_features(speech, params=type(model.feature_params)()).mfcc
    assert body["frameCount"] == len(body["features"]) == expected.shape[0]
    assert len(body["features"][0]) == 13
    np.testing.assert_allclose(body["features"], expected, rtol=1e-5, atol=1e-4)
    assert body["duration"] == pytest.approx(3.0)


def test_extract_features_needs_a_key_and_one_fft_frame(api):
    assert_spec_error(APIClient().post("/extract-features", {"audioBuffer": [0.0] * 4096},
                                       format="json"), 401, "UNAUTHORIZED")
    error = assert_spec_error(api.post("/v1/extract-features", {"audioBuffer": [0.1] * 100},
                                       format="json"), 400, "INVALID_BUFFER_SIZE")
    assert "FFT frame" in error["message"]


def test_classify_genre_names_speech_from_extracted_features(api, speech):
    features = api.post("/extract-features", {"audioBuffer": speech.tolist()},
                        format="json").json()["features"]
    response = api.post("/classify-genre", {"features": features, "returnProbabilities": True},
                        format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["genre"] == "speech"
    assert body["confidence"] == pytest.approx(max(body["probabilities"].values()))
    assert set(body["probabilities"]) == {"speech", "rock", "jazz", "electronic", "classical"}
    assert sum(body["probabilities"].values()) == pytest.approx(1.0)
    assert body["secondaryGenre"] != body["genre"]
    assert body["modelVersion"] == load_model().version
    assert "probabilities" not in api.post("/classify-genre", {"features": features},
                                           format="json").json()
    assert api.get("/stats").json()["genres"]["speech"] == 2


@pytest.mark.parametrize(("body", "code"), [
    ({}, "MISSING_FEATURES"),
    ({"features": []}, "MISSING_FEATURES"),
    ({"features": [[0.0] * 12]}, "INVALID_PARAMETER"),
    ({"features": [[0.0] * 13, [0.0] * 12]}, "INVALID_PARAMETER"),
    ({"features": [["a"] * 13]}, "INVALID_PARAMETER"),
    ({"features": [[0.0] * 13], "returnProbabilities": "yes"}, "INVALID_PARAMETER"),
])
def test_classify_genre_refuses_bad_features(api, body, code):
    assert_spec_error(api.post("/classify-genre", body, format="json"), 400, code)


def test_a_missing_genre_model_is_a_503_that_says_how_to_make_it(api, monkeypatch, tmp_path):
    missing = Path(tmp_path) / "genre_model.json"
    monkeypatch.setattr(features_api, "load_model", lambda: load_model(missing))
    error = assert_spec_error(api.post("/classify-genre", {"features": [[0.0] * 13]},
                                       format="json"), 503, "SERVICE_UNAVAILABLE")
    assert "train_genre" in error["message"]


def test_a_body_over_the_servers_memory_limit_is_413_not_500(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.post("/extract-features", {"audioBuffer": [0.25] * 4096}, format="json")
    assert_spec_error(response, 413, "PAYLOAD_TOO_LARGE")
