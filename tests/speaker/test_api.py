"""Speaker extraction's two uploads: both required, both checked, both owned, both deleted."""

import pytest

from audioservices.audio.errors import UNSUPPORTED_TYPE
from audioservices.jobs.errors import BOTH_FILES_REQUIRED
from tests import signals
from tests.helpers import media_path, stored_files

pytestmark = pytest.mark.django_db

NOT_FOUND = {"status": "error", "message": "File not found", "error": "File not found"}




@pytest.fixture
def wav(tmp_path) -> bytes:
    return signals.encoded(signals.tone(1.0, channels=1), sample_rate=16000, fmt="wav",
                           tmp_path=tmp_path)


@pytest.fixture
def alices_job(alice, client_for, wav) -> dict:
    client = client_for(alice)
    response = client.post("/api/speaker/extract/", {
        "conversation_file": signals.upload(wav, "meeting.wav"),
        "target_speaker_file": signals.upload(wav, "sample.wav"), "boost_level": "2x"})
    assert response.status_code == 200, response.content
    return client.get(f"/api/speaker/files/{response.json()['file_id']}/status/").json()


@pytest.mark.parametrize("fields", [{"conversation_file"}, {"target_speaker_file"}, set()])
def test_a_missing_file_is_400_with_the_spec_message(alice, client_for, wav, fields):
    before = stored_files()
    data = {name: signals.upload(wav, "a.wav") for name in fields}
    response = client_for(alice).post("/api/speaker/extract/", data)
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert response.json()["message"] == BOTH_FILES_REQUIRED
    assert stored_files() == before


@pytest.mark.parametrize("bad", ["conversation_file", "target_speaker_file"])
def test_either_file_not_audio_is_415_and_nothing_is_kept(alice, client_for, wav, bad):
    before = stored_files()
    data = {"conversation_file": signals.upload(wav, "c.wav"),
            "target_speaker_file": signals.upload(wav, "t.wav")}
    data[bad] = signals.upload(b"<html>not audio</html>" * 10, "x.mp3")
    response = client_for(alice).post("/api/speaker/extract/", data)
    assert response.status_code == 415
    assert response.json()["message"] == UNSUPPORTED_TYPE
    assert stored_files() == before


def test_bad_boost_level_is_400(alice, client_for, wav):
    response = client_for(alice).post("/api/speaker/extract/", {
        "conversation_file": signals.upload(wav, "c.wav"),
        "target_speaker_file": signals.upload(wav, "t.wav"), "boost_level": "9x"})
    assert response.status_code == 400
    assert "boost_level" in response.json()["message"]


def test_status_has_the_spec_fields(alices_job):
    assert alices_job["conversation_filename"] == "meeting.wav"
    assert alices_job["target_filename"] == "sample.wav"
    assert alices_job["boost_level"] == "2x"
    assert alices_job["status"] == "pending"
    assert alices_job["conversation_url"].startswith("/media/uploads/speaker_extraction/conversations/")
    assert alices_job["target_url"].startswith("/media/uploads/speaker_extraction/targets/")
    assert alices_job["extracted_url"] is None
    assert alices_job["similarity_score"] is None
    assert alices_job["error_message"] is None


def test_list_shows_the_owners_jobs_only(alices_job, alice, bob, client_for):
    assert [f["id"] for f in client_for(alice).get("/api/speaker/files/").json()["files"]] == [
        alices_job["id"]]
    assert client_for(bob).get("/api/speaker/files/").json() == {"files": []}


@pytest.mark.parametrize(("method", "route"), [("get", "status"), ("delete", "delete")])
def test_foreign_id_is_404_like_a_missing_one(alices_job, bob, client_for, method, route):
    client = client_for(bob)
    foreign = getattr(client, method)(f"/api/speaker/files/{alices_job['id']}/{route}/")
    missing = getattr(client, method)(f"/api/speaker/files/999999/{route}/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == NOT_FOUND


@pytest.mark.parametrize(("url_field", "download_name"),
                         [("conversation_url", "meeting.wav"), ("target_url", "sample.wav")])
def test_both_uploads_are_served_to_their_owner_only(
    alices_job, alice, bob, client_for, url_field, download_name
):
    url = alices_job[url_field]
    owner = client_for(alice).get(url)
    assert owner.status_code == 200
    assert owner["Content-Disposition"].endswith(f'filename="{download_name}"')
    foreign = client_for(bob).get(url)
    assert foreign.status_code == 404
    assert foreign.json() == NOT_FOUND


def test_delete_removes_the_job_and_both_files(
    alices_job, alice, client_for, django_capture_on_commit_callbacks
):
    paths = [media_path(alices_job[f])
             for f in ("conversation_url", "target_url")]
    assert all(p.exists() for p in paths)
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/speaker/files/{alices_job['id']}/delete/")
    assert response.json() == {"status": "success", "message": "File deleted successfully"}
    assert not any(p.exists() for p in paths)
    assert client.get(f"/api/speaker/files/{alices_job['id']}/status/").status_code == 404
