"""What a stream (``/stream-audio``, ``/ws``) leaves behind: webhook events
(``processing.complete`` when it ends, ``error.occurred`` when its audio could not be
processed, ``genre.detected`` when genre "auto" detects a new genre) and the key's ``/stats``.
Best effort: a webhook or counter problem is logged and never changes the stream's answer."""

from __future__ import annotations

import logging
from typing import Any

import redis

from mixer import genre_auto, stats
from mixer.models import ApiKey
from mixer.stream_session import StreamSession
from webhooks import services

logger = logging.getLogger(__name__)


def _emit(*, key: ApiKey, event: str, data: dict[str, Any]) -> None:
    try:
        services.event_emit(owner_id=key.owner_id, event=event, data=data)
    except Exception:
        logger.exception("webhook event %s not queued", event)


def stream_complete_emit(*, session: StreamSession) -> None:
    """The spec's payload (sessionId, duration, genre, confidence) plus the stream's totals."""
    genre, confidence = session.genre()
    summary = session.summary()
    _emit(key=session.key, event="processing.complete", data={
        "sessionId": session.session_id, "duration": summary["totalDuration"],
        "genre": genre, "confidence": confidence, "totalChunks": summary["totalChunks"],
        "averageLatency": summary["averageLatency"]})


def genre_changes_emit(*, session: StreamSession) -> None:
    """A ``genre.detected`` webhook for each change the session queued, in order; its
    ``sessionId`` is the stream's."""
    changes, session.genre_changes = session.genre_changes, []
    for detection in changes:
        genre_auto.genre_detected_emit(key=session.key, stream_id=session.session_id,
                                       detection=detection)


def stream_error_emit(*, session: StreamSession, code: str, message: str,
                      request_id: str) -> None:
    _emit(key=session.key, event="error.occurred", data={
        "sessionId": session.session_id, "code": code, "message": message,
        "requestId": request_id, "chunksProcessed": session.frames})


def stream_stats_record(key: ApiKey, *, failed: bool, session: StreamSession | None) -> None:
    """A stream is one request in the key's /stats, with its samples and its mean per-frame
    latency (frames are not requests: a real-time stream sends 50 a second)."""
    frames = session.frames if session else 0
    try:
        stats.request_record(
            key=key, failed=failed, samples=session.samples if frames else 0,
            latency_ms=session.latency_ms_sum / frames if frames else None,
            genre=session.genre()[0] if frames else None)
    except redis.RedisError:
        logger.warning("could not record mixer stats", exc_info=True)
