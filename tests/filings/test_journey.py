"""The filing journey through the ASGI client: start, one topic per page, resume, check."""

from __future__ import annotations

import html

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from filings.casetypes.services import create_case_type
from filings.models import Filing, FilingStatus
from tests.factories.accounts import make_user
from tests.factories.filings import make_demo_case_type
from tests.factories.tribunals import make_tribunal
from tests.helpers import ABOUT_YOU, post_form, sign_in, start


async def test_a_tribunal_lists_its_published_case_types(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_demo_case_type(db, tribunal)
    draft = await create_case_type(
        db, tribunal, code="draft", title_en="Not yet", title_fr="Pas encore", definition={}
    )
    await db.commit()
    page = await client.get(f"/{tribunal.slug}/file")
    assert page.status_code == 200
    assert version.title_en in page.text
    assert "Not yet" not in page.text
    assert (await client.get(f"/{tribunal.slug}/file/{draft.id}")).status_code == 404
    before = await client.get(f"/{tribunal.slug}/file/{version.id}")
    assert before.status_code == 200
    assert "Before you start" in before.text
    assert "The decision you are appealing" in before.text


async def test_starting_needs_an_account(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    version = await make_demo_case_type(db, tribunal)
    page = f"/{tribunal.slug}/file/{version.id}"
    response = await post_form(client, page, {}, page=page)
    assert response.status_code == 303
    assert response.headers["location"] == f"/sign-in?next={page}"


async def test_steps_save_the_draft_and_it_resumes_where_it_stopped(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_demo_case_type(db, tribunal)
    user = await make_user(db)
    await sign_in(client, user.email)
    first = await start(client, tribunal, version)
    assert first.endswith("/eligibility")
    base = first.rsplit("/", 1)[0]

    empty = await post_form(client, first, {}, page=first)
    assert empty.status_code == 422
    assert "Select yes if you can file this case" in empty.text
    assert (await post_form(client, first, {"eligible": "yes"}, page=first)).headers[
        "location"
    ] == f"{base}/about_you"

    about = f"{base}/about_you"
    prefilled = await client.get(about)
    assert user.email in prefilled.text
    bad = await post_form(client, about, {**ABOUT_YOU, "postal_code": "12345"}, page=about)
    assert bad.status_code == 422
    assert "Enter a postal code in the correct format" in bad.text
    assert 'value="1 Main Street"' in bad.text
    done = await post_form(client, about, ABOUT_YOU, page=about)
    assert done.headers["location"] == f"{base}/representative"

    # Resuming goes to the first unanswered step.
    assert (await client.get(base)).headers["location"] == f"{base}/representative"
    filing = (await db.execute(Filing.__table__.select())).first()
    assert filing is not None
    my_cases = await client.get("/my-cases")
    assert "Continue your draft" in my_cases.text
    assert version.title_en in my_cases.text


async def test_representative_details_are_needed_only_with_a_representative(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_demo_case_type(db, tribunal)
    user = await make_user(db)
    await sign_in(client, user.email)
    base = (await start(client, tribunal, version)).rsplit("/", 1)[0]
    page = f"{base}/representative"
    missing = await post_form(client, page, {"has_representative": "yes"}, page=page)
    assert missing.status_code == 422
    text = html.unescape(missing.text)
    assert "Enter your representative's name" in text
    assert "Confirm that you authorise your representative" in text
    alone = await post_form(client, page, {"has_representative": "no"}, page=page)
    assert alone.headers["location"] == f"{base}/accessibility"


async def test_another_persons_draft_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_demo_case_type(db, tribunal)
    owner = await make_user(db)
    stranger = await make_user(db)
    await sign_in(client, owner.email)
    step = await start(client, tribunal, version)
    await post_form(client, "/sign-out", {})
    await sign_in(client, stranger.email)
    assert (await client.get(step)).status_code == 404
    changed = await post_form(client, step, {"eligible": "no"})
    assert changed.status_code == 404
    filing = (await db.execute(Filing.__table__.select())).first()
    assert filing is not None
    assert "eligibility" not in (filing.answers or {})


async def test_a_draft_from_another_tribunal_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    version = await make_demo_case_type(db, tribunal)
    user = await make_user(db)
    await sign_in(client, user.email)
    step = await start(client, tribunal, version)
    assert (
        await client.get(step.replace(f"/{tribunal.slug}/", f"/{other.slug}/"))
    ).status_code == 404
    assert (await client.get(f"/{tribunal.slug}/filings/not-a-uuid/eligibility")).status_code == 404


async def test_answers_with_markup_are_shown_as_text(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_demo_case_type(db, tribunal)
    user = await make_user(db)
    await sign_in(client, user.email)
    base = (await start(client, tribunal, version)).rsplit("/", 1)[0]
    about = f"{base}/about_you"
    await post_form(
        client, about, {**ABOUT_YOU, "full_name": "<script>alert(1)</script>"}, page=about
    )
    check = await client.get(f"{base}/check")
    assert check.status_code == 200
    assert "<script>alert(1)</script>" not in check.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in check.text
    assert FilingStatus.DRAFT.value == "draft"
