"""Who is asking: the session cookie, the signed-in user, and the guard for pages that need one."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from accounts import services
from accounts.models import User
from tribune.settings import Settings
from tribune.web import Endpoint, redirect, url_path

SESSION_COOKIE = "tribune_session"


def session_cookie_name(settings: Settings) -> str:
    return f"{settings.cookie_prefix}{SESSION_COOKIE}"


class AuthenticationMiddleware:
    """Put the signed-in user (or None) and their session on ``request.state``."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.cookie_name = session_cookie_name(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            # A tribunal's page has its session loaded with the tribunal, in one statement
            # (`tribunals.tenancy.TenantMiddleware`, before this one).
            if state.get("session_loaded"):
                await self.app(scope, receive, send)
                return
            state["user"] = None
            state["user_session"] = None
            token = Request(scope).cookies.get(self.cookie_name)
            if token:
                found = await services.load_session(state["db"], self.settings, token)
                if found is not None:
                    state["user_session"], state["user"] = found
        await self.app(scope, receive, send)


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        session_cookie_name(settings),
        token,
        max_age=settings.session_max_hours * 3600,
        path="/",
        httponly=True,
        secure=settings.is_production,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        httponly=True,
        secure=settings.is_production,
        samesite="lax",
    )


def current_user(request: Request) -> User | None:
    user: User | None = request.state.user
    return user


def signed_in_user(request: Request) -> User:
    """Return the signed-in user; only call behind ``require_user``."""
    user = current_user(request)
    if user is None:
        raise RuntimeError("signed_in_user called on a page that does not require sign-in")
    return user


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return url_path(request, "accounts:sign_in") + "?" + urlencode({"next": target})


def require_user(endpoint: Endpoint) -> Endpoint:
    """Send visitors who are not signed in to the sign-in page, then back here."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if current_user(request) is None:
            return redirect(sign_in_url(request))
        return await endpoint(request)

    return guarded
