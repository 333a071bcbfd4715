"""The docket as CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from filings.docket.queries import DocketFilters, DocketRow, all_rows
from tribunals.models import Tribunal
from tribune import i18n
from tribune.csvcells import csv_line
from tribune.i18n import gettext as _

# CSV export ------------------------------------------------------------------------------


def csv_header() -> list[str]:
    return [
        _("Reference"),
        _("Claimant"),
        _("Case type"),
        _("Status"),
        _("Received"),
        _("Due"),
        _("Due from"),
        _("Adjudicator"),
        _("Language"),
    ]


def csv_cells(row: DocketRow, tribunal: Tribunal) -> list[str]:
    received = row.submitted_at.astimezone(ZoneInfo(tribunal.time_zone)).date().isoformat()
    return [
        row.reference,
        row.claimant_name,
        row.case_type_title,
        row.status_label,
        received,
        row.due_on.isoformat() if row.due_on else "",
        row.due_from_label,
        row.adjudicator_name or "",
        row.language,
    ]


async def csv_lines(
    db: AsyncSession, tribunal: Tribunal, filters: DocketFilters, language: str
) -> AsyncIterator[str]:
    """Yield the CSV export, line by line, in the given language."""
    with i18n.use_language(language):
        header = csv_line(csv_header())
    yield "\ufeff" + header
    async for row in all_rows(db, tribunal, filters):
        with i18n.use_language(language):
            line = csv_line(csv_cells(row, tribunal))
        yield line
