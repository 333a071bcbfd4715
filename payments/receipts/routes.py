"""Receipts: the page, printable, of a payment's or a refund's receipt, for the case's payer
(the claimant or their authorised representative) and the tribunal's staff."""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import cases
from filings.access import registry_role
from payments.checkout.services import payer_capacity
from payments.models import Payment, Receipt
from payments.receipts.services import receipt_label
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.web import db_of, render, url_path


async def receipt_page(request: Request) -> Response:
    """A receipt, in the reader's language; its viewing is written to the audit log."""
    db = db_of(request)
    tribunal = current_tribunal(request)
    user = signed_in_user(request)
    receipt = (
        await db.scalars(
            select(Receipt).where(
                Receipt.id == request.path_params["receipt_id"],
                Receipt.tribunal_id == tribunal.id,
            )
        )
    ).first()
    if receipt is None:
        raise HTTPException(status_code=404)
    found = await cases.find_case(db, tribunal.id, receipt.filing_id)
    if found is None:
        raise HTTPException(status_code=404)
    filing = found[0]
    roles = current_roles(request)
    if roles:
        role = registry_role(roles)
        back_url = (
            url_path(request, "filings:casework:case", tribunal=tribunal.slug, filing_id=filing.id)
            + "#fees"
        )
    else:
        capacity = await payer_capacity(db, filing, user)
        if capacity is None:
            raise HTTPException(status_code=404)
        role = capacity.value
        back_url = url_path(
            request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id
        )
    payment = await db.get(Payment, receipt.payment_id)
    audit.record(
        db,
        AuditAction.RECEIPT_VIEWED,
        actor_id=user.id,
        actor_role=role,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
        receipt=receipt_label(tribunal, receipt),
    )
    return render(
        request,
        "payments/receipts/receipt.html",
        {
            "receipt": receipt,
            "label": receipt_label(tribunal, receipt),
            "filing": filing,
            "payment": payment,
            "back_url": back_url,
        },
    )


routes: list[BaseRoute] = []

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/receipts/{receipt_id:uuid}",
        receipt_page,
        permission=Permission.SIGNED_IN,
        methods=["GET"],
        name="payments:receipts:receipt",
    ),
]
