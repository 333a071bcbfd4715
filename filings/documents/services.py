"""A case's documents: the upload pipeline (quotas, duplicates, scanning, storing) and removal."""

from __future__ import annotations

import contextlib
import enum
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.cases import add_event
from filings.documents.inspection import (
    FileKind,
    Inspection,
    Problem,
    inspect,
    normalise_filename,
)
from filings.documents.scanning import Scanner
from filings.models import Document, Filing
from tribunals.models import ActivePdfPolicy, Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import EarlyCommit, commit_early, utcnow
from tribune.storage.base import Storage, new_object_key
from tribune.uploads import ReceivedFile, cut_received_file

# Inspection decodes images and walks PDFs (up to a second and 150 MB for the largest image):
# a few at a time, in worker threads, so that uploads take neither the event loop, the thread
# pool nor all the memory.
INSPECTION_THREADS = 2
_inspection_limiter = anyio.CapacityLimiter(INSPECTION_THREADS)


async def inspect_upload(file: ReceivedFile) -> Inspection:
    """`inspect` in a worker thread, at most `INSPECTION_THREADS` at a time."""
    return await anyio.to_thread.run_sync(
        inspect, file.path, file.size, limiter=_inspection_limiter
    )


# Slots whose documents the respondents' side never reads, only the tribunal's staff and the
# claimant's side: those later domains register (a fee waiver's proof of income, in
# ``payments``), since filings imports none of them.
_CLAIMANT_SIDE_SLOTS: set[str] = set()


def keep_from_respondents(slot: str) -> None:
    """Register a slot whose documents only the staff and the claimant's side may read."""
    _CLAIMANT_SIDE_SLOTS.add(slot)


def kept_from_respondents(document: Document) -> bool:
    """Return whether the document is read by the staff and the claimant's side only."""
    return document.slot in _CLAIMANT_SIDE_SLOTS


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
    active_content: bool = False,
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
        active_content=active_content,
    )
    db.add(document)
    audit.record(
        db,
        AuditAction.DOCUMENT_UPLOADED,
        actor_id=uploader.id,
        tribunal_id=filing.tribunal_id,
        subject_type="document",
        subject_id=document.id,
    )
    if response_id is not None:
        pass  # a response's documents reach the other parties with the response, once filed
    elif filing.status.is_case:
        add_event(
            db,
            filing,
            "document_added",
            actor_id=uploader.id,
            # A document kept from the respondents is kept from the parties' timeline too.
            visible_to_parties=slot not in _CLAIMANT_SIDE_SLOTS,
            filename=filename,
        )
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


class UploadProblemKind(enum.Enum):
    """Why the files sent for a slot were all refused."""

    NO_FILE = "no_file"
    TOO_MANY_FILES = "too_many_files"  # the slot would hold more than it may
    CASE_TOO_LARGE = "case_too_large"  # the case's files would add up to more than allowed
    CONTENT = "content"  # a file is not what the slot takes, or cannot be read
    DUPLICATE = "duplicate"  # a file was uploaded already
    VIRUS = "virus"


@dataclass(frozen=True)
class UploadProblem:
    kind: UploadProblemKind
    filename: str = ""  # the file it is about, as it will be shown
    content: Problem | None = None  # with CONTENT: what the inspection found


@dataclass(frozen=True)
class SlotRules:
    """What a document slot takes: its key, the kinds of file, and how many files."""

    key: str
    kinds: tuple[str, ...]
    max_files: int


@dataclass(frozen=True)
class CheckedFile:
    """A received file that passed every check, ready to store: the file (an image cut to its
    picture), what it is, the name it is kept under, and whether it is a PDF with active
    content the tribunal keeps flagged."""

    file: ReceivedFile
    kind: FileKind
    filename: str
    active_content: bool


