"""The staff case page, notes, assignment, the delivery log, and the parties' view of a case."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import (
    CaseEvent,
    CaseNote,
    CaseParty,
    Document,
    Filing,
    FilingStatus,
    PartyRole,
)
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.filings.conftest import DocumentStore
from tests.helpers import (
    ABOUT_YOU,
    last_message,
    pdf_bytes,
    post_form,
    sign_in,
    text_of,
)
from tribunals.models import Role
from tribune.audit import AuditEvent
from tribune.db import utcnow
from tribune.mail import OutboxMessage
from tribune.storage.base import new_object_key


async def fresh(db: AsyncSession, filing: Filing) -> Filing:
    await db.refresh(filing)
    return filing


async def test_staff_case_page_shows_the_whole_case(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await make_staff(db, tribunal, Role.ADJUDICATOR, name="Judge Dredd")
    case = await make_case(db, tribunal, name="Alice Martin", representative="Rita Rep")
    await sign_in(client, clerk.email)
    page = await client.get(f"/{tribunal.slug}/staff/cases/{case.id}")
    assert page.status_code == 200
    body = text_of(page)
    assert case.reference
    assert case.reference in body
    assert "Submitted" in body
    assert "Alice Martin" in body
    assert "Rita Rep" in body
    assert "Legal Clinic" in body
    assert "Authorised on" in body
    assert "Filed online" in body
    assert "Judge Dredd" in body  # the adjudicators to assign
    assert "Accept" in body
    assert "Return for completion" in body
    assert "Dismiss" not in body  # a clerk cannot dismiss
    viewed = await db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "filing.viewed",
            AuditEvent.subject_id == case.id,
            AuditEvent.actor_role == "clerk",
        )
    )
    assert viewed == 1


async def test_notes_are_for_staff_only(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    claimant = await make_user(db)
    case = await make_case(db, tribunal, filer=claimant)
    await sign_in(client, clerk.email)
    url = f"/{tribunal.slug}/staff/cases/{case.id}"
    empty = await post_form(client, f"{url}/notes", {"note": "  "}, page=url)
    assert empty.status_code == 422
    assert "There is a problem" in empty.text
    assert "Enter the note" in empty.text
    too_long = await post_form(client, f"{url}/notes", {"note": "x" * 5001}, page=url)
    assert too_long.status_code == 422
    added = await post_form(client, f"{url}/notes", {"note": "Called the claimant."}, page=url)
    assert added.status_code == 303
    page = text_of(await client.get(url))
    assert "Called the claimant." in page
    assert "Internal note added" in page
    notes = await db.scalar(select(func.count()).select_from(CaseNote))
    assert notes == 1

    client.cookies.clear()
    await sign_in(client, claimant.email)
    party_page = text_of(await client.get(f"/{tribunal.slug}/cases/{case.id}"))
    assert "Called the claimant." not in party_page
    assert "Internal note added" not in party_page
    assert (await client.get(url)).status_code == 404


async def test_assigning_an_adjudicator(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    judge = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Judge Judy")
    other = await make_tribunal(db)
    stranger = await make_staff(db, other, Role.ADJUDICATOR, name="Other Judge")
    case = await make_case(db, tribunal)
    await sign_in(client, clerk.email)
    url = f"/{tribunal.slug}/staff/cases/{case.id}"
    wrong = await post_form(client, f"{url}/assign", {"adjudicator": str(stranger.id)}, page=url)
    assert wrong.status_code == 422
    assert "Select an adjudicator of this tribunal" in wrong.text
    done = await post_form(client, f"{url}/assign", {"adjudicator": str(judge.id)}, page=url)
    assert done.status_code == 303
    assert (await fresh(db, case)).assigned_adjudicator_id == judge.id
    page = text_of(await client.get(url))
    assert "Adjudicator assigned" in page
    assert "Judge Judy" in page
    event = await db.scalar(select(CaseEvent).where(CaseEvent.kind == "adjudicator_assigned"))
    assert event is not None
    assert event.visible_to_parties is False
    entry = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "case.adjudicator_assigned")
    )
    assert entry is not None
    assert entry.actor_role == "clerk"


async def test_an_adjudicator_cannot_assign(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    judge = await make_staff(db, tribunal, Role.ADJUDICATOR)
    case = await make_case(db, tribunal)
    await sign_in(client, judge.email)
    url = f"/{tribunal.slug}/staff/cases/{case.id}"
    page = await client.get(url)
    assert page.status_code == 200
    assert "Assign an adjudicator" not in page.text
    refused = await post_form(client, f"{url}/assign", {"adjudicator": str(judge.id)}, page=url)
    assert refused.status_code == 409
    assert (await fresh(db, case)).assigned_adjudicator_id is None


async def test_delivery_log_lists_the_case_messages(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    claimant = await make_user(db, email="claimant-log@example.org")
    case = await make_case(db, tribunal, filer=claimant)
    await sign_in(client, clerk.email)
    url = f"/{tribunal.slug}/staff/cases/{case.id}"
    assert (await post_form(client, f"{url}/transitions/accept", {}, page=url)).status_code == 303
    message = await last_message(db, "claimant-log@example.org")
    assert message.case_id == case.id
    page = text_of(await client.get(url))
    assert "Delivery log" in page
    assert "claimant-log@example.org" in page
    assert message.subject in page
    assert "Queued" in page or "Kept in the outbox" in page


async def test_returned_edit_resubmit_journey(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    claimant = await make_user(db)
    case = await make_case(db, tribunal, filer=claimant)
    await sign_in(client, clerk.email)
    staff_url = f"/{tribunal.slug}/staff/cases/{case.id}"
    missing = await post_form(client, f"{staff_url}/transitions/return", {}, page=staff_url)
    assert missing.status_code == 422
    assert "Give the reasons for this change" in missing.text
    assert (await fresh(db, case)).status is FilingStatus.SUBMITTED
    returned = await post_form(
        client,
        f"{staff_url}/transitions/return",
        {"reason-return": "The decision letter is missing."},
        page=staff_url,
    )
    assert returned.status_code == 303
    assert (await fresh(db, case)).status is FilingStatus.RETURNED

    client.cookies.clear()
    await sign_in(client, claimant.email)
    case_url = f"/{tribunal.slug}/cases/{case.id}"
    page = text_of(await client.get(case_url))
    assert "Returned for completion" in page
    assert "Reason: The decision letter is missing." in page
    assert "Resubmit" in page
    assert "Withdraw the case" in page
    # The answers can change again while the filing is returned.
    step_url = f"/{tribunal.slug}/filings/{case.id}/accessibility"
    edit = await client.get(step_url)
    assert edit.status_code == 200
    saved = await post_form(
        client, step_url, {"needs_interpreter": "no", "sign_language": "none"}, page=step_url
    )
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(case_url)
    assert "accessibility" in (await fresh(db, case)).answers
    about_url = f"/{tribunal.slug}/filings/{case.id}/about_you"
    changed = await post_form(
        client, about_url, {**ABOUT_YOU, "full_name": "Jane Q. Doe-Smith"}, page=about_url
    )
    assert changed.status_code == 303
    resubmitted = await post_form(client, f"{case_url}/transitions/resubmit", {}, page=case_url)
    assert resubmitted.status_code == 303
    assert (await fresh(db, case)).status is FilingStatus.SUBMITTED
    page = text_of(await client.get(case_url))
    assert "Filing resubmitted" in page
    assert "Resubmit" not in page
    claimant_party = await db.scalar(
        select(CaseParty)
        .where(CaseParty.filing_id == case.id, CaseParty.role == PartyRole.CLAIMANT)
        .execution_options(populate_existing=True)
    )
    assert claimant_party is not None
    assert claimant_party.name == "Jane Q. Doe-Smith"
    assert "doe smith" in (await fresh(db, case)).search_text
    # Once resubmitted, the answers are on record again.
    again = await client.get(step_url)
    assert again.status_code == 303


async def test_notifications_are_in_each_party_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    french = await make_user(db, email="francoise@example.org", language="fr")
    case = await make_case(db, tribunal, filer=french, language="fr")
    db.add(
        CaseParty(
            tribunal_id=tribunal.id,
            filing_id=case.id,
            role=PartyRole.RESPONDENT,
            name="Ministry",
            email="ministry@example.org",
            language="en",
        )
    )
    await db.commit()
    await sign_in(client, clerk.email)
    url = f"/{tribunal.slug}/staff/cases/{case.id}"
    assert (await post_form(client, f"{url}/transitions/accept", {}, page=url)).status_code == 303
    to_claimant = await last_message(db, "francoise@example.org")
    assert to_claimant.language == "fr"
    assert to_claimant.subject.startswith("Dossier")
    to_respondent = await last_message(db, "ministry@example.org")
    assert to_respondent.language == "en"
    assert to_respondent.subject.startswith("Case")


async def test_representative_and_respondent_see_the_case(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    case = await make_case(db, tribunal, representative="Rita Rep")
    rep_user = await make_user(db)
    respondent_user = await make_user(db)
    parties = list(
        (await db.execute(select(CaseParty).where(CaseParty.filing_id == case.id))).scalars()
    )
    representative = next(p for p in parties if p.role is PartyRole.REPRESENTATIVE)
    representative.user_id = rep_user.id
    db.add(
        CaseParty(
            tribunal_id=tribunal.id,
            filing_id=case.id,
            role=PartyRole.RESPONDENT,
            name="Ministry",
            user_id=respondent_user.id,
            joined_at=utcnow(),
        )
    )
    await db.commit()
    url = f"/{tribunal.slug}/cases/{case.id}"
    await sign_in(client, rep_user.email)
    page = await client.get(url)
    assert page.status_code == 200
    assert "Withdraw the case" in page.text
    client.cookies.clear()
    await sign_in(client, respondent_user.email)
    page = await client.get(url)
    assert page.status_code == 200
    assert "Withdraw the case" not in page.text
    # Once the representative's authority is withdrawn, the case is closed to them.
    representative.authorisation_withdrawn_at = utcnow()
    await db.commit()
    client.cookies.clear()
    await sign_in(client, rep_user.email)
    assert (await client.get(url)).status_code == 404


async def test_withdrawing_asks_for_confirmation(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    claimant = await make_user(db)
    case = await make_case(db, tribunal, filer=claimant)
    await sign_in(client, claimant.email)
    url = f"/{tribunal.slug}/cases/{case.id}/transitions/withdraw"
    confirm = await client.get(url)
    assert confirm.status_code == 200
    assert "Are you sure you want to withdraw this case?" in text_of(confirm)
    assert (await fresh(db, case)).status is FilingStatus.SUBMITTED
    done = await post_form(client, url, {}, page=url)
    assert done.status_code == 303
    assert (await fresh(db, case)).status is FilingStatus.WITHDRAWN
    page = text_of(await client.get(f"/{tribunal.slug}/cases/{case.id}"))
    assert "Withdrawn" in page
    assert "Withdraw the case" not in page
    # A party cannot make a staff move through their own page.
    assert (
        await post_form(client, f"/{tribunal.slug}/cases/{case.id}/transitions/accept", {})
    ).status_code == 404


async def test_strangers_get_404(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    other_clerk = await make_staff(db, other, Role.CLERK)
    case = await make_case(db, tribunal)
    other_claimant = await make_user(db)
    await make_case(db, tribunal, filer=other_claimant)
    draft = await make_case(db, tribunal, status=FilingStatus.DRAFT)
    clerk = await make_staff(db, tribunal, Role.CLERK)

    await sign_in(client, other_clerk.email)
    assert (await client.get(f"/{tribunal.slug}/staff/cases/{case.id}")).status_code == 404
    assert (await client.get(f"/{other.slug}/staff/cases/{case.id}")).status_code == 404
    client.cookies.clear()
    await sign_in(client, other_claimant.email)
    assert (await client.get(f"/{tribunal.slug}/cases/{case.id}")).status_code == 404
    client.cookies.clear()
    await sign_in(client, clerk.email)
    assert (await client.get(f"/{tribunal.slug}/staff/cases/{draft.id}")).status_code == 404
    assert (await client.get(f"/{tribunal.slug}/staff/cases/not-a-uuid")).status_code == 404
    # A clerk is not a party: the parties' page is not theirs.
    assert (await client.get(f"/{tribunal.slug}/cases/{case.id}")).status_code == 404
    assert (await db.scalar(select(func.count()).select_from(OutboxMessage))) == 0


async def test_documents_are_served_to_the_parties_only(
    client: httpx.AsyncClient,
    db: AsyncSession,
    document_store: DocumentStore,
    tmp_path: Path,
) -> None:
    tribunal = await make_tribunal(db)
    case = await make_case(db, tribunal, representative="Rita Rep")
    rep_user = await make_user(db)
    outsider = await make_user(db)
    representative = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == case.id, CaseParty.role == PartyRole.REPRESENTATIVE
            )
        )
    ).scalar_one()
    representative.user_id = rep_user.id
    content = pdf_bytes()
    source = tmp_path / "decision.pdf"
    source.write_bytes(content)
    key = new_object_key()
    await document_store.storage.put_file(key, source)
    document = Document(
        tribunal_id=tribunal.id,
        filing_id=case.id,
        slot="decision",
        storage_key=key,
        filename="decision.pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        kind="pdf",
    )
    db.add(document)
    await db.commit()
    url = f"/{tribunal.slug}/documents/{document.id}"
    await sign_in(client, rep_user.email)
    served = await client.get(url)
    assert served.status_code == 200
    assert served.content == content
    client.cookies.clear()
    await sign_in(client, outsider.email)
    assert (await client.get(url)).status_code == 404
