"""Signed notifications in Stripe's scheme, used by both providers.

The signature header is ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``: HMAC-SHA256 with the
endpoint's secret over ``<t>.<raw body bytes>``. The raw bytes are signed, never a
re-serialised body. A header may carry several ``v1`` signatures (while a secret is rolled)
and other schemes, which are ignored; one matching ``v1`` is enough, compared in constant
time. A timestamp more than `TOLERANCE_SECONDS` away from now is refused, so an old
delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from payments.providers import NotificationRejectedError

TOLERANCE_SECONDS = 300
MAX_HEADER_LENGTH = 2000


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the hex v1 signature of a body sent at `timestamp`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str | None, body: bytes, now: datetime) -> None:
    """Raise NotificationRejectedError unless `header` signs `body` with `secret`, recently."""
    if not secret:
        raise NotificationRejectedError("no secret is configured")
    if not header or len(header) > MAX_HEADER_LENGTH:
        raise NotificationRejectedError("no signature")
    timestamp: int | None = None
    candidates: list[str] = []
    for element in header.split(","):
        key, separator, value = element.strip().partition("=")
        if not separator:
            continue
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise NotificationRejectedError("malformed signature")
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise NotificationRejectedError("stale signature")
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise NotificationRejectedError("signature does not match")
