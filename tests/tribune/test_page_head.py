"""What every page's <head> offers beside its content: the site's icon and a description.

Covered: /favicon.ico (which browsers ask for on every site) is an icon, and so is
the SVG icon pages link to; the public pages describe themselves in a
``<meta name="description">`` in the visitor's language, a tribunal's home page
with the tribunal's own description.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.tribunals import make_tribunal
from tribune import i18n


def description(response: httpx.Response) -> str | None:
    found = re.findall(r'<meta name="description" content="([^"]*)">', response.text)
    assert len(found) <= 1, found
    return html.unescape(found[0]) if found else None


def icon_links(response: httpx.Response) -> list[str]:
    return re.findall(r'<link rel="icon" href="([^"]+)"', response.text)


async def test_favicon_ico_is_an_icon(client: httpx.AsyncClient) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header


async def test_every_page_links_to_icons_that_exist(client: httpx.AsyncClient) -> None:
    for page in ("/", "/sign-in", "/no/such/page"):
        links = icon_links(await client.get(page))
        assert links == ["/favicon.ico", "/static/images/favicon.svg"], page
    svg = await client.get("/static/images/favicon.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg ")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/",
            "File an appeal or an application with a public tribunal online, in English or "
            "French: send your documents, follow your case and join your hearing by video.",
        ),
        (
            "/accessibility",
            "How Tribune meets the Web Content Accessibility Guidelines (WCAG) 2.1 at level AA, "
            "how to ask for an accommodation, and how to report a problem.",
        ),
        ("/contact", "How to contact a tribunal about a filing, a case or a hearing."),
        ("/sign-in", "Sign in to file with a tribunal, follow your cases and join your hearings."),
    ],
)
async def test_public_pages_describe_themselves_in_the_visitors_language(
    client: httpx.AsyncClient, path: str, message: str, language: str
) -> None:
    response = await client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200
    with i18n.use_language(language):
        expected = i18n.gettext(message)
    if language == "fr":
        assert expected != message, "no French for the description"
    assert description(response) == expected


async def test_a_tribunal_home_page_is_described_by_the_tribunal(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    described = await make_tribunal(
        db, description_en="Hears workers' appeals.", description_fr="Entend les appels."
    )
    english = await client.get(f"/{described.slug}/")
    french = await client.get(f"/{described.slug}/", headers={"Accept-Language": "fr"})
    assert description(english) == "Hears workers' appeals."
    assert description(french) == "Entend les appels."

    plain = await make_tribunal(db, description_en="", description_fr="")
    page = await client.get(f"/{plain.slug}/", headers={"Accept-Language": "fr"})
    assert description(page) == (
        f"Faites un dépôt en ligne auprès de {plain.name_fr}, suivez votre dossier et "
        "participez à votre audience par vidéo."
    )


async def test_a_page_without_a_description_of_its_own_has_none(client: httpx.AsyncClient) -> None:
    assert description(await client.get("/no/such/page")) is None
    assert description(await client.get("/password-reset")) is None
