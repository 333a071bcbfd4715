"""Availability, scheduling, notices, video rooms (Jitsi), attendance, outcomes and decisions.

Sub-packages, one per concern, each with the same file names: ``calendars`` (each
tribunal's hearing settings and hours, default durations, interpreters, rooms, and the
availability of adjudicators, interpreters and rooms), ``scheduling`` (proposing hearing
times and booking them), ``notices`` (notices of hearing with their calendar invites,
printable notices, reminders), ``outcomes`` (the outcome of each hearing, and the decisions
and interim orders of cases), ``room`` (the hearing page of a video hearing: its join
window, check-in and the waiting room), ``selftest`` (a participant's test of their camera,
microphone and sound before a video hearing), ``attendance`` (joins and leaves of video hearings
from signed webhooks and the hearing page, as intervals, and the summary of who came) and
``views`` (what parties, adjudicators and the registry see of hearings: the case pages'
sections, the dates parties cannot attend, the day view and "My hearings"). Beside them,
shared by all: ``models`` (the hearing tables), ``jitsi`` (tokens, the join window, the
deployment's health) and ``demo``. The composition root takes the two route lists below
and nothing else of the layout.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from hearings.attendance import routes as attendance
from hearings.calendars import routes as calendars
from hearings.notices import routes as notices
from hearings.outcomes import routes as outcomes
from hearings.room import routes as room
from hearings.scheduling import routes as scheduling
from hearings.selftest import routes as selftest
from hearings.views import routes as views

# Routes outside any tribunal: the attendance webhooks, signed by the video service.
routes: list[BaseRoute] = [*attendance.routes]

# Routes under ``/{tribunal}``, in the order they are matched.
tenant_routes: list[BaseRoute] = [
    *calendars.tenant_routes,
    *notices.tenant_routes,
    *outcomes.tenant_routes,
    *room.tenant_routes,
    *scheduling.tenant_routes,
    *selftest.tenant_routes,
    *views.tenant_routes,
]

__all__ = ["routes", "tenant_routes"]
