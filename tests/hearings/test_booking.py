"""Booking a hearing: what a booking writes (the hearing, its quarter hours, the case moved to
"scheduled" with its event and audit entries), each bad booking refused with its reason and
nothing changed, an administrator's override of a party's unavailable days, and a released
hearing's time booked again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.access import Actor
from filings.models import CaseEvent, Filing, FilingStatus
from hearings.calendars.services import Interval
from hearings.models import BookedBlock, Hearing, HearingMode, HearingStatus, PartyUnavailability
from hearings.scheduling import services as scheduling
from hearings.scheduling.services import BookingProblem, BookingProblemKind, BookingRequest
from tests.factories.tribunals import make_staff, make_tribunal
from tests.hearings.calendars import Calendar, adjudicator, make_calendar, utc
from tests.helpers import claimant_party, count
from tribunals.models import Membership, Role
from tribune.app import build_outbox
from tribune.audit import AuditAction, AuditEvent
from tribune.settings import Settings

# Friday 8 October 2027, 11:00 EDT; with a notice of two business days (Thanksgiving on
# Monday), Wednesday 13 October is the first day a hearing may be held.
NOW = utc(2027, 10, 8, 15)
WEDNESDAY_930 = utc(2027, 10, 13, 13, 30)  # 9:30 EDT
CLERK = frozenset({Actor.CLERK})


@dataclass
class Scene:
    calendar: Calendar
    filing: Filing
    settings: Settings

    async def book(
        self, db: AsyncSession, actors: frozenset[Actor] = CLERK, **changes: Any
    ) -> Hearing | BookingProblem:
        filing = changes.pop("filing", None) or self.filing
        request = replace(
            BookingRequest(HearingMode.VIDEO, WEDNESDAY_930, 60, self.calendar.adjudicator.id),
            **changes,
        )
        return await scheduling.book_hearing(
            db,
            build_outbox(self.settings),
            self.calendar.tribunal,
            filing,
            request,
            user=self.calendar.clerk,
            actors=actors,
            now=NOW,
        )


@pytest.fixture
async def scene(db: AsyncSession, settings: Settings) -> Scene:
    calendar = await make_calendar(db, notice=2)
    filing = await calendar.accepted_case(db)
    return Scene(calendar, filing, settings)


async def test_a_booking_holds_the_quarter_hours_and_schedules_the_case(
    db: AsyncSession, scene: Scene
) -> None:
    interpreter = await scene.calendar.interpreter(db, ["es"])
    scene.filing.answers = {
        **scene.filing.answers,
        "accessibility": {"needs_interpreter": True, "interpreter_language": "es"},
    }
    await db.commit()
    hearing = await scene.book(db, interpreter_id=interpreter.id, duration_minutes=90)
    assert isinstance(hearing, Hearing)
    await db.commit()
    assert (hearing.starts_at, hearing.ends_at) == (WEDNESDAY_930, utc(2027, 10, 13, 15))
    assert (hearing.status, hearing.sequence, hearing.language) == (
        HearingStatus.SCHEDULED,
        0,
        "es",
    )
    assert hearing.calendar_uid
    blocks = (
        await db.scalars(select(BookedBlock).where(BookedBlock.hearing_id == hearing.id))
    ).all()
    # 90 minutes are six quarter hours, for the adjudicator and for the interpreter.
    assert sorted((block.resource_id, block.starts_at) for block in blocks) == sorted(
        (resource, WEDNESDAY_930 + timedelta(minutes=15 * step))
        for resource in (scene.calendar.adjudicator.id, interpreter.id)
        for step in range(6)
    )
    await db.refresh(scene.filing)
    assert scene.filing.status is FilingStatus.SCHEDULED
    kinds = (
        await db.scalars(select(CaseEvent.kind).where(CaseEvent.filing_id == scene.filing.id))
    ).all()
    assert "scheduled" in kinds
    actions = (
        await db.scalars(
            select(AuditEvent.action).where(AuditEvent.tribunal_id == scene.calendar.tribunal.id)
        )
    ).all()
    assert AuditAction.HEARING_BOOKED.value in actions
    assert AuditAction.CASE_SCHEDULED.value in actions


async def bad_cases(db: AsyncSession, scene: Scene) -> dict[str, tuple[dict[str, Any], Any]]:
    """Return, by name, the changes to a good booking that make it bad and the problem."""
    calendar = scene.calendar
    other_tribunal = await make_tribunal(db)
    stranger = await make_staff(db, other_tribunal, Role.ADJUDICATOR)
    foreign_calendar = Calendar(other_tribunal, stranger, stranger, stranger)
    foreign_room = await foreign_calendar.room(db)
    foreign_interpreter = await foreign_calendar.interpreter(db, ["es"])
    clerk_not_adjudicator = calendar.clerk
    room = await calendar.room(db, weekdays=[3])  # Thursdays only
    submitted = await calendar.accepted_case(db)
    submitted.status = FilingStatus.SUBMITTED
    await db.commit()
    kind = BookingProblemKind
    return {
        "not accepted": ({"filing": submitted}, BookingProblem(kind.CASE_NOT_ACCEPTED)),
        "zero minutes": ({"duration_minutes": 0}, BookingProblem(kind.DURATION)),
        "a day long": ({"duration_minutes": 24 * 60}, BookingProblem(kind.DURATION)),
        "ten minutes over": ({"duration_minutes": 70}, BookingProblem(kind.DURATION)),
        "not on the quarter": (
            {"starts_at": utc(2027, 10, 13, 13, 40)},
            BookingProblem(kind.NOT_ON_QUARTER_HOUR),
        ),
        "in the past": ({"starts_at": utc(2027, 10, 7, 13, 30)}, BookingProblem(kind.IN_THE_PAST)),
        "inside the notice": (
            {"starts_at": utc(2027, 10, 12, 13, 30)},
            BookingProblem(kind.INSIDE_NOTICE),
        ),
        "on a holiday": ({"starts_at": utc(2027, 12, 27, 14, 30)}, BookingProblem(kind.HOLIDAY)),
        "before hours": ({"starts_at": utc(2027, 10, 13, 13)}, BookingProblem(kind.OUTSIDE_HOURS)),
        "past closing": (
            {"starts_at": utc(2027, 10, 13, 20), "duration_minutes": 60},
            BookingProblem(kind.OUTSIDE_HOURS),
        ),
        "on a Saturday": (
            {"starts_at": utc(2027, 10, 16, 13, 30)},
            BookingProblem(kind.OUTSIDE_HOURS),
        ),
        "another tribunal's adjudicator": (
            {"adjudicator_id": stranger.id},
            BookingProblem(kind.UNKNOWN_ADJUDICATOR),
        ),
        "a clerk as adjudicator": (
            {"adjudicator_id": clerk_not_adjudicator.id},
            BookingProblem(kind.UNKNOWN_ADJUDICATOR),
        ),
        "another tribunal's interpreter": (
            {"interpreter_id": foreign_interpreter.id},
            BookingProblem(kind.UNKNOWN_INTERPRETER),
        ),
        "an interpreter the case does not need": (
            {"interpreter_id": (await calendar.interpreter(db, ["fr"])).id},
            BookingProblem(kind.INTERPRETER_LANGUAGE),
        ),
        "in person without a room": (
            {"mode": HearingMode.IN_PERSON},
            BookingProblem(kind.ROOM_NEEDED),
        ),
        "another tribunal's room": (
            {"mode": HearingMode.IN_PERSON, "room_id": foreign_room.id},
            BookingProblem(kind.UNKNOWN_ROOM),
        ),
        "a room not available then": (
            {"mode": HearingMode.IN_PERSON, "room_id": room.id},
            BookingProblem(kind.ROOM_UNAVAILABLE),
        ),
    }


CASES = [
    "not accepted",
    "zero minutes",
    "a day long",
    "ten minutes over",
    "not on the quarter",
    "in the past",
    "inside the notice",
    "on a holiday",
    "before hours",
    "past closing",
    "on a Saturday",
    "another tribunal's adjudicator",
    "a clerk as adjudicator",
    "another tribunal's interpreter",
    "an interpreter the case does not need",
    "in person without a room",
    "another tribunal's room",
    "a room not available then",
]


async def nothing_booked(db: AsyncSession, scene: Scene) -> None:
    assert await count(db, Hearing) == 0
    assert await count(db, BookedBlock) == 0
    await db.refresh(scene.filing)
    assert scene.filing.status is FilingStatus.ACCEPTED
    assert (
        await count(
            db,
            AuditEvent,
            # Of this tribunal: the concurrency tests commit theirs for real, and they stay.
            AuditEvent.tribunal_id == scene.calendar.tribunal.id,
            AuditEvent.action == AuditAction.HEARING_BOOKED.value,
        )
        == 0
    )


@pytest.mark.parametrize("name", CASES)
async def test_a_bad_booking_is_refused_and_changes_nothing(
    db: AsyncSession, scene: Scene, name: str
) -> None:
    changes, problem = (await bad_cases(db, scene))[name]
    assert await scene.book(db, **changes) == problem
    await nothing_booked(db, scene)


async def test_the_adjudicator_on_leave_or_booked_is_refused(
    db: AsyncSession, scene: Scene
) -> None:
    ada = scene.calendar.adjudicator
    await scene.calendar.on_leave(db, adjudicator(ada), date(2027, 10, 13), date(2027, 10, 13))
    assert await scene.book(db) == BookingProblem(BookingProblemKind.ADJUDICATOR_UNAVAILABLE)
    await nothing_booked(db, scene)

    other = await scene.calendar.accepted_case(db)
    thursday = utc(2027, 10, 14, 13, 30)
    assert isinstance(
        await scene.book(db, filing=other, starts_at=thursday, duration_minutes=90), Hearing
    )
    await db.commit()
    # 10:30 to 11:30 overlaps the other hearing's 9:30 to 11:00.
    refused = await scene.book(db, starts_at=utc(2027, 10, 14, 14, 30))
    assert refused == BookingProblem(
        BookingProblemKind.ADJUDICATOR_BOOKED, Interval(thursday, utc(2027, 10, 14, 15))
    )
    # Right after it is free.
    assert isinstance(await scene.book(db, starts_at=utc(2027, 10, 14, 15)), Hearing)


async def test_a_case_needing_an_interpreter_cannot_be_booked_without_one(
    db: AsyncSession, scene: Scene
) -> None:
    scene.filing.answers = {**scene.filing.answers, "accessibility": {"sign_language": "lsq"}}
    await db.commit()
    assert await scene.book(db) == BookingProblem(
        BookingProblemKind.INTERPRETER_NEEDED, language="fcs"
    )
    asl = await scene.calendar.interpreter(db, ["ase"])
    assert await scene.book(db, interpreter_id=asl.id) == BookingProblem(
        BookingProblemKind.INTERPRETER_LANGUAGE, language="fcs"
    )
    lsq = await scene.calendar.interpreter(db, ["fcs"], weekdays=[4])
    assert await scene.book(db, interpreter_id=lsq.id) == BookingProblem(
        BookingProblemKind.INTERPRETER_UNAVAILABLE, language="fcs"
    )
    await nothing_booked(db, scene)


async def test_a_party_unavailable_day_is_refused_unless_an_administrator_overrides_it(
    db: AsyncSession, scene: Scene
) -> None:
    party = await claimant_party(db, scene.filing)
    db.add(
        PartyUnavailability(
            tribunal_id=scene.calendar.tribunal.id,
            filing_id=scene.filing.id,
            party_id=party.id,
            first_day=date(2027, 10, 13),
            last_day=date(2027, 10, 13),
        )
    )
    await db.commit()
    problem = BookingProblem(
        BookingProblemKind.PARTY_UNAVAILABLE, days=(date(2027, 10, 13), date(2027, 10, 13))
    )
    assert await scene.book(db) == problem
    # A clerk's reason is not enough.
    assert await scene.book(db, party_override_reason="Urgent") == problem
    await nothing_booked(db, scene)
    hearing = await scene.book(
        db, frozenset({Actor.ADMIN}), party_override_reason="Statutory deadline"
    )
    assert isinstance(hearing, Hearing)
    await db.commit()
    entry = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.tribunal_id == scene.calendar.tribunal.id,
            AuditEvent.action == AuditAction.HEARING_BOOKED.value,
        )
    )
    assert entry is not None
    assert entry.details["party_unavailability_overridden"] == "Statutory deadline"


async def test_a_released_hearing_frees_its_time(db: AsyncSession, scene: Scene) -> None:
    first = await scene.book(db)
    assert isinstance(first, Hearing)
    await db.commit()
    other = await scene.calendar.accepted_case(db)
    assert isinstance(await scene.book(db, filing=other), BookingProblem)
    first.status = HearingStatus.CANCELLED
    await scheduling.release_blocks(db, first)
    await db.commit()
    assert await count(db, BookedBlock, BookedBlock.hearing_id == first.id) == 0
    assert isinstance(await scene.book(db, filing=other), Hearing)


async def test_the_unique_key_refuses_what_the_checks_did_not_see(
    db: AsyncSession, scene: Scene
) -> None:
    # Ada also sits for another tribunal, which cannot see this one's hearings: its booking
    # passes every check, and the database still refuses the same quarter hours.
    ada = scene.calendar.adjudicator
    assert isinstance(await scene.book(db), Hearing)
    await db.commit()
    twin = await make_calendar(db, notice=2)
    db.add(Membership(tribunal_id=twin.tribunal.id, user_id=ada.id, role=Role.ADJUDICATOR))
    await db.commit()
    await twin.available(db, adjudicator(ada))
    twin_case = await twin.accepted_case(db)
    refused = await scheduling.book_hearing(
        db,
        build_outbox(scene.settings),
        twin.tribunal,
        twin_case,
        BookingRequest(HearingMode.VIDEO, utc(2027, 10, 13, 14), 60, ada.id),
        user=twin.clerk,
        actors=CLERK,
        now=NOW,
    )
    assert refused == BookingProblem(BookingProblemKind.SLOT_TAKEN)
    await db.refresh(twin_case)
    assert twin_case.status is FilingStatus.ACCEPTED
    assert await count(db, Hearing, Hearing.tribunal_id == twin.tribunal.id) == 0
