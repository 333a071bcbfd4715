"""Publishing a quarter's figures: only once it ended, once; corrections with a note; the
snapshot never changes when the events do, and recomputing it shows what differs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards import measurement, snapshots
from accountability.standards.models import PublishedFigures
from accountability.standards.periods import Quarter
from accountability.standards.snapshots import FigureDifference, PublicationRefused
from filings.cases import new_event
from tests.accountability.factories import (
    local,
    make_standard,
    make_standards_tribunal,
    make_timeline_case,
)
from tests.factories.tribunals import make_staff
from tribunals.models import Role
from tribune.audit import AuditAction, AuditEvent

Q1 = Quarter(2026, 1)
JULY = local(2026, 7, 2)


async def test_a_quarter_is_published_once_it_has_ended_and_only_once(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    first = await make_standard(db, tribunal, code="acknowledge")
    await make_standard(db, tribunal, code="later", effective_from=date(2026, 7, 1))
    await make_timeline_case(db, tribunal, local(2026, 4, 6, 10), [("accepted", local(2026, 4, 8))])

    with pytest.raises(PublicationRefused) as early:
        await snapshots.publish_quarter(db, tribunal, Q1, user=admin, now=local(2026, 6, 30, 23))
    assert early.value.message == (
        "The figures of Q1 2026–27 can be published once the quarter has ended, from July 1, 2026."
    )

    published = await snapshots.publish_quarter(db, tribunal, Q1, user=admin, now=JULY)
    await db.commit()
    assert (published.fiscal_year, published.quarter, published.version) == (2026, 1, 1)
    assert (published.published_at, published.published_by_id) == (JULY, admin.id)
    # Only the standard in force on 1 April, with the figures measurement gives.
    shown = snapshots.figures_of(published)
    assert [figures.code for figures in shown] == ["acknowledge"]
    measured = await measurement.measure_quarter(db, tribunal, first.standard, Q1, now=JULY)
    assert shown == [measured]
    assert published.figures["standards"][0]["definition"]["limit_days"] == 5
    assert published.figures["standards"][0]["totals"]["met"] == 1
    assert published.figures["standards"][0]["breakdowns"]["language"]["en"]["met"] == 1
    entry = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.tribunal_id == tribunal.id,
            AuditEvent.action == AuditAction.SERVICE_STANDARD_FIGURES_PUBLISHED.value,
        )
    )
    assert entry is not None
    assert entry.subject_id == published.id

    with pytest.raises(PublicationRefused) as again:
        await snapshots.publish_quarter(db, tribunal, Q1, user=admin, now=JULY)
    assert again.value.message == (
        "The figures of Q1 2026–27 are published already. To change them, publish a "
        "correction with a note of what changed and why."
    )
    assert len(await snapshots.publication_history(db, tribunal, Q1)) == 1


async def test_a_quarter_without_any_standard_in_force_has_nothing_to_publish(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    await make_standard(db, tribunal, effective_from=date(2026, 7, 1))
    with pytest.raises(PublicationRefused, match="nothing to publish"):
        await snapshots.publish_quarter(db, tribunal, Q1, user=None, now=JULY)
    assert await snapshots.latest_published(db, tribunal, Q1) is None


async def test_a_snapshot_stays_as_published_and_a_correction_is_a_new_version_with_a_note(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    await make_standard(db, tribunal, code="acknowledge")
    # Open past the limit when published (submitted 1 June).
    late = await make_timeline_case(db, tribunal, local(2026, 6, 1, 10))
    await make_timeline_case(db, tribunal, local(2026, 4, 6, 10), [("accepted", local(2026, 4, 8))])
    published = await snapshots.publish_quarter(db, tribunal, Q1, user=admin, now=JULY)
    await db.commit()
    published_figures = published.figures

    with pytest.raises(PublicationRefused) as unchanged:
        await snapshots.publish_correction(db, tribunal, Q1, "Checked again.", user=admin, now=JULY)
    assert unchanged.value.message == (
        "The figures are the same as those published: there is nothing to correct."
    )
    assert await snapshots.recompute(db, tribunal, published) == []

    # An acceptance recorded late, dated 5 June (4 business days: met): the events change.
    db.add(new_event(late, "accepted", actor_id=None, occurred_at=local(2026, 6, 5)))
    await db.commit()

    again = await snapshots.latest_published(db, tribunal, Q1)
    assert again is not None
    assert again.id == published.id
    assert again.figures == published_figures
    differences = await snapshots.recompute(db, tribunal, published)
    changed = {difference.figure: difference for difference in differences}
    assert changed["totals.met"] == FigureDifference("acknowledge", "totals.met", 1, 2)
    assert changed["totals.open_past_limit"] == FigureDifference(
        "acknowledge", "totals.open_past_limit", 1, 0
    )
    # Stopped: 2 days, and now 4 too; the 90th percentile is the second, the median the first.
    assert changed["totals.p90_days"] == FigureDifference("acknowledge", "totals.p90_days", 2, 4)
    assert "totals.median_days" not in changed
    assert changed["breakdowns.language.en.met"].recomputed == 2
    assert "totals.missed" not in changed

    with pytest.raises(PublicationRefused) as no_note:
        await snapshots.publish_correction(db, tribunal, Q1, "   ", user=admin, now=JULY)
    assert no_note.value.message == "Say what the correction changes, and why."
    correction = await snapshots.publish_correction(
        db,
        tribunal,
        Q1,
        "An acceptance of 5 June was recorded late; the case met the standard.",
        user=admin,
        now=local(2026, 7, 20),
    )
    await db.commit()
    assert (correction.version, correction.note) == (
        2,
        "An acceptance of 5 June was recorded late; the case met the standard.",
    )
    assert correction.figures["standards"][0]["totals"]["met"] == 2
    assert await snapshots.recompute(db, tribunal, correction) == []
    latest = await snapshots.latest_published(db, tribunal, Q1)
    assert latest is not None
    assert latest.id == correction.id
    assert [p.version for p in await snapshots.publication_history(db, tribunal, Q1)] == [1, 2]
    # The first publication is kept as it was.
    first = await db.get_one(PublishedFigures, published.id)
    assert first.figures == published_figures
    entry = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.tribunal_id == tribunal.id,
            AuditEvent.action == AuditAction.SERVICE_STANDARD_FIGURES_CORRECTED.value,
        )
    )
    assert entry is not None
    assert entry.details["version"] == 2


async def test_a_correction_needs_a_first_publication(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    await make_standard(db, tribunal)
    with pytest.raises(PublicationRefused) as refused:
        await snapshots.publish_correction(db, tribunal, Q1, "A fix.", user=None, now=JULY)
    assert refused.value.message == (
        "The figures of Q1 2026–27 are not published yet: publish them first."
    )


async def test_the_latest_version_of_each_published_quarter_newest_first(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    await make_standard(db, tribunal, effective_from=date(2026, 1, 1))
    case = await make_timeline_case(db, tribunal, local(2026, 3, 2, 10))
    for quarter in (Quarter(2025, 4), Q1, Quarter(2026, 2)):
        await snapshots.publish_quarter(db, tribunal, quarter, user=None, now=local(2026, 10, 2))
    db.add(new_event(case, "withdrawn", actor_id=None, occurred_at=local(2026, 5, 1)))
    await db.commit()
    await snapshots.publish_correction(
        db, tribunal, Q1, "A withdrawal was recorded late.", user=None, now=local(2026, 10, 3)
    )
    latest = await snapshots.published_quarters(db, tribunal)
    assert [(p.fiscal_year, p.quarter, p.version) for p in latest] == [
        (2026, 2, 1),
        (2026, 1, 2),
        (2025, 4, 1),
    ]
    assert len(await snapshots.published_quarters(db, tribunal, limit=2)) == 2
    other = await make_standards_tribunal(db)
    assert await snapshots.published_quarters(db, other) == []


async def test_published_figures_cannot_be_changed_in_the_database(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    await make_standard(db, tribunal)
    published = await snapshots.publish_quarter(db, tribunal, Q1, user=None, now=JULY)
    await db.commit()
    published_id = published.id
    changes: list[dict[str, Any]] = [
        {"figures": {"standards": []}},
        {"note": "quietly"},
        {"version": 7},
    ]
    for change in changes:
        with pytest.raises(DBAPIError, match="never change"):
            await db.execute(
                update(PublishedFigures)
                .where(PublishedFigures.id == published_id)
                .values(**change)
                .execution_options(synchronize_session=False)
            )
        await db.rollback()
    stored = await db.get_one(PublishedFigures, published_id)
    assert (stored.version, stored.note) == (1, "")
    assert stored.figures["standards"]
