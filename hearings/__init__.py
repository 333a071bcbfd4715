"""Availability, scheduling, notices, video rooms (Jitsi), attendance, outcomes and decisions.

So far: each tribunal's hearing settings and hours, default durations, interpreters and
rooms, and the availability of adjudicators, interpreters and rooms.
"""

from __future__ import annotations

from hearings.routes import tenant_routes

__all__ = ["tenant_routes"]
