"""Representatives act for the party that authorised them, the claimant or a respondent, until
that party withdraws the authorisation; the representative and the party are both told of each
change by email, in their own language, on the case's delivery log."""

from __future__ import annotations

import html
import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import CaseEvent, CaseParty, CaseResponse, Filing, FilingStatus, PartyRole
from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.filings import make_case, make_demo_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import (
    ABOUT_YOU,
    add_respondent,
    as_user,
    code_sent_to,
    count,
    french,
    join,
    last_message,
    post_form,
    respondent_of,
)
from tribunals.models import Role, Tribunal
from tribune.db import utcnow
from tribune.mail import OutboxMessage

RESPONSE = {"q-agrees": "no", "q-reasons": "It was paid."}


async def case_with_joined_respondent(
    client: httpx.AsyncClient,
    db: AsyncSession,
    *,
    respondent_language: str = "fr",
    representative: str | None = None,
) -> tuple[Tribunal, Filing, User, User]:
    """Return an accepted case (English claimant) whose respondent, Acme Ltd, joined it."""
    tribunal = await make_tribunal(db)
    filing = await make_case(
        db,
        tribunal,
        status=FilingStatus.ACCEPTED,
        version=await make_demo_case_type(db, tribunal),
        representative=representative,
    )
    await as_user(client, await make_staff(db, tribunal, Role.CLERK))
    email = f"{unique('boss-')}@acme.example"
    added = await add_respondent(client, tribunal, filing, email, language=respondent_language)
    assert added.status_code == 303, added.text
    code = await code_sent_to(db, email)
    respondent = await make_user(db, name="Sam Boss", language=respondent_language)
    await as_user(client, respondent)
    assert (await join(client, tribunal, filing.reference or "", code)).status_code == 303
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    return tribunal, filing, claimant, respondent


async def authorise(
    client: httpx.AsyncClient, tribunal: Tribunal, filing: Filing, email: str
) -> httpx.Response:
    page = f"/{tribunal.slug}/cases/{filing.id}/representatives/new"
    data = {"name": "Lee Lawyer", "firm": "Lee LLP", "email": email, "consent": "yes"}
    return await post_form(client, page, data, page=page)


async def representative_with(db: AsyncSession, filing: Filing, email: str) -> CaseParty:
    return (
        await db.execute(
            select(CaseParty)
            .where(CaseParty.filing_id == filing.id, CaseParty.email == email)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()


async def messages_to(db: AsyncSession, email: str) -> list[OutboxMessage]:
    rows = await db.execute(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == email)
        .order_by(OutboxMessage.created_at)
    )
    return list(rows.scalars())


async def file_response(client: httpx.AsyncClient, response_url: str) -> str:
    """Answer the response's questions and go on as a browser would (through the check page,
    which files it); return where the filing ends."""
    sent = await post_form(client, response_url, RESPONSE, page=response_url)
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    if location.startswith(response_url):
        filed = await post_form(client, location, {}, page=location)
        assert filed.status_code == 303, filed.text
        location = filed.headers["location"]
    return location


async def lawyer_joins(
    client: httpx.AsyncClient, db: AsyncSession, tribunal: Tribunal, filing: Filing, email: str
) -> User:
    """Sign in as a new account and join the case with the code emailed to `email`."""
    lawyer = await make_user(db, name="Lee Lawyer")
    code = await code_sent_to(db, email)
    await as_user(client, lawyer)
    assert (await join(client, tribunal, filing.reference or "", code)).status_code == 303
    return lawyer


async def joined_claimant_representative(db: AsyncSession, filing: Filing) -> User:
    """Return the account acting as the claimant's representative named in the filing."""
    party = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.REPRESENTATIVE
            )
        )
    ).scalar_one()
    lawyer = await make_user(db, name=party.name)
    party.user_id = lawyer.id
    party.joined_at = utcnow()
    await db.commit()
    return lawyer


# -- a respondent's representative ----------------------------------------------------------


