"""Paying a case's fee on the provider's hosted page, and the providers' notifications.

Routes named here are reserved while the pages are built: each answers 404 until then."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute
from tribune.web import signed_webhook


async def _not_built(request: Request) -> Response:
    raise HTTPException(status_code=404)


async def _refused(request: Request) -> Response:
    # Nothing is believed until the notifications are handled.
    return PlainTextResponse("refused", status_code=400)


routes: list[BaseRoute] = [
    signed_webhook(
        "/webhooks/payments/sandbox", _refused, name="payments:checkout:webhook_sandbox"
    ),
    signed_webhook("/webhooks/payments/stripe", _refused, name="payments:checkout:webhook_stripe"),
]

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/cases/{filing_id:uuid}/fee",
        _not_built,
        permission=Permission.SIGNED_IN,
        methods=["GET"],
        name="payments:checkout:fee",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/fee/pay",
        _not_built,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="payments:checkout:pay",
    ),
    TenantRoute(
        "/payments/{payment_id:uuid}/return",
        _not_built,
        permission=Permission.SIGNED_IN,
        methods=["GET"],
        name="payments:checkout:return",
    ),
]
