"""Paper filings: a clerk enters one, the claimant gets a code and claims the case online."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import CaseEvent, Filing, FilingStatus
from filings.parties import access_codes
from filings.parties.access_codes import hash_access_code, new_access_code
from tests.factories.accounts import make_user
from tests.factories.filings import make_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import ABOUT_YOU, claimant_party, last_message, post_form, sign_in
from tribunals.models import Role, Tribunal
from tribune.audit import AuditEvent
from tribune.mail import OutboxMessage

CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
# A page's CSRF token is random base64: now and then a run of it looks like a code.
CSRF_TOKENS = re.compile(r'(?:data-csrf-token|name="csrf_token" value)="[^"]*"')


def codes_shown(page: str) -> re.Match[str] | None:
    """Return the first access code a page shows, its CSRF tokens aside."""
    return CODE.search(CSRF_TOKENS.sub("", page))


async def enter_paper_filing(
    client: httpx.AsyncClient, db: AsyncSession, tribunal: Tribunal, email: str
) -> Filing:
    """As the signed-in clerk, enter and submit a French paper filing for Marie."""
    version = await make_case_type(db, tribunal)
    start = f"/{tribunal.slug}/staff/paper-filings/new"
    assert (await client.get(start)).status_code == 200
    assert (await post_form(client, start, {}, page=start)).status_code == 422
    started = await post_form(client, start, {"version": str(version.id)}, page=start)
    assert started.status_code == 303
    base = started.headers["location"]
    filing_id = uuid.UUID(base.rsplit("/", 1)[1])
    decided = date.today() - timedelta(days=10)
    about_you = {
        **ABOUT_YOU,
        "full_name": "Marie Tremblay",
        "email": email,
        "case_language": "fr",
    }
    # The person's details come from the paper form, not from the clerk's account.
    blank = await client.get(f"{base}/about_you")
    assert blank.status_code == 200
    assert 'name="full_name" type="text" value=""' in blank.text
    assert 'name="email" type="email" value=""' in blank.text
    for step, data in [
        ("eligibility", {"eligible": "yes"}),
        ("about_you", about_you),
        ("representative", {"has_representative": "no"}),
        ("accessibility", {"needs_interpreter": "no", "sign_language": "none"}),
        (
            "questions",
            {
                "q-decision_date-day": str(decided.day),
                "q-decision_date-month": str(decided.month),
                "q-decision_date-year": str(decided.year),
            },
        ),
        ("documents", {}),
        ("declaration", {"declared": "yes"}),
    ]:
        response = await post_form(client, f"{base}/{step}", data, page=f"{base}/{step}")
        assert response.status_code == 303, (step, response.text)
    filing = (await db.execute(select(Filing).where(Filing.id == filing_id))).scalar_one()
    await db.refresh(filing)
    return filing


async def test_a_clerk_enters_a_paper_filing_and_the_claimant_claims_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await sign_in(client, clerk.email)
    workspace = await client.get(f"/{tribunal.slug}/staff")
    assert "Enter a paper filing" in workspace.text
    assert "Audit log" not in workspace.text
    email = f"marie-{tribunal.slug}@example.org"
    filing = await enter_paper_filing(client, db, tribunal, email)

    assert filing.status is FilingStatus.SUBMITTED
    assert filing.entered_by_id == clerk.id
    assert filing.language == "fr"
    event = (
        await db.execute(
            select(CaseEvent).where(CaseEvent.filing_id == filing.id, CaseEvent.kind == "submitted")
        )
    ).scalar_one()
    assert event.details == {"entered_by": "clerk"}
    message = await last_message(db, email)
    assert message.template == "paper_filing_acknowledgement"
    assert message.language == "fr"
    assert "nous avons reçu votre dépôt" in message.subject
    assert "code d’accès" in message.body
    found = CODE.search(message.body)
    assert found
    code = found.group(0)
    to_clerk = await db.execute(
        select(OutboxMessage).where(OutboxMessage.to_address == clerk.email)
    )
    assert to_clerk.scalars().all() == []
    party = await claimant_party(db, filing)
    assert party.user_id is None
    assert party.access_code_hash == hash_access_code(code)
    assert code not in (party.access_code_hash or "")
    await post_form(client, "/sign-out", {})

    marie = await make_user(db, email=email, name="Marie Tremblay")
    await sign_in(client, marie.email)
    claim = f"/{tribunal.slug}/claim"
    assert (await client.get(claim)).status_code == 200
    claimed = await post_form(
        client,
        claim,
        {"reference": (filing.reference or "").lower(), "code": code.lower().replace("-", " ")},
        page=claim,
    )
    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/{tribunal.slug}/cases/{filing.id}"
    case = await client.get(claimed.headers["location"])
    assert case.status_code == 200
    assert str(filing.reference) in case.text
    assert str(filing.reference) in (await client.get("/my-cases")).text
    await db.refresh(filing)
    await db.refresh(party)
    assert filing.filer_id == marie.id
    assert party.user_id == marie.id
    assert party.joined_at is not None
    assert party.access_code_hash is None
    claims = await db.execute(select(AuditEvent).where(AuditEvent.action == "filing.claimed"))
    assert claims.scalar_one().actor_id == marie.id

    # The code is used up.
    again = await post_form(
        client, claim, {"reference": filing.reference or "", "code": code}, page=claim
    )
    assert again.status_code == 422


async def test_a_wrong_code_changes_nothing_and_too_many_are_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await sign_in(client, clerk.email)
    filing = await enter_paper_filing(client, db, tribunal, f"m-{tribunal.slug}@example.org")
    code = CODE.search((await last_message(db, f"m-{tribunal.slug}@example.org")).body)
    assert code
    await post_form(client, "/sign-out", {})
    person = await make_user(db)
    await sign_in(client, person.email)
    claim = f"/{tribunal.slug}/claim"

    wrong = await post_form(
        client,
        claim,
        {"reference": filing.reference or "", "code": new_access_code()},
        page=claim,
    )
    assert wrong.status_code == 422
    assert "The case reference or access code is not right" in wrong.text
    assert wrong.text.count('class="govuk-error-summary"') == 1
    assert (
        await post_form(client, claim, {"reference": "", "code": ""}, page=claim)
    ).status_code == 422
    await db.refresh(filing)
    assert filing.filer_id == clerk.id
    assert (await claimant_party(db, filing)).user_id is None
    failures = await db.execute(
        select(AuditEvent).where(AuditEvent.action == access_codes.FAILED_ACTION)
    )
    assert len(failures.scalars().all()) == 1

    for _ in range(9):
        await post_form(client, claim, {"reference": "X", "code": "ABCD-EFGH-JKMN"}, page=claim)
    # Even the right code is refused after ten failures in the hour.
    blocked = await post_form(
        client, claim, {"reference": filing.reference or "", "code": code.group(0)}, page=claim
    )
    assert blocked.status_code == 429
    assert "too many wrong codes" in blocked.text
    await db.refresh(filing)
    assert filing.filer_id == clerk.id


async def test_a_printed_letter_has_a_fresh_code_and_the_old_one_stops_working(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await sign_in(client, clerk.email)
    email = f"letter-{tribunal.slug}@example.org"
    filing = await enter_paper_filing(client, db, tribunal, email)
    emailed = CODE.search((await last_message(db, email)).body)
    assert emailed
    listing = await client.get(f"/{tribunal.slug}/staff/paper-filings/new")
    letter_url = f"/{tribunal.slug}/staff/cases/{filing.id}/letter"
    assert letter_url in listing.text
    preview = await client.get(letter_url)
    assert preview.status_code == 200
    assert codes_shown(preview.text) is None
    letter = await post_form(client, letter_url, {}, page=letter_url)
    assert letter.status_code == 200
    printed = codes_shown(letter.text)
    assert printed
    assert printed.group(0) != emailed.group(0)
    assert "Marie Tremblay" in letter.text
    assert "1 Main Street" in letter.text
    assert "Toronto ON  M5V 2T6" in letter.text
    assert "nous avons reçu votre dépôt" in letter.text  # the case's language
    assert "@media print" in letter.text
    printed_entries = await db.execute(
        select(AuditEvent).where(AuditEvent.action == "filing.access_letter_printed")
    )
    assert printed_entries.scalar_one().actor_id == clerk.id
    # Another tribunal's clerk, and a person who is not staff, cannot print it.
    outsider = await make_staff(db, await make_tribunal(db), Role.CLERK)
    await post_form(client, "/sign-out", {})

    await sign_in(client, outsider.email)
    assert (await client.get(letter_url)).status_code == 404
    await post_form(client, "/sign-out", {})

    marie = await make_user(db, email=email)
    await sign_in(client, marie.email)
    assert (await client.get(letter_url)).status_code == 404
    claim = f"/{tribunal.slug}/claim"
    old = await post_form(
        client, claim, {"reference": filing.reference or "", "code": emailed.group(0)}, page=claim
    )
    assert old.status_code == 422
    new = await post_form(
        client, claim, {"reference": filing.reference or "", "code": printed.group(0)}, page=claim
    )
    assert new.status_code == 303
    await db.refresh(filing)
    assert filing.filer_id == marie.id

    # Once claimed, no new code can be printed.
    await post_form(client, "/sign-out", {})
    await sign_in(client, clerk.email)
    after = await client.get(letter_url)
    assert after.status_code == 200
    assert "claimed online already" in after.text
    assert (await post_form(client, letter_url, {}, page=letter_url)).status_code == 409
    await db.refresh(await claimant_party(db, filing))
    assert (await claimant_party(db, filing)).access_code_hash is None
