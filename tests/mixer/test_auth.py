"""Bearer keys: 401 for the mixer, and the same keys for the file services without CSRF."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from mixer.models import ApiKey
from tests import signals

pytestmark = pytest.mark.django_db


def assert_spec_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details", "timestamp", "requestId"}
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["timestamp"], int)
    assert error["requestId"] == response["X-Request-Id"]
    return error


def test_missing_key_is_401_unauthorized():
    response = APIClient().get("/config")
    assert_spec_error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer mx_not-a-key", "Bearer", "Bearer a b", "Token x"])
def test_bad_keys_are_401(alice_key, header):
    response = APIClient().get("/stats", HTTP_AUTHORIZATION=header)
    assert_spec_error(response, 401, "UNAUTHORIZED")


def test_revoked_key_is_refused(alice, make_key, key_client, client_for):
    raw = make_key(alice)
    assert key_client(raw).get("/config").status_code == 200
    key = ApiKey.objects.get(owner=alice)
    client_for(alice).post(f"/accounts/api-keys/{key.pk}/revoke/")
    assert_spec_error(key_client(raw).get("/config"), 401, "UNAUTHORIZED")


def test_key_is_stored_hashed_and_records_use(alice, alice_key, api):
    key = ApiKey.objects.get(owner=alice)
    assert alice_key not in (key.key_hash, key.prefix)
    assert alice_key.startswith(key.prefix)
    assert key.last_used_at is None
    api.get("/config")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_file_service_upload_with_a_key_needs_no_csrf_token(alice, alice_key, key_client,
                                                            tmp_path):
    client = key_client(alice_key, enforce_csrf_checks=True)
    data = signals.encoded(signals.tone(1.0), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    response = client.post("/api/boost/upload/", {"audio_file": signals.upload(data, "a.wav")})
    assert response.status_code == 200
    listed = client.get("/api/boost/files/").json()["files"]
    assert [job["id"] for job in listed] == [response.json()["file_id"]]
    assert APIClient().get("/api/boost/files/").status_code == 403  # and nobody else's


def test_file_service_with_a_bad_key_keeps_its_own_error_format():
    response = APIClient().get("/api/boost/files/", HTTP_AUTHORIZATION="Bearer mx_wrong")
    assert response.status_code == 403
    assert response.json()["status"] == "error"


def test_create_api_key_command_prints_a_working_key(alice, key_client, capsys):
    call_command("create_api_key", "alice", "--name", "ci", "--tier", "premium")
    raw = capsys.readouterr().out.strip()
    response = key_client(raw).get("/config")
    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "10000"
    assert ApiKey.objects.get(owner=alice).name == "ci"


def test_keys_page_shows_a_new_key_once_and_revokes_it(alice, bob, client_for, key_client):
    page = client_for(alice)
    created = page.post("/accounts/api-keys/", {"name": "laptop"})
    raw = created.context["new_key"]
    assert raw in created.content.decode()
    listing = page.get("/accounts/api-keys/").content.decode()
    assert raw not in listing
    assert "laptop" in listing
    key = ApiKey.objects.get(owner=alice)
    assert client_for(bob).post(f"/accounts/api-keys/{key.pk}/revoke/").status_code == 404
    assert key_client(raw).get("/config").status_code == 200
    assert page.post(f"/accounts/api-keys/{key.pk}/revoke/").status_code == 200
    assert key_client(raw).get("/config").status_code == 401


def test_keys_page_needs_login_and_a_name(alice, client_for):
    assert APIClient().get("/accounts/api-keys/").status_code == 302
    assert client_for(alice).post("/accounts/api-keys/", {"name": ""}).status_code == 400
    assert not ApiKey.objects.exists()


def test_admin_add_gives_the_key_once(alice, admin_client, key_client):
    response = admin_client.post("/admin/mixer/apikey/add/",
                                 {"owner": alice.pk, "name": "ops", "tier": "enterprise"},
                                 follow=True)
    message = next(str(m) for m in response.context["messages"])
    raw = next(word for word in message.split() if word.startswith("mx_"))
    assert key_client(raw).get("/config")["X-RateLimit-Limit"] == "unlimited"
