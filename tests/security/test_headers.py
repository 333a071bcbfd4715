"""Security headers, cookies and error pages, in development and in production.

Covered: every page (each GET route of the route table, signed in or not, and
the error pages) carries a Content-Security-Policy without inline scripts that
forbids framing, nosniff, a Referrer-Policy, a request id and ``no-store``;
HSTS only in production; in production the CSRF and session cookies are
``__Host-`` cookies that are Secure, HttpOnly and SameSite=Lax; an unexpected
error gives a translated 500 page with a reference and no stack trace in
production, and the stack trace in development.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator, Iterable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from tests.factories.accounts import PASSWORD, make_user
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import post_form, sign_in
from tribunals.models import Role
from tribune import i18n
from tribune.app import create_app
from tribune.db import Database
from tribune.settings import Settings
from tribune.web import page

SERVER_ERROR = "Sorry, there is a problem with the service"
SECRET_DETAIL = "the database password is hunter2"


def csp_directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers.get("content-security-policy", "")
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_page_headers(response: httpx.Response, what: str) -> None:
    directives = csp_directives(response)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts, f"{what}: no script-src in the CSP"
    assert "'unsafe-inline'" not in scripts, what
    assert "'unsafe-eval'" not in scripts, what
    assert directives.get("frame-ancestors") == ["'none'"], what
    assert directives.get("object-src") == ["'none'"], what
    assert response.headers.get("x-content-type-options") == "nosniff", what
    assert response.headers.get("referrer-policy") in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ), what
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers.get("x-request-id", "")), what
    assert "no-store" in response.headers.get("cache-control", ""), what


def get_routes(app: Starlette, slug: str) -> Iterable[str]:
    """Every GET address of the route table, with the tribunal filled in."""
    for route in app.routes:
        if isinstance(route, Mount):
            if route.path == "/{tribunal}":
                for inner in route.routes:
                    if "GET" in (getattr(inner, "methods", None) or ()):
                        yield f"/{slug}{getattr(inner, 'path', '')}"
        elif "GET" in (getattr(route, "methods", None) or ()):
            yield getattr(route, "path", "")


def cookie_attributes(response: httpx.Response, name: str) -> dict[str, str]:
    """Return the attributes of one Set-Cookie header, names in lower case."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        if first.split("=", 1)[0] == name:
            pairs = (attribute.partition("=") for attribute in attributes)
            return {key.lower(): value for key, _sep, value in pairs}
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def assert_host_only_cookie(response: httpx.Response, name: str) -> None:
    assert name.startswith("__Host-")
    attributes = cookie_attributes(response, name)
    assert "secure" in attributes, name
    assert "httponly" in attributes, name
    assert attributes.get("samesite", "").lower() == "lax", name
    assert attributes.get("path") == "/", name
    assert "domain" not in attributes, name


def add_failing_page(app: Starlette) -> None:
    """Mount a test-only page that fails the way a bug would."""

    async def explode(request: Request) -> Response:
        raise RuntimeError(SECRET_DETAIL)

    # Before the tribunal mount, which would otherwise take the path.
    app.router.routes.insert(0, page("/explode-for-test", explode))


def error_client(app: Starlette, base_url: str) -> httpx.AsyncClient:
    # Starlette re-raises after sending the 500 page; the browser only sees the page.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
def production_app(settings: Settings, database: Database) -> Starlette:
    production = dataclasses.replace(
        settings, environment="production", base_url="https://tribune.example"
    )
    return create_app(production, database, inline_worker=False)


