"""Session auth with CSRF; another user's ids and files answer exactly like missing ones."""

import re

import pytest
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from audioservices.jobs.registry import all_kinds
from tests import signals
from tests.helpers import media_path

pytestmark = pytest.mark.django_db

NOT_FOUND = {"status": "error", "message": "File not found", "error": "File not found"}


@pytest.fixture
def alices_jobs(alice, client_for, tmp_path):
    """One job per service, created through the API (the worker is not needed here)."""
    data = signals.encoded(signals.tone(1.0), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    client = client_for(alice)
    jobs = {}
    for kind in all_kinds():
        form = signals.upload_form(kind.name, signals.upload(data, "a.wav"))
        jobs[kind.name] = client.post(reverse(f"{kind.name}-upload"), form).json()["file_id"]
    return jobs


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from _walk(pattern.url_patterns, route)
        else:
            yield route


def id_taking_routes() -> list[tuple[str, str, str]]:
    """Every URL pattern of a job service that takes an id, found through the resolver: a new
    endpoint is covered (and must scope by owner) without editing this test."""
    services = {kind.name for kind in all_kinds()}
    routes = []
    for route in _walk(get_resolver().url_patterns):
        parts = route.split("/")
        if len(parts) > 2 and parts[0] == "api" and parts[1] in services and "<int:" in route:
            method = "delete" if "delete" in route else "get"
            routes.append((parts[1], route, method))
    return routes


def test_the_matrix_covers_every_service():
    assert {service for service, _, _ in id_taking_routes()} == {k.name for k in all_kinds()}


@pytest.mark.parametrize(("service", "route", "method"), id_taking_routes())
def test_foreign_id_is_404_like_a_missing_one(
    alices_jobs, alice, bob, client_for, service, route, method
):
    client = client_for(bob)
    url = "/" + re.sub(r"<int:\w+>", "{id}", route)
    foreign = getattr(client, method)(url.format(id=alices_jobs[service]))
    missing = getattr(client, method)(url.format(id=999_999))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == NOT_FOUND
    status = client_for(alice).get(f"/api/{service}/files/{alices_jobs[service]}/status/")
    assert status.status_code == 200  # and A's job is still there


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
    path = media_path(url)
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


# Id-taking routes outside the job services, and the test that proves each is owner-scoped.
OTHER_OWNED_ROUTES = {
    "webhooks/<id>": "tests/mixer/test_webhook_api.py::test_someone_elses_webhook_answers_like_"
                     "a_missing_one",
    "webhooks/<id>/deliveries": "the same test (suffix /deliveries)",
    "accounts/api-keys/<id>/revoke": "tests/mixer/test_auth.py::test_keys_page_shows_a_new_key_"
                                     "once_and_revokes_it (bob's revoke of alice's key is 404)",
}


def test_every_id_taking_route_is_in_an_authorization_matrix():
    """A new endpoint that takes an id fails here until a cross-user test covers it."""
    jobs = {"/" + route for _, route, _ in id_taking_routes()}
    found = set()
    for route in _walk(get_resolver().url_patterns):
        if "<int:" in route or re.search(r"\(\?P<\w+_id>", route):
            found.add(route)
    unknown = set()
    for route in found - {r.lstrip("/") for r in jobs}:
        plain = re.sub(r"\^|\$|/\?|\?|\(\?P<\w+>[^)]*\)|<int:\w+>",
                       lambda m: "<id>" if "<" in m.group(0) else "", route)
        plain = plain.removeprefix("v1/").strip("/")
        if plain not in OTHER_OWNED_ROUTES:
            unknown.add(route)
    assert not unknown, f"id-taking routes with no cross-user test: {sorted(unknown)}"
