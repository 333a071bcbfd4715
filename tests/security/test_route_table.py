"""Rules every route keeps, checked by walking the route table rather than page by page.

Covered, for every route there is now and every route added later:
(a) each tribunal route (under ``/{tribunal}``) declares a ``Permission``;
(b) each unsafe method refuses a request without a CSRF token, with a wrong one,
    with another visitor's, or with a wrong ``X-CSRF-Token`` header, with the
    translated 403 page and no change to the database, signed in or not; the
    right header is accepted;
(c) each tribunal route that needs a role answers 404 to the staff of another
    tribunal and to claimants, and sends visitors to sign in;
(d) no tribunal slug can shadow a platform page: every first path segment the
    platform uses is reserved;
(e) routes say what they take: every ``*_id`` path parameter is a UUID, every route is
    named ``package:subpackage:page`` after the module that serves it, and no route
    module imports another;
(f) no page commits outside the one commit point but through ``commit_early`` with a reason;
(g) every unsafe method refuses a body past ``MAX_FORM_BODY`` (413) and changes nothing,
    whether the size is announced or found while the body arrives;
(h) a route that takes no CSRF token is a ``SignedWebhookRoute`` (a machine's, outside every
    tribunal, POST only), held instead to its signature: it refuses (400) a delivery unsigned,
    forged, signed with another secret or stale, and every delivery while no secret is
    configured, changing nothing, and a body past ``WEBHOOK_MAX_BODY`` (413).
"""

from __future__ import annotations

import ast
import html
import re
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from accountability.texts.models import MobileNumber
from accounts.models import User
from hearings.attendance.services import signature_for
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import csrf_token, sign_in
from tribunals.models import Membership, Role, StaffInvitation, Tribunal
from tribunals.permissions import Permission
from tribunals.services import RESERVED_SLUGS
from tribunals.tenancy import TenantRoute
from tribune import i18n
from tribune.app import create_app, metadata
from tribune.db import Database, utcnow
from tribune.security import hash_token
from tribune.settings import PROJECT_ROOT, Settings
from tribune.web import MAX_FORM_BODY, WEBHOOK_MAX_BODY, SignedWebhookRoute

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CSRF_REFUSED = "Your form could not be sent"
TENANT_MOUNT = "/{tribunal}"
NEW_PASSWORD = "a different long passphrase for forgery"


@dataclass
class RouteInfo:
    path: str  # the full path template, e.g. /{tribunal}/staff/people
    route: BaseRoute
    tenant: bool

    @property
    def methods(self) -> set[str]:
        return set(getattr(self.route, "methods", None) or ())

    @property
    def unsafe_methods(self) -> list[str]:
        return [method for method in UNSAFE_METHODS if method in self.methods]

    @property
    def signed_webhook(self) -> bool:
        """A machine's route, authenticated by a signature instead of a CSRF token: (h)."""
        return isinstance(self.route, SignedWebhookRoute)

    def url(self, tribunal: Tribunal) -> str:
        """Return a real address for the route: path parameters filled in."""

        def fill(match: re.Match[str]) -> str:
            name, convertor = match.group(1), match.group(2)
            if name == "tribunal":
                return tribunal.slug
            if convertor == "uuid":
                return str(uuid.uuid4())
            if convertor == "int":
                return "1"
            return "x"

        return re.sub(r"\{(\w+)(?::(\w+))?\}", fill, self.path)


def walk(
    routes: Iterable[BaseRoute], prefix: str = "", tenant: bool = False
) -> Iterator[RouteInfo]:
    for route in routes:
        if isinstance(route, Mount):
            inside_tenant = tenant or route.path == TENANT_MOUNT
            yield from walk(route.routes, prefix + route.path, inside_tenant)
        else:
            yield RouteInfo(prefix + getattr(route, "path", ""), route, tenant)


def all_routes(app: Starlette) -> list[RouteInfo]:
    routes = list(walk(app.routes))
    # The walk must reach inside the tenant mount, or every check below is empty.
    assert any(info.path == "/{tribunal}/staff/people" and info.tenant for info in routes)
    assert any(info.path == "/sign-in" and not info.tenant for info in routes)
    return routes


