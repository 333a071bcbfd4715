"""The tribunal's day view (each day's hearings per adjudicator and per room, printable, in a
fixed number of statements) and each adjudicator's "My hearings" (only their own)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from filings.models import Filing
from hearings.models import HearingMode, HearingStatus
from tests.factories.tribunals import make_staff
from tests.hearings.calendars import make_calendar
from tests.hearings.test_party_views import NEXT_YEAR, add_hearing, at, claimant_of
from tests.helpers import as_user, text_of
from tribunals.models import Role
from tribune.db import utcnow

DAY = date(NEXT_YEAR, 1, 12)  # a Tuesday, in standard time


def ref(filing: Filing) -> str:
    assert filing.reference is not None
    return filing.reference


def section(page: str, marker: str) -> str:
    """Return the HTML of the table carrying a data attribute (data-adjudicator="Ada ...")."""
    match = re.search(rf"<table[^>]*{re.escape(marker)}.*?</table>", page, re.S)
    assert match, marker
    return match.group(0)


async def test_the_day_lists_hearings_per_adjudicator_and_per_room(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    bo = await calendar.adjudicator_named(db, "Bo Second")
    room = await calendar.room(db)
    interpreter = await calendar.interpreter(db, ["es"])
    first, second, third = [await calendar.accepted_case(db) for _ in range(3)]
    await add_hearing(
        db,
        calendar,
        first,
        at(DAY, 9, 30),
        mode=HearingMode.IN_PERSON,
        room=room,
        interpreter=interpreter,
        language="es",
    )
    bo_hearing = await add_hearing(db, calendar, second, at(DAY, 14), mode=HearingMode.TELEPHONE)
    bo_hearing.adjudicator_id = bo.id
    # The next day's hearing is not on this day's page.
    await add_hearing(db, calendar, third, at(DAY + timedelta(days=1), 10))
    await db.commit()

    await as_user(client, calendar.clerk)
    response = await client.get(
        f"/{calendar.tribunal.slug}/staff/hearings/day?date={DAY.isoformat()}"
    )
    assert response.status_code == 200
    page = text_of(response)
    assert f"Hearings of Tuesday, January 12, {NEXT_YEAR}" in page
    ada = section(page, 'data-adjudicator="Ada Adjudicator"')
    assert ref(first) in ada
    assert "9:30 a.m. to 11:00 a.m. EST" in ada
    assert "Interpreter es" in ada
    assert "Spanish" in ada
    assert f"/staff/cases/{first.id}" in ada
    assert ref(second) not in ada
    bos = section(page, 'data-adjudicator="Bo Second"')
    assert ref(second) in bos
    assert "Telephone" in bos
    assert "2:00 p.m. to 3:30 p.m. EST" in bos
    rooms = section(page, 'data-room="Room A"')
    assert ref(first) in rooms
    assert "Ada Adjudicator" in rooms
    assert ref(second) not in rooms
    assert ref(third) not in page
    assert "Print this page" in page
    assert f"?date={(DAY - timedelta(days=1)).isoformat()}" in page
    assert f"?date={(DAY + timedelta(days=1)).isoformat()}" in page

    next_day = (DAY + timedelta(days=1)).isoformat()
    following = text_of(
        await client.get(f"/{calendar.tribunal.slug}/staff/hearings/day?date={next_day}")
    )
    assert ref(third) in following
    assert ref(first) not in following


async def test_a_bad_date_gets_a_clear_message_and_the_default_is_today(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    await as_user(client, calendar.adjudicator)
    page = f"/{calendar.tribunal.slug}/staff/hearings/day"
    for bad in ("2027-02-30", "tomorrow", "99999-01-01", "0001-01-01"):
        response = await client.get(f"{page}?date={bad}")
        assert response.status_code == 400, bad
        assert "Give the day as year, month and day, like 2027-01-12" in text_of(response)
    today = await client.get(page)
    assert today.status_code == 200
    assert "No hearings on this day." in today.text


async def test_the_day_view_takes_a_fixed_number_of_statements(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    calendar = await make_calendar(db)
    room = await calendar.room(db)
    interpreter = await calendar.interpreter(db, ["es"])
    await as_user(client, calendar.clerk)
    url = f"/{calendar.tribunal.slug}/staff/hearings/day?date={DAY.isoformat()}"

    async def statements() -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            response = await client.get(url)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(seen)

    async def hearings(n: int) -> None:
        for _ in range(n):
            filing = await calendar.accepted_case(db)
            adjudicator = await make_staff(db, calendar.tribunal, Role.ADJUDICATOR)
            hearing = await add_hearing(
                db,
                calendar,
                filing,
                at(DAY, 10),
                mode=HearingMode.IN_PERSON,
                room=room,
                interpreter=interpreter,
                language="es",
            )
            hearing.adjudicator_id = adjudicator.id
        await db.commit()

    await hearings(1)
    one = await statements()
    await hearings(9)
    ten = await statements()
    assert ten == one
    assert (await client.get(url)).text.count("/staff/cases/") == 20  # per adjudicator and room


async def test_the_day_view_is_for_staff_only(client: httpx.AsyncClient, db: AsyncSession) -> None:
    calendar = await make_calendar(db)
    filing = await calendar.accepted_case(db)
    await as_user(client, await claimant_of(db, filing))
    assert (await client.get(f"/{calendar.tribunal.slug}/staff/hearings/day")).status_code == 404
    assert (await client.get(f"/{calendar.tribunal.slug}/staff/my-hearings")).status_code == 404


async def test_my_hearings_lists_only_the_adjudicators_own_upcoming_ones(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    bo = await calendar.adjudicator_named(db, "Bo Second")
    room = await calendar.room(db)
    mine = [await calendar.accepted_case(db) for _ in range(3)]
    theirs = await calendar.accepted_case(db)
    await add_hearing(db, calendar, mine[0], at(DAY, 10), mode=HearingMode.IN_PERSON, room=room)
    await add_hearing(db, calendar, mine[1], at(DAY + timedelta(days=2), 10))
    await add_hearing(
        db, calendar, mine[2], at(DAY + timedelta(days=3), 10), status=HearingStatus.CANCELLED
    )
    other = await add_hearing(db, calendar, theirs, at(DAY + timedelta(days=1), 10))
    other.adjudicator_id = bo.id
    await db.commit()

    await as_user(client, calendar.adjudicator)
    page = f"/{calendar.tribunal.slug}/staff/my-hearings"
    assert "My hearings" in text_of(await client.get(f"/{calendar.tribunal.slug}/staff"))
    shown = text_of(await client.get(page))
    assert ref(mine[0]) in shown
    assert ref(mine[1]) in shown
    assert shown.index(ref(mine[0])) < shown.index(ref(mine[1]))
    assert "Room A" in shown
    assert f"/staff/cases/{mine[0].id}" in shown
    assert ref(mine[2]) not in shown  # cancelled
    assert ref(theirs) not in shown  # another adjudicator's
    assert f"January 12, {NEXT_YEAR}" in shown
    assert "EST" in shown

    # A clerk is not an adjudicator: the page is not theirs.
    await as_user(client, calendar.clerk)
    assert (await client.get(page)).status_code == 404


async def test_my_hearings_pages_with_a_next_link(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    filings = [await calendar.accepted_case(db) for _ in range(27)]
    for n, filing in enumerate(filings):
        await add_hearing(db, calendar, filing, at(DAY + timedelta(days=n), 10))
    await as_user(client, calendar.adjudicator)
    page = f"/{calendar.tribunal.slug}/staff/my-hearings"
    first = text_of(await client.get(page))
    assert ref(filings[24]) in first
    assert ref(filings[25]) not in first
    match = re.search(r'href="([^"]*\?after=[^"]+)"', first)
    assert match
    second = text_of(await client.get(match.group(1)))
    assert ref(filings[25]) in second
    assert ref(filings[26]) in second
    assert ref(filings[24]) not in second
    assert "Next hearings" not in second
    assert "Next hearings" in first
    bad = await client.get(f"{page}?after=not-a-cursor")
    assert bad.status_code == 400
    assert "This page link is not valid" in text_of(bad)


async def test_my_hearings_puts_the_hearings_awaiting_their_outcome_first(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    held, later, recorded = [await calendar.accepted_case(db) for _ in range(3)]
    yesterday = utcnow().replace(second=0, microsecond=0) - timedelta(days=1)
    await add_hearing(db, calendar, held, yesterday)
    await add_hearing(db, calendar, recorded, yesterday, status=HearingStatus.HELD)
    await add_hearing(db, calendar, later, at(DAY, 10))
    await db.commit()

    await as_user(client, calendar.adjudicator)
    page = await client.get(f"/{calendar.tribunal.slug}/staff/my-hearings")
    shown = text_of(page)
    assert "Awaiting your outcome" in shown
    assert f"Record the outcome of the hearing of case {ref(held)}" in shown
    assert shown.index(ref(held)) < shown.index("Upcoming hearings") < shown.index(ref(later))
    assert ref(recorded) not in shown  # its outcome is recorded
