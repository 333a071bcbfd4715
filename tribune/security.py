"""Secrets, tokens and the CSRF check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_token() -> str:
    """Return a random URL-safe token of 256 bits."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the SHA-256 of a token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """Return an HMAC of a value, to count or match it without storing it (emails, addresses)."""
    digest = hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return digest.hexdigest()


def csrf_token_for(secret_key: str, cookie_value: str) -> str:
    """Return the form token that matches a visitor's CSRF cookie (signed double submit)."""
    digest = hmac.new(secret_key.encode(), f"csrf:{cookie_value}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


class CSRFError(HTTPException):
    """A form came without the token that proves it was made by this site."""

    def __init__(self) -> None:
        super().__init__(status_code=403, detail="csrf")


async def verify_csrf(request: Request, secret_key: str) -> None:
    """Raise CSRFError unless an unsafe request carries the visitor's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    cookie_value = request.state.csrf_cookie
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not cookie_value or not sent:
        raise CSRFError()
    if not hmac.compare_digest(sent, csrf_token_for(secret_key, cookie_value)):
        raise CSRFError()
