"""Redirects never take their address from the request's Host header, which anyone sets."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.tribunals import make_tribunal


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