async def check_file(
    tribunal: Tribunal,
    scanner: Scanner,
    file: ReceivedFile,
    kinds: Sequence[FileKind],
    earlier: Callable[[str, str], Awaitable[str | None]],
) -> CheckedFile | UploadProblem:
    """Check one received file, as every upload page does: its content (in a worker thread)
    against the kinds allowed and the tribunal's rule for PDFs with active content, then,
    once an image is cut to its picture, duplicates (``earlier(sha256, name)`` returns the
    name of a file already given with these bytes, or None), then the virus scan
    (``ScannerUnavailable`` propagates). Return the file ready to store, or the problem."""
    inspection = await inspect_upload(file)
    problem = inspection.problem_for(kinds)
    if (
        problem is None
        and inspection.active_content
        and tribunal.active_pdfs is ActivePdfPolicy.REFUSE
    ):
        problem = Problem.ACTIVE_PDF
    name = normalise_filename(file.filename, inspection.kind)
    if problem is not None:
        return UploadProblem(UploadProblemKind.CONTENT, name, problem)
    if inspection.picture_length is not None:
        # Only the picture is kept: what follows it (a motion photo's video, or anything
        # hidden there) is cut before the file is scanned, compared and stored.
        file = await anyio.to_thread.run_sync(cut_received_file, file, inspection.picture_length)
    shown = await earlier(file.sha256, name)
    if shown is not None:
        return UploadProblem(UploadProblemKind.DUPLICATE, shown)
    if not (await scanner.scan(file.path)).clean:
        return UploadProblem(UploadProblemKind.VIRUS, name)
    assert inspection.kind is not None
    return CheckedFile(file, inspection.kind, name, inspection.active_content)


async def store_uploads(
    db: AsyncSession,
    storage: Storage,
    scanner: Scanner,
    *,
    tribunal: Tribunal,
    filing: Filing,
    slot: SlotRules,
    files: Sequence[ReceivedFile],
    uploader: User,
    response_id: uuid.UUID | None = None,
) -> int | UploadProblem:
    """Check the files received for a slot of the filing (or of a response to it) and store
    them all, returning how many; or return the first problem found and store none.

    The checks: how many files the slot holds, the case's total size, each file's content
    (in a worker thread; a PDF with JavaScript or launch actions is refused or stored flagged
    as the tribunal chose), duplicates, the virus scan (``ScannerUnavailable`` propagates).
    Objects are written before the commit and removed again if it fails, so no document row
    points at a missing object and no object is orphaned.
    """
    usage = await document_usage(db, filing, response_id=response_id)
    if not files:
        return UploadProblem(UploadProblemKind.NO_FILE)
    if usage.counts.get(slot.key, 0) + len(files) > slot.max_files:
        return UploadProblem(UploadProblemKind.TOO_MANY_FILES)
    if usage.total_size + sum(f.size for f in files) > tribunal.max_case_megabytes * 1024 * 1024:
        return UploadProblem(UploadProblemKind.CASE_TOO_LARGE)
    file_kinds = [FileKind(kind) for kind in slot.kinds]
    checked: list[CheckedFile] = []
    seen: set[str] = set()

    async def earlier(sha256: str, name: str) -> str | None:
        duplicate = await duplicate_of(db, filing, sha256, response_id=response_id)
        if duplicate is not None:
            return duplicate.filename
        return name if sha256 in seen else None

    for file in files:
        result = await check_file(tribunal, scanner, file, file_kinds, earlier)
        if isinstance(result, UploadProblem):
            return result
        seen.add(result.file.sha256)
        checked.append(result)
    stored_keys: list[str] = []
    try:
        for accepted in checked:
            key = new_object_key()
            await storage.put_file(key, accepted.file.path)
            stored_keys.append(key)
            add_document(
                db,
                filing,
                slot=slot.key,
                storage_key=key,
                filename=accepted.filename,
                size=accepted.file.size,
                sha256=accepted.file.sha256,
                kind=accepted.kind.value,
                uploader=uploader,
                response_id=response_id,
                active_content=accepted.active_content,
            )
        await commit_early(db, EarlyCommit.AFTER_STORING_OBJECTS)
    except BaseException:
        await db.rollback()
        for key in stored_keys:
            with contextlib.suppress(Exception):
                await storage.delete(key)
        raise
    return len(checked)


async def remove_document(
    db: AsyncSession,
    storage: Storage,
    document: Document,
    *,
    actor: User,
    tribunal_id: uuid.UUID,
    case_id: uuid.UUID | None = None,
) -> None:
    """Delete a document's row (audited) and then its stored object: the object goes only
    once the row is gone for good."""
    key = document.storage_key
    await db.delete(document)
    audit.record(
        db,
        AuditAction.DOCUMENT_REMOVED,
        actor_id=actor.id,
        tribunal_id=tribunal_id,
        subject_type="document",
        subject_id=document.id,
        case_id=case_id,
    )
    await commit_early(db, EarlyCommit.BEFORE_DELETING_OBJECTS)
    await storage.delete(key)
