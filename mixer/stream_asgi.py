"""``POST /stream-audio`` (+ ``/v1/``): a chunked float32 body in, Server-Sent Events out.

Django's ASGI handler reads the whole request body before it calls a view, so a view could
not answer frames while the client is still sending. This small ASGI app sits in front of
Django (``audioservices/asgi.py``) and takes only this path; it reads the body message by
message, processes each complete 960-sample frame with one stream's chain state and sends its
``audio`` event at once. It uses the mixer's own parts for everything else: the Bearer
credential check (API key or mobile token), the tier rate limit and its headers, the spec's
error body, Prometheus counts and the key's ``/stats``.

Backpressure: the app asks for the next body message only after the events of the previous
one were handed to the server, and uvicorn stops reading the socket while its buffer holds
more than 64 KB and makes ``send`` wait while the client is not reading. So the server holds at
most one body message (≈ 64 KB, 17 frames, plus one unfinished frame) and one batch of at
most ``MAX_FRAMES_PER_SEND`` events, however long or fast the stream.
"""

from __future__ import annotations

import binascii
import json
import logging
import re
import time
import uuid
from typing import Any

import orjson
import redis
from channels.db import database_sync_to_async
from django.db import DatabaseError

from mixer import errors, inputs, metrics, mobile, stream_events, streams
from mixer.dsp import FRAME_SIZE, FrameError, SettingsError
from mixer.errors import MixerError
from mixer.framing import WIRE_DTYPE, FrameSplitter, TrailingBytes
from mixer.models import ApiKey
from mixer.ratelimit import RateLimitStatus, rate_limit_hit
from mixer.stream_session import StreamSession, config_check, frame_metrics, session_id_new

logger = logging.getLogger(__name__)

PATH = re.compile(r"^/(?:v1/)?stream-audio/?$")
ENDPOINT = "/stream-audio"
MAX_FRAMES_PER_SEND = 32  # events per send: bounds a batch and lets other requests run
CONFIG_HEADER = "x-mixer-config"


def with_stream_audio(django_app):
    """The HTTP app: ``/stream-audio`` here, everything else to Django."""

    async def app(scope, receive, send) -> None:
        if scope["type"] == "http" and PATH.match(scope["path"]):
            await stream_audio(scope, receive, send)
        else:
            await django_app(scope, receive, send)

    return app


