"""The clerk's docket: the tribunal's cases, filtered and paged, and its CSV export."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import lifecycle
from filings.deadlines import today_in
from filings.docket import export as docket_export
from filings.docket import flags as docket_flags
from filings.docket import forms as docket_forms
from filings.docket import queries as docket
from tribunals import cache as tribunal_cache
from tribunals.models import Tribunal
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune import audit, i18n
from tribune.audit import AuditAction
from tribune.db import EarlyCommit, commit_early
from tribune.forms import Form
from tribune.web import db_of, path_for_each, render, url_path

FILTER_FIELDS = (
    "q",
    "status",
    "case_type",
    "received_from",
    "received_to",
    "adjudicator",
    "overdue",
    "awaiting_payment",
    "language",
    "sort",
    "per_page",
)


def _filter_fields() -> tuple[str, ...]:
    return (*FILTER_FIELDS, *(flag.key for flag in docket_flags.registered_flags()))


def _filter_query(request: Request) -> list[tuple[str, str]]:
    """Return the query's filter values (no cursor), to carry into links."""
    return [
        (key, value)
        for key, value in request.query_params.multi_items()
        if key in _filter_fields() and value
    ]


async def _filters(request: Request) -> tuple[docket.DocketFilters, Form, dict[str, object]]:
    tribunal = current_tribunal(request)
    db = db_of(request)
    # Kept per worker while the tribunal's case types and staff stay as they are.
    case_types = await tribunal_cache.cached(
        tribunal, "docket.case_types", lambda: docket.case_type_choices(db, tribunal)
    )
    adjudicators = await tribunal_cache.cached(
        tribunal, "docket.adjudicators", lambda: docket.adjudicator_choices(db, tribunal)
    )
    filters, errors = docket_forms.parse_filters(
        request.query_params, case_types=case_types, adjudicators=adjudicators
    )
    filters = replace(
        filters, flag_conditions=await docket_flags.conditions_of(db, tribunal, filters.flags)
    )
    form = Form(request.query_params)
    form.errors.update(errors)
    choices: dict[str, object] = {
        "case_types": case_types,
        "adjudicators": adjudicators,
        "flags": docket_flags.registered_flags(),
    }
    return filters, form, choices


async def docket_page(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filters, form, choices = await _filters(request)
    size = docket_forms.page_size(request.query_params.get("per_page", ""))
    result = await docket.docket_page(
        db_of(request),
        tribunal,
        filters,
        after=request.query_params.get("after", ""),
        size=size,
    )
    return render_docket(
        request,
        tribunal,
        form=form,
        filters=filters,
        page=result,
        choices=choices,
        query=_filter_query(request),
    )


def render_docket(
    request: Request,
    tribunal: Tribunal,
    *,
    form: Form,
    filters: docket.DocketFilters,
    page: docket.DocketPage,
    choices: dict[str, object],
    query: list[tuple[str, str]],
) -> Response:
    """Render a page of the docket (or its htmx fragment) with the filter values `query` to
    carry into its links. The docket benchmark's hand-written page renders through it too, so
    that both do the same rendering work."""
    base = url_path(request, "filings:docket:page", tribunal=tribunal.slug)
    csv = url_path(request, "filings:docket:csv", tribunal=tribunal.slug)
    next_url = (
        f"{base}?{urlencode([*query, ('after', page.next_cursor)])}" if page.next_cursor else None
    )
    htmx = request.headers.get("hx-request") == "true"
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "statuses": docket.CASE_STATUSES,
        "status_labels": {status: str(label) for status, label in lifecycle.STATUS_LABELS.items()},
        "today": today_in(tribunal),
        "first_url": f"{base}?{urlencode(query)}" if query else base,
        "next_url": next_url,
        "is_first_page": not request.query_params.get("after"),
        "htmx": htmx,
        "csv_url": f"{csv}?{urlencode(query)}" if query else csv,
        # Built once a page, not once a row.
        "case_path": path_for_each(
            request, "filings:casework:case", "filing_id", tribunal=tribunal.slug
        ),
        "due_from_texts": {
            due_from: i18n.gettext("from: %(who)s", who=str(label))
            for due_from, label in docket.DUE_FROM_LABELS.items()
        },
        **choices,
    }
    # htmx swaps only successful answers: its fragment shows the error summary with a 200.
    status_code = 422 if form.errors and not htmx else 200
    return render(
        request,
        "filings/docket/page.html",
        context,
        status_code=status_code,
        partial="filings/docket/partials/results.html",
    )


async def docket_csv(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filters, form, _choices = await _filters(request)
    if form.errors:
        return await docket_page(request)
    user = signed_in_user(request)
    db = db_of(request)
    audit.record(
        db,
        AuditAction.DOCKET_EXPORTED,
        actor_id=user.id,
        tribunal_id=tribunal.id,
        subject_type="docket",
        statuses=[status.value for status in filters.statuses],
        case_type=filters.case_type_id.hex if filters.case_type_id else None,
        received_from=filters.received_from.isoformat() if filters.received_from else None,
        received_to=filters.received_to.isoformat() if filters.received_to else None,
        adjudicator=filters.adjudicator_id.hex if filters.adjudicator_id else None,
        overdue=filters.overdue,
        awaiting_payment=filters.awaiting_payment,
        flags=list(filters.flags),
        language=filters.language,
        searched=bool(filters.q),
        sort=filters.sort.value,
    )
    await commit_early(db, EarlyCommit.BEFORE_STREAMING)
    filename = f"docket-{tribunal.slug}-{today_in(tribunal).isoformat()}.csv"
    return StreamingResponse(
        docket_export.csv_lines(db, tribunal, filters, i18n.get_language()),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/docket",
        docket_page,
        permission=Permission.DOCKET_VIEW,
        name="filings:docket:page",
    ),
    TenantRoute(
        "/staff/docket.csv",
        docket_csv,
        permission=Permission.DOCKET_VIEW,
        name="filings:docket:csv",
    ),
]
