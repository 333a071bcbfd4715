"""Fiscal years and quarters, the periods standards are measured and published over and the
annual report covers.

The fiscal year runs from April to March (the Government of Ontario's and Canada's), and
is named by the calendar year it starts in: fiscal year 2026 is April 2026 to March 2027,
written 2026–27. Its quarters are April–June (1), July–September (2), October–December (3)
and January–March (4). A period is a range of the tribunal's local days, [first, end): its
instants are the local midnights where the tribunal sits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tribune.i18n import gettext as _

# The month a fiscal year starts in. A setting per tribunal could replace it; none asks yet.
FISCAL_YEAR_START_MONTH = 4


def local_midnight(day: date, zone: str) -> datetime:
    """Return the UTC instant a local day starts at in a time zone."""
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


@dataclass(frozen=True, order=True)
class FiscalYear:
    """A fiscal year, named by the calendar year it starts in: 2025 is April 2025 to March
    2026, written 2025–26. The one notion of a year the standards and the annual report
    share."""

    start_year: int

    @classmethod
    def containing(cls, day: date) -> FiscalYear:
        """Return the fiscal year a day falls in."""
        return cls(day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1)

    @property
    def first_day(self) -> date:
        return date(self.start_year, FISCAL_YEAR_START_MONTH, 1)

    @property
    def end_day(self) -> date:
        """The day after the year's last: the next year's first."""
        return date(self.start_year + 1, FISCAL_YEAR_START_MONTH, 1)

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def label(self) -> str:
        """The year as it is written: 2025–26."""
        return f"{self.start_year}–{(self.start_year + 1) % 100:02d}"

    @property
    def quarters(self) -> tuple[Quarter, Quarter, Quarter, Quarter]:
        """The year's four quarters, in order."""
        return (
            Quarter(self.start_year, 1),
            Quarter(self.start_year, 2),
            Quarter(self.start_year, 3),
            Quarter(self.start_year, 4),
        )

    def starts_at(self, zone: str) -> datetime:
        """The instant the year starts, where the tribunal sits."""
        return local_midnight(self.first_day, zone)

    def ends_at(self, zone: str) -> datetime:
        """The instant the year ends (the next one's start), where the tribunal sits."""
        return local_midnight(self.end_day, zone)

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """Return the year's first instant and the next year's first, where the tribunal sits."""
        return self.starts_at(zone), self.ends_at(zone)

    def has_ended(self, zone: str, now: datetime) -> bool:
        return now >= self.ends_at(zone)

    def previous(self) -> FiscalYear:
        return FiscalYear(self.start_year - 1)


def fiscal_year_of(day: date) -> FiscalYear:
    """Return the fiscal year a day falls in."""
    return FiscalYear.containing(day)


@dataclass(frozen=True, order=True)
class Quarter:
    """A quarter of a fiscal year."""

    fiscal_year: int
    number: int  # 1 to 4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError("a fiscal year has four quarters")

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """Return the quarter a day falls in."""
        months = (day.month - FISCAL_YEAR_START_MONTH) % 12
        return cls(FiscalYear.containing(day).start_year, months // 3 + 1)

    @property
    def year(self) -> FiscalYear:
        return FiscalYear(self.fiscal_year)

    @property
    def first_day(self) -> date:
        months = FISCAL_YEAR_START_MONTH - 1 + (self.number - 1) * 3
        return date(self.fiscal_year + months // 12, months % 12 + 1, 1)

    @property
    def end_day(self) -> date:
        """The day after the quarter's last: the next quarter's first."""
        return self.next().first_day

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.fiscal_year + 1, 1)
        return Quarter(self.fiscal_year, self.number + 1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.fiscal_year - 1, 4)
        return Quarter(self.fiscal_year, self.number - 1)

    def starts_at(self, zone: str) -> datetime:
        """The instant the quarter starts, where the tribunal sits."""
        return local_midnight(self.first_day, zone)

    def ends_at(self, zone: str) -> datetime:
        """The instant the quarter ends (the next one's start), where the tribunal sits."""
        return local_midnight(self.end_day, zone)

    def has_ended(self, zone: str, now: datetime) -> bool:
        return now >= self.ends_at(zone)

    @property
    def label(self) -> str:
        """The quarter's name in the current language: "Q1 2026–27" / "T1 2026-2027"."""
        return _(
            "Q%(number)s %(fiscal_year)s",
            number=self.number,
            fiscal_year=fiscal_year_label(self.fiscal_year),
        )


def fiscal_year_label(fiscal_year: int) -> str:
    """Return the fiscal year as it is written: 2026–27."""
    return FiscalYear(fiscal_year).label


def quarters_of(fiscal_year: int) -> tuple[Quarter, Quarter, Quarter, Quarter]:
    """Return the four quarters of a fiscal year, in order."""
    return FiscalYear(fiscal_year).quarters


def is_quarter_start(day: date) -> bool:
    """Return whether a day is the first day of a fiscal quarter."""
    return Quarter.containing(day).first_day == day


def last_quarters(day: date, count: int = 4) -> list[Quarter]:
    """Return the `count` quarters that ended last before `day`'s quarter, oldest first
    (what the public page shows: the last four complete quarters)."""
    quarter = Quarter.containing(day)
    chosen = []
    for _step in range(count):
        quarter = quarter.previous()
        chosen.append(quarter)
    return chosen[::-1]
