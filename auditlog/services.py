"""Audit log rows, their names in the current language, cursors and CSV cells."""

from __future__ import annotations

import csv
import io
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
from tribune.audit import AuditEvent
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.i18n import lazy_gettext

PAGE_SIZE = 50
CSV_BATCH = 500
STAFF_ROLES = ("clerk", "adjudicator", "admin")

ACTION_NAMES = {
    "audit.exported": lazy_gettext("Audit log exported"),
    # One action for a wrong code on /join or /claim (filings.access_codes).
    "case.access_code_failed": lazy_gettext("Wrong access code entered"),
    # Older entries, from before /join and /claim shared one count, keep their label.
    "case.join_failed": lazy_gettext("Wrong access code entered"),
    "case.joined": lazy_gettext("Case joined with an access code"),
    "case_type.created": lazy_gettext("Case type created"),
    "case_type.draft_started": lazy_gettext("Case type draft started"),
    "case_type.published": lazy_gettext("Case type published"),
    "document.downloaded": lazy_gettext("Document downloaded"),
    "document.removed": lazy_gettext("Document removed"),
    "document.uploaded": lazy_gettext("Document uploaded"),
    "filing.access_letter_printed": lazy_gettext("Access letter printed"),
    "filing.claim_failed": lazy_gettext("Wrong access code entered"),  # older entries
    "filing.claimed": lazy_gettext("Case claimed with an access code"),
    "filing.draft_deleted": lazy_gettext("Draft deleted"),
    "filing.paper_started": lazy_gettext("Paper filing started"),
    "filing.started": lazy_gettext("Filing started"),
    "filing.submitted": lazy_gettext("Filing submitted"),
    "filing.viewed": lazy_gettext("Case viewed"),
    "tribunal.access_visibility_changed": lazy_gettext("Staff access shown to parties changed"),
    "tribunal.role_granted": lazy_gettext("Role granted"),
    "tribunal.staff_invited": lazy_gettext("Staff member invited"),
}

ROLE_NAMES = {
    "admin": lazy_gettext("Administrator"),
    "clerk": lazy_gettext("Clerk"),
    "adjudicator": lazy_gettext("Adjudicator"),
    "claimant": lazy_gettext("Claimant"),
}


def action_name(action: str) -> str:
    name = ACTION_NAMES.get(action)
    return str(name) if name is not None else action


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
        return action_name(self.event.action)

    @property
    def role_name(self) -> str:
        return role_name(self.event.actor_role)


def encode_cursor(event: AuditEvent) -> str:
    return f"{event.occurred_at.astimezone(ZoneInfo('UTC')).isoformat()}_{event.id.hex}"


def decode_cursor(value: str) -> tuple[datetime, uuid.UUID] | None:
    try:
        moment, _sep, identifier = value.partition("_")
        occurred = datetime.fromisoformat(moment)
        if occurred.tzinfo is None:
            return None
        return occurred, uuid.UUID(identifier)
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


def csv_safe(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r|%":
        return "'" + value
    return value


def csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_safe(cell) for cell in cells])
    return buffer.getvalue()


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
