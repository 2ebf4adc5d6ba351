"""``Authorization: Bearer <key>`` for DRF, for the mixer and (beside sessions) the file services.

A request without a Bearer header is left to the next authentication class (so session users
keep working); a Bearer header with an unknown or revoked key is refused. A key-authenticated
request sets ``request.user`` to the key's owner and ``request.auth`` to the :class:`ApiKey`.
DRF enforces CSRF only inside ``SessionAuthentication``, so key-authenticated requests need no
CSRF token, while session requests still do. Keys are looked up through
:mod:`mixer.keycache`: a revoked key is refused at once by the process that revoked it and
within ``MIXER_API_KEY_CACHE_S`` (2 s) by every other.
"""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from mixer import keycache, services
from mixer.models import ApiKey

INVALID_KEY = "Invalid or revoked API key."
MALFORMED_HEADER = "Malformed Authorization header: use 'Bearer <API key>'."


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[object, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(MALFORMED_HEADER)
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(MALFORMED_HEADER) from None
        key = keycache.api_key_get_active_cached(raw_key=raw)  # a few seconds' memory
        if key is None:
            raise AuthenticationFailed(INVALID_KEY)
        services.api_key_touch(key=key)
        return key.owner, key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
