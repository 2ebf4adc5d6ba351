"""The mixer's REST endpoints (spec 003), at the spec's paths and under ``/v1/``.

Building another mixer endpoint (``/stream-audio``, ``/extract-features``, ``/wasm``,
``/mobile/session``...): subclass :class:`MixerApi`, set ``endpoint`` to the spec's path (the
metrics label) and add the route to ``mixer/urls.py``. The class brings, with nothing else to
write: Bearer-key authentication (401 ``UNAUTHORIZED``), the per-key tier rate limit with
``X-RateLimit-*`` headers (403 ``RATE_LIMIT_EXCEEDED`` + ``Retry-After``), the spec's error
body for every failure (raise :class:`mixer.errors.MixerError` for your own codes), an
``X-Request-Id`` header matching the error body's ``requestId``, Prometheus request counts,
and the key's ``/stats`` counters. Set ``key_optional = True`` and ``permission_classes =
[AllowAny]`` for a public endpoint (a valid key, when sent, is still counted and limited).
For a WebSocket, reuse ``mixer.auth.ApiKeyAuthentication`` logic via
``mixer.keycache.api_key_get_active_cached`` and ``mixer.ratelimit.rate_limit_hit``.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any, ClassVar

import redis
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mixer import errors, frames, health, inputs, metrics, processing, selectors, services, stats
from mixer.auth import ApiKeyAuthentication
from mixer.dsp import SettingsError
from mixer.jsonio import OrjsonParser, OrjsonRenderer
from mixer.mobile import MobileTokenAuthentication
from mixer.models import ApiKey
from mixer.presets import GENRES
from mixer.ratelimit import ApiKeyRateThrottle

logger = logging.getLogger(__name__)
MFCC_COEFFICIENTS = 13  # the spec's extract-features default


class MixerApi(APIView):
    # A mobile session token (``mst_…``) resolves to the key that issued it.
    authentication_classes = [MobileTokenAuthentication, ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [OrjsonParser]
    renderer_classes = [OrjsonRenderer]
    endpoint: ClassVar[str] = "unknown"
    key_optional: ClassVar[bool] = False
    # A 960-sample frame in JSON is about 20 KB; refuse far larger bodies before parsing them.
    max_body_bytes: ClassVar[int] = 256 * 1024

    def initialize_request(self, request, *args: Any, **kwargs: Any) -> Request:
        request.mixer_request_id = secrets.token_hex(16)  # 32 hex digits, as uuid4().hex
        request.mixer_started = time.perf_counter()
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication and rate limit first
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > self.max_body_bytes:
            raise errors.MixerError(errors.PAYLOAD_TOO_LARGE,
                                    f"The body is over {self.max_body_bytes} bytes.",
                                    status_code=413)

    def get_exception_handler(self):
        return errors.mixer_exception_handler

    def perform_authentication(self, request: Request) -> None:
        try:
            request.user  # noqa: B018 (authenticates)
        except AuthenticationFailed:
            if not self.key_optional:
                raise  # else: a bad key on a public endpoint is just anonymous

    def finalize_response(self, request: Request, response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        raw = request._request
        response["X-Request-Id"] = raw.mixer_request_id
        metrics.request_observe(method=request.method, endpoint=self.endpoint,
                                status=response.status_code)
        key = getattr(request, "_auth", None)
        if isinstance(key, ApiKey) and not getattr(raw, "mixer_recorded", False):
            try:
                self.record_stats(raw, key, response.status_code)
            except redis.RedisError:  # counters are best effort; the answer is already made
                logger.warning("could not record mixer stats", exc_info=True)
        return response

    def record_stats(self, raw, key: ApiKey, status_code: int) -> None:
        """Count this request for ``/stats``. A view that counts it itself (``/process-audio``,
        with its frame's latency and samples) sets ``raw.mixer_recorded``."""
        stats.request_record(key=key, failed=status_code >= 400,
                             genre=getattr(raw, "mixer_genre", None))  # a classification


# Every mixer error answers the spec's {"error": {code, message, details, timestamp,
# requestId}} with one of these statuses (see mixer/errors.py); documented for each endpoint.
ERROR_BODY = OpenApiResponse(OpenApiTypes.OBJECT, description="The spec's error body.")
ERRORS = {status: ERROR_BODY for status in (400, 401, 403, 404, 405, 413, 415, 503)}
JSON_IN_OUT = extend_schema(request=OpenApiTypes.OBJECT,
                            responses={200: OpenApiTypes.OBJECT, **ERRORS})
JSON_OUT = extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS})


class ProcessAudioApi(MixerApi):
    endpoint = "/process-audio"

    @JSON_IN_OUT
    def post(self, request: Request) -> Response:
        # Production serves most frames through mixer.frame_asgi with the same functions
        # (mixer.frames); this view answers under WSGI and what that path hands to Django.
        frame_request = frames.frame_request_from(
            body=request.data, stream_header=request.headers.get("X-Stream-Id"))
        raw = request._request
        answer = frames.frame_answer(key=request.auth, request=frame_request,
                                     started=raw.mixer_started)
        raw.mixer_recorded = True  # frame_answer counted it, in the state's round trip
        return Response(answer)


def config_document(key: ApiKey) -> dict[str, Any]:
    return {
        "audio": dict(inputs.AUDIO_FORMAT),
        "dsp": selectors.key_settings(key=key).to_dict(),
        "ai": {"modelVersion": processing.genre_model_version(),
               "mfccCoefficients": MFCC_COEFFICIENTS, "genres": list(GENRES)},
    }


class ConfigApi(MixerApi):
    endpoint = "/config"

    @JSON_OUT
    def get(self, request: Request) -> Response:
        return Response(config_document(request.auth))

    @JSON_IN_OUT
    def put(self, request: Request) -> Response:
        changes = inputs.config_update_from(inputs.body_object(request.data))
        try:
            services.key_config_update(key=request.auth, dsp_changes=changes)
        except SettingsError as exc:
            raise inputs.config_error({f"dsp.{k}": v for k, v in exc.errors.items()}) from None
        return Response(config_document(request.auth))


class HealthApi(MixerApi):
    endpoint = "/health"
    key_optional = True
    permission_classes = [AllowAny]

    @JSON_OUT
    def get(self, request: Request) -> Response:
        report = health.health_report()
        return Response(report, status=503 if report["status"] == health.UNHEALTHY else 200)


class MetricsApi(MixerApi):
    endpoint = "/metrics"

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR, **ERRORS})
    def get(self, request: Request) -> HttpResponse:
        from prometheus_client import CONTENT_TYPE_LATEST

        return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


class StatsApi(MixerApi):
    endpoint = "/stats"

    @JSON_OUT
    def get(self, request: Request) -> Response:
        return Response(stats.stats_get(key=request.auth))


class EndpointNotFoundApi(MixerApi):
    """Every path no route claims (outside the site's own prefixes): 404 ENDPOINT_NOT_FOUND."""

    key_optional = True
    permission_classes = [AllowAny]
    parser_classes: ClassVar[list] = []
    schema = None  # not an endpoint: keep it out of the OpenAPI document

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise errors.MixerError(errors.ENDPOINT_NOT_FOUND,
                                f"No endpoint {request.method} {request.path}.", status_code=404)

    get = post = put = patch = delete = head = options = _not_found

