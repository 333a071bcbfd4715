"""What the public "Our service standards" page and its downloads show: a tribunal's last
published quarters, read as the public may see them.

Everything comes from the published snapshots (`accountability.standards.snapshots`), never
from live measurement: the last `QUARTERS_SHOWN` quarters the tribunal published, each in its
latest version, with every figure taken through `accountability.standards.cells` (a count
under 10 is "fewer than 10"; no share, median or percentile from fewer than 10 cases). Only
aggregates are read: no case, name or other personal detail.

A page costs at most three queries whatever the number of cases, standards or quarters: the
published quarters (`published_quarters`), the dates and notes of their versions, and the
titles of the kinds of case a definition is limited to (only when one is).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards import events
from accountability.standards.cells import Cell, PublicFigures, public_figures
from accountability.standards.chart import Bar, quarters_chart
from accountability.standards.measurement import SHARE_METHOD
from accountability.standards.models import ClockUnit, PublishedFigures
from accountability.standards.periods import Quarter, fiscal_year_label
from accountability.standards.services import Definition
from accountability.standards.snapshots import figures_of, published_quarters
from filings.casetypes.definitions import province_names
from filings.models import CaseType, CaseTypeVersion, VersionStatus
from tribunals.models import Tribunal
from tribune import i18n
from tribune.csvcells import csv_line
from tribune.i18n import format_date, format_number, ngettext
from tribune.i18n import gettext as _

# The public page shows the last four quarters published (a year of figures).
QUARTERS_SHOWN = 4
# The shape of the JSON download; a later shape gets a new number.
JSON_FORMAT = 1
# The figures of a quarter, in the order the downloads give them.
FIGURE_NAMES = (
    "cases_measured",
    "met",
    "missed",
    "share_met_percent",
    "median_days",
    "p90_days",
    "open_past_limit",
    "open_within_limit",
    "excluded",
)


@dataclass(frozen=True)
class Correction:
    """A later version of a quarter's figures: when it was published, and why."""

    version: int
    published_at: datetime
    note: str


@dataclass(frozen=True)
class PublishedQuarter:
    """A quarter as published: when first, and each correction since."""

    quarter: Quarter
    version: int
    first_published_at: datetime
    corrections: tuple[Correction, ...]

    @property
    def label(self) -> str:
        return self.quarter.label


@dataclass(frozen=True)
class QuarterRow:
    """One standard's figures in one published quarter, as the public may see them, with the
    definition the quarter was measured with."""

    published: PublishedQuarter
    definition: Definition
    figures: PublicFigures

    @property
    def quarter(self) -> Quarter:
        return self.published.quarter

    def cells(self) -> dict[str, Cell]:
        """Every public figure of the row, by the names of `FIGURE_NAMES`."""
        figures = self.figures
        return {
            "cases_measured": figures.stopped,
            "met": figures.met,
            "missed": figures.missed,
            "share_met_percent": figures.share_met,
            "median_days": figures.median_days,
            "p90_days": figures.p90_days,
            "open_past_limit": figures.open_past_limit,
            "open_within_limit": figures.open_within_limit,
            "excluded": figures.excluded,
        }


@dataclass(frozen=True)
class PublicStandard:
    """A standard as published over the quarters shown, the oldest quarter first; its name,
    description and method are those of the latest quarter's definition."""

    standard_id: uuid.UUID
    code: str
    rows: tuple[QuarterRow, ...]

    @property
    def definition(self) -> Definition:
        return self.rows[-1].definition

    @property
    def name(self) -> str:
        return in_language(self.definition, "name")

    @property
    def description(self) -> str:
        return in_language(self.definition, "description")

    @property
    def definition_changed(self) -> bool:
        """Whether the quarters shown were measured with more than one definition."""
        return len({row.definition.version_id for row in self.rows}) > 1


@dataclass(frozen=True)
class Publication:
    """What a tribunal has published: its standards over the last quarters published, and
    those quarters (the oldest first)."""

    tribunal: Tribunal
    quarters: tuple[PublishedQuarter, ...]
    standards: tuple[PublicStandard, ...]
    # The titles of the kinds of case a definition is limited to, by code: {"en":…, "fr":…}.
    case_types: dict[str, dict[str, str]]

    @property
    def is_empty(self) -> bool:
        return not self.standards

    @property
    def last_published_at(self) -> datetime | None:
        """When the figures shown last changed: the latest publication or correction."""
        moments = [
            moment
            for quarter in self.quarters
            for moment in (
                quarter.first_published_at,
                *(item.published_at for item in quarter.corrections),
            )
        ]
        return max(moments, default=None)

    def case_type_title(self, code: str) -> str:
        titles = self.case_types.get(code) or {}
        return i18n.in_language(titles) or code


