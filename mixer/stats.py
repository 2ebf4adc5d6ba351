"""``GET /stats`` counters, kept per API key in Redis (one pipelined round trip per request).

Counted: every mixer request a key authenticated (``total``, ``today`` in UTC, ``errors`` =
answers with status >= 400), and for each processed frame its samples, genre and server-side
latency (from the request's arrival in the view to its answer, in ms). ``averageLatency`` is
over all processed frames; ``p95Latency``/``p99Latency`` over the key's last
``LATENCY_WINDOW`` frames.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import redis

from mixer import store
from mixer.models import ApiKey
from mixer.presets import GENRES

LATENCY_WINDOW = 1000
DAY_TTL_S = 2 * 86400


def _names(key: ApiKey) -> tuple[str, str, str, str]:
    base = f"mixer:stats:{key.key_hash[:20]}"
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return base, f"{base}:day:{today}", f"{base}:latency", f"{base}:genres"


def request_record(*, key: ApiKey, failed: bool, latency_ms: float | None = None,
                   samples: int = 0, genre: str | None = None,
                   pipe: redis.client.Pipeline | None = None) -> None:
    """Count one request; with ``pipe`` the commands are queued there for the caller to
    execute (with the stream's state: one round trip a frame), else sent at once."""
    totals, today, latencies, genres = _names(key)
    own_pipe = pipe is None
    if own_pipe:
        pipe = store.client().pipeline(transaction=False)
    pipe.hincrby(totals, "total", 1)
    pipe.incr(today)
    pipe.expire(today, DAY_TTL_S)
    if failed:
        pipe.hincrby(totals, "errors", 1)
    if latency_ms is not None:
        pipe.hincrby(totals, "frames", 1)
        pipe.hincrby(totals, "samples", samples)
        pipe.hincrbyfloat(totals, "latency_sum_ms", latency_ms)
        pipe.lpush(latencies, f"{latency_ms:.4f}")
        pipe.ltrim(latencies, 0, LATENCY_WINDOW - 1)
    if genre is not None:
        pipe.hincrby(genres, genre, 1)
    if own_pipe:
        pipe.execute()


def stats_get(*, key: ApiKey) -> dict[str, Any]:
    totals_name, today_name, latencies_name, genres_name = _names(key)
    pipe = store.client().pipeline(transaction=False)
    pipe.hgetall(totals_name)
    pipe.get(today_name)
    pipe.lrange(latencies_name, 0, -1)
    pipe.hgetall(genres_name)
    raw_totals, raw_today, raw_latencies, raw_genres = pipe.execute()
    totals = {k.decode(): float(v) for k, v in raw_totals.items()}
    latencies = np.array([float(v) for v in raw_latencies])
    total, errors, frames = (int(totals.get(n, 0)) for n in ("total", "errors", "frames"))

    def percentile(q: float) -> float:
        return round(float(np.percentile(latencies, q)), 3) if latencies.size else 0.0

    genre_counts = {k.decode(): int(v) for k, v in raw_genres.items()}
    return {
        "requests": {"total": total, "today": int(raw_today or 0), "errors": errors,
                     "errorRate": round(errors / total, 6) if total else 0.0},
        "processing": {
            "totalSamples": int(totals.get("samples", 0)),
            "averageLatency": round(totals.get("latency_sum_ms", 0.0) / frames, 3)
            if frames else 0.0,
            "p95Latency": percentile(95), "p99Latency": percentile(99),
        },
        "genres": {genre: genre_counts.get(genre, 0) for genre in GENRES},
    }
