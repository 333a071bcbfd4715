"""Recurring filing jobs: expire drafts left untouched, and sweep objects no document refers to.

Both are platform jobs: they read every tribunal's rows, a tribunal at a time
for drafts, and run on whichever worker is free (see ``tribune.jobs.recurring``).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from accounts.models import User
from filings.models import CaseTypeVersion, Document, Filing, FilingStatus
from tribunals.models import Tribunal
from tribune import audit, jobs
from tribune.audit import AuditAction
from tribune.db import utcnow

log = logging.getLogger("filings.jobs")

EXPIRE_DRAFTS = "filings.expire_drafts"
SWEEP_ORPHANS = "filings.sweep_orphans"

# The reminder goes this long before the draft is deleted, and a draft is never
# deleted sooner than this after its reminder (say, when the retention was shortened).
REMINDER_NOTICE = timedelta(days=7)
# An object this old with no document row is left from a failed upload, never one in progress.
ORPHAN_AGE = timedelta(days=1)
# Rows (or keys) handled per batch: each batch costs the same few queries, whatever its size.
BATCH_SIZE = 100

jobs.recurring(EXPIRE_DRAFTS, every=timedelta(hours=1))
jobs.recurring(SWEEP_ORPHANS, every=timedelta(days=1))

# Every column holding keys of stored objects: documents', and those later domains register
# (a case's decisions, in ``hearings``), since filings imports none of them.
_STORED_KEY_COLUMNS: list[InstrumentedAttribute[Any]] = [Document.storage_key]


def keeps_stored_objects(column: InstrumentedAttribute[Any]) -> None:
    """Register a column whose values are keys of stored objects: the sweep keeps them."""
    if not any(column is known for known in _STORED_KEY_COLUMNS):
        _STORED_KEY_COLUMNS.append(column)


def _case_language(filing: Filing, filer: User) -> str:
    """The language the filer chose for the case, else their own (as for the acknowledgement)."""
    about_you = (filing.answers or {}).get("about_you") or {}
    return str(about_you.get("case_language") or filer.language)


@jobs.handler(EXPIRE_DRAFTS)
async def expire_drafts(context: jobs.JobContext) -> None:
    """Remind the filers of drafts near their tribunal's retention, then delete expired drafts."""
    now = utcnow()
    tribunals = (await context.db.execute(select(Tribunal).order_by(Tribunal.slug))).scalars()
    for tribunal in list(tribunals):
        await _send_reminders(context, tribunal, now)
        await _delete_expired(context, tribunal, now)


async def _send_reminders(context: jobs.JobContext, tribunal: Tribunal, now: datetime) -> None:
    db = context.db
    retention = timedelta(days=tribunal.draft_retention_days)
    # Not reminded yet in this idle spell: a draft touched after its reminder gets a new one.
    due = (
        Filing.tribunal_id == tribunal.id,
        Filing.status == FilingStatus.DRAFT,
        Filing.touched_at < now - retention + REMINDER_NOTICE,
        or_(Filing.reminder_sent_at.is_(None), Filing.reminder_sent_at < Filing.touched_at),
    )
    while True:
        rows = (
            await db.execute(
                select(Filing, User, CaseTypeVersion)
                .join(User, User.id == Filing.filer_id)
                .join(CaseTypeVersion, CaseTypeVersion.id == Filing.case_type_version_id)
                .where(*due)
                .order_by(Filing.touched_at, Filing.id)
                .limit(BATCH_SIZE)
            )
        ).all()
        if not rows:
            return
        # Marked under the same conditions: a draft the filer saved meanwhile is left alone.
        marked = set(
            (
                await db.execute(
                    update(Filing)
                    .where(Filing.id.in_([filing.id for filing, _user, _version in rows]), *due)
                    .values(reminder_sent_at=now)
                    .returning(Filing.id)
                    .execution_options(synchronize_session=False)
                )
            ).scalars()
        )
        for filing, filer, version in rows:
            if filing.id not in marked:
                continue
            context.outbox.queue(
                db,
                to=filer.email,
                language=_case_language(filing, filer),
                template="draft_reminder",
                context={
                    "name": filer.name,
                    "tribunal": tribunal,
                    "version": version,
                    "touched_at": filing.touched_at,
                    # A reminded draft is kept REMINDER_NOTICE after the reminder, and
                    # deleted at the next run after that (hourly).
                    "deleted_on": now + REMINDER_NOTICE,
                    "url": context.outbox.url(
                        "filings:journey:resume", tribunal=tribunal.slug, filing_id=filing.id
                    ),
                },
                tribunal_id=tribunal.id,
            )
            audit.record(
                db,
                AuditAction.FILING_DRAFT_REMINDER_SENT,
                tribunal_id=tribunal.id,
                subject_type="filing",
                subject_id=filing.id,
            )
        await db.commit()  # each batch stands on its own: a later failure does not resend it
        if len(rows) < BATCH_SIZE:
            return


