"""The mixer's Redis: rate-limit windows, stream state and stats, shared by every server process.

It lives in its own database number (``redis_urls.MIXER_DB``), so flushing Django's cache
never resets counters or streams. All keys start with ``mixer:``.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings

from audioservices import redis_urls

SOCKET_TIMEOUT_S = 2.0


@functools.lru_cache(maxsize=4)
def _client_for(redis_url: str) -> redis.Redis:
    """Keyed by ``REDIS_URL`` itself: working out the mixer's URL costs more than a lookup."""
    return redis.Redis.from_url(redis_urls.with_db(redis_url, redis_urls.MIXER_DB),
                                socket_timeout=SOCKET_TIMEOUT_S,
                                socket_connect_timeout=SOCKET_TIMEOUT_S)


def client() -> redis.Redis:
    """A pooled client for the current ``REDIS_URL`` (settings overrides in tests apply)."""
    return _client_for(settings.REDIS_URL)
