"""The development outbox holds reset links and access codes: only the machine the platform
runs on may read it, and production never serves it."""

from __future__ import annotations

import dataclasses

import httpx
from starlette.applications import Starlette

from tests.factories import unique
from tribune.app import build_outbox, create_app, exposure_warning
from tribune.db import Database
from tribune.settings import Settings

OUTBOX_LINK = "Outbox (development)"


def client_at(app: Starlette, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_the_outbox_is_shown_to_this_machine_only(
    app: Starlette, database: Database, settings: Settings
) -> None:
    address = f"{unique('secret-')}@example.org"
    async with database.session() as db:
        build_outbox(settings).queue(
            db,
            to=address,
            language="en",
            template="reset_password",
            context={"name": "Jane", "url": "http://testserver/password-reset/new?token=SECRET"},
        )
        await db.commit()
    for loopback in ("127.0.0.1", "::1"):
        async with client_at(app, loopback) as local:
            page = await local.get("/outbox")
            assert page.status_code == 200
            assert address in page.text
            assert OUTBOX_LINK in (await local.get("/privacy")).text
    for elsewhere in ("203.0.113.7", "10.0.0.5", "192.168.1.20"):
        async with client_at(app, elsewhere) as remote:
            page = await remote.get("/outbox")
            assert page.status_code == 404
            assert address not in page.text
            assert OUTBOX_LINK not in (await remote.get("/privacy")).text


async def test_production_never_serves_the_outbox(settings: Settings, database: Database) -> None:
    production = dataclasses.replace(settings, environment="production")
    app = create_app(production, database, inline_worker=False)
    async with client_at(app, "127.0.0.1") as local:
        assert (await local.get("/outbox")).status_code == 404


def test_a_development_platform_listening_beyond_this_machine_says_so(settings: Settings) -> None:
    assert settings.is_development
    for local in ("127.0.0.1", "::1", "localhost"):
        assert exposure_warning(settings, local) is None
    for exposed in ("0.0.0.0", "192.168.1.20", "::"):  # noqa: S104 - the addresses checked
        warning = exposure_warning(settings, exposed)
        assert warning is not None
        assert "development mode" in warning
    production = dataclasses.replace(settings, environment="production")
    assert exposure_warning(production, "0.0.0.0") is None  # noqa: S104 - checked, not bound
