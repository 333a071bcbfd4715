"""Routes of `accountability.report`: a tribunal's annual performance report for its
administrators, as a printable page and as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accountability.report import services
from accountability.report.forms import YEAR_FIELD, year_form, year_label
from accountability.report.sections import (
    sections,
    standard_columns,
    standard_name,
    standard_rows,
    standard_rule,
)
from accountability.standards.periods import FiscalYear
from accounts.middleware import signed_in_user
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.csvcells import csv_line
from tribune.db import utcnow
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.web import db_of, render, url_path

PAGE_TEMPLATE = "accountability/report/page.html"


def _context(
    request: Request,
    form: Form,
    years: services.ReportYears,
    report: services.AnnualReport | None,
) -> dict[str, Any]:
    tribunal = current_tribunal(request)
    csv_url = ""
    if report is not None:
        csv_url = url_path(request, "accountability:report:csv", tribunal=tribunal.slug)
        csv_url += "?" + urlencode({YEAR_FIELD: report.year.start_year})
    return {
        "csv_url": csv_url,
        "form": form,
        "year_items": [(str(year.start_year), year_label(year, years)) for year in years.years],
        "report": report,
        "sections": sections(report) if report is not None else [],
        "standard_columns": standard_columns(),
        "standard_name": standard_name,
        "standard_rows": standard_rows,
        "standard_rule": standard_rule,
        "zone": tribunal.time_zone,
    }


async def _years_and_choice(
    request: Request, now: datetime
) -> tuple[services.ReportYears, Form, FiscalYear | None]:
    tribunal = current_tribunal(request)
    years = await services.report_years(db_of(request), tribunal, now)
    form, year = year_form(request.query_params, years)
    return years, form, year


async def report_page(request: Request) -> Response:
    """The year chooser and the chosen year's report (the last complete year by default)."""
    tribunal = current_tribunal(request)
    now = utcnow()
    years, form, year = await _years_and_choice(request, now)
    if year is None:
        return render(request, PAGE_TEMPLATE, _context(request, form, years, None), status_code=422)
    report = await services.annual_report(db_of(request), tribunal, year, now)
    return render(request, PAGE_TEMPLATE, _context(request, form, years, report))


def csv_lines(report: services.AnnualReport) -> Iterator[str]:
    """Yield the report as CSV in the current language: section, figure, value, note."""
    yield "\ufeff" + csv_line([_("Section"), _("Figure"), _("Value"), _("How it is counted")])
    for section in sections(report):
        for line in section.lines:
            yield csv_line([section.title, line.figure, line.value.plain, line.note])


async def report_csv(request: Request) -> Response:
    """The chosen year's report as CSV, in the request's language; the export is audited."""
    tribunal = current_tribunal(request)
    now = utcnow()
    years, form, year = await _years_and_choice(request, now)
    if year is None:
        return render(request, PAGE_TEMPLATE, _context(request, form, years, None), status_code=422)
    db = db_of(request)
    report = await services.annual_report(db, tribunal, year, now)
    body = "".join(csv_lines(report))
    audit.record(
        db,
        AuditAction.ANNUAL_REPORT_EXPORTED,
        actor_id=signed_in_user(request).id,
        tribunal_id=tribunal.id,
        subject_type="annual_report",
        fiscal_year=year.start_year,
        to_date=report.to_date,
    )
    filename = f"annual-report-{tribunal.slug}-{year.start_year}-{year.start_year + 1}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


routes: list[BaseRoute] = []

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/annual-report",
        report_page,
        permission=Permission.STANDARDS_MANAGE,
        name="accountability:report:page",
    ),
    TenantRoute(
        "/staff/annual-report.csv",
        report_csv,
        permission=Permission.STANDARDS_MANAGE,
        name="accountability:report:csv",
    ),
]