async def test_a_respondent_authorises_a_representative_who_files_the_response(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, claimant, _respondent = await case_with_joined_respondent(client, db)
    respondent_party = await respondent_of(db, filing)
    case_url = f"/{tribunal.slug}/cases/{filing.id}"
    new_url = f"{case_url}/representatives/new"
    assert f'href="{new_url}"' in (await client.get(case_url)).text
    assert (await client.get(new_url)).status_code == 200
    email = f"{unique('lee-')}@llp.example"
    incomplete = await post_form(client, new_url, {"name": "Lee Lawyer"}, page=new_url)
    assert incomplete.status_code == 422
    assert "Entrez l’adresse courriel du représentant" in html.unescape(incomplete.text)
    assert await messages_to(db, email) == []

    assert (await authorise(client, tribunal, filing, email)).status_code == 303
    representative = await representative_with(db, filing, email)
    assert representative.role is PartyRole.REPRESENTATIVE
    assert representative.represents_id == respondent_party.id
    assert representative.is_authorised
    assert representative.language == "fr"
    # The representative gets their invitation with its code, the respondent a record of it,
    # each in French, and both on the case's delivery log.
    (invitation,) = await messages_to(db, email)
    assert invitation.template == "representative_invitation"
    assert invitation.language == "fr"
    assert invitation.case_id == filing.id
    assert "Acme Ltd" in invitation.body
    notice = await last_message(db, respondent_party.email)
    assert notice.template == "representative_authorised"
    assert notice.language == "fr"
    assert notice.case_id == filing.id
    assert "Lee Lawyer" in notice.body
    assert "représentant" in notice.subject
    assert not [
        message
        for message in await messages_to(db, claimant.email)
        if message.template.startswith("representative_")
    ]
    base = f"{case_url}/representatives/{representative.id}"
    page = await client.get(case_url)
    assert f'action="{base}/invite"' in page.text
    assert f'href="{base}/withdraw"' in page.text
    assert "Représentant autorisé" in html.unescape(page.text)  # on the timeline
    # The claimant sees the case, not the respondent's representatives' actions.
    await as_user(client, claimant)
    assert f"{base}/withdraw" not in (await client.get(case_url)).text

    lawyer = await lawyer_joins(client, db, tribunal, filing, email)
    page = await client.get(case_url)
    assert page.status_code == 200
    assert f'href="{case_url}/response"' in page.text
    # They act for the respondent, not in their place: who represents Acme is Acme's choice.
    assert (await client.get(new_url)).status_code == 404
    assert (await client.get(f"{base}/withdraw")).status_code == 404
    response_url = f"{case_url}/response"
    assert (await client.get(response_url)).status_code == 200
    assert await file_response(client, response_url) == case_url
    response = (
        await db.execute(select(CaseResponse).where(CaseResponse.filing_id == filing.id))
    ).scalar_one()
    assert response.party_id == respondent_party.id
    assert response.answers["reasons"] == "It was paid."
    event = (
        await db.execute(
            select(CaseEvent).where(
                CaseEvent.filing_id == filing.id, CaseEvent.kind == "response_submitted"
            )
        )
    ).scalar_one()
    assert event.actor_id == lawyer.id
    assert event.details["role"] == "representative"


async def test_a_withdrawn_respondent_representative_can_no_longer_respond(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, _claimant, respondent = await case_with_joined_respondent(client, db)
    respondent_party = await respondent_of(db, filing)
    email = f"{unique('lee-')}@llp.example"
    assert (await authorise(client, tribunal, filing, email)).status_code == 303
    representative = await representative_with(db, filing, email)
    lawyer = await lawyer_joins(client, db, tribunal, filing, email)
    case_url = f"/{tribunal.slug}/cases/{filing.id}"
    assert (await client.get(f"{case_url}/response")).status_code == 200

    await as_user(client, respondent)
    withdraw_url = f"{case_url}/representatives/{representative.id}/withdraw"
    confirm = await client.get(withdraw_url)
    assert confirm.status_code == 200
    assert "Lee Lawyer" in confirm.text
    assert (await post_form(client, withdraw_url, {}, page=withdraw_url)).status_code == 303
    representative = await representative_with(db, filing, email)
    assert not representative.is_authorised
    assert representative.authorisation_withdrawn_at is not None
    # Both are told, in French, on the case's delivery log.
    told = await last_message(db, email)
    assert told.template == "representative_withdrawn"
    assert told.language == "fr"
    assert told.case_id == filing.id
    assert "Acme Ltd" in told.body
    assert "retiré" in told.subject
    record = await last_message(db, respondent_party.email)
    assert record.template == "representative_withdrawn"
    assert record.language == "fr"
    assert record.case_id == filing.id
    assert "Lee Lawyer" in record.body
    assert told.body != record.body
    assert "Retirée le" in html.unescape((await client.get(case_url)).text)
    sent = len(await messages_to(db, email))
    again = await post_form(client, withdraw_url, {}, page=case_url)
    assert again.status_code == 409
    assert len(await messages_to(db, email)) == sent

    # From now on the former representative reaches nothing, and changes nothing.
    await as_user(client, lawyer)
    events = await count(db, CaseEvent)
    assert (await client.get(case_url)).status_code == 404
    assert (await client.get(f"{case_url}/response")).status_code == 404
    refused = await post_form(client, f"{case_url}/response", RESPONSE)
    assert refused.status_code == 404
    assert (await post_form(client, f"{case_url}/response/check", {})).status_code == 404
    assert await count(db, CaseResponse) == 0
    assert await count(db, CaseEvent) == events

    # The clerk sees both messages in the case's delivery log.
    await as_user(client, await make_staff(db, tribunal, Role.CLERK))
    staff_page = html.unescape((await client.get(f"/{tribunal.slug}/staff/cases/{filing.id}")).text)
    assert told.subject in staff_page
    assert record.subject in staff_page


# -- the claimant's representative --------------------------------------------------------


async def test_the_claimants_representative_completes_and_resubmits_a_returned_filing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    filing = await make_case(db, tribunal, status=FilingStatus.RETURNED, representative="Rita Rep")
    lawyer = await joined_claimant_representative(db, filing)
    await as_user(client, lawyer)
    case_url = f"/{tribunal.slug}/cases/{filing.id}"
    about_url = f"/{tribunal.slug}/filings/{filing.id}/about_you"
    page = await client.get(case_url)
    assert page.status_code == 200
    assert f'href="{about_url}"' in page.text  # "Change"
    assert f'action="{case_url}/transitions/resubmit"' in page.text
    assert (await client.get(about_url)).status_code == 200
    assert (await client.get(f"/{tribunal.slug}/filings/{filing.id}/documents")).status_code == 200
    changed = await post_form(
        client, about_url, {**ABOUT_YOU, "full_name": "Jane Q. Doe"}, page=about_url
    )
    assert changed.status_code == 303
    assert changed.headers["location"].startswith(case_url)
    await db.refresh(filing)
    assert filing.answers["about_you"]["full_name"] == "Jane Q. Doe"

    resubmitted = await post_form(client, f"{case_url}/transitions/resubmit", {}, page=case_url)
    assert resubmitted.status_code == 303
    await db.refresh(filing)
    assert filing.status is FilingStatus.SUBMITTED
    event = (
        await db.execute(
            select(CaseEvent).where(
                CaseEvent.filing_id == filing.id, CaseEvent.kind == "resubmitted"
            )
        )
    ).scalar_one()
    assert event.actor_id == lawyer.id
    assert event.details["role"] == "representative"
    # Once resubmitted the answers are on record again, for the representative too.
    assert (await client.get(about_url)).status_code == 404


async def test_a_withdrawn_claimant_representative_cannot_change_a_returned_filing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    filing = await make_case(
        db, tribunal, status=FilingStatus.RETURNED, representative="Rita Rep", language="fr"
    )
    lawyer = await joined_claimant_representative(db, filing)
    representative = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == filing.id, CaseParty.user_id == lawyer.id
            )
        )
    ).scalar_one()
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    await as_user(client, claimant)
    case_url = f"/{tribunal.slug}/cases/{filing.id}"
    withdraw_url = f"{case_url}/representatives/{representative.id}/withdraw"
    assert (await post_form(client, withdraw_url, {}, page=withdraw_url)).status_code == 303
    told = await last_message(db, representative.email)
    assert told.template == "representative_withdrawn"
    assert told.language == "fr"
    assert told.case_id == filing.id
    record = await last_message(db, claimant.email)
    assert record.template == "representative_withdrawn"
    assert record.language == "fr"
    assert record.case_id == filing.id

    await as_user(client, lawyer)
    about_url = f"/{tribunal.slug}/filings/{filing.id}/about_you"
    answers = dict(filing.answers["about_you"])
    assert (await client.get(case_url)).status_code == 404
    assert (await client.get(about_url)).status_code == 404
    assert (await client.get(f"/{tribunal.slug}/filings/{filing.id}/documents")).status_code == 404
    refused = await post_form(client, about_url, {**ABOUT_YOU, "full_name": "Forged"})
    assert refused.status_code == 404
    resubmit = await post_form(client, f"{case_url}/transitions/resubmit", {})
    assert resubmit.status_code == 404
    await db.refresh(filing)
    assert filing.status is FilingStatus.RETURNED
    assert filing.answers["about_you"] == answers


