"""The fee schedule and the tribunal's payment settings, for its administrators.

Importing this module also registers the fee's sections of the case pages and of a kind of
case's start page, and where the filer goes after the declaration (`payments.fees.sections`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings.casetypes.services import case_types_of
from payments.fees import sections as sections  # registers the fee's page sections
from payments.fees import services
from payments.fees.forms import fee_form, settings_data, settings_form
from payments.fees.services import FeeRefused
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune.db import local_today
from tribune.forms import Form
from tribune.i18n import localised
from tribune.web import db_of, redirect, render, url_path


async def schedule(request: Request) -> Response:
    """Each kind of case with its fee in force, the fees to come and the past ones."""
    tribunal = current_tribunal(request)
    today = local_today(tribunal.time_zone)
    kinds = await services.schedule_by_kind(db_of(request), tribunal, today)
    return render(
        request,
        "payments/fees/schedule.html",
        {
            "kinds": kinds,
            "today": today,
            "added": request.query_params.get("added") == "1",
        },
    )


async def add(request: Request) -> Response:
    """Add an entry to the schedule: a new fee for a kind of case from a date."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    summaries = await case_types_of(db, tribunal.id)
    choices = [
        (
            str(summary.case_type.id),
            f"{localised(summary.latest, 'title')} ({summary.case_type.code})",
        )
        for summary in summaries
    ]
    context: dict[str, Any] = {"choices": choices}
    if request.method == "GET":
        chosen = request.query_params.get("case_type", "")
        context["form"] = Form({"case_type": chosen if chosen in dict(choices) else ""})
        return render(request, "payments/fees/add.html", context)
    form, read = fee_form(await request.form(), {summary.case_type.id for summary in summaries})
    if read is not None:
        case_type_id, values = read
        try:
            await services.add_fee(
                db, tribunal, case_type_id, values, actor=signed_in_user(request)
            )
        except FeeRefused as refused:
            form.add_error("effective_from", refused.message)
        else:
            return redirect(
                url_path(request, "payments:fees:schedule", tribunal=tribunal.slug) + "?added=1"
            )
    context["form"] = form
    return render(request, "payments/fees/add.html", context, status_code=422)


async def payment_settings(request: Request) -> Response:
    """The rules for fee waivers, the days to pay, refund approval and the reconciliation."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    status_code = 200
    if request.method == "POST":
        form, values = settings_form(await request.form())
        if values is not None:
            await services.save_settings(db, tribunal, values, actor=signed_in_user(request))
            return redirect(
                url_path(request, "payments:fees:settings", tribunal=tribunal.slug) + "?saved=1"
            )
        status_code = 422
    else:
        form = Form(settings_data(await services.settings_of(db, tribunal)))
    return render(
        request,
        "payments/fees/settings.html",
        {
            "form": form,
            "sizes": services.HOUSEHOLD_SIZES,
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


routes: list[BaseRoute] = []

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/settings/fees",
        schedule,
        permission=Permission.PAYMENTS_MANAGE,
        methods=["GET"],
        name="payments:fees:schedule",
    ),
    TenantRoute(
        "/staff/settings/fees/new",
        add,
        permission=Permission.PAYMENTS_MANAGE,
        methods=["GET", "POST"],
        name="payments:fees:add",
    ),
    TenantRoute(
        "/staff/settings/payments",
        payment_settings,
        permission=Permission.PAYMENTS_MANAGE,
        methods=["GET", "POST"],
        name="payments:fees:settings",
    ),
]
