"""ASGI middleware of the project package: request context, headers, database, language.

All are plain ASGI (not BaseHTTPMiddleware) so context variables reach endpoints.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware as StarletteTrustedHosts
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tribune import audit, i18n
from tribune.db import Database
from tribune.errors import server_error_handler
from tribune.settings import Settings

log = logging.getLogger("tribune.request")


def _state(scope: Scope) -> MutableMapping[str, Any]:
    state: MutableMapping[str, Any] = scope.setdefault("state", {})
    return state


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(value.decode("latin-1"))
            except Exception:
                return {}
            return {key: morsel.value for key, morsel in parsed.items()}
    return {}


def content_security_policy(embedded_origin: str | None = None) -> str:
    """Return the pages' Content-Security-Policy: everything from this site only. A page
    that embeds another site's frame (the video hearing's room) names that one origin, for
    its script and its frame, and nothing more."""
    script = "script-src 'self'" + (f" {embedded_origin}" if embedded_origin else "")
    directives = [
        "default-src 'self'",
        script,
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
    if embedded_origin:
        directives.insert(2, f"frame-src {embedded_origin}")
    return "; ".join(directives)


# The features a page whose frame holds a video call grants that frame (and itself).
VIDEO_FEATURES = ("camera", "microphone", "display-capture", "autoplay", "fullscreen")


def permissions_policy(embedded_origin: str | None = None) -> str:
    """Return the pages' Permissions-Policy: no camera, microphone or location; a page
    embedding a video call grants its devices to itself and that one origin."""
    if not embedded_origin:
        return "camera=(), microphone=(), geolocation=()"
    granted = [f'{feature}=(self "{embedded_origin}")' for feature in VIDEO_FEATURES]
    return ", ".join([*granted, "geolocation=()"])


class RequestContextMiddleware:
    """Give each request an id, security headers and one log line free of personal data."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.csp = content_security_policy()
        self.permissions = permissions_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        _state(scope)["request_id"] = request_id
        client = scope.get("client")
        origin_token = audit.current_origin.set(
            audit.RequestOrigin(request_id, client[0] if client else None)
        )
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                headers.setdefault("Content-Security-Policy", self.csp)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                # A page that needs a device (the video hearing) names it in its own policy.
                headers.setdefault("Permissions-Policy", self.permissions)
                if self.settings.is_production:
                    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
                if "cache-control" not in headers and not scope["path"].startswith("/static/"):
                    # Pages can hold personal data: no shared cache keeps them.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_with_headers)
            except Exception as exc:
                if response_started:
                    raise
                # Starlette answers unhandled errors outside every middleware; answering
                # here gives the 500 page these headers too. Re-raised for the server's log.
                response = await server_error_handler(Request(scope), exc)
                await response(scope, receive, send_with_headers)
                raise
        finally:
            audit.current_origin.reset(origin_token)
            route = scope.get("route")
            # The route's name, never its path: paths can carry tokens.
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": getattr(route, "name", None) or "unmatched",
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


class DatabaseSessionMiddleware:
    """Open one database session per request and close it after the response.

    It neither commits nor rolls back: the page wrapper (``tribune.web.with_csrf_and_commit``)
    commits an endpoint's work once when it answers below 400 and rolls it back otherwise;
    a few endpoints also commit earlier, each for a reason ``tribune.db.EarlyCommit`` names.
    Whatever is left uncommitted when the session closes is rolled back.
    """

    def __init__(self, app: ASGIApp, database: Database) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.database.session() as session:
            _state(scope)["db"] = session
            await self.app(scope, receive, send)


class CSRFCookieMiddleware:
    """Give every visitor a random CSRF cookie; forms carry a token derived from it."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.cookie_name = f"{settings.cookie_prefix}tribune_csrf"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        existing = _cookies(scope).get(self.cookie_name)
        value = existing if existing and len(existing) >= 32 else secrets.token_urlsafe(32)
        _state(scope)["csrf_cookie"] = value

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and value != existing:
                headers = MutableHeaders(scope=message)
                secure = "; Secure" if self.settings.is_production else ""
                headers.append(
                    "Set-Cookie",
                    f"{self.cookie_name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}",
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class LanguageMiddleware:
    """Pick the request's language: saved preference, switch cookie, browser, tribunal."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.cookie_name = i18n.language_cookie_name(settings.cookie_prefix)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = _state(scope)
        accept = None
        for name, value in scope.get("headers", []):
            if name == b"accept-language":
                accept = value.decode("latin-1")
        language = i18n.negotiate(
            saved=getattr(state.get("user"), "language", None),
            cookie=_cookies(scope).get(self.cookie_name),
            accept_language=accept,
            tribunal_default=getattr(state.get("tribunal"), "default_language", None),
        )
        state["language"] = language
        i18n.set_language(language)

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Language"] = i18n.get_language()
                headers.add_vary_header("Accept-Language")
                headers.add_vary_header("Cookie")
            await send(message)

        await self.app(scope, receive, send_with_language)


# A load balancer probes by address, not by name: the probes answer whatever the Host.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


class TrustedHostMiddleware:
    """Refuse (400) a request whose Host header is not one the platform serves, so no page,
    link or redirect is ever built for a host a visitor chose (production)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.check = (
            None
            if "*" in settings.allowed_hosts
            else StarletteTrustedHosts(app, allowed_hosts=list(settings.allowed_hosts))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.check is None or scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        await self.check(scope, receive, send)
