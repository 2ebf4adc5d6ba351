"""``POST /process-audio`` without HTTP: settings resolution, the chain, meters, stream state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import redis

from mixer import dsp, genre_auto, loudness, metrics, selectors, streams
from mixer.dsp import ChainSettings
from mixer.models import ApiKey
from mixer.presets import preset_for

AUTO = "auto"


def genre_model_version() -> str | None:
    """The genre model's version for ``GET /config`` (None when the model file is missing)."""
    return genre_auto.model_version()


@dataclass(frozen=True)
class FrameOutcome:
    result: dsp.ProcessResult
    lufs: float
    settings: ChainSettings
    genre: str | None  # the preset in use: the requested one, or the detected one
    confidence: float | None  # only for a detected genre
    seconds: float  # chain + meter time


def frame_metrics(outcome: FrameOutcome) -> dict[str, Any]:
    """The ``metrics`` object of a processed frame (``/process-audio``, SSE, ``/ws``)."""
    return {"peak": outcome.result.peak_db, "rms": outcome.result.rms_db, "lufs": outcome.lufs,
            "genre": outcome.genre, "confidence": outcome.confidence,
            "processingTime": round(outcome.seconds * 1000, 4)}


def chain_run(frame: np.ndarray, *, settings: ChainSettings,
              state: streams.StreamState) -> tuple[dsp.ProcessResult, float, float]:
    """The chain and the stream's loudness meter on one frame: (result, LUFS, seconds)."""
    start = time.perf_counter()
    result = dsp.process(frame, settings=settings, state=state.chain)
    lufs = loudness.meter(result.samples, state.meter)
    return result, lufs, time.perf_counter() - start


Detect = Callable[[], tuple[str | None, float | None]]  # () -> (genre, confidence)


def settings_resolve(*, key: ApiKey, config: dict[str, Any], detect: Detect | None = None
                     ) -> tuple[ChainSettings, str | None, float | None]:
    """Base settings, then the request's fields: a named genre's preset replaces the key's
    saved settings as the base; "auto" uses the preset of the genre ``detect`` gives (the
    stream's last 3 s), or the saved settings while nothing is detected (and without a
    detector: only validating). SettingsError for invalid fields."""
    genre, confidence = config.get("genre"), None
    if genre == AUTO:
        genre, confidence = detect() if detect else (None, None)
    return settings_for_genre(key=key, config=config, genre=genre), genre, confidence


def settings_for_genre(*, key: ApiKey, config: dict[str, Any], genre: str | None
                       ) -> ChainSettings:
    """``config``'s fields over ``genre``'s preset (the requested or the detected genre), or
    over the key's saved settings when there is none. SettingsError for invalid fields."""
    base = preset_for(genre) if genre else selectors.key_settings(key=key)
    return ChainSettings.from_dict(config, base=base)


def frame_process(*, key: ApiKey, frame: np.ndarray, config: dict[str, Any],
                  stream_id: str | None,
                  redis_pipe: redis.client.Pipeline | None = None,
                  state: streams.StreamState | None = None) -> FrameOutcome:
    """Process one frame; with ``redis_pipe`` the stream's new state is queued there (the
    caller executes it before answering) instead of written at once. ``state``: the stream's
    state when the caller already read it (else it is read here)."""
    def detect() -> tuple[str | None, float | None]:  # the stream's detector lives in Redis
        found = genre_auto.genre_detect(key=key, stream_id=stream_id, frame=frame)
        return found.genre, found.confidence

    chain_settings, genre, confidence = settings_resolve(key=key, config=config, detect=detect)
    if state is None:
        state = (streams.stream_load(key=key, stream_id=stream_id) if stream_id
                 else streams.fresh_state())
    result, lufs, seconds = chain_run(frame, settings=chain_settings, state=state)
    if stream_id:
        streams.stream_save(key=key, stream_id=stream_id, state=state, pipe=redis_pipe)
    metrics.frame_observe(seconds=seconds, samples=frame.size)
    return FrameOutcome(result, lufs, chain_settings, genre, confidence, seconds)
