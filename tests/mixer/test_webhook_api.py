"""/webhooks: register, list, delete and read the delivery log; nobody sees another's webhooks."""

import pytest
from rest_framework.test import APIClient

from tests.mixer.test_auth import assert_spec_error
from webhooks import services, signing
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["processing.complete", "job.failed"]}


@pytest.fixture(autouse=True)
def private_targets(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def bob_api(bob, make_key, key_client) -> APIClient:
    return key_client(make_key(bob))


def create(client, body=HOOK, path="/webhooks") -> dict:
    response = client.post(path, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("prefix", ["", "/v1"])
def test_create_shows_the_secret_once_then_lists_without_it(api, alice, prefix):
    made = create(api, path=f"{prefix}/webhooks")
    assert made["url"] == HOOK["url"]
    assert made["events"] == sorted(HOOK["events"])
    assert signing.secret_valid(made["secret"])
    assert WebhookEndpoint.objects.get(pk=made["id"]).owner == alice
    listed = api.get(f"{prefix}/webhooks").json()["webhooks"]
    assert [w["id"] for w in listed] == [made["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in api.get(f"{prefix}/webhooks/{made['id']}").json()


def test_a_chosen_secret_is_kept_and_signs(api):
    secret = signing.secret_new()
    made = create(api, {**HOOK, "secret": secret})
    assert made["secret"] == secret


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://example.com/x"}, "url"),
    ({"url": "not a url"}, "url"),
    ({}, "url"),
    ({**HOOK, "events": ["processing.done"]}, "events.0"),
    ({**HOOK, "events": "processing.complete"}, "events"),
    ({**HOOK, "secret": "hunter2"}, "secret"),
])
def test_invalid_webhooks_are_400_naming_the_field(api, body, field):
    error = assert_spec_error(api.post("/webhooks", body, format="json"), 400,
                              "INVALID_PARAMETER")
    assert field in error["details"]["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_private_targets_are_refused_unless_allowed(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    error = assert_spec_error(api.post("/webhooks", HOOK, format="json"), 400,
                              "INVALID_PARAMETER")
    assert "non-public" in error["details"]["fields"]["url"]


def test_delete_removes_it(api):
    made = create(api)
    assert api.delete(f"/webhooks/{made['id']}").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert_spec_error(api.delete(f"/webhooks/{made['id']}"), 404, "WEBHOOK_NOT_FOUND")


def test_deliveries_log_shows_attempts(api, alice):
    made = create(api)
    [delivery] = services.event_emit(owner_id=alice.pk, event="processing.complete",
                                     data={"sessionId": "s-1"})
    WebhookAttempt.objects.create(delivery=delivery, number=1, status_code=500, duration_ms=3)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=1)
    [logged] = api.get(f"/webhooks/{made['id']}/deliveries").json()["deliveries"]
    assert logged["event"] == "processing.complete"
    assert logged["messageId"] == delivery.message_id
    assert logged["payload"]["data"] == {"sessionId": "s-1"}
    assert logged["attempts"] == 1
    assert logged["attemptLog"] == [{"number": 1, "attemptedAt": logged["attemptLog"][0][
        "attemptedAt"], "statusCode": 500, "error": "", "durationMs": 3}]


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("delete", ""),
                                                ("get", "/deliveries")])
def test_someone_elses_webhook_answers_like_a_missing_one(api, bob_api, method, suffix):
    made = create(api)
    foreign = getattr(bob_api, method)(f"/webhooks/{made['id']}{suffix}")
    missing = getattr(bob_api, method)(f"/webhooks/{made['id'] + 1000}{suffix}")
    for response in (foreign, missing):
        assert_spec_error(response, 404, "WEBHOOK_NOT_FOUND")
    assert foreign.json()["error"]["message"].replace(str(made["id"]), "N") == \
        missing.json()["error"]["message"].replace(str(made["id"] + 1000), "N")
    assert WebhookEndpoint.objects.filter(pk=made["id"]).exists()  # B's DELETE did nothing
    assert bob_api.get("/webhooks").json()["webhooks"] == []


def test_huge_ids_are_404_not_an_error(api):
    assert_spec_error(api.get("/webhooks/99999999999999"), 404, "WEBHOOK_NOT_FOUND")


def test_needs_a_key_or_a_session_with_csrf(alice, client_for):
    assert_spec_error(APIClient().get("/webhooks"), 401, "UNAUTHORIZED")
    session = client_for(alice)
    assert session.get("/webhooks").status_code == 200
    strict = APIClient(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post("/webhooks", HOOK, format="json").status_code == 403  # no CSRF token
    assert not WebhookEndpoint.objects.exists()
