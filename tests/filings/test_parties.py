"""Respondents and representatives: added, invited with a one-time code, joining the case,
the response, and a representative's authorisation withdrawn."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import access, deadlines, lifecycle
from filings.models import (
    CaseEvent,
    CaseParty,
    CaseResponse,
    DueFrom,
    FilingStatus,
    PartyRole,
)
from filings.parties.access_codes import hash_access_code as hash_code
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import (
    CODE,
    WRONG,
    add_respondent,
    as_user,
    case_with_respondent,
    code_sent_to,
    join,
    last_message,
    post_form,
    respondent_of,
)
from tribunals.models import Role
from tribune.db import utcnow
from tribune.mail import OutboxMessage

# -- adding a respondent --------------------------------------------------------------------


async def test_a_clerk_adds_a_respondent_who_is_invited_in_their_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    filing = await make_case(db, tribunal, status=FilingStatus.ACCEPTED)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await as_user(client, clerk)
    page = f"/{tribunal.slug}/staff/cases/{filing.id}/respondents/new"
    assert (await client.get(page)).status_code == 200

    empty = await post_form(client, page, {"kind": "", "name": "", "email": ""}, page=page)
    assert empty.status_code == 422
    assert "There is a problem" in empty.text
    assert "Enter the name of the respondent" in html.unescape(empty.text)
    assert "Enter the respondent’s email address" in html.unescape(empty.text)
    no_contact = await add_respondent(
        client, tribunal, filing, "not-an-email", contact_name="", name="Acme Ltd"
    )
    assert no_contact.status_code == 422
    assert "Enter the name of a contact person" in no_contact.text
    assert "Enter an email address in the correct format" in no_contact.text
    assert 'value="Acme Ltd"' in no_contact.text

    added = await add_respondent(client, tribunal, filing, "boss@acme.example", language="fr")
    assert added.status_code == 303
    assert added.headers["location"] == f"/{tribunal.slug}/staff/cases/{filing.id}"
    party = await respondent_of(db, filing)
    assert party.is_organisation
    assert party.name == "Acme Ltd"
    assert party.organisation == "Sam Boss"
    assert party.language == "fr"
    assert party.user_id is None
    assert party.access_code_expires_at is not None
    assert timedelta(days=29) < party.access_code_expires_at - utcnow() <= timedelta(days=30)

    message = await last_message(db, "boss@acme.example")
    assert message.template == "respondent_invitation"
    assert message.language == "fr"
    assert message.sensitive
    assert message.case_id == filing.id
    assert "Code d’accès" in message.body or "Code d'accès" in message.body
    code = await code_sent_to(db, "boss@acme.example")
    assert party.access_code_hash == hash_code(code)
    assert code not in str(party.access_code_hash)

    await db.refresh(filing)
    assert filing.due_on == deadlines.due_after(tribunal, tribunal.response_business_days)
    assert filing.due_on is not None
    assert (
        deadlines.business_days_between(
            deadlines.today_in(tribunal), filing.due_on, tribunal.province
        )
        == tribunal.response_business_days
    )
    assert filing.due_from is DueFrom.RESPONDENT
    assert filing.due_for == "response"
    assert "acme ltd" in filing.search_text
    events = (await db.execute(select(CaseEvent).where(CaseEvent.filing_id == filing.id))).scalars()
    assert any(e.kind == "respondent_added" and e.visible_to_parties for e in events)
    # The claimant hears of it.
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    notice = await last_message(db, claimant.email)
    assert notice.template == "case_event"
    assert "respondent" in notice.subject


async def test_only_the_registry_adds_respondents_and_only_to_open_cases(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    filing = await make_case(db, tribunal, status=FilingStatus.CLOSED)
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    await as_user(client, claimant)
    page = f"/{tribunal.slug}/staff/cases/{filing.id}/respondents/new"
    assert (await client.get(page)).status_code == 404
    await as_user(client, await make_staff(db, tribunal, Role.CLERK))
    closed = await add_respondent(client, tribunal, filing, "x@example.org")
    assert closed.status_code == 409
    assert (
        await db.execute(
            select(CaseParty)
            .where(CaseParty.role == PartyRole.RESPONDENT)
            .where(CaseParty.filing_id == filing.id)
        )
    ).first() is None
    other = await make_tribunal(db)
    elsewhere = await make_case(db, other, status=FilingStatus.ACCEPTED)
    assert (
        await client.get(f"/{tribunal.slug}/staff/cases/{elsewhere.id}/respondents/new")
    ).status_code == 404
    assert (
        await client.get(f"/{tribunal.slug}/staff/cases/not-a-uuid/respondents/new")
    ).status_code == 404


# -- joining --------------------------------------------------------------------------------


async def test_a_respondent_joins_with_the_code_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, code = await case_with_respondent(client, db)
    respondent = await make_user(db, name="Sam Boss")
    await as_user(client, respondent)
    assert (await client.get(f"/{tribunal.slug}/join")).status_code == 200
    joined = await join(client, tribunal, (filing.reference or "").lower(), code.replace("-", " "))
    assert joined.status_code == 303
    assert joined.headers["location"] == f"/{tribunal.slug}/cases/{filing.id}"
    party = await respondent_of(db, filing)
    await db.refresh(party)
    assert party.user_id == respondent.id
    assert party.joined_at is not None
    assert party.access_code_hash is None
    assert party.access_code_expires_at is None

    # Used: nobody else can join with it.
    await as_user(client, await make_user(db))
    again = await join(client, tribunal, filing.reference or "", code)
    assert again.status_code == 422
    assert WRONG in again.text


async def test_wrong_expired_or_foreign_codes_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, code = await case_with_respondent(client, db)
    other = await make_tribunal(db)
    await as_user(client, await make_user(db))
    reference = filing.reference or ""
    wrong = "ABCD-EFGH-JKMN" if code != "ABCD-EFGH-JKMN" else "ABCD-EFGH-JKMP"
    attempts = [
        (tribunal, reference, wrong),
        (tribunal, "NOPE-2026-000001", code),
        (other, reference, code),  # the right code, at another tribunal
        (tribunal, reference, ""),
    ]
    for where, ref, typed in attempts:
        response = await join(client, where, ref, typed)
        assert response.status_code == 422
        if typed:
            assert WRONG in response.text
    party = await respondent_of(db, filing)
    party.access_code_expires_at = utcnow() - timedelta(minutes=1)
    await db.commit()
    expired = await join(client, tribunal, reference, code)
    assert expired.status_code == 422
    assert WRONG in expired.text
    await db.refresh(party)
    assert party.user_id is None
    assert party.access_code_hash == hash_code(code)


async def test_guessing_is_stopped_after_ten_wrong_codes(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, code = await case_with_respondent(client, db)
    await as_user(client, await make_user(db))
    for _ in range(10):
        assert (
            await join(client, tribunal, filing.reference or "", "ZZZZ-ZZZZ-ZZZZ")
        ).status_code == 422
    stopped = await join(client, tribunal, filing.reference or "", code)
    assert stopped.status_code == 429
    assert "too many wrong codes" in stopped.text
    party = await respondent_of(db, filing)
    await db.refresh(party)
    assert party.user_id is None


# -- the response ---------------------------------------------------------------------------


async def test_a_joined_respondent_files_one_response(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, code = await case_with_respondent(client, db)
    page = f"/{tribunal.slug}/cases/{filing.id}/response"
    outsider = await make_user(db)
    await as_user(client, outsider)
    assert (await client.get(page)).status_code == 404
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    await as_user(client, claimant)
    assert (await client.get(page)).status_code == 404

    respondent = await make_user(db)
    await as_user(client, respondent)
    assert (await client.get(page)).status_code == 404  # not joined yet
    assert (await join(client, tribunal, filing.reference or "", code)).status_code == 303
    case_page = await client.get(f"/{tribunal.slug}/cases/{filing.id}")
    assert f'href="{page}"' in case_page.text  # "Respond to the case"
    form = await client.get(page)
    assert form.status_code == 200
    assert "Do you agree with the claim?" in form.text
    empty = await post_form(client, page, {}, page=page)
    assert empty.status_code == 422
    assert "There is a problem" in empty.text

    saved_answers = await post_form(
        client, page, {"q-agrees": "no", "q-reasons": "It was paid."}, page=page
    )
    assert saved_answers.status_code == 303
    assert saved_answers.headers["location"] == f"{page}/check"
    saved = (
        await db.execute(select(CaseResponse).where(CaseResponse.filing_id == filing.id))
    ).scalar_one()
    assert saved.answers == {"agrees": False, "reasons": "It was paid."}
    assert saved.submitted_at is None  # a draft: nobody else sees it yet
    check = await client.get(f"{page}/check")
    assert "It was paid." in check.text
    sent = await post_form(client, f"{page}/check", {}, page=f"{page}/check")
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/{tribunal.slug}/cases/{filing.id}"
    await db.refresh(saved)
    assert saved.submitted_at is not None
    assert f'href="{page}"' not in (await client.get(f"/{tribunal.slug}/cases/{filing.id}")).text
    await db.refresh(filing)
    assert filing.due_on is None
    assert filing.due_from is None
    assert filing.due_for is None
    notice = await last_message(db, claimant.email)
    assert notice.template == "case_event"
    assert "response" in notice.subject

    second = await post_form(client, page, {"q-agrees": "yes", "q-reasons": "Changed."}, page=page)
    assert second.status_code == 409
    assert "already filed" in second.text
    await db.refresh(saved)
    assert saved.answers["reasons"] == "It was paid."

    # The registry reads the response on the staff case page.
    await as_user(client, await make_staff(db, tribunal, Role.CLERK))
    staff_page = await client.get(f"/{tribunal.slug}/staff/cases/{filing.id}")
    assert "Do you agree with the claim?" in staff_page.text
    assert "It was paid." in staff_page.text
    assert 'Contact person</dt><dd class="govuk-summary-list__value">Sam Boss' in staff_page.text


# -- representatives ------------------------------------------------------------------------


async def test_the_claimant_invites_their_representative_then_withdraws_them(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    filing = await make_case(db, tribunal, representative="Rita Rep", language="fr")
    parties = await lifecycle.parties_of(db, filing)
    representative = next(p for p in parties if p.role is PartyRole.REPRESENTATIVE)
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    base = f"/{tribunal.slug}/cases/{filing.id}/representatives/{representative.id}"

    # Another claimant (of another case) cannot touch this representative.
    stranger_case = await make_case(db, tribunal)
    stranger = await db.get(User, stranger_case.filer_id)
    assert stranger is not None
    await as_user(client, stranger)
    assert (await post_form(client, f"{base}/invite", {})).status_code == 404
    assert (await client.get(f"{base}/withdraw")).status_code == 404
    assert (await post_form(client, f"{base}/withdraw", {})).status_code == 404
    other_base = f"/{tribunal.slug}/cases/{stranger_case.id}/representatives/{representative.id}"
    assert (await post_form(client, f"{other_base}/withdraw", {})).status_code == 404

    await as_user(client, claimant)
    case_page = await client.get(f"/{tribunal.slug}/cases/{filing.id}")
    assert f'action="{base}/invite"' in case_page.text
    assert f'href="{base}/withdraw"' in case_page.text
    invited = await post_form(client, f"{base}/invite", {})
    assert invited.status_code == 303
    message = await last_message(db, representative.email)
    assert message.template == "representative_invitation"
    assert message.language == "fr"
    assert message.sensitive
    assert message.case_id == filing.id
    code = await code_sent_to(db, representative.email)
    # A resend makes a new code; the first one stops working.
    assert (await post_form(client, f"{base}/invite", {})).status_code == 303
    new_code = await code_sent_to(db, representative.email)
    assert new_code != code

    lawyer = await make_user(db, name="Rita Rep")
    await as_user(client, lawyer)
    assert (await join(client, tribunal, filing.reference or "", code)).status_code == 422
    assert (await join(client, tribunal, filing.reference or "", new_code)).status_code == 303
    await db.refresh(representative)
    assert representative.user_id == lawyer.id
    parties = await lifecycle.parties_of(db, filing)
    assert access.Actor.REPRESENTATIVE in access.actors_for(filing, lawyer, set(), parties)

    await as_user(client, claimant)
    confirm = await client.get(f"{base}/withdraw")
    assert confirm.status_code == 200
    assert "Rita Rep" in confirm.text
    withdrawn = await post_form(client, f"{base}/withdraw", {}, page=f"{base}/withdraw")
    assert withdrawn.status_code == 303
    await db.refresh(representative)
    assert representative.authorisation_withdrawn_at is not None
    parties = await lifecycle.parties_of(db, filing)
    assert access.Actor.REPRESENTATIVE not in access.actors_for(filing, lawyer, set(), parties)
    event = (
        await db.execute(
            select(CaseEvent).where(
                CaseEvent.filing_id == filing.id, CaseEvent.kind == "representative_withdrawn"
            )
        )
    ).scalar_one()
    assert event.visible_to_parties
    assert event.actor_id == claimant.id
    assert (await post_form(client, f"{base}/withdraw", {})).status_code == 409
    assert (await post_form(client, f"{base}/invite", {})).status_code == 409


async def test_the_claimant_authorises_a_new_representative(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    filing = await make_case(db, tribunal)
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    page = f"/{tribunal.slug}/cases/{filing.id}/representatives/new"
    await as_user(client, await make_user(db))
    assert (await client.get(page)).status_code == 404

    await as_user(client, claimant)
    assert (await client.get(page)).status_code == 200
    data = {
        "name": "Lee Lawyer",
        "firm": "Lee LLP",
        "licence_number": "L1",
        "email": "lee@llp.example",
    }
    no_consent = await post_form(client, page, data, page=page)
    assert no_consent.status_code == 422
    assert "Confirm that you authorise" in no_consent.text
    added = await post_form(client, page, {**data, "consent": "yes"}, page=page)
    assert added.status_code == 303
    party = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.REPRESENTATIVE
            )
        )
    ).scalar_one()
    claimant_party = next(
        p for p in await lifecycle.parties_of(db, filing) if p.role is PartyRole.CLAIMANT
    )
    assert party.represents_id == claimant_party.id
    assert party.is_authorised
    assert party.organisation == "Lee LLP"
    assert party.licence_number == "L1"
    message = await last_message(db, "lee@llp.example")
    assert message.template == "representative_invitation"
    assert CODE.search(message.body)
    count = (
        await db.execute(select(OutboxMessage).where(OutboxMessage.to_address == "lee@llp.example"))
    ).scalars()
    assert len(list(count)) == 1


async def test_the_pages_speak_the_respondents_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, code = await case_with_respondent(client, db)
    await as_user(client, await make_user(db, language="fr"))
    page = await client.get(f"/{tribunal.slug}/join")
    assert "Se joindre à un dossier" in page.text
    wrong = await join(client, tribunal, filing.reference or "", "ZZZZ-ZZZZ-ZZZZ")
    assert wrong.status_code == 422
    assert "Le numéro de dossier ou le code d’accès est erroné" in html.unescape(wrong.text)
    assert (await join(client, tribunal, filing.reference or "", code)).status_code == 303
    response = await client.get(f"/{tribunal.slug}/cases/{filing.id}/response")
    assert response.status_code == 200
    assert "Êtes-vous d'accord avec la demande?" in html.unescape(response.text)
    assert "Répondre au dossier" in response.text
