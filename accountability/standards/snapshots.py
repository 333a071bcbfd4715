"""Each quarter's figures published as a snapshot that never changes, and checked again.

A tribunal publishes a fiscal quarter once it has ended: every standard that had a
definition in force on the quarter's first day, measured as of the quarter's end, with the
definition used, is stored as version 1 (`models.PublishedFigures`). Publishing again is
refused; a correction is version n + 1, with a note saying what changed and why, and only
when the figures did change. What is published can always be recomputed from the case
events with the definitions it names, and compared figure by figure (`recompute`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards.measurement import (
    BREAKDOWNS,
    Breakdown,
    Figures,
    StandardFigures,
    measure,
    measure_quarter,
)
from accountability.standards.models import PublishedFigures, ServiceStandard, StandardVersion
from accountability.standards.periods import Quarter
from accountability.standards.services import Definition, standard_of, standards_of
from accounts.models import User
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import local_today, utcnow
from tribune.i18n import format_date, format_number
from tribune.i18n import gettext as _

# The shape of `PublishedFigures.figures`; a later shape would be read by its number.
FIGURES_FORMAT = 1
CORRECTION_NOTE_MAX_LENGTH = 2000


class PublicationRefused(Exception):  # noqa: N818 - reads as what happened
    """A quarter cannot be published (or corrected) as asked; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the snapshot's JSON ------------------------------------------------------------------------


def figures_json(quarter: Quarter, measured: list[StandardFigures]) -> dict[str, Any]:
    """Return what a publication stores: per standard, the definition used, every count,
    the share, median and 90th percentile, and the breakdowns."""
    return {
        "format": FIGURES_FORMAT,
        "fiscal_year": quarter.fiscal_year,
        "quarter": quarter.number,
        "standards": [
            {
                "standard_id": str(figures.standard_id),
                "code": figures.code,
                "definition": figures.definition.to_json(),
                "first_day": figures.first_day.isoformat(),
                "end_day": figures.end_day.isoformat(),
                "as_of": figures.as_of.isoformat(),
                "totals": figures.totals.to_json(),
                "breakdowns": {
                    dimension: {
                        item.value: item.figures.to_json() for item in figures.breakdown(dimension)
                    }
                    for dimension in BREAKDOWNS
                },
            }
            for figures in measured
        ],
    }


def figures_of(published: PublishedFigures) -> list[StandardFigures]:
    """Return the figures a publication holds, as measurement returns them (the public page
    shows published figures only through this)."""
    return [_standard_figures(item) for item in published.figures.get("standards", [])]


def _standard_figures(item: Mapping[str, Any]) -> StandardFigures:
    breakdowns = item.get("breakdowns") or {}
    return StandardFigures(
        standard_id=uuid.UUID(str(item["standard_id"])),
        code=str(item["code"]),
        definition=Definition.from_json(item["definition"]),
        first_day=date.fromisoformat(str(item["first_day"])),
        end_day=date.fromisoformat(str(item["end_day"])),
        as_of=datetime.fromisoformat(str(item["as_of"])),
        totals=Figures.from_json(item["totals"]),
        breakdowns=tuple(
            Breakdown(dimension, value, Figures.from_json((breakdowns.get(dimension) or {})[value]))
            for dimension, values in BREAKDOWNS.items()
            for value in values
            if value in (breakdowns.get(dimension) or {})
        ),
    )


# -- publishing -------------------------------------------------------------------------------


async def measure_for_publication(
    db: AsyncSession, tribunal: Tribunal, quarter: Quarter, *, now: datetime | None = None
) -> list[StandardFigures]:
    """Return the quarter's figures of every standard with a definition in force on its
    first day, in the order the standards are listed (what publishing it would store)."""
    measured = []
    for standard in await standards_of(db, tribunal):
        figures = await measure_quarter(db, tribunal, standard, quarter, now=now)
        if figures is not None:
            measured.append(figures)
    return measured


async def latest_published(
    db: AsyncSession, tribunal: Tribunal, quarter: Quarter
) -> PublishedFigures | None:
    """Return the latest published version of a quarter's figures, or None if unpublished."""
    return await db.scalar(
        select(PublishedFigures)
        .where(
            PublishedFigures.tribunal_id == tribunal.id,
            PublishedFigures.fiscal_year == quarter.fiscal_year,
            PublishedFigures.quarter == quarter.number,
        )
        .order_by(PublishedFigures.version.desc())
        .limit(1)
    )


