"""Redirects never take their address from the request's Host header, which anyone sets,
and production serves only its own host names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.tribunals import make_tribunal
from tribune.app import create_app
from tribune.db import Database
from tribune.settings import Settings, load_settings


async def test_a_missing_or_extra_trailing_slash_redirects_within_the_site(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    slug = tribunal.slug
    for path, location in [
        (f"/{slug}", f"/{slug}/"),
        (f"/{slug}/file/", f"/{slug}/file"),
        (f"/{slug}/file/?lang=fr", f"/{slug}/file?lang=fr"),
    ]:
        response = await client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 307, path
        assert response.headers["location"] == location
    # A path that would read as another site is never a redirect target.
    assert "location" not in (await client.get("//evil.example/")).headers


async def test_production_serves_only_its_own_host_but_answers_the_probes(
    settings: Settings, database: Database
) -> None:
    production = dataclasses.replace(
        settings,
        environment="production",
        base_url="https://appeals.example.ca",
        allowed_hosts=("appeals.example.ca",),
    )
    app = create_app(production, database, inline_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://appeals.example.ca") as c:
        assert (await c.get("/privacy")).status_code == 200
        assert (await c.get("/privacy", headers={"Host": "evil.example"})).status_code == 400
        assert (await c.get("/healthz", headers={"Host": "10.0.0.12:8000"})).status_code == 200


def test_the_hosts_come_from_the_setting_or_the_base_url_in_production(tmp_path: Path) -> None:
    environ = {
        "TRIBUNE_ENV": "production",
        "TRIBUNE_SECRET_KEY": "k" * 40,
        "TRIBUNE_BASE_URL": "https://appeals.example.ca",
        "TRIBUNE_PAYMENT_PROVIDER": "sandbox",
    }
    assert load_settings(environ).allowed_hosts == ("appeals.example.ca",)
    listed = {**environ, "TRIBUNE_ALLOWED_HOSTS": "appeals.example.ca, *.tribunal.example"}
    assert load_settings(listed).allowed_hosts == ("appeals.example.ca", "*.tribunal.example")
    development = {"TRIBUNE_ENV": "development", "TRIBUNE_DATA_DIR": str(tmp_path)}
    assert load_settings(development).allowed_hosts == ("*",)
