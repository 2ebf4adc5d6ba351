"""The mixer's error body (spec 003): ``{"error": {code, message, details, timestamp, requestId}}``.

Only the mixer views use :func:`mixer_exception_handler` (through ``MixerApi``); the file
services keep their spec-000 handler. Every failure, DRF's own included, gets a code from the
spec's table or one of ours below; an unexpected exception is logged and answers 500
``INTERNAL_ERROR`` in the same shape, and Redis or database outages answer 503
``SERVICE_UNAVAILABLE``.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import redis
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from audioservices.weights import WeightsMissing
from mixer.auth import CredentialRefused

logger = logging.getLogger(__name__)

# Codes from the spec's table, then ours for cases it does not name.
INVALID_BUFFER_SIZE = "INVALID_BUFFER_SIZE"
INVALID_SAMPLE_RATE = "INVALID_SAMPLE_RATE"
UNAUTHORIZED = "UNAUTHORIZED"
RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
INTERNAL_ERROR = "INTERNAL_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INVALID_BUFFER = "INVALID_BUFFER"  # audioBuffer missing, not an array, or not all numbers
NON_FINITE_SAMPLES = "NON_FINITE_SAMPLES"  # a sample is ±inf or beyond float32 range
INVALID_CONFIG = "INVALID_CONFIG"  # a config field out of range, of the wrong type, unknown
INVALID_STREAM_ID = "INVALID_STREAM_ID"
INVALID_JSON = "INVALID_JSON"  # the body is not JSON, or not a JSON object
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"  # over MixerApi.max_body_bytes, refused unparsed
INVALID_PARAMETER = "INVALID_PARAMETER"  # a body field is missing or invalid (details.fields)
WEBHOOK_NOT_FOUND = "WEBHOOK_NOT_FOUND"  # no such webhook of yours (someone else's reads the same)
INVALID_MESSAGE = "INVALID_MESSAGE"  # /ws: not a message object, or an unknown type
NO_ACTIVE_STREAM = "NO_ACTIVE_STREAM"  # /ws: audio or stop without a started stream
STREAM_ALREADY_ACTIVE = "STREAM_ALREADY_ACTIVE"  # /ws: stream while one is running


class MixerError(exceptions.APIException):
    """An error with a spec code; raise it from mixer views (and the endpoints built on them)."""

    def __init__(self, code: str, message: str, *, details: dict[str, Any] | None = None,
                 status_code: int = status.HTTP_400_BAD_REQUEST) -> None:
        super().__init__(detail=message)
        self.code, self.message, self.details = code, message, details or {}
        self.status_code = status_code


def error_body(code: str, message: str, details: dict[str, Any], request_id: str) -> dict:
    return {"error": {"code": code, "message": message, "details": details,
                      "timestamp": int(time.time() * 1000), "requestId": request_id}}


def rate_limit_error(retry_after_s: int | None) -> MixerError:
    return MixerError(RATE_LIMIT_EXCEEDED, "Too many requests for this API key's tier.",
                      details={"retryAfter": retry_after_s}, status_code=403)


def as_mixer_error(exc: Exception) -> MixerError:
    """The spec's error for any exception of a mixer request (unexpected ones are logged)."""
    if isinstance(exc, MixerError):
        return exc
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        message = str(exc.detail) if isinstance(exc, exceptions.AuthenticationFailed) else (
            "Missing API key: send 'Authorization: Bearer <API key>'.")
        return MixerError(UNAUTHORIZED, message, status_code=401)
    if isinstance(exc, CredentialRefused):
        return MixerError(UNAUTHORIZED, exc.message, status_code=401)
    if isinstance(exc, exceptions.Throttled):
        return rate_limit_error(exc.wait)
    if isinstance(exc, exceptions.ParseError):
        return MixerError(INVALID_JSON, f"Malformed JSON body: {exc.detail}")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return MixerError(METHOD_NOT_ALLOWED, str(exc.detail), status_code=405)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return MixerError(UNSUPPORTED_MEDIA_TYPE, f"{exc.detail} Send application/json.",
                          status_code=415)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return MixerError(ENDPOINT_NOT_FOUND, "No such endpoint.", status_code=404)
    if isinstance(exc, RequestDataTooBig):
        return MixerError(PAYLOAD_TOO_LARGE, "The body is larger than this server accepts.",
                          status_code=413)
    if isinstance(exc, WeightsMissing):  # e.g. the genre model file: the message says how to fix
        return MixerError(SERVICE_UNAVAILABLE, str(exc), status_code=503)
    if isinstance(exc, redis.RedisError | DatabaseError):
        logger.exception("mixer backend unavailable")
        return MixerError(SERVICE_UNAVAILABLE, "A backing service is unavailable; retry later.",
                          status_code=503)
    if isinstance(exc, exceptions.APIException):
        return MixerError(INTERNAL_ERROR if exc.status_code >= 500 else "BAD_REQUEST",
                          str(exc.detail), status_code=exc.status_code)
    logger.exception("unexpected error in a mixer view")
    return MixerError(INTERNAL_ERROR, "Internal error.", status_code=500)


def mixer_exception_handler(exc: Exception, context: dict) -> Response:
    error = as_mixer_error(exc)
    request = context["request"]
    body = error_body(error.code, error.message, error.details, request_id_of(request))
    response = Response(body, status=error.status_code)
    if error.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(math.ceil(exc.wait))
    return response


def request_id_of(request: Any) -> str:
    """The request's id (set by MixerApi.initialize_request); every mixer response carries it."""
    return getattr(getattr(request, "_request", request), "mixer_request_id", "")
