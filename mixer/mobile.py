"""Mobile SDK session tokens: signed, expiring stand-ins for the API key that issued them.

``POST /mobile/session`` (an API key) returns ``mst_`` + a ``django.core.signing`` token of
``{"k": key id, "s": session id, "e": expiry in ms}`` (HMAC with SECRET_KEY and its own salt).
A device sends it as ``Authorization: Bearer <token>`` to the mixer endpoints; it resolves to
the issuing key, so that key's tier, rate limit, saved config and stats apply. Nothing is
stored per session: a token dies when it expires or when its key is revoked.

:func:`key_from_bearer` is the one credential check for the mixer's non-DRF doors
(``/stream-audio``'s ASGI app and the ``/ws`` socket): a mobile token or an API key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from mixer import keycache, selectors, services
from mixer.auth import INVALID_KEY, CredentialRefused, bearer_credential
from mixer.models import ApiKey

TOKEN_PREFIX = "mst_"  # noqa: S105 (a marker, not a secret)
SALT = "mixer.mobile-session"
TOKEN_EXPIRED = "The mobile session token has expired: start a new session."  # noqa: S105
TOKEN_INVALID = "Invalid mobile session token."  # noqa: S105
MISSING_CREDENTIAL = "Missing API key: send 'Authorization: Bearer <API key>'."


@dataclass(frozen=True)
class MobileSession:
    session_id: str
    token: str
    expires_at_ms: int


def token_issue(*, key: ApiKey, session_id: str, now: float | None = None) -> MobileSession:
    """A token for ``key`` valid MOBILE_TOKEN_TTL_S from ``now`` (default: the current time)."""
    expires = int(((now if now is not None else time.time()) + settings.MOBILE_TOKEN_TTL_S)
                  * 1000)
    signed = signing.dumps({"k": key.pk, "s": session_id, "e": expires}, salt=SALT,
                           compress=True)
    return MobileSession(session_id, TOKEN_PREFIX + signed, expires)


def is_mobile_token(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX)


def token_key(raw: str) -> ApiKey:
    """The live key behind a mobile token; CredentialRefused if forged, expired or revoked."""
    try:
        claims = signing.loads(raw.removeprefix(TOKEN_PREFIX), salt=SALT)
    except signing.BadSignature:
        raise CredentialRefused(TOKEN_INVALID) from None
    if not isinstance(claims, dict) or not {"k", "e"} <= claims.keys():
        raise CredentialRefused(TOKEN_INVALID)
    if claims["e"] <= time.time() * 1000:
        raise CredentialRefused(TOKEN_EXPIRED)
    key = selectors.api_key_get_active_by_id(key_id=claims["k"])
    if key is None:  # revoked since, or its owner was deactivated
        raise CredentialRefused(TOKEN_INVALID)
    return key


def key_from_bearer(raw: str | None, *,
                    lookup: Callable[..., ApiKey | None] = selectors.api_key_get_active
                    ) -> ApiKey:
    """The key for a Bearer credential (an API key, found by ``lookup``, or a mobile token),
    touched as used."""
    if not raw:
        raise CredentialRefused(MISSING_CREDENTIAL)
    if is_mobile_token(raw):
        key = token_key(raw)
    else:
        key = lookup(raw_key=raw)
        if key is None:
            raise CredentialRefused(INVALID_KEY)
    services.api_key_touch(key=key)
    return key


def key_from_authorization(header: bytes) -> ApiKey:
    """The key for a whole ``Authorization`` value (an API key, remembered per process, or a
    mobile token), deciding and wording refusals as MixerApi's two DRF classes do."""
    return key_from_bearer(bearer_credential(header),
                           lookup=keycache.api_key_get_active_cached)


def bearer_from_header(value: str | None) -> str | None:
    """The credential of an ``Authorization: Bearer <credential>`` value, else None."""
    parts = (value or "").split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    return None


class MobileTokenAuthentication(BaseAuthentication):
    """DRF: ``Bearer mst_…`` tokens; anything else is left to ApiKeyAuthentication."""

    def authenticate(self, request: Request) -> tuple[object, ApiKey] | None:
        raw = bearer_from_header(get_authorization_header(request).decode("latin-1"))
        if raw is None or not is_mobile_token(raw):
            return None
        try:
            key = key_from_bearer(raw)
        except CredentialRefused as exc:
            raise AuthenticationFailed(exc.message) from None
        return key.owner, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
