"""The demo data gives each demo tribunal hearing hours, availability for its adjudicators,
two interpreters (one spoken, one signed) and a room, once."""

from __future__ import annotations

from datetime import time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.demo import load_demo_case_types, load_demo_cases
from hearings.demo import load_demo_hearings
from hearings.models import HearingHours, HearingRoom, Interpreter, WeeklyAvailability
from tests.helpers import sign_in
from tribunals.commands import DEMO_PASSWORD, load_demo_data
from tribunals.services import tribunal_by_slug


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
