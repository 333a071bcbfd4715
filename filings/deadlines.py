"""Deadlines in business days: weekends and the public holidays of the tribunal's province."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import holidays

from tribunals.models import Tribunal
from tribune.db import local_today


@functools.lru_cache(maxsize=64)
def _holidays_of(province: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("CA", subdiv=province, years=year))


def is_holiday(day: date, province: str) -> bool:
    """Return whether a day is a public holiday in the province (or federally)."""
    return day in _holidays_of(province, day.year)


def is_business_day(day: date, province: str) -> bool:
    return day.weekday() < 5 and not is_holiday(day, province)


def add_business_days(start: date, days: int, province: str) -> date:
    """Return the date `days` business days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, province):
            remaining -= 1
    return day


def business_days_between(start: date, end: date, province: str) -> int:
    """Return the number of business days after `start` up to and including `end`
    (negative when `end` is before `start`)."""
    if end < start:
        return -business_days_between(end, start, province)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_business_day(day, province):
            count += 1
    return count


def today_in(tribunal: Tribunal, now: datetime | None = None) -> date:
    """Return today's date where the tribunal sits."""
    return local_today(tribunal.time_zone, now)


def due_after(tribunal: Tribunal, business_days: int, now: datetime | None = None) -> date:
    """Return the date `business_days` business days from today, in the tribunal's province."""
    return add_business_days(today_in(tribunal, now), business_days, tribunal.province)
