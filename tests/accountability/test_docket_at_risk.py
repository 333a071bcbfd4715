"""The docket's "at risk" filter lists the open cases that missed a service standard or will
within five days, and no other; a wrong value is refused like the other filters."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards.periods import Quarter
from filings.deadlines import today_in
from tests.accountability.factories import (
    make_standard,
    make_standards_tribunal,
    make_timeline_case,
)
from tests.factories.tribunals import make_staff
from tests.helpers import sign_in
from tribunals.models import Role
from tribune.db import utcnow


async def test_the_docket_filters_the_cases_at_risk(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    today = today_in(tribunal)
    await make_standard(
        db, tribunal, limit_days=10, effective_from=Quarter.containing(today).first_day
    )
    now = utcnow()
    # Submitted 15 days ago, not accepted: past 10 business days.
    late = await make_timeline_case(db, tribunal, now - timedelta(days=15))
    # Submitted just now: 10 business days to go.
    fresh = await make_timeline_case(db, tribunal, now - timedelta(minutes=5))
    # Submitted 15 days ago and accepted: its clock stopped.
    done = await make_timeline_case(
        db, tribunal, now - timedelta(days=15), [("accepted", now - timedelta(days=1))]
    )
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await sign_in(client, clerk.email)

    everything = await client.get(f"/{tribunal.slug}/staff/docket")
    assert "Only cases at risk of missing a service standard" in everything.text
    for case in (late, fresh, done):
        assert str(case.reference) in everything.text
    at_risk = await client.get(f"/{tribunal.slug}/staff/docket", params={"at_risk": "yes"})
    assert at_risk.status_code == 200
    assert str(late.reference) in at_risk.text
    assert str(fresh.reference) not in at_risk.text
    assert str(done.reference) not in at_risk.text

    wrong = await client.get(f"/{tribunal.slug}/staff/docket", params={"at_risk": "maybe"})
    assert wrong.status_code == 422
    assert "Select whether to show only cases at risk" in wrong.text
