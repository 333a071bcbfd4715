"""The daily reconciliation of the platform's payments and refunds with the provider's: the
last 90 days from the platform's ledger alone, a day compared with the provider's records,
and that day as CSV. For the tribunal's administrators."""

from __future__ import annotations

from datetime import date

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from payments.providers import ProviderUnavailableError
from payments.providers.factory import provider_of
from payments.reconciliation import services
from payments.reconciliation.export import LABELS, csv_lines
from payments.reconciliation.services import Reconciliation, Window
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune import audit, i18n
from tribune.audit import AuditAction
from tribune.db import EarlyCommit, commit_early, utcnow
from tribune.web import db_of, render


async def days(request: Request) -> Response:
    """The last 90 days, each with the platform's counts and totals and a link to it."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    cutoff = await services.cutoff_of(db, tribunal)
    summaries = await services.last_days(db, tribunal, cutoff, utcnow())
    return render(
        request,
        "payments/reconciliation/days.html",
        {"summaries": summaries, "cutoff": cutoff, "today": summaries[0].window, **LABELS},
    )


async def _window(request: Request) -> Window:
    """Return the day the URL names; 404 if it names none."""
    day: date | None = services.parse_day(str(request.path_params["day"]))
    if day is None:
        raise HTTPException(status_code=404)
    tribunal = current_tribunal(request)
    cutoff = await services.cutoff_of(db_of(request), tribunal)
    return services.window_of(tribunal, day, cutoff)


async def _reconcile(request: Request, window: Window) -> Reconciliation | Response:
    """Return the day's comparison, or the page saying the provider did not answer."""
    db = db_of(request)
    tribunal = current_tribunal(request)
    try:
        return await services.reconcile(db, tribunal, provider_of(request), window)
    except ProviderUnavailableError:
        return render(
            request,
            "payments/reconciliation/unavailable.html",
            {"window": window},
            status_code=503,
        )


async def day(request: Request) -> Response:
    """A day: every card payment and refund of the platform and of the provider, compared."""
    window = await _window(request)
    found = await _reconcile(request, window)
    if isinstance(found, Response):
        return found
    return render(
        request,
        "payments/reconciliation/day.html",
        {"window": window, "found": found, **LABELS},
    )


async def day_csv(request: Request) -> Response:
    """A day as CSV: every row and every difference."""
    tribunal = current_tribunal(request)
    window = await _window(request)
    found = await _reconcile(request, window)
    if isinstance(found, Response):
        return found
    db = db_of(request)
    audit.record(
        db,
        AuditAction.RECONCILIATION_EXPORTED,
        actor_id=signed_in_user(request).id,
        tribunal_id=tribunal.id,
        subject_type="reconciliation",
        day=window.day.isoformat(),
        provider=found.provider,
        rows=len(found.lines) + len(found.registry),
        differences=len(found.differences),
    )
    await commit_early(db, EarlyCommit.BEFORE_STREAMING)
    filename = f"reconciliation-{tribunal.slug}-{window.day.isoformat()}.csv"
    return StreamingResponse(
        csv_lines(found, i18n.get_language()),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


routes: list[BaseRoute] = []

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/reconciliation",
        days,
        permission=Permission.PAYMENTS_MANAGE,
        methods=["GET"],
        name="payments:reconciliation:days",
    ),
    TenantRoute(
        "/staff/reconciliation/{day}",
        day,
        permission=Permission.PAYMENTS_MANAGE,
        methods=["GET"],
        name="payments:reconciliation:day",
    ),
    TenantRoute(
        "/staff/reconciliation/{day}/csv",
        day_csv,
        permission=Permission.PAYMENTS_MANAGE,
        methods=["GET"],
        name="payments:reconciliation:csv",
    ),
]
