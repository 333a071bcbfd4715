"""Availability, scheduling, notices, video rooms (Jitsi), attendance, outcomes and decisions.

Sub-packages, one per concern, each with the same file names: ``calendars`` (each
tribunal's hearing settings and hours, default durations, interpreters, rooms, and the
availability of adjudicators, interpreters and rooms) and ``scheduling`` (proposing hearing
times and booking them). Beside them, shared by all: ``models`` (the hearing tables) and
``demo``. The composition root takes the route list below and nothing else of the layout.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from hearings.calendars import routes as calendars
from hearings.scheduling import routes as scheduling

tenant_routes: list[BaseRoute] = [*calendars.tenant_routes, *scheduling.tenant_routes]

__all__ = ["tenant_routes"]
