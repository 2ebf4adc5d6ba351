"""One live stream's chain, kept in memory: ``/stream-audio`` and the ``/ws`` socket.

A REST frame with a stream id loads and saves its state in Redis (``mixer.streams``), so any
server process can take the next one. A streaming connection lives in one process for its
whole life, so its state stays here instead: two Redis round trips per frame would cost more
than the chain itself. The chain and meter steps are those of ``processing.frame_process``
(settings resolved by ``processing.settings_resolve``, ``dsp.process``, ``loudness.meter``),
and the answer is the same :class:`processing.FrameOutcome`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from mixer import dsp, metrics, processing, streams
from mixer.dsp import ChainSettings
from mixer.models import ApiKey
from mixer.processing import frame_metrics  # noqa: F401 (the streams' import point)


def config_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` over ``base``, section by section (``{"compressor": {"ratio": 4}}`` keeps
    the saved threshold)."""
    merged = dict(base)
    for name, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = config_merge(merged[name], value)
        else:
            merged[name] = value
    return merged


def config_check(config: dict[str, Any]) -> None:
    """SettingsError when ``config`` holds an invalid field (the base does not matter)."""
    ChainSettings.from_dict(config)


def session_id_new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


class StreamSession:
    """The chain and loudness state of one stream, its settings and its running totals."""

    def __init__(self, *, key: ApiKey, config: dict[str, Any], session_id: str) -> None:
        self.key, self.config, self.session_id = key, config, session_id
        self.state = streams.fresh_state()
        self.started_ms = int(time.time() * 1000)
        self.frames = 0
        self.samples = 0  # real input samples (a zero-padded tail counts its real part only)
        self.latency_ms_sum = 0.0
        self.last: processing.FrameOutcome | None = None
        self._unobserved: list[float] | None = None  # inside metrics_batched: chain seconds
        self._unobserved_samples = 0
        self._resolved: tuple[ChainSettings, str | None, float | None] | None = None

    def reconfigure(self, changes: dict[str, Any]) -> ChainSettings:
        """Apply ``changes`` from the next frame on (state kept); SettingsError if invalid."""
        config = config_merge(self.config, changes)
        chain_settings, _, _ = processing.settings_resolve(  # validates; the reply shows it
            key=self.key, config=config, frame=np.zeros(dsp.FRAME_SIZE, np.float32))
        self.config, self._resolved = config, None  # resolved on the next real frame ("auto")
        return chain_settings

    def process(self, frame: np.ndarray, *, real_samples: int = dsp.FRAME_SIZE,
                overrides: dict[str, Any] | None = None) -> processing.FrameOutcome:
        """One frame through the chain and the meter, with ``overrides`` (a config) for this
        frame only. FrameError for non-finite samples, SettingsError for bad overrides."""
        if overrides:
            resolved = processing.settings_resolve(
                key=self.key, config=config_merge(self.config, overrides), frame=frame)
        else:
            if self._resolved is None:  # "auto" classifies the first frame it is given
                self._resolved = processing.settings_resolve(key=self.key, config=self.config,
                                                             frame=frame)
            resolved = self._resolved
        chain_settings, genre, confidence = resolved
        result, lufs, seconds = processing.chain_run(frame, settings=chain_settings,
                                                     state=self.state)
        if self._unobserved is None:
            metrics.frame_observe(seconds=seconds, samples=frame.size)
        else:
            self._unobserved.append(seconds)
            self._unobserved_samples += frame.size
        self.frames += 1
        self.samples += real_samples
        self.last = processing.FrameOutcome(result, lufs, chain_settings, genre, confidence,
                                            seconds)
        return self.last

    @contextmanager
    def metrics_batched(self) -> Iterator[None]:
        """Frames processed inside reach Prometheus together at the end (a batch is one body
        message or one socket message): the frame and sample counters move once per batch;
        the duration histogram still takes every frame."""
        self._unobserved, self._unobserved_samples = [], 0
        try:
            yield
        finally:
            seconds, self._unobserved = self._unobserved, None
            if seconds:
                metrics.frames_observe(seconds=seconds, samples=self._unobserved_samples)

    def timestamp_ms(self, index: int) -> int:
        """Media time of frame ``index``: the stream's start plus 20 ms per frame before it."""
        return self.started_ms + index * dsp.FRAME_SIZE * 1000 // dsp.SAMPLE_RATE

    def latency_record(self, ms: float) -> None:
        self.latency_ms_sum += ms

    def summary(self) -> dict[str, Any]:
        """The spec's ``complete`` event: totalChunks, totalDuration (s), averageLatency (ms)."""
        return {"sessionId": self.session_id, "totalChunks": self.frames,
                "totalDuration": round(self.samples / dsp.SAMPLE_RATE, 6),
                "averageLatency": round(self.latency_ms_sum / self.frames, 4)
                if self.frames else 0.0}

    def genre(self) -> tuple[str | None, float | None]:
        return (self.last.genre, self.last.confidence) if self.last else (None, None)


