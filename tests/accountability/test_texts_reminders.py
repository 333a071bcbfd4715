"""Reminders by text: hearings (on the tribunal's email reminder days, at the same time) and
deadlines (3 days before and on the day, from 09:00), planned by the recurring job.

Covered: each participant who opted in gets one text per reminder, in the language they read
the case in, saying nothing but the tribunal's short name, the date and time, and a link; never
to an unconfirmed number, without consent, or once stopped; each sent once; none whose time had
passed when the hearing was booked or changed, and a moved hearing gets its own; a reminder due
at 22:00 where the person lives waits until 08:00; a text that fails for good (or a carrier's
opt-out) stops texts to the number and the reminder goes by email, once, unless the hearing's
own email reminder already went; the recurring job runs them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.texts import jobs as text_jobs
from accountability.texts import services
from accountability.texts.models import StopReason, TextReminder
from accounts.models import User
from filings.models import CaseParty, DueFrom, Filing, FilingStatus, PartyRole
from hearings.models import Hearing, HearingMode, HearingStatus
from hearings.notices.services import REMINDER_TEMPLATE, reminder_time
from tests.accountability.texts_scene import (
    STATUS,
    app_with_token,
    give_number,
    machine,
    post_callback,
    receipt,
    texts_to,
)
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tribunals.models import Role, Tribunal
from tribune import jobs
from tribune.app import build_outbox
from tribune.db import Database, utcnow
from tribune.jobs import Job, JobStatus, Worker
from tribune.mail import Outbox, OutboxMessage
from tribune.settings import Settings
from tribune.texts import TextMessage, TextStatus

TORONTO = ZoneInfo("America/Toronto")
# A Wednesday afternoon hearing, in winter (EST).
STARTS = datetime(2027, 3, 10, 14, 0, tzinfo=TORONTO).astimezone(UTC)
CLAIMANT_NUMBER = "+16135550123"
ADJUDICATOR_NUMBER = "+14165550177"


@dataclass
class Scene:
    tribunal: Tribunal
    filing: Filing
    claimant: User
    adjudicator: User
    outbox: Outbox


@pytest.fixture
async def scene(db: AsyncSession, settings: Settings) -> Scene:
    tribunal = await make_tribunal(
        db, short_name_en="WCAT", short_name_fr="TASPAAT", time_zone="America/Toronto"
    )
    claimant = await make_user(db, name="Amélie Gagnon", language="fr")
    case = await make_case(
        db, tribunal, filer=claimant, language="fr", status=FilingStatus.SCHEDULED
    )
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Adam Judge")
    return Scene(tribunal, case, claimant, adjudicator, build_outbox(settings))


async def book(
    db: AsyncSession,
    scene: Scene,
    starts_at: datetime = STARTS,
    *,
    changed_at: datetime | None = None,
    sequence: int = 0,
) -> Hearing:
    """A hearing scheduled, and last changed (booked) a month before it unless told."""
    changed = changed_at or starts_at - timedelta(days=30)
    hearing = Hearing(
        tribunal_id=scene.tribunal.id,
        filing_id=scene.filing.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        mode=HearingMode.VIDEO,
        adjudicator_id=scene.adjudicator.id,
        status=HearingStatus.SCHEDULED,
        sequence=sequence,
        calendar_uid=f"hearing-{uuid.uuid4()}@tribune",
        created_at=changed,
        updated_at=changed,
    )
    db.add(hearing)
    await db.commit()
    return hearing


def at(hearing: Hearing, days: int, minutes: int = 1) -> datetime:
    """A moment just after the hearing's reminder ``days`` before it was due."""
    return reminder_time(hearing.starts_at, days, "America/Toronto") + timedelta(minutes=minutes)


async def remind(db: AsyncSession, scene: Scene, now: datetime) -> list[TextReminder]:
    made = await services.plan_hearing_reminders(db, scene.outbox, now)
    made += await services.plan_deadline_reminders(db, scene.outbox, now)
    await db.commit()
    return made


async def text_of_reminder(db: AsyncSession, reminder: TextReminder) -> TextMessage:
    assert reminder.text_message_id is not None
    return await db.get_one(TextMessage, reminder.text_message_id, populate_existing=True)


# -- hearings -----------------------------------------------------------------------------------


