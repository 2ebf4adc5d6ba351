"""Register endpoints, turn events into deliveries, and make one delivery attempt."""

from __future__ import annotations

import json
import time
import uuid
from typing import Literal

import requests
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from webhooks import signing
from webhooks.models import (
    EVENTS,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from webhooks.targets import TargetRefused, target_check

Outcome = Literal["succeeded", "retry", "failed"]
EXCERPT = 500


class EndpointInvalid(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def endpoint_create(*, owner: AbstractBaseUser, url: str, events: list[str],
                    description: str = "", secret: str | None = None) -> WebhookEndpoint:
    """A new endpoint; ``secret`` (``whsec_`` + base64 of 24-64 bytes) or a generated one."""
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise EndpointInvalid("events", f"unknown events {unknown}; known: {list(EVENTS)}")
    if secret is not None and not signing.secret_valid(secret):
        raise EndpointInvalid("secret", signing.SECRET_FORMAT)
    try:
        target_check(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)
    except TargetRefused as exc:
        raise EndpointInvalid("url", str(exc)) from exc
    return WebhookEndpoint.objects.create(owner=owner, url=url, events=sorted(set(events)),
                                          description=description,
                                          secret=secret or signing.secret_new())


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Removes the endpoint with its delivery log; queued deliveries find nothing and stop."""
    endpoint.delete()


def event_emit(*, owner_id: int, event: str, data: dict) -> list[WebhookDelivery]:
    """One delivery per active endpoint of the owner that wants ``event``, sent after commit."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    payload = {"event": event, "timestamp": int(time.time() * 1000), "data": data}
    endpoints = [e for e in WebhookEndpoint.objects.filter(owner_id=owner_id, active=True)
                 if e.wants(event)]
    deliveries = [
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=payload,
                                       message_id=f"msg_{uuid.uuid4().hex}")
        for endpoint in endpoints
    ]
    for delivery in deliveries:
        transaction.on_commit(lambda d=delivery: delivery_enqueue(delivery=d))
    return deliveries


def delivery_enqueue(*, delivery: WebhookDelivery, countdown: float = 0) -> None:
    from webhooks.tasks import deliver

    deliver.apply_async(args=[delivery.pk], countdown=countdown, queue="cpu")


def retry_delay(attempts: int) -> float:
    """Exponential backoff: base, 2 base, 4 base, ... after the 1st, 2nd, 3rd failure."""
    return settings.WEBHOOK_RETRY_BASE_S * 2 ** (attempts - 1)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = signing.headers(secret=delivery.endpoint.secret, message_id=delivery.message_id,
                              timestamp=int(time.time()), body=body)
    try:
        target_check(delivery.endpoint.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)
        with requests.post(delivery.endpoint.url, data=body, headers=headers, stream=True,
                           timeout=settings.WEBHOOK_TIMEOUT_S, allow_redirects=False) as response:
            excerpt = response.raw.read(EXCERPT, decode_content=True).decode("utf-8", "replace")
            return response.status_code, excerpt, ""
    except TargetRefused as exc:
        return None, "", f"refused: {exc}"
    except requests.RequestException as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:EXCERPT]


def _outcome(status_code: int | None, error: str, attempts: int) -> Outcome:
    if status_code is not None and 200 <= status_code < 300:
        return "succeeded"
    permanent = error.startswith("refused") or (status_code is not None and status_code < 500)
    if permanent or attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        return "failed"  # a 4xx (or 3xx: redirects are not followed) will not change by retrying
    return "retry"


def delivery_attempt(*, delivery: WebhookDelivery) -> Outcome:
    """One HTTP attempt, logged; the caller schedules the retry."""
    started = time.monotonic()
    status_code, excerpt, error = _post(delivery)
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, status_code=status_code, error=error,
        response_excerpt=excerpt, duration_ms=int((time.monotonic() - started) * 1000))
    outcome = _outcome(status_code, error, delivery.attempts)
    if outcome != "retry":
        delivery.status = (DeliveryStatus.SUCCEEDED if outcome == "succeeded"
                           else DeliveryStatus.FAILED)
        delivery.finished_at = timezone.now()
    delivery.save(update_fields=["attempts", "status", "finished_at"])
    return outcome


def delivery_redeliver(*, delivery: WebhookDelivery) -> None:
    """The admin's "redeliver": a fresh round of attempts for the same message id."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, finished_at=None)
    transaction.on_commit(lambda: delivery_enqueue(delivery=delivery))
