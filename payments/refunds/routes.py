"""The registry's money pages: recording a payment taken at the counter or by cheque, asking
for a refund, and the refunds waiting for a second person's approval (or proposed after a fee
waiver), which are approved or rejected there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from accounts.models import User
from filings import cases
from filings.models import Filing
from payments.fees import services as fees
from payments.models import FeeCharge, Payment, Receipt, Refund, RefundState
from payments.providers.factory import provider_of
from payments.refunds import services
from payments.refunds.forms import cents_to_text, counter_payment_form, refund_form
from payments.refunds.services import RefundRefused
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune import i18n
from tribune.db import EarlyCommit, commit_early, utcnow
from tribune.forms import Form
from tribune.web import db_of, outbox_of, redirect, render, url_path


async def _case(request: Request) -> tuple[Filing, FeeCharge]:
    """Return the tribunal's case and the fee it owes; 404 if either is missing."""
    db = db_of(request)
    found = await cases.find_case(
        db, current_tribunal(request).id, request.path_params["filing_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    charge = await fees.charge_of(db, found[0])
    if charge is None:
        raise HTTPException(status_code=404)
    return found[0], charge


def _case_url(request: Request, filing: Filing) -> str:
    return (
        url_path(
            request,
            "filings:casework:case",
            tribunal=current_tribunal(request).slug,
            filing_id=filing.id,
        )
        + "#fees"
    )


def _receipt_url(request: Request, receipt: Receipt) -> str:
    return url_path(
        request,
        "payments:receipts:receipt",
        tribunal=current_tribunal(request).slug,
        receipt_id=receipt.id,
    )


def _refused(request: Request, filing: Filing, message: str) -> Response:
    return render(
        request,
        "payments/refunds/refused.html",
        {"filing": filing, "message": message, "back_url": _case_url(request, filing)},
        status_code=409,
    )


# -- a payment taken by the registry ----------------------------------------------------------


async def record_payment(request: Request) -> Response:
    """Record a payment taken at the counter or by cheque; its receipt follows."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    filing, charge = await _case(request)
    balance = await fees.balance_of(db, charge)
    context: dict[str, Any] = {
        "filing": filing,
        "charge": charge,
        "balance": balance,
        "back_url": _case_url(request, filing),
    }
    if request.method == "GET":
        context["form"] = Form(
            {
                "amount": cents_to_text(balance.outstanding_cents),
                "seen_outstanding": str(balance.outstanding_cents),
            }
        )
        return render(request, "payments/refunds/record_payment.html", context)
    form, values = counter_payment_form(await request.form())
    if values is None:
        form.values["seen_outstanding"] = str(balance.outstanding_cents)
        context["form"] = form
        return render(request, "payments/refunds/record_payment.html", context, status_code=422)
    try:
        receipt = await services.record_payment(
            db,
            tribunal,
            filing,
            charge,
            values,
            actor=signed_in_user(request),
            language=filing.language,
            now=utcnow(),
            outbox=outbox_of(request),
        )
    except RefundRefused as refused:
        return _refused(request, filing, refused.message)
    return redirect(_receipt_url(request, receipt))


# -- refunds --------------------------------------------------------------------------------------


async def refund(request: Request) -> Response:
    """Ask for a refund of a payment; made at once unless it needs a second approval."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    filing, charge = await _case(request)
    payment = await services.payment_of(db, filing, request.path_params["payment_id"])
    if payment is None:
        raise HTTPException(status_code=404)
    settings = await fees.settings_of(db, tribunal)
    refundable = services.refundable_cents(payment)
    context: dict[str, Any] = {
        "filing": filing,
        "charge": charge,
        "payment": payment,
        "refundable": refundable,
        "approval_above": settings.refund_approval_above_cents,
        "back_url": _case_url(request, filing),
    }
    if request.method == "GET":
        context["form"] = Form(
            {"amount": cents_to_text(refundable), "seen_refundable": str(refundable)}
        )
        return render(request, "payments/refunds/refund.html", context)
    form, values = refund_form(await request.form())
    if values is None:
        form.values["seen_refundable"] = str(refundable)
        context["form"] = form
        return render(request, "payments/refunds/refund.html", context, status_code=422)
    user = signed_in_user(request)
    try:
        made = await services.request_refund(db, tribunal, payment, values, settings, actor=user)
    except RefundRefused as refused:
        return _refused(request, filing, refused.message)
    return await _make(request, made, payment, charge, filing)


async def _make(
    request: Request, made: Refund, payment: Payment, charge: FeeCharge, filing: Filing
) -> Response:
    """Make a refund that is ready, and say what happened."""
    if made.state is RefundState.AWAITING_APPROVAL:
        return render(
            request,
            "payments/refunds/outcome.html",
            {"filing": filing, "refund": made, "back_url": _case_url(request, filing)},
        )
    db = db_of(request)
    await commit_early(db, EarlyCommit.BEFORE_PROVIDER_CALL)
    receipt = await services.make(
        db,
        current_tribunal(request),
        provider_of(request),
        made,
        payment,
        charge,
        filing,
        utcnow(),
        outbox_of(request),
    )
    if receipt is not None:
        return redirect(_receipt_url(request, receipt))
    if made.state is RefundState.FAILED:
        return _refused(
            request,
            filing,
            i18n.gettext(
                "The payment service refused the refund (%(reason)s). Nothing was refunded.",
                reason=made.failure_reason or "-",
            ),
        )
    # The provider did not answer: the refund stays ready and is tried again.
    return render(
        request,
        "payments/refunds/outcome.html",
        {"filing": filing, "refund": made, "back_url": _case_url(request, filing)},
        status_code=202,
    )


async def waiting_refunds(request: Request) -> Response:
    """Refunds waiting for a second person's approval, and those a fee waiver proposed."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    waiting = await services.waiting(db, tribunal)
    filing_ids = {item.filing_id for item in waiting}
    people_ids = {item.requested_by_id for item in waiting if item.requested_by_id}
    references = {
        row.id: row.reference
        for row in await db.execute(
            select(Filing.id, Filing.reference).where(
                Filing.id.in_(filing_ids), Filing.tribunal_id == tribunal.id
            )
        )
    }
    names = {
        row.id: row.name
        for row in await db.execute(select(User.id, User.name).where(User.id.in_(people_ids)))
    }
    return render(
        request,
        "payments/refunds/list.html",
        {
            "waiting": waiting,
            "references": references,
            "names": names,
            "me": signed_in_user(request),
        },
    )


async def _waiting_refund(request: Request) -> tuple[Refund, Payment, FeeCharge, Filing]:
    db = db_of(request)
    tribunal = current_tribunal(request)
    found = await services.refund_of(db, tribunal, request.path_params["refund_id"])
    if found is None:
        raise HTTPException(status_code=404)
    payment = await db.get(Payment, found.payment_id)
    charge = await db.get(FeeCharge, payment.charge_id) if payment else None
    filing = await db.get(Filing, found.filing_id)
    if payment is None or charge is None or filing is None:
        raise HTTPException(status_code=404)
    return found, payment, charge, filing


async def approve(request: Request) -> Response:
    tribunal = current_tribunal(request)
    refund_row, payment, charge, filing = await _waiting_refund(request)
    try:
        await services.approve(
            db_of(request), tribunal, refund_row, payment, actor=signed_in_user(request)
        )
    except RefundRefused as refused:
        return _refused(request, filing, refused.message)
    return await _make(request, refund_row, payment, charge, filing)


async def reject(request: Request) -> Response:
    tribunal = current_tribunal(request)
    refund_row, payment, _charge, filing = await _waiting_refund(request)
    try:
        await services.reject(
            db_of(request), tribunal, refund_row, payment, actor=signed_in_user(request)
        )
    except RefundRefused as refused:
        return _refused(request, filing, refused.message)
    return redirect(url_path(request, "payments:refunds:list", tribunal=tribunal.slug))


routes: list[BaseRoute] = []

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/cases/{filing_id:uuid}/payments/{payment_id:uuid}/refund",
        refund,
        permission=Permission.PAYMENTS_WORK,
        methods=["GET", "POST"],
        name="payments:refunds:refund",
    ),
    TenantRoute(
        "/staff/refunds",
        waiting_refunds,
        permission=Permission.PAYMENTS_WORK,
        methods=["GET"],
        name="payments:refunds:list",
    ),
    TenantRoute(
        "/staff/refunds/{refund_id:uuid}/approve",
        approve,
        permission=Permission.PAYMENTS_WORK,
        methods=["POST"],
        name="payments:refunds:approve",
    ),
    TenantRoute(
        "/staff/refunds/{refund_id:uuid}/reject",
        reject,
        permission=Permission.PAYMENTS_WORK,
        methods=["POST"],
        name="payments:refunds:reject",
    ),
    TenantRoute(
        "/staff/cases/{filing_id:uuid}/payments/new",
        record_payment,
        permission=Permission.PAYMENTS_WORK,
        methods=["GET", "POST"],
        name="payments:refunds:record_payment",
    ),
]
