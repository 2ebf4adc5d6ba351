"""``/webhooks``: a user's webhook endpoints over the mixer API (Bearer key, mobile token or the
site session with CSRF). Every read is scoped to the caller, so another user's webhook id
answers 404 ``WEBHOOK_NOT_FOUND`` exactly like a missing one, and DELETE cannot touch it."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response

from mixer import errors, inputs
from mixer.api import ERRORS, JSON_IN_OUT, JSON_OUT, MixerApi
from mixer.errors import MixerError
from webhooks import selectors, services
from webhooks.models import EVENTS, WebhookDelivery, WebhookEndpoint

DELIVERIES_SHOWN = 100
MAX_ID = 2**31 - 1  # larger ids cannot exist (and PostgreSQL refuses to compare them)


def _ms(moment) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def endpoint_json(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    body = {"id": endpoint.pk, "url": endpoint.url, "events": endpoint.events,
            "description": endpoint.description, "active": endpoint.active,
            "createdAt": _ms(endpoint.created_at)}
    if with_secret:  # only when created: it is the receiver's verification key
        body["secret"] = endpoint.secret
    return body


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk, "messageId": delivery.message_id, "event": delivery.event,
        "status": delivery.status, "attempts": delivery.attempts,
        "createdAt": _ms(delivery.created_at), "finishedAt": _ms(delivery.finished_at),
        "payload": delivery.payload,
        "attemptLog": [{"number": a.number, "attemptedAt": _ms(a.attempted_at),
                        "statusCode": a.status_code, "error": a.error,
                        "durationMs": a.duration_ms} for a in delivery.attempt_log.all()],
    }


class EndpointInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENTS),
                                   required=False, default=list)
    description = serializers.CharField(max_length=200, required=False, default="",
                                        allow_blank=True)
    secret = serializers.CharField(max_length=100, required=False)


class WebhookApi(MixerApi):
    authentication_classes: ClassVar[list] = [*MixerApi.authentication_classes,
                                              SessionAuthentication]

    def endpoint_of(self, request: Request, webhook_id: str) -> WebhookEndpoint:
        number = int(webhook_id)
        endpoint = (selectors.endpoint_get(owner=request.user, endpoint_id=number)
                    if number <= MAX_ID else None)
        if endpoint is None:
            raise MixerError(errors.WEBHOOK_NOT_FOUND, f"No webhook {webhook_id}.",
                             status_code=404)
        return endpoint


class ListOperationSchema(AutoSchema):
    """``webhooks_list``, not a second ``webhooks_retrieve`` beside the detail view's."""

    def get_operation_id(self) -> str:
        return super().get_operation_id().replace("_retrieve", "_list")


class WebhookListApi(WebhookApi):
    endpoint = "/webhooks"
    schema = ListOperationSchema()

    @JSON_OUT
    def get(self, request: Request) -> Response:
        return Response({"webhooks": [endpoint_json(e) for e in
                                      selectors.endpoint_list(owner=request.user)]})

    @JSON_IN_OUT
    def post(self, request: Request) -> Response:
        serializer = EndpointInputSerializer(data=inputs.body_object(request.data))
        if not serializer.is_valid():
            raise MixerError(errors.INVALID_PARAMETER, "Invalid webhook.",
                             details={"fields": inputs.field_errors(serializer.errors)})
        try:
            endpoint = services.endpoint_create(owner=request.user, **serializer.validated_data)
        except services.EndpointInvalid as exc:
            raise MixerError(errors.INVALID_PARAMETER, "Invalid webhook.",
                             details={"fields": {exc.field: exc.message}}) from None
        return Response(endpoint_json(endpoint, with_secret=True), status=201)


class WebhookDetailApi(WebhookApi):
    endpoint = "/webhooks/{id}"

    @JSON_OUT
    def get(self, request: Request, webhook_id: str) -> Response:
        return Response(endpoint_json(self.endpoint_of(request, webhook_id)))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, webhook_id: str) -> Response:
        services.endpoint_delete(endpoint=self.endpoint_of(request, webhook_id))
        return Response(status=204)


class WebhookDeliveriesApi(WebhookApi):
    endpoint = "/webhooks/{id}/deliveries"

    @JSON_OUT
    def get(self, request: Request, webhook_id: str) -> Response:
        endpoint = self.endpoint_of(request, webhook_id)
        return Response({"deliveries": [delivery_json(d) for d in selectors.delivery_list(
            endpoint=endpoint, limit=DELIVERIES_SHOWN)]})
