"""Downloading a document: sent as an attachment, audited, to the people entitled to it."""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import access, lifecycle
from filings.documents import services as documents_services
from filings.documents.inspection import FileKind
from filings.models import CaseResponse
from filings.parties import responses
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import EarlyCommit, commit_early
from tribune.storage.base import Storage
from tribune.web import db_of


async def download(request: Request) -> Response:
    """Send a document as an attachment, to the tribunal's staff, its filer and the case's
    parties only."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    found = await documents_services.document_in(
        db, tribunal.id, request.path_params["document_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    document, filing = found
    parties = await lifecycle.parties_of(db, filing)
    is_staff = bool(current_roles(request))
    if document.response_id is not None:
        # A response's documents: the respondent's side until filed, then the case's readers.
        response = await db.get(CaseResponse, document.response_id)
        if response is None or not responses.may_read_response_documents(
            filing, response, user, is_staff=is_staff, parties=parties
        ):
            raise HTTPException(status_code=404)
    elif not access.may_read_documents(filing, user, is_staff=is_staff, parties=parties) or (
        # A document kept from the respondents: the staff and the claimant's side only.
        documents_services.kept_from_respondents(document)
        and not is_staff
        and not access.on_claimant_side(filing, user, parties)
    ):
        raise HTTPException(status_code=404)
    storage: Storage = request.app.state.storage
    stream = await storage.open(document.storage_key)
    audit.record(
        db,
        AuditAction.DOCUMENT_DOWNLOADED,
        actor_id=user.id,
        tribunal_id=tribunal.id,
        subject_type="document",
        subject_id=document.id,
    )
    await commit_early(db, EarlyCommit.BEFORE_STREAMING)
    return StreamingResponse(
        stream,
        media_type=FileKind(document.kind).mime_type,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''" + quote(document.filename),
            "Content-Length": str(document.size),
            "Cache-Control": "private, no-store",
        },
    )


tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/documents/{document_id:uuid}",
        download,
        permission=Permission.SIGNED_IN,
        name="filings:documents:download",
    ),
]
