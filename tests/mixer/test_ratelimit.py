"""Per-key, per-tier limits in Redis: headers on every response, 403 over the limit."""

import time

import pytest

from tests.mixer.test_auth import assert_spec_error

pytestmark = pytest.mark.django_db

SMALL = {"standard": 3, "premium": 5, "enterprise": None}


def test_headers_on_success_and_on_errors(api):
    ok = api.get("/config")
    assert ok["X-RateLimit-Limit"] == "1000"
    assert ok["X-RateLimit-Remaining"] == "999"
    reset = int(ok["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 60
    bad = api.post("/process-audio", {"audioBuffer": [0.0]}, format="json")
    assert bad.status_code == 400
    assert bad["X-RateLimit-Remaining"] == "998"


def test_over_the_limit_is_403_with_retry_after(api, settings):
    settings.MIXER_RATE_LIMITS = SMALL
    remaining = [api.get("/stats")["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = api.get("/stats")
    error = assert_spec_error(refused, 403, "RATE_LIMIT_EXCEEDED")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert error["details"]["retryAfter"] == int(refused["Retry-After"])
    assert refused["X-RateLimit-Limit"] == "3"
    assert refused["X-RateLimit-Remaining"] == "0"


def test_limits_are_per_key_and_per_tier(api, alice, make_key, key_client, settings):
    settings.MIXER_RATE_LIMITS = SMALL
    for _ in range(4):
        api.get("/config")
    premium = key_client(make_key(alice, tier="premium")).get("/config")
    assert premium.status_code == 200
    assert (premium["X-RateLimit-Limit"], premium["X-RateLimit-Remaining"]) == ("5", "4")
    enterprise = key_client(make_key(alice, tier="enterprise"))
    for _ in range(6):
        response = enterprise.get("/config")
    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "unlimited"


def test_file_services_share_the_keys_budget(api, settings):
    settings.MIXER_RATE_LIMITS = SMALL
    for _ in range(3):
        assert api.get("/api/boost/files/").status_code == 200
    refused = api.get("/api/denoise/files/")
    assert refused.status_code == 429
    assert refused.json()["status"] == "error"  # the file services' own format
    assert refused["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" in refused


def test_public_health_is_not_limited_without_a_key(api, settings):
    from rest_framework.test import APIClient

    settings.MIXER_RATE_LIMITS = SMALL
    settings.MIXER_HEALTH_WORKER_TIMEOUT_S = 0.05
    for _ in range(4):
        response = APIClient().get("/health")
    assert response.status_code in (200, 503)
    assert "X-RateLimit-Limit" not in response
