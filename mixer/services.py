"""Writes: API keys and per-key configuration."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from mixer.dsp import ChainSettings
from mixer.models import ApiKey, KeyConfig, Tier

KEY_PREFIX = "mx_"
PREFIX_SHOWN = 10  # characters kept in clear for display ("mx_" + 7)
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write per key and minute


def key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, owner: AbstractBaseUser, name: str, tier: str = Tier.STANDARD
                   ) -> tuple[ApiKey, str]:
    """A new key for ``owner``; returns the row and the key itself (shown once, never stored)."""
    raw = KEY_PREFIX + secrets.token_urlsafe(30)
    key = ApiKey.objects.create(owner=owner, name=name, tier=tier, prefix=raw[:PREFIX_SHOWN],
                                key_hash=key_hash(raw))
    return key, raw


def api_key_assign_secret(*, key: ApiKey) -> str:
    """Give an unsaved key (made in the admin) its secret; returns the key itself."""
    raw = KEY_PREFIX + secrets.token_urlsafe(30)
    key.prefix, key.key_hash = raw[:PREFIX_SHOWN], key_hash(raw)
    return raw


def api_key_revoke(*, key: ApiKey) -> None:
    """Revoke ``key``: refused at once by this process, by the others within
    ``MIXER_API_KEY_CACHE_S`` (mixer.keycache)."""
    from mixer import keycache

    if key.revoked_at is None:
        ApiKey.objects.filter(pk=key.pk, revoked_at=None).update(revoked_at=timezone.now())
    keycache.clear()


def api_key_touch_due(*, key: ApiKey) -> bool:
    """Whether :func:`api_key_touch` would write now."""
    return key.last_used_at is None or timezone.now() - key.last_used_at >= LAST_USED_RESOLUTION


def api_key_touch(*, key: ApiKey) -> None:
    """Record use, at most once a minute per key, so busy keys cost no write per request."""
    if api_key_touch_due(key=key):
        now = timezone.now()
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def key_config_update(*, key: ApiKey, dsp_changes: dict[str, Any]) -> ChainSettings:
    """Merge ``dsp_changes`` onto the key's saved settings; SettingsError if invalid."""
    from mixer.selectors import key_settings

    merged = ChainSettings.from_dict(dsp_changes, base=key_settings(key=key))
    key.config, _ = KeyConfig.objects.update_or_create(
        api_key=key, defaults={"dsp": merged.to_dict()})
    return merged
