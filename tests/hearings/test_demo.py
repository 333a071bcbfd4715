"""The demo data gives each demo tribunal hearing hours, availability for its adjudicators,
two interpreters (one spoken, one signed) and a room, once."""

from __future__ import annotations

from datetime import time, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.demo import load_demo_case_types, load_demo_cases
from filings.models import Filing, FilingStatus
from hearings.demo import load_demo_hearing_rows, load_demo_hearings
from hearings.jitsi import WindowState, window_state
from hearings.models import (
    Hearing,
    HearingHours,
    HearingMode,
    HearingRoom,
    HearingStatus,
    Interpreter,
    WeeklyAvailability,
)
from hearings.scheduling.services import language_need, propose_slots
from tests.helpers import sign_in
from tribunals.commands import DEMO_PASSWORD, load_demo_data
from tribunals.services import tribunal_by_slug
from tribune.db import utcnow


async def test_demo_tribunals_get_hearing_calendars_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await load_demo_data(db)
    await load_demo_case_types(db)
    await load_demo_cases(db, DEMO_PASSWORD)
    assert await load_demo_hearings(db) == 2
    await db.commit()
    assert await load_demo_hearings(db) == 0

    for slug in ("wcat", "lrb"):
        tribunal = await tribunal_by_slug(db, slug)
        assert tribunal is not None
        hours = list(
            await db.scalars(select(HearingHours).where(HearingHours.tribunal_id == tribunal.id))
        )
        assert sorted((row.weekday, row.starts_at, row.ends_at) for row in hours) == [
            (weekday, time(9, 30), time(16, 30)) for weekday in range(5)
        ]
        interpreters = list(
            await db.scalars(select(Interpreter).where(Interpreter.tribunal_id == tribunal.id))
        )
        languages = sorted(sorted(interpreter.languages) for interpreter in interpreters)
        assert languages == [["ase", "fcs"], ["en", "fr"]]
        rooms = list(
            await db.scalars(select(HearingRoom).where(HearingRoom.tribunal_id == tribunal.id))
        )
        assert len(rooms) == 1
        adjudicator_rows = await db.scalars(
            select(WeeklyAvailability).where(
                WeeklyAvailability.tribunal_id == tribunal.id,
                WeeklyAvailability.adjudicator_id.is_not(None),
            )
        )
        assert len(list(adjudicator_rows)) == 5

    await sign_in(client, "adjudicator@wcat.example", password=DEMO_PASSWORD)
    page = await client.get("/wcat/staff/my-availability")
    assert page.status_code == 200
    assert 'value="09:00"' in page.text
    assert 'value="17:00"' in page.text


async def test_demo_cases_are_ready_for_every_step_of_a_hearing(db: AsyncSession) -> None:
    await load_demo_data(db)
    await load_demo_case_types(db)
    await load_demo_cases(db, DEMO_PASSWORD)
    await load_demo_hearings(db)
    assert await load_demo_hearing_rows(db) == 6
    await db.commit()
    assert await load_demo_hearing_rows(db) == 0  # a second run adds nothing

    for slug in ("wcat", "lrb"):
        tribunal = await tribunal_by_slug(db, slug)
        assert tribunal is not None
        now = utcnow()
        # At least two accepted cases to schedule, one needing an ASL interpreter, whom the
        # tribunal's interpreters cover and the proposals book.
        accepted = list(
            await db.scalars(
                select(Filing).where(
                    Filing.tribunal_id == tribunal.id, Filing.status == FilingStatus.ACCEPTED
                )
            )
        )
        assert len(accepted) >= 2
        needing = [filing for filing in accepted if language_need(filing).codes == ("ase",)]
        assert len(needing) == 1
        proposals = await propose_slots(db, tribunal, needing[0], HearingMode.VIDEO, now=now)
        assert len(proposals) == 5
        assert all(proposal.interpreter_id is not None for proposal in proposals)

        # Yesterday's hearing (the last business day) of the demo claimant's case awaits its
        # outcome from the demo adjudicator; the other is weeks ahead.
        hearings = list(
            await db.scalars(
                select(Hearing)
                .where(Hearing.tribunal_id == tribunal.id)
                .order_by(Hearing.starts_at)
            )
        )
        past, video_now, upcoming = hearings
        assert past.status is HearingStatus.SCHEDULED
        assert past.ends_at < now
        assert now - past.starts_at < timedelta(days=5)
        adjudicator = await db.scalar(
            select(User).where(User.email == f"adjudicator@{slug}.example")
        )
        assert adjudicator is not None
        assert past.adjudicator_id == adjudicator.id
        case = await db.get(Filing, past.filing_id)
        assert case is not None
        assert case.status is FilingStatus.SCHEDULED
        claimant = await db.get(User, case.filer_id)
        assert claimant is not None
        assert claimant.email == "claimant@example.org"
        assert upcoming.starts_at > now + timedelta(days=14)
        # A video hearing of the demo claimant's other case whose room is open now and for
        # hours: a newcomer walks into its waiting room at once.
        assert video_now.mode is HearingMode.VIDEO
        assert window_state(video_now, now) is WindowState.OPEN
        assert window_state(video_now, now + timedelta(hours=3)) is WindowState.OPEN
        assert video_now.adjudicator_id == adjudicator.id
        now_case = await db.get(Filing, video_now.filing_id)
        assert now_case is not None
        assert now_case.filer_id == claimant.id
