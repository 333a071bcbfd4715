"""The calendar of a tribunal's local days that measurement counts days with, in SQL.

Every row is computed from the day, the tribunal's time zone and its province's holidays
alone (the business-day index counts from a fixed `EPOCH`), so two requests filling the
same days at once write the same values and the second's are skipped: filling is
idempotent and needs no lock. The rows of a tribunal always cover one unbroken range of
days, which measurement relies on to find the day an instant falls in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards.models import StandardDay
from accountability.standards.periods import local_midnight
from filings.deadlines import is_business_day
from tribunals.models import Tribunal
from tribune.db import local_today

# Business days are counted from this day (a Monday), the first the calendar can hold.
EPOCH = date(2000, 1, 3)

# Rows written per INSERT statement.
_BATCH = 1000


def _business_days_before(day: date, province: str) -> int:
    """Return the number of business days from EPOCH up to the day before `day`."""
    count = 0
    current = EPOCH
    while current < day:
        if is_business_day(current, province):
            count += 1
        current += timedelta(days=1)
    return count


def day_rows(tribunal: Tribunal, first: date, last: date) -> list[dict[str, Any]]:
    """Return the calendar's rows for the tribunal's days from `first` to `last`, inclusive."""
    if first < EPOCH:
        raise ValueError(f"the calendar starts on {EPOCH.isoformat()}")
    index = _business_days_before(first, tribunal.province)
    rows = []
    day = first
    starts_at = local_midnight(day, tribunal.time_zone)
    while day <= last:
        following = day + timedelta(days=1)
        ends_at = local_midnight(following, tribunal.time_zone)
        business = is_business_day(day, tribunal.province)
        index += 1 if business else 0
        rows.append(
            {
                "tribunal_id": tribunal.id,
                "day": day,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "day_number": day.toordinal(),
                "business_index": index,
                "is_business_day": business,
                "province": tribunal.province,
                "time_zone": tribunal.time_zone,
            }
        )
        day, starts_at = following, ends_at
    return rows


async def ensure_days(db: AsyncSession, tribunal: Tribunal, first: date, last: date) -> None:
    """Make the tribunal's calendar hold every day from `first` to `last` (inclusive), and
    every day between those and the days it already holds; refill it when the tribunal's
    province or time zone changed since it was filled. Adds nothing when it holds them."""
    first = max(first, EPOCH)
    if last < first:
        return
    stale = await db.scalar(
        select(StandardDay.day)
        .where(
            StandardDay.tribunal_id == tribunal.id,
            or_(
                StandardDay.province != tribunal.province,
                StandardDay.time_zone != tribunal.time_zone,
            ),
        )
        .limit(1)
    )
    if stale is not None:
        await db.execute(delete(StandardDay).where(StandardDay.tribunal_id == tribunal.id))
    held = (
        await db.execute(
            select(func.min(StandardDay.day), func.max(StandardDay.day)).where(
                StandardDay.tribunal_id == tribunal.id
            )
        )
    ).one()
    low, high = held
    if low is not None and high is not None:
        if low <= first and last <= high:
            return
        # Keep one unbroken range: fill the gap between what is held and what is asked.
        ranges = []
        if first < low:
            ranges.append((first, low - timedelta(days=1)))
        if last > high:
            ranges.append((high + timedelta(days=1), last))
    else:
        ranges = [(first, last)]
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    for range_first, range_last in ranges:
        rows = day_rows(tribunal, range_first, range_last)
        for start in range(0, len(rows), _BATCH):
            await db.execute(
                insert(StandardDay).on_conflict_do_nothing(),
                rows[start : start + _BATCH],
            )


async def ensure_instants(
    db: AsyncSession, tribunal: Tribunal, first: datetime, last: datetime
) -> None:
    """Make the calendar hold the local days of two instants and every day between."""
    zone = tribunal.time_zone
    await ensure_days(db, tribunal, local_today(zone, first), local_today(zone, last))
