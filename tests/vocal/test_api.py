"""Spec §2 through the API: a real worker separates with the small HTDemucs from MODELS_DIR."""

import itertools
import secrets
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.conf import settings
from rest_framework.test import APIClient

from audioservices.audio.io import decode
from audioservices.audio.validate import probe
from audioservices.jobs.tasks import run_job
from tests import signals
from tests.helpers import descriptors_into, media_path
from vocal.models import VocalJob

# Jobs run by a worker (or by run_job here) need committed rows; the other tests stay
# non-transactional, so nothing they upload is ever queued.
through_worker = pytest.mark.django_db(transaction=True)


def poll(client: APIClient, file_id: int, timeout: float = 120.0) -> tuple[dict, list[int]]:
    """The final status, and every progress value seen on the way."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/vocal/files/{file_id}/status/").json()
        seen.append(body["progress"])
        if body["status"] not in ("pending", "processing"):
            return body, seen
        time.sleep(0.1)
    raise AssertionError(f"vocal job {file_id} still {body['status']} after {timeout} s")




def read(url: str) -> tuple:
    info = probe(media_path(url), max_duration_s=3600)
    return info, decode(media_path(url), info=info, max_duration_s=3600)


@through_worker
@pytest.mark.usefixtures("celery_worker", "tiny_model_installed")
@pytest.mark.parametrize(
    ("fmt", "rate", "channels"),
    [("wav", 44100, 2), ("mp3", 44100, 2), ("m4a", 48000, 1), ("flac", 22050, 1)],
)
def test_separation_keeps_the_input_format(tmp_path, alice, client_for, fmt, rate, channels):
    client = client_for(alice)
    audio = signals.tone(3.0, sample_rate=rate, channels=channels, amplitude=0.05)
    data = signals.encoded(audio, sample_rate=rate, fmt=fmt, tmp_path=tmp_path)
    response = client.post(
        "/api/vocal/separate/", {"audio_file": signals.upload(data, f"song.{fmt}")}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "success"
    assert response.json()["message"] == "Vocal separation started"
    body, progress = poll(client, response.json()["file_id"])
    assert body["status"] == "completed", body
    assert all(a <= b for a, b in itertools.pairwise(progress))
    assert progress[-1] == 100
    assert body["vocals_url"].endswith(f"_vocals.{fmt}")
    assert body["instrumental_url"].endswith(f"_instrumental.{fmt}")
    assert "/vocal_separation/vocals/" in body["vocals_url"]
    assert body["report"] == {"model": "tiny_htdemucs", "device": "cpu"}
    for url in (body["vocals_url"], body["instrumental_url"]):
        info, output = read(url)
        assert (info.format, info.sample_rate, info.channels) == (fmt, rate, channels)
        assert output.shape[1] / rate == pytest.approx(3.0, abs=0.1)  # AAC/MP3 priming


@through_worker
@pytest.mark.usefixtures("celery_worker", "tiny_model_installed")
def test_float_wav_stems_add_up_to_the_upload(tmp_path, alice, client_for):
    mix = signals.tone(4.0, channels=2, amplitude=0.2)
    mix[0] += 0.2 * np.resize(signals.speech(44100), mix.shape[1])
    path = tmp_path / "song.wav"
    sf.write(str(path), mix.T, 44100, subtype="FLOAT")
    client = client_for(alice)
    file_id = client.post(
        "/api/vocal/separate/", {"audio_file": signals.upload(path.read_bytes(), "song.wav")}
    ).json()["file_id"]
    body, _ = poll(client, file_id)
    (_, vocals), (_, instrumental) = read(body["vocals_url"]), read(body["instrumental_url"])
    np.testing.assert_allclose(vocals + instrumental, mix, atol=1e-6)
    assert np.sqrt(np.mean(vocals**2)) > 1e-4


@through_worker
def test_missing_weights_end_the_job_in_error_with_how_to_fetch(
    tmp_path, settings, alice, client_for
):
    settings.MODELS_DIR, settings.VOCAL_MODEL = tmp_path / "no-models", "htdemucs"
    stored = settings.MEDIA_ROOT / "uploads" / "vocal_separation" / "original" / "song.wav"
    stored.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(stored), signals.tone(1.0).T, 44100)
    job = VocalJob.objects.create(
        owner=alice,
        original_file=str(stored.relative_to(settings.MEDIA_ROOT)),
        original_filename="song.wav",
        audio_format="wav",
    )
    run_job("vocal", job.pk)  # the task itself, in this process, so it sees these settings
    body = client_for(alice).get(f"/api/vocal/files/{job.pk}/status/").json()
    assert body["status"] == "error"
    assert "demucs/955717e8-8726e21a.th" in body["error_message"]
    assert "python manage.py fetch_models demucs" in body["error_message"]
    assert body["vocals_url"] is None
    assert body["instrumental_url"] is None
    assert not list((settings.MEDIA_ROOT / "uploads" / "vocal_separation").rglob("song_*"))


@pytest.mark.django_db
def test_no_file_is_400_in_the_spec_shape(alice, client_for):
    response = client_for(alice).post("/api/vocal/separate/", {})
    assert response.status_code == 400
    assert response.json()["error"] == "No file provided"


@pytest.mark.django_db
def test_what_is_not_audio_is_415(alice, client_for):
    response = client_for(alice).post(
        "/api/vocal/separate/", {"audio_file": signals.upload(b"<html>no</html>", "song.mp3")}
    )
    assert response.status_code == 415
    assert response.json()["status"] == "error"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/vocal/files/", "/api/vocal/files/1/status/"])
def test_anonymous_is_403(url):
    assert APIClient().get(url).status_code == 403


@pytest.mark.django_db
def test_list_shows_only_the_owners_jobs(tmp_path, alice, bob, client_for):
    data = signals.encoded(signals.tone(1.0), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    mine = (
        client_for(alice)
        .post("/api/vocal/separate/", {"audio_file": signals.upload(data, "mine.wav")})
        .json()["file_id"]
    )
    client_for(bob).post("/api/vocal/separate/", {"audio_file": signals.upload(data, "bob.wav")})
    files = client_for(alice).get("/api/vocal/files/").json()["files"]
    assert [(f["id"], f["filename"], f["status"]) for f in files] == [(mine, "mine.wav", "pending")]


def stored_job(owner, audio: np.ndarray, *, subtype: str = "FLOAT") -> VocalJob:
    """A job on a float WAV written straight into MEDIA_ROOT, for run_job in this process."""
    folder = settings.MEDIA_ROOT / "uploads" / "vocal_separation" / "original"
    stored = folder / f"{secrets.token_hex(8)}.wav"  # other tests' outputs stay in MEDIA_ROOT
    stored.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(stored), audio.T, 44100, subtype=subtype)
    return VocalJob.objects.create(
        owner=owner,
        original_file=str(stored.relative_to(settings.MEDIA_ROOT)),
        original_filename="mix.wav",
        audio_format="wav",
    )




@through_worker
@pytest.mark.usefixtures("tiny_model_installed")
def test_the_job_streams_through_scratch_files_and_leaves_none(
    tmp_path, settings, alice, client_for
):
    settings.JOB_SCRATCH_DIR = tmp_path / "scratch"
    settings.JOB_SCRATCH_DIR.mkdir()
    mix = signals.tone(3.0, channels=2, amplitude=0.2)
    job = stored_job(alice, mix)
    run_job("vocal", job.pk)
    body = client_for(alice).get(f"/api/vocal/files/{job.pk}/status/").json()
    assert body["status"] == "completed", body
    (_, vocals), (_, instrumental) = read(body["vocals_url"]), read(body["instrumental_url"])
    np.testing.assert_allclose(vocals + instrumental, mix, atol=1e-6)
    assert list(settings.JOB_SCRATCH_DIR.iterdir()) == []
    assert descriptors_into(settings.JOB_SCRATCH_DIR) == []


@through_worker
def test_a_failed_job_leaves_no_scratch_or_output_files(tmp_path, settings, alice, client_for):
    settings.JOB_SCRATCH_DIR = tmp_path / "scratch"
    settings.JOB_SCRATCH_DIR.mkdir()
    settings.MODELS_DIR = tmp_path / "no-models"  # fails after the input is decoded to scratch
    job = stored_job(alice, signals.tone(2.0))
    run_job("vocal", job.pk)
    body = client_for(alice).get(f"/api/vocal/files/{job.pk}/status/").json()
    assert body["status"] == "error"
    assert list(settings.JOB_SCRATCH_DIR.iterdir()) == []
    assert descriptors_into(settings.JOB_SCRATCH_DIR) == []
    stem = Path(job.original_file.name).stem
    assert not list((settings.MEDIA_ROOT / "uploads" / "vocal_separation").rglob(f"{stem}_*"))


@through_worker
@pytest.mark.usefixtures("tiny_model_installed")
def test_the_scratch_folder_is_where_the_job_decodes(tmp_path, settings, alice, client_for):
    settings.JOB_SCRATCH_DIR = tmp_path / "not-there"
    job = stored_job(alice, signals.tone(2.0))
    run_job("vocal", job.pk)
    body = client_for(alice).get(f"/api/vocal/files/{job.pk}/status/").json()
    assert body["status"] == "error"
    assert body["vocals_url"] is None
