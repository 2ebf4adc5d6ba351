"""``/ws`` (+ ``/v1/ws``): the mixer over one WebSocket (spec 003, "WebSocket API").

Messages are JSON ``{"type", "id", "data"}``; every reply carries the request's ``id``. The
key comes as ``?key=<API key or mobile token>`` or in a first ``{"type": "auth", "data":
{"key": …}}`` message. ``process`` sends one frame and gets it back processed; ``stream``
starts a stream, after which binary messages of 960 little-endian float32 samples come back as
binary processed frames, each followed by a JSON ``metrics`` message (a binary message may carry
up to ``MAX_FRAMES_PER_MESSAGE`` frames: one binary answer with as many processed frames, one
``metrics`` message listing them; per-message costs dwarf the chain); ``stop`` ends it
(``processing.complete`` webhook); ``config`` changes this connection's chain; ``ping`` →
``pong``. A bad message gets ``{"type": "error", "id", "error": {…spec error…}}`` and the
socket stays open. Each JSON message counts against the key's rate limit like a REST request;
the binary frames of a started stream do not (the stream counts as one request).

The chain state belongs to the connection: ``process`` frames on one socket are one stream,
and ``stream`` starts from a fresh state.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import orjson
import redis
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import DatabaseError

from audioservices.weights import WeightsMissing
from mixer import (
    dsp,
    errors,
    frames,
    inputs,
    mobile,
    processing,
    stats,
    stream_events,
    streams,
)
from mixer.dsp import FrameError, SettingsError
from mixer.errors import MixerError
from mixer.framing import WIRE_DTYPE, FrameCountError, frames_from_message
from mixer.models import ApiKey
from mixer.ratelimit import rate_limit_hit
from mixer.stream_session import (
    StreamSession,
    config_check,
    config_merge,
    frame_metrics,
    genre_model_check,
    session_id_new,
)

logger = logging.getLogger(__name__)
UNAUTHENTICATED_CLOSE_CODE = 4401
MAX_FRAMES_PER_MESSAGE = 50  # one second of audio (192,000 bytes) in one binary message


def _authenticate(raw: Any) -> ApiKey:
    try:
        return mobile.key_from_bearer(raw if isinstance(raw, str) else None)
    except mobile.CredentialRefused as exc:
        raise MixerError(errors.UNAUTHORIZED, exc.message, status_code=401) from None


def _rate_limit(key: ApiKey) -> None:
    status = rate_limit_hit(key=key)
    if status.exceeded:
        raise errors.rate_limit_error(status.retry_after_s())


def _record(key: ApiKey, failed: bool, frame: tuple[float, str | None] | None) -> None:
    """The message in the key's /stats; ``frame`` = (latency ms, genre) of a processed one."""
    try:
        stats.request_record(key=key, failed=failed, latency_ms=frame[0] if frame else None,
                             samples=dsp.FRAME_SIZE if frame else 0,
                             genre=frame[1] if frame else None)
    except redis.RedisError:
        logger.warning("could not record mixer stats", exc_info=True)


def _frames_or_error(payload: bytes) -> np.ndarray:
    try:
        return frames_from_message(payload, max_frames=MAX_FRAMES_PER_MESSAGE)
    except FrameCountError:
        raise MixerError(errors.INVALID_BUFFER_SIZE, f"Audio buffer size must be "
                         f"{dsp.FRAME_SIZE} samples (or up to {MAX_FRAMES_PER_MESSAGE} whole "
                         f"frames of {dsp.FRAME_SIZE} in one binary message).", details={
                             "expected": dsp.FRAME_SIZE, "received": len(payload) // 4,
                             "receivedBytes": len(payload)}) from None


def _frames_process(stream: StreamSession, frames: np.ndarray
                    ) -> tuple[np.ndarray, list[dict[str, Any]], list[tuple[int, FrameError]]]:
    """The processed frames, their ``metrics`` entries, and the (chunk, error) of each frame
    dropped for non-finite samples (it takes no chunk number: the next frame gets it)."""
    processed = np.empty_like(frames)
    entries: list[dict[str, Any]] = []
    dropped: list[tuple[int, FrameError]] = []
    for frame in frames:
        index = stream.frames
        try:
            out = stream.process(frame)
        except FrameError as exc:
            dropped.append((index, exc))
            continue
        processed[len(entries)] = out.result.samples
        entries.append({"chunk": index, "timestamp": stream.timestamp_ms(index),
                        "chunkSize": dsp.FRAME_SIZE, "processed": True,
                        "metrics": frame_metrics(out)})
    return processed[:len(entries)], entries, dropped


_stats_record = database_sync_to_async(stream_events.stream_stats_record)
_genre_changes_emit = database_sync_to_async(stream_events.genre_changes_emit)