# -- someone else's representatives ---------------------------------------------------------


async def test_a_party_cannot_touch_another_partys_representatives(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, claimant, respondent = await case_with_joined_respondent(
        client, db, representative="Rita Rep"
    )
    claimant_party = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.REPRESENTATIVE
            )
        )
    ).scalar_one()
    email = f"{unique('lee-')}@llp.example"
    assert (await authorise(client, tribunal, filing, email)).status_code == 303
    respondents_party = await representative_with(db, filing, email)
    case_url = f"/{tribunal.slug}/cases/{filing.id}"

    async def refused_everywhere(party: CaseParty) -> None:
        base = f"{case_url}/representatives/{party.id}"
        assert (await client.get(f"{base}/withdraw")).status_code == 404
        assert (await post_form(client, f"{base}/withdraw", {})).status_code == 404
        assert (await post_form(client, f"{base}/invite", {})).status_code == 404

    sent_before = await count_messages(db)
    # The respondent cannot withdraw or re-invite the claimant's representative, ...
    await refused_everywhere(claimant_party)
    # ... the claimant cannot touch the respondent's, ...
    await as_user(client, claimant)
    await refused_everywhere(respondents_party)
    assert f"/representatives/{respondents_party.id}/" not in (await client.get(case_url)).text
    # ... nor can a representative withdraw themselves or another, or invent an id.
    await lawyer_joins(client, db, tribunal, filing, email)
    await refused_everywhere(respondents_party)
    await refused_everywhere(claimant_party)
    unknown = f"{case_url}/representatives/{uuid.uuid4()}/withdraw"
    await as_user(client, respondent)
    assert (await post_form(client, unknown, {})).status_code == 404
    assert (
        await post_form(client, f"{case_url}/representatives/x/withdraw", {})
    ).status_code == 404

    for party in (claimant_party, respondents_party):
        await db.refresh(party)
        assert party.is_authorised
    assert await count_messages(db) == sent_before


