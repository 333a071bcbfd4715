"""Availability expanded into UTC intervals, checked against calendars worked out by hand.

Covered: a weekly pattern keeps its wall-clock times across the spring and autumn
daylight-saving changes (different UTC instants); several periods a day; whole-day time
off (a 23-hour day included), part-day time off and extra availability; unavailability
winning over extra availability; the tribunal's hearing hours without its public holidays;
all the availability of many resources read in two queries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hearings.calendars import services
from hearings.calendars.services import ExceptionValues, Interval, Resource
from hearings.models import (
    AvailabilityException,
    ExceptionKind,
    ExceptionReason,
    HearingHours,
    ResourceKind,
    WeeklyAvailability,
)
from tests.factories.tribunals import make_staff, make_tribunal
from tribunals.models import Role, Tribunal

TORONTO = "America/Toronto"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(weekday: int, start: time, end: time, zone: str = TORONTO) -> WeeklyAvailability:
    return WeeklyAvailability(weekday=weekday, starts_at=start, ends_at=end, time_zone=zone)


NINE_TO_FIVE_MONDAYS = [weekly(0, time(9), time(17))]


def test_a_weekly_pattern_keeps_its_local_hours_across_the_spring_change() -> None:
    # Clocks go forward on Sunday 14 March 2027: EST (UTC-5) before, EDT (UTC-4) after.
    before = services.expand_availability(
        NINE_TO_FIVE_MONDAYS, [], date(2027, 3, 8), date(2027, 3, 8), TORONTO
    )
    after = services.expand_availability(
        NINE_TO_FIVE_MONDAYS, [], date(2027, 3, 15), date(2027, 3, 15), TORONTO
    )
    assert before == [Interval(utc(2027, 3, 8, 14), utc(2027, 3, 8, 22))]
    assert after == [Interval(utc(2027, 3, 15, 13), utc(2027, 3, 15, 21))]


def test_a_weekly_pattern_keeps_its_local_hours_across_the_autumn_change() -> None:
    # Clocks go back on Sunday 7 November 2027: EDT before, EST after. One call spans both.
    both = services.expand_availability(
        NINE_TO_FIVE_MONDAYS, [], date(2027, 11, 1), date(2027, 11, 8), TORONTO
    )
    assert both == [
        Interval(utc(2027, 11, 1, 13), utc(2027, 11, 1, 21)),
        Interval(utc(2027, 11, 8, 14), utc(2027, 11, 8, 22)),
    ]


def test_several_periods_a_day_and_other_zones() -> None:
    patterns = [
        weekly(2, time(9), time(12)),
        weekly(2, time(13), time(17)),
        # A pattern read in Vancouver's zone: 9:00 PDT is 16:00 UTC in July.
        weekly(3, time(9), time(10), "America/Vancouver"),
    ]
    found = services.expand_availability(patterns, [], date(2027, 7, 5), date(2027, 7, 11), TORONTO)
    assert found == [
        Interval(utc(2027, 7, 7, 13), utc(2027, 7, 7, 16)),
        Interval(utc(2027, 7, 7, 17), utc(2027, 7, 7, 21)),
        Interval(utc(2027, 7, 8, 16), utc(2027, 7, 8, 17)),
    ]


async def test_exceptions_take_time_out_and_add_it(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db, time_zone=TORONTO)
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
    resource = Resource(ResourceKind.ADJUDICATOR, adjudicator.id)
    await services.set_weekly_pattern(
        db,
        tribunal,
        resource,
        [(weekday, time(9), time(17)) for weekday in range(5)],
        actor=adjudicator,
    )
    for values in [
        # Leave on the Tuesday and Wednesday after the spring change.
        ExceptionValues(
            ExceptionKind.UNAVAILABLE,
            ExceptionReason.LEAVE,
            days=(date(2027, 3, 16), date(2027, 3, 17)),
        ),
        # Training on the Monday from 12:00 to 13:30.
        ExceptionValues(
            ExceptionKind.UNAVAILABLE,
            ExceptionReason.TRAINING,
            part_of_day=(date(2027, 3, 15), time(12), time(13, 30)),
        ),
        # Extra hours on the Saturday, and on the Wednesday of leave (leave wins).
        ExceptionValues(
            ExceptionKind.AVAILABLE,
            ExceptionReason.OTHER,
            part_of_day=(date(2027, 3, 20), time(10), time(12)),
        ),
        ExceptionValues(
            ExceptionKind.AVAILABLE,
            ExceptionReason.OTHER,
            part_of_day=(date(2027, 3, 17), time(18), time(19)),
        ),
        # Thursday 17:00 to 18:00 extends the day to 18:00.
        ExceptionValues(
            ExceptionKind.AVAILABLE,
            ExceptionReason.OTHER,
            part_of_day=(date(2027, 3, 18), time(17), time(18)),
        ),
    ]:
        services.add_exception(db, tribunal, resource, values, actor=adjudicator)
    await db.flush()

    found = await services.availability_between(
        db, tribunal, [resource], date(2027, 3, 15), date(2027, 3, 21)
    )
    assert found[resource] == [
        Interval(utc(2027, 3, 15, 13), utc(2027, 3, 15, 16)),
        Interval(utc(2027, 3, 15, 17, 30), utc(2027, 3, 15, 21)),
        Interval(utc(2027, 3, 18, 13), utc(2027, 3, 18, 22)),
        Interval(utc(2027, 3, 19, 13), utc(2027, 3, 19, 21)),
        Interval(utc(2027, 3, 20, 14), utc(2027, 3, 20, 16)),
    ]


def test_a_whole_day_off_on_the_day_the_clocks_change_is_that_local_day() -> None:
    # Sunday 14 March 2027 lasts 23 hours in Toronto: 05:00 UTC to 04:00 UTC the next day.
    sunday_and_monday = [weekly(6, time(0), time(23, 45)), weekly(0, time(0), time(2))]
    day_off = AvailabilityException(
        kind=ExceptionKind.UNAVAILABLE,
        reason=ExceptionReason.LEAVE,
        first_day=date(2027, 3, 14),
        last_day=date(2027, 3, 14),
    )
    found = services.expand_availability(
        sunday_and_monday, [day_off], date(2027, 3, 14), date(2027, 3, 15), TORONTO
    )
    # Monday from local midnight (04:00 UTC) is untouched.
    assert found == [Interval(utc(2027, 3, 15, 4), utc(2027, 3, 15, 6))]


def test_hearing_hours_leave_out_public_holidays() -> None:
    tribunal = Tribunal(time_zone=TORONTO, province="ON")
    hours = [
        HearingHours(weekday=weekday, starts_at=time(9, 30), ends_at=time(16, 30))
        for weekday in range(5)
    ]
    # Friday 8 to Tuesday 12 October 2027: Thanksgiving is Monday 11 October.
    found = services.hearing_windows(hours, date(2027, 10, 8), date(2027, 10, 12), tribunal)
    assert found == [
        Interval(utc(2027, 10, 8, 13, 30), utc(2027, 10, 8, 20, 30)),
        # Saturday and Sunday closed; Monday 11 October is Thanksgiving.
        Interval(utc(2027, 10, 12, 13, 30), utc(2027, 10, 12, 20, 30)),
    ]


async def test_the_availability_of_many_resources_is_read_in_two_queries(
    db: AsyncSession, engine: AsyncEngine
) -> None:
    tribunal = await make_tribunal(db)
    resources = []
    for _ in range(5):
        adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
        resources.append(Resource(ResourceKind.ADJUDICATOR, adjudicator.id))
    for resource in resources:
        await services.set_weekly_pattern(
            db, tribunal, resource, [(0, time(9), time(17))], actor=adjudicator
        )
        services.add_exception(
            db,
            tribunal,
            resource,
            ExceptionValues(
                ExceptionKind.UNAVAILABLE,
                ExceptionReason.LEAVE,
                days=(date(2027, 3, 8), date(2027, 3, 8)),
            ),
            actor=adjudicator,
        )
    await db.flush()

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        found = await services.availability_between(
            db, tribunal, resources, date(2027, 3, 1), date(2027, 3, 14)
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements
    for resource in resources:
        assert found[resource] == [Interval(utc(2027, 3, 1, 14), utc(2027, 3, 1, 22))]
