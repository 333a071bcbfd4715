"""The hearing satisfaction survey: once a hearing is held, each party and acting
representative with an email address gets the survey's link once, in their language; the link
works once and expires; the answers are stored without the party, the token or the invitation
(tribunal, hearing mode, language, month and answers only), the comment scrubbed; unknown,
reused, expired and other tribunals' links are refused with nothing stored; and the figures
the annual report takes count feedback and answers by period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accountability.feedback.models import (
    Feedback,
    FeedbackAnswer,
    FeedbackKind,
    SenderRole,
    SurveyAnswer,
    SurveyChoice,
    SurveyInvitation,
)
from accountability.feedback.services import report_figures
from accountability.feedback.survey import SURVEY_VALID_FOR, send_invitations
from filings.models import CaseParty, FilingStatus, PartyRole
from hearings.models import Hearing, HearingMode
from tests.factories.tribunals import make_tribunal
from tests.hearings.outcomes import Scene, add_hearing, make_scene
from tests.helpers import as_user, count, csrf_token, french, link_in, text_of
from tribune.db import local_today, utcnow
from tribune.mail import Outbox, OutboxMessage

ANSWERS = {
    "satisfaction": "4",
    "could_take_part": "yes",
    "explained_clearly": "partly",
    "comment": "The sound was poor. Call me at 416-555-0199.",
}


async def hold_hearing(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, outcome: str = "held"
) -> Hearing:
    """Have the adjudicator record the hearing's outcome, as on the outcome page."""
    hearing = await add_hearing(db, scene)
    await as_user(client, scene.adjudicator)
    token = await csrf_token(client, scene.staff_case)
    data = {"sequence": "0", "outcome": outcome, "csrf_token": token}
    if outcome == "adjourned":
        data |= {"adjournment_reason": "party_unavailable", "next_steps": "To be rescheduled."}
    response = await client.post(f"{scene.staff_case}/hearings/{hearing.id}/outcome", data=data)
    assert response.status_code == 303, response.text
    client.cookies.clear()
    return hearing


@pytest.fixture
async def scene(db: AsyncSession) -> Scene:
    """A case whose claimant reads French, with an authorised representative and a respondent
    in English, scheduled for a video hearing."""
    return await make_scene(db, FilingStatus.SCHEDULED, claimant_language="fr")


async def survey_messages(db: AsyncSession) -> list[OutboxMessage]:
    rows = list(
        (
            await db.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == "hearing_survey")
                .order_by(OutboxMessage.to_address)
            )
        ).all()
    )
    await db.commit()
    return rows


async def survey_link(db: AsyncSession, to: str) -> str:
    [message] = [m for m in await survey_messages(db) if m.to_address == to]
    return link_in(message)


# -- the invitations ------------------------------------------------------------------------------


