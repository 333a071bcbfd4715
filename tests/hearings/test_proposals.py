"""Slot proposals against calendars worked out by hand (see tests/hearings/calendars.py: Toronto,
hearings Monday to Friday 9:30 to 16:30, 60 minutes by default, the adjudicator Ada available
9:00 to 17:00 on weekdays).

Covered: hearing hours and the next day; a public holiday; the notice counted in business
days; an adjudicator's leave and existing hearing; any adjudicator (and which one); parties'
unavailable days; the interpreter for the case's language and their availability (a spoken
language typed by name, ASL); a room's availability for a hearing in person; the weeks of the
spring and autumn daylight-saving changes; the language a case needs read from its filing;
a fixed number of statements whatever the number of hearings.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from filings.access import Actor
from filings.models import Filing
from hearings.models import Hearing, HearingMode, HearingStatus, PartyUnavailability
from hearings.scheduling import services as scheduling
from hearings.scheduling.services import BookingRequest, LanguageNeed, Proposal, language_need
from tests.hearings.calendars import Calendar, adjudicator, make_calendar, utc
from tests.helpers import claimant_party
from tribune.app import build_outbox
from tribune.settings import Settings

# Friday 8 October 2027, 11:00 in Toronto (EDT). Monday 11 October is Thanksgiving, so a notice
# of two business days ends on Wednesday 13 October.
FRIDAY_MORNING = utc(2027, 10, 8, 15)
WEDNESDAY, THURSDAY, FRIDAY = date(2027, 10, 13), date(2027, 10, 14), date(2027, 10, 15)


async def propose(
    db: AsyncSession, calendar: Calendar, filing: Filing, **options: Any
) -> list[Proposal]:
    options.setdefault("now", FRIDAY_MORNING)
    options.setdefault("count", 1)
    mode = options.pop("mode", HearingMode.VIDEO)
    return await scheduling.propose_slots(db, calendar.tribunal, filing, mode, **options)


def starts(proposals: list[Proposal]) -> list[Any]:
    return [proposal.starts_at for proposal in proposals]


async def test_slots_lie_in_hearing_hours_after_the_notice_in_business_days(
    db: AsyncSession,
) -> None:
    calendar = await make_calendar(db, notice=2)
    filing = await calendar.accepted_case(db)
    found = await propose(db, calendar, filing, count=26)
    # Wednesday 13 October, 9:30 to 15:30 EDT every quarter hour (an hour each, the last
    # ending at 16:30), then Thursday at 9:30.
    assert found[0] == Proposal(
        utc(2027, 10, 13, 13, 30), utc(2027, 10, 13, 14, 30), calendar.adjudicator.id
    )
    assert starts(found[:25]) == [
        utc(2027, 10, 13, 13, 30) + timedelta(minutes=15 * step) for step in range(25)
    ]
    assert found[24].ends_at == utc(2027, 10, 13, 20, 30)
    assert found[25].starts_at == utc(2027, 10, 14, 13, 30)


async def test_the_duration_given_or_set_for_the_case_type_is_used(db: AsyncSession) -> None:
    calendar = await make_calendar(db, notice=2)
    filing = await calendar.accepted_case(db)
    found = await propose(db, calendar, filing, duration_minutes=420, count=2)
    # Seven hours fit once a day: 9:30 to 16:30.
    assert starts(found) == [utc(2027, 10, 13, 13, 30), utc(2027, 10, 14, 13, 30)]


async def test_a_public_holiday_has_no_slots(db: AsyncSession) -> None:
    calendar = await make_calendar(db, notice=0)
    filing = await calendar.accepted_case(db)
    # Friday 8 October at 17:00 EDT: today's hours are over, then the weekend, then
    # Thanksgiving (the adjudicator's weekly pattern alone would allow it).
    found = await propose(db, calendar, filing, now=utc(2027, 10, 8, 21))
    assert starts(found) == [utc(2027, 10, 12, 13, 30)]


async def test_adjudicator_leave_and_hearings_are_avoided(
    db: AsyncSession, settings: Settings
) -> None:
    calendar = await make_calendar(db, notice=2)
    ada = calendar.adjudicator
    await calendar.on_leave(db, adjudicator(ada), WEDNESDAY, WEDNESDAY)
    other = await calendar.accepted_case(db)
    # Ada hears another case on Thursday from 9:30 to 11:00 EDT.
    booked = await scheduling.book_hearing(
        db,
        build_outbox(settings),
        calendar.tribunal,
        other,
        BookingRequest(HearingMode.VIDEO, utc(2027, 10, 14, 13, 30), 90, ada.id),
        user=calendar.clerk,
        actors=frozenset({Actor.CLERK}),
        now=FRIDAY_MORNING,
    )
    assert isinstance(booked, Hearing)
    filing = await calendar.accepted_case(db)
    assert starts(await propose(db, calendar, filing, count=2)) == [
        utc(2027, 10, 14, 15),
        utc(2027, 10, 14, 15, 15),
    ]


async def test_any_adjudicator_says_which(db: AsyncSession) -> None:
    calendar = await make_calendar(db, notice=2)
    ada = calendar.adjudicator
    bo = await calendar.adjudicator_named(db, "Bo Second")
    await calendar.on_leave(db, adjudicator(ada), WEDNESDAY, WEDNESDAY)
    filing = await calendar.accepted_case(db)
    anyone = await propose(db, calendar, filing)
    assert [(p.starts_at, p.adjudicator_id) for p in anyone] == [(utc(2027, 10, 13, 13, 30), bo.id)]
    only_ada = await propose(db, calendar, filing, adjudicator_id=ada.id)
    assert [(p.starts_at, p.adjudicator_id) for p in only_ada] == [
        (utc(2027, 10, 14, 13, 30), ada.id)
    ]


async def test_days_a_party_cannot_attend_are_avoided(db: AsyncSession) -> None:
    calendar = await make_calendar(db, notice=2)
    filing = await calendar.accepted_case(db)
    party = await claimant_party(db, filing)
    db.add(
        PartyUnavailability(
            tribunal_id=calendar.tribunal.id,
            filing_id=filing.id,
            party_id=party.id,
            first_day=WEDNESDAY,
            last_day=THURSDAY,
            reason="Surgery",
        )
    )
    await db.commit()
    assert starts(await propose(db, calendar, filing)) == [utc(2027, 10, 15, 13, 30)]


async def test_an_interpreter_for_the_case_language_who_is_available(db: AsyncSession) -> None:
    calendar = await make_calendar(db, notice=2)
    await calendar.interpreter(db, ["fr"])
    spanish = await calendar.interpreter(db, ["es", "pt"], weekdays=[3])  # Thursdays
    # Asked by name, as the journey kept it before it offered the list.
    filing = await calendar.accepted_case(
        db,
        {"needs_interpreter": True, "interpreter_language": "Spanish", "sign_language": "none"},
    )
    assert await propose(db, calendar, filing) == [
        Proposal(
            utc(2027, 10, 14, 13, 30),
            utc(2027, 10, 14, 14, 30),
            calendar.adjudicator.id,
            spanish.id,
            "es",
        )
    ]


async def test_a_sign_language_interpreter(db: AsyncSession) -> None:
    calendar = await make_calendar(db, notice=2)
    await calendar.interpreter(db, ["fcs"])
    asl = await calendar.interpreter(db, ["ase"], weekdays=[4])  # Fridays
    filing = await calendar.accepted_case(
        db, {"needs_interpreter": False, "interpreter_language": "", "sign_language": "asl"}
    )
    found = await propose(db, calendar, filing)
    assert [(p.starts_at, p.interpreter_id, p.language) for p in found] == [
        (utc(2027, 10, 15, 13, 30), asl.id, "ase")
    ]


async def test_no_slot_when_no_interpreter_covers_the_language(db: AsyncSession) -> None:
    calendar = await make_calendar(db, notice=2)
    await calendar.interpreter(db, ["fr"])
    spanish = await calendar.accepted_case(
        db, {"needs_interpreter": True, "interpreter_language": "es", "sign_language": "none"}
    )
    assert await propose(db, calendar, spanish) == []
    unlisted = await calendar.accepted_case(
        db,
        {
            "needs_interpreter": True,
            "interpreter_language": "other",
            "interpreter_language_other": "Tigre",
            "sign_language": "none",
        },
    )
    assert await propose(db, calendar, unlisted) == []


async def test_a_hearing_in_person_needs_a_free_room(db: AsyncSession) -> None:
    calendar = await make_calendar(db, notice=2)
    from datetime import time

    room = await calendar.room(db, weekdays=[4], start=time(13), end=time(17))  # Friday pm
    filing = await calendar.accepted_case(db)
    in_person = await propose(db, calendar, filing, mode=HearingMode.IN_PERSON)
    assert [(p.starts_at, p.room_id) for p in in_person] == [(utc(2027, 10, 15, 17), room.id)]
    by_video = await propose(db, calendar, filing)
    assert [(p.starts_at, p.room_id) for p in by_video] == [(utc(2027, 10, 13, 13, 30), None)]


@pytest.mark.parametrize(
    ("now", "first_day", "before", "after"),
    [
        # Clocks go forward on Sunday 14 March 2027: 9:30 EST is 14:30 UTC, 9:30 EDT 13:30.
        (
            utc(2027, 3, 11, 15),
            date(2027, 3, 12),
            utc(2027, 3, 12, 14, 30),
            utc(2027, 3, 15, 13, 30),
        ),
        # Clocks go back on Sunday 7 November 2027: 9:30 EDT is 13:30 UTC, 9:30 EST 14:30.
        (
            utc(2027, 11, 4, 15),
            date(2027, 11, 5),
            utc(2027, 11, 5, 13, 30),
            utc(2027, 11, 8, 14, 30),
        ),
    ],
)
async def test_hearing_hours_keep_their_local_time_across_daylight_saving_changes(
    db: AsyncSession, now: Any, first_day: date, before: Any, after: Any
) -> None:
    calendar = await make_calendar(db, notice=1)
    filing = await calendar.accepted_case(db)
    assert starts(await propose(db, calendar, filing, now=now)) == [before]
    # Proposed on Thursday, before the change, for the Monday after it.
    await calendar.on_leave(db, adjudicator(calendar.adjudicator), first_day, first_day)
    assert starts(await propose(db, calendar, filing, now=now)) == [after]


async def test_the_statements_per_proposal_do_not_grow_with_the_hearings(
    db: AsyncSession, engine: AsyncEngine
) -> None:
    calendar = await make_calendar(db, notice=2)
    bo = await calendar.adjudicator_named(db, "Bo Second")
    filing = await calendar.accepted_case(db)

    async def statements() -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            await propose(db, calendar, filing, count=5)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        return len(seen)

    without = await statements()
    for day in range(14):
        for hour in (13, 15, 17):
            start = utc(2027, 10, 13 + day, hour, 30)
            db.add(
                Hearing(
                    tribunal_id=calendar.tribunal.id,
                    filing_id=filing.id,
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    mode=HearingMode.VIDEO,
                    adjudicator_id=bo.id,
                    status=HearingStatus.SCHEDULED,
                    calendar_uid=f"bench-{filing.id}-{day}-{hour}",
                )
            )
    await db.commit()
    assert await statements() == without
    assert without <= 12


@pytest.mark.parametrize(
    ("answers", "need"),
    [
        ({}, LanguageNeed()),
        ({"needs_interpreter": False, "sign_language": "none"}, LanguageNeed()),
        ({"needs_interpreter": True, "interpreter_language": "es"}, LanguageNeed(("es",))),
        ({"needs_interpreter": True, "interpreter_language": "Espagnol"}, LanguageNeed(("es",))),
        ({"needs_interpreter": True, "interpreter_language": " farsi "}, LanguageNeed(("fa",))),
        (
            {
                "needs_interpreter": True,
                "interpreter_language": "other",
                "interpreter_language_other": "Tigre",
            },
            LanguageNeed((), ("Tigre",)),
        ),
        (
            {"needs_interpreter": True, "interpreter_language": "Tigre"},
            LanguageNeed((), ("Tigre",)),
        ),
        # A language typed then "no": the journey keeps no language.
        ({"needs_interpreter": False, "interpreter_language": "es"}, LanguageNeed()),
        ({"sign_language": "asl"}, LanguageNeed(("ase",))),
        ({"sign_language": "lsq"}, LanguageNeed(("fcs",))),
        ({"sign_language": "other"}, LanguageNeed((), ("",))),
        (
            {"needs_interpreter": True, "interpreter_language": "fr", "sign_language": "lsq"},
            LanguageNeed(("fr", "fcs")),
        ),
    ],
)
def test_the_language_a_case_needs(answers: dict[str, Any], need: LanguageNeed) -> None:
    assert language_need(Filing(answers={"accessibility": answers})) == need
