"""Moving, adjourning and cancelling a hearing: a move keeps the hearing's calendar UID, adds one
to its SEQUENCE and releases its old time (another case can book it), goes through the
booking's checks (its own time not counting against it) and, under concurrency, lets one of
many moves into the same time succeed; an adjournment or a cancellation releases the time
and moves the case back to "accepted"; and the pages that do all three, in both languages."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.models import User
from filings import lifecycle
from filings.access import Actor
from filings.models import CaseEvent, Filing, FilingStatus
from hearings.calendars.services import Interval, local_instant
from hearings.models import (
    AdjournmentReason,
    BookedBlock,
    Hearing,
    HearingMode,
    HearingStatus,
)
from hearings.scheduling import services as scheduling
from hearings.scheduling.services import BookingProblem, BookingProblemKind, BookingRequest
from tests.factories import unique
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff
from tests.hearings.calendars import Calendar, make_calendar, utc
from tests.hearings.test_booking_pages import ZONE, first_open_day
from tests.hearings.test_double_booking import sessions  # noqa: F401 - a fixture
from tests.helpers import as_user, count, french, post_form, text_of
from tribunals.models import Role, Tribunal
from tribune.app import build_outbox
from tribune.audit import AuditAction, AuditEvent
from tribune.db import utcnow
from tribune.mail import OutboxMessage
from tribune.settings import Settings

# Friday 8 October 2027, 11:00 EDT: Wednesday 13 October is the first day a hearing may be held.
NOW = utc(2027, 10, 8, 15)
WEDNESDAY_930 = utc(2027, 10, 13, 13, 30)
THURSDAY_930 = utc(2027, 10, 14, 13, 30)
CLERK = frozenset({Actor.CLERK})


@dataclass
class Scene:
    calendar: Calendar
    filing: Filing
    settings: Settings

    def request(self, starts_at: datetime = WEDNESDAY_930, **changes: Any) -> BookingRequest:
        return replace(
            BookingRequest(HearingMode.VIDEO, starts_at, 60, self.calendar.adjudicator.id),
            **changes,
        )

    async def book(
        self,
        db: AsyncSession,
        filing: Filing | None = None,
        now: datetime = NOW,
        **changes: Any,
    ) -> Hearing:
        hearing = await scheduling.book_hearing(
            db,
            build_outbox(self.settings),
            self.calendar.tribunal,
            filing or self.filing,
            self.request(**changes),
            user=self.calendar.clerk,
            actors=CLERK,
            now=now,
        )
        assert isinstance(hearing, Hearing), hearing
        await db.commit()
        return hearing

    async def move(
        self,
        db: AsyncSession,
        hearing: Hearing,
        reason: str = "The adjudicator is ill",
        **changes: Any,
    ) -> Hearing | BookingProblem:
        return await scheduling.reschedule_hearing(
            db,
            build_outbox(self.settings),
            self.calendar.tribunal,
            self.filing,
            hearing,
            self.request(**changes),
            reason=reason,
            user=self.calendar.clerk,
            actors=CLERK,
            now=NOW,
        )


@pytest.fixture
async def scene(db: AsyncSession, settings: Settings) -> Scene:
    calendar = await make_calendar(db, notice=2)
    return Scene(calendar, await calendar.accepted_case(db), settings)


async def blocks_of(db: AsyncSession, hearing: Hearing) -> list[datetime]:
    rows = await db.scalars(
        select(BookedBlock.starts_at)
        .where(BookedBlock.hearing_id == hearing.id)
        .order_by(BookedBlock.starts_at)
    )
    return list(rows)


# -- moving ---------------------------------------------------------------------------------


async def test_a_move_keeps_the_uid_adds_to_the_sequence_and_releases_the_old_time(
    db: AsyncSession, scene: Scene
) -> None:
    hearing = await scene.book(db)
    uid = hearing.calendar_uid
    moved = await scene.move(db, hearing, starts_at=THURSDAY_930, duration_minutes=90)
    assert moved is hearing
    await db.commit()
    await db.refresh(hearing)
    assert (hearing.calendar_uid, hearing.sequence) == (uid, 1)
    assert (hearing.starts_at, hearing.ends_at) == (THURSDAY_930, utc(2027, 10, 14, 15))
    assert hearing.status is HearingStatus.SCHEDULED
    assert hearing.status_reason == "The adjudicator is ill"
    assert await blocks_of(db, hearing) == [
        THURSDAY_930 + timedelta(minutes=15 * step) for step in range(6)
    ]
    await db.refresh(scene.filing)
    assert scene.filing.status is FilingStatus.SCHEDULED
    event = await db.scalar(
        select(CaseEvent).where(
            CaseEvent.filing_id == scene.filing.id, CaseEvent.kind == "hearing_rescheduled"
        )
    )
    assert event is not None
    assert event.visible_to_parties
    assert event.details["reason"] == "The adjudicator is ill"
    entry = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.tribunal_id == scene.calendar.tribunal.id,
            AuditEvent.action == AuditAction.HEARING_RESCHEDULED.value,
        )
    )
    assert entry is not None
    assert entry.subject_id == hearing.id

    # The old time is free again: another case books it.
    other = await scene.calendar.accepted_case(db)
    assert isinstance(await scene.book(db, other), Hearing)

    # A second move adds one again.
    await scene.move(db, hearing, starts_at=utc(2027, 10, 15, 13, 30))
    await db.commit()
    assert (hearing.calendar_uid, hearing.sequence) == (uid, 2)


async def test_a_move_overlapping_its_own_time_is_allowed(db: AsyncSession, scene: Scene) -> None:
    hearing = await scene.book(db)
    moved = await scene.move(db, hearing, starts_at=WEDNESDAY_930 + timedelta(minutes=30))
    assert moved is hearing
    await db.commit()
    assert await blocks_of(db, hearing) == [
        WEDNESDAY_930 + timedelta(minutes=15 * step) for step in range(2, 6)
    ]


async def test_a_move_into_a_time_taken_is_refused_and_changes_nothing(
    db: AsyncSession, scene: Scene
) -> None:
    hearing = await scene.book(db)
    other = await scene.calendar.accepted_case(db)
    await scene.book(db, other, starts_at=THURSDAY_930, duration_minutes=90)
    before = await blocks_of(db, hearing)
    refused = await scene.move(db, hearing, starts_at=utc(2027, 10, 14, 14, 30))
    assert refused == BookingProblem(
        BookingProblemKind.ADJUDICATOR_BOOKED, Interval(THURSDAY_930, utc(2027, 10, 14, 15))
    )
    # Every check of a booking applies: a holiday, a time outside the hours.
    assert await scene.move(db, hearing, starts_at=utc(2027, 12, 27, 14, 30)) == BookingProblem(
        BookingProblemKind.HOLIDAY
    )
    assert await scene.move(db, hearing, duration_minutes=0) == BookingProblem(
        BookingProblemKind.DURATION
    )
    await db.commit()
    await db.refresh(hearing)
    assert (hearing.starts_at, hearing.sequence) == (WEDNESDAY_930, 0)
    assert await blocks_of(db, hearing) == before
    moves = CaseEvent.kind == "hearing_rescheduled"
    assert await count(db, CaseEvent, CaseEvent.filing_id == scene.filing.id, moves) == 0


async def test_a_hearing_no_longer_scheduled_cannot_be_moved(
    db: AsyncSession, scene: Scene
) -> None:
    hearing = await scene.book(db)
    await cancel(db, scene, hearing)
    assert await scene.move(db, hearing, starts_at=THURSDAY_930) == BookingProblem(
        BookingProblemKind.HEARING_NOT_SCHEDULED
    )


# -- adjourning and cancelling --------------------------------------------------------------


async def adjourn(db: AsyncSession, scene: Scene, hearing: Hearing) -> Hearing | BookingProblem:
    return await scheduling.adjourn_hearing(
        db,
        build_outbox(scene.settings),
        scene.calendar.tribunal,
        scene.filing,
        hearing,
        AdjournmentReason.EVIDENCE_OUTSTANDING,
        "The medical report is not in yet.",
        user=scene.calendar.clerk,
        actors=CLERK,
        now=NOW,
    )


async def cancel(db: AsyncSession, scene: Scene, hearing: Hearing) -> Hearing | BookingProblem:
    return await scheduling.cancel_hearing(
        db,
        build_outbox(scene.settings),
        scene.calendar.tribunal,
        scene.filing,
        hearing,
        "The parties settled.",
        user=scene.calendar.clerk,
        actors=CLERK,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("end", "status", "event"),
    [
        (adjourn, HearingStatus.ADJOURNED, "adjourned"),
        (cancel, HearingStatus.CANCELLED, "hearing_cancelled"),
    ],
)
async def test_an_adjournment_or_cancellation_releases_the_time_and_reopens_the_case(
    db: AsyncSession, scene: Scene, end: Any, status: HearingStatus, event: str
) -> None:
    hearing = await scene.book(db)
    assert await end(db, scene, hearing) is hearing
    await db.commit()
    await db.refresh(hearing)
    assert (hearing.status, hearing.sequence) == (status, 1)
    assert hearing.status_reason
    if status is HearingStatus.ADJOURNED:
        assert hearing.adjournment_reason is AdjournmentReason.EVIDENCE_OUTSTANDING
    assert await blocks_of(db, hearing) == []
    await db.refresh(scene.filing)
    assert scene.filing.status is FilingStatus.ACCEPTED
    assert (
        await count(db, CaseEvent, CaseEvent.filing_id == scene.filing.id, CaseEvent.kind == event)
        == 1
    )
    # The case's event names the hearing and, for an adjournment, its coded reason (which the
    # service standards read).
    recorded = await db.scalar(
        select(CaseEvent).where(CaseEvent.filing_id == scene.filing.id, CaseEvent.kind == event)
    )
    assert recorded is not None
    assert recorded.details["hearing_id"] == str(hearing.id)
    assert recorded.details.get("adjournment_reason") == (
        "evidence_outstanding" if status is HearingStatus.ADJOURNED else None
    )
    action = (
        AuditAction.HEARING_ADJOURNED
        if status is HearingStatus.ADJOURNED
        else AuditAction.HEARING_CANCELLED
    )
    assert (
        await count(
            db,
            AuditEvent,
            AuditEvent.tribunal_id == scene.calendar.tribunal.id,
            AuditEvent.action == action.value,
        )
        == 1
    )
    # The time is free for another case, and this case can be scheduled again.
    other = await scene.calendar.accepted_case(db)
    assert isinstance(await scene.book(db, other), Hearing)
    assert isinstance(await scene.book(db, starts_at=THURSDAY_930), Hearing)
    # Done once only.
    assert await end(db, scene, hearing) == BookingProblem(BookingProblemKind.HEARING_NOT_SCHEDULED)


async def test_a_hearing_whose_time_has_come_is_not_adjourned_here(
    db: AsyncSession, scene: Scene
) -> None:
    hearing = await scene.book(db)
    late = await scheduling.adjourn_hearing(
        db,
        build_outbox(scene.settings),
        scene.calendar.tribunal,
        scene.filing,
        hearing,
        AdjournmentReason.OTHER,
        "Too late",
        user=scene.calendar.clerk,
        actors=CLERK,
        now=WEDNESDAY_930 + timedelta(minutes=5),
    )
    assert late == BookingProblem(BookingProblemKind.HEARING_STARTED)
    await db.commit()
    await db.refresh(hearing)
    assert (hearing.status, hearing.sequence) == (HearingStatus.SCHEDULED, 0)
    assert len(await blocks_of(db, hearing)) == 4


# -- concurrent moves -----------------------------------------------------------------------

MOVES = 10


@pytest.mark.usefixtures("engine")
async def test_concurrent_moves_into_one_time_one_succeeds(
    sessions: async_sessionmaker[AsyncSession],  # noqa: F811 - the fixture imported above
    settings: Settings,
) -> None:
    outbox = build_outbox(settings)
    async with sessions() as db:
        calendar = await make_calendar(db, notice=2, slug=unique("dbk"))
        hearings = []
        day = date(2027, 10, 12)
        for _ in range(MOVES):
            day = first_open_day(day)
            filing = await calendar.accepted_case(db)
            scene = Scene(calendar, filing, settings)
            hearings.append(
                await scene.book(db, filing, starts_at=utc(day.year, day.month, day.day, 14))
            )
    target = utc(2027, 10, 29, 13, 30)  # Friday 29 October, 9:30
    start = asyncio.Event()

    async def move(number: int, hearing_id: uuid.UUID) -> Hearing | BookingProblem:
        async with sessions() as db:
            tribunal = await db.get_one(Tribunal, calendar.tribunal.id)
            hearing = await db.get_one(Hearing, hearing_id)
            filing = await db.get_one(Filing, hearing.filing_id)
            clerk = await db.get_one(User, calendar.clerk.id)
            await start.wait()
            result = await scheduling.reschedule_hearing(
                db,
                outbox,
                tribunal,
                filing,
                hearing,
                BookingRequest(
                    HearingMode.VIDEO,
                    target + timedelta(minutes=15 * (number % 4)),
                    60,
                    calendar.adjudicator.id,
                ),
                reason="Moved to Friday",
                user=clerk,
                actors=CLERK,
                now=NOW,
            )
            await db.commit()
            return result

    tasks = [asyncio.create_task(move(n, hearing.id)) for n, hearing in enumerate(hearings)]
    await asyncio.sleep(0.05)
    start.set()
    results = await asyncio.gather(*tasks)
    moved = [result for result in results if isinstance(result, Hearing)]
    assert len(moved) == 1, results
    assert {r.kind for r in results if isinstance(r, BookingProblem)} == {
        BookingProblemKind.ADJUDICATOR_BOOKED
    }
    async with sessions() as db:
        rows = (
            await db.scalars(select(Hearing).where(Hearing.tribunal_id == calendar.tribunal.id))
        ).all()
        assert sorted(row.sequence for row in rows) == [0] * (MOVES - 1) + [1]
        for row in rows:
            blocks = await blocks_of(db, row)
            assert blocks == [row.starts_at + timedelta(minutes=15 * step) for step in range(4)]
        assert sum(row.starts_at >= target for row in rows) == 1


# -- the pages ------------------------------------------------------------------------------


@dataclass
class Booked:
    calendar: Calendar
    filing: Filing
    hearing: Hearing

    def url(self, action: str) -> str:
        return (
            f"/{self.calendar.tribunal.slug}/staff/cases/{self.filing.id}"
            f"/hearings/{self.hearing.id}/{action}"
        )

    @property
    def case_page(self) -> str:
        return f"/{self.calendar.tribunal.slug}/staff/cases/{self.filing.id}"


@pytest.fixture
async def booked(db: AsyncSession, settings: Settings) -> Booked:
    calendar = await make_calendar(db, notice=2)
    filing = await calendar.accepted_case(db)
    day = first_open_day(utcnow().date() + timedelta(days=14))
    hearing = await Scene(calendar, filing, settings).book(
        db, filing, utcnow(), starts_at=utc(day.year, day.month, day.day, 15)
    )
    return Booked(calendar, filing, hearing)


async def test_the_reschedule_page_moves_the_hearing_for_a_reason(
    client: httpx.AsyncClient, db: AsyncSession, booked: Booked
) -> None:
    await as_user(client, booked.calendar.clerk)
    case_page = text_of(await client.get(booked.case_page))
    assert booked.url("reschedule") in case_page
    page = booked.url("reschedule")
    shown = await client.get(page)
    assert shown.status_code == 200
    text = text_of(shown)
    assert "Why is the hearing moved?" in text
    assert text.count('name="slot" type="radio"') == 6  # five proposals and "another"
    day = first_open_day(booked.hearing.starts_at.date())
    typed = {
        "slot": "other",
        "date": day.isoformat(),
        "time": "13:00",
        "duration": "60",
        "mode": "video",
        "adjudicator": str(booked.calendar.adjudicator.id),
    }
    no_reason = await post_form(client, page, typed, page=page)
    assert no_reason.status_code == 422
    assert "Give the reasons for moving the hearing" in text_of(no_reason)
    await db.refresh(booked.hearing)
    assert booked.hearing.sequence == 0
    moved = await post_form(client, page, {**typed, "reason": "A party is ill"}, page=page)
    assert moved.status_code == 303, moved.text
    assert moved.headers["location"] == booked.case_page + "?hearing=rescheduled#hearing"
    await db.refresh(booked.hearing)
    assert booked.hearing.sequence == 1
    assert booked.hearing.starts_at == local_instant(day, time(13), ZONE)
    after = text_of(await client.get(moved.headers["location"]))
    assert "The hearing is moved." in after
    assert "Hearing rescheduled" in after  # the timeline
    assert "A party is ill" in after


async def test_a_refused_move_on_the_page_says_why(
    client: httpx.AsyncClient, db: AsyncSession, booked: Booked
) -> None:
    await as_user(client, booked.calendar.clerk)
    page = booked.url("reschedule")
    refused = await post_form(
        client,
        page,
        {
            "reason": "A party is ill",
            "slot": "other",
            "date": booked.hearing.starts_at.date().isoformat(),
            "time": "07:00",
            "duration": "60",
            "mode": "video",
            "adjudicator": str(booked.calendar.adjudicator.id),
        },
        page=page,
    )
    assert refused.status_code == 422
    assert "The hearing must fit within the tribunal" in text_of(refused)
    await db.refresh(booked.hearing)
    assert booked.hearing.sequence == 0


async def test_the_adjourn_page_takes_a_coded_reason_and_reasons(
    client: httpx.AsyncClient, db: AsyncSession, booked: Booked
) -> None:
    await as_user(client, booked.calendar.clerk)
    page = booked.url("adjourn")
    text = text_of(await client.get(page))
    assert "Why is the hearing adjourned?" in text
    assert "Evidence is outstanding" in text
    empty = await post_form(client, page, {}, page=page)
    assert empty.status_code == 422
    assert "Choose why the hearing is adjourned" in text_of(empty)
    assert "Give the reasons for the adjournment" in text_of(empty)
    done = await post_form(
        client,
        page,
        {"code": "no_interpreter", "reason": "No interpreter for Tigrinya was free."},
        page=page,
    )
    assert done.status_code == 303, done.text
    await db.refresh(booked.hearing)
    await db.refresh(booked.filing)
    assert booked.hearing.status is HearingStatus.ADJOURNED
    assert booked.filing.status is FilingStatus.ACCEPTED
    after = text_of(await client.get(done.headers["location"]))
    assert "The hearing is adjourned." in after
    assert "Earlier hearings" in after
    assert "Reason: No interpreter" in after
    assert "No interpreter for Tigrinya was free." in after
    assert "Schedule a hearing" in after
    # The page of a hearing adjourned already refuses.
    assert (await client.get(page)).status_code == 409


async def test_the_cancel_page_in_french(
    client: httpx.AsyncClient, db: AsyncSession, booked: Booked
) -> None:
    clerk = await make_staff(db, booked.calendar.tribunal, Role.CLERK, language="fr")
    await as_user(client, clerk)
    page = booked.url("cancel")
    text = text_of(await client.get(page))
    assert french("Cancel the hearing") in text
    empty = await post_form(client, page, {"reason": "  "}, page=page)
    assert empty.status_code == 422
    assert french("Give the reasons for cancelling the hearing") in text_of(empty)
    done = await post_form(client, page, {"reason": "Les parties ont réglé."}, page=page)
    assert done.status_code == 303
    after = text_of(await client.get(done.headers["location"]))
    assert french("The hearing is cancelled. The case can be scheduled again.") in after
    await db.refresh(booked.hearing)
    assert booked.hearing.status is HearingStatus.CANCELLED


async def test_a_hearing_of_another_case_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession, booked: Booked
) -> None:
    other = await make_case(db, booked.calendar.tribunal, status=FilingStatus.SCHEDULED)
    await as_user(client, booked.calendar.clerk)
    slug = booked.calendar.tribunal.slug
    for action in ("reschedule", "adjourn", "cancel"):
        url = f"/{slug}/staff/cases/{other.id}/hearings/{booked.hearing.id}/{action}"
        assert (await client.get(url)).status_code == 404
    await as_user(client, booked.calendar.adjudicator)
    assert (await client.get(booked.url("cancel"))).status_code == 404
    assert booked.url("cancel") not in text_of(await client.get(booked.case_page))


@pytest.mark.parametrize(
    ("move", "actors", "reason"),
    [
        pytest.param("withdraw", frozenset({Actor.CLAIMANT}), "", id="withdrawn"),
        pytest.param("dismiss", frozenset({Actor.ADMIN}), "Out of time", id="dismissed"),
    ],
)
async def test_a_case_withdrawn_or_dismissed_cancels_its_hearing_and_tells_everyone(
    db: AsyncSession, scene: Scene, move: str, actors: frozenset[Actor], reason: str
) -> None:
    hearing = await scene.book(db)
    await lifecycle.apply(
        db,
        build_outbox(scene.settings),
        scene.calendar.tribunal,
        scene.filing,
        move,
        user=scene.calendar.admin,
        actors=actors,
        reason=reason,
    )
    await db.commit()
    await db.refresh(hearing)
    assert (hearing.status, hearing.sequence) == (HearingStatus.CANCELLED, 1)
    assert hearing.status_reason == reason
    # Its time is free again, and every participant's calendar is told to remove it.
    assert await blocks_of(db, hearing) == []
    cancellations = list(
        await db.scalars(
            select(OutboxMessage).where(
                OutboxMessage.case_id == scene.filing.id,
                OutboxMessage.template == "hearing_cancelled",
            )
        )
    )
    assert cancellations
    assert {message.calendar_method for message in cancellations} == {"CANCEL"}
    assert (
        await count(
            db,
            AuditEvent,
            AuditEvent.tribunal_id == scene.calendar.tribunal.id,
            AuditEvent.action == AuditAction.HEARING_CANCELLED.value,
        )
        == 1
    )
