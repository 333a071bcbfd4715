"""Fee waivers: asking for one, and the registry's decisions.

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
        "/cases/{filing_id:uuid}/fee/waiver",
        _not_built,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="payments:waivers:request",
    ),
    TenantRoute(
        "/staff/fee-waivers",
        _not_built,
        permission=Permission.PAYMENTS_WORK,
        methods=["GET"],
        name="payments:waivers:list",
    ),
    TenantRoute(
        "/staff/fee-waivers/{waiver_id:uuid}",
        _not_built,
        permission=Permission.PAYMENTS_WORK,
        methods=["GET", "POST"],
        name="payments:waivers:decide",
    ),
]
