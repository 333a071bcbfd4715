"""What every endpoint shares: rendering, routes with CSRF and commit, redirects."""

from __future__ import annotations

import functools
import ipaddress
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Mount, NoMatchFound, Route, Router, replace_params
from starlette.templating import Jinja2Templates
from starlette.types import Message, Receive, Scope, Send

from tribune import i18n
from tribune.mail import Outbox
from tribune.security import CSRF_FIELD, csrf_token_for, verify_csrf
from tribune.settings import PROJECT_ROOT, Settings
from tribune.storage.base import Storage

Endpoint = Callable[[Request], Awaitable[Response]]


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def storage_of(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def outbox_of(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


def db_of(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.db
    return session


def csrf_token(request: Request) -> str:
    return csrf_token_for(settings_of(request).secret_key, request.state.csrf_cookie)


def from_this_machine(request: Request) -> bool:
    """Return whether the request came from the machine the platform runs on (loopback)."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def shows_outbox(request: Request) -> bool:
    """The outbox holds reset links and access codes: a development platform shows it only to
    the machine it runs on, never to others on the network; production never."""
    return settings_of(request).is_development and from_this_machine(request)


def _context(request: Request) -> dict[str, Any]:
    language = i18n.get_language()
    return {
        "user": getattr(request.state, "user", None),
        "tribunal": getattr(request.state, "tribunal", None),
        "language": language,
        "other_language": i18n.other_language(language),
        "language_names": i18n.LANGUAGE_NAMES,
        "csrf_token": csrf_token(request) if hasattr(request.state, "csrf_cookie") else "",
        "show_outbox": shows_outbox(request),
    }


def url_path(request: Request, name: str, /, **params: Any) -> str:
    """Return the path of the route called ``name``, its parameters filled in: ``/wcat/staff``.

    A path is written once, in its route; every link and redirect is built from the route's
    name. Query strings and fragments are the caller's to append.
    """
    index: RouteIndex | None = getattr(request.app.state, "route_index", None)
    if index is None:
        index = request.app.state.route_index = RouteIndex(request.app.routes)
    return index.path(name, params)


def path_for_each(request: Request, name: str, key: str, /, **params: Any) -> Callable[[Any], str]:
    """Return a function giving the path of the route called ``name`` for each value of its
    parameter ``key`` (a UUID), the other parameters fixed: a table builds the rest of its
    rows' links once rather than once a row."""
    marker = uuid.UUID(int=0)
    prefix, found, suffix = url_path(request, name, **params, **{key: marker}).partition(
        str(marker)
    )
    if not found:
        raise ValueError(f"the route {name} does not put {key} in its path as it is")
    return lambda value: f"{prefix}{value}{suffix}"


class RouteIndex:
    """The app's routes by name, so that building a path does not try every route in turn
    (Starlette's ``url_path_for`` does: a few hundred routes, a dozen links a page). It gives
    the same paths, and the same NoMatchFound, as ``url_path_for``."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes
        self._by_name: dict[str, list[tuple[Mount | None, BaseRoute]]] = {}
        self._kept: dict[tuple[Any, ...], str] = {}
        for route in routes:
            if isinstance(route, Mount) and route.name is None:
                for child in route.routes:
                    name = getattr(child, "name", None)
                    if name:
                        self._by_name.setdefault(name, []).append((route, child))
            elif getattr(route, "name", None):
                self._by_name.setdefault(route.name, []).append((None, route))  # type: ignore[attr-defined]

    # Paths whose parameters are all strings (a static file, a tribunal's slug) repeat on every
    # page: they are kept. Paths naming a row (a UUID) are built each time.
    MAX_KEPT = 4096

    def path(self, name: str, params: dict[str, Any]) -> str:
        if all(type(value) is str for value in params.values()):
            key = (name, *params.items())
            kept = self._kept.get(key)
            if kept is None:
                if len(self._kept) >= self.MAX_KEPT:
                    self._kept.clear()
                kept = self._kept[key] = self._build(name, params)
            return kept
        return self._build(name, params)

    def _build(self, name: str, params: dict[str, Any]) -> str:
        for mount, route in self._by_name.get(name, ()):
            try:
                if mount is None:
                    return str(route.url_path_for(name, **params))
                # As an unnamed Mount builds its children's paths (starlette.routing.Mount).
                prefix, remaining = replace_params(
                    mount.path_format, mount.param_convertors, {**params, "path": ""}
                )
                return prefix.rstrip("/") + str(route.url_path_for(name, **remaining))
            except NoMatchFound:
                continue
        raise NoMatchFound(name, params)


@pass_context
def _url_for(context: Context, name: str, /, **params: Any) -> str:
    # Paths, not Starlette's absolute URLs: pages link within the site the visitor is on.
    request: Request = context["request"]
    return url_path(request, name, **params)


def _csrf_field(token: str) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def _template_ngettext(singular: str, plural: str, n: int) -> str:
    # Jinja's newstyle ngettext fills in the variables itself; formatting here too
    # would fail on every variable but num.
    return i18n.translations_for(i18n.get_language()).ngettext(singular, plural, n)


def create_templates() -> Jinja2Templates:
    environment = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, _template_ngettext, newstyle=True
    )
    environment.globals["localised"] = i18n.localised
    environment.globals["csrf_field"] = _csrf_field
    environment.filters["date"] = i18n.format_date
    environment.filters["datetime"] = i18n.format_datetime
    environment.filters["number"] = i18n.format_number
    environment.filters["money"] = i18n.format_money
    templates = Jinja2Templates(env=environment, context_processors=[_context])
    environment.globals["url_for"] = _url_for  # in place of Starlette's, which gives absolute URLs
    return templates


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    partial: str | None = None,
) -> Response:
    """Render a page, or its htmx fragment when htmx asked and there is one."""
    templates: Jinja2Templates = request.app.state.templates
    name = partial if partial and request.headers.get("hx-request") == "true" else template
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)


def safe_next(target: str | None, default: str) -> str:
    """Return a local path to go on to, never another site (open redirects), or `default`."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 32 for char in target):
        return default
    return target


def redirect(url: str, status_code: int = 303) -> RedirectResponse:
    """POST/redirect/GET: 303 makes the browser fetch the next page with GET."""
    return RedirectResponse(url, status_code=status_code)


# Every body but a streaming upload's is a form of a few fields: far below 1 MiB. A larger one is
# refused (413) before it is read whole, so nobody can make a worker hold 100 MB of fields.
MAX_FORM_BODY = 1024 * 1024


def with_body_limit(request: Request, limit: int) -> Request:
    """Return the request, reading a body of at most `limit` bytes: a longer one, announced
    by its Content-Length or found while it arrives (chunked), is answered 413."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise HTTPException(status_code=413)
    receive = request.receive
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(status_code=413)
        return message

    return Request(request.scope, limited_receive)


def with_csrf_and_commit(endpoint: Endpoint, streaming_upload: bool) -> Endpoint:
    """Check CSRF on unsafe methods, then commit what the endpoint did if it succeeded.

    This is the one commit point of a page: an answer below 400 commits, any other rolls
    back. Endpoints and services do not commit on their own, except through
    ``tribune.db.commit_early`` for one of the reasons it names. A streaming upload endpoint
    reads its multipart body itself and checks the token before the first byte of a file
    (``tribune.uploads.receive_multipart``).
    """

    @functools.wraps(endpoint)
    async def handle(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if not (streaming_upload and content_type.startswith("multipart/form-data")):
            request = with_body_limit(request, MAX_FORM_BODY)
            await verify_csrf(request, settings_of(request).secret_key)
        response = await endpoint(request)
        session = db_of(request)
        if response.status_code < 400:
            await session.commit()
        else:
            await session.rollback()
        return response

    return handle


def page(
    path: str,
    endpoint: Endpoint,
    *,
    methods: Sequence[str] = ("GET",),
    name: str | None = None,
    streaming_upload: bool = False,
) -> Route:
    """Return a route whose unsafe methods need a CSRF token and whose work is committed."""
    return Route(
        path,
        with_csrf_and_commit(endpoint, streaming_upload),
        methods=list(methods),
        name=name,
    )


# A signed webhook carries one small JSON event: far below a form's limit.
WEBHOOK_MAX_BODY = 64 * 1024


class SignedWebhookRoute(Route):
    """A machine-to-machine route authenticated by a signature over its raw body, not by a
    session: it takes no CSRF token (no browser holds its secret, so no page can forge it),
    and its endpoint must refuse (400) whatever is not signed with the configured secret,
    and everything when no secret is configured. ``tests/security/test_route_table.py``
    holds every route of this kind to that instead of to the CSRF check."""


def with_body_limit_and_commit(endpoint: Endpoint, limit: int) -> Endpoint:
    """Read a body of at most `limit` bytes (413 past it), then commit what the endpoint did
    if it answered below 400, as ``with_csrf_and_commit`` does, without the CSRF check."""

    @functools.wraps(endpoint)
    async def handle(request: Request) -> Response:
        response = await endpoint(with_body_limit(request, limit))
        session = db_of(request)
        if response.status_code < 400:
            await session.commit()
        else:
            await session.rollback()
        return response

    return handle


def signed_webhook(
    path: str, endpoint: Endpoint, *, name: str, max_body: int = WEBHOOK_MAX_BODY
) -> SignedWebhookRoute:
    """Return a POST route for a webhook whose endpoint verifies the sender's signature over
    the raw body itself: no CSRF token, a small body limit, the one commit point."""
    return SignedWebhookRoute(
        path, with_body_limit_and_commit(endpoint, max_body), methods=["POST"], name=name
    )


def redirect_slashes_relatively(router: Router) -> None:
    """Make the router, and the routers of its mounts, answer a path missing (or with an
    extra) trailing slash with a relative redirect to the path that exists, not one built
    from the request's Host header, which a visitor chooses."""
    router.redirect_slashes = False
    not_found = router.default

    async def slash_or_not_found(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        # "//host" would be read by the browser as another site: never redirect there.
        if scope["type"] == "http" and path != "/" and not other.startswith("//"):
            moved = {**scope, "path": other}
            if any(route.matches(moved)[0] is not Match.NONE for route in router.routes):
                query = scope.get("query_string", b"").decode("latin-1")
                location = other + (f"?{query}" if query else "")
                await RedirectResponse(location, status_code=307)(scope, receive, send)
                return
        await not_found(scope, receive, send)

    router.default = slash_or_not_found
    for route in router.routes:
        if isinstance(route, Mount) and isinstance(route.app, Router):
            redirect_slashes_relatively(route.app)
