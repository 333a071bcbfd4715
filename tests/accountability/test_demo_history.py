"""The demo data gives each demo tribunal a history of cases for its service standards to
measure: every one of the last four quarters holds ten cases or more reaching each step, the
timelines run forward and end in the status the case has, and heard cases have their hearing."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.demo import (
    CASES_PER_TRIBUNAL,
    HISTORY_CLAIMANTS,
    load_demo_history,
    load_demo_standards,
)
from accountability.standards.snapshots import figures_of, published_quarters
from filings.demo import load_demo_case_types
from filings.models import CaseEvent, Filing, FilingStatus
from hearings.models import Hearing, HearingStatus
from tribunals.commands import DEMO_PASSWORD, load_demo_data
from tribunals.models import Tribunal
from tribune.db import utcnow

ENDS_IN = {
    "submitted": FilingStatus.SUBMITTED,
    "resubmitted": FilingStatus.SUBMITTED,
    "returned": FilingStatus.RETURNED,
    "accepted": FilingStatus.ACCEPTED,
    "adjourned": FilingStatus.ACCEPTED,
    "heard": FilingStatus.HEARD,
    "decided": FilingStatus.DECIDED,
    "closed": FilingStatus.CLOSED,
    "withdrawn": FilingStatus.WITHDRAWN,
    "dismissed": FilingStatus.DISMISSED,
}


async def test_the_history_is_made_once_and_reads_like_real_casework(db: AsyncSession) -> None:
    await load_demo_data(db)
    await load_demo_case_types(db)
    made = await load_demo_history(db, DEMO_PASSWORD)
    await db.flush()
    assert 2 * CASES_PER_TRIBUNAL - 10 <= made <= 2 * CASES_PER_TRIBUNAL
    assert await load_demo_history(db, DEMO_PASSWORD) == 0  # a second run adds nothing

    filings = {filing.id: filing for filing in (await db.scalars(select(Filing))).all()}
    events = (
        await db.scalars(select(CaseEvent).order_by(CaseEvent.occurred_at, CaseEvent.id))
    ).all()
    timelines: dict[uuid.UUID, list[CaseEvent]] = defaultdict(list)
    for event in events:
        timelines[event.filing_id].append(event)
    held = {
        hearing.filing_id
        for hearing in (await db.scalars(select(Hearing))).all()
        if hearing.status is HearingStatus.HELD
    }
    now = utcnow()
    for filing_id, timeline in timelines.items():
        filing = filings[filing_id]
        assert timeline[0].kind == "submitted"
        assert all(event.occurred_at < now for event in timeline)
        assert filing.status is ENDS_IN[timeline[-1].kind], filing.reference
        assert filing.status is not FilingStatus.SCHEDULED  # never without its hearing
        if any(event.kind == "heard" for event in timeline):
            assert filing_id in held, filing.reference

    # The last four quarters (of 91 days, near enough) each hold ten acceptances or more per
    # tribunal, and ten decisions or more in the last three: enough for every share to show.
    for tribunal_id in {filing.tribunal_id for filing in filings.values()}:
        for kind, quarters in (("accepted", 4), ("decided", 3)):
            per_quarter = Counter(
                (now - event.occurred_at).days // 91
                for event in events
                if event.kind == kind and filings[event.filing_id].tribunal_id == tribunal_id
            )
            assert all(per_quarter[quarter] >= 10 for quarter in range(quarters)), (
                kind,
                per_quarter,
            )
    assert now - min(event.occurred_at for event in events) > timedelta(days=365)
    assert len(HISTORY_CLAIMANTS) >= 10


async def test_the_demo_tribunals_publish_four_quarters_of_three_standards(
    db: AsyncSession,
) -> None:
    await load_demo_data(db)
    await load_demo_case_types(db)
    await load_demo_history(db, DEMO_PASSWORD)
    await db.flush()
    assert await load_demo_standards(db) == 6
    assert await load_demo_standards(db) == 0  # once
    tribunals = {filing.tribunal_id for filing in (await db.scalars(select(Filing))).all()}
    for tribunal_id in tribunals:
        tribunal = await db.get(Tribunal, tribunal_id)
        assert tribunal is not None
        published = await published_quarters(db, tribunal)
        assert len(published) == 4
        for snapshot in published:
            figures = figures_of(snapshot)
            assert [standard.code for standard in figures] == [
                "check-filings",
                "hold-hearings",
                "issue-decisions",
            ]
            # Every quarter's filings check measures ten cases or more: its share is shown.
            assert figures[0].totals.stopped >= 10
