"""The worker draws waveform pictures of input and outputs; only the owner can fetch them."""

import io

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from tests import signals
from tests.helpers import media_path, wait_for_job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


def drawn_height(png: bytes) -> int:
    """The tallest column: the picture of the loudest moment."""
    pixels = np.asarray(Image.open(io.BytesIO(png)))
    return int((pixels[:, :, 3] > 0).sum(axis=0).max())


def completed_boost_job(client, tmp_path) -> dict:
    speech = signals.speech(44100)[None, :]
    audio = speech * (0.1 / np.abs(speech).max())  # peaks at 0.1; +14 dB takes it to 0.5
    data = signals.encoded(audio, sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    file_id = client.post("/api/boost/upload/", {"audio_file": signals.upload(data, "q.wav"),
                                                  "boost_level": "5x"}).json()["file_id"]
    body = wait_for_job(client, "boost", file_id)
    assert body["status"] == "completed", body
    return body


def test_completed_job_has_pictures_of_input_and_output(tmp_path, alice, client_for):
    client = client_for(alice)
    body = completed_boost_job(client, tmp_path)
    pictures = body["waveforms"]
    assert set(pictures) == {"original_url", "boosted_url"}
    assert pictures["original_url"] == body["original_url"] + ".waveform.png"
    responses = {key: client.get(url) for key, url in pictures.items()}
    assert {r.status_code for r in responses.values()} == {200}
    assert responses["boosted_url"]["Content-Type"] == "image/png"
    assert 'filename="q_boosted_waveform.png"' in responses["boosted_url"]["Content-Disposition"]
    heights = {key: drawn_height(b"".join(r.streaming_content)) for key, r in responses.items()}
    assert heights["boosted_url"] > 3 * heights["original_url"]  # +14 dB: five times taller


def test_pictures_are_the_owners_only_and_go_with_the_job(tmp_path, alice, bob, client_for):
    owner = client_for(alice)
    body = completed_boost_job(owner, tmp_path)
    picture = body["waveforms"]["boosted_url"]
    stranger = client_for(bob).get(picture)
    assert stranger.status_code == 404
    assert stranger.json()["message"] == "File not found"
    path = media_path(picture)
    assert path.exists()
    owner.delete(f"/api/boost/files/{body['id']}/delete/")
    assert not path.exists()
    assert owner.get(picture).status_code == 404


def test_unfinished_and_failed_jobs_have_no_pictures(tmp_path, alice, client_for):
    audio = signals.tone(1.0, channels=1)
    audio[0, 10] = np.inf
    path = tmp_path / "inf.wav"
    sf.write(str(path), audio.T, 44100, subtype="FLOAT")
    client = client_for(alice)
    upload = signals.upload(path.read_bytes(), "inf.wav")
    file_id = client.post("/api/boost/upload/", {"audio_file": upload}
                          ).json()["file_id"]
    body = wait_for_job(client, "boost", file_id)
    assert body["status"] == "failed"
    assert body["waveforms"] == {"original_url": None, "boosted_url": None}
