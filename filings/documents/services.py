"""A case's documents: the upload pipeline (quotas, duplicates, scanning, storing) and removal."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from accounts.middleware import signed_in_user
from accounts.models import User
from filings.cases import add_event
from filings.casetypes.labels import kinds_text
from filings.documents import services as documents_services
from filings.documents.inspection import FileKind, Problem, inspect, normalise_filename
from filings.documents.scanning import Scanner, ScannerUnavailable
from filings.models import Document, Filing
from tribunals.models import Tribunal
from tribunals.tenancy import current_tribunal
from tribune import audit
from tribune.db import utcnow
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.security import CSRFError
from tribune.storage import Storage, new_object_key
from tribune.uploads import ReceivedFile, UploadError
from tribune.web import db_of


async def documents_of(
    db: AsyncSession, filing: Filing, *, response_id: uuid.UUID | None = None
) -> list[Document]:
    """Return the filing's own documents, or with `response_id` those of that response."""
    owner = (
        Document.response_id.is_(None)
        if response_id is None
        else Document.response_id == response_id
    )
    rows = await db.execute(
        select(Document).where(Document.filing_id == filing.id, owner).order_by(Document.created_at)
    )
    return list(rows.scalars())


@dataclass
class SlotUsage:
    counts: dict[str, int]
    total_size: int


async def document_usage(
    db: AsyncSession, filing: Filing, *, response_id: uuid.UUID | None = None
) -> SlotUsage:
    """Return how many files each slot of the filing (or of the response `response_id`) holds,
    and the whole case's total size, responses included (one query)."""
    rows = await db.execute(
        select(
            Document.slot,
            Document.response_id,
            func.count(),
            func.coalesce(func.sum(Document.size), 0),
        )
        .where(Document.filing_id == filing.id)
        .group_by(Document.slot, Document.response_id)
    )
    counts: dict[str, int] = {}
    total = 0
    for slot, owner, count, size in rows:
        if owner == response_id:
            counts[slot] = int(count)
        total += int(size)
    return SlotUsage(counts, total)


async def duplicate_of(
    db: AsyncSession, filing: Filing, sha256: str, *, response_id: uuid.UUID | None = None
) -> Document | None:
    """Return the filing's document (or the response's) with these exact bytes, or None."""
    owner = (
        Document.response_id.is_(None)
        if response_id is None
        else Document.response_id == response_id
    )
    return (
        await db.execute(
            select(Document).where(
                Document.filing_id == filing.id, Document.sha256 == sha256, owner
            )
        )
    ).scalar_one_or_none()


def add_document(
    db: AsyncSession,
    filing: Filing,
    *,
    slot: str,
    storage_key: str,
    filename: str,
    size: int,
    sha256: str,
    kind: str,
    uploader: User,
    response_id: uuid.UUID | None = None,
) -> Document:
    document = Document(
        tribunal_id=filing.tribunal_id,
        filing_id=filing.id,
        slot=slot,
        storage_key=storage_key,
        filename=filename,
        size=size,
        sha256=sha256,
        kind=kind,
        uploaded_by_id=uploader.id,
        response_id=response_id,
    )
    db.add(document)
    audit.record(
        db,
        "document.uploaded",
        actor_id=uploader.id,
        tribunal_id=filing.tribunal_id,
        subject_type="document",
        subject_id=document.id,
    )
    if response_id is not None:
        pass  # a response's documents reach the other parties with the response, once filed
    elif filing.status.is_case:
        add_event(db, filing, "document_added", actor_id=uploader.id, filename=filename)
    else:
        filing.touched_at = utcnow()  # an upload is work on the draft: it must not expire
    return document


