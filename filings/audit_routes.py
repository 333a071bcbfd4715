"""The audit log pages (search, CSV export, what parties may see of staff access) and
paper filings (a clerk enters a filing received on paper and prints the claimant a letter;
the claimant claims it online at /claim, in filings.party_routes)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from accounts.models import User
from filings import paper, services
from filings.models import Filing
from tribunals.models import Tribunal
from tribunals.permissions import Permission
from tribunals.tenancy import current_roles, current_tribunal, tenant_page
from tribune import audit
from tribune.audit import AuditEvent
from tribune.forms import Form
from tribune.i18n import get_language, lazy_gettext, use_language
from tribune.i18n import gettext as _
from tribune.web import db_of, redirect, render, settings_of

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


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise HTTPException(status_code=404) from None


# -- the audit log ---------------------------------------------------------------------------


@dataclass
class Filters:
    form: Form
    conditions: list[ColumnElement[bool]]
    # The filters as query parameters, for the next page and the CSV links.
    query: dict[str, str]


def _date_of(form: Form, name: str, message: str) -> date | None:
    parts = [form.value(f"{name}-{part}").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        form.add_error(name, message)
        return None


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
        user_id = (
            await db.execute(select(User.id).where(func.lower(User.email) == email))
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


def _staff_role(request: Request) -> str:
    """The capacity registry work is done in: clerk, or administrator when not a clerk."""
    roles = {role.value for role in current_roles(request)}
    return "clerk" if "clerk" in roles or "admin" not in roles else "admin"


async def audit_log(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    filters = await read_filters(db, tribunal, request)
    actions = await actions_present(db, tribunal)
    context: dict[str, Any] = {
        "form": filters.form,
        "action_choices": [("", _("All actions"))]
        + [(action, action_name(action)) for action in actions],
        "rows": [],
        "next_url": None,
        "first_url": None,
        "csv_url": f"/{tribunal.slug}/staff/audit.csv?{urlencode(filters.query)}",
        "saved": request.query_params.get("saved") == "1",
    }
    if not filters.form.is_valid:
        return render(request, "filings/audit/log.html", context, status_code=422)
    cursor = request.query_params.get("after", "")
    after = decode_cursor(cursor) if cursor else None
    rows = await audit_rows(db, filters.conditions, after, PAGE_SIZE + 1)
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_query = {**filters.query, "after": encode_cursor(rows[-1].event)}
        context["next_url"] = f"/{tribunal.slug}/staff/audit?{urlencode(next_query)}"
    if after is not None:
        context["first_url"] = f"/{tribunal.slug}/staff/audit?{urlencode(filters.query)}"
    context["rows"] = rows
    return render(request, "filings/audit/log.html", context)


def csv_safe(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r|%":
        return "'" + value
    return value


def _csv_line(cells: Sequence[str]) -> str:
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


async def audit_csv(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    filters = await read_filters(db, tribunal, request)
    if not filters.form.is_valid:
        return await audit_log(request)
    user = signed_in_user(request)
    audit.record(
        db,
        "audit.exported",
        actor_id=user.id,
        actor_role="admin",
        tribunal_id=tribunal.id,
        filters=filters.query,
    )
    header = _csv_line(csv_header())
    language = get_language()

    async def lines() -> AsyncIterator[str]:
        yield "\ufeff" + header
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            rows = await audit_rows(db, filters.conditions, after, CSV_BATCH)
            # The body is written after the endpoint returned: keep the request's language.
            with use_language(language):
                batch = "".join(_csv_line(csv_cells(row, tribunal)) for row in rows)
            if batch:
                yield batch
            if len(rows) < CSV_BATCH:
                return
            last = rows[-1].event
            after = (last.occurred_at, last.id)

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{tribunal.slug}.csv"'},
    )


async def access_setting(request: Request) -> Response:
    """Turn on or off the parties' view of which staff roles opened their case."""
    tribunal = current_tribunal(request)
    form = Form(await request.form())
    show = form.value("show_access_to_parties") == "yes"
    if tribunal.show_access_to_parties != show:
        tribunal.show_access_to_parties = show
        audit.record(
            db_of(request),
            "tribunal.access_visibility_changed",
            actor_id=signed_in_user(request).id,
            actor_role="admin",
            tribunal_id=tribunal.id,
            subject_type="tribunal",
            subject_id=tribunal.id,
            shown=show,
        )
    return redirect(f"/{tribunal.slug}/staff/audit?saved=1")


# -- what a party sees of staff access to their case ----------------------------------------