def forged_form(user_email: str, invitation_token: str) -> dict[str, str]:
    """Fields that would change something on any of our forms, were the CSRF check missing."""
    return {
        "name": "Forged Name",
        "email": user_email,
        "password": PASSWORD,
        "current_password": PASSWORD,
        "password_confirmation": PASSWORD,
        "language": "fr",
        "role": "admin",
        "token": invitation_token,
        "next": "/",
    }


def per_route_changes(path: str) -> dict[str, str]:
    """Adjust the forged fields where one form needs what another refuses."""
    if path in ("/account/email", "/register"):
        return {"email": f"forged-{uuid.uuid4().hex[:8]}@example.org"}
    if path in ("/account/password", "/password-reset/new"):
        return {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    return {}


async def snapshot(db: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
    """Return what a forged request could change: rows in every table, and the user's details."""
    state: dict[str, Any] = {}
    for table in metadata.sorted_tables:
        count = await db.execute(select(func.count()).select_from(table))
        state[table.name] = count.scalar_one()
    person = await db.execute(
        select(User.name, User.email, User.language, User.password_hash).where(User.id == user_id)
    )
    state["user"] = tuple(person.one())
    # Release the savepoint: the next request's own savepoint must not sit inside it.
    await db.commit()
    return state


def assert_csrf_refused(response: httpx.Response, what: str) -> None:
    assert response.status_code == 403, f"{what}: {response.status_code}"
    assert CSRF_REFUSED in html.unescape(response.text), what


@dataclass
class Scene:
    tribunal: Tribunal
    admin: User
    invitation_token: str


@pytest.fixture
async def scene(db: AsyncSession) -> Scene:
    """A tribunal whose admin also holds an open invitation to be a clerk there."""
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    token = uuid.uuid4().hex
    db.add(
        StaffInvitation(
            tribunal_id=tribunal.id,
            email=admin.email,
            role=Role.CLERK,
            token_hash=hash_token(token),
            invited_by_id=None,
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    await db.commit()
    return Scene(tribunal, admin, token)


@pytest.fixture
async def other_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.11", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


# -- (a) --------------------------------------------------------------------------------------


def test_every_tribunal_route_declares_a_permission(app: Starlette) -> None:
    tenant_routes = [info for info in all_routes(app) if info.tenant]
    missing = [
        info.path
        for info in tenant_routes
        if not isinstance(info.route, TenantRoute)
        or not isinstance(info.route.permission, Permission)
    ]
    assert missing == []


# -- (b) --------------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "signed-in"])
async def test_every_unsafe_method_refuses_a_forged_request_and_changes_nothing(
    app: Starlette,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    db: AsyncSession,
    scene: Scene,
    signed_in: bool,
) -> None:
    if signed_in:
        await sign_in(client, scene.admin.email)
    # A valid token, but made for another visitor's cookie.
    someone_elses = await csrf_token(other_client, "/")
    assert someone_elses != await csrf_token(client, "/")

    checked = []
    for info in all_routes(app):
        if info.signed_webhook:
            continue  # held to its signature instead: (h)
        for method in info.unsafe_methods:
            url = info.url(scene.tribunal)
            form = {
                **forged_form(scene.admin.email, scene.invitation_token),
                **per_route_changes(info.path),
            }
            before = await snapshot(db, scene.admin.id)
            attempts: dict[str, dict[str, Any]] = {
                "no token": {"data": form},
                "wrong token": {"data": {**form, "csrf_token": "x" * 43}},
                "another visitor's token": {"data": {**form, "csrf_token": someone_elses}},
                "wrong header, htmx": {
                    "data": form,
                    "headers": {"X-CSRF-Token": "wrong", "HX-Request": "true"},
                },
                "wrong header, JSON": {"json": form, "headers": {"X-CSRF-Token": "wrong"}},
                "JSON without header": {"json": form},
            }
            for what, request in attempts.items():
                response = await client.request(method, url, **request)
                assert_csrf_refused(response, f"{method} {info.path}, {what}")
            assert await snapshot(db, scene.admin.id) == before, f"{method} {info.path}"
            checked.append(f"{method} {info.path}")

    assert "POST /{tribunal}/staff/people" in checked
    assert "POST /sign-out" in checked
    if signed_in:
        # The forged sign-outs did not end the session.
        assert (await client.get("/account")).status_code == 200


async def test_the_refusal_is_in_the_visitors_language(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await client.post(
        f"/{scene.tribunal.slug}/staff/people", data={}, headers={"Accept-Language": "fr"}
    )
    assert response.status_code == 403
    with i18n.use_language("fr"):
        french = i18n.gettext(CSRF_REFUSED)
    assert french != CSRF_REFUSED
    assert french in html.unescape(response.text)


async def test_the_right_header_is_accepted_without_a_form_field(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    await sign_in(client, scene.admin.email)
    token = await csrf_token(client, "/")
    response = await client.post(
        f"/{scene.tribunal.slug}/staff/people",
        data={"email": "newcomer@example.org", "role": "clerk"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert response.status_code == 303
    invited = await db.execute(
        select(StaffInvitation.role).where(
            StaffInvitation.tribunal_id == scene.tribunal.id,
            StaffInvitation.email == "newcomer@example.org",
        )
    )
    assert list(invited.scalars()) == [Role.CLERK]
    await db.commit()

    switched = await client.post(
        "/language", data={"language": "fr", "next": "/"}, headers={"X-CSRF-Token": token}
    )
    assert switched.status_code == 303
    assert '<html lang="fr"' in (await client.get("/")).text


# -- (c) --------------------------------------------------------------------------------------


def guarded_routes(app: Starlette) -> list[RouteInfo]:
    routes = [
        info
        for info in all_routes(app)
        if info.tenant
        and getattr(info.route, "permission", None) not in (Permission.PUBLIC, Permission.SIGNED_IN)
    ]
    assert any(info.path == "/{tribunal}/staff" for info in routes)
    return routes


async def outsider_of(db: AsyncSession) -> User:
    """Return a person who holds every role, in another tribunal."""
    elsewhere = await make_tribunal(db)
    person = await make_staff(db, elsewhere, Role.ADMIN)
    for role in (Role.CLERK, Role.ADJUDICATOR):
        db.add(Membership(tribunal_id=elsewhere.id, user_id=person.id, role=role))
    await db.commit()
    return person


@pytest.mark.parametrize("who", ["staff of another tribunal", "claimant"])
async def test_guarded_tribunal_routes_do_not_exist_for_outsiders(
    app: Starlette, client: httpx.AsyncClient, db: AsyncSession, scene: Scene, who: str
) -> None:
    person = await outsider_of(db) if who != "claimant" else await make_user(db)
    await sign_in(client, person.email)
    token = await csrf_token(client, "/")

    for info in guarded_routes(app):
        url = info.url(scene.tribunal)
        before = await snapshot(db, person.id)
        if "GET" in info.methods:
            response = await client.get(url)
            assert response.status_code == 404, f"GET {info.path}"
            assert "Page not found" in response.text
        for method in info.unsafe_methods:
            form = {
                **forged_form(person.email, scene.invitation_token),
                "email": "friend@example.org",
                "csrf_token": token,
            }
            response = await client.request(method, url, data=form)
            assert response.status_code == 404, f"{method} {info.path}"
        assert await snapshot(db, person.id) == before, info.path


async def test_guarded_tribunal_routes_send_visitors_to_sign_in(
    app: Starlette, client: httpx.AsyncClient, scene: Scene
) -> None:
    for info in all_routes(app):
        if not info.tenant or getattr(info.route, "permission", None) is Permission.PUBLIC:
            continue
        url = info.url(scene.tribunal)
        if "GET" in info.methods:
            response = await client.get(url)
            assert response.status_code == 303, info.path
            assert response.headers["location"].startswith("/sign-in?next=%2F"), info.path


# -- (d) --------------------------------------------------------------------------------------


def test_every_platform_path_is_reserved_from_tribunal_slugs(app: Starlette) -> None:
    segments = set()
    for route in app.routes:
        path = getattr(route, "path", "")
        if path == TENANT_MOUNT:
            continue
        first = path.lstrip("/").split("/", 1)[0]
        if first:
            segments.add(first)
    assert {"static", "register", "sign-in", "account"} <= segments
    assert segments - RESERVED_SLUGS == set()


# -- (e) --------------------------------------------------------------------------------------

APPLICATION_PACKAGES = (
    "tribune",
    "accounts",
    "tribunals",
    "filings",
    "auditlog",
    "hearings",
    "payments",
    "accountability",
)


def test_every_id_in_a_path_is_a_uuid(app: Starlette) -> None:
    # A malformed id never reaches an endpoint: the route does not match, and the answer is 404.
    untyped = [
        f"{info.path}: {name}:{convertor or 'str'}"
        for info in all_routes(app)
        for name, convertor in re.findall(r"\{(\w+)(?::(\w+))?\}", info.path)
        if name.endswith("_id") and convertor != "uuid"
    ]
    assert untyped == []


async def test_a_malformed_id_is_a_404(client: httpx.AsyncClient) -> None:
    tribunal = "wcat-typed-ids"
    for path in ("/cases/not-a-uuid", "/staff/cases/1234", "/documents/../x"):
        response = await client.get(f"/{tribunal}{path}")
        assert response.status_code == 404


def test_route_names_follow_their_module(app: Starlette) -> None:
    # `filings.docket.routes` names its pages `filings:docket:...`: a name says where it is served.
    wrong = []
    for info in all_routes(app):
        if not isinstance(info.route, Route):
            continue
        module = info.route.endpoint.__module__
        prefix = module.removesuffix(".routes").replace(".", ":") + ":"
        if not (info.route.name or "").startswith(prefix):
            wrong.append(f"{info.path}: {info.route.name} (served by {module})")
    assert wrong == []


def _route_modules() -> list[str]:
    modules = []
    for package in APPLICATION_PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("routes.py"):
            modules.append(".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts))
    return modules


def test_no_route_module_imports_another() -> None:
    route_modules = set(_route_modules())
    assert "filings.journey.routes" in route_modules  # the walk found the sub-packages
    imports = []
    for module in sorted(route_modules):
        tree = ast.parse((PROJECT_ROOT / (module.replace(".", "/") + ".py")).read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            imports += [f"{module} imports {name}" for name in names if name in route_modules]
    assert imports == []


def test_pages_commit_only_at_the_commit_point_or_early_with_a_reason() -> None:
    # Jobs own their transactions; pages commit once (tribune.web) or say why (EarlyCommit).
    allowed = {"tribune/web.py", "tribune/db.py", "tribune/jobs.py", "tribune/app.py"}
    bare = []
    for package in APPLICATION_PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            name = str(path.relative_to(PROJECT_ROOT))
            if name in allowed or path.name == "jobs.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"\.commit\(\)", line):
                    bare.append(f"{name}:{number}: {line.strip()}")
    assert bare == []


# -- (g) bodies -------------------------------------------------------------------------------

TOO_LARGE = "What you sent is too large"
PADDING = "x" * (MAX_FORM_BODY + 1)


async def test_every_unsafe_method_refuses_a_body_past_the_limit_and_changes_nothing(
    app: Starlette, client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    # With a valid token and fields that would change something, only the size stops it.
    await sign_in(client, scene.admin.email)
    token = await csrf_token(client, "/")
    checked = []
    for info in all_routes(app):
        for method in info.unsafe_methods:
            form = {
                **forged_form(scene.admin.email, scene.invitation_token),
                **per_route_changes(info.path),
                "csrf_token": token,
                "padding": PADDING,
            }
            before = await snapshot(db, scene.admin.id)
            if info.signed_webhook:
                # A webhook's limit is smaller: just past it is too large already.
                form = {"padding": "x" * (WEBHOOK_MAX_BODY + 1)}
            response = await client.request(method, info.url(scene.tribunal), data=form)
            assert response.status_code == 413, f"{method} {info.path}"
            assert TOO_LARGE in html.unescape(response.text), f"{method} {info.path}"
            assert await snapshot(db, scene.admin.id) == before, f"{method} {info.path}"
            checked.append(f"{method} {info.path}")
    assert "POST /account/name" in checked
    assert "POST /{tribunal}/filings/{filing_id:uuid}/documents/{slot}/upload" in checked


async def test_a_chunked_body_or_a_file_part_past_the_limit_is_refused_while_it_arrives(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    await sign_in(client, scene.admin.email)
    token = await csrf_token(client, "/account/name")
    fields = f"csrf_token={token}&name=Chunked+Name&padding=".encode()

    async def chunks() -> AsyncIterator[bytes]:
        yield fields
        for _ in range(MAX_FORM_BODY // 65536 + 2):
            yield b"x" * 65536

    chunked = await client.post(
        "/account/name",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413
    file_part = await client.post(
        "/account/name",
        data={"csrf_token": token, "name": "Filed Name"},
        files={"attachment": ("big.bin", b"\0" * (MAX_FORM_BODY + 1), "application/octet-stream")},
    )
    assert file_part.status_code == 413
    await db.refresh(scene.admin)
    assert scene.admin.name not in ("Chunked Name", "Filed Name")


# -- (h) signed webhooks ------------------------------------------------------------------------

# What a sender without the secret can put in the signature header.
FORGED_SIGNATURES = {
    "unsigned": None,
    "empty": "",
    "a made-up signature": "t={t},v1=" + "A" * 43 + "=",
    "another secret's": "t={t},v1={other}",
    "the right one, stale": "t={stale},v1={stale_right}",
    "the right one, as v0": "t={t},v0={right}",
}


def signed_webhooks(app: Starlette) -> list[RouteInfo]:
    routes = [info for info in all_routes(app) if info.signed_webhook]
    assert {info.path for info in routes} >= {"/webhooks/jaas", "/webhooks/jitsi/events"}
    return routes


def test_signed_webhooks_are_machine_routes_outside_every_tribunal(app: Starlette) -> None:
    for info in signed_webhooks(app):
        assert not info.tenant, info.path
        assert info.methods == {"POST"}, info.path
        assert info.path.startswith("/webhooks/"), info.path


def forged_headers(body: bytes, secret: str) -> dict[str, dict[str, str]]:
    now = int(utcnow().timestamp())
    t, stale = str(now), str(now - 3600)
    values = {
        "t": t,
        "stale": stale,
        "other": signature_for(secret + "-not", t, body),
        "right": signature_for(secret, t, body),
        "stale_right": signature_for(secret, stale, body),
    }
    return {
        what: {} if header is None else {"X-Jaas-Signature": header.format(**values)}
        for what, header in FORGED_SIGNATURES.items()
    }


@pytest.mark.parametrize("secret", ["", "a-configured-webhook-secret-0123456789"])
async def test_every_signed_webhook_refuses_what_its_secret_did_not_sign_and_changes_nothing(
    settings: Settings, database: Database, db: AsyncSession, scene: Scene, secret: str
) -> None:
    jitsi = replace(settings.jitsi, webhook_secret=secret, app_id="vpaas-magic-cookie-x")
    app = create_app(replace(settings, jitsi=jitsi), database, inline_worker=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.12", 50000))
    # A join as each webhook takes one (to a room no hearing has: believed, it would be a 200).
    body = (
        b'{"idempotencyKey": "k", "eventType": "PARTICIPANT_JOINED", "timestamp": 1800000000000,'
        b' "fqn": "vpaas-magic-cookie-x/aaaaaaaaaaaaaaaaaaaaaaaaaa", "data": {},'
        b' "event_name": "muc-occupant-joined", "room_name": "aaaaaaaaaaaaaaaaaaaaaaaaaa",'
        b' "occupant": {"occupant_jid": "a@b/c", "joined_at": 1800000000}}'
    )
    checked = []
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for info in signed_webhooks(app):
            before = await snapshot(db, scene.admin.id)
            for what, headers in forged_headers(body, secret or "anything").items():
                response = await client.post(
                    info.path, content=body, headers={"Content-Type": "application/json", **headers}
                )
                assert response.status_code == 400, f"{info.path}, {what}: {response.status_code}"
                assert response.text == "refused", f"{info.path}, {what}"
            if not secret:
                # With no secret configured, not even a signature made with none is believed.
                t = str(int(utcnow().timestamp()))
                header = {"X-Jaas-Signature": f"t={t},v1={signature_for('', t, body)}"}
                response = await client.post(info.path, content=body, headers=header)
                assert response.status_code == 400, info.path
            assert await snapshot(db, scene.admin.id) == before, info.path
            checked.append(info.path)
    assert "/webhooks/jaas" in checked


# The SMS provider's callbacks prove their sender with a bearer token (GC Notify's scheme), not a
# signature over the body: held to the same refusals, for their token.
BEARER_WEBHOOKS = {"/webhooks/text-messages/received", "/webhooks/text-messages/status"}
CALLBACK_TOKEN = "a-configured-callback-token-0123456789"


def forged_bearers(token: str) -> dict[str, dict[str, str]]:
    return {
        "none": {},
        "empty": {"Authorization": ""},
        "no token": {"Authorization": "Bearer"},
        "another token": {"Authorization": f"Bearer {token}-not"},
        "a prefix of it": {"Authorization": f"Bearer {token[:-1]}"},
        "another scheme": {"Authorization": f"Basic {token}"},
        "without its scheme": {"Authorization": token},
        "in the query string": {},
    }


@pytest.mark.parametrize("token", ["", CALLBACK_TOKEN])
async def test_every_bearer_token_webhook_refuses_another_token_and_changes_nothing(
    settings: Settings, database: Database, db: AsyncSession, scene: Scene, token: str
) -> None:
    # A number that a believed STOP would stop, and a receipt that would mark it failing.
    now = utcnow()
    db.add(
        MobileNumber(
            user_id=scene.admin.id, number="+16135550123", confirmed_at=now, consented_at=now
        )
    )
    await db.commit()
    sms = replace(settings.sms, callback_token=token)
    app = create_app(replace(settings, sms=sms), database, inline_worker=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.12", 50000))
    body = (
        b'{"id": "4f1d7a52-8d0e-4f6b-9b7e-1c2d3e4f5a6b", "source_number": "16135550123",'
        b' "destination_number": "16135550199", "message": "STOP", "reference": "",'
        b' "to": "+16135550123", "status": "permanent-failure",'
        b' "date_received": "2027-01-12T15:15:30.000000Z"}'
    )
    routes = [info for info in signed_webhooks(app) if info.path in BEARER_WEBHOOKS]
    assert {info.path for info in routes} == BEARER_WEBHOOKS
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for info in routes:
            before = await snapshot(db, scene.admin.id)
            for what, headers in forged_bearers(token or "anything").items():
                url = info.path + (f"?token={token}" if what == "in the query string" else "")
                response = await client.post(
                    url, content=body, headers={"Content-Type": "application/json", **headers}
                )
                assert response.status_code == 400, f"{info.path}, {what}: {response.status_code}"
                assert response.text == "refused", f"{info.path}, {what}"
            if not token:
                # With no token configured, not even an empty bearer is believed.
                response = await client.post(
                    info.path, content=body, headers={"Authorization": "Bearer "}
                )
                assert response.status_code == 400, info.path
            assert await snapshot(db, scene.admin.id) == before, info.path
        if token:
            # The right token is believed: the STOP is acted on (the checks above could fail).
            right = await client.post(
                "/webhooks/text-messages/received",
                content=body,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert right.status_code == 200
            assert right.text == "stopped"