def in_language(definition: Definition, field: str) -> str:
    """Return a definition's name or description in the current language (English when it
    has none in it)."""
    value = getattr(definition, f"{field}_{i18n.get_language()}", "")
    return str(value or getattr(definition, f"{field}_en", "") or "")


# -- reading ----------------------------------------------------------------------------------


async def _versions(
    db: AsyncSession, tribunal: Tribunal, quarters: list[Quarter]
) -> dict[Quarter, list[tuple[int, datetime, str]]]:
    """Return each quarter's versions (number, when published, note), the first first."""
    rows = await db.execute(
        select(
            PublishedFigures.fiscal_year,
            PublishedFigures.quarter,
            PublishedFigures.version,
            PublishedFigures.published_at,
            PublishedFigures.note,
        )
        .where(
            PublishedFigures.tribunal_id == tribunal.id,
            or_(
                *(
                    and_(
                        PublishedFigures.fiscal_year == quarter.fiscal_year,
                        PublishedFigures.quarter == quarter.number,
                    )
                    for quarter in quarters
                )
            ),
        )
        .order_by(PublishedFigures.version)
    )
    found: dict[Quarter, list[tuple[int, datetime, str]]] = {}
    for fiscal_year, number, version, published_at, note in rows:
        found.setdefault(Quarter(fiscal_year, number), []).append((version, published_at, note))
    return found


async def _case_type_titles(
    db: AsyncSession, tribunal: Tribunal, codes: set[str]
) -> dict[str, dict[str, str]]:
    """Return the title of each kind of case named, in both languages, from its latest
    published version."""
    if not codes:
        return {}
    rows = await db.execute(
        select(CaseType.code, CaseTypeVersion.title_en, CaseTypeVersion.title_fr)
        .join(CaseTypeVersion, CaseTypeVersion.case_type_id == CaseType.id)
        .where(
            CaseType.tribunal_id == tribunal.id,
            CaseTypeVersion.tribunal_id == tribunal.id,
            CaseType.code.in_(sorted(codes)),
            CaseTypeVersion.status == VersionStatus.PUBLISHED,
        )
        .order_by(CaseTypeVersion.number)
    )
    return {code: {"en": title_en, "fr": title_fr} for code, title_en, title_fr in rows}


async def publication_of(
    db: AsyncSession, tribunal: Tribunal, *, limit: int = QUARTERS_SHOWN
) -> Publication:
    """Return what the tribunal published over its `limit` latest published quarters (an
    empty publication when it has published none), in at most three queries."""
    latest = list(reversed(await published_quarters(db, tribunal, limit=limit)))
    if not latest:
        return Publication(tribunal, (), (), {})
    versions = await _versions(
        db, tribunal, [Quarter(item.fiscal_year, item.quarter) for item in latest]
    )
    quarters: list[PublishedQuarter] = []
    rows: dict[uuid.UUID, list[QuarterRow]] = {}
    codes: dict[uuid.UUID, str] = {}
    latest_order: list[uuid.UUID] = []
    for item in latest:
        quarter = Quarter(item.fiscal_year, item.quarter)
        history = versions.get(quarter) or [(item.version, item.published_at, item.note)]
        published = PublishedQuarter(
            quarter=quarter,
            version=item.version,
            first_published_at=history[0][1],
            corrections=tuple(
                Correction(version, moment, note)
                for version, moment, note in history
                if 1 < version <= item.version
            ),
        )
        quarters.append(published)
        latest_order = []
        for figures in figures_of(item):
            codes[figures.standard_id] = figures.code
            rows.setdefault(figures.standard_id, []).append(
                QuarterRow(published, figures.definition, public_figures(figures.totals))
            )
            latest_order.append(figures.standard_id)
    # In the order of the latest quarter, then those no longer measured, as first met.
    order = latest_order + [found for found in rows if found not in latest_order]
    standards = tuple(
        PublicStandard(standard_id, codes[standard_id], tuple(rows[standard_id]))
        for standard_id in order
    )
    case_type_codes = {
        row.definition.case_type_code
        for standard in standards
        for row in standard.rows
        if row.definition.case_type_code
    }
    return Publication(
        tribunal,
        tuple(quarters),
        standards,
        await _case_type_titles(db, tribunal, case_type_codes),
    )


# -- words ------------------------------------------------------------------------------------


def target_text(definition: Definition) -> str:
    """Return the standard's target in the current language: "80% within 10 business days"."""
    percent = format_number(definition.target_percent)
    days = definition.limit_days
    if definition.unit is ClockUnit.BUSINESS_DAYS:
        return ngettext(
            "%(percent)s%% within %(days)s business day",
            "%(percent)s%% within %(days)s business days",
            days,
            percent=percent,
            days=format_number(days),
        )
    return ngettext(
        "%(percent)s%% within %(days)s calendar day",
        "%(percent)s%% within %(days)s calendar days",
        days,
        percent=percent,
        days=format_number(days),
    )


