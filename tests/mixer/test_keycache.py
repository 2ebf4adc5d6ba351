"""API keys remembered per process for MIXER_API_KEY_CACHE_S: no SQL per request, and
revocation still takes effect (at once here, within the cache time elsewhere)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mixer import keycache, services
from mixer.models import ApiKey
from tests.mixer.test_auth import assert_spec_error

pytestmark = pytest.mark.django_db


class Clock:
    """Stands in for time.monotonic in mixer.keycache, so a test can let seconds pass."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    keycache.clear()
    clock = Clock()
    monkeypatch.setattr(keycache, "_clock", clock)
    yield clock
    keycache.clear()


def key_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "mixer_apikey" in q["sql"]]


def test_a_remembered_key_costs_no_query(api, clock):
    assert api.get("/config").status_code == 200  # looked up (and last_used_at written)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert api.get("/stats").status_code == 200
    assert key_queries(queries) == []


def test_revoked_here_is_refused_at_once(api, alice, clock):
    assert api.get("/config").status_code == 200
    services.api_key_revoke(key=ApiKey.objects.get(owner=alice))
    assert_spec_error(api.get("/config"), 401, "UNAUTHORIZED")


def test_revoked_elsewhere_is_refused_within_the_cache_time(api, alice, clock, settings):
    settings.MIXER_API_KEY_CACHE_S = 2.0
    assert api.get("/config").status_code == 200
    # Another server process revokes it: this process hears nothing (no signal here).
    ApiKey.objects.filter(owner=alice).update(revoked_at=timezone.now())
    clock.now += 1.9
    assert api.get("/config").status_code == 200  # still remembered: the documented delay
    clock.now += 0.2
    assert_spec_error(api.get("/config"), 401, "UNAUTHORIZED")
    clock.now += 10
    assert_spec_error(api.get("/config"), 401, "UNAUTHORIZED")  # refusals are not remembered


def test_without_a_cache_time_every_request_asks_the_database(api, alice, clock, settings):
    settings.MIXER_API_KEY_CACHE_S = 0
    assert api.get("/config").status_code == 200
    ApiKey.objects.filter(owner=alice).update(revoked_at=timezone.now())
    assert_spec_error(api.get("/config"), 401, "UNAUTHORIZED")


def test_deactivating_the_owner_is_refused_at_once(api, alice, clock):
    assert api.get("/config").status_code == 200
    alice.is_active = False
    alice.save()
    assert_spec_error(api.get("/config"), 401, "UNAUTHORIZED")


def test_admin_revoke_action_is_refused_at_once(api, alice, clock, admin_client):
    assert api.get("/config").status_code == 200
    key = ApiKey.objects.get(owner=alice)
    response = admin_client.post("/admin/mixer/apikey/",
                                 {"action": "revoke", "index": 0, "_selected_action": [key.pk]})
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert_spec_error(api.get("/config"), 401, "UNAUTHORIZED")


def test_a_remembered_key_is_still_rate_limited(api, clock, settings):
    settings.MIXER_RATE_LIMITS = {"standard": 2, "premium": 5, "enterprise": None}
    assert api.get("/config").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/config")["X-RateLimit-Remaining"] == "0"
        refused = api.get("/config")
    assert key_queries(queries) == []  # both authenticated from memory
    assert_spec_error(refused, 403, "RATE_LIMIT_EXCEEDED")


def test_saved_config_applies_at_once_in_this_process(api, clock):
    assert api.get("/config").json()["dsp"]["compressor"]["ratio"] == 4
    api.put("/config", {"dsp": {"compressor": {"ratio": 6}}}, format="json")
    assert api.get("/config").json()["dsp"]["compressor"]["ratio"] == 6
