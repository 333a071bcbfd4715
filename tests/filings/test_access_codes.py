"""One-time access codes, redeemed the same way at /join and /claim: any code works on either
page (the code says which party it opens), wrong codes on both pages count toward one limit of
ten an hour, and a used, expired or already claimed code, or a draft's, opens nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import Filing, FilingStatus
from filings.parties import access_codes
from filings.parties.access_codes import issue_claim_code
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import (
    WRONG,
    as_user,
    case_with_respondent,
    claimant_party,
    post_form,
    respondent_of,
)
from tribunals.models import Role, Tribunal
from tribune.audit import AuditEvent
from tribune.db import Database, utcnow

TOO_MANY = "You have entered too many wrong codes. Try again in an hour."


async def enter(
    client: httpx.AsyncClient, tribunal: Tribunal, page: str, reference: str, code: str
) -> httpx.Response:
    """Post a reference and code at /{tribunal}/join or /{tribunal}/claim."""
    url = f"/{tribunal.slug}/{page}"
    return await post_form(client, url, {"reference": reference, "code": code}, page=url)


async def paper_case(db: AsyncSession) -> tuple[Tribunal, Filing, str]:
    """Return a paper filing held by the clerk who entered it, and its claimant's code."""
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    filing = await make_case(db, tribunal, filer=clerk, name="Marie Tremblay")
    filing.entered_by_id = clerk.id
    party = await claimant_party(db, filing)
    party.user_id = None
    party.joined_at = None
    code = issue_claim_code(party)
    await db.commit()
    return tribunal, filing, code


async def count_of(db: AsyncSession, action: str) -> int:
    found = await db.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )
    return int(found or 0)


@pytest.mark.parametrize(("guessed_on", "blocked_on"), [("join", "claim"), ("claim", "join")])
async def test_wrong_codes_on_either_page_count_toward_one_limit(
    client: httpx.AsyncClient, db: AsyncSession, guessed_on: str, blocked_on: str
) -> None:
    tribunal, filing, code = await case_with_respondent(client, db)
    guesser = await make_user(db)
    await as_user(client, guesser)
    reference = filing.reference or ""
    for _ in range(9):
        wrong = await enter(client, tribunal, guessed_on, reference, "ZZZZ-ZZZZ-ZZZZ")
        assert wrong.status_code == 422
    tenth = await enter(client, tribunal, blocked_on, reference, "ZZZZ-ZZZZ-ZZZZ")
    assert tenth.status_code == 422
    assert WRONG in tenth.text
    assert await count_of(db, access_codes.FAILED_ACTION) == 10
    assert await access_codes.failures_last_hour(db, guesser.id) == 10

    # The eleventh attempt, even with the right code, is refused on both pages.
    for page in (blocked_on, guessed_on):
        stopped = await enter(client, tribunal, page, reference, code)
        assert stopped.status_code == 429
        assert TOO_MANY in stopped.text
        assert 'class="govuk-error-summary"' in stopped.text
    party = await respondent_of(db, filing)
    await db.refresh(party)
    assert party.user_id is None
    assert party.access_code_hash == access_codes.hash_access_code(code)
    assert await count_of(db, access_codes.FAILED_ACTION) == 10
    assert await count_of(db, "case.joined") == 0

    # Another person is not held back by someone else's guesses.
    await as_user(client, await make_user(db))
    assert (await enter(client, tribunal, blocked_on, reference, code)).status_code == 303


async def test_a_respondents_code_works_on_the_claim_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, code = await case_with_respondent(client, db)
    claimant_id = filing.filer_id
    respondent = await make_user(db, name="Sam Boss")
    await as_user(client, respondent)
    page = await client.get(f"/{tribunal.slug}/claim")
    assert page.status_code == 200
    assert f'action="/{tribunal.slug}/claim"' in page.text  # letters carry /claim: it stays
    joined = await enter(client, tribunal, "claim", filing.reference or "", code)
    assert joined.status_code == 303
    assert joined.headers["location"] == f"/{tribunal.slug}/cases/{filing.id}"
    party = await respondent_of(db, filing)
    await db.refresh(party)
    await db.refresh(filing)
    assert party.user_id == respondent.id
    assert party.access_code_hash is None
    # Joining as a respondent does not make them the claimant.
    assert filing.filer_id == claimant_id
    joins = await db.execute(select(AuditEvent).where(AuditEvent.action == "case.joined"))
    entry = joins.scalar_one()
    assert (entry.actor_id, entry.actor_role, entry.case_id) == (
        respondent.id,
        "respondent",
        filing.id,
    )
    assert await count_of(db, "filing.claimed") == 0


async def test_a_paper_filing_code_works_on_the_join_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, code = await paper_case(db)
    marie = await make_user(db, name="Marie Tremblay")
    await as_user(client, marie)
    page = await client.get(f"/{tribunal.slug}/join")
    assert f'action="/{tribunal.slug}/join"' in page.text
    claimed = await enter(client, tribunal, "join", (filing.reference or "").lower(), code)
    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/{tribunal.slug}/cases/{filing.id}"
    await db.refresh(filing)
    party = await claimant_party(db, filing)
    assert filing.filer_id == marie.id
    assert party.user_id == marie.id
    assert party.joined_at is not None
    assert party.access_code_hash is None
    claims = await db.execute(select(AuditEvent).where(AuditEvent.action == "filing.claimed"))
    entry = claims.scalar_one()
    assert (entry.actor_id, entry.actor_role, entry.case_id) == (marie.id, "claimant", filing.id)
    assert str(filing.reference) in (await client.get(claimed.headers["location"])).text


