"""Webhooks end to end: a real worker delivers to a real receiver on 127.0.0.1."""

import json
import time

import pytest

from tests import signals
from tests.helpers import wait_for_job
from tests.webhooks.receiver import Receiver
from webhooks import services, signing
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.targets import TargetRefused, target_check


@pytest.fixture
def endpoint_for(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on 127.0.0.1

    def make(owner, url, events=()):
        return services.endpoint_create(owner=owner, url=url, events=list(events))

    return make


def wait_finished(delivery: WebhookDelivery, timeout: float = 60) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.PENDING:
            return delivery
        time.sleep(0.05)
    raise AssertionError(f"delivery still pending after {delivery.attempts} attempts")


def delivery_of(endpoint, timeout: float = 30) -> WebhookDelivery:
    """The worker creates the delivery just after it marks the job completed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
        if delivery:
            return delivery
        time.sleep(0.05)
    raise AssertionError("no delivery was created")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_a_finished_job_is_posted_signed_to_its_owners_endpoint(
    endpoint_for, alice, bob, client_for, tmp_path
):
    with Receiver() as receiver:
        endpoint = endpoint_for(alice, receiver.url, ["job.completed", "job.failed"])
        endpoint_for(bob, receiver.url)  # bob's endpoint must not hear alice's job
        client = client_for(alice)
        data = signals.encoded(signals.tone(1.0), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
        file_id = client.post("/api/boost/upload/", {"audio_file": signals.upload(data, "a.wav")}
                              ).json()["file_id"]
        job = wait_for_job(client, "boost", file_id)
        delivery = wait_finished(delivery_of(endpoint))
        assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len(receiver.calls) == 1
    headers, body = receiver.calls[0]
    assert signing.verify(secret=endpoint.secret, headers_=headers, body=body,
                          now=int(time.time()))
    payload = json.loads(body)
    assert payload["event"] == "job.completed"
    assert payload["data"]["service"] == "boost"
    assert payload["data"]["job"]["id"] == file_id
    assert payload["data"]["job"]["boosted_url"] == job["boosted_url"]
    assert headers["webhook-id"] == delivery.message_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_a_5xx_is_retried_with_backoff_until_it_succeeds(endpoint_for, alice):
    with Receiver([500, 503, 200]) as receiver:
        endpoint_for(alice, receiver.url)
        [delivery] = services.event_emit(owner_id=alice.pk, event="processing.complete",
                                         data={"sessionId": "s-1", "duration": 3.0})
        delivery = wait_finished(delivery)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 200]
    ids = {headers["webhook-id"] for headers, _ in receiver.calls}
    assert ids == {delivery.message_id}  # the same message id on every retry
    gaps = [b.attempted_at - a.attempted_at for a, b in
            zip(delivery.attempt_log.all(), list(delivery.attempt_log.all())[1:], strict=False)]
    assert gaps[1] > gaps[0]  # exponential backoff: 0.2 s, then 0.4 s


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_a_4xx_is_not_retried_and_can_be_redelivered(endpoint_for, alice):
    with Receiver([400, 200]) as receiver:
        endpoint_for(alice, receiver.url)
        [delivery] = services.event_emit(owner_id=alice.pk, event="error.occurred",
                                         data={"code": "INTERNAL_ERROR"})
        delivery = wait_finished(delivery)
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.attempts == 1
        services.delivery_redeliver(delivery=delivery)
        delivery = wait_finished(delivery)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len(receiver.calls) == 2


@pytest.mark.django_db
def test_an_endpoint_hears_only_the_events_it_chose(endpoint_for, alice):
    endpoint_for(alice, "http://127.0.0.1:9/hook", ["genre.detected"])
    assert services.event_emit(owner_id=alice.pk, event="job.failed", data={}) == []
    assert len(services.event_emit(owner_id=alice.pk, event="genre.detected", data={})) == 1


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "file:///etc/passwd",
                                 "http://127.0.0.1/hook", "http://10.1.2.3/hook",
                                 "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]:8000/hook", "http://user:pw@93.184.216.34/",
                                 "http://localhost/hook"])
def test_private_and_non_http_targets_are_refused(url):
    with pytest.raises(TargetRefused):
        target_check(url, allow_private=False)


def test_a_public_address_is_accepted():
    target_check("https://93.184.216.34/hook", allow_private=False)


def test_signatures_fail_when_the_body_the_secret_or_the_time_differ():
    secret, body = signing.secret_new(), b'{"event":"job.completed"}'
    headers = signing.headers(secret=secret, message_id="msg_1", timestamp=1_000_000, body=body)
    assert signing.verify(secret=secret, headers_=headers, body=body, now=1_000_010)
    assert not signing.verify(secret=secret, headers_=headers, body=body + b" ", now=1_000_010)
    assert not signing.verify(secret=signing.secret_new(), headers_=headers, body=body,
                              now=1_000_010)
    assert not signing.verify(secret=secret, headers_=headers, body=body, now=1_000_000 + 3600)