async def case_access(request: Request) -> Response:
    tribunal = current_tribunal(request)
    if not tribunal.show_access_to_parties:
        raise HTTPException(status_code=404)
    db = db_of(request)
    found = await services.filing_of(
        db, tribunal.id, _uuid(request.path_params["filing_id"]), signed_in_user(request).id
    )
    if (
        found is None
        or not found[0].status.is_case
        or not services.holds_filing(found[0], signed_in_user(request).id, current_roles(request))
    ):
        raise HTTPException(status_code=404)
    filing, version = found
    rows = await db.execute(
        select(AuditEvent.occurred_at, AuditEvent.actor_role)
        .where(
            AuditEvent.tribunal_id == tribunal.id,
            AuditEvent.case_id == filing.id,
            AuditEvent.actor_role.in_(STAFF_ROLES),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(500)
    )
    entries = [(occurred, role_name(role)) for occurred, role in rows]
    return render(
        request,
        "filings/audit/case_access.html",
        {"filing": filing, "version": version, "entries": entries},
    )


# -- paper filings ---------------------------------------------------------------------------


async def new_paper_filing(request: Request) -> Response:
    """The clerk picks the case type of a paper filing, then enters it through the journey."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    versions = await services.published_versions(db, tribunal.id)
    form = Form(await request.form()) if request.method == "POST" else Form()
    if request.method == "POST":
        chosen = form.choice(
            "version",
            [str(version.id) for version in versions],
            required=_("Select the type of case on the paper form"),
        )
        if form.is_valid:
            version = next(v for v in versions if str(v.id) == chosen)
            clerk = signed_in_user(request)
            filing = services.start_filing(db, tribunal, version, clerk)
            filing.entered_by_id = clerk.id
            audit.record(
                db,
                "filing.paper_started",
                actor_id=clerk.id,
                actor_role=_staff_role(request),
                tribunal_id=tribunal.id,
                subject_type="filing",
                subject_id=filing.id,
            )
            return redirect(f"/{tribunal.slug}/filings/{filing.id}")
    context = {
        "form": form,
        "versions": versions,
        "held": await paper.unclaimed_paper_filings(db, tribunal.id),
    }
    return render(
        request,
        "filings/paper/new.html",
        context,
        status_code=422 if form.errors else 200,
    )


async def access_letter(request: Request) -> Response:
    """A letter to post to a claimant without email, with a fresh code to claim the case.

    GET shows what will be printed; POST makes a new code (the earlier one stops working)
    and shows the letter with it, once.
    """
    tribunal = current_tribunal(request)
    db = db_of(request)
    filing = await db.get(Filing, _uuid(request.path_params["filing_id"]))
    if (
        filing is None
        or filing.tribunal_id != tribunal.id
        or not paper.is_paper_filing(filing)
        or not filing.status.is_case
    ):
        raise HTTPException(status_code=404)
    claimant = await paper.claimant_of(db, filing)
    if claimant is None:
        raise HTTPException(status_code=404)
    about_you = (filing.answers or {}).get("about_you") or {}
    context: dict[str, Any] = {
        "filing": filing,
        "claimant": claimant,
        # Canada Post's order: street lines, then "CITY PROVINCE  POSTAL CODE".
        "address": [
            about_you.get("address_line1") or "",
            about_you.get("address_line2") or "",
            "  ".join(
                part
                for part in (
                    " ".join(
                        part for part in (about_you.get("city"), about_you.get("province")) if part
                    ),
                    about_you.get("postal_code") or "",
                )
                if part
            ),
        ],
        "code": None,
        "claimed": claimant.user_id is not None,
        "claim_url": f"{settings_of(request).base_url}/{tribunal.slug}/claim",
    }
    if request.method == "POST":
        if claimant.user_id is not None:
            return render(request, "filings/paper/letter.html", context, status_code=409)
        context["code"] = paper.issue_code(claimant)
        context["expires_at"] = claimant.access_code_expires_at
        audit.record(
            db,
            "filing.access_letter_printed",
            actor_id=signed_in_user(request).id,
            actor_role=_staff_role(request),
            tribunal_id=tribunal.id,
            subject_type="filing",
            subject_id=filing.id,
        )
        # The letter is in the case's language, whatever the clerk reads the site in.
        with use_language(filing.language):
            return render(request, "filings/paper/letter.html", context)
    return render(request, "filings/paper/letter.html", context)


tenant_routes: list[BaseRoute] = [
    tenant_page("/staff/audit", audit_log, permission=Permission.AUDIT_VIEW, name="audit:log"),
    tenant_page("/staff/audit.csv", audit_csv, permission=Permission.AUDIT_VIEW, name="audit:csv"),
    tenant_page(
        "/staff/audit/settings",
        access_setting,
        permission=Permission.AUDIT_VIEW,
        methods=["POST"],
        name="audit:settings",
    ),
    tenant_page(
        "/cases/{filing_id}/access",
        case_access,
        permission=Permission.SIGNED_IN,
        name="audit:case_access",
    ),
    tenant_page(
        "/staff/paper-filings/new",
        new_paper_filing,
        permission=Permission.REGISTRY_WORK,
        methods=["GET", "POST"],
        name="paper:new",
    ),
    tenant_page(
        "/staff/cases/{filing_id}/letter",
        access_letter,
        permission=Permission.REGISTRY_WORK,
        methods=["GET", "POST"],
        name="paper:letter",
    ),
]
