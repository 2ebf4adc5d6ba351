"""Standard Webhooks signatures (https://www.standardwebhooks.com/), no Django.

Headers: ``webhook-id`` (unique per message, stable across retries), ``webhook-timestamp``
(Unix seconds), ``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(key, "id.timestamp.body"))
where key = base64-decoded secret after its ``whsec_`` prefix. Receivers recompute it, compare
in constant time, and reject timestamps more than a few minutes old (replay protection).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def secret_new() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


SECRET_FORMAT = "must be 'whsec_' followed by the base64 of 24 to 64 random bytes"  # noqa: S105


def secret_valid(secret: str) -> bool:
    if not isinstance(secret, str) or not secret.startswith(PREFIX):
        return False
    try:
        key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        return False
    return 24 <= len(key) <= 64


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(*, secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret=secret, message_id=message_id,
                                       timestamp=timestamp, body=body),
        "content-type": "application/json",
        "user-agent": "AudioServices-Webhooks/1",
    }


def verify(*, secret: str, headers_: dict[str, str], body: bytes, now: int,
           tolerance_s: int = 300) -> bool:
    """What a receiver does (used by the tests; documented in the README)."""
    timestamp = int(headers_["webhook-timestamp"])
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret=secret, message_id=headers_["webhook-id"], timestamp=timestamp,
                         body=body)
    return any(hmac.compare_digest(expected, candidate)
               for candidate in headers_["webhook-signature"].split())