async def test_each_participant_who_opted_in_gets_one_text_per_reminder_in_their_language(
    db: AsyncSession, scene: Scene
) -> None:
    await give_number(db, scene.claimant, CLAIMANT_NUMBER)
    await give_number(db, scene.adjudicator, ADJUDICATOR_NUMBER)
    hearing = await book(db, scene)

    assert await remind(db, scene, at(hearing, 7, minutes=-2)) == []  # not yet due
    week = await remind(db, scene, at(hearing, 7))

    assert {(r.user_id, r.days_before) for r in week} == {
        (scene.claimant.id, 7),
        (scene.adjudicator.id, 7),
    }
    [french] = await texts_to(db, CLAIMANT_NUMBER)
    [english] = await texts_to(db, ADJUDICATOR_NUMBER)
    assert french.language == "fr"
    assert english.language == "en"
    case_url = f"http://testserver/{scene.tribunal.slug}/cases/{scene.filing.id}"
    staff_url = f"http://testserver/{scene.tribunal.slug}/staff/cases/{scene.filing.id}"
    assert french.body == (
        f"TASPAAT : rappel de votre audience le mercredi 10 mars 2027 à 14 h 00 HNE. {case_url}"
    )
    assert english.body == (
        f"WCAT: reminder of your hearing on Wednesday, March 10, 2027 at 2:00 p.m. EST. {staff_url}"
    )
    reference = scene.filing.reference
    assert reference
    for text in (french, english):
        # Nothing of the case: no reference, no names.
        assert reference not in text.body
        for name in ("Amélie", "Gagnon", "Adam", "Judge"):
            assert name not in text.body
        assert text.case_id == scene.filing.id
        assert text.tribunal_id == scene.tribunal.id
        assert text.quiet_hours

    # Each reminder once, however often the job runs.
    assert await remind(db, scene, at(hearing, 7, minutes=10)) == []
    day_before = await remind(db, scene, at(hearing, 1))
    assert {r.days_before for r in day_before} == {1}
    assert len(await texts_to(db, CLAIMANT_NUMBER)) == 2
    assert await remind(db, scene, at(hearing, 1, minutes=30)) == []


async def test_one_language_per_message(db: AsyncSession, scene: Scene) -> None:
    await give_number(db, scene.claimant, CLAIMANT_NUMBER)
    await give_number(db, scene.adjudicator, ADJUDICATOR_NUMBER)
    hearing = await book(db, scene)
    await remind(db, scene, at(hearing, 1))

    [french] = await texts_to(db, CLAIMANT_NUMBER)
    [english] = await texts_to(db, ADJUDICATOR_NUMBER)
    words = re.compile(r"[A-Za-zÀ-ÿ]+")
    french_words = set(words.findall(french.body.split("http")[0].lower()))
    english_words = set(words.findall(english.body.split("http")[0].lower()))
    assert {"rappel", "audience", "mars"} <= french_words
    assert not {"reminder", "hearing", "march", "your", "on", "at", "p"} & french_words
    assert {"reminder", "hearing", "march"} <= english_words
    assert not {"rappel", "audience", "mars", "votre", "le", "à"} & english_words


@pytest.mark.parametrize(
    ("confirmed", "consented", "stopped"),
    [(False, False, False), (True, False, False), (True, True, True)],
    ids=["unconfirmed", "no consent", "stopped"],
)
async def test_no_reminder_to_an_unconfirmed_number_without_consent_or_once_stopped(
    db: AsyncSession, scene: Scene, confirmed: bool, consented: bool, stopped: bool
) -> None:
    mobile = await give_number(
        db, scene.claimant, CLAIMANT_NUMBER, confirmed=confirmed, consented=consented
    )
    if stopped:
        await services.stop(db, mobile)
        await db.commit()
    hearing = await book(db, scene)
    filing = scene.filing
    filing.due_on = date(2027, 3, 1)
    filing.due_from = DueFrom.CLAIMANT
    filing.due_for = "completion"
    await db.commit()

    assert await remind(db, scene, at(hearing, 7)) == []
    assert await remind(db, scene, datetime(2027, 2, 26, 10, 0, tzinfo=TORONTO)) == []
    assert await texts_to(db, CLAIMANT_NUMBER) == []


