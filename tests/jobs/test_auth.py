"""Session auth with CSRF; another user's ids and files answer exactly like missing ones."""

import pytest
from django.urls import get_resolver
from rest_framework.test import APIClient

from audioservices.jobs.registry import all_kinds
from tests import signals

pytestmark = pytest.mark.django_db

NOT_FOUND = {"status": "error", "message": "File not found", "error": "File not found"}


@pytest.fixture
def alices_jobs(alice, client_for, tmp_path):
    """One job per single-upload service, created through the API (no worker needed here);
    speaker extraction (two uploads) has its own in tests/speaker."""
    data = signals.encoded(signals.tone(1.0), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    client = client_for(alice)
    return {kind.name: client.post(f"/api/{kind.name}/upload/",
                                   {"audio_file": signals.upload(data, "a.wav")}).json()["file_id"]
            for kind in all_kinds() if not kind.model.extra_inputs}


def id_taking_routes() -> list[tuple[str, str, str]]:
    """Every URL pattern with a file_id under /api/: a new one is covered automatically."""
    routes = []
    for service in ("denoise", "boost"):
        for pattern in get_resolver().url_patterns:
            if str(pattern.pattern) == f"api/{service}/":
                for sub in pattern.url_patterns:
                    if "file_id" in str(sub.pattern):
                        method = "delete" if "delete" in str(sub.pattern) else "get"
                        routes.append((service, str(sub.pattern), method))
    return routes


@pytest.mark.parametrize(("service", "route", "method"), id_taking_routes())
def test_foreign_id_is_404_like_a_missing_one(alices_jobs, bob, client_for, service, route, method):
    client = client_for(bob)
    url = "/api/{service}/" + route.replace("<int:file_id>", "{id}")
    foreign = getattr(client, method)(url.format(service=service, id=alices_jobs[service]))
    missing = getattr(client, method)(url.format(service=service, id=999_999))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == NOT_FOUND


def test_foreign_delete_leaves_the_job(alices_jobs, alice, bob, client_for):
    client_for(bob).delete(f"/api/boost/files/{alices_jobs['boost']}/delete/")
    assert client_for(alice).get(f"/api/boost/files/{alices_jobs['boost']}/status/").status_code == 200


def test_media_is_served_to_its_owner_only(alices_jobs, alice, bob, client_for):
    url = client_for(alice).get(f"/api/denoise/files/{alices_jobs['denoise']}/status/").json()[
        "original_url"]
    owner = client_for(alice).get(url)
    assert owner.status_code == 200
    assert b"".join(owner.streaming_content)[:4] == b"RIFF"
    assert owner["Content-Disposition"].endswith('filename="a.wav"')
    assert client_for(bob).get(url).status_code == 404
    assert client_for(bob).get("/media/uploads/original/nothing.wav").status_code == 404
    assert APIClient().get(url).status_code == 403


def test_owner_delete_removes_job_and_files(
    alices_jobs, alice, client_for, settings, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    url = client.get(f"/api/boost/files/{alices_jobs['boost']}/status/").json()["original_url"]
    path = settings.MEDIA_ROOT / url.removeprefix("/media/")
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):  # files go once the row is gone
        response = client.delete(f"/api/boost/files/{alices_jobs['boost']}/delete/")
    assert response.json() == {"status": "success", "message": "File deleted successfully"}
    assert not path.exists()
    assert client.get(f"/api/boost/files/{alices_jobs['boost']}/status/").status_code == 404


@pytest.mark.parametrize("url", ["/api/denoise/files/", "/api/boost/files/1/status/"])
def test_anonymous_requests_get_json_not_a_login_page(url):
    response = APIClient().get(url)
    assert response.status_code == 403
    assert response.json()["status"] == "error"


def test_session_post_without_csrf_token_is_refused(alice, tmp_path):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="alice", password="pw-alice")
    data = signals.encoded(signals.tone(1.0), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    response = client.post("/api/boost/upload/", {"audio_file": signals.upload(data, "a.wav")})
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    client.get("/accounts/login/")  # sets the csrftoken cookie, as a browser would
    token = client.cookies["csrftoken"].value
    response = client.post("/api/boost/upload/", {"audio_file": signals.upload(data, "a.wav")},
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