async def publication_history(
    db: AsyncSession, tribunal: Tribunal, quarter: Quarter
) -> list[PublishedFigures]:
    """Return every published version of a quarter's figures, the first publication first."""
    return list(
        await db.scalars(
            select(PublishedFigures)
            .where(
                PublishedFigures.tribunal_id == tribunal.id,
                PublishedFigures.fiscal_year == quarter.fiscal_year,
                PublishedFigures.quarter == quarter.number,
            )
            .order_by(PublishedFigures.version)
        )
    )


async def published_quarters(
    db: AsyncSession, tribunal: Tribunal, *, limit: int = 4
) -> list[PublishedFigures]:
    """Return the latest version of each of the tribunal's `limit` latest published quarters,
    the latest quarter first (one query)."""
    latest = (
        select(
            PublishedFigures.fiscal_year,
            PublishedFigures.quarter,
            func.max(PublishedFigures.version).label("version"),
        )
        .where(PublishedFigures.tribunal_id == tribunal.id)
        .group_by(PublishedFigures.fiscal_year, PublishedFigures.quarter)
        .subquery()
    )
    return list(
        await db.scalars(
            select(PublishedFigures)
            .join(
                latest,
                and_(
                    latest.c.fiscal_year == PublishedFigures.fiscal_year,
                    latest.c.quarter == PublishedFigures.quarter,
                    latest.c.version == PublishedFigures.version,
                ),
            )
            .where(PublishedFigures.tribunal_id == tribunal.id)
            .order_by(PublishedFigures.fiscal_year.desc(), PublishedFigures.quarter.desc())
            .limit(limit)
        )
    )


async def _store(
    db: AsyncSession,
    tribunal: Tribunal,
    quarter: Quarter,
    figures: dict[str, Any],
    version: int,
    note: str,
    user: User | None,
    now: datetime,
) -> PublishedFigures:
    published = PublishedFigures(
        tribunal_id=tribunal.id,
        fiscal_year=quarter.fiscal_year,
        quarter=quarter.number,
        version=version,
        figures=figures,
        note=note,
        published_at=now,
        published_by_id=user.id if user else None,
    )
    await db.flush()  # the caller's pending changes stay out of the savepoint
    try:
        async with db.begin_nested():
            db.add(published)
            await db.flush()
    except IntegrityError as error:
        raise PublicationRefused(
            _("Someone else published these figures meanwhile. Check them again.")
        ) from error
    audit.record(
        db,
        AuditAction.SERVICE_STANDARD_FIGURES_PUBLISHED
        if version == 1
        else AuditAction.SERVICE_STANDARD_FIGURES_CORRECTED,
        actor_id=user.id if user else None,
        tribunal_id=tribunal.id,
        subject_type="published_standard_figures",
        subject_id=published.id,
        fiscal_year=quarter.fiscal_year,
        quarter=quarter.number,
        version=version,
    )
    return published


def _refuse_unless_ended(tribunal: Tribunal, quarter: Quarter, now: datetime) -> None:
    if not quarter.has_ended(tribunal.time_zone, now):
        raise PublicationRefused(
            _(
                "The figures of %(quarter)s can be published once the quarter has ended, "
                "from %(day)s.",
                quarter=quarter.label,
                day=format_date(quarter.end_day),
            )
        )


async def figures_to_publish(
    db: AsyncSession, tribunal: Tribunal, quarter: Quarter, *, now: datetime | None = None
) -> list[StandardFigures]:
    """Return the figures publishing a quarter would store (version 1). Raises
    PublicationRefused if the quarter has not ended, is published already (a change is a
    correction: `publish_correction`), or had no standard in force."""
    now = now or utcnow()
    _refuse_unless_ended(tribunal, quarter, now)
    if await latest_published(db, tribunal, quarter) is not None:
        raise PublicationRefused(
            _(
                "The figures of %(quarter)s are published already. To change them, publish a "
                "correction with a note of what changed and why.",
                quarter=quarter.label,
            )
        )
    measured = await measure_for_publication(db, tribunal, quarter, now=now)
    if not measured:
        raise PublicationRefused(
            _(
                "No service standard was in force in %(quarter)s: there is nothing to publish.",
                quarter=quarter.label,
            )
        )
    return measured


async def publish_quarter(
    db: AsyncSession,
    tribunal: Tribunal,
    quarter: Quarter,
    *,
    user: User | None,
    now: datetime | None = None,
) -> PublishedFigures:
    """Publish a quarter's figures (version 1) and return them. Raises PublicationRefused
    (nothing stored) for the reasons `figures_to_publish` gives."""
    now = now or utcnow()
    measured = await figures_to_publish(db, tribunal, quarter, now=now)
    return await _store(db, tribunal, quarter, figures_json(quarter, measured), 1, "", user, now)


