"""Deadlines count business days: weekends and the province's public holidays are skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from filings.deadlines import add_business_days, business_days_between, due_after, today_in
from tribunals.models import Tribunal


@pytest.mark.parametrize(
    ("start", "days", "province", "expected"),
    [
        (date(2026, 11, 23), 0, "ON", date(2026, 11, 23)),  # nothing to add
        (date(2026, 11, 23), 1, "ON", date(2026, 11, 24)),  # Monday -> Tuesday
        (date(2026, 11, 27), 1, "ON", date(2026, 11, 30)),  # Friday -> Monday
        (date(2026, 11, 23), 10, "ON", date(2026, 12, 7)),  # two working weeks
        # Christmas (Friday) and Boxing Day observed (Monday 28) are not business days.
        (date(2026, 12, 24), 1, "ON", date(2026, 12, 29)),
        # 24 June is a holiday in Quebec (Saint-Jean-Baptiste), not in Ontario.
        (date(2026, 6, 23), 1, "QC", date(2026, 6, 25)),
        (date(2026, 6, 23), 1, "ON", date(2026, 6, 24)),
    ],
)
def test_add_business_days_skips_weekends_and_the_provinces_holidays(
    start: date, days: int, province: str, expected: date
) -> None:
    assert add_business_days(start, days, province) == expected
    assert business_days_between(start, expected, province) == days


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_days(date(2026, 1, 5), -1, "ON")


def test_today_and_due_dates_are_where_the_tribunal_sits() -> None:
    tribunal = Tribunal(slug="t", name_en="T", name_fr="T", time_zone="America/Toronto")
    tribunal.province = "ON"
    # 03:00 UTC on 24 November is still 23 November in Toronto.
    late_evening = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert today_in(tribunal, late_evening) == date(2026, 11, 23)
    assert due_after(tribunal, 1, late_evening) == date(2026, 11, 24)