class MixerSocketConsumer(AsyncWebsocketConsumer):
    async def __call__(self, scope, receive, send) -> None:
        # No channel layer: the socket gets no group messages, and with one every connection
        # would hold a blocking Redis read that ends the socket when Redis is slow to answer.
        # Without one, Channels' loop (a task and an asyncio.wait per message, built to merge
        # the client with a layer) is pure overhead: read and dispatch in a plain loop.
        self.scope, self.base_send, self.channel_layer = scope, send, None
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict) -> None:
        # Audio frames touch no database: skip channels' per-message close_old_connections,
        # a hop to the one sync thread that costs more than the frame, and its handler lookup.
        # (Our database calls go through database_sync_to_async, which closes stale
        # connections itself.)
        if message["type"] == "websocket.receive" and message.get("bytes") is not None:
            await self._guarded(None, self._audio(message["bytes"]))
        else:
            await super().dispatch(message)

    async def connect(self) -> None:
        self.key: ApiKey | None = None
        self.config: dict[str, Any] = {}
        self.chain: StreamSession | None = None  # for process messages
        self.stream: StreamSession | None = None  # the started stream, for binary frames
        self.stream_message_id: Any = None
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if "key" in query:
            try:
                self.key = await database_sync_to_async(_authenticate)(query["key"][0])
            except MixerError as exc:
                await self._error(None, exc)
                await self.close(code=UNAUTHENTICATED_CLOSE_CODE)

    async def disconnect(self, code: int) -> None:
        if self.stream is not None and self.key is not None:  # left without stop: no webhook
            await _stats_record(self.key, failed=False, session=self.stream)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        try:
            message = json.loads(text_data or "")
        except ValueError:
            await self._error(None, MixerError(errors.INVALID_JSON, "Messages must be JSON."))
            return
        message_id = message.get("id") if isinstance(message, dict) else None
        await self._guarded(message_id, self._dispatch(message))

    async def _guarded(self, message_id: Any, handling) -> None:
        """Run a handler; any failure becomes an error message, and the socket stays open."""
        try:
            await handling
        except MixerError as exc:
            await self._error(message_id, exc)
        except WeightsMissing as exc:  # genre "auto" without the model file: says how to fix
            await self._error(message_id, errors.as_mixer_error(exc))
        except (redis.RedisError, DatabaseError):
            logger.exception("mixer backend unavailable")
            await self._error(message_id, MixerError(
                errors.SERVICE_UNAVAILABLE, "A backing service is unavailable; retry later.",
                status_code=503))
        except Exception:
            logger.exception("unexpected error in /ws")
            await self._error(message_id, MixerError(errors.INTERNAL_ERROR, "Internal error.",
                                                     status_code=500))

    async def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise MixerError(errors.INVALID_MESSAGE,
                             'A message is an object {"type", "id", "data"}.')
        kind, message_id, data = message["type"], message.get("id"), message.get("data", {})
        if not isinstance(data, dict):
            raise MixerError(errors.INVALID_MESSAGE, "data must be an object.")
        if kind == "auth":
            await self._auth(message_id, data.get("key", message.get("key")))
            return
        if self.key is None:
            raise MixerError(errors.UNAUTHORIZED, "Authenticate first: ?key=<API key> or "
                             '{"type": "auth", "data": {"key": "<API key>"}}.', status_code=401)
        handler = self.HANDLERS.get(kind)
        if handler is None:
            raise MixerError(errors.INVALID_MESSAGE, f"Unknown message type {kind!r}; use one "
                             f"of {', '.join(['auth', *self.HANDLERS])}.")
        await database_sync_to_async(_rate_limit)(self.key)
        await handler(self, message_id, data)

    async def _reply(self, kind: str, message_id: Any, data: dict[str, Any]) -> None:
        await self._send_json({"type": kind, "id": message_id, "data": data})

    async def _error(self, message_id: Any, exc: MixerError) -> None:
        body = errors.error_body(exc.code, exc.message, exc.details, uuid.uuid4().hex)
        await self._send_json({"type": "error", "id": message_id, **body})

    async def _send_json(self, message: dict[str, Any]) -> None:
        # orjson: a metrics message per frame (or a processedBuffer of 960 numbers) costs
        # ~6x less CPU than with json; our numbers are finite, so the output is the same JSON.
        await self.send(text_data=orjson.dumps(message).decode())

    async def _auth(self, message_id: Any, raw: Any) -> None:
        if self.key is not None:
            raise MixerError(errors.INVALID_MESSAGE, "This connection is already authenticated.")
        self.key = await database_sync_to_async(_authenticate)(raw)
        await self._reply("auth", message_id, {"authenticated": True, "tier": self.key.tier})

    async def _process(self, message_id: Any, data: dict[str, Any]) -> None:
        frame = inputs.frame_from(data.get("audioBuffer"))
        inputs.sample_rate_check(data.get("sampleRate"))
        overrides = inputs.config_from(data.get("config"))
        if self.chain is None:
            self.chain = StreamSession(key=self.key, config=self.config,
                                       session_id=session_id_new("ws"))
        try:
            out = self.chain.process(frame, overrides=overrides)
        except SettingsError as exc:
            raise inputs.settings_error(exc) from None
        await self._reply("processed", message_id, {
            "processedBuffer": out.result.samples.tolist(), "metrics": frame_metrics(out),
            "appliedSettings": frames.applied_settings(out.settings)})
        if self.chain.genre_changes:
            await _genre_changes_emit(session=self.chain)
        await database_sync_to_async(_record)(self.key, False, (out.seconds * 1000, out.genre))

    async def _stream(self, message_id: Any, data: dict[str, Any]) -> None:
        if self.stream is not None:
            raise MixerError(errors.STREAM_ALREADY_ACTIVE, "A stream is running: stop it first.")
        config = config_merge(self.config, inputs.config_from(data.get("config")))
        try:
            config_check(config)
        except SettingsError as exc:
            raise inputs.settings_error(exc) from None
        session_id = data.get("sessionId") or session_id_new("ws")
        if not isinstance(session_id, str) or not streams.STREAM_ID.match(session_id):
            raise MixerError(errors.INVALID_STREAM_ID,
                             "sessionId must be 1-64 characters from A-Z a-z 0-9 . _ : -")
        self.stream = StreamSession(key=self.key, config=config, session_id=session_id)
        self.stream_message_id = message_id
        await self._reply("stream", message_id, {
            "sessionId": session_id, "frameSize": dsp.FRAME_SIZE,
            "sampleRate": dsp.SAMPLE_RATE, "format": "float32le"})

    async def _audio(self, payload: bytes) -> None:
        """One binary message of k frames: one binary answer with the k processed frames, one
        ``metrics`` message (k = 1: the frame's entry; k > 1: ``{"frames": [entries]}``). A
        non-finite frame is dropped with an error after them, and the stream goes on."""
        arrived = time.perf_counter()
        stream = self.stream
        if self.key is None or stream is None:
            raise MixerError(errors.NO_ACTIVE_STREAM, "Send a stream message before audio.")
        frames = _frames_or_error(payload)
        with stream.metrics_batched():  # Prometheus once per message, not per frame
            processed, entries, dropped = _frames_process(stream, frames)
        if entries:
            await self.send(bytes_data=processed.astype(WIRE_DTYPE, copy=False).tobytes())
            await self._reply("metrics", self.stream_message_id,
                              entries[0] if len(frames) == 1 else {"frames": entries})
            stream.latency_record((time.perf_counter() - arrived) * 1000 * len(entries))
        if stream.genre_changes:  # genre "auto" detected a new genre in these frames
            await _genre_changes_emit(session=stream)
        for index, exc in dropped:
            await self._frame_dropped(stream, index, exc)

    async def _frame_dropped(self, stream: StreamSession, index: int, exc: FrameError) -> None:
        await database_sync_to_async(stream_events.stream_error_emit)(
            session=stream, code=errors.NON_FINITE_SAMPLES, message=str(exc),
            request_id=str(self.stream_message_id))
        await self._error(None, MixerError(errors.NON_FINITE_SAMPLES, f"Chunk {index}: {exc}",
                                           details={"chunk": index}))

    async def _stop(self, message_id: Any, data: dict[str, Any]) -> None:
        stream, self.stream = self.stream, None
        if stream is None:
            raise MixerError(errors.NO_ACTIVE_STREAM, "No stream is running.")
        await self._reply("complete", message_id, stream.summary())
        await database_sync_to_async(stream_events.stream_complete_emit)(session=stream)
        await _stats_record(self.key, failed=False, session=stream)

    async def _config(self, message_id: Any, data: dict[str, Any]) -> None:
        changes = inputs.config_from(data)
        config = config_merge(self.config, changes)
        try:  # validate the whole merged config before any session changes
            applied, _, _ = processing.settings_resolve(key=self.key, config=config)
        except SettingsError as exc:
            raise inputs.settings_error(exc) from None
        genre_model_check(config)
        self.config = config
        for session in (self.chain, self.stream):  # the running stream's settings win
            if session is not None:  # under "auto" they follow the genre detected so far
                applied = session.reconfigure(changes)
        await self._reply("config", message_id, {"appliedSettings": applied.to_dict()})

    async def _ping(self, message_id: Any, data: dict[str, Any]) -> None:
        await self._reply("pong", message_id, {"timestamp": int(time.time() * 1000)})

    HANDLERS = {"process": _process, "stream": _stream, "stop": _stop, "config": _config,
                "ping": _ping}
