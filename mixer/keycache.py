"""A short per-process memory of API keys, so a busy key costs no SQL query per request.

A key found active is remembered (with its owner and saved config) for
``settings.MIXER_API_KEY_CACHE_S`` seconds (default 2). Within that time a request with the
same secret is authenticated from memory; after it, the database is asked again. So:

* a key revoked, deleted, or whose owner was deactivated, in *this* process (the keys page,
  the admin, ``api_key_revoke``) is forgotten at once, through the model signals below;
* in every other server process it stops working at most ``MIXER_API_KEY_CACHE_S`` later,
  and so does a change made with a bare ``QuerySet.update()`` (which sends no signal);
* unknown or revoked secrets are never remembered: each such request asks the database.

Rate limits, stats and stream state stay in Redis and are counted for every request.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from mixer import selectors
from mixer.models import ApiKey, KeyConfig
from mixer.services import key_hash

_clock = time.monotonic  # a module attribute so tests can move time
_entries: dict[str, tuple[float, ApiKey]] = {}  # key hash -> (expiry, key)
_lock = threading.Lock()


def api_key_get_active_cached(*, raw_key: str) -> ApiKey | None:
    """:func:`mixer.selectors.api_key_get_active`, remembered for a few seconds."""
    ttl = settings.MIXER_API_KEY_CACHE_S
    digest = key_hash(raw_key)
    now = _clock()
    entry = _entries.get(digest)
    if entry is not None and entry[0] > now:
        return entry[1]
    key = selectors.api_key_get_active(raw_key=raw_key)
    with _lock:
        if key is None or ttl <= 0:
            _entries.pop(digest, None)
        else:
            _entries[digest] = (now + ttl, key)
    return key


def api_key_peek(*, raw_key: str) -> ApiKey | None:
    """The remembered key for a secret, without asking the database (None when not
    remembered or expired)."""
    entry = _entries.get(key_hash(raw_key))
    return entry[1] if entry is not None and entry[0] > _clock() else None


def clear(**_signal_kwargs: object) -> None:
    """Forget every key (any change to a key, its config or a user may concern a cached one)."""
    with _lock:
        _entries.clear()


for _model in (ApiKey, KeyConfig, get_user_model()):
    post_save.connect(clear, sender=_model, weak=False, dispatch_uid=f"mixer-keycache-{_model}")
    post_delete.connect(clear, sender=_model, weak=False,
                        dispatch_uid=f"mixer-keycache-del-{_model}")
