"""Reads: API keys by their secret, a key's saved settings."""

from __future__ import annotations

from django.db.models import QuerySet

from mixer.dsp import ChainSettings
from mixer.models import ApiKey, KeyConfig
from mixer.services import key_hash


def api_key_get_active(*, raw_key: str) -> ApiKey | None:
    """The live key for a secret (owner and saved config in the same query), else None."""
    return (ApiKey.objects.select_related("owner", "config")
            .filter(key_hash=key_hash(raw_key), revoked_at=None, owner__is_active=True)
            .first())


def api_key_get_active_by_id(*, key_id: int) -> ApiKey | None:
    """The live key with this id (a mobile token names its key by id), else None."""
    if not isinstance(key_id, int):
        return None
    return (ApiKey.objects.select_related("owner", "config")
            .filter(pk=key_id, revoked_at=None, owner__is_active=True).first())


def api_key_list(*, owner) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(owner=owner)


_DEFAULTS = ChainSettings()


def key_settings(*, key: ApiKey) -> ChainSettings:
    """The key's saved chain settings, or the defaults when it never saved any.

    Parsed once per loaded config row (remembered on it): a key served from
    mixer.keycache does not validate the same JSON on every frame."""
    try:
        config = key.config
    except KeyConfig.DoesNotExist:
        return _DEFAULTS
    parsed = getattr(config, "_chain_settings", None)
    if parsed is None or parsed[0] is not config.dsp:
        parsed = (config.dsp, ChainSettings.from_dict(config.dsp))
        config._chain_settings = parsed
    return parsed[1]