def _event_label(code: str | None) -> str:
    found = events.event(code or "")
    return str(found.label) if found else (code or "")


@dataclass(frozen=True)
class MethodItem:
    """One line of a standard's method: what it says, and its answer."""

    label: str
    text: str


def method_of(publication: Publication, standard: PublicStandard) -> list[MethodItem]:
    """Return how a standard is measured, in the current language: the cases it counts, what
    starts, stops and pauses its clock, the days it counts and what it leaves out."""
    definition = standard.definition
    if definition.case_type_code:
        cases = _(
            "Only cases of the kind “%(kind)s”",
            kind=publication.case_type_title(definition.case_type_code),
        )
    else:
        cases = _("Every kind of case")
    if definition.pause_event and definition.resume_event:
        paused = _(
            "From “%(pause)s” until “%(resume)s”: that time is not counted",
            pause=_event_label(definition.pause_event),
            resume=_event_label(definition.resume_event),
        )
    else:
        paused = _("Never: the clock runs from its start to its stop")
    if definition.unit is ClockUnit.BUSINESS_DAYS:
        province = publication.tribunal.province
        days = _(
            "Business days: Monday to Friday, except the public holidays of %(province)s",
            province=province_names().get(province, province),
        )
    else:
        days = _("Calendar days: every day of the week, holidays included")
    terminal = [str(label) for label in events.TERMINAL_LABELS.values()]
    items = [
        MethodItem(_("Which cases"), cases),
        MethodItem(_("The clock starts"), _event_label(definition.start_event)),
        MethodItem(_("The clock stops"), _event_label(definition.stop_event)),
        MethodItem(_("The clock is paused"), paused),
        MethodItem(_("Days counted"), days),
        MethodItem(
            _("Not counted"),
            _(
                "Cases that end before the clock stops (“%(first)s”, “%(second)s”) are left "
                "out of the figures",
                first=terminal[0],
                second=terminal[1],
            ),
        ),
    ]
    if standard.definition_changed:
        items.append(
            MethodItem(
                _("Changes to the definition"),
                _(
                    "The definition changed during these quarters: each quarter was measured "
                    "with the definition in force on its first day, whose target the table "
                    "shows."
                ),
            )
        )
    return items


def general_method() -> list[str]:
    """Return the paragraphs that say how every standard's figures are counted."""
    return [
        _(
            "The figures are counted by the platform from the events it records in each "
            "case. They are totals only: they never show a case, a name or any other personal "
            "detail."
        ),
        _(
            "A case counts in the quarter in which its clock stopped: within the limit, it met "
            "the standard; past the limit, it missed it. Those are the cases measured."
        ),
        str(SHARE_METHOD),
        _(
            "Days are counted from the day after the clock starts up to and including the day "
            "it stops, less the days it was paused, in the tribunal’s time zone. The median is "
            "the time within which half of the cases measured were done; the 90th percentile, "
            "the time within which 9 cases in 10 were."
        ),
        _(
            "To protect privacy, a count under 10 is shown as “fewer than 10”, and no share, "
            "median or percentile is given for fewer than 10 cases measured."
        ),
        _(
            "The fiscal year runs from April to March. Each quarter’s figures are published "
            "once the quarter has ended and never change afterwards: a correction is "
            "published as a new version, with a note of what changed and why."
        ),
    ]


def published_on(tribunal: Tribunal, moment: datetime) -> str:
    """Return the day of a publication where the tribunal sits, in the current language."""
    return format_date(moment, zone=tribunal.time_zone)


def correction_text(tribunal: Tribunal, correction: Correction) -> str:
    """Return "Corrected on <day>: <note>" in the current language."""
    return _(
        "Corrected on %(day)s: %(note)s",
        day=published_on(tribunal, correction.published_at),
        note=correction.note,
    )


# -- the chart --------------------------------------------------------------------------------


def chart_of(standard: PublicStandard) -> Markup:
    """Return the SVG chart of a standard's share met per quarter, against its target."""
    target = standard.definition.target_percent
    bars = []
    described = []
    for row in standard.rows:
        share = row.figures.share_met
        value = None if share.suppressed or share.value is None else float(share.value)
        missing = _("fewer than 10") if share.suppressed else _("none")
        bars.append(Bar(row.quarter.label, value, missing_label=missing))
        described.append(f"{row.quarter.label}: {share.text if value is not None else missing}")
    return quarters_chart(
        chart_id=f"chart-{standard.code}",
        title=_("%(name)s: share of cases that met the standard, by quarter", name=standard.name),
        description=_(
            "Target %(target)s. %(quarters)s.",
            target=Cell(target, percent=True).text,
            quarters="; ".join(described),
        ),
        bars=bars,
        target=float(target),
        target_label=_("Target %(target)s", target=Cell(target, percent=True).text),
    )