async def test_no_reminder_whose_time_passed_before_the_booking_and_a_move_gets_its_own(
    db: AsyncSession, scene: Scene
) -> None:
    await give_number(db, scene.claimant, CLAIMANT_NUMBER)
    # Booked 3 days ahead: no 7-day reminder, the 1-day one in its time.
    booked = at_three_days = STARTS - timedelta(days=3)
    hearing = await book(db, scene, changed_at=booked)
    assert await remind(db, scene, at_three_days + timedelta(minutes=5)) == []
    [day_before] = await remind(db, scene, at(hearing, 1))
    assert day_before.days_before == 1

    # Moved a day later: its own reminder, once.
    moved = STARTS + timedelta(days=1)
    hearing.starts_at, hearing.ends_at = moved, moved + timedelta(hours=1)
    hearing.sequence += 1
    await db.commit()
    [again] = await remind(db, scene, at(hearing, 1))
    assert again.key != day_before.key
    assert again.starts_at == moved
    # Cancelled: nothing more.
    hearing.status = HearingStatus.CANCELLED
    await db.commit()
    assert await remind(db, scene, at(hearing, 1, minutes=60)) == []


async def test_a_reminder_due_at_22_00_where_the_person_lives_waits_until_08_00(
    db: AsyncSession, scene: Scene
) -> None:
    # The claimant lives in Tokyo: the reminder due at 8:00 a.m. in Toronto, the day before
    # the hearing, is due at 22:00 there.
    scene.claimant.time_zone = "Asia/Tokyo"
    await db.commit()
    await give_number(db, scene.claimant, CLAIMANT_NUMBER)
    starts = datetime(2027, 3, 10, 8, 0, tzinfo=TORONTO).astimezone(UTC)  # 22:00 in Tokyo
    hearing = await book(db, scene, starts)

    await remind(db, scene, at(hearing, 1, minutes=0))

    [text] = await texts_to(db, CLAIMANT_NUMBER)
    tokyo = ZoneInfo("Asia/Tokyo")
    assert at(hearing, 1, minutes=0).astimezone(tokyo).hour == 22
    assert text.time_zone == "Asia/Tokyo"
    assert text.send_after == datetime(2027, 3, 10, 8, 0, tzinfo=tokyo)
    # The time it gives is the person's own.
    assert "22 h 00" in text.body


# -- deadlines ----------------------------------------------------------------------------------


async def owe(db: AsyncSession, scene: Scene, due_on: date) -> None:
    scene.filing.status = FilingStatus.RETURNED
    scene.filing.due_on = due_on
    scene.filing.due_from = DueFrom.CLAIMANT
    scene.filing.due_for = "completion"
    await db.commit()


async def test_a_deadline_is_texted_3_days_before_and_on_the_day_from_9_00(
    db: AsyncSession, scene: Scene
) -> None:
    await give_number(db, scene.claimant, CLAIMANT_NUMBER)
    # A respondent who opted in is not reminded of what the claimant owes.
    respondent = await make_user(db)
    db.add(
        CaseParty(
            tribunal_id=scene.tribunal.id,
            filing_id=scene.filing.id,
            role=PartyRole.RESPONDENT,
            name="Acme",
            user_id=respondent.id,
        )
    )
    await give_number(db, respondent, "+15145550199")
    await owe(db, scene, date(2027, 3, 12))

    assert await remind(db, scene, datetime(2027, 3, 9, 8, 59, tzinfo=TORONTO)) == []
    [three] = await remind(db, scene, datetime(2027, 3, 9, 9, 0, tzinfo=TORONTO))
    assert three.days_before == 3
    assert three.user_id == scene.claimant.id
    assert await remind(db, scene, datetime(2027, 3, 10, 9, 0, tzinfo=TORONTO)) == []
    [day] = await remind(db, scene, datetime(2027, 3, 12, 15, 0, tzinfo=TORONTO))
    assert day.days_before == 0
    first, second = await texts_to(db, CLAIMANT_NUMBER)
    case_url = f"http://testserver/{scene.tribunal.slug}/cases/{scene.filing.id}"
    assert first.body == (
        f"TASPAAT : rappel d’une échéance dans votre dossier : vendredi 12 mars 2027. {case_url}"
    )
    assert second.body == first.body
    assert await texts_to(db, "+15145550199") == []


# -- failures -----------------------------------------------------------------------------------


