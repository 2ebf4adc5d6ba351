"""Per-key request limits by tier, counted in Redis in fixed one-minute windows.

One ``INCR`` + ``EXPIRE`` round trip per request, shared by every server process (or none of
its own: :func:`rate_window_queue` puts the two commands on a caller's pipeline, as the lean
``/process-audio`` path does with the stream's state). The limits
come from ``settings.MIXER_RATE_LIMITS`` (tier → requests per minute, ``None`` = unlimited)
and are read per request, so tests can lower them. :class:`ApiKeyRateThrottle` is a DRF
throttle: the mixer views use it (answering 403 ``RATE_LIMIT_EXCEEDED``), and it sits in
``DEFAULT_THROTTLE_CLASSES`` so file-service requests made with a key draw on the same budget
(answering their own 429). Session requests are not limited here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from mixer import store
from mixer.models import ApiKey

WINDOW_S = 60


@dataclass(frozen=True)
class RateLimitStatus:
    limit: int | None  # None: unlimited
    remaining: int | None
    reset: int  # Unix time (s) when the window ends

    @property
    def exceeded(self) -> bool:
        return self.remaining is not None and self.remaining < 0

    def retry_after_s(self) -> int:
        """Whole seconds until the window ends (at least 1): ``Retry-After``."""
        return math.ceil(max(self.reset - time.time(), 1.0))

    def headers(self) -> dict[str, str]:
        if self.limit is None:  # documented: "unlimited" rather than a made-up number
            return {"X-RateLimit-Limit": "unlimited", "X-RateLimit-Remaining": "unlimited",
                    "X-RateLimit-Reset": str(self.reset)}
        return {"X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(max(self.remaining or 0, 0)),
                "X-RateLimit-Reset": str(self.reset)}


def tier_limit(tier: str) -> int | None:
    return settings.MIXER_RATE_LIMITS[tier]


@dataclass(frozen=True)
class RateWindow:
    """The current window of a key: its Redis counter (None when unlimited) and its end."""

    name: str | None
    limit: int | None
    reset: int


def rate_window(*, key: ApiKey) -> RateWindow:
    window = math.floor(time.time() / WINDOW_S)
    limit = tier_limit(key.tier)
    name = f"mixer:rl:{key.key_hash[:20]}:{window}" if limit is not None else None
    return RateWindow(name, limit, (window + 1) * WINDOW_S)


def rate_window_queue(window: RateWindow, pipe: redis.client.Pipeline) -> int:
    """Queue the count of one request on ``pipe``; returns how many replies it adds (the
    first of them is the new count)."""
    if window.name is None:
        return 0
    pipe.incr(window.name)
    pipe.expire(window.name, WINDOW_S + 5)
    return 2


def rate_window_status(window: RateWindow, count: int | None) -> RateLimitStatus:
    """Where the key stands after its request was counted (``count``: the INCR reply)."""
    if window.limit is None:
        return RateLimitStatus(None, None, window.reset)
    return RateLimitStatus(window.limit, window.limit - int(count or 0), window.reset)


def rate_limit_hit(*, key: ApiKey) -> RateLimitStatus:
    """Count one request for ``key`` in the current window and say where it stands."""
    window = rate_window(key=key)
    pipe = store.client().pipeline(transaction=False)
    if not rate_window_queue(window, pipe):
        return rate_window_status(window, None)
    count, _ = pipe.execute()
    return rate_window_status(window, count)


class ApiKeyRateThrottle(BaseThrottle):
    """Limits key-authenticated requests; leaves the status on the request for the headers."""

    def allow_request(self, request: Request, view: object) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        status = rate_limit_hit(key=request.auth)
        request._request.mixer_rate_limit = status  # read by RateLimitHeadersMiddleware
        self._wait = status.retry_after_s()
        return not status.exceeded

    def wait(self) -> float:
        return self._wait


class RateLimitHeadersMiddleware:
    """Adds ``X-RateLimit-*`` to every response of a request that a key was counted for."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = getattr(request, "mixer_rate_limit", None)
        if status is not None:
            for header, value in status.headers().items():
                response[header] = value
        return response
