"""What each staff role may do. Every tribunal route declares one of these."""

from __future__ import annotations

import enum

from tribunals.models import Role


class Permission(enum.Enum):
    # Anyone may see it, signed in or not: the tribunal's public pages.
    PUBLIC = "public"
    # Any signed-in person, staff or not (accepting an invitation).
    SIGNED_IN = "signed_in"
    WORKSPACE_VIEW = "tribunals:workspace:view"
    STAFF_MANAGE = "tribunals:staff:manage"
    # Create, edit, preview and publish the tribunal's case types.
    CASE_TYPES_MANAGE = "filings:case_type:manage"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {Permission.WORKSPACE_VIEW, Permission.STAFF_MANAGE, Permission.CASE_TYPES_MANAGE}
    ),
    Role.CLERK: frozenset({Permission.WORKSPACE_VIEW}),
    Role.ADJUDICATOR: frozenset({Permission.WORKSPACE_VIEW}),
}


def permissions_of(roles: set[Role]) -> frozenset[Permission]:
    granted: set[Permission] = {Permission.PUBLIC}
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
