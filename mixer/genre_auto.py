"""Genre "auto" for ``/process-audio``: a stream's genre from its last 3 s of input.

The detector state (:class:`mixer.genre_stream.GenreStreamState`, MFCC rows of the recent
audio) lives in Redis beside the stream's DSP state, under the same key scope and expiry, so
any server process can take the stream's next frame. Without a stream id there is no history:
one 20 ms frame is far too little to classify, and the answer is (None, None), never a guess.
When the detected genre changes (including the first detection), the key's owner gets a
``genre.detected`` webhook. A streaming connection (``/stream-audio``, ``/ws``) keeps the same
detector state in its :class:`mixer.stream_session.StreamSession` instead of Redis.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from mixer import store
from mixer.genre import GenreModelMissing, load_model
from mixer.genre_stream import GenreStreamState, genre_stream_update
from mixer.models import ApiKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Detection:
    genre: str | None
    confidence: float | None
    changed: bool


NOTHING = Detection(None, None, changed=False)


def model_version() -> str | None:
    try:
        return load_model().version
    except GenreModelMissing:
        return None


def _redis_key(key: ApiKey, stream_id: str) -> str:
    return f"mixer:genre:{key.key_hash[:20]}:{stream_id}"


def genre_detect(*, key: ApiKey, stream_id: str | None, frame: np.ndarray) -> Detection:
    """Feed ``frame`` (the input, before the chain) to the stream's detector."""
    if not stream_id:
        return NOTHING
    model = load_model()  # GenreModelMissing propagates: the view answers 503 with how to fix
    client = store.client()
    blob = client.get(_redis_key(key, stream_id))
    state = GenreStreamState.from_json(json.loads(blob)) if blob else GenreStreamState()
    update = genre_stream_update(state, frame, model=model)
    client.set(_redis_key(key, stream_id), json.dumps(update.state.to_json()),
               ex=settings.MIXER_STREAM_TTL_S)
    detection = Detection(update.genre, update.confidence, update.changed)
    if detection.changed:
        genre_detected_emit(key=key, stream_id=stream_id, detection=detection)
    return detection


def genre_detected_emit(*, key: ApiKey, stream_id: str, detection: Detection) -> None:
    """The ``genre.detected`` webhook for the key's owner (a database write: call it from
    synchronous code). Best effort: a webhook problem is logged, never fails the audio."""
    from webhooks.services import event_emit

    try:
        event_emit(owner_id=key.owner_id, event="genre.detected",
                   data={"sessionId": stream_id, "genre": detection.genre,
                         "confidence": detection.confidence})
    except Exception:  # a webhook problem must never fail the audio
        logger.exception("genre.detected webhook for stream %s not queued", stream_id)