@pytest.fixture
async def production_client(production_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=production_app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        yield client


# -- development ----------------------------------------------------------------------------


async def test_every_page_carries_the_security_headers(
    app: Starlette, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    # Stylesheets are not pages: they may be cached (see below).
    paths = sorted(
        path for path in set(get_routes(app, tribunal.slug)) if not path.endswith(".css")
    )
    assert f"/{tribunal.slug}/staff/people" in paths

    request_ids = set()
    for signed_in in (False, True):
        if signed_in:
            await sign_in(client, admin.email)
        for path in paths:
            response = await client.get(path)
            assert response.status_code < 500, path
            assert_page_headers(response, path)
            assert "strict-transport-security" not in response.headers, path
            request_ids.add(response.headers["x-request-id"])
        for path in ("/no-such-tribunal/", "/sign-in/no-such-page"):
            response = await client.get(path)
            assert response.status_code == 404
            assert_page_headers(response, path)
        refused = await client.post("/language", data={"language": "fr"})
        assert refused.status_code == 403
        assert_page_headers(refused, "CSRF refusal")
    assert len(request_ids) == 2 * len(paths)


async def test_stylesheets_can_be_cached_but_keep_nosniff(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    for path in (f"/{tribunal.slug}/brand.css", "/static/css/tribune.css"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "no-store" not in response.headers.get("cache-control", ""), path


async def test_development_error_page_shows_the_stack_trace(app: Starlette) -> None:
    add_failing_page(app)
    async with error_client(app, "http://testserver") as client:
        response = await client.get("/explode-for-test")
    assert response.status_code == 500
    page_text = html.unescape(response.text)
    assert SERVER_ERROR in page_text
    assert "Traceback (most recent call last)" in page_text
    assert f"RuntimeError: {SECRET_DETAIL}" in page_text


# -- production -----------------------------------------------------------------------------


async def test_production_adds_hsts(production_client: httpx.AsyncClient) -> None:
    for path in ("/", "/sign-in", "/no-such-tribunal/"):
        response = await production_client.get(path)
        hsts = response.headers.get("strict-transport-security", "")
        match = re.search(r"max-age=(\d+)", hsts)
        assert match, path
        assert int(match.group(1)) >= 365 * 24 * 3600
        assert_page_headers(response, path)


async def test_production_cookies_are_host_only_secure_and_http_only(
    production_client: httpx.AsyncClient, db: AsyncSession
) -> None:
    person = await make_user(db)
    first_visit = await production_client.get("/sign-in")
    assert_host_only_cookie(first_visit, "__Host-tribune_csrf")
    assert "tribune_csrf" not in production_client.cookies  # only the __Host- name
    assert "__Host-tribune_csrf" in production_client.cookies

    response = await post_form(
        production_client,
        "/sign-in",
        {"email": person.email, "password": PASSWORD},
    )
    # Signed in: the __Host- CSRF cookie came back over HTTPS with the form.
    assert response.status_code == 303
    assert_host_only_cookie(response, "__Host-tribune_session")
    assert (await production_client.get("/account")).status_code == 200

    # The language switch's cookie too; it is the one the next page reads.
    switched = await post_form(production_client, "/language", {"language": "fr", "next": "/"})
    assert_host_only_cookie(switched, "__Host-tribune_lang")
    production_client.cookies.delete("__Host-tribune_session")
    assert 'lang="fr"' in (await production_client.get("/sign-in")).text


async def test_production_error_page_has_a_reference_and_no_stack_trace(
    production_app: Starlette,
) -> None:
    add_failing_page(production_app)
    async with error_client(production_app, "https://testserver") as client:
        response = await client.get("/explode-for-test")
        french = await client.get("/explode-for-test", headers={"Accept-Language": "fr"})

    assert response.status_code == 500
    page_text = html.unescape(response.text)
    assert SERVER_ERROR in page_text
    reference = re.search(r"quote this reference: ([0-9a-f]{16})", page_text)
    assert reference
    assert "Traceback" not in page_text
    assert "RuntimeError" not in page_text
    assert SECRET_DETAIL not in page_text
    assert "tribune/" not in page_text  # no file paths either

    assert french.status_code == 500
    with i18n.use_language("fr"):
        translated = i18n.gettext(SERVER_ERROR)
    assert translated != SERVER_ERROR
    assert translated in html.unescape(french.text)
    assert SECRET_DETAIL not in french.text


async def test_production_error_page_carries_the_security_headers(
    production_app: Starlette,
) -> None:
    add_failing_page(production_app)
    async with error_client(production_app, "https://testserver") as client:
        response = await client.get("/explode-for-test")
    assert response.status_code == 500
    assert_page_headers(response, "500 page")
    assert "strict-transport-security" in response.headers
    reference = re.search(r"quote this reference: ([0-9a-f]{16})", html.unescape(response.text))
    assert reference
    assert response.headers["x-request-id"] == reference.group(1)
