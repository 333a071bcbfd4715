"""The daily reconciliation of the platform's payments and refunds with the provider's.

Routes named here are reserved while the pages are built: each answers 404 until then."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute


async def _not_built(request: Request) -> Response:
    raise HTTPException(status_code=404)


routes: list[BaseRoute] = []

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/reconciliation",
        _not_built,
        permission=Permission.PAYMENTS_MANAGE,
        methods=["GET"],
        name="payments:reconciliation:days",
    ),
    TenantRoute(
        "/staff/reconciliation/{day}",
        _not_built,
        permission=Permission.PAYMENTS_MANAGE,
        methods=["GET"],
        name="payments:reconciliation:day",
    ),
    TenantRoute(
        "/staff/reconciliation/{day}/csv",
        _not_built,
        permission=Permission.PAYMENTS_MANAGE,
        methods=["GET"],
        name="payments:reconciliation:csv",
    ),
]
