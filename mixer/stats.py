"""``GET /stats`` counters, kept per API key in Redis (one script call per request).

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


# One script instead of up to ten commands: redis-py packs and parses each command of a pipeline
# in Python, and this saved about 0.1 ms of the web process's CPU per frame (README, "Mixer
# performance"); Redis does the same work either way. ARGV: failed (0/1), the latency in ms
# ("" when the request processed no frame), samples, genre ("" for none), TTL of the day's
# counter, the latency window.
_RECORD = """
redis.call('HINCRBY', KEYS[1], 'total', 1)
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[5])
if ARGV[1] == '1' then redis.call('HINCRBY', KEYS[1], 'errors', 1) end
if ARGV[2] ~= '' then
  redis.call('HINCRBY', KEYS[1], 'frames', 1)
  redis.call('HINCRBY', KEYS[1], 'samples', ARGV[3])
  redis.call('HINCRBYFLOAT', KEYS[1], 'latency_sum_ms', ARGV[2])
  redis.call('LPUSH', KEYS[3], ARGV[2])
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[6]) - 1)
end
if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[4], 1) end
"""


def request_record(*, key: ApiKey, failed: bool, latency_ms: float | None = None,
                   samples: int = 0, genre: str | None = None,
                   pipe: redis.client.Pipeline | None = None) -> None:
    """Count one request; with ``pipe`` the command is queued there for the caller to
    execute (with the stream's state: one round trip a frame), else sent at once."""
    latency = f"{latency_ms:.4f}" if latency_ms is not None else ""
    (pipe if pipe is not None else store.client()).eval(
        _RECORD, 4, *_names(key), int(failed), latency, samples, genre or "", DAY_TTL_S,
        LATENCY_WINDOW)


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
