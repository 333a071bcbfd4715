"""Tables of `accountability.standards`: each tribunal's service standards and their
versioned definitions, the calendar of local days they are counted in, and the quarterly
figures published.

A definition is never edited once saved: an edit is a new `StandardVersion`, in force from
the first day of a fiscal quarter, so every quarter is measured with the one definition in
force on its first day. Published figures are never changed either: a correction is a new
`PublishedFigures` version with a note. On both databases a trigger refuses any change to
the columns that say what a version or a publication is (migration 0021).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Base, Model, enum_by_value

# The longest limit a standard may set, in days of either unit: ten years.
MAX_LIMIT_DAYS = 3650


class ClockUnit(enum.Enum):
    """What a standard's limit counts: business days (weekdays but the tribunal's province's
    holidays) or calendar days."""

    BUSINESS_DAYS = "business_days"
    CALENDAR_DAYS = "calendar_days"


class ServiceStandard(Model):
    """A service standard a tribunal declares (its definitions are its versions)."""

    __tablename__ = "service_standards"
    __table_args__ = (UniqueConstraint("tribunal_id", "code"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    # A short name for links and exports ("acknowledge", "hearing-within-90").
    code: Mapped[str] = mapped_column(String(40))
    # Where the standard is listed among the tribunal's, from 1.
    position: Mapped[int] = mapped_column(default=1)


class StandardVersion(Model):
    """One definition of a standard, in force from the first day of a fiscal quarter until
    the next version's; never changed once saved."""

    __tablename__ = "service_standard_versions"
    __table_args__ = (
        UniqueConstraint("standard_id", "number"),
        Index("ix_service_standard_versions_in_force", "standard_id", "effective_from", "number"),
        CheckConstraint(f"limit_days >= 1 AND limit_days <= {MAX_LIMIT_DAYS}", name="limit_days"),
        CheckConstraint("target_percent >= 1 AND target_percent <= 100", name="target_percent"),
        CheckConstraint("(pause_event IS NULL) = (resume_event IS NULL)", name="pause_resume"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    standard_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_standards.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    # Codes of the event catalogue (`accountability.standards.events`).
    start_event: Mapped[str] = mapped_column(String(40))
    stop_event: Mapped[str] = mapped_column(String(40))
    pause_event: Mapped[str | None] = mapped_column(String(40))
    resume_event: Mapped[str | None] = mapped_column(String(40))
    # Only cases of this kind (`CaseType.code`), or every case when None.
    case_type_code: Mapped[str | None] = mapped_column(String(40))
    limit_days: Mapped[int]
    unit: Mapped[ClockUnit] = mapped_column(enum_by_value(ClockUnit))
    # The share of cases the tribunal promises to stop within the limit, in percent.
    target_percent: Mapped[int]
    # The first day of the fiscal quarter from which this definition applies.
    effective_from: Mapped[date]
    # Why the definition changed (or anything to say of the first one).
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class PublishedFigures(Model):
    """A tribunal's figures for a fiscal quarter as published: version 1 is the first
    publication, each later version a correction with a note of what changed and why."""

    __tablename__ = "published_standard_figures"
    __table_args__ = (
        UniqueConstraint("tribunal_id", "fiscal_year", "quarter", "version"),
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter"),
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint("version = 1 OR note <> ''", name="correction_note"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    # The calendar year the fiscal year starts in: 2026 is April 2026 to March 2027.
    fiscal_year: Mapped[int]
    quarter: Mapped[int]
    version: Mapped[int]
    # Per standard: its definition, every count, the share, median and 90th percentile, and
    # the breakdowns (`accountability.standards.snapshots.figures_json`).
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime]
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class StandardDay(Base):
    """One local day of a tribunal's calendar, for day arithmetic in SQL: the UTC instants it
    starts and ends at in the tribunal's time zone (23 or 25 hours apart on the days the
    clocks change), and two running indexes whose differences count days.

    ``day_number`` counts calendar days (the date's ordinal); ``business_index`` counts the
    business days from `calendar.EPOCH` up to and including the day, so that
    ``business_index(b) - business_index(a)`` is the number of business days after `a` up
    to and including `b`, as `filings.deadlines.business_days_between` counts them. Filled
    on demand (`accountability.standards.calendar.ensure_days`) with the province and zone
    it was computed for, refilled when the tribunal's change."""

    __tablename__ = "standard_days"
    __table_args__ = (
        UniqueConstraint("tribunal_id", "starts_at"),
        CheckConstraint("starts_at < ends_at", name="starts_before_end"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tribunals.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    day_number: Mapped[int] = mapped_column(Integer)
    business_index: Mapped[int] = mapped_column(Integer)
    is_business_day: Mapped[bool]
    province: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(60))
