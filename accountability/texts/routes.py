"""Routes of `accountability.texts`."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
tenant_routes: list[BaseRoute] = []