# -- the downloads ----------------------------------------------------------------------------


def _csv_number(cell: Cell) -> str:
    if cell.suppressed:
        return cell.text
    if cell.value is None:
        return ""
    if cell.percent:
        return f"{round(float(cell.value), 1)}"
    return str(cell.value)


def csv_header() -> list[str]:
    return [
        _("Standard"),
        _("Quarter"),
        _("First day"),
        _("Last day"),
        _("Target"),
        _("Cases measured"),
        _("Met"),
        _("Missed"),
        _("Share met (%)"),
        _("Median (days)"),
        _("90th percentile (days)"),
        _("Open past the limit"),
        _("Open within the limit"),
        _("Not counted (withdrawn or dismissed)"),
        _("Published on"),
        _("Corrections"),
    ]


def csv_rows(publication: Publication) -> Iterator[list[str]]:
    """Yield a CSV row per standard and quarter, in the current language."""
    tribunal = publication.tribunal
    for standard in publication.standards:
        for row in standard.rows:
            cells = row.cells()
            published = row.published
            yield [
                standard.name,
                row.quarter.label,
                row.quarter.first_day.isoformat(),
                row.quarter.last_day.isoformat(),
                target_text(row.definition),
                *(_csv_number(cells[name]) for name in FIGURE_NAMES),
                _local_day(tribunal, published.first_published_at).isoformat(),
                " / ".join(correction_text(tribunal, item) for item in published.corrections),
            ]


def csv_text(publication: Publication, language: str) -> str:
    """Return the CSV download in a language: a header row, then a row per standard and
    quarter (with a byte order mark, so spreadsheets read it as UTF-8)."""
    with i18n.use_language(language):
        lines = [csv_line(csv_header())]
        lines += [csv_line(cells) for cells in csv_rows(publication)]
    return "\ufeff" + "".join(lines)


def _local_day(tribunal: Tribunal, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(tribunal.time_zone)).date()


def _json_cell(cell: Cell) -> dict[str, Any]:
    value: int | float | None = None
    if not cell.suppressed and cell.value is not None:
        value = round(float(cell.value), 1) if cell.percent else cell.value
    return {"value": value, "fewer_than_10": cell.suppressed}


def json_document(publication: Publication) -> dict[str, Any]:
    """Return the JSON download: the same figures, with keys that do not depend on the
    language; a suppressed figure is ``{"value": null, "fewer_than_10": true}``."""
    tribunal = publication.tribunal
    return {
        "format": JSON_FORMAT,
        "tribunal": {
            "slug": tribunal.slug,
            "name": {"en": tribunal.name_en, "fr": tribunal.name_fr},
        },
        "quarters": [
            {
                "fiscal_year": item.quarter.fiscal_year,
                "fiscal_year_label": fiscal_year_label(item.quarter.fiscal_year),
                "quarter": item.quarter.number,
                "first_day": item.quarter.first_day.isoformat(),
                "last_day": item.quarter.last_day.isoformat(),
                "version": item.version,
                "published_on": _local_day(tribunal, item.first_published_at).isoformat(),
                "corrections": [
                    {
                        "version": correction.version,
                        "corrected_on": _local_day(tribunal, correction.published_at).isoformat(),
                        "note": correction.note,
                    }
                    for correction in item.corrections
                ],
            }
            for item in publication.quarters
        ],
        "standards": [
            {
                "code": standard.code,
                "name": {"en": standard.definition.name_en, "fr": standard.definition.name_fr},
                "description": {
                    "en": standard.definition.description_en,
                    "fr": standard.definition.description_fr,
                },
                "quarters": [
                    {
                        "fiscal_year": row.quarter.fiscal_year,
                        "quarter": row.quarter.number,
                        "definition": {
                            "version": row.definition.number,
                            "start_event": row.definition.start_event,
                            "stop_event": row.definition.stop_event,
                            "pause_event": row.definition.pause_event,
                            "resume_event": row.definition.resume_event,
                            "case_type": row.definition.case_type_code,
                            "limit_days": row.definition.limit_days,
                            "unit": row.definition.unit.value,
                            "target_percent": row.definition.target_percent,
                        },
                        "figures": {name: _json_cell(cell) for name, cell in row.cells().items()},
                    }
                    for row in standard.rows
                ],
            }
            for standard in publication.standards
        ],
    }


def download_name(publication: Publication, extension: str) -> str:
    """Return the file name of a download: service-standards-wcat-2026-27-q2.csv."""
    name = f"service-standards-{publication.tribunal.slug}"
    if publication.quarters:
        last = publication.quarters[-1].quarter
        name += f"-{last.fiscal_year}-{(last.fiscal_year + 1) % 100:02d}-q{last.number}"
    return f"{name}.{extension}"
