"""The shipped genre model, classify-genre bodies and the stream helper for genre "auto"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from audioservices.weights import WeightsMissing
from mixer.feature_requests import (
    INVALID_PARAMETER,
    MISSING_FEATURES,
    FeatureRequestError,
    parse_classify_request,
)
from mixer.features import extract_features
from mixer.genre import (
    DEFAULT_MODEL_PATH,
    GenreModelInvalid,
    GenreModelMissing,
    classify,
    load_model,
)
from mixer.genre_stream import GenreStreamState, genre_stream_update
from mixer.presets import GENRES
from tests.signals import DATA, load_mono

FS = 48000
FRAME = 960
UNSEEN_SPEAKERS = sorted((DATA / "speech").glob("en_ls*"))  # none of them is in the training set


@pytest.fixture(scope="module")
def model():
    return load_model(DEFAULT_MODEL_PATH)


def _window_mfcc(audio: np.ndarray, model) -> np.ndarray:
    return extract_features(audio[: 3 * FS], params=model.feature_params).mfcc


def test_shipped_model_covers_the_spec_genres(model) -> None:
    assert sorted(model.classes) == sorted(GENRES)
    assert model.num_coefficients == 13
    assert model.version


def test_classify_answers_in_the_spec_shape(model) -> None:
    mfcc = _window_mfcc(load_mono(UNSEEN_SPEAKERS[0] / sorted(
        p.name for p in UNSEEN_SPEAKERS[0].glob("*.flac"))[0], FS), model)

    body = classify(mfcc, return_probabilities=True, model=model)

    assert set(body) == {"genre", "confidence", "probabilities", "secondaryGenre",
                         "modelVersion"}
    assert set(body["probabilities"]) == set(GENRES)
    assert sum(body["probabilities"].values()) == pytest.approx(1.0)
    assert body["confidence"] == max(body["probabilities"].values())
    assert body["secondaryGenre"] != body["genre"]
    assert body["modelVersion"] == model.version
    assert "probabilities" not in classify(mfcc, return_probabilities=False, model=model)


def test_speech_of_unseen_speakers_is_classified_as_speech(model) -> None:
    """Ten LibriSpeech readers the model never heard, one 3 s window each."""
    verdicts = []
    for speaker in UNSEEN_SPEAKERS:
        clip = load_mono(next(p for p in sorted(speaker.glob("*.flac"))
                              if len(load_mono(p, 8000)) >= 3 * 8000), FS)
        verdicts.append(classify(_window_mfcc(clip, model), return_probabilities=False,
                                 model=model)["genre"])

    assert verdicts.count("speech") >= 0.8 * len(verdicts), verdicts


def test_level_does_not_change_the_verdict(model) -> None:
    """c0's mean (the level) is not a model input: 20 dB quieter gives the same answer."""
    music = load_mono(DATA / "music" / "electronic_colobot_proton.flac", FS)
    loud = classify(_window_mfcc(music, model), return_probabilities=True, model=model)
    quiet = classify(_window_mfcc(0.1 * music, model), return_probabilities=True, model=model)

    assert quiet["genre"] == loud["genre"]
    assert quiet["confidence"] == pytest.approx(loud["confidence"], abs=0.02)


def test_missing_model_file_is_a_clear_error_not_a_guess(tmp_path: Path) -> None:
    with pytest.raises(GenreModelMissing, match="train_genre") as caught:
        load_model(tmp_path / "absent.json")

    assert isinstance(caught.value, WeightsMissing)


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"format": "something else"}))

    with pytest.raises(GenreModelInvalid, match=r"cannot be used .*train_genre") as caught:
        load_model(path)

    assert isinstance(caught.value, WeightsMissing)  # so every endpoint answers 503 with it


# ----------------------------------------------------------------------------- request bodies


@pytest.mark.parametrize("body", [{}, {"features": None}, {"features": []},
                                  {"returnProbabilities": True}])
