"""``Authorization: Bearer <key>`` for DRF, for the mixer and (beside sessions) the file services.

A request without a Bearer header is left to the next authentication class (so session users
keep working); a Bearer header with an unknown or revoked key is refused. A key-authenticated
request sets ``request.user`` to the key's owner and ``request.auth`` to the :class:`ApiKey`.
DRF enforces CSRF only inside ``SessionAuthentication``, so key-authenticated requests need no
CSRF token, while session requests still do. Keys are looked up through
:mod:`mixer.keycache`: a revoked key is refused at once by the process that revoked it and
within ``MIXER_API_KEY_CACHE_S`` (2 s) by every other.

The checks are plain functions (:func:`bearer_credential`, :func:`api_key_authenticate`), so
the lean ``/process-audio`` path (``mixer/frame_asgi.py``) decides exactly as DRF does here.
"""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from mixer import keycache, services
from mixer.models import ApiKey

INVALID_KEY = "Invalid or revoked API key."
MALFORMED_HEADER = "Malformed Authorization header: use 'Bearer <API key>'."


class CredentialRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bearer_credential(header: bytes) -> str | None:
    """The credential of a whole ``Authorization`` value; None when it is not ``Bearer``,
    CredentialRefused when it is but is malformed."""
    parts = header.split()
    if not parts or parts[0].lower() != b"bearer":
        return None
    if len(parts) != 2:
        raise CredentialRefused(MALFORMED_HEADER)
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise CredentialRefused(MALFORMED_HEADER) from None


def api_key_authenticate(*, raw_key: str) -> ApiKey:
    """The live key for a secret, touched as used; CredentialRefused when unknown or revoked."""
    key = keycache.api_key_get_active_cached(raw_key=raw_key)  # a few seconds' memory
    if key is None:
        raise CredentialRefused(INVALID_KEY)
    services.api_key_touch(key=key)
    return key


def api_key_cached_untouched(*, header: bytes) -> ApiKey | None:
    """The key of a Bearer API key header when answering needs no database at all (the key
    is in this process's memory and its last-used time is fresh), else None: the caller then
    runs the full check (:func:`mixer.mobile.key_from_authorization`) where it may block."""
    try:
        raw = bearer_credential(header)
    except CredentialRefused:
        return None
    key = keycache.api_key_peek(raw_key=raw) if raw else None
    if key is None or services.api_key_touch_due(key=key):
        return None
    return key


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[object, ApiKey] | None:
        try:
            raw = bearer_credential(get_authorization_header(request))
            if raw is None:
                return None
            key = api_key_authenticate(raw_key=raw)
        except CredentialRefused as exc:
            raise AuthenticationFailed(exc.message) from None
        return key.owner, key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
