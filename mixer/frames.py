"""``POST /process-audio`` as plain functions, shared by the DRF view (``mixer.api``) and the
lean ASGI path production serves (``mixer.frame_asgi``): the body's checks, the chain with the
stream's state, the key's stats, and the answer's JSON document."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixer import inputs, processing, stats, store, streams
from mixer.dsp import ChainSettings, SettingsError
from mixer.models import ApiKey


@dataclass(frozen=True)
class FrameRequest:
    frame: np.ndarray
    config: dict[str, Any]
    stream_id: str | None


def frame_request_from(*, body: Any, stream_header: str | None) -> FrameRequest:
    """The checked request (``stream_header``: the ``X-Stream-Id`` header, which wins over the
    body's ``streamId``); MixerError with the spec's code for the first thing wrong."""
    body = inputs.body_object(body)
    frame = inputs.frame_from(body.get("audioBuffer"))
    inputs.sample_rate_check(body.get("sampleRate"))
    stream_id = inputs.stream_id_from(stream_header, body)
    return FrameRequest(frame, inputs.config_from(body.get("config")), stream_id)


def frame_answer(
    *,
    key: ApiKey,
    request: FrameRequest,
    started: float,
    state: streams.StreamState | None = None,
) -> dict[str, Any]:
    """Process the frame and answer it. The stream's new state and this request's stats go to
    Redis in one round trip before the answer is made (a Redis error propagates: 503, the
    state was not saved). ``started``: ``time.perf_counter()`` at the request's arrival, for
    the stats' latency; ``state``: the stream's state when the caller already read it."""
    pipe = store.client().pipeline(transaction=False)
    try:
        out = processing.frame_process(
            key=key,
            frame=request.frame,
            config=request.config,
            stream_id=request.stream_id,
            redis_pipe=pipe,
            state=state,
        )
    except SettingsError as exc:
        raise inputs.settings_error(exc) from None
    latency_ms = (time.perf_counter() - started) * 1000
    stats.request_record(
        key=key,
        failed=False,
        latency_ms=latency_ms,
        samples=request.frame.size,
        genre=out.genre,
        pipe=pipe,
    )
    pipe.execute()
    return {
        "processedBuffer": out.result.samples,  # float32 array: mixer.jsonio writes it
        "metrics": processing.frame_metrics(out),
        "appliedSettings": applied_settings(out.settings),
    }


@functools.lru_cache(maxsize=256)
def applied_settings(settings: ChainSettings) -> dict[str, Any]:
    """The response's ``appliedSettings`` (settings are immutable and hashable, and a stream
    keeps its settings: building the dict anew cost more than the chain). Read-only."""
    applied = settings.to_dict()
    return {
        name: applied[name]
        for name in ("noiseGate", "compressor", "eq", "limiter", "gain", "bypass")
    }
