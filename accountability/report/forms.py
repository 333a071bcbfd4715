"""The annual report's year chooser: the fiscal year named in the query string, checked
against the years the tribunal's report can cover."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accountability.report.services import ReportYears
from accountability.standards.periods import FiscalYear
from tribune.forms import Form
from tribune.i18n import gettext as _

YEAR_FIELD = "year"


def year_label(year: FiscalYear, years: ReportYears) -> str:
    """A year as the chooser names it: the current one is marked "to date"."""
    if year == years.current:
        return _("%(year)s (to date)", year=year.label)
    return year.label


def year_form(data: Mapping[str, Any], years: ReportYears) -> tuple[Form, FiscalYear | None]:
    """Return the chooser as filled in and the year it names: the default when none is
    named, None (with an error on the form) when it names none the report covers."""
    form = Form(data)
    text = form.value(YEAR_FIELD).strip()
    if not text:
        form.values[YEAR_FIELD] = str(years.default.start_year)
        return form, years.default
    is_year = text.isascii() and text.isdigit() and len(text) == 4
    year = FiscalYear(int(text)) if is_year else None
    if year is None or year not in years:
        form.add_error(
            YEAR_FIELD,
            _(
                "Choose a fiscal year from %(first)s to %(last)s",
                first=years.years[-1].label,
                last=years.current.label,
            ),
        )
        return form, None
    return form, year