async def _delete_expired(context: jobs.JobContext, tribunal: Tribunal, now: datetime) -> None:
    db = context.db
    expired = (
        Filing.tribunal_id == tribunal.id,
        Filing.status == FilingStatus.DRAFT,
        Filing.touched_at < now - timedelta(days=tribunal.draft_retention_days),
        # Reminded in this idle spell, long enough ago.
        Filing.reminder_sent_at >= Filing.touched_at,
        Filing.reminder_sent_at <= now - REMINDER_NOTICE,
    )
    while True:
        candidates = list(
            (
                await db.execute(
                    select(Filing.id)
                    .where(*expired)
                    .order_by(Filing.touched_at, Filing.id)
                    .limit(BATCH_SIZE)
                )
            ).scalars()
        )
        if not candidates:
            return
        keys_by_filing: dict[uuid.UUID, list[str]] = {}
        for filing_id, key in await db.execute(
            select(Document.filing_id, Document.storage_key).where(
                Document.filing_id.in_(candidates)
            )
        ):
            keys_by_filing.setdefault(filing_id, []).append(key)
        # Deleted under the same conditions, so a draft saved meanwhile stays; the database
        # removes the documents' rows and case events with it (ON DELETE CASCADE).
        deleted = list(
            (
                await db.execute(
                    delete(Filing)
                    .where(Filing.id.in_(candidates), *expired)
                    .returning(Filing.id, Filing.filer_id)
                    .execution_options(synchronize_session=False)
                )
            ).all()
        )
        for filing_id, filer_id in deleted:
            audit.record(
                db,
                AuditAction.FILING_DRAFT_DELETED,
                tribunal_id=tribunal.id,
                subject_type="filing",
                subject_id=filing_id,
                filer_id=str(filer_id),
                documents=len(keys_by_filing.get(filing_id, [])),
            )
        await db.commit()
        # The rows are gone for good before the objects go: an object whose delete fails is
        # only an orphan, which the sweep removes later; never a row without its object.
        for filing_id, _filer_id in deleted:
            for key in keys_by_filing.get(filing_id, []):
                try:
                    await context.storage.delete(key)
                except Exception:
                    log.warning("could not delete the object of an expired draft", exc_info=True)
        if len(candidates) < BATCH_SIZE:
            return


@jobs.handler(SWEEP_ORPHANS)
async def sweep_orphans(context: jobs.JobContext) -> None:
    """Delete stored objects that no document refers to and that are older than ORPHAN_AGE.

    A job queued by hand may give another cutoff as ``{"written_before": "<ISO time>"}``.
    Every object in the store belongs to a ``Document`` row or to a row of a table whose key
    column was registered with ``keeps_stored_objects``: a new kind of stored object must be
    registered, or the sweep would delete it.
    """
    written_before = context.job.payload.get("written_before")
    cutoff = datetime.fromisoformat(written_before) if written_before else utcnow() - ORPHAN_AGE
    batch: list[str] = []
    swept = 0
    keys = context.storage.list_keys(older_than=cutoff)
    async with contextlib.aclosing(keys):
        async for key in keys:
            batch.append(key)
            if len(batch) == BATCH_SIZE:
                swept += await _delete_unreferenced(context, batch)
                batch = []
    if batch:
        swept += await _delete_unreferenced(context, batch)
    if swept:
        audit.record(context.db, AuditAction.STORAGE_ORPHANS_SWEPT, count=swept)
        log.info("orphaned objects deleted", extra={"count": swept})


async def _delete_unreferenced(context: jobs.JobContext, keys: list[str]) -> int:
    referenced: set[str] = set()
    for column in _STORED_KEY_COLUMNS:
        referenced |= set(
            (await context.db.execute(select(column).where(column.in_(keys)))).scalars()
        )
    orphans = [key for key in keys if key not in referenced]
    for key in orphans:
        await context.storage.delete(key)
    return len(orphans)
