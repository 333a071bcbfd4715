"""The journey asks which language an interpreter is needed for from a list (the same list
the tribunal's interpreters are kept in), or "another language" typed; answers kept before,
the language's name typed, are still shown and read."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import Filing
from tests.helpers import french, new_draft, post_form, text_of


async def draft_of(db: AsyncSession, base: str) -> Filing:
    filing = await db.get_one(Filing, uuid.UUID(base.rsplit("/", 1)[1]))
    await db.refresh(filing)
    return filing


async def test_the_language_is_chosen_from_the_list(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _tribunal, base = await new_draft(client, db)
    page = f"{base}/accessibility"
    form = await client.get(page)
    assert '<select class="govuk-select" id="interpreter_language"' in form.text
    assert '<option value="es">Spanish</option>' in form.text
    assert '<option value="other">Another language</option>' in form.text
    # Sign languages are asked apart.
    assert 'value="ase"' not in form.text

    saved = await post_form(
        client,
        page,
        {"needs_interpreter": "yes", "interpreter_language": "es", "sign_language": "none"},
        page=page,
    )
    assert saved.status_code == 303
    answers = (await draft_of(db, base)).answers["accessibility"]
    assert (answers["interpreter_language"], answers["interpreter_language_other"]) == ("es", "")
    again = await client.get(page)
    assert '<option value="es" selected>Spanish</option>' in again.text
    check = text_of(await client.get(f"{base}/check"))
    assert "Spanish" in check


async def test_a_language_is_needed_when_an_interpreter_is(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _tribunal, base = await new_draft(client, db)
    page = f"{base}/accessibility"
    missing = await post_form(
        client, page, {"needs_interpreter": "yes", "sign_language": "none"}, page=page
    )
    assert missing.status_code == 422
    assert "Select the language you need an interpreter for" in text_of(missing)
    unknown = await post_form(
        client,
        page,
        {"needs_interpreter": "yes", "interpreter_language": "xx", "sign_language": "none"},
        page=page,
    )
    assert unknown.status_code == 422
    other_untyped = await post_form(
        client,
        page,
        {"needs_interpreter": "yes", "interpreter_language": "other", "sign_language": "none"},
        page=page,
    )
    assert other_untyped.status_code == 422
    assert 'href="#interpreter_language_other"' in other_untyped.text
    assert "accessibility" not in (await draft_of(db, base)).answers
    # No interpreter: no language asked, none kept.
    none = await post_form(
        client,
        page,
        {"needs_interpreter": "no", "interpreter_language": "es", "sign_language": "none"},
        page=page,
    )
    assert none.status_code == 303
    answers = (await draft_of(db, base)).answers["accessibility"]
    assert answers["interpreter_language"] == ""


async def test_another_language_is_typed(client: httpx.AsyncClient, db: AsyncSession) -> None:
    _tribunal, base = await new_draft(client, db)
    page = f"{base}/accessibility"
    saved = await post_form(
        client,
        page,
        {
            "needs_interpreter": "yes",
            "interpreter_language": "other",
            "interpreter_language_other": "Tigre",
            "sign_language": "none",
        },
        page=page,
    )
    assert saved.status_code == 303
    answers = (await draft_of(db, base)).answers["accessibility"]
    assert (answers["interpreter_language"], answers["interpreter_language_other"]) == (
        "other",
        "Tigre",
    )
    assert "Tigre" in text_of(await client.get(f"{base}/check"))


async def test_a_language_typed_before_the_list_is_still_read(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _tribunal, base = await new_draft(client, db)
    filing = await draft_of(db, base)
    filing.answers = {
        **filing.answers,
        "accessibility": {
            "needs_interpreter": True,
            "interpreter_language": "espagnol",
            "sign_language": "none",
            "other_needs": "",
        },
    }
    await db.commit()
    page = await client.get(f"{base}/accessibility")
    assert '<option value="es" selected>Spanish</option>' in page.text
    assert "Spanish" in text_of(await client.get(f"{base}/check"))
    switched = await post_form(client, "/language", {"language": "fr", "next": "/"}, page="/")
    assert switched.status_code in (302, 303)
    assert french("Spanish") in text_of(await client.get(f"{base}/check"))

    filing.answers = {
        **filing.answers,
        "accessibility": {**filing.answers["accessibility"], "interpreter_language": "Tigre"},
    }
    await db.commit()
    page = await client.get(f"{base}/accessibility")
    assert '<option value="other" selected>' in page.text
    assert 'value="Tigre"' in page.text
