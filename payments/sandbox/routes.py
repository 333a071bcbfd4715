"""The sandbox provider's hosted payment page.

Routes named here are reserved while the pages are built: each answers 404 until then."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route


async def _not_built(request: Request) -> Response:
    raise HTTPException(status_code=404)


routes: list[BaseRoute] = [
    Route(
        "/sandbox/checkout/{checkout}",
        _not_built,
        methods=["GET", "POST"],
        name="payments:sandbox:checkout",
    ),
    Route(
        "/sandbox/checkout/{checkout}/confirm",
        _not_built,
        methods=["GET", "POST"],
        name="payments:sandbox:confirm",
    ),
    Route(
        "/sandbox/checkout/{checkout}/cancel",
        _not_built,
        methods=["POST"],
        name="payments:sandbox:cancel",
    ),
]

tenant_routes: list[BaseRoute] = []
