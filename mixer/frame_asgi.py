"""``POST /process-audio`` (+ ``/v1/``) as a lean ASGI app in front of Django.

A frame costs the chain about 45 µs; through Django's request, middleware and DRF machinery
the whole request cost 2-4 ms of server CPU (README, "Mixer performance"). This app answers
the ordinary frame request itself, with the very functions the DRF view uses: key auth
(``mixer.auth``, remembered keys), the tier rate limit and its headers (``mixer.ratelimit``),
the body's checks, the chain, the stream's state and the stats (``mixer.frames``), the spec's
error bodies (``mixer.errors``), request ids and Prometheus counts. The rate-limit count and
the stream's state are read in one Redis round trip, the new state and the stats written in
a second (one of each without a stream id and rate limit).

It runs on the event loop, not in a thread: with a remembered key and no genre "auto" a frame
touches no database, and its Redis commands are a few tens of µs on a local socket. Requests
that need the database (a key not remembered or due its last-used write, a mobile token,
genre "auto" with its webhook) run the same code on Django's shared sync thread.

Anything unusual goes to Django's path untouched (``fallback``): another method, another
content type, a query string, an ``Accept`` that rules out JSON, no or a too large
``Content-Length``, a body orjson refuses (Django's parser words those errors), a host not in
``ALLOWED_HOSTS``, a plain-HTTP request under ``SECURE_SSL_REDIRECT``, or a ``MIDDLEWARE``
list with any middleware this app does not stand in for. The headers Django's
SecurityMiddleware and XFrameOptionsMiddleware add are made by those classes themselves, once
per setting change.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import orjson
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware

from mixer import (
    auth,
    errors,
    frames,
    jsonio,
    metrics,
    mobile,
    processing,
    ratelimit,
    stats,
    store,
    streams,
)
from mixer.api import ProcessAudioApi
from mixer.errors import MixerError
from mixer.models import ApiKey
from mixer.ratelimit import RateLimitStatus

logger = logging.getLogger(__name__)

ENDPOINT = ProcessAudioApi.endpoint  # the metrics label
MAX_BODY_BYTES = ProcessAudioApi.max_body_bytes
HEADER_MIDDLEWARE = (SecurityMiddleware, XFrameOptionsMiddleware)  # their headers are copied
# The rest of settings.MIDDLEWARE does nothing to a frame request that passed the checks below
# (static files, sessions and messages unused, CSRF exempt, host checked here, the rate-limit
# headers added here). Any other middleware sends every frame to Django's path.
PASSIVE_MIDDLEWARE = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "mixer.ratelimit.RateLimitHeadersMiddleware",
    }
)
JSON_MEDIA_TYPES = frozenset({b"*/*", b"application/*", b"application/json"})
ALLOW = (b"allow", b"POST, OPTIONS")  # as DRF's view answers


@dataclass
class Reply:
    status: int
    body: bytes
    limit: RateLimitStatus | None = None
    retry_after_s: int | None = None


class FrameApp:
    """The ASGI app for the frame paths; ``fallback`` (Django) answers what it does not."""

    def __init__(self, fallback) -> None:
        self.fallback = fallback

    async def __call__(self, scope, receive, send) -> None:
        headers = _headers(scope)
        if not _lean_path_takes(scope, headers):
            await self.fallback(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        started = time.perf_counter()  # as MixerApi's: the body has arrived
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:  # DRF's parser decides, with its own messages
            await self.fallback(scope, _replayed(body, receive), send)
            return
        request_id = secrets.token_hex(16)  # 32 hex digits, as MixerApi's
        authorization = headers.get(b"authorization", b"")
        key = auth.api_key_cached_untouched(header=authorization)
        serve = functools.partial(
            _serve,
            authorization=authorization,
            key=key,
            stream_header=headers.get(b"x-stream-id"),
            document=document,
            started=started,
            request_id=request_id,
        )
        if key is None or _wants_auto_genre(document):
            reply = await sync_to_async(self._serve_with_database, thread_sensitive=True)(serve)
        else:
            reply = serve()
        metrics.request_observe(method="POST", endpoint=ENDPOINT, status=reply.status)
        await _send(send, reply, request_id, secure=_is_secure(scope, headers))

    def _serve_with_database(self, serve) -> Reply:
        """``serve`` on Django's sync thread, between the request signals that keep the
        thread's database connections healthy (as Django's handler does)."""
        signals.request_started.send(sender=self.__class__)
        try:
            return serve()
        finally:
            signals.request_finished.send(sender=self.__class__)


def _serve(
    *,
    authorization: bytes,
    key: ApiKey | None,
    stream_header: bytes | None,
    document: Any,
    started: float,
    request_id: str,
) -> Reply:
    """Authenticate, count, check, process and answer one frame request (sync)."""
    limit = None
    try:
        if key is None:
            key = mobile.key_from_authorization(authorization)
        try:  # pure, so checked first: its stream id joins the rate-limit round trip
            request = frames.frame_request_from(
                body=document,
                stream_header=stream_header.decode("latin-1") if stream_header else None,
            )
            invalid = None
        except MixerError as exc:
            request, invalid = None, exc
        limit, state = _count_and_load(key=key, request=request)
        if limit.exceeded:
            raise errors.rate_limit_error(limit.retry_after_s())
        if invalid is not None:
            raise invalid
        answer = frames.frame_answer(key=key, request=request, started=started, state=state)
        return Reply(200, jsonio.dumps(answer), limit)
    except Exception as exc:  # every failure answers the spec's error body (5xx are logged)
        return _error_reply(exc, key=key, limit=limit, request_id=request_id)


def _count_and_load(
    *, key: ApiKey, request: frames.FrameRequest | None
) -> tuple[RateLimitStatus, streams.StreamState | None]:
    """Count the request in its rate-limit window and read the stream's state: one round
    trip (none for an unlimited key without a stream)."""
    window = ratelimit.rate_window(key=key)
    pipe = store.client().pipeline(transaction=False)
    counted = ratelimit.rate_window_queue(window, pipe)
    stream_id = request.stream_id if request is not None else None
    if stream_id:
        streams.stream_load_queue(key=key, stream_id=stream_id, pipe=pipe)
    replies = pipe.execute()
    limit = ratelimit.rate_window_status(window, replies[0] if counted else None)
    state = streams.stream_state_from(replies[counted]) if stream_id else None
    return limit, state


def _error_reply(
    exc: Exception, *, key: ApiKey | None, limit: RateLimitStatus | None, request_id: str
) -> Reply:
    error = errors.as_mixer_error(exc)
    body = errors.error_body(error.code, error.message, error.details, request_id)
    if key is not None:  # a request a key was authenticated for counts, as in MixerApi
        try:
            stats.request_record(key=key, failed=True)
        except redis.RedisError:  # counters are best effort; the answer is already made
            logger.warning("could not record mixer stats", exc_info=True)
    retry_after = (
        error.details.get("retryAfter") if error.code == errors.RATE_LIMIT_EXCEEDED else None
    )
    return Reply(error.status_code, jsonio.dumps(body), limit, retry_after)


async def _send(send, reply: Reply, request_id: str, *, secure: bool) -> None:
    headers = [
        (b"content-type", b"application/json"),
        ALLOW,
        (b"x-request-id", request_id.encode()),
        (b"content-length", str(len(reply.body)).encode()),
        *_middleware_headers(secure),
    ]
    if reply.limit is not None:
        headers += [(k.lower().encode(), v.encode()) for k, v in reply.limit.headers().items()]
    if reply.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="api"'))
    if reply.retry_after_s is not None:
        headers.append((b"retry-after", str(reply.retry_after_s).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


def _headers(scope) -> dict[bytes, bytes]:
    """Lower-case names; repeated headers joined with "," (as Django's request.META)."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        name = name.lower()
        headers[name] = headers[name] + b"," + value if name in headers else value
    return headers


def _lean_path_takes(scope, headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length", b"")
    return (
        scope["method"] == "POST"
        and not scope.get("query_string")
        and headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"application/json"
        and length.isdigit()
        and int(length) <= MAX_BODY_BYTES
        and _accepts_json(headers.get(b"accept"))
        and _settings_allow_lean_path()
        and _host_allowed(headers.get(b"host"))
        and not (settings.SECURE_SSL_REDIRECT and not _is_secure(scope, headers))
    )


def _accepts_json(accept: bytes | None) -> bool:
    return accept is None or any(
        part.split(b";")[0].strip().lower() in JSON_MEDIA_TYPES for part in accept.split(b",")
    )


@functools.cache
def _settings_allow_lean_path() -> bool:
    """Only the middleware this app stands in for, and none of CommonMiddleware's rarer
    settings (forwarded hosts, refused user agents, "www." redirects)."""
    return (
        set(settings.MIDDLEWARE) <= PASSIVE_MIDDLEWARE
        and not settings.USE_X_FORWARDED_HOST
        and not settings.DISALLOWED_USER_AGENTS
        and not settings.PREPEND_WWW
    )


@functools.lru_cache(maxsize=64)
def _host_allowed(host: bytes | None) -> bool:
    """Django's ``request.get_host()`` check (CommonMiddleware makes it on every request):
    a host that fails it goes to Django, which answers 400."""
    if host is None:
        return False
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _port = split_domain_port(host.decode("latin-1"))
    return bool(domain) and validate_host(domain, allowed)


def _is_secure(scope, headers: dict[bytes, bytes]) -> bool:
    """``request.is_secure()``: the proxy's header when ``SECURE_PROXY_SSL_HEADER`` names one."""
    if settings.SECURE_PROXY_SSL_HEADER:
        name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = headers.get(name.removeprefix("HTTP_").replace("_", "-").lower().encode())
        if value is not None:
            return value.split(b",", 1)[0].strip().decode("latin-1") == secure_value
    return scope.get("scheme") == "https"


@functools.cache
def _middleware_headers(secure: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers the configured SecurityMiddleware and XFrameOptionsMiddleware put on a
    response, made by running them on a blank one (so they follow the settings exactly)."""
    request = HttpRequest()
    request.is_secure = lambda: secure  # what SecurityMiddleware asks of the request
    response = HttpResponse()
    blank = set(response.headers)
    for middleware in HEADER_MIDDLEWARE:
        if f"{middleware.__module__}.{middleware.__name__}" in settings.MIDDLEWARE:
            middleware(lambda _request: response).process_response(request, response)
    return tuple(
        (name.lower().encode(), value.encode())
        for name, value in response.headers.items()
        if name not in blank
    )


def _forget_settings(**_kwargs: object) -> None:
    for remembered in (_middleware_headers, _settings_allow_lean_path, _host_allowed):
        remembered.cache_clear()


setting_changed.connect(_forget_settings, dispatch_uid="mixer-frame-asgi-settings")


def _wants_auto_genre(document: Any) -> bool:
    config = document.get("config") if isinstance(document, dict) else None
    return isinstance(config, dict) and config.get("genre") == processing.AUTO


async def _read_body(receive) -> bytes | None:
    """The whole body (its length was checked), or None when the client left."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replayed(body: bytes, receive):
    """A ``receive`` that hands ``body`` to the next app first, then the connection's."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay():
        return pending.pop() if pending else await receive()

    return replay
