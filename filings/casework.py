"""(in progress)"""

from __future__ import annotations

from starlette.routing import BaseRoute

tenant_routes: list[BaseRoute] = []
