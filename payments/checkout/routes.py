"""Paying a case's fee on the provider's hosted page: the fee page (pay now, ask for a waiver,
or pay later), starting or resuming a payment, the page the provider sends the payer back
to, and the providers' signed notifications."""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import cases
from filings.models import Filing
from payments.checkout import services, states
from payments.fees import services as fees
from payments.models import FeeCharge, Payment, PaymentState
from payments.providers import NotificationRejectedError, ProviderUnavailableError
from payments.providers.factory import provider_of
from payments.receipts.services import receipt_label
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import i18n
from tribune.db import utcnow
from tribune.web import (
    db_of,
    outbox_of,
    redirect,
    render,
    settings_of,
    signed_webhook,
    url_path,
)

P = PaymentState


async def _payer_case(request: Request) -> tuple[Filing, FeeCharge | None]:
    """Return the tribunal's case, if the signed-in person may pay its fee (the claimant or
    their authorised representative), and the fee it owes; 404 otherwise."""
    db = db_of(request)
    found = await cases.find_case(
        db, current_tribunal(request).id, request.path_params["filing_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    filing = found[0]
    if await services.payer_capacity(db, filing, signed_in_user(request)) is None:
        raise HTTPException(status_code=404)
    return filing, await fees.charge_of(db, filing)


def _case_url(request: Request, filing: Filing) -> str:
    return url_path(
        request,
        "filings:journey:case",
        tribunal=current_tribunal(request).slug,
        filing_id=filing.id,
    )


def _fee_url(request: Request, filing: Filing) -> str:
    return url_path(
        request,
        "payments:checkout:fee",
        tribunal=current_tribunal(request).slug,
        filing_id=filing.id,
    )


def _return_url(request: Request, payment: Payment) -> str:
    return url_path(
        request,
        "payments:checkout:return",
        tribunal=current_tribunal(request).slug,
        payment_id=payment.id,
    )


async def fee_page(request: Request) -> Response:
    """The case's fee and the choices: pay now by card, ask for a waiver, or pay later."""
    db = db_of(request)
    filing, charge = await _payer_case(request)
    context: dict[str, Any] = {
        "filing": filing,
        "charge": charge,
        "balance": None,
        "attempt": None,
        "receipts": [],
        "labels": {},
        "case_url": _case_url(request, filing),
    }
    if charge is not None:
        context["balance"] = await fees.balance_of(db, charge)
        attempt = await services.open_attempt(db, charge)
        context["attempt"] = attempt if attempt is not None and attempt.checkout_url else None
        found = await services.receipts_of(db, filing)
        tribunal = current_tribunal(request)
        context["receipts"] = found
        context["labels"] = {receipt.id: receipt_label(tribunal, receipt) for receipt in found}
    return render(request, "payments/checkout/fee.html", context)


async def pay(request: Request) -> Response:
    """Start a payment of what is left of the fee, or resume the open one; send the payer to
    the provider's page. Whatever amount the form carries is ignored."""
    db = db_of(request)
    tribunal = current_tribunal(request)
    filing, charge = await _payer_case(request)
    if charge is None:
        return redirect(_fee_url(request, filing))
    settings = settings_of(request)
    try:
        attempt = await services.start_payment(
            db,
            provider_of(request),
            outbox_of(request),
            tribunal,
            filing,
            charge,
            payer=signed_in_user(request),
            language=i18n.get_language(),
            now=utcnow(),
            checkout_minutes=settings.payments.checkout_minutes,
        )
    except ProviderUnavailableError:
        return render(
            request,
            "payments/checkout/unavailable.html",
            {"filing": filing, "fee_url": _fee_url(request, filing)},
            status_code=503,
        )
    if attempt is None:
        return redirect(_fee_url(request, filing))
    if attempt.hosted:
        return redirect(attempt.payment.checkout_url)
    return redirect(_return_url(request, attempt.payment))


async def return_page(request: Request) -> Response:
    """Where the provider sends the payer back: the payment is settled from what the provider
    says (never from this address's parameters), then shown. A payment the bank has not
    confirmed yet is shown as such, and the page asks again every few seconds."""
    db = db_of(request)
    tribunal = current_tribunal(request)
    payment = await services.payment_of(db, tribunal, request.path_params["payment_id"])
    if payment is None:
        raise HTTPException(status_code=404)
    found = await cases.find_case(db, tribunal.id, payment.filing_id)
    if found is None:
        raise HTTPException(status_code=404)
    filing = found[0]
    staff = bool(current_roles(request))
    payer = await services.payer_capacity(db, filing, signed_in_user(request)) is not None
    if not staff and not payer:
        raise HTTPException(status_code=404)
    if payment.state in states.OPEN:
        # Not answering, the provider leaves it shown as being confirmed: asked again next time.
        with contextlib.suppress(ProviderUnavailableError):
            await services.settle(db, provider_of(request), outbox_of(request), payment, utcnow())
    receipt = await services.receipt_of_payment(db, payment)
    context = {
        "filing": filing,
        "payment": payment,
        "receipt": receipt,
        "receipt_label": receipt_label(tribunal, receipt) if receipt else "",
        # Only whoever pays may try again: the registry only reads the page.
        "payable": payer and payment.state in services.UNPAID,
        "fee_url": _fee_url(request, filing),
        "case_url": _case_url(request, filing),
        "polling": payment.state in states.OPEN,
        "self_url": _return_url(request, payment),
    }
    return render(
        request,
        "payments/checkout/return.html",
        context,
        partial="payments/checkout/partials/outcome.html",
    )


# -- the providers' notifications --------------------------------------------------------------


def _refused() -> Response:
    return PlainTextResponse("refused", status_code=400)


async def _notification(request: Request, provider_name: str) -> Response:
    """A provider's signed notification: verified over the raw body, acted on once, and
    believed only by asking the provider."""
    if settings_of(request).payments.provider != provider_name:
        return _refused()
    body = await request.body()
    provider = provider_of(request)
    now = utcnow()
    try:
        notification = provider.verify_notification(body, request.headers, now)
    except NotificationRejectedError:
        return _refused()
    try:
        outcome = await services.handle_notification(
            db_of(request), provider, outbox_of(request), notification, now
        )
    except ProviderUnavailableError:
        return PlainTextResponse("try again", status_code=503)
    return PlainTextResponse(outcome)


async def sandbox_notification(request: Request) -> Response:
    return await _notification(request, "sandbox")


async def stripe_notification(request: Request) -> Response:
    return await _notification(request, "stripe")


routes: list[BaseRoute] = [
    signed_webhook(
        "/webhooks/payments/sandbox", sandbox_notification, name="payments:checkout:webhook_sandbox"
    ),
    signed_webhook(
        "/webhooks/payments/stripe", stripe_notification, name="payments:checkout:webhook_stripe"
    ),
]

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/cases/{filing_id:uuid}/fee",
        fee_page,
        permission=Permission.SIGNED_IN,
        methods=["GET"],
        name="payments:checkout:fee",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/fee/pay",
        pay,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="payments:checkout:pay",
    ),
    TenantRoute(
        "/payments/{payment_id:uuid}/return",
        return_page,
        permission=Permission.SIGNED_IN,
        methods=["GET"],
        name="payments:checkout:return",
    ),
]