def sse_event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _options(headers: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The chain config (``X-Mixer-Config``, JSON like /process-audio's ``config``) and the
    session id (``X-Stream-Id``, else a new one); MixerError for bad ones."""
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/octet-stream":
        raise MixerError(errors.UNSUPPORTED_MEDIA_TYPE, "Send raw little-endian float32 "
                         "samples as application/octet-stream.", status_code=415)
    rate = headers.get("x-sample-rate")
    inputs.sample_rate_check(int(rate) if rate and rate.isdigit() else rate)
    try:
        config = inputs.config_from(json.loads(headers.get(CONFIG_HEADER) or "null"))
        config_check(config)
    except json.JSONDecodeError:
        raise MixerError(errors.INVALID_JSON, "X-Mixer-Config must be a JSON object.") from None
    except SettingsError as exc:
        raise inputs.settings_error(exc) from None
    stream_id = headers.get("x-stream-id")
    if stream_id is not None and not streams.STREAM_ID.match(stream_id):
        raise MixerError(errors.INVALID_STREAM_ID,
                         "Stream id must be 1-64 characters from A-Z a-z 0-9 . _ : -")
    return config, stream_id or session_id_new("sse")


def _admit(headers: dict[str, str]) -> tuple[ApiKey, RateLimitStatus]:
    """Authenticate and count the request (database and Redis: run in a thread)."""
    try:
        key = mobile.key_from_bearer(mobile.bearer_from_header(headers.get("authorization")))
    except mobile.CredentialRefused as exc:
        raise MixerError(errors.UNAUTHORIZED, exc.message, status_code=401) from None
    except (redis.RedisError, DatabaseError):
        raise _unavailable() from None
    try:
        limit = rate_limit_hit(key=key)
    except redis.RedisError:
        raise _unavailable() from None
    if limit.exceeded:
        raise _RateLimited(limit)
    return key, limit


def _unavailable() -> MixerError:
    logger.exception("mixer backend unavailable")
    return MixerError(errors.SERVICE_UNAVAILABLE, "A backing service is unavailable; retry "
                      "later.", status_code=503)


class _RateLimited(MixerError):
    """The spec's 403, carrying the window for the rate-limit headers."""

    def __init__(self, limit: RateLimitStatus) -> None:
        self.limit, self.wait = limit, limit.retry_after_s()
        base = errors.rate_limit_error(self.wait)
        super().__init__(base.code, base.message, details=base.details,
                         status_code=base.status_code)


_stats_record = database_sync_to_async(stream_events.stream_stats_record)
_genre_changes_emit = database_sync_to_async(stream_events.genre_changes_emit)


async def stream_audio(scope, receive, send) -> None:
    request_id = uuid.uuid4().hex
    headers = _headers(scope)
    key = limit = None
    try:
        if scope["method"] != "POST":
            raise MixerError(errors.METHOD_NOT_ALLOWED, f"Method {scope['method']} not "
                             "allowed: POST a chunked body.", status_code=405)
        key, limit = await database_sync_to_async(_admit)(headers)
        config, session_id = _options(headers)
    except Exception as exc:  # every refusal answers with the spec's error body
        # (e.g. genre "auto" without a usable model file: 503 saying how to fix it)
        error = errors.as_mixer_error(exc)
        if isinstance(error, _RateLimited):
            limit = error.limit
        await _send_error_response(send, error, request_id, limit)
        metrics.request_observe(method=scope["method"], endpoint=ENDPOINT,
                                status=error.status_code)
        if key is not None:
            await _stats_record(key, failed=True, session=None)
        return
    session = StreamSession(key=key, config=config, session_id=session_id)
    status, failed = await SseStream(session, send, request_id, limit).run(receive)
    metrics.request_observe(method="POST", endpoint=ENDPOINT, status=status)
    await _stats_record(key, failed=failed, session=session)


async def _send_error_response(send, exc: MixerError, request_id: str,
                               limit: RateLimitStatus | None) -> None:
    body = json.dumps(errors.error_body(exc.code, exc.message, exc.details, request_id)).encode()
    extra = dict(limit.headers()) if limit else {}
    if exc.status_code == 401:
        extra["WWW-Authenticate"] = 'Bearer realm="api"'
    if exc.status_code == 405:
        extra["Allow"] = "POST"
    if isinstance(exc, _RateLimited):
        extra["Retry-After"] = str(exc.wait)
    await send({"type": "http.response.start", "status": exc.status_code,
                "headers": _encode({"Content-Type": "application/json",
                                    "X-Request-Id": request_id, **extra})})
    await send({"type": "http.response.body", "body": body})


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


class SseStream:
    """One request's read → process → send loop. The response starts with the first event, so
    an error before any frame (an empty body, a bad first frame) is still a plain 4xx."""

    def __init__(self, session: StreamSession, send, request_id: str,
                 limit: RateLimitStatus | None) -> None:
        self.session, self.send, self.request_id, self.limit = session, send, request_id, limit
        self.splitter = FrameSplitter()
        self.started = False

    async def run(self, receive) -> tuple[int, bool]:
        """(HTTP status, failed) once the stream ended, failed or the client left."""
        try:
            if not await self._read_all(receive):
                return 200 if self.started else 499, True  # the client went away
            await self._finish()
            return 200, False
        except MixerError as exc:
            return await self._fail(exc), True
        except Exception:
            logger.exception("unexpected error in /stream-audio")
            return await self._fail(MixerError(errors.INTERNAL_ERROR, "Internal error.",
                                               status_code=500)), True

    async def _read_all(self, receive) -> bool:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            arrived = time.perf_counter()
            await self._frames(self.splitter.feed(message.get("body", b"")), arrived)
            if not message.get("more_body", False):
                return True

    async def _finish(self) -> None:
        try:
            tail = self.splitter.finish()
        except TrailingBytes as exc:
            raise MixerError(errors.INVALID_BUFFER, str(exc)) from None
        if tail is not None:
            await self._frames(tail[0][None, :], time.perf_counter(), real_samples=tail[1])
        if self.session.frames == 0:
            raise MixerError(errors.INVALID_BUFFER, "The stream held no samples.")
        await self._send(sse_event("complete", self.session.summary()), more=False)
        await database_sync_to_async(stream_events.stream_complete_emit)(session=self.session)

    async def _frames(self, frames, arrived: float, *, real_samples: int = FRAME_SIZE) -> None:
        """The events of ``frames`` (one body message's), ``MAX_FRAMES_PER_SEND`` to a send."""
        for first in range(0, len(frames), MAX_FRAMES_PER_SEND):
            events: list[bytes] = []
            try:
                with self.session.metrics_batched():
                    for frame in frames[first:first + MAX_FRAMES_PER_SEND]:
                        events.append(self._audio_event(frame, real_samples))
            finally:  # frames before a bad one still go out, then the error
                if events:
                    await self._send(b"".join(events), more=True)
                    self.session.latency_record(
                        (time.perf_counter() - arrived) * 1000 * len(events))
                if self.session.genre_changes:  # genre "auto" detected a new genre
                    await _genre_changes_emit(session=self.session)

    def _audio_event(self, frame, real_samples: int) -> bytes:
        index = self.session.frames
        try:
            outcome = self.session.process(frame, real_samples=real_samples)
        except FrameError as exc:
            raise MixerError(errors.NON_FINITE_SAMPLES, f"Chunk {index}: {exc}",
                             details={"chunk": index}) from None
        head = orjson.dumps({
            "timestamp": self.session.timestamp_ms(index), "chunk": index,
            "chunkSize": FRAME_SIZE, "validSamples": real_samples, "processed": True,
            "metrics": frame_metrics(outcome)})
        # Base64 needs no JSON escaping: splice it in rather than have json scan 5 KB a frame.
        audio = binascii.b2a_base64(outcome.result.samples.astype(WIRE_DTYPE, copy=False),
                                    newline=False)
        return b"".join((b"event: audio\ndata: ", head[:-1], b',"audio":"', audio, b'"}\n\n'))

    async def _send(self, body: bytes, *, more: bool) -> None:
        if not self.started:
            self.started = True
            extra = dict(self.limit.headers()) if self.limit else {}
            await self.send({"type": "http.response.start", "status": 200, "headers": _encode({
                "Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no", "X-Request-Id": self.request_id,
                "X-Stream-Id": self.session.session_id, **extra})})
        await self.send({"type": "http.response.body", "body": body, "more_body": more})

    async def _fail(self, exc: MixerError) -> int:
        """A 4xx/5xx before the first event, else an ``error`` event that ends the stream.
        Errors in the audio itself also go to the ``error.occurred`` webhook."""
        if exc.code != errors.INVALID_BUFFER or self.session.frames:
            await database_sync_to_async(stream_events.stream_error_emit)(
                session=self.session, code=exc.code, message=exc.message,
                request_id=self.request_id)
        if not self.started:
            await _send_error_response(self.send, exc, self.request_id, self.limit)
            return exc.status_code
        body = errors.error_body(exc.code, exc.message, exc.details, self.request_id)
        await self._send(sse_event("error", body), more=False)
        return 200

