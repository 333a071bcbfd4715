"""Recording a hearing's outcome: who may (the hearing's adjudicator, the registry on their
behalf; not another adjudicator, a party, or another tribunal's staff), what each outcome
does to the hearing and the case (held → "heard"; adjourned → "accepted", its quarter hours
released, the participants told), a party who did not attend, and the refusals (before the
start, a second time, a stale form) that change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import CaseEvent, FilingStatus
from hearings.models import (
    AdjournmentReason,
    BookedBlock,
    Hearing,
    HearingOutcome,
    HearingStatus,
    OutcomeResult,
)
from tests.factories.tribunals import make_staff, make_tribunal
from tests.hearings.outcomes import Scene, add_hearing, make_scene
from tests.helpers import as_user, count, csrf_token, french, text_of
from tribunals.models import Role
from tribune.audit import AuditAction, AuditEvent
from tribune.mail import OutboxMessage


@pytest.fixture
async def scene(db: AsyncSession) -> Scene:
    return await make_scene(db, FilingStatus.SCHEDULED)


def outcome_url(scene: Scene, hearing: Hearing) -> str:
    return f"{scene.staff_case}/hearings/{hearing.id}/outcome"


async def post_outcome(
    client: httpx.AsyncClient, scene: Scene, hearing: Hearing, data: dict[str, str]
) -> httpx.Response:
    url = outcome_url(scene, hearing)
    token = await csrf_token(client, scene.staff_case)
    return await client.post(url, data={"sequence": "0", **data, "csrf_token": token})


async def state(db: AsyncSession, scene: Scene, hearing: Hearing) -> tuple[Any, ...]:
    """What recording an outcome changes."""
    await db.refresh(hearing)
    await db.refresh(scene.case)
    return (
        hearing.status,
        hearing.adjournment_reason,
        scene.case.status,
        await count(db, HearingOutcome),
        await count(db, BookedBlock, BookedBlock.hearing_id == hearing.id),
        await count(db, CaseEvent, CaseEvent.filing_id == scene.case.id),
        await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_OUTCOME_RECORDED),
    )


# -- what each outcome does ---------------------------------------------------------------------


async def test_the_adjudicator_records_a_held_hearing_and_the_case_is_heard(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await add_hearing(db, scene)
    await as_user(client, scene.adjudicator)
    page = await client.get(scene.staff_case)
    assert outcome_url(scene, hearing) in page.text  # the case page links to the form
    form = await client.get(outcome_url(scene, hearing))
    assert form.status_code == 200
    assert "What happened at the hearing?" in text_of(form)

    response = await post_outcome(client, scene, hearing, {"outcome": "held"})
    assert response.status_code == 303, response.text
    await db.refresh(hearing)
    await db.refresh(scene.case)
    assert hearing.status is HearingStatus.HELD
    assert scene.case.status is FilingStatus.HEARD
    outcome = (await db.execute(select(HearingOutcome))).scalar_one()
    assert outcome.result is OutcomeResult.HELD
    assert outcome.recorded_by_id == scene.adjudicator.id
    assert outcome.absent_party_id is None
    # The hearing's quarter hours stay booked: it took place then.
    assert await count(db, BookedBlock, BookedBlock.hearing_id == hearing.id) == 1
    event = (
        await db.execute(
            select(CaseEvent).where(CaseEvent.filing_id == scene.case.id, CaseEvent.kind == "heard")
        )
    ).scalar_one()
    assert event.details["outcome"] == "held"
    assert event.details["role"] == "adjudicator"
    entry = (
        await db.execute(
            select(AuditEvent).where(AuditEvent.action == AuditAction.HEARING_OUTCOME_RECORDED)
        )
    ).scalar_one()
    assert entry.subject_id == hearing.id
    assert entry.case_id == scene.case.id
    assert entry.actor_role == "adjudicator"
    assert entry.details["result"] == "held"
    # The link is gone from the case page: nothing awaits an outcome any more.
    page = await client.get(scene.staff_case)
    assert outcome_url(scene, hearing) not in page.text


async def test_an_adjournment_releases_the_hearing_and_returns_the_case_to_accepted(
    client: httpx.AsyncClient,
    db: AsyncSession,
    scene: Scene,
) -> None:
    hearing = await add_hearing(db, scene)
    await as_user(client, scene.clerk)  # the registry, on the adjudicator's behalf
    response = await post_outcome(
        client,
        scene,
        hearing,
        {
            "outcome": "adjourned",
            "adjournment_reason": "evidence_outstanding",
            "next_steps": "The employer sends the payroll records within 14 days.",
        },
    )
    assert response.status_code == 303, response.text
    await db.refresh(hearing)
    await db.refresh(scene.case)
    assert hearing.status is HearingStatus.ADJOURNED
    assert hearing.adjournment_reason is AdjournmentReason.EVIDENCE_OUTSTANDING
    assert hearing.status_reason == "The employer sends the payroll records within 14 days."
    assert scene.case.status is FilingStatus.ACCEPTED
    # The adjudicator's quarter hour is free to book again.
    assert await count(db, BookedBlock, BookedBlock.hearing_id == hearing.id) == 0
    # Every participant is told, and their calendar removes the event: a CANCEL of the same
    # UID with a higher SEQUENCE than the invite sent at booking.
    assert hearing.sequence == 1
    notices = list(
        await db.scalars(
            select(OutboxMessage).where(
                OutboxMessage.case_id == scene.case.id,
                OutboxMessage.template == "hearing_adjourned",
            )
        )
    )
    assert notices
    for notice in notices:
        assert "The employer sends the payroll records within 14 days." in notice.body
        assert notice.calendar_method == "CANCEL"
        invite = Calendar.from_ical(notice.calendar or "")
        removed = invite.walk("VEVENT")[0]
        assert str(removed["UID"]) == hearing.calendar_uid
        assert removed.decoded("SEQUENCE") == 1
    event = (
        await db.execute(
            select(CaseEvent).where(
                CaseEvent.filing_id == scene.case.id, CaseEvent.kind == "adjourned"
            )
        )
    ).scalar_one()
    assert event.details["reason"] == "The employer sends the payroll records within 14 days."
    assert event.details["adjournment_reason"] == "evidence_outstanding"
    assert event.details["role"] == "clerk"
    entry = (
        await db.execute(
            select(AuditEvent).where(AuditEvent.action == AuditAction.HEARING_OUTCOME_RECORDED)
        )
    ).scalar_one()
    assert entry.actor_role == "clerk"
    assert entry.details["adjournment_reason"] == "evidence_outstanding"


async def test_a_party_who_did_not_attend_is_recorded_whether_the_hearing_went_ahead_or_not(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    went_ahead = await add_hearing(db, scene)
    await as_user(client, scene.adjudicator)
    response = await post_outcome(
        client,
        scene,
        went_ahead,
        {"outcome": "absent", "absent_party": str(scene.respondent.id), "went_ahead": "yes"},
    )
    assert response.status_code == 303, response.text
    outcome = (await db.execute(select(HearingOutcome))).scalar_one()
    assert outcome.result is OutcomeResult.HELD
    assert outcome.absent_party_id == scene.respondent.id
    await db.refresh(scene.case)
    assert scene.case.status is FilingStatus.HEARD
    # The parties read it on their timeline.
    await as_user(client, scene.claimant)
    page = await client.get(scene.party_case)
    assert "Did not attend: Acme Ltd" in text_of(page)


async def test_a_hearing_adjourned_because_a_party_did_not_attend(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await add_hearing(db, scene)
    await as_user(client, scene.adjudicator)
    absent = {
        "outcome": "absent",
        "absent_party": str(scene.claimant_party.id),
        "went_ahead": "no",
    }
    before = await state(db, scene, hearing)
    missing = await post_outcome(client, scene, hearing, absent)
    assert missing.status_code == 422
    body = text_of(missing)
    assert "govuk-error-summary" in body
    assert "Select why the hearing was adjourned" in body
    assert "Enter the next steps" in body
    assert await state(db, scene, hearing) == before
    response = await post_outcome(
        client,
        scene,
        hearing,
        absent | {"adjournment_reason": "party_unavailable", "next_steps": "A new date."},
    )
    assert response.status_code == 303, response.text
    outcome = (await db.execute(select(HearingOutcome))).scalar_one()
    assert outcome.result is OutcomeResult.ADJOURNED
    assert outcome.absent_party_id == scene.claimant_party.id
    assert outcome.adjournment_reason is AdjournmentReason.PARTY_UNAVAILABLE
    await db.refresh(scene.case)
    assert scene.case.status is FilingStatus.ACCEPTED


# -- refusals -----------------------------------------------------------------------------------


async def test_an_outcome_before_the_hearing_starts_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await add_hearing(db, scene, starts_in=timedelta(hours=3))
    await as_user(client, scene.adjudicator)
    page = await client.get(outcome_url(scene, hearing))
    assert page.status_code == 200
    assert "once it has started" in text_of(page)
    assert 'name="outcome"' not in page.text
    assert outcome_url(scene, hearing) not in (await client.get(scene.staff_case)).text
    before = await state(db, scene, hearing)
    response = await post_outcome(client, scene, hearing, {"outcome": "held"})
    assert response.status_code == 409
    assert "The hearing has not started yet" in text_of(response)
    assert "Nothing was changed" in text_of(response)
    assert await state(db, scene, hearing) == before


async def test_an_outcome_is_recorded_once_and_a_stale_form_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await add_hearing(db, scene)
    await as_user(client, scene.adjudicator)
    # The hearing was moved (a higher sequence) after the page was loaded.
    hearing.sequence = 1
    await db.commit()
    before = await state(db, scene, hearing)
    stale = await post_outcome(client, scene, hearing, {"outcome": "held"})
    assert stale.status_code == 409
    assert "changed since you opened this page" in text_of(stale)
    assert await state(db, scene, hearing) == before

    first = await post_outcome(client, scene, hearing, {"outcome": "held", "sequence": "1"})
    assert first.status_code == 303, first.text
    after = await state(db, scene, hearing)
    again = await post_outcome(
        client,
        scene,
        hearing,
        {
            "outcome": "adjourned",
            "sequence": "1",
            "adjournment_reason": "other",
            "next_steps": "Twice.",
        },
    )
    assert again.status_code == 409
    assert "already recorded" in text_of(again)
    assert await state(db, scene, hearing) == after
    # Its page now shows the outcome, without a form.
    page = await client.get(outcome_url(scene, hearing))
    assert "The outcome of this hearing was recorded on" in text_of(page)
    assert 'name="outcome"' not in page.text


async def test_another_adjudicator_a_party_and_another_tribunal_cannot_record_it(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await add_hearing(db, scene)
    before = await state(db, scene, hearing)

    await as_user(client, scene.other_adjudicator)
    assert (await client.get(outcome_url(scene, hearing))).status_code == 403
    refused = await post_outcome(client, scene, hearing, {"outcome": "held"})
    assert refused.status_code == 403
    assert "Only the adjudicator of this case" in text_of(refused)
    # They see the case, but no link to record its outcome.
    page = await client.get(scene.staff_case)
    assert page.status_code == 200
    assert outcome_url(scene, hearing) not in page.text

    await as_user(client, scene.claimant)
    assert (await client.get(outcome_url(scene, hearing))).status_code == 404
    token = await csrf_token(client, scene.party_case)
    party = await client.post(
        outcome_url(scene, hearing), data={"outcome": "held", "sequence": "0", "csrf_token": token}
    )
    assert party.status_code == 404

    elsewhere = await make_tribunal(db)
    outsider = await make_staff(db, elsewhere, Role.ADMIN)
    for role in (Role.CLERK, Role.ADJUDICATOR):
        await make_staff(db, elsewhere, role, email=f"{role.value}-{outsider.email}")
    await as_user(client, outsider)
    theirs = f"/{elsewhere.slug}/staff/cases/{scene.case.id}/hearings/{hearing.id}/outcome"
    assert (await client.get(theirs)).status_code == 404
    assert (await client.get(outcome_url(scene, hearing))).status_code == 404

    # A hearing of another case, under this case's address, is not found either.
    other = await make_scene(db, FilingStatus.SCHEDULED)
    other_hearing = await add_hearing(db, other)
    await as_user(client, scene.adjudicator)
    assert (
        await client.get(f"{scene.staff_case}/hearings/{other_hearing.id}/outcome")
    ).status_code == 404
    assert await state(db, scene, hearing) == before


async def test_the_outcome_page_speaks_french(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await add_hearing(db, scene)
    scene.adjudicator.language = "fr"
    await db.commit()
    await as_user(client, scene.adjudicator)
    page = await client.get(outcome_url(scene, hearing))
    body = text_of(page)
    assert french("What happened at the hearing?") in body
    assert french("Record the outcome") in body
