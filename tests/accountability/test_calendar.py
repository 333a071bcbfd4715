"""The calendar measurement counts days with: local days with their UTC bounds, business-day
indexes that agree with the deadlines' count, filled on demand, idempotent, quick."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards.calendar import ensure_days
from accountability.standards.models import StandardDay
from filings.deadlines import business_days_between
from tests.accountability.factories import make_standards_tribunal
from tribunals.models import Tribunal


async def days_of(db: AsyncSession, tribunal: Tribunal) -> dict[date, StandardDay]:
    rows = await db.scalars(select(StandardDay).where(StandardDay.tribunal_id == tribunal.id))
    return {row.day: row for row in rows}


async def test_each_local_day_has_its_utc_bounds_and_running_indexes(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    await ensure_days(db, tribunal, date(2026, 3, 1), date(2026, 11, 30))
    days = await days_of(db, tribunal)
    assert len(days) == (date(2026, 11, 30) - date(2026, 3, 1)).days + 1

    # Toronto's midnight is 05:00 UTC in winter, 04:00 in summer; the days the clocks change
    # last 23 and 25 hours.
    assert days[date(2026, 3, 1)].starts_at == datetime(2026, 3, 1, 5, tzinfo=UTC)
    assert days[date(2026, 7, 1)].starts_at == datetime(2026, 7, 1, 4, tzinfo=UTC)
    spring = days[date(2026, 3, 8)]
    assert spring.ends_at - spring.starts_at == timedelta(hours=23)
    autumn = days[date(2026, 11, 1)]
    assert autumn.ends_at - autumn.starts_at == timedelta(hours=25)
    assert all(
        days[day].ends_at == days[day + timedelta(days=1)].starts_at
        for day in days
        if day + timedelta(days=1) in days
    )

    # Canada Day and a weekend are not business days; the index does not move on them.
    assert not days[date(2026, 7, 1)].is_business_day
    assert days[date(2026, 7, 1)].business_index == days[date(2026, 6, 30)].business_index
    assert days[date(2026, 7, 5)].business_index == days[date(2026, 7, 3)].business_index
    assert days[date(2026, 7, 6)].day_number - days[date(2026, 7, 3)].day_number == 3
    # Differences of indexes count business days as the deadlines do.
    for first, last in [
        (date(2026, 4, 2), date(2026, 4, 10)),
        (date(2026, 6, 26), date(2026, 7, 6)),
        (date(2026, 5, 15), date(2026, 5, 19)),
    ]:
        assert days[last].business_index - days[first].business_index == business_days_between(
            first, last, "ON"
        )


async def test_filling_is_idempotent_and_keeps_one_unbroken_range(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    await ensure_days(db, tribunal, date(2026, 4, 1), date(2026, 4, 30))
    before = await days_of(db, tribunal)
    await ensure_days(db, tribunal, date(2026, 4, 10), date(2026, 4, 20))
    assert len(await days_of(db, tribunal)) == 30

    # Asked for a later month: the gap between is filled too, and the indexes held agree
    # with the new ones.
    await ensure_days(db, tribunal, date(2026, 8, 1), date(2026, 8, 31))
    after = await days_of(db, tribunal)
    assert min(after) == date(2026, 4, 1)
    assert max(after) == date(2026, 8, 31)
    assert len(after) == (date(2026, 8, 31) - date(2026, 4, 1)).days + 1
    assert after[date(2026, 4, 15)].business_index == before[date(2026, 4, 15)].business_index
    assert after[date(2026, 8, 4)].business_index - after[date(2026, 4, 30)].business_index == (
        business_days_between(date(2026, 4, 30), date(2026, 8, 4), "ON")
    )


async def test_the_calendar_is_refilled_when_the_tribunal_moves(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    await ensure_days(db, tribunal, date(2026, 8, 1), date(2026, 8, 10))
    # Ontario's Civic Holiday is not a statutory holiday; British Columbia Day is.
    assert (await days_of(db, tribunal))[date(2026, 8, 3)].is_business_day
    tribunal.province = "BC"
    tribunal.time_zone = "America/Vancouver"
    await db.commit()
    await ensure_days(db, tribunal, date(2026, 8, 1), date(2026, 8, 10))
    days = await days_of(db, tribunal)
    assert {row.province for row in days.values()} == {"BC"}
    assert not days[date(2026, 8, 3)].is_business_day
    assert days[date(2026, 8, 3)].starts_at == datetime(2026, 8, 3, 7, tzinfo=UTC)


async def test_ten_years_are_filled_quickly(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    started = time.perf_counter()
    await ensure_days(db, tribunal, date(2020, 1, 1), date(2029, 12, 31))
    elapsed = time.perf_counter() - started
    count = await db.scalar(
        select(func.count()).select_from(StandardDay).where(StandardDay.tribunal_id == tribunal.id)
    )
    assert count == (date(2029, 12, 31) - date(2020, 1, 1)).days + 1
    assert elapsed < 5
