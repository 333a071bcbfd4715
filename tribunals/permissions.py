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
    # Change the tribunal's settings (what is done with PDFs holding JavaScript).
    SETTINGS_MANAGE = "tribunals:settings:manage"
    # Create, edit, preview and publish the tribunal's case types.
    CASE_TYPES_MANAGE = "filings:case_type:manage"
    # The docket, its CSV export, and staff case pages (timeline, notes, delivery log).
    DOCKET_VIEW = "filings:docket:view"
    # Move cases (the lifecycle then checks role and state), assign, keep notes.
    CASE_WORK = "filings:case:work"
    # Add respondents, enter paper filings on someone's behalf.
    REGISTRY_WORK = "filings:registry:work"
    # Hearing settings and hours, durations, interpreters, rooms, every adjudicator's availability.
    HEARINGS_MANAGE = "hearings:settings:manage"
    # Book, move, adjourn and cancel a case's hearings (the registry).
    HEARINGS_SCHEDULE = "hearings:hearing:schedule"
    # An adjudicator's own availability (weekly pattern and exceptions).
    OWN_AVAILABILITY = "hearings:availability:own"
    # The tribunal's hearings of a day, per adjudicator and per room (registry and adjudicators).
    HEARINGS_DAY_VIEW = "hearings:day:view"
    # An adjudicator's own upcoming hearings ("My hearings").
    OWN_HEARINGS = "hearings:hearings:own"
    # Search and export the audit log.
    AUDIT_VIEW = "tribune:audit:view"
    # The fee schedule, the waiver, refund and reconciliation settings, the reconciliation.
    PAYMENTS_MANAGE = "payments:settings:manage"
    # Record counter and cheque payments, decide fee waivers, ask for and approve refunds.
    PAYMENTS_WORK = "payments:payment:work"
    # The tribunal's service standards as measured, and the cases at risk of missing one.
    STANDARDS_VIEW = "accountability:standards:view"
    # Define and version the service standards, publish each quarter's figures, the annual report.
    STANDARDS_MANAGE = "accountability:standards:manage"
    # Read the feedback sent from the tribunal's pages, answer it and mark it handled.
    FEEDBACK_WORK = "accountability:feedback:work"


_STAFF = {
    Permission.WORKSPACE_VIEW,
    Permission.DOCKET_VIEW,
    Permission.CASE_WORK,
    Permission.HEARINGS_DAY_VIEW,
    Permission.STANDARDS_VIEW,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            *_STAFF,
            Permission.STAFF_MANAGE,
            Permission.SETTINGS_MANAGE,
            Permission.CASE_TYPES_MANAGE,
            Permission.REGISTRY_WORK,
            Permission.AUDIT_VIEW,
            Permission.HEARINGS_MANAGE,
            Permission.HEARINGS_SCHEDULE,
            Permission.PAYMENTS_MANAGE,
            Permission.PAYMENTS_WORK,
            Permission.STANDARDS_MANAGE,
            Permission.FEEDBACK_WORK,
        }
    ),
    Role.CLERK: frozenset(
        {
            *_STAFF,
            Permission.REGISTRY_WORK,
            Permission.HEARINGS_SCHEDULE,
            Permission.PAYMENTS_WORK,
            Permission.FEEDBACK_WORK,
        }
    ),
    Role.ADJUDICATOR: frozenset({*_STAFF, Permission.OWN_AVAILABILITY, Permission.OWN_HEARINGS}),
}


def permissions_of(roles: set[Role]) -> frozenset[Permission]:
    granted: set[Permission] = {Permission.PUBLIC}
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
