"""A tribunal's public pages: its home page, its brand stylesheet, and addresses that are not one.

Covered: name, description and contact details in English and French, the
translated 404 for an unknown tribunal, the accent colour served as CSS, the
redirect to the trailing slash, and platform paths that no tribunal can take.
"""

from __future__ import annotations

import html

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import unique
from tests.factories.tribunals import make_tribunal
from tests.helpers import french


async def test_public_page_shows_name_description_and_contact_details(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(
        db,
        name_en="Licence Appeal Tribunal",
        name_fr="Tribunal d'appel en matière de permis",
        short_name_en="LAT",
        short_name_fr="TAMP",
        description_en="Hears appeals about licences.",
        description_fr="Entend les appels en matière de permis.",
        contact_email="registrar@lat.example",
        contact_phone="+1 416 555 0123",
        contact_address="15 Grosvenor Street\nToronto ON  M7A 2G6",
    )

    response = await client.get(f"/{tribunal.slug}/")
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert '<h1 class="govuk-heading-xl">Licence Appeal Tribunal</h1>' in page
    assert "Hears appeals about licences." in page
    assert 'href="mailto:registrar@lat.example"' in page
    assert "+1 416 555 0123" in page
    assert "15 Grosvenor Street\nToronto ON  M7A 2G6" in page
    assert f'href="/{tribunal.slug}/brand.css"' in page
    # Visitors are not staff: no way into the workspace is offered.
    assert f'href="/{tribunal.slug}/staff"' not in page

    response = await client.get(f"/{tribunal.slug}/", headers={"Accept-Language": "fr"})
    page = html.unescape(response.text)
    assert '<html lang="fr"' in page
    assert "Tribunal d'appel en matière de permis" in page
    assert "Entend les appels en matière de permis." in page
    assert french("Contact the registry") in page
    assert "registrar@lat.example" in page


async def test_the_tribunals_default_language_is_used_when_the_browser_says_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db, default_language="fr", name_fr="Commission francophone")
    response = await client.get(f"/{tribunal.slug}/")
    assert '<html lang="fr"' in response.text
    assert "Commission francophone" in response.text


async def test_unknown_tribunal_gives_a_translated_not_found_page(
    client: httpx.AsyncClient,
) -> None:
    slug = unique("no-such-")
    response = await client.get(f"/{slug}/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert '<a class="govuk-link" href="/">' in response.text

    response = await client.get(f"/{slug}/staff", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert '<html lang="fr"' in response.text
    assert french("Page not found") in html.unescape(response.text)


async def test_brand_stylesheet_holds_the_accent_colour(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db, accent_colour="#5b2c86")
    response = await client.get(f"/{tribunal.slug}/brand.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "--tribune-accent: #5b2c86;" in response.text
    assert "<" not in response.text

    missing = await client.get(f"/{unique('no-such-')}/brand.css")
    assert missing.status_code == 404


async def test_address_without_trailing_slash_redirects_to_the_tribunal(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    response = await client.get(f"/{tribunal.slug}")
    assert response.status_code in (301, 307, 308)
    assert response.headers["location"].endswith(f"/{tribunal.slug}/")
    followed = await client.get(f"/{tribunal.slug}", follow_redirects=True)
    assert followed.status_code == 200
    assert tribunal.name_en in followed.text


async def test_a_platform_path_is_never_taken_for_a_tribunal(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # Bypass the service, as a bad import or a manual insert could.
    await make_tribunal(db, slug="register", name_en="Shadow Tribunal", name_fr="Tribunal fantôme")

    registration = await client.get("/register")
    assert registration.status_code == 200
    assert 'name="password_confirmation"' in registration.text
    assert "Shadow Tribunal" not in registration.text

    for path in ("/register/", "/register/brand.css", "/register/staff"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Shadow Tribunal" not in response.text