async def document_in(
    db: AsyncSession, tribunal_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[Document, Filing] | None:
    """Return a tribunal's document with its filing, or None (another tribunal's is None)."""
    row = (
        await db.execute(
            select(Document, Filing)
            .join(Filing, Filing.id == Document.filing_id)
            .where(Document.id == document_id, Document.tribunal_id == tribunal_id)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


def _problem_message(problem: Problem, kinds: list[str]) -> str:
    messages = {
        Problem.EMPTY: _("The selected file is empty"),
        Problem.NOT_ALLOWED: _("The selected file must be a %(kinds)s", kinds=kinds_text(kinds)),
        Problem.ENCRYPTED_PDF: _(
            "The PDF is protected by a password or restrictions. "
            "Print it to a new PDF, then upload that file"
        ),
        Problem.BROKEN_PDF: _("The PDF cannot be opened. Check the file and upload it again"),
        Problem.MACRO_DOCUMENT: _(
            "The Word document contains macros. Save it as a .docx document and upload it again"
        ),
        Problem.LEGACY_OFFICE: _(
            "Save the document as a .docx document without a password and upload it again"
        ),
        Problem.TEXT_NOT_UTF8: _("Save the text file with UTF-8 encoding and upload it again"),
    }
    return messages[problem]


def upload_error_message(error: UploadError, tribunal: Tribunal, max_files: int) -> str:
    """Return the message for an upload that did not arrive whole (a forged one raises)."""
    if error.code == "csrf":
        raise CSRFError()
    if error.code in ("too_large", "field_too_large"):
        return _(
            "The selected file must be smaller than %(size)s MB", size=tribunal.max_file_megabytes
        )
    if error.code == "too_many_files":
        return _("You can upload up to %(n)s files here", n=max_files)
    return _("The upload did not arrive complete. Try again")


async def check_and_store_uploads(
    request: Request,
    filing: Filing,
    files: list[ReceivedFile],
    form: Form,
    *,
    slot_key: str,
    kinds: list[str],
    max_files: int,
    response_id: uuid.UUID | None = None,
) -> int:
    """Check received files for a slot of the filing (or of a response to it) and store them
    all, returning how many; or add an error to `form` and store none.

    The checks: how many files the slot holds, the case's total size, each file's content,
    duplicates, the virus scan. Objects are written before the commit and removed again if it
    fails, so no document row points at a missing object and no object is orphaned.
    """
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    storage: Storage = request.app.state.storage
    scanner: Scanner = request.app.state.scanner
    field = f"file-{slot_key}"
    usage = await documents_services.document_usage(db, filing, response_id=response_id)
    if not files:
        form.add_error(field, _("Select a file"))
    elif usage.counts.get(slot_key, 0) + len(files) > max_files:
        form.add_error(field, _("You can upload up to %(n)s files here", n=max_files))
    elif usage.total_size + sum(f.size for f in files) > tribunal.max_case_megabytes * 1024 * 1024:
        form.add_error(
            field,
            _(
                "The files of one case must add up to %(size)s MB or less",
                size=tribunal.max_case_megabytes,
            ),
        )
    file_kinds = [FileKind(kind) for kind in kinds]
    checked = []
    seen: set[str] = set()
    for file in files if form.is_valid else []:
        inspection = await anyio.to_thread.run_sync(inspect, file.path, file.size)
        problem = inspection.problem_for(file_kinds)
        name = normalise_filename(file.filename, inspection.kind)
        if problem is not None:
            form.add_error(field, f"{name}: {_problem_message(problem, kinds)}")
            return 0
        duplicate = await documents_services.duplicate_of(
            db, filing, file.sha256, response_id=response_id
        )
        if duplicate is not None or file.sha256 in seen:
            form.add_error(
                field,
                _(
                    "You have already uploaded this file: %(filename)s",
                    filename=duplicate.filename if duplicate else name,
                ),
            )
            return 0
        try:
            result = await scanner.scan(file.path)
        except ScannerUnavailable:
            raise HTTPException(status_code=503) from None
        if not result.clean:
            form.add_error(
                field, _("%(filename)s contains a virus and was not accepted", filename=name)
            )
            return 0
        seen.add(file.sha256)
        checked.append((file, inspection, name))
    if not form.is_valid:
        return 0
    stored_keys: list[str] = []
    try:
        for file, inspection, name in checked:
            key = new_object_key()
            await storage.put_file(key, file.path)
            stored_keys.append(key)
            assert inspection.kind is not None
            documents_services.add_document(
                db,
                filing,
                slot=slot_key,
                storage_key=key,
                filename=name,
                size=file.size,
                sha256=file.sha256,
                kind=inspection.kind.value,
                uploader=user,
                response_id=response_id,
            )
        await db.commit()
    except BaseException:
        await db.rollback()
        for key in stored_keys:
            with contextlib.suppress(Exception):
                await storage.delete(key)
        raise
    return len(checked)


async def remove_stored_document(
    request: Request, document: Document, *, case_id: uuid.UUID | None = None
) -> None:
    """Delete a document's row (audited) and then its stored object: the object goes only
    once the row is gone for good."""
    db = db_of(request)
    key = document.storage_key
    await db.delete(document)
    audit.record(
        db,
        "document.removed",
        actor_id=signed_in_user(request).id,
        tribunal_id=current_tribunal(request).id,
        subject_type="document",
        subject_id=document.id,
        case_id=case_id,
    )
    await db.commit()
    await request.app.state.storage.delete(key)
