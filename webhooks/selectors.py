"""Reads, always scoped to the owner: someone else's endpoint is as missing as no endpoint."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, owner: AbstractBaseUser) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=owner)


def endpoint_get(*, owner: AbstractBaseUser, endpoint_id: int) -> WebhookEndpoint | None:
    return endpoint_list(owner=owner).filter(pk=endpoint_id).first()


def delivery_list(*, endpoint: WebhookEndpoint, limit: int) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first, with their attempts."""
    return list(endpoint.deliveries.prefetch_related("attempt_log")[:limit])