async def test_each_party_gets_the_survey_once_in_their_language_after_the_hearing(
    app: Starlette, client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    assert await survey_messages(db) == []
    hearing = await hold_hearing(client, db, scene)
    parties = (
        await db.scalars(select(CaseParty).where(CaseParty.filing_id == scene.case.id))
    ).all()
    representative = next(p for p in parties if p.role is PartyRole.REPRESENTATIVE)
    messages = await survey_messages(db)
    assert sorted((m.to_address, m.language) for m in messages) == sorted(
        [
            (scene.claimant_party.email, "fr"),
            (representative.email, representative.language),
            (scene.respondent.email, "en"),
        ]
    )
    claimant_message = next(m for m in messages if m.language == "fr")
    assert claimant_message.subject == french(
        "Case %(reference)s: how was your hearing?", reference=scene.case.reference or ""
    )
    assert f"/{scene.tribunal.slug}/hearing-survey?token=" in claimant_message.body
    assert all(m.case_id == scene.case.id and m.sensitive for m in messages)
    invitations = (await db.scalars(select(SurveyInvitation))).all()
    assert {i.party_id for i in invitations} == {
        scene.claimant_party.id,
        representative.id,
        scene.respondent.id,
    }
    assert all(i.hearing_id == hearing.id for i in invitations)
    assert all(i.hearing_mode is HearingMode.VIDEO for i in invitations)
    # Only the tokens' hashes are kept.
    tokens = {link.split("token=")[1] for link in [link_in(m) for m in messages]}
    assert not tokens & {i.token_hash for i in invitations}

    # Asked again for the same hearing, nobody gets a second link.
    outbox: Outbox = app.state.outbox
    assert await send_invitations(db, outbox, scene.tribunal, scene.case) == []
    await db.commit()
    assert len(await survey_messages(db)) == 3


async def test_no_survey_after_an_adjournment(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    await hold_hearing(client, db, scene, outcome="adjourned")
    assert await survey_messages(db) == []
    assert await count(db, SurveyInvitation) == 0


async def test_the_link_works_once_and_the_answers_are_anonymous(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    await hold_hearing(client, db, scene)
    link = await survey_link(db, scene.claimant_party.email)
    form = await client.get(link, headers={"Accept-Language": "fr"})
    assert form.status_code == 200
    assert french("How was your hearing?") in text_of(form)
    token = link.split("token=")[1]
    answered = await client.post(
        link.split("?")[0],
        data={**ANSWERS, "token": token, "csrf_token": await csrf_token(client, link)},
        headers={"Accept-Language": "fr"},
    )
    assert answered.status_code == 303
    thanks = await client.get(answered.headers["location"], headers={"Accept-Language": "fr"})
    assert french("Thank you for your answers") in text_of(thanks)

    [answer] = (await db.scalars(select(SurveyAnswer))).all()
    assert answer.tribunal_id == scene.tribunal.id
    assert answer.hearing_mode is HearingMode.VIDEO
    assert answer.language == "fr"
    assert answer.month == local_today(scene.tribunal.time_zone).replace(day=1)
    assert answer.satisfaction == 4
    assert answer.could_take_part is SurveyChoice.YES
    assert answer.explained_clearly is SurveyChoice.PARTLY
    assert "416-555-0199" not in answer.comment
    assert answer.comment.startswith("The sound was poor.")
    # Nothing ties the answer to the party, the link or the invitation, nor to a moment.
    assert set(SurveyAnswer.__table__.columns.keys()) == {
        "id",
        "tribunal_id",
        "hearing_mode",
        "language",
        "month",
        "satisfaction",
        "could_take_part",
        "explained_clearly",
        "comment",
    }
    assert not {
        column.name for column in SurveyInvitation.__table__.columns if "answer" in column.name
    }
    await db.commit()

    # The link works once: a second visit and a second answer are refused.
    again = await client.get(link)
    assert again.status_code == 409
    assert "You have already answered this survey" in text_of(again)
    resent = await client.post(
        link.split("?")[0],
        data={**ANSWERS, "token": token, "csrf_token": await csrf_token(client)},
    )
    assert resent.status_code == 409
    assert await count(db, SurveyAnswer) == 1
    # Each party's own link still works.
    other = await client.get(await survey_link(db, scene.respondent.email))
    assert other.status_code == 200


async def test_an_expired_link_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    await hold_hearing(client, db, scene)
    link = await survey_link(db, scene.respondent.email)
    for invitation in (await db.scalars(select(SurveyInvitation))).all():
        invitation.expires_at = utcnow() - timedelta(minutes=1)
    await db.commit()
    page = await client.get(link)
    assert page.status_code == 400
    assert "This survey link has expired" in text_of(page)
    token = link.split("token=")[1]
    posted = await client.post(
        link.split("?")[0],
        data={**ANSWERS, "token": token, "csrf_token": await csrf_token(client)},
    )
    assert posted.status_code == 400
    assert await count(db, SurveyAnswer) == 0
    assert timedelta(days=60) == SURVEY_VALID_FOR


async def test_unknown_and_other_tribunals_links_are_refused(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    await hold_hearing(client, db, scene)
    link = await survey_link(db, scene.respondent.email)
    path, token = link.split("?token=")
    other = await make_tribunal(db)
    for url in (
        f"{path}?token=made-up",
        path,
        f"{path}?token={'x' * 5000}",
        f"/{other.slug}/hearing-survey?token={token}",
    ):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "This survey link is not valid" in text_of(response)
    posted = await client.post(
        f"/{other.slug}/hearing-survey",
        data={**ANSWERS, "token": token, "csrf_token": await csrf_token(client)},
    )
    assert posted.status_code == 404
    assert await count(db, SurveyAnswer) == 0
    # The real link still works: a refusal used nothing up.
    assert (await client.get(link)).status_code == 200


async def test_incomplete_answers_are_refused_and_the_link_kept(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    await hold_hearing(client, db, scene)
    link = await survey_link(db, scene.respondent.email)
    token = link.split("token=")[1]
    for data in (
        {},
        {**ANSWERS, "satisfaction": "6"},
        {**ANSWERS, "could_take_part": "maybe"},
        {**ANSWERS, "comment": "x" * 501},
    ):
        response = await client.post(
            link.split("?")[0],
            data={**data, "token": token, "csrf_token": await csrf_token(client, link)},
        )
        assert response.status_code == 422, data
        assert "govuk-error-summary" in response.text
    assert await count(db, SurveyAnswer) == 0
    assert await count(db, SurveyInvitation, SurveyInvitation.used.is_(True)) == 0
    assert (await client.get(link)).status_code == 200


# -- the figures of the annual report ------------------------------------------------------------


async def test_the_report_counts_feedback_and_survey_answers_in_the_period(
    db: AsyncSession,
) -> None:
    tribunal = await make_tribunal(db, time_zone="America/Toronto")
    other = await make_tribunal(db)
    # Early afternoon, Toronto time: the last day before the fiscal year, its first, one in
    # the middle and its last.
    at = {
        "before": datetime(2026, 3, 31, 17, tzinfo=UTC),
        "first": datetime(2026, 4, 1, 17, tzinfo=UTC),
        "mid": datetime(2026, 9, 15, 17, tzinfo=UTC),
        "last": datetime(2027, 3, 31, 17, tzinfo=UTC),
    }
    rows = [
        (tribunal, FeedbackKind.HELPFUL, None, at["before"]),  # before the period
        (tribunal, FeedbackKind.HELPFUL, None, at["first"]),
        (tribunal, FeedbackKind.HELPFUL, None, at["mid"]),
        (tribunal, FeedbackKind.NOT_HELPFUL, None, at["mid"]),
        (tribunal, FeedbackKind.PROBLEM, "a@example.org", at["mid"]),
        (tribunal, FeedbackKind.PROBLEM, "b@example.org", at["last"]),
        (other, FeedbackKind.PROBLEM, "c@example.org", at["mid"]),  # another tribunal's
    ]
    made = []
    for owner, kind, contact, created in rows:
        row = Feedback(
            tribunal_id=owner.id,
            path="/",
            language="en",
            kind=kind,
            text="",
            contact_email=contact,
            role=SenderRole.PUBLIC,
            created_at=created,
        )
        db.add(row)
        made.append(row)
    answered, handled = made[4], made[5]
    db.add(FeedbackAnswer(tribunal_id=tribunal.id, feedback_id=answered.id, body="Thanks"))
    db.add(FeedbackAnswer(tribunal_id=tribunal.id, feedback_id=answered.id, body="Again"))
    answered.handled_at = handled.handled_at = utcnow()
    for month, score, take_part, explained, mode in (
        (date(2026, 3, 1), 1, "no", "no", HearingMode.VIDEO),  # before
        (date(2026, 4, 1), 5, "yes", "yes", HearingMode.VIDEO),
        (date(2026, 9, 1), 4, "yes", "partly", HearingMode.TELEPHONE),
        (date(2027, 3, 1), 2, "partly", "no", HearingMode.VIDEO),
        (date(2027, 4, 1), 1, "no", "no", HearingMode.VIDEO),  # after
    ):
        db.add(
            SurveyAnswer(
                tribunal_id=tribunal.id,
                hearing_mode=mode,
                language="en",
                month=month,
                satisfaction=score,
                could_take_part=SurveyChoice(take_part),
                explained_clearly=SurveyChoice(explained),
                comment="",
            )
        )
    await db.commit()

    figures = await report_figures(db, tribunal, date(2026, 4, 1), date(2027, 3, 31))
    assert figures.received == {
        FeedbackKind.HELPFUL: 2,
        FeedbackKind.NOT_HELPFUL: 1,
        FeedbackKind.PROBLEM: 2,
    }
    assert figures.received_total == 5
    assert (figures.with_contact, figures.answered, figures.handled) == (2, 1, 2)
    assert figures.surveys == 3
    assert figures.surveys_by_mode == {
        HearingMode.VIDEO: 2,
        HearingMode.TELEPHONE: 1,
        HearingMode.IN_PERSON: 0,
    }
    assert figures.satisfaction.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert figures.satisfaction.average == pytest.approx(11 / 3)
    assert figures.could_take_part.distribution == {
        SurveyChoice.YES: 2,
        SurveyChoice.PARTLY: 1,
        SurveyChoice.NO: 0,
    }
    assert figures.could_take_part.share_yes == pytest.approx(2 / 3)
    assert figures.explained_clearly.distribution[SurveyChoice.NO] == 1

    empty = await report_figures(db, other, date(2020, 1, 1), date(2020, 12, 31))
    assert empty.received_total == 0
    assert empty.surveys == 0
    assert empty.satisfaction.average is None
    assert empty.could_take_part.share_yes is None
    with pytest.raises(ValueError, match="ends before"):
        await report_figures(db, tribunal, date(2026, 4, 2), date(2026, 4, 1))