async def publish_correction(
    db: AsyncSession,
    tribunal: Tribunal,
    quarter: Quarter,
    note: str,
    *,
    user: User | None,
    now: datetime | None = None,
) -> PublishedFigures:
    """Publish a quarter's figures again, recomputed from the events with the definitions in
    force then, as the next version with `note` (what changed and why); return it. Raises
    PublicationRefused (nothing stored) if the note is empty or too long, the quarter is not
    published yet, or the figures did not change."""
    now = now or utcnow()
    note = note.strip()
    if not note:
        raise PublicationRefused(_("Say what the correction changes, and why."))
    if len(note) > CORRECTION_NOTE_MAX_LENGTH:
        raise PublicationRefused(
            _(
                "The note must be %(count)s characters or fewer",
                count=format_number(CORRECTION_NOTE_MAX_LENGTH),
            )
        )
    _refuse_unless_ended(tribunal, quarter, now)
    current = await latest_published(db, tribunal, quarter)
    if current is None:
        raise PublicationRefused(
            _(
                "The figures of %(quarter)s are not published yet: publish them first.",
                quarter=quarter.label,
            )
        )
    measured = await measure_for_publication(db, tribunal, quarter, now=now)
    figures = figures_json(quarter, measured)
    if figures == current.figures:
        raise PublicationRefused(
            _("The figures are the same as those published: there is nothing to correct.")
        )
    return await _store(db, tribunal, quarter, figures, current.version + 1, note, user, now)


# -- checking what was published ----------------------------------------------------------------


@dataclass(frozen=True)
class FigureDifference:
    """A published figure that the events now give differently."""

    code: str  # the standard's
    figure: str  # "totals.met", "breakdowns.language.fr.median_days"...
    published: int | float | None
    recomputed: int | float | None


def _flat(item: Mapping[str, Any]) -> dict[str, int | float | None]:
    flat: dict[str, int | float | None] = {
        f"totals.{name}": value for name, value in item["totals"].items()
    }
    for dimension, groups in (item.get("breakdowns") or {}).items():
        for value, figures in groups.items():
            for name, number in figures.items():
                flat[f"breakdowns.{dimension}.{value}.{name}"] = number
    return flat


async def recompute(
    db: AsyncSession, tribunal: Tribunal, published: PublishedFigures
) -> list[FigureDifference]:
    """Measure a published quarter again from the case events, with the definitions the
    publication names, and return every figure that differs (none when the events give the
    same figures)."""
    if published.tribunal_id != tribunal.id:
        raise ValueError("the figures are not this tribunal's")
    quarter = Quarter(published.fiscal_year, published.quarter)
    differences = []
    for item in published.figures.get("standards", []):
        standard: ServiceStandard | None = await standard_of(
            db, tribunal, uuid.UUID(str(item["standard_id"]))
        )
        if standard is None:  # standards are only deleted with their tribunal
            continue
        again = await measure(
            db,
            tribunal,
            standard,
            Definition.from_json(item["definition"]),
            quarter.first_day,
            quarter.end_day,
        )
        before = _flat(item)
        after = _flat(figures_json(quarter, [again])["standards"][0])
        for name in sorted(before.keys() | after.keys()):
            if before.get(name) != after.get(name):
                differences.append(
                    FigureDifference(str(item["code"]), name, before.get(name), after.get(name))
                )
    return differences


# -- what is left to publish ------------------------------------------------------------------


async def quarters_to_publish(
    db: AsyncSession, tribunal: Tribunal, *, now: datetime | None = None, limit: int = 8
) -> list[Quarter]:
    """Return the latest `limit` ended quarters, from the first a standard was in force, that
    have not been published, the latest first (two queries)."""
    first_day = await db.scalar(
        select(func.min(StandardVersion.effective_from)).where(
            StandardVersion.tribunal_id == tribunal.id
        )
    )
    if first_day is None:
        return []
    published = {
        Quarter(row.fiscal_year, row.quarter)
        for row in await db.execute(
            select(PublishedFigures.fiscal_year, PublishedFigures.quarter)
            .where(PublishedFigures.tribunal_id == tribunal.id)
            .distinct()
        )
    }
    earliest = Quarter.containing(first_day)
    quarter = Quarter.containing(local_today(tribunal.time_zone, now or utcnow())).previous()
    chosen: list[Quarter] = []
    while quarter >= earliest and len(chosen) < limit:
        if quarter not in published:
            chosen.append(quarter)
        quarter = quarter.previous()
    return chosen
