"""Prometheus metrics of the mixer API (``GET /metrics``), with prometheus-client.

The default registry is per process: with several server processes, scrape each one, or set
``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode) before they start.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import CollectorRegistry

REQUESTS = Counter("ai_mixer_requests", "Total number of requests",
                   ["method", "endpoint", "status"])
PROCESSING_SECONDS = Histogram(
    "ai_mixer_processing_duration_seconds", "Audio processing duration",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)
FRAMES = Counter("ai_mixer_frames_processed", "Audio frames processed")
SAMPLES = Counter("ai_mixer_samples_processed", "Audio samples processed")


def request_observe(*, method: str, endpoint: str, status: int) -> None:
    REQUESTS.labels(method=method, endpoint=endpoint, status=str(status)).inc()


def frame_observe(*, seconds: float, samples: int) -> None:
    PROCESSING_SECONDS.observe(seconds)
    FRAMES.inc()
    SAMPLES.inc(samples)


def frames_observe(*, seconds: list[float], samples: int) -> None:
    """Several frames at once (a stream's batch): the counters move once, not per frame."""
    for one in seconds:
        PROCESSING_SECONDS.observe(one)
    FRAMES.inc(len(seconds))
    SAMPLES.inc(samples)


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
