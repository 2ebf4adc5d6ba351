"""The full path: upload both files, a real worker extracts with the real encoder and VAD."""

import numpy as np
import pytest
import soundfile as sf
from django.conf import settings

from audioservices.audio.io import decode
from audioservices.audio.validate import probe
from speaker.encoders import resolve_encoder_name
from tests import signals
from tests.helpers import media_path, wait_for_job
from tests.speaker.conversation import RATE, build

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker"),
              pytest.mark.slow]

TIMEOUT_S = 600.0  # a shared 2-core machine; the test asserts results, never speed


def flac(audio: np.ndarray, tmp_path, name: str) -> bytes:
    path = tmp_path / name
    sf.write(str(path), audio, RATE, subtype="PCM_24")
    return path.read_bytes()


def extract(client, tmp_path, conversation: np.ndarray, target: np.ndarray, **data) -> dict:
    response = client.post("/api/speaker/extract/", {
        "conversation_file": signals.upload(flac(conversation, tmp_path, "c.flac"), "meeting.flac"),
        "target_speaker_file": signals.upload(flac(target, tmp_path, "t.flac"), "sample.flac"),
        **data})
    assert response.status_code == 200, response.content
    assert response.json()["message"] == "Speaker extraction started"
    return wait_for_job(client, "speaker", response.json()["file_id"], timeout=TIMEOUT_S)


def extracted(body: dict) -> np.ndarray:
    path = media_path(body["extracted_url"])
    return decode(path, info=probe(path, max_duration_s=3600), max_duration_s=3600)[0]


def test_extraction_keeps_the_target_and_scores_the_right_target_higher(
    tmp_path, alice, client_for
):
    # A woman and two men take turns, some turns overlapping; the sample is not in the mix.
    talk = build("en_ls3331_f", ["en_ls2033_m", "en_ls2609_m"], turns=3)
    wrong_sample = build("en_ls1998_f", [], turns=1).enrolment
    client = client_for(alice)
    right = extract(client, tmp_path, talk.mix, talk.enrolment)
    wrong = extract(client, tmp_path, talk.mix, wrong_sample, boost_level="2x")

    assert right["status"] == "completed", right
    assert right["extracted_url"].endswith("_extracted.flac")
    assert right["encoder"] == resolve_encoder_name(settings.SPEAKER_ENCODER,
                                                    models_dir=settings.MODELS_DIR)
    before = signals.si_sdr(talk.mix, talk.target_only)
    after = signals.si_sdr(extracted(right), talk.target_only)
    assert after > before + 6.0, (before, after)
    assert right["similarity_score"] >= 70
    assert wrong["status"] == "completed", wrong
    assert wrong["similarity_score"] < right["similarity_score"]
    assert wrong["report"]["gain_requested_db"] == 6.0
    kept = [s for s in right["timeline"] if s["target"]]
    assert kept
    assert all(s["score"] >= 40 for s in kept)
    assert set(right["timeline"][0]) == {"start", "end", "score", "target"}


@pytest.mark.parametrize(("sample", "message"), [
    (np.zeros(5 * RATE, np.float32), "silent or contains no speech"),
    ("short", "at least 2 s are needed"),
])
def test_an_unusable_target_sample_fails_the_job_with_a_clear_message(
    tmp_path, alice, client_for, sample, message
):
    talk = build("en_ls3331_f", ["en_ls2033_m"], turns=1)
    if isinstance(sample, str):  # 1.2 s of real speech, then silence
        sample = np.concatenate([talk.enrolment[: int(1.2 * RATE)], np.zeros(3 * RATE, np.float32)])
    body = extract(client_for(alice), tmp_path, talk.mix, sample)
    assert body["status"] == "failed"
    assert message in body["error_message"]
    assert body["extracted_url"] is None
    assert body["similarity_score"] is None