async def test_a_failed_text_stops_the_number_and_the_reminder_goes_by_email_once(
    db: AsyncSession, scene: Scene, settings: Settings, database: Database
) -> None:
    mobile = await give_number(db, scene.claimant, CLAIMANT_NUMBER)
    await owe(db, scene, date(2027, 3, 12))
    [reminder] = await remind(db, scene, datetime(2027, 3, 9, 9, 30, tzinfo=TORONTO))
    text = await text_of_reminder(db, reminder)
    text.status = TextStatus.SENT
    await db.commit()

    async with machine(app_with_token(settings, database)) as provider:
        answer = await post_callback(provider, STATUS, receipt(text, "permanent-failure"))
        assert answer.status_code == 200
        # The provider says it again: nothing more.
        await post_callback(provider, STATUS, receipt(text, "permanent-failure"))

    await db.refresh(mobile)
    assert mobile.stop_reason is StopReason.FAILED
    assert not mobile.takes_reminders
    emails = list(
        await db.scalars(
            select(OutboxMessage).where(
                OutboxMessage.to_address == scene.claimant.email,
                OutboxMessage.template == services.FALLBACK_TEMPLATE,
            )
        )
    )
    assert len(emails) == 1
    [email] = emails
    assert email.language == "fr"
    assert email.case_id == scene.filing.id
    assert email.subject == "Rappel : une échéance dans votre dossier, le vendredi 12 mars 2027"
    assert f"/cases/{scene.filing.id}" in email.body
    await db.refresh(reminder)
    assert reminder.emailed_at is not None
    # The next reminder is not texted to a number that cannot take it.
    assert await remind(db, scene, datetime(2027, 3, 12, 9, 30, tzinfo=TORONTO)) == []


async def test_a_carrier_opt_out_of_a_hearing_reminder_adds_no_email_when_it_went_by_email(
    db: AsyncSession, scene: Scene
) -> None:
    mobile = await give_number(db, scene.claimant, CLAIMANT_NUMBER)
    hearing = await book(db, scene)
    [reminder] = await remind(db, scene, at(hearing, 1))
    text = await text_of_reminder(db, reminder)
    text.status = TextStatus.SENT
    # The hearing's own email reminder went out when it was due (its row is what counts).
    db.add(
        OutboxMessage(
            to_address=scene.claimant.email,
            language="fr",
            template=REMINDER_TEMPLATE,
            subject="Rappel",
            body="Rappel",
            tribunal_id=scene.tribunal.id,
            case_id=scene.filing.id,
            created_at=at(hearing, 1, minutes=0),
        )
    )
    await db.commit()

    await services.handle_receipt(
        db,
        scene.outbox,
        provider_id="n-1",
        reference=str(text.id),
        status="permanent-failure",
        detail="Opted out",
    )
    await db.commit()

    await db.refresh(mobile)
    assert mobile.stop_reason is StopReason.OPTED_OUT
    fallback = await db.scalar(
        select(OutboxMessage).where(OutboxMessage.template == services.FALLBACK_TEMPLATE)
    )
    assert fallback is None


async def test_a_failed_hearing_reminder_not_yet_emailed_goes_by_email(
    db: AsyncSession, scene: Scene
) -> None:
    await give_number(db, scene.claimant, CLAIMANT_NUMBER)
    hearing = await book(db, scene)
    [reminder] = await remind(db, scene, at(hearing, 7))
    text = await text_of_reminder(db, reminder)
    text.status = TextStatus.SENT
    await db.commit()

    await services.handle_receipt(
        db, scene.outbox, provider_id="n-2", reference=str(text.id), status="technical-failure",
        detail="",
    )  # fmt: skip
    await db.commit()

    email = await db.scalar(
        select(OutboxMessage).where(OutboxMessage.template == services.FALLBACK_TEMPLATE)
    )
    assert email is not None
    assert email.to_address == scene.claimant.email
    assert email.subject == "Rappel : votre audience le mercredi 10 mars 2027 à 14 h 00 HNE"


# -- the recurring job --------------------------------------------------------------------------


async def test_the_recurring_job_texts_the_reminders_due(
    db: AsyncSession, scene: Scene, database: Database, settings: Settings
) -> None:
    await give_number(db, scene.claimant, CLAIMANT_NUMBER)
    starts = utcnow().replace(second=0, microsecond=0) + timedelta(days=1, minutes=-30)
    await book(db, scene, starts)
    jobs.enqueue(db, text_jobs.REMIND)
    await db.commit()

    await Worker(database, settings, outbox=scene.outbox).run_until_idle()

    [reminder] = await db.scalars(
        select(TextReminder).where(TextReminder.user_id == scene.claimant.id)
    )
    assert reminder.days_before == 1
    assert len(await texts_to(db, CLAIMANT_NUMBER)) == 1
    done = await db.scalar(select(Job).where(Job.kind == text_jobs.REMIND))
    assert done is not None
    assert done.status is JobStatus.DONE
