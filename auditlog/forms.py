"""Reading the audit log's filters."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from accounts.models import User
from auditlog.services import Filters
from filings.models import Filing
from tribunals.models import Tribunal
from tribune.audit import AuditEvent
from tribune.forms import Form, date_from_parts
from tribune.i18n import gettext as _


def _date_of(form: Form, name: str, message: str) -> date | None:
    parts = [form.value(f"{name}-{part}").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None
    day = date_from_parts(*parts)
    if day is None:
        form.add_error(name, message)
    return day


def _start_of(day: date, tribunal: Tribunal) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tribunal.time_zone))


async def read_filters(db: AsyncSession, tribunal: Tribunal, request: Request) -> Filters:
    """Read the search form (a GET query) into conditions; unknown cases or people are errors."""
    form = Form(request.query_params)
    conditions: list[ColumnElement[bool]] = [AuditEvent.tribunal_id == tribunal.id]
    query: dict[str, str] = {}
    reference = form.text("case", max_length=50).upper()
    if reference and "case" not in form.errors:
        filing_id = (
            await db.execute(
                select(Filing.id).where(
                    Filing.tribunal_id == tribunal.id, Filing.reference == reference
                )
            )
        ).scalar_one_or_none()
        if filing_id is None:
            form.add_error("case", _("There is no case with this reference"))
        else:
            conditions.append(AuditEvent.case_id == filing_id)
            query["case"] = reference
    email = form.text("person", max_length=320).lower()
    if email and "person" not in form.errors:
        # Only people in this tribunal's log are looked up: whether an address has an account
        # elsewhere on the platform is none of this tribunal's business.
        in_this_log = (
            select(AuditEvent.id)
            .where(AuditEvent.tribunal_id == tribunal.id, AuditEvent.actor_id == User.id)
            .exists()
        )
        user_id = (
            await db.execute(select(User.id).where(func.lower(User.email) == email, in_this_log))
        ).scalar_one_or_none()
        if user_id is None:
            form.add_error("person", _("There is no one with this email address"))
        else:
            conditions.append(AuditEvent.actor_id == user_id)
            query["person"] = email
    action = form.text("action", max_length=100)
    if action and "action" not in form.errors:
        conditions.append(
            or_(AuditEvent.action == action, AuditEvent.action.startswith(action, autoescape=True))
        )
        query["action"] = action
    since = _date_of(form, "from", _("Enter a real date for the start of the period"))
    until = _date_of(form, "to", _("Enter a real date for the end of the period"))
    if since and until and until < since:
        form.add_error("to", _("The end of the period must be the same as or after its start"))
    if since and form.is_valid:
        conditions.append(AuditEvent.occurred_at >= _start_of(since, tribunal))
    if until and form.is_valid:
        conditions.append(AuditEvent.occurred_at < _start_of(until + timedelta(days=1), tribunal))
    for name in ("from", "to"):
        for part in ("day", "month", "year"):
            if form.value(f"{name}-{part}").strip():
                query[f"{name}-{part}"] = form.value(f"{name}-{part}").strip()
    return Filters(form, conditions, query)