def test_missing_features_is_missing_features(body: dict) -> None:
    with pytest.raises(FeatureRequestError) as caught:
        parse_classify_request(body)

    assert caught.value.code == MISSING_FEATURES
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([[0.0] * 20] * 5, "20 coefficients; the model needs 13"),
        ([[]], "0 coefficients"),
        ([[0.0] * 13, [0.0] * 12], "array of arrays of numbers"),
        ([0.0] * 13, "array of arrays of numbers"),
        ([[0.0] * 12 + [float("nan")]], "non-finite"),
        ([[0.0] * 12 + [float("-inf")]] * 3, "3 non-finite"),
        ([["a"] * 13], "array of arrays of numbers"),
        ([[0.0] * 13] * 6001, "at most 6000"),
    ],
)
def test_bad_features_get_a_clear_error(features: list, message: str) -> None:
    with pytest.raises(FeatureRequestError, match=message) as caught:
        parse_classify_request({"features": features})

    assert caught.value.code == INVALID_PARAMETER
    assert caught.value.details["field"] == "features"


def test_return_probabilities_must_be_a_boolean() -> None:
    with pytest.raises(FeatureRequestError) as caught:
        parse_classify_request({"features": [[0.0] * 13], "returnProbabilities": "yes"})

    assert caught.value.details["field"] == "returnProbabilities"


def test_a_valid_body_parses_to_a_matrix() -> None:
    features, flag = parse_classify_request({"features": [[0.5] * 13] * 4,
                                             "returnProbabilities": True})

    assert features.shape == (4, 13)
    assert flag is True


# ----------------------------------------------------------------------------- stream helper


def _feed(state: GenreStreamState, audio: np.ndarray, model) -> list:
    updates = []
    for start in range(0, len(audio) - FRAME + 1, FRAME):
        update = genre_stream_update(state, audio[start : start + FRAME], model=model)
        updates.append(update)
        # Round-trip through JSON as if the state lived in Redis between requests.
        state = GenreStreamState.from_json(json.loads(json.dumps(update.state.to_json())))
    return updates


def test_stream_says_nothing_until_three_seconds(model) -> None:
    speech = load_mono(UNSEEN_SPEAKERS[1] / sorted(p.name for p in UNSEEN_SPEAKERS[1].glob(
        "*.flac"))[0], FS)
    updates = _feed(GenreStreamState(), np.tile(speech, 2)[: 4 * FS], model)

    first = next(i for i, u in enumerate(updates) if u.genre is not None)
    assert first == 3 * FS // FRAME - 1  # the 150th frame completes 3 s
    assert all(u.confidence is None for u in updates[:first])
    assert updates[first].changed
    assert 0 < updates[first].confidence <= 1


def test_stream_window_matches_classifying_the_last_three_seconds(model) -> None:
    music = load_mono(DATA / "music" / "orchestral_hedgewars_castle.flac", FS)[: 5 * FS]
    updates = _feed(GenreStreamState(), music, model)

    last_classified = 3 * FS + 100 * FRAME  # classifications at 3 s, then every 25 frames
    whole = extract_features(music[:last_classified], params=model.feature_params).mfcc
    expected = classify(whole[-278:], return_probabilities=False, model=model)
    assert updates[-1].genre == expected["genre"]
    assert updates[-1].confidence == pytest.approx(expected["confidence"], abs=1e-4)


def test_stream_reports_a_change_of_genre(model) -> None:
    speech = np.concatenate([load_mono(p, FS) for p in sorted(UNSEEN_SPEAKERS[2].glob(
        "*.flac"))])[: 4 * FS]
    music = load_mono(DATA / "music" / "electronic_colobot_proton.flac", FS)[: 8 * FS]
    updates = _feed(GenreStreamState(), np.concatenate([speech, music]), model)

    changes = [(u.genre, u.confidence) for u in updates if u.changed]
    assert changes[0][0] == "speech"
    assert len(changes) >= 2
    assert updates[-1].genre != "speech"
