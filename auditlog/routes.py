"""The audit log's pages: search, export, the parties' view of access."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from auditlog.forms import read_filters
from auditlog.services import (
    CSV_BATCH,
    PAGE_SIZE,
    STAFF_ROLES,
    actions_present,
    audit_rows,
    csv_cells,
    csv_header,
    decode_cursor,
    encode_cursor,
    role_name,
)
from filings import access, cases
from tribunals.permissions import Permission
from tribunals.services import show_access_to_parties
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import audit
from tribune.audit import AuditAction, AuditEvent, action_label
from tribune.csvcells import csv_line
from tribune.forms import Form
from tribune.i18n import get_language, use_language
from tribune.i18n import gettext as _
from tribune.web import db_of, redirect, render, url_path


async def audit_log(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    filters = await read_filters(db, tribunal, request)
    actions = await actions_present(db, tribunal)
    log_url = url_path(request, "auditlog:log", tribunal=tribunal.slug)
    csv_url = url_path(request, "auditlog:csv", tribunal=tribunal.slug)
    context: dict[str, Any] = {
        "form": filters.form,
        "action_choices": [("", _("All actions"))]
        + [(action, action_label(action)) for action in actions],
        "rows": [],
        "next_url": None,
        "first_url": None,
        "csv_url": f"{csv_url}?{urlencode(filters.query)}",
        "saved": request.query_params.get("saved") == "1",
    }
    if not filters.form.is_valid:
        return render(request, "auditlog/log.html", context, status_code=422)
    cursor = request.query_params.get("after", "")
    after = decode_cursor(cursor) if cursor else None
    rows = await audit_rows(db, filters.conditions, after, PAGE_SIZE + 1)
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_query = {**filters.query, "after": encode_cursor(rows[-1].event)}
        context["next_url"] = f"{log_url}?{urlencode(next_query)}"
    if after is not None:
        context["first_url"] = f"{log_url}?{urlencode(filters.query)}"
    context["rows"] = rows
    return render(request, "auditlog/log.html", context)


async def audit_csv(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    filters = await read_filters(db, tribunal, request)
    if not filters.form.is_valid:
        return await audit_log(request)
    user = signed_in_user(request)
    audit.record(
        db,
        AuditAction.AUDIT_EXPORTED,
        actor_id=user.id,
        actor_role="admin",
        tribunal_id=tribunal.id,
        filters=filters.query,
    )
    header = csv_line(csv_header())
    language = get_language()

    async def lines() -> AsyncIterator[str]:
        yield "\ufeff" + header
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            rows = await audit_rows(db, filters.conditions, after, CSV_BATCH)
            # The body is written after the endpoint returned: keep the request's language.
            with use_language(language):
                batch = "".join(csv_line(csv_cells(row, tribunal)) for row in rows)
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
    show_access_to_parties(db_of(request), tribunal, show, actor=signed_in_user(request))
    return redirect(url_path(request, "auditlog:log", tribunal=tribunal.slug) + "?saved=1")


# -- what a party sees of staff access to their case ----------------------------------------


async def case_access(request: Request) -> Response:
    tribunal = current_tribunal(request)
    if not tribunal.show_access_to_parties:
        raise HTTPException(status_code=404)
    db = db_of(request)
    found = await cases.find_case(
        db, tribunal.id, request.path_params["filing_id"], filer_id=signed_in_user(request).id
    )
    if found is None or not access.holds_filing(
        found[0], signed_in_user(request).id, current_roles(request)
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
        "auditlog/case_access.html",
        {"filing": filing, "version": version, "entries": entries},
    )


tenant_routes: list[BaseRoute] = [
    TenantRoute("/staff/audit", audit_log, permission=Permission.AUDIT_VIEW, name="auditlog:log"),
    TenantRoute(
        "/staff/audit.csv", audit_csv, permission=Permission.AUDIT_VIEW, name="auditlog:csv"
    ),
    TenantRoute(
        "/staff/audit/settings",
        access_setting,
        permission=Permission.AUDIT_VIEW,
        methods=["POST"],
        name="auditlog:settings",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/access",
        case_access,
        permission=Permission.SIGNED_IN,
        name="auditlog:case_access",
    ),
]
