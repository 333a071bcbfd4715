"""The demo data gives each demo tribunal cases in several states, for the docket to show."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.demo import DEMO_CASES, load_demo_case_types, load_demo_cases
from filings.models import CaseParty, Filing, FilingStatus
from tests.helpers import sign_in
from tribunals.commands import DEMO_PASSWORD, load_demo_data


async def test_demo_cases_fill_the_docket_once(client: httpx.AsyncClient, db: AsyncSession) -> None:
    await load_demo_data(db)
    await load_demo_case_types(db)
    created = await load_demo_cases(db, DEMO_PASSWORD)
    await db.commit()
    assert created == 2 * len(DEMO_CASES)
    assert await load_demo_cases(db, DEMO_PASSWORD) == 0  # a second run adds nothing
    statuses = set((await db.scalars(select(Filing.status))).all())
    assert FilingStatus.RETURNED in statuses
    assert FilingStatus.ACCEPTED in statuses
    parties = await db.scalar(select(func.count()).select_from(CaseParty))
    assert parties is not None
    assert parties >= created

    await sign_in(client, "clerk@wcat.example", password=DEMO_PASSWORD)
    docket = await client.get("/wcat/staff/docket")
    assert docket.status_code == 200
    assert docket.text.count("WCAT-") >= len(DEMO_CASES)
    await sign_in(client, "claimant@example.org", password=DEMO_PASSWORD)
    mine = await client.get("/my-cases")
    assert "WCAT-" in mine.text
    assert "LRB-" in mine.text
