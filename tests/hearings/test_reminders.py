"""Reminders of a hearing, sent by the job worker through the outbox: planned at the tribunal's
reminder days (7 and 1 by default) before the hearing, at the same local time of day (across a
daylight-saving change too); sent once, to every participant in their language, linked to the
case; none planned whose time has passed when the hearing is booked; none sent for a hearing
cancelled, adjourned or moved since, while a moved hearing gets reminders for its new time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hearings.models import Hearing, HearingSettings, HearingStatus
from hearings.notices.services import REMINDER_JOB, reminder_time
from hearings.times import span
from tests.hearings.calendars import utc
from tests.hearings.notice_scene import NoticeScene, make_notice_scene, notices_to
from tribune import i18n
from tribune.db import Database, utcnow
from tribune.jobs import Job, JobStatus, Worker
from tribune.settings import Settings


@pytest.fixture
async def scene(db: AsyncSession, settings: Settings) -> NoticeScene:
    return await make_notice_scene(db, settings)


async def reminder_jobs(db: AsyncSession, hearing: Hearing) -> list[Job]:
    rows = await db.scalars(
        select(Job)
        .where(Job.kind == REMINDER_JOB)
        .order_by(Job.run_after)
        .execution_options(populate_existing=True)
    )
    return [job for job in rows if job.payload["hearing_id"] == str(hearing.id)]


async def make_due(db: AsyncSession, jobs: list[Job]) -> None:
    """Move planned reminders into the past, as if their time had come."""
    await db.execute(
        update(Job)
        .where(Job.id.in_([job.id for job in jobs]))
        .values(run_after=utcnow() - timedelta(seconds=1))
    )
    await db.commit()


async def run_worker(database: Database, settings: Settings, scene: NoticeScene) -> None:
    await Worker(database, settings, outbox=scene.outbox).run_until_idle()


def ahead(days: int) -> datetime:
    """An instant on the hour, ``days`` days and an hour or two from now."""
    return utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=days, hours=2)


async def test_reminders_are_planned_7_and_1_days_before_at_the_same_local_time(
    db: AsyncSession, scene: NoticeScene
) -> None:
    # Wednesday 10 November 2027 10:00 EST; the 7-day reminder falls before the autumn
    # change: Wednesday 3 November 10:00 EDT, which is 14:00 UTC, not 15:00.
    hearing = await scene.hearing(db, utc(2027, 11, 10, 15), now=utc(2027, 10, 8, 15))
    jobs = await reminder_jobs(db, hearing)
    assert [job.run_after for job in jobs] == [utc(2027, 11, 3, 14), utc(2027, 11, 9, 15)]
    assert [job.payload["days"] for job in jobs] == [7, 1]
    assert {job.payload["sequence"] for job in jobs} == {0}
    assert reminder_time(hearing.starts_at, 7, "America/Toronto") == utc(2027, 11, 3, 14)


async def test_each_reminder_is_sent_once_to_every_participant_in_their_language(
    database: Database, settings: Settings, db: AsyncSession, scene: NoticeScene
) -> None:
    starts_at = ahead(10)
    hearing = await scene.hearing(db, starts_at)
    jobs = await reminder_jobs(db, hearing)
    assert len(jobs) == 2
    await run_worker(database, settings, scene)  # not yet due: nothing sent
    assert await notices_to(db, scene.claimant.email, "hearing_reminder") == []

    await make_due(db, jobs[:1])  # the 7-day reminder's time has come
    await run_worker(database, settings, scene)
    [french] = await notices_to(db, scene.claimant.email, "hearing_reminder")
    reference = scene.filing.reference
    assert french.subject == f"Rappel : votre audience a lieu dans 7 jours : dossier {reference}"
    assert french.case_id == scene.filing.id
    for address in (
        scene.representative.email,
        scene.calendar.adjudicator.email,
        scene.interpreter.email,
    ):
        [english] = await notices_to(db, address, "hearing_reminder")
        assert english.subject.startswith("Reminder: your hearing is in 7 days")

    await make_due(db, jobs)  # the 1-day reminder too; the 7-day one already ran
    await run_worker(database, settings, scene)
    await run_worker(database, settings, scene)
    reminders = await notices_to(db, scene.representative.email, "hearing_reminder")
    assert [message.subject.split(":")[1].strip() for message in reminders] == [
        "your hearing is in 7 days",
        "your hearing is tomorrow",
    ]
    assert {job.status for job in await reminder_jobs(db, hearing)} == {JobStatus.DONE}


async def test_a_reminder_whose_time_has_passed_is_not_planned(
    db: AsyncSession, scene: NoticeScene
) -> None:
    start = ahead(3)
    hearing = await scene.hearing(db, start)
    jobs = await reminder_jobs(db, hearing)
    assert [job.payload["days"] for job in jobs] == [1]


@pytest.mark.parametrize("status", [HearingStatus.CANCELLED, HearingStatus.ADJOURNED])
async def test_no_reminder_for_a_hearing_cancelled_or_adjourned(
    database: Database,
    settings: Settings,
    db: AsyncSession,
    scene: NoticeScene,
    status: HearingStatus,
) -> None:
    start = ahead(10)
    hearing = await scene.hearing(db, start)
    await scene.cancel(db, hearing, status)
    jobs = await reminder_jobs(db, hearing)
    await make_due(db, jobs)
    await run_worker(database, settings, scene)
    assert await notices_to(db, scene.claimant.email, "hearing_reminder") == []
    assert {job.status for job in await reminder_jobs(db, hearing)} == {JobStatus.DONE}


async def test_a_moved_hearing_is_reminded_of_its_new_time_only(
    database: Database, settings: Settings, db: AsyncSession, scene: NoticeScene
) -> None:
    start = ahead(10)
    hearing = await scene.hearing(db, start)
    old_jobs = await reminder_jobs(db, hearing)
    await scene.move(db, hearing, start + timedelta(days=4))
    new_jobs = [job for job in await reminder_jobs(db, hearing) if job not in old_jobs]
    assert [job.payload["sequence"] for job in new_jobs] == [1, 1]
    assert [job.run_after for job in new_jobs] == [
        reminder_time(hearing.starts_at, days, "America/Toronto") for days in (7, 1)
    ]

    await make_due(db, old_jobs)  # the old time's reminders come due: they send nothing
    await run_worker(database, settings, scene)
    assert await notices_to(db, scene.representative.email, "hearing_reminder") == []

    await make_due(db, new_jobs[:1])
    await run_worker(database, settings, scene)
    [reminder] = await notices_to(db, scene.representative.email, "hearing_reminder")
    with i18n.use_language("en"):
        new_time = span(hearing.starts_at, hearing.ends_at, "America/Toronto")
        old_time = span(start, start + timedelta(minutes=90), "America/Toronto")
    assert f"When: {new_time}" in reminder.body
    assert old_time not in reminder.body


async def test_the_tribunals_reminder_days_are_used(db: AsyncSession, scene: NoticeScene) -> None:
    settings = (
        await db.scalars(
            select(HearingSettings).where(HearingSettings.tribunal_id == scene.calendar.tribunal.id)
        )
    ).one()
    settings.reminder_days = [2]
    await db.commit()
    start = ahead(10)
    hearing = await scene.hearing(db, start)
    jobs = await reminder_jobs(db, hearing)
    assert [(job.payload["days"], job.run_after) for job in jobs] == [
        (2, reminder_time(hearing.starts_at, 2, "America/Toronto"))
    ]
