"""Tenant resolution: the tribunal named by the first part of the path, and tenant routes.

Every tribunal route is a ``TenantRoute``, which declares the
permission it needs; people without it get 404, as if the page did not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from accounts.middleware import current_user, session_cookie_name, sign_in_url
from tribunals.models import Role, Tribunal
from tribunals.permissions import Permission, permissions_of
from tribunals.services import RESERVED_SLUGS, SLUG_PATTERN, tenant_context
from tribune.settings import Settings
from tribune.web import Endpoint, redirect, with_csrf_and_commit


class TenantMiddleware:
    """Put the tribunal named by the path (or None) on ``request.state.tribunal``, and the
    person's roles in it on ``request.state.roles``.

    It runs before AuthenticationMiddleware: on a tribunal's page it loads the session and its
    account with the tribunal and the roles, in one statement, and says so
    (``state["session_loaded"]``); elsewhere AuthenticationMiddleware loads the session.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.cookie_name = session_cookie_name(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            state["tribunal"] = None
            state["roles"] = set()
            segment = scope["path"].lstrip("/").split("/", 1)[0]
            if segment not in RESERVED_SLUGS and SLUG_PATTERN.match(segment):
                token = Request(scope).cookies.get(self.cookie_name)
                context = await tenant_context(state["db"], self.settings, segment, token)
                if context is not None:
                    state["tribunal"] = context.tribunal
                    state["roles"] = context.roles
                    state["user"] = context.user
                    state["user_session"] = context.session
                    state["session_loaded"] = True
        await self.app(scope, receive, send)


def current_tribunal(request: Request) -> Tribunal:
    """Return the request's tribunal; tenant routes guarantee there is one."""
    tribunal: Tribunal | None = request.state.tribunal
    if tribunal is None:
        raise HTTPException(status_code=404)
    return tribunal


def current_roles(request: Request) -> set[Role]:
    roles: set[Role] = getattr(request.state, "roles", set())
    return roles


def _require(permission: Permission, endpoint: Endpoint) -> Endpoint:
    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        current_tribunal(request)
        user = current_user(request)
        if permission is Permission.PUBLIC:
            return await endpoint(request)
        if user is None:
            return redirect(sign_in_url(request))
        if permission is not Permission.SIGNED_IN and permission not in permissions_of(
            request.state.roles
        ):
            # 404, not 403: outsiders learn nothing about what is here.
            raise HTTPException(status_code=404)
        return await endpoint(request)

    return guarded


class TenantRoute(Route):
    """A tribunal route (under ``/{tribunal}``) that carries the permission it declares."""

    def __init__(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        permission: Permission,
        methods: Sequence[str] = ("GET",),
        name: str | None = None,
        streaming_upload: bool = False,
    ) -> None:
        super().__init__(
            path,
            with_csrf_and_commit(_require(permission, endpoint), streaming_upload),
            methods=list(methods),
            name=name,
        )
        self.permission = permission