async def count_messages(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def test_a_name_that_would_write_a_paragraph_into_the_tribunals_email_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # The name and firm are printed in the email the tribunal sends the representative: a line
    # break or a bidirectional override there would let a party write the tribunal's email.
    tribunal, filing, _claimant, _respondent = await case_with_joined_respondent(client, db)
    new_url = f"/{tribunal.slug}/cases/{filing.id}/representatives/new"
    email = f"{unique('lee-')}@llp.example"
    phishing = "Lee Lawyer\r\n\r\nYour case is closed. Pay the fine at http://evil.example"
    for field, value in [
        ("name", phishing),
        ("name", "Lee \u202eLawyer"),
        ("firm", "Lee LLP\nhttp://evil.example"),
        ("firm", "Lee\u0085LLP"),
    ]:
        data = {"name": "Lee Lawyer", "firm": "Lee LLP", "email": email, "consent": "yes"}
        refused = await post_form(client, new_url, {**data, field: value}, page=new_url)
        assert refused.status_code == 422, (field, value)
        # The respondent reads the site in French.
        assert french("Remove the control characters from this answer") in html.unescape(
            refused.text
        )
    assert await messages_to(db, email) == []
    assert (await authorise(client, tribunal, filing, email)).status_code == 303


async def test_re_inviting_a_representative_over_and_over_is_limited(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, filing, _claimant, _respondent = await case_with_joined_respondent(client, db)
    email = f"{unique('lee-')}@llp.example"
    assert (await authorise(client, tribunal, filing, email)).status_code == 303
    representative = await representative_with(db, filing, email)
    invite_url = f"/{tribunal.slug}/cases/{filing.id}/representatives/{representative.id}/invite"
    answers = [await post_form(client, invite_url, {}) for _ in range(6)]
    # The invitation and four more: five emails to the address in the hour.
    assert [answer.status_code for answer in answers] == [303] * 4 + [429] * 2
    # The respondent reads French.
    assert french(
        "We have sent several emails to this address recently. Wait an hour before asking again."
    ) in html.unescape(answers[-1].text)
    invitations = [
        m for m in await messages_to(db, email) if m.template == "representative_invitation"
    ]
    assert len(invitations) == 5