async def test_a_used_expired_or_claimed_code_or_a_drafts_opens_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # Used on one page, refused on the other.
    tribunal, filing, code = await paper_case(db)
    marie = await make_user(db)
    await as_user(client, marie)
    assert (await enter(client, tribunal, "claim", filing.reference or "", code)).status_code == 303
    await as_user(client, await make_user(db))
    used = await enter(client, tribunal, "join", filing.reference or "", code)
    assert used.status_code == 422
    assert WRONG in used.text
    await db.refresh(filing)
    assert filing.filer_id == marie.id

    # A claimant who claimed the case already is not taken over, even by a fresh code.
    party = await claimant_party(db, filing)
    fresh = issue_claim_code(party)
    await db.commit()
    for page in ("join", "claim"):
        taken = await enter(client, tribunal, page, filing.reference or "", fresh)
        assert taken.status_code == 422
    await db.refresh(filing)
    await db.refresh(party)
    assert (filing.filer_id, party.user_id) == (marie.id, marie.id)

    # Expired, on either page.
    tribunal, filing, code = await case_with_respondent(client, db)
    respondent = await respondent_of(db, filing)
    respondent.access_code_expires_at = utcnow() - timedelta(minutes=1)
    await db.commit()
    await as_user(client, await make_user(db))
    for page in ("join", "claim"):
        expired = await enter(client, tribunal, page, filing.reference or "", code)
        assert expired.status_code == 422
        assert WRONG in expired.text

    # A filing that is not a case (a draft) opens nothing either.
    respondent.access_code_expires_at = utcnow() + timedelta(days=1)
    filing.status = FilingStatus.DRAFT
    await db.commit()
    draft = await enter(client, tribunal, "join", filing.reference or "", code)
    assert draft.status_code == 422
    await db.refresh(respondent)
    assert respondent.user_id is None
    assert respondent.access_code_hash == access_codes.hash_access_code(code)


async def test_two_people_redeeming_one_code_at_once_one_wins(
    client: httpx.AsyncClient, db: AsyncSession, database: Database
) -> None:
    tribunal, filing, code = await paper_case(db)
    first, second = await make_user(db), await make_user(db)
    await db.commit()
    async with database.session() as one, database.session() as other:
        # Both find the party with its code; the other's copy goes stale once one redeems it.
        found_by_other = await access_codes.find_party(
            other, tribunal, filing.reference or "", code
        )
        await other.commit()
        found_by_one = await access_codes.find_party(one, tribunal, filing.reference or "", code)
        assert found_by_one is not None
        assert found_by_other is not None
        assert await access_codes.redeem(one, tribunal, *found_by_one, first)
        await one.commit()
        assert not await access_codes.redeem(other, tribunal, *found_by_other, second)
        await other.rollback()
    await db.refresh(filing)
    party = await claimant_party(db, filing)
    assert (filing.filer_id, party.user_id) == (first.id, first.id)
    assert await count_of(db, "filing.claimed") == 1


async def test_the_claimant_cannot_take_the_respondents_place_with_its_code(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # One person, one place in a case: the code is not used up and no guess is counted.
    tribunal, filing, code = await case_with_respondent(client, db)
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    await as_user(client, claimant)
    refused = await enter(client, tribunal, "join", filing.reference or "", code)
    assert refused.status_code == 422
    assert "You already take part in this case with this account." in refused.text
    party = await respondent_of(db, filing)
    await db.refresh(party)
    assert party.user_id is None
    assert party.access_code_hash == access_codes.hash_access_code(code)
    assert await count_of(db, access_codes.FAILED_ACTION) == 0
    # The respondent it was sent to can still use it.
    await as_user(client, await make_user(db, name="Sam Boss"))
    assert (await enter(client, tribunal, "join", filing.reference or "", code)).status_code == 303


async def test_my_cases_lists_the_cases_a_person_takes_part_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # A respondent finds the case they joined under "My cases", with their role and its status.
    tribunal, filing, code = await case_with_respondent(client, db)
    respondent = await make_user(db, name="Sam Boss")
    await as_user(client, respondent)
    assert filing.reference
    assert filing.reference not in (await client.get("/my-cases")).text
    await enter(client, tribunal, "join", filing.reference or "", code)
    mine = (await client.get("/my-cases")).text
    assert f'href="/{tribunal.slug}/cases/{filing.id}"' in mine
    assert "Your role: Respondent" in mine
    assert '<strong class="govuk-tag">Accepted</strong>' in mine

    # A paper filing the clerk entered is the registry's until claimed, then the claimant's.
    tribunal, paper_filing, paper_code = await paper_case(db)
    clerk = await db.get(User, paper_filing.entered_by_id)
    assert clerk is not None
    await as_user(client, clerk)
    assert str(paper_filing.reference) not in (await client.get("/my-cases")).text
    claimant = await make_user(db, name="Marie Tremblay")
    await as_user(client, claimant)
    await enter(client, tribunal, "claim", paper_filing.reference or "", paper_code)
    mine = (await client.get("/my-cases")).text
    assert str(paper_filing.reference) in mine
    assert "Your role: Claimant" in mine
