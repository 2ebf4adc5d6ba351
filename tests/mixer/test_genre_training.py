"""``manage.py train_genre`` end to end, and the by-track held-out accuracy of the method."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from sklearn.metrics import balanced_accuracy_score

from audioservices.audio.io import encode
from mixer.features import FeatureParams, extract_features
from mixer.genre import classify, load_model
from mixer.genre_training import (
    Clip,
    build_dataset,
    find_clips,
    make_classifier,
    to_genre_model,
    track_of,
)
from tests.signals import load_mono

GENRE_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "genre"
SOURCES = {  # class -> real clips of two different source tracks
    "speech": ["speech/dctts_LJ001-0001.flac", "speech/libri_198-209-0000.flac"],
    "rock": ["rock/fof-muldjord__armygeddon__01.flac", "rock/ufoai__david01__01.flac"],
    "jazz": ["jazz/openmsx__moo__01.flac", "jazz/macleod_vibe_ace.flac"],
    "electronic": ["electronic/nexuiz__calling-bogus__01.flac",
                   "electronic/wz2100__legacy-track13__01.flac"],
    "classical": ["classical/wesnoth__elvish-theme__01.flac",
                  "classical/brahms_hungarian_dance_5.flac"],
}
FORMATS = ("wav", "flac", "mp3")


@pytest.fixture
def fixture_tree(tmp_path: Path) -> Path:
    """5 classes x 2 source tracks x 2 clips of 2.5 s, in WAV, FLAC and MP3, cut from real
    recordings at 22.05 kHz (the rate of the shipped training data)."""
    root = tmp_path / "genres"
    for label, files in SOURCES.items():
        (root / label).mkdir(parents=True)
        for t, name in enumerate(files):
            audio = load_mono(GENRE_DATA / name, 22050)
            for k in range(2):
                clip = audio[k * 55125 : (k + 1) * 55125][None, :]
                fmt = FORMATS[(t + k) % 3]
                encode(root / label / f"src{t}__track{t}__{k}.{fmt}", clip, sample_rate=22050,
                       fmt=fmt)
    return root


def test_track_of_groups_the_clips_of_one_track() -> None:
    assert track_of(Path("rock/fof-sectoid__feelings__03.flac")) == "rock/fof-sectoid__feelings"
    assert track_of(Path("jazz/macleod_vibe_ace.flac")) == "jazz/macleod_vibe_ace"


@pytest.mark.slow
def test_train_command_writes_a_model_the_service_loads(fixture_tree: Path,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "model" / "genre_model.json"
    stdout = io.StringIO()

    call_command("train_genre", str(fixture_tree), "--out", str(out), "--folds", "2",
                 "--model-version", "0.0.1-test", stdout=stdout)

    printed = stdout.getvalue()
    assert "confusion matrix" in printed
    for label in SOURCES:
        assert label in printed
    assert "precision" in printed
    assert "recall" in printed
    report = (out.parent / "TRAINING_REPORT.txt").read_text()
    assert "confusion matrix" in report
    model = load_model(out)
    assert sorted(model.classes) == sorted(SOURCES)
    assert model.version == "0.0.1-test"
    mfcc = extract_features(load_mono(GENRE_DATA / SOURCES["rock"][0], 48000)[: 2 * 48000],
                            params=model.feature_params).mfcc
    body = classify(mfcc, return_probabilities=True, model=model)
    assert body["genre"] in SOURCES
    assert body["modelVersion"] == "0.0.1-test"


def test_train_command_refuses_a_class_with_one_track(fixture_tree: Path,
                                                      tmp_path: Path) -> None:
    for path in (fixture_tree / "jazz").glob("src1__*"):
        path.unlink()

    with pytest.raises(CommandError, match="single source track"):
        call_command("train_genre", str(fixture_tree), "--out", str(tmp_path / "m.json"),
                     stdout=io.StringIO())
    assert not (tmp_path / "m.json").exists()


def test_train_command_refuses_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no <class>"):
        call_command("train_genre", str(tmp_path), "--out", str(tmp_path / "m.json"))


# Tracks for the held-out check: trained on the first list, tested on the second; no track
# (and, for speech, no speaker) is on both sides. Names are glob prefixes under data/genre/
# <class>/; FSDD reaches data/genre_extra's spoken digits (4 speakers train, 2 others test).
FSDD = "../../genre_extra/speech_fsdd_8k/"
TRAIN_TRACKS = {
    "speech": ["dctts_LJ001-00", "libri_198-", "libri_3436-",
               *(f"{FSDD}fsdd_{d}_{who}" for d in range(10)
                 for who in ("george", "jackson", "lucas", "nicolas"))],
    "rock": ["fof-muldjord__armygeddon", "fof-sectoid__metal-madness", "ufoai__david01"],
    "jazz": ["openmsx__moo", "openmsx__be-sharp-bw", "openmsx__busy-schedule"],
    "electronic": ["nexuiz__calling-bogus", "singularity__coherence", "wz2100__legacy-track13"],
    "classical": ["wesnoth__elvish-theme", "wesnoth__journeys-end", "wesnoth__into-the-shadows"],
}
TEST_TRACKS = {
    "speech": ["libri_5703-", *(f"{FSDD}fsdd_{d}_{who}" for d in range(10)
                                for who in ("theo", "yweweler"))],
    "rock": ["fof-sectoid__escape-from-chaosland", "ufoai__david02"],
    "jazz": ["openmsx__say-what", "openmsx__no-work-song"],
    "electronic": ["nexuiz__digital-pursuit", "ufoai__marine02"],
    "classical": ["wesnoth__the-king-is-dead", "wesnoth__silvan-sanctuary"],
}


def _clips(tracks: dict[str, list[str]], clips_per_track: int) -> list[Clip]:
    clips = []
    for label, names in tracks.items():
        for name in names:
            paths = sorted((GENRE_DATA / label).glob(f"{name}*"))[:clips_per_track]
            clips += [Clip(path.resolve(), label, track_of(path)) for path in paths]
    return clips


@pytest.mark.slow
def test_held_out_tracks_are_classified_far_better_than_chance() -> None:
    params = FeatureParams()
    train = build_dataset(_clips(TRAIN_TRACKS, 4), params, print)
    test = build_dataset(_clips(TEST_TRACKS, 1), params, print)
    assert not set(train.tracks) & set(test.tracks)

    fitted = make_classifier("logreg").fit(train.vectors, train.labels)
    model = to_genre_model(fitted, version="held-out", params=params)
    predicted = [model.classes[int(np.argmax(model.probabilities_of_summary(v)))]
                 for v in test.vectors]

    # Five classes: chance is 0.2. The NumPy inference must agree with scikit-learn's.
    assert predicted == list(fitted.predict(test.vectors))
    assert balanced_accuracy_score(test.labels, predicted) >= 0.5


def test_find_clips_reads_class_folders(fixture_tree: Path) -> None:
    clips = find_clips(fixture_tree)

    assert {c.label for c in clips} == set(SOURCES)
    assert {c.path.suffix for c in clips} == {".wav", ".flac", ".mp3"}
    assert len({c.track for c in clips}) == 10
