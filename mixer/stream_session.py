"""One live stream's chain, kept in memory: ``/stream-audio`` and the ``/ws`` socket.

A REST frame with a stream id loads and saves its state in Redis (``mixer.streams``), so any
server process can take the next one. A streaming connection lives in one process for its
whole life, so its state stays here instead: two Redis round trips per frame would cost more
than the chain itself. The chain and meter steps are those of ``processing.frame_process``
(settings resolved by ``processing.settings_resolve``, ``dsp.process``, ``loudness.meter``),
and the answer is the same :class:`processing.FrameOutcome`.

Genre "auto" likewise keeps its detector (:class:`mixer.genre_stream.GenreStreamState`) here
and feeds it every input frame; the detected genre's preset is the chain's base, as on
``/process-audio``. A change of genre is queued in :attr:`StreamSession.genre_changes` for the
transport to send as the ``genre.detected`` webhook (a database write, which the event loop
must not make itself). Streams without "auto" pay nothing for it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import numpy as np

from mixer import dsp, metrics, processing, streams
from mixer.dsp import ChainSettings
from mixer.genre import load_model
from mixer.genre_auto import Detection
from mixer.genre_stream import GenreStreamState, genre_stream_update
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
    """SettingsError when ``config`` holds an invalid field (the base does not matter);
    GenreModelMissing when it asks for genre "auto" and the model file is missing, so a stream
    is refused at its start rather than at its first frame."""
    ChainSettings.from_dict(config)
    genre_model_check(config)


def genre_model_check(config: dict[str, Any]) -> None:
    """GenreModelMissing when ``config`` asks for genre "auto" and the model file is missing."""
    if _asks_auto(config):
        load_model()


def _asks_auto(config: dict[str, Any]) -> bool:
    return config.get("genre") == processing.AUTO


def session_id_new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


class StreamSession:
    """The chain and loudness state of one stream, its settings and its running totals.

    Check a config with :func:`config_check` first: a frame under genre "auto" without the
    model file raises GenreModelMissing."""

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
        # (settings, genre, confidence); "auto": resolved again when the detected genre changes
        self._resolved: tuple[ChainSettings, str | None, float | None] | None = None
        self._genre_state: GenreStreamState | None = None  # created by the first "auto" frame
        self.genre_changes: list[Detection] = []  # detections not yet sent as webhooks

    def reconfigure(self, changes: dict[str, Any]) -> ChainSettings:
        """Apply ``changes`` from the next frame on (state kept); SettingsError if invalid.
        Returns the settings the next frame gets (under "auto": the detected genre's)."""
        config = config_merge(self.config, changes)
        auto = _asks_auto(config)
        if auto != _asks_auto(self.config):  # detection starts or stops: a new "auto" starts
            # afresh
            self._genre_state = None
        genre = (self._genre_state.genre if self._genre_state else None) if auto else (
            config.get("genre"))
        chain_settings = processing.settings_for_genre(key=self.key, config=config, genre=genre)
        self.config, self._resolved = config, None
        return chain_settings

    def process(self, frame: np.ndarray, *, real_samples: int = dsp.FRAME_SIZE,
                overrides: dict[str, Any] | None = None) -> processing.FrameOutcome:
        """One frame through the chain and the meter, with ``overrides`` (a config) for this
        frame only. FrameError for non-finite samples, SettingsError for bad overrides,
        GenreModelMissing for genre "auto" without the model file."""
        if overrides:
            resolved = processing.settings_resolve(
                key=self.key, config=config_merge(self.config, overrides),
                detect=partial(self._detect, frame[:real_samples]))
        elif _asks_auto(self.config):
            resolved = self._resolve_auto(frame[:real_samples])
        else:
            if self._resolved is None:
                self._resolved = processing.settings_resolve(key=self.key, config=self.config)
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

    def _resolve_auto(self, frame: np.ndarray) -> tuple[ChainSettings, str | None, float | None]:
        """The session's "auto" settings: parsed again only when the detected genre changes."""
        genre, confidence = self._detect(frame)
        if self._resolved is None or self._resolved[1] != genre:
            self._resolved = (processing.settings_for_genre(
                key=self.key, config=self.config, genre=genre), genre, None)
        return self._resolved[0], genre, confidence

    def _detect(self, frame: np.ndarray) -> tuple[str | None, float | None]:
        """Feed the input ``frame`` to the genre detector: (genre, confidence), (None, None)
        for the first 3 s. FrameError before the detector sees a non-finite sample."""
        samples = dsp.valid_frame(frame)
        update = genre_stream_update(self._genre_state or GenreStreamState(), samples,
                                     model=load_model())
        self._genre_state = update.state
        if update.changed:
            self.genre_changes.append(Detection(update.genre, update.confidence, changed=True))
        return update.genre, update.confidence

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


