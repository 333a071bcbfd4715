"""Audit log rows, their names in the current language, cursors and CSV cells."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import Filing
from tribunals.models import Tribunal
from tribune.audit import AuditEvent, action_label
from tribune.forms import Form, parse_moment
from tribune.i18n import gettext as _
from tribune.i18n import lazy_gettext

PAGE_SIZE = 50
CSV_BATCH = 500
STAFF_ROLES = ("clerk", "adjudicator", "admin")

ROLE_NAMES = {
    "admin": lazy_gettext("Administrator"),
    "clerk": lazy_gettext("Clerk"),
    "adjudicator": lazy_gettext("Adjudicator"),
    "claimant": lazy_gettext("Claimant"),
}


def role_name(role: str | None) -> str:
    if not role:
        return ""
    name = ROLE_NAMES.get(role)
    return str(name) if name is not None else role


# -- the audit log ---------------------------------------------------------------------------


@dataclass
class Filters:
    form: Form
    conditions: list[ColumnElement[bool]]
    # The filters as query parameters, for the next page and the CSV links.
    query: dict[str, str]


@dataclass
class AuditRow:
    event: AuditEvent
    actor_name: str | None
    actor_email: str | None
    reference: str | None

    @property
    def action_name(self) -> str:
        return action_label(self.event.action)

    @property
    def role_name(self) -> str:
        return role_name(self.event.actor_role)


def encode_cursor(event: AuditEvent) -> str:
    return f"{event.occurred_at.astimezone(ZoneInfo('UTC')).isoformat()}_{event.id.hex}"


def decode_cursor(value: str) -> tuple[datetime, uuid.UUID] | None:
    moment, _sep, identifier = value.partition("_")
    occurred = parse_moment(moment)
    try:
        return (occurred, uuid.UUID(identifier)) if occurred else None
    except ValueError:
        return None


async def audit_rows(
    db: AsyncSession,
    conditions: Sequence[ColumnElement[bool]],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AuditRow]:
    """Return entries newest first, after a cursor (keyset: no OFFSET), in one query."""
    statement = (
        select(AuditEvent, User.name, User.email, Filing.reference)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Filing, Filing.id == AuditEvent.case_id)
        .where(*conditions)
    )
    if after is not None:
        occurred, identifier = after
        # A row-value comparison: an index range from the cursor on, not a scan of newer rows.
        statement = statement.where(
            tuple_(AuditEvent.occurred_at, AuditEvent.id) < tuple_(occurred, identifier)
        )
    rows = await db.execute(
        statement.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
    )
    return [AuditRow(event, name, email, reference) for event, name, email, reference in rows]


async def actions_present(db: AsyncSession, tribunal: Tribunal) -> list[str]:
    rows = await db.execute(
        select(AuditEvent.action)
        .where(AuditEvent.tribunal_id == tribunal.id)
        .distinct()
        .order_by(AuditEvent.action)
    )
    return list(rows.scalars())


def csv_header() -> list[str]:
    return [
        _("Date and time"),
        _("Person"),
        _("Email address"),
        _("Role"),
        _("Action"),
        _("Action code"),
        _("Case reference"),
        _("Subject type"),
        _("Subject"),
        _("Client address"),
        _("Request"),
    ]


def csv_cells(row: AuditRow, tribunal: Tribunal) -> list[str]:
    event = row.event
    return [
        event.occurred_at.astimezone(ZoneInfo(tribunal.time_zone)).isoformat(timespec="seconds"),
        row.actor_name or "",
        row.actor_email or "",
        row.role_name,
        row.action_name,
        event.action,
        row.reference or "",
        event.subject_type or "",
        str(event.subject_id) if event.subject_id else "",
        event.client_address or "",
        event.request_id or "",
    ]
