"""Engine parts without Django: encoders behind one interface, target checks, calibration."""

import json

import numpy as np
import pytest
import torch

from audioservices.weights import WeightsMissing
from speaker.calibration import (
    CALIBRATION_FILE,
    Calibration,
    CalibrationMissing,
    LogisticMap,
    load_calibration,
)
from speaker.encoders import EcapaEncoder, load_encoder, resolve_encoder_name
from speaker.engine import (
    TARGET_MANY_SPEAKERS,
    TargetSampleError,
    embed_windows,
    extract_speaker,
    target_embedding,
    unit,
    window_starts,
)
from tests.signals import load_mono
from tests.speaker.conversation import RATE, _even, build, utterances
from tests.speaker.ecapa import write_random_ecapa


@pytest.fixture(scope="module")
def ge2e(tmp_path_factory):
    return load_encoder("ge2e", models_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def ecapa_dir(tmp_path_factory):
    models_dir = tmp_path_factory.mktemp("models")
    write_random_ecapa(models_dir)
    return models_dir


def voices(speaker: str, count: int) -> np.ndarray:
    return np.concatenate([_even(load_mono(p, RATE)) for p in utterances(speaker)[:count]])


def test_ecapa_loads_with_speechbrains_loader_from_models_dir(ecapa_dir):
    encoder = load_encoder("ecapa", models_dir=ecapa_dir)
    assert isinstance(encoder, EcapaEncoder)
    wav = voices("en_ls533_f", 2)
    starts = np.array([0, RATE, 2 * RATE])
    first, again = encoder.embed_at(wav, starts), encoder.embed_at(wav, starts)
    assert first.shape == (3, 192)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(first, again, atol=1e-5)
    assert not np.allclose(first[0], first[2], atol=1e-3)


def test_missing_ecapa_weights_say_how_to_fetch_them(tmp_path):
    with pytest.raises(WeightsMissing, match="fetch_models ecapa"):
        load_encoder("ecapa", models_dir=tmp_path)


def test_auto_takes_ge2e_unless_ecapa_is_present_and_calibrated(ecapa_dir, tmp_path):
    ecapa_calibrated = "ecapa" in json.loads(CALIBRATION_FILE.read_text())["encoders"]
    assert resolve_encoder_name("auto", models_dir=tmp_path) == "ge2e"
    assert resolve_encoder_name("auto", models_dir=ecapa_dir) == (
        "ecapa" if ecapa_calibrated else "ge2e"
    )
    assert resolve_encoder_name("ecapa", models_dir=tmp_path) == "ecapa"
    with pytest.raises(ValueError, match="SPEAKER_ENCODER"):
        resolve_encoder_name("xvector", models_dir=tmp_path)


def test_extraction_runs_end_to_end_with_ecapa(ecapa_dir):
    # Random weights: this checks the ECAPA path's plumbing and shapes, not its quality.
    talk = build("en_ls3331_f", ["en_ls2033_m"], turns=1)
    stereo = np.stack([talk.mix, 0.5 * talk.mix])
    flat = LogisticMap(slope=1.0, intercept=0.0)
    result = extract_speaker(
        stereo,
        sample_rate=RATE,
        target=talk.enrolment[None],
        target_sample_rate=RATE,
        encoder=load_encoder("ecapa", models_dir=ecapa_dir),
        calibration=Calibration("ecapa", utterance=flat, window=flat),
    )
    assert result.audio.shape == (2, talk.mix.size)
    assert 0 <= result.similarity_score <= 100
    assert result.timeline


def test_a_target_sample_of_two_voices_is_refused(ge2e):
    two = np.concatenate([voices("en_ls3331_f", 2), voices("en_ls2033_m", 2)])
    with pytest.raises(TargetSampleError, match=TARGET_MANY_SPEAKERS[:40]):
        target_embedding(two, encoder=ge2e, calibration=load_calibration("ge2e"))


def test_a_target_sample_of_one_voice_is_accepted(ge2e):
    one = voices("en_ls3331_f", 3)
    embedding = target_embedding(one, encoder=ge2e, calibration=load_calibration("ge2e"))
    assert np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-5)


def test_a_conversation_without_speech_keeps_nothing_and_scores_zero(ge2e):
    silence = np.zeros((1, 10 * RATE), np.float32)
    result = extract_speaker(
        silence,
        sample_rate=RATE,
        target=voices("en_ls533_f", 2)[None],
        target_sample_rate=RATE,
        encoder=ge2e,
        calibration=load_calibration("ge2e"),
    )
    assert result.similarity_score == 0.0
    assert result.timeline == []
    assert not result.audio.any()


def test_the_committed_calibration_gives_the_specs_reading():
    fitted = json.loads(CALIBRATION_FILE.read_text())["encoders"]["ge2e"]["utterance"]
    assert fitted["mean_score_same"] >= 70
    assert fitted["mean_score_different"] < 50
    calibration = load_calibration("ge2e")
    assert calibration.score(fitted["cosine_same_mean"]) >= 70
    assert calibration.score(fitted["cosine_different_mean"]) < 50
    assert calibration.score(0.2) < calibration.score(0.6) < calibration.score(0.95)


def test_an_encoder_without_calibration_says_how_to_fit_it():
    with pytest.raises(CalibrationMissing, match="calibrate_speaker --encoder nope"):
        load_calibration("nope")


def test_a_mistyped_encoder_setting_fails_the_system_check(settings):
    from speaker.checks import speaker_encoder_setting

    settings.SPEAKER_ENCODER = "ecapa"
    assert speaker_encoder_setting(None) == []
    settings.SPEAKER_ENCODER = "xvector"
    assert [e.id for e in speaker_encoder_setting(None)] == ["speaker.E001"]


def test_the_score_from_the_conversations_windows_matches_embedding_the_kept_speech(ge2e):
    # The score reuses the windows the decision embedded; embedding the kept speech again
    # (what it replaced) must give the same reading. Torch's thread count is left as found.
    talk = build("en_ls3331_f", ["en_ls2033_m"], turns=2)
    calibration = load_calibration("ge2e")
    found = torch.get_num_threads()
    threads = 2  # not the 1 the job uses (and another test module may already have set 1)
    torch.set_num_threads(threads)
    try:
        result = extract_speaker(
            talk.mix[None].copy(),
            sample_rate=RATE,
            target=talk.enrolment[None],
            target_sample_rate=RATE,
            encoder=ge2e,
            calibration=calibration,
        )
        assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(found)
    kept = np.concatenate(
        [talk.mix[round(s.start * RATE) : round(s.end * RATE)] for s in result.timeline if s.target]
    )
    windows = embed_windows(ge2e, kept, window_starts([(0, kept.size)], kept.size))
    reference = target_embedding(talk.enrolment, encoder=ge2e, calibration=calibration)
    again = float(unit(windows.mean(axis=0)) @ reference)
    assert result.similarity_score >= 70
    # Compared as cosines: the score saturates near 100. Weighting every window alike, kept or
    # not, gives 0.87 here against 0.91.
    scored = calibration.utterance.cosine_at(result.similarity_score / 100)
    assert scored == pytest.approx(again, abs=0.015)
