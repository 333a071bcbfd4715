"""The platform home page: the list of tribunals, its search box, htmx fragment, workspaces.

Covered: names shown in the request's language, search by English or French
name, short name, description or slug (case-insensitive, with ``%`` and ``_``
taken literally), the no-match message, the results fragment htmx asks for,
and links to the staff workspaces of the signed-in person.
"""

from __future__ import annotations

import html

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import french, sign_in
from tribunals.models import Membership, Role

NO_MATCH = "No tribunal matches your search. Check the spelling or try another word."


async def search(client: httpx.AsyncClient, query: str, **headers: str) -> str:
    response = await client.get("/", params={"q": query}, headers=headers)
    assert response.status_code == 200
    return html.unescape(response.text)


async def test_home_lists_tribunals_in_the_visitors_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    word = unique("pension")
    await make_tribunal(
        db, name_en=f"Pension Appeals {word}", name_fr=f"Appels des pensions {word}"
    )

    english = await client.get("/")
    assert english.status_code == 200
    assert '<html lang="en"' in english.text
    assert f"Pension Appeals {word}" in english.text
    assert f"Appels des pensions {word}" not in english.text

    response = await client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert response.status_code == 200
    assert '<html lang="fr"' in response.text
    page = html.unescape(response.text)
    assert f"Appels des pensions {word}" in page
    assert f"Pension Appeals {word}" not in page
    assert french("Tribunals on Tribune") in page


async def test_search_matches_any_name_description_or_slug_whatever_the_case(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tag = unique("")
    wanted = await make_tribunal(
        db,
        slug=f"fisc-{tag}",
        name_en=f"Revenue Review Board {tag}",
        name_fr=f"Commission de révision fiscale {tag}",
        short_name_en="RRB",
        short_name_fr="CRF",
        description_en="Settles disputes about property assessments.",
        description_fr="Tranche les différends sur les évaluations foncières.",
    )
    other = await make_tribunal(
        db,
        name_en=f"Animal Welfare Tribunal {tag}",
        name_fr=f"Tribunal du bien-être animal {tag}",
        description_en="Hears appeals about animal care.",
        description_fr="Entend les appels en matière de soins aux animaux.",
    )

    for query in (
        "REVENUE review",  # English name, another case
        "révision FISCALE",  # French name
        "rrb",  # English short name
        "CRF",  # French short name
        "property ASSESSMENTS",  # English description
        "évaluations foncières",  # French description
        f"fisc-{tag}",  # slug
    ):
        page = await search(client, query)
        assert wanted.name_en in page, query
        assert other.name_en not in page, query
        assert "1 tribunal matches" in page, query


async def test_search_takes_percent_and_underscore_literally(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tag = unique("")
    percent = await make_tribunal(db, name_en=f"Board of 100% Review {tag}")
    underscore = await make_tribunal(db, name_en=f"Board of snake_case {tag}")
    plain = await make_tribunal(db, name_en=f"Board of snakeXcase {tag}")

    page = await search(client, "%")
    assert percent.name_en in page
    assert underscore.name_en not in page
    assert plain.name_en not in page

    page = await search(client, "snake_case")
    assert underscore.name_en in page
    assert plain.name_en not in page  # "_" is not a wildcard for one character

    page = await search(client, "%%")
    assert NO_MATCH in page


async def test_search_without_a_match_says_so(client: httpx.AsyncClient, db: AsyncSession) -> None:
    await make_tribunal(db)
    query = unique("nothing-like-this-")
    page = await search(client, query)
    assert f"0 tribunals match “{query}”" in page
    assert NO_MATCH in page

    page = await search(client, query, **{"Accept-Language": "fr"})
    assert french(NO_MATCH) in page


async def test_htmx_search_gets_only_the_results_fragment(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tag = unique("")
    wanted = await make_tribunal(db, name_en=f"Licence Appeal Tribunal {tag}")
    other = await make_tribunal(db, name_en=f"Human Rights Tribunal {tag}")

    response = await client.get("/", params={"q": "licence"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.text.strip()
    assert fragment.startswith('<div id="results"')
    assert "<html" not in fragment
    assert "<form" not in fragment  # not the search box, not the header
    assert wanted.name_en in fragment
    assert other.name_en not in fragment

    # Without JavaScript the same address gives the whole page.
    full = await client.get("/", params={"q": "licence"})
    assert "<html" in full.text
    assert wanted.name_en in full.text


async def test_signed_in_staff_see_links_to_their_workspaces(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    own = await make_tribunal(db)
    second = await make_tribunal(db)
    elsewhere = await make_tribunal(db)
    clerk = await make_staff(db, own, Role.CLERK)
    await make_staff(db, elsewhere, Role.ADMIN)
    db.add(Membership(tribunal_id=second.id, user_id=clerk.id, role=Role.ADJUDICATOR))
    await db.commit()

    anonymous = await client.get("/")
    assert "Your staff workspaces" not in anonymous.text

    await sign_in(client, clerk.email)
    page = (await client.get("/")).text
    assert "Your staff workspaces" in page
    assert f'href="/{own.slug}/staff"' in page
    assert f'href="/{second.slug}/staff"' in page
    assert f'href="/{elsewhere.slug}/staff"' not in page


async def test_claimants_see_no_workspace_links(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    claimant = await make_user(db)
    await sign_in(client, claimant.email)
    page = (await client.get("/")).text
    assert tribunal.name_en in page
    assert "Your staff workspaces" not in page
    assert f'href="/{tribunal.slug}/staff"' not in page


async def test_a_search_with_control_characters_is_refused_not_a_500(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # PostgreSQL cannot hold a NUL in text: the query is refused before it reaches the database.
    await make_tribunal(db, name_en="Licence Appeal Tribunal")
    for query in ("licence\x00", "\u202elicence"):
        response = await client.get("/", params={"q": query})
        assert response.status_code == 422
        text = html.unescape(response.text)
        assert "There is a problem" in text
        assert "Remove the control characters from this answer" in text
        assert "Licence Appeal Tribunal" not in text
