"""No double booking under concurrency: 20 clerks book overlapping hearings at the same moment,
each in their own session and transaction (committed for real, on SQLite and PostgreSQL);
for one adjudicator, then for one interpreter with 20 different adjudicators, exactly one
booking succeeds and every other is refused as booked."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.models import User
from filings.access import Actor
from filings.models import CaseEvent, CaseParty, CaseType, CaseTypeVersion, Filing, FilingStatus
from hearings.models import (
    AvailabilityException,
    BookedBlock,
    Hearing,
    HearingHours,
    HearingMode,
    HearingSettings,
    Interpreter,
    WeeklyAvailability,
)
from hearings.scheduling import services as scheduling
from hearings.scheduling.services import BookingProblem, BookingProblemKind, BookingRequest
from tests.conftest import new_test_engine
from tests.factories import unique
from tests.hearings.calendars import Calendar, make_calendar, utc
from tribunals.models import Membership, Tribunal
from tribune.app import build_outbox
from tribune.jobs import Job
from tribune.mail import OutboxMessage
from tribune.settings import Settings

BOOKINGS = 20
NOW = utc(2027, 10, 8, 15)  # Friday 8 October 2027; Wednesday 13 October is bookable
WEDNESDAY_930 = utc(2027, 10, 13, 13, 30)


@pytest.fixture
async def sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions of their own engine, whose commits are real, and what they made removed."""
    engine = new_test_engine()
    made = async_sessionmaker(engine, expire_on_commit=False)
    yield made
    async with made() as db:
        tribunal_ids = (
            await db.scalars(select(Tribunal.id).where(Tribunal.slug.like("dbk%")))
        ).all()
        user_ids = (
            await db.scalars(
                select(Membership.user_id).where(Membership.tribunal_id.in_(tribunal_ids))
            )
        ).all()
        filer_ids = (
            await db.scalars(select(Filing.filer_id).where(Filing.tribunal_id.in_(tribunal_ids)))
        ).all()
        for model in (
            BookedBlock,
            Hearing,
            WeeklyAvailability,
            AvailabilityException,
            Interpreter,
            HearingHours,
            HearingSettings,
            CaseEvent,
            CaseParty,
            Filing,
            CaseTypeVersion,
            CaseType,
            Membership,
            OutboxMessage,
        ):
            await db.execute(delete(model).where(model.tribunal_id.in_(tribunal_ids)))
        await db.execute(delete(Job).where(Job.kind == "mail.deliver"))
        await db.execute(delete(Tribunal).where(Tribunal.id.in_(tribunal_ids)))
        await db.execute(delete(User).where(User.id.in_([*user_ids, *filer_ids])))
        await db.commit()
    await engine.dispose()


async def book_at_once(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    calendar: Calendar,
    requests: list[tuple[uuid.UUID, BookingRequest]],
) -> list[Hearing | BookingProblem]:
    outbox = build_outbox(settings)
    start = asyncio.Event()

    async def book(filing_id: uuid.UUID, request: BookingRequest) -> Hearing | BookingProblem:
        async with sessions() as db:
            tribunal = await db.get_one(Tribunal, calendar.tribunal.id)
            filing = await db.get_one(Filing, filing_id)
            clerk = await db.get_one(User, calendar.clerk.id)
            await start.wait()
            result = await scheduling.book_hearing(
                db,
                outbox,
                tribunal,
                filing,
                request,
                user=clerk,
                actors=frozenset({Actor.CLERK}),
                now=NOW,
            )
            await db.commit()
            return result

    tasks = [asyncio.create_task(book(*pair)) for pair in requests]
    await asyncio.sleep(0.05)
    start.set()
    return await asyncio.gather(*tasks)


async def scene(
    sessions: async_sessionmaker[AsyncSession],
) -> tuple[Calendar, list[Filing]]:
    async with sessions() as db:
        calendar = await make_calendar(db, notice=2, slug=unique("dbk"))
        filings = [await calendar.accepted_case(db) for _ in range(BOOKINGS)]
    return calendar, filings


async def outcome(
    sessions: async_sessionmaker[AsyncSession],
    calendar: Calendar,
    results: list[Hearing | BookingProblem],
    refusal: BookingProblemKind,
) -> None:
    booked = [result for result in results if isinstance(result, Hearing)]
    assert len(booked) == 1, results
    assert {result.kind for result in results if isinstance(result, BookingProblem)} == {refusal}
    async with sessions() as db:
        hearings = (
            await db.scalars(select(Hearing).where(Hearing.tribunal_id == calendar.tribunal.id))
        ).all()
        assert [hearing.id for hearing in hearings] == [booked[0].id]
        scheduled = (
            await db.scalars(
                select(Filing.id).where(
                    Filing.tribunal_id == calendar.tribunal.id,
                    Filing.status == FilingStatus.SCHEDULED,
                )
            )
        ).all()
        assert scheduled == [booked[0].filing_id]


@pytest.mark.usefixtures("engine")  # the schema is migrated
async def test_twenty_overlapping_bookings_of_one_adjudicator_one_succeeds(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    calendar, filings = await scene(sessions)
    # Every quarter hour from 9:30, an hour long: each overlaps the next ones.
    requests = [
        (
            filing.id,
            BookingRequest(
                HearingMode.VIDEO,
                WEDNESDAY_930 + timedelta(minutes=15 * (number % 4)),
                60,
                calendar.adjudicator.id,
            ),
        )
        for number, filing in enumerate(filings)
    ]
    results = await book_at_once(sessions, settings, calendar, requests)
    await outcome(sessions, calendar, results, BookingProblemKind.ADJUDICATOR_BOOKED)


@pytest.mark.usefixtures("engine")
async def test_twenty_overlapping_bookings_of_one_interpreter_one_succeeds(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    calendar, filings = await scene(sessions)
    async with sessions() as db:
        interpreter = await calendar.interpreter(db, ["es"])
        adjudicators = [
            await calendar.adjudicator_named(db, f"Adjudicator {number}")
            for number in range(BOOKINGS)
        ]
        for filing in filings:
            filing.answers = {
                **filing.answers,
                "accessibility": {"needs_interpreter": True, "interpreter_language": "es"},
            }
            db.add(filing)
        await db.commit()
    requests = [
        (
            filing.id,
            BookingRequest(
                HearingMode.VIDEO,
                WEDNESDAY_930 + timedelta(minutes=15 * (number % 4)),
                60,
                adjudicators[number].id,
                interpreter_id=interpreter.id,
            ),
        )
        for number, filing in enumerate(filings)
    ]
    results = await book_at_once(sessions, settings, calendar, requests)
    await outcome(sessions, calendar, results, BookingProblemKind.INTERPRETER_BOOKED)
