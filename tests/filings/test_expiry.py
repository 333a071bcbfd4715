"""Drafts left untouched expire after a reminder; objects no document refers to are swept.

Covered: a draft idle for its tribunal's retention less seven days gets one
reminder, in its filer's language, naming the deletion date and linking to the
draft; an expired draft that was reminded a week ago is deleted with its
documents' rows and their objects, on both document stores, and the deletion
is audited; a draft its filer saved or uploaded to after the reminder is kept;
an expired draft never reminded gets its reminder first and a week's grace;
submitted filings are never reminded or deleted; the job costs the same
queries for 4 drafts as for 40, and goes through more drafts than one batch;
the sweep deletes old unreferenced objects only, after a day by default; both
jobs are on the workers' schedule.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import jobs as filing_jobs
from filings.documents import services as documents_services
from filings.jobs import EXPIRE_DRAFTS, SWEEP_ORPHANS, expire_drafts
from filings.journey import services as journey_services
from filings.models import CaseTypeVersion, Document, Filing, FilingStatus
from tests.factories.accounts import make_user
from tests.factories.filings import make_demo_case_type
from tests.factories.tribunals import make_tribunal
from tests.filings.conftest import DocumentStore
from tests.helpers import count, link_in, new_draft, pdf_bytes, post_form, sign_in, upload
from tribunals.models import Tribunal
from tribune import jobs
from tribune.app import build_outbox
from tribune.audit import AuditEvent
from tribune.db import Database, utcnow
from tribune.i18n import format_date, use_language
from tribune.jobs import Job, JobContext, Worker
from tribune.mail import OutboxMessage
from tribune.settings import Settings
from tribune.storage.base import Storage, new_object_key
from tribune.storage.local import LocalFolderStorage


async def reminders_to(db: AsyncSession, user: User) -> list[OutboxMessage]:
    rows = await db.execute(
        select(OutboxMessage).where(
            OutboxMessage.to_address == user.email, OutboxMessage.template == "draft_reminder"
        )
    )
    return list(rows.scalars())


async def age(
    db: AsyncSession, filing: Filing, *, idle_days: int, reminded_days_ago: int | None = None
) -> None:
    """Make a filing look untouched for ``idle_days``, reminded ``reminded_days_ago`` if given."""
    now = utcnow()
    filing.touched_at = now - timedelta(days=idle_days)
    filing.reminder_sent_at = (
        None if reminded_days_ago is None else now - timedelta(days=reminded_days_ago)
    )
    await db.commit()


async def draft(
    db: AsyncSession,
    tribunal: Tribunal,
    version: CaseTypeVersion,
    filer: User,
    *,
    idle_days: int,
    reminded_days_ago: int | None = None,
    document_in: Storage | None = None,
) -> Filing:
    """Start a draft (with a stored document if ``document_in``) and make it look idle."""
    filing = journey_services.start_filing(db, tribunal, version, filer)
    await db.commit()
    if document_in is not None:
        await stored_document(db, document_in, filing, filer)
    await age(db, filing, idle_days=idle_days, reminded_days_ago=reminded_days_ago)
    return filing


async def stored_document(
    db: AsyncSession, storage: Storage, filing: Filing, uploader: User
) -> Document:
    content = pdf_bytes()
    key = new_object_key()
    await storage.put(key, content)
    document = documents_services.add_document(
        db,
        filing,
        slot="decision",
        storage_key=key,
        filename="decision.pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        kind="pdf",
        uploader=uploader,
    )
    await db.commit()
    return document


async def run_job(
    db: AsyncSession,
    database: Database,
    settings: Settings,
    kind: str,
    storage: Storage | None = None,
    **payload: str,
) -> None:
    jobs.enqueue(db, kind, payload)
    await db.commit()
    worker = Worker(database, settings, storage=storage, outbox=build_outbox(settings))
    await worker.run_until_idle()


async def setting_up(db: AsyncSession) -> tuple[Tribunal, CaseTypeVersion]:
    tribunal = await make_tribunal(db, draft_retention_days=60)
    return tribunal, await make_demo_case_type(db, tribunal)


async def test_an_idle_draft_gets_one_reminder_in_its_filers_language(
    client: httpx.AsyncClient, db: AsyncSession, database: Database, settings: Settings
) -> None:
    tribunal, version = await setting_up(db)
    french, english, busy = (
        await make_user(db, language="fr"),
        await make_user(db, language="en"),
        await make_user(db),
    )
    french_draft = await draft(db, tribunal, version, french, idle_days=54)
    await draft(db, tribunal, version, english, idle_days=54)
    await draft(db, tribunal, version, busy, idle_days=52)

    await run_job(db, database, settings, EXPIRE_DRAFTS)
    await run_job(db, database, settings, EXPIRE_DRAFTS)  # a second run sends nothing more

    await db.refresh(french_draft)
    assert french_draft.reminder_sent_at is not None
    deleted_on = french_draft.reminder_sent_at + timedelta(days=7)
    [in_french] = await reminders_to(db, french)
    with use_language("fr"):
        on = format_date(deleted_on, zone=tribunal.time_zone)
    assert in_french.subject == f"Votre brouillon de demande sera supprimé le {on}"
    assert version.title_fr in in_french.body
    [in_english] = await reminders_to(db, english)
    on = format_date(deleted_on, zone=tribunal.time_zone)
    assert in_english.subject == f"Your draft filing will be deleted on {on}"
    assert version.title_en in in_english.body
    assert await reminders_to(db, busy) == []

    # The link takes the filer back to where they stopped.
    assert link_in(in_french) == f"/{tribunal.slug}/filings/{french_draft.id}"
    await sign_in(client, french.email)
    resumed = await client.get(link_in(in_french))
    assert resumed.status_code == 303
    assert resumed.headers["location"] == f"/{tribunal.slug}/filings/{french_draft.id}/eligibility"


async def test_an_expired_draft_goes_with_its_documents_and_their_objects(
    client: httpx.AsyncClient,
    db: AsyncSession,
    database: Database,
    settings: Settings,
    document_store: DocumentStore,
) -> None:
    _tribunal, base = await new_draft(client, db)
    uploaded = await upload(client, base, "decision", [("a.pdf", pdf_bytes(), "application/pdf")])
    assert uploaded.status_code == 303
    filing = (await db.execute(select(Filing))).scalar_one()
    filing_id = filing.id
    assert len(document_store.keys()) == 1
    await age(db, filing, idle_days=61, reminded_days_ago=8)

    await run_job(db, database, settings, EXPIRE_DRAFTS, document_store.storage)

    assert await count(db, Filing, Filing.id == filing_id) == 0
    assert await count(db, Document, Document.filing_id == filing_id) == 0
    assert document_store.keys() == []
    assert (
        await count(
            db,
            AuditEvent,
            AuditEvent.action == "filing.draft_deleted",
            AuditEvent.subject_id == filing_id,
        )
        == 1
    )
    assert (await client.get(base)).status_code == 404


@pytest.mark.parametrize("comeback", ["saves a step", "uploads a file"])
async def test_a_draft_its_filer_comes_back_to_is_kept(
    client: httpx.AsyncClient,
    db: AsyncSession,
    database: Database,
    settings: Settings,
    comeback: str,
) -> None:
    _tribunal, base = await new_draft(client, db)
    filing = (await db.execute(select(Filing))).scalar_one()
    await age(db, filing, idle_days=61, reminded_days_ago=8)

    if comeback == "saves a step":
        response = await post_form(
            client, f"{base}/eligibility", {"eligible": "yes"}, page=f"{base}/eligibility"
        )
    else:
        response = await upload(
            client, base, "decision", [("a.pdf", pdf_bytes(), "application/pdf")]
        )
    assert response.status_code == 303
    await run_job(db, database, settings, EXPIRE_DRAFTS)

    assert await count(db, Filing, Filing.id == filing.id) == 1
    assert await count(db, OutboxMessage, OutboxMessage.template == "draft_reminder") == 0


async def test_an_expired_draft_never_reminded_gets_a_reminder_and_a_weeks_grace(
    db: AsyncSession, database: Database, settings: Settings
) -> None:
    tribunal, version = await setting_up(db)
    filer = await make_user(db)
    filing = await draft(db, tribunal, version, filer, idle_days=90)

    await run_job(db, database, settings, EXPIRE_DRAFTS)

    assert await count(db, Filing, Filing.id == filing.id) == 1
    [reminder] = await reminders_to(db, filer)
    in_a_week = format_date(utcnow() + timedelta(days=7), zone=tribunal.time_zone)
    assert reminder.subject == f"Your draft filing will be deleted on {in_a_week}"

    await age(db, filing, idle_days=90, reminded_days_ago=8)
    await run_job(db, database, settings, EXPIRE_DRAFTS)
    assert await count(db, Filing, Filing.id == filing.id) == 0


async def test_submitted_filings_are_never_reminded_or_deleted(
    db: AsyncSession, database: Database, settings: Settings, document_store: DocumentStore
) -> None:
    tribunal, version = await setting_up(db)
    filer = await make_user(db)
    cases = []
    for number, reminded_days_ago in enumerate([None, 30], start=1):
        case = await draft(
            db, tribunal, version, filer, idle_days=400, reminded_days_ago=reminded_days_ago
        )
        case.status = FilingStatus.SUBMITTED
        case.submitted_at = case.touched_at
        case.reference = f"{tribunal.reference_prefix}-2025-{number:06d}"
        await stored_document(db, document_store.storage, case, filer)
        cases.append(case.id)

    await run_job(db, database, settings, EXPIRE_DRAFTS, document_store.storage)

    assert await count(db, Filing, Filing.id.in_(cases)) == 2
    assert await count(db, Document, Document.filing_id.in_(cases)) == 2
    assert len(document_store.keys()) == 2
    assert await reminders_to(db, filer) == []


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements sent to the database while the fixture is active."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    yield sent
    event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_the_job_costs_the_same_queries_for_4_drafts_as_for_40(
    db: AsyncSession, database: Database, settings: Settings, statements: list[str]
) -> None:
    tribunal, version = await setting_up(db)
    filer = await make_user(db)
    worker = Worker(database, settings, outbox=build_outbox(settings))
    storage = worker.storage

    async def queries_to_expire(drafts_of_each_kind: int) -> int:
        for _ in range(drafts_of_each_kind):
            await draft(db, tribunal, version, filer, idle_days=55)
            await draft(
                db, tribunal, version, filer, idle_days=61, reminded_days_ago=8, document_in=storage
            )
        statements.clear()
        job = Job(kind=EXPIRE_DRAFTS, payload={})
        context = JobContext(
            db=db, settings=settings, job=job, storage=storage, outbox=worker.outbox
        )
        await expire_drafts(context)
        return len(statements)

    assert await queries_to_expire(2) == await queries_to_expire(20)
    assert await count(db, Filing, Filing.tribunal_id == tribunal.id) == 22  # reminded, kept


async def test_more_drafts_than_one_batch_are_all_handled(
    db: AsyncSession, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filing_jobs, "BATCH_SIZE", 3)
    tribunal, version = await setting_up(db)
    filer = await make_user(db)
    for _ in range(7):
        await draft(db, tribunal, version, filer, idle_days=55)
        await draft(db, tribunal, version, filer, idle_days=61, reminded_days_ago=8)

    await run_job(db, database, settings, EXPIRE_DRAFTS)

    assert len(await reminders_to(db, filer)) == 7
    assert await count(db, Filing, Filing.tribunal_id == tribunal.id) == 7


async def test_the_sweep_deletes_old_objects_no_document_refers_to(
    db: AsyncSession, database: Database, settings: Settings, document_store: DocumentStore
) -> None:
    tribunal, version = await setting_up(db)
    filer = await make_user(db)
    filing = await draft(db, tribunal, version, filer, idle_days=1)
    document = await stored_document(db, document_store.storage, filing, filer)
    orphan = new_object_key()
    await document_store.storage.put(orphan, b"left by an upload whose commit failed")
    # S3 gives modification times to the second: a whole second apart, on a whole second.
    await asyncio.sleep(1.1)
    cutoff = datetime.now(UTC).replace(microsecond=0)
    in_flight = new_object_key()
    await document_store.storage.put(in_flight, b"an upload about to be committed")

    await run_job(
        db,
        database,
        settings,
        SWEEP_ORPHANS,
        document_store.storage,
        written_before=cutoff.isoformat(),
    )

    assert document_store.keys() == sorted([document.storage_key, in_flight])
    assert await count(db, AuditEvent, AuditEvent.action == "storage.orphans_swept") == 1


async def test_by_default_the_sweep_leaves_objects_younger_than_a_day(
    db: AsyncSession, database: Database, settings: Settings, tmp_path: Path
) -> None:
    storage = LocalFolderStorage(tmp_path / "documents")
    for key, hours_old in (("ab/two-days", 48), ("cd/two-hours", 2)):
        await storage.put(key, b"no document refers to this")
        written = time.time() - hours_old * 3600
        os.utime(storage.root / key, (written, written))

    await run_job(db, database, settings, SWEEP_ORPHANS, storage)

    assert [key async for key in storage.list_keys()] == ["cd/two-hours"]


def test_both_jobs_are_on_the_workers_schedule(database: Database, settings: Settings) -> None:
    schedule = Worker(database, settings).schedule
    assert schedule[EXPIRE_DRAFTS] == timedelta(hours=1)
    assert schedule[SWEEP_ORPHANS] == timedelta(days=1)
