"""Background jobs: handlers run once, failures retry with backoff and roll back, workers share.

Covered: a registered handler runs and its work is committed; a failing handler
is retried later (``run_after`` moves by ``backoff(attempts)``) with a one-line
error and ends ``failed`` after ``max_attempts``; a failed try leaves no
database changes; an unknown kind fails cleanly; a job left ``running`` by a
dead worker is reclaimed after STALE_AFTER; and several workers on real, separate
connections never run the same job twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.conftest import new_test_engine
from tribune import audit, jobs
from tribune.audit import AuditAction, AuditEvent
from tribune.db import Database, utcnow
from tribune.jobs import Job, JobContext, JobStatus, Worker
from tribune.settings import Settings


def unique_kind() -> str:
    return f"test.{uuid.uuid4().hex}"


async def queue(db: AsyncSession, kind: str, **options: object) -> Job:
    job = jobs.enqueue(db, kind, {"note": "payload"}, **options)  # type: ignore[arg-type]
    await db.commit()
    return job


async def make_due(db: AsyncSession, job: Job) -> None:
    """Move a retried job's run_after into the past, as if its backoff had elapsed."""
    await db.execute(
        update(Job).where(Job.id == job.id).values(run_after=utcnow() - timedelta(seconds=1))
    )
    await db.commit()


async def test_backoff_doubles_from_thirty_seconds_up_to_an_hour() -> None:
    assert [jobs.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert jobs.backoff(30) == timedelta(hours=1)


async def test_a_registered_handler_runs_and_its_work_is_committed(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = unique_kind()
    seen: list[dict[str, object]] = []

    @jobs.handler(kind)
    async def record_audit(context: JobContext) -> None:
        seen.append(context.job.payload)
        audit.record(context.db, AuditAction.STORAGE_ORPHANS_SWEPT, subject_id=context.job.id)

    job = await queue(db, kind)
    assert await Worker(database, settings).run_until_idle() == 1

    await db.refresh(job)
    assert seen == [{"note": "payload"}]
    assert job.status is JobStatus.DONE
    assert job.attempts == 1
    assert job.finished_at is not None
    assert job.last_error is None
    written = await db.execute(select(AuditEvent).where(AuditEvent.subject_id == job.id))
    assert len(written.scalars().all()) == 1


async def test_a_job_not_yet_due_waits(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = unique_kind()
    ran: list[str] = []

    @jobs.handler(kind)
    async def run(context: JobContext) -> None:
        ran.append(kind)

    job = await queue(db, kind, run_after=utcnow() + timedelta(minutes=5))
    await Worker(database, settings).run_until_idle()

    await db.refresh(job)
    assert ran == []
    assert job.status is JobStatus.QUEUED
    assert job.attempts == 0


async def test_a_failing_handler_is_retried_with_backoff_then_fails(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = unique_kind()

    @jobs.handler(kind)
    async def always_fails(context: JobContext) -> None:
        api_key = "local-secret-value-42"  # a local a traceback dump would show
        raise RuntimeError(f"relay refused the message ({len(api_key)})")

    job = await queue(db, kind, max_attempts=3)
    worker = Worker(database, settings)

    for attempt in (1, 2):
        before = utcnow()
        assert await worker.run_once() is True
        after = utcnow()
        await db.refresh(job)
        assert job.status is JobStatus.QUEUED
        assert job.attempts == attempt
        assert before + jobs.backoff(attempt) <= job.run_after <= after + jobs.backoff(attempt)
        assert job.last_error == "RuntimeError: relay refused the message (21)"
        assert job.locked_by is None
        # Not due again until the backoff has passed.
        assert await worker.run_once() is False
        await make_due(db, job)

    assert await worker.run_once() is True
    await db.refresh(job)
    assert job.status is JobStatus.FAILED
    assert job.attempts == 3
    assert job.finished_at is not None
    assert job.last_error is not None
    assert "Traceback" not in job.last_error
    assert "local-secret-value-42" not in job.last_error
    # A failed job is never picked up again.
    await make_due(db, job)
    assert await worker.run_once() is False


async def test_a_failed_try_leaves_no_database_changes(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = unique_kind()
    follow_up_kind = unique_kind()

    @jobs.handler(kind)
    async def half_done(context: JobContext) -> None:
        audit.record(context.db, AuditAction.STORAGE_ORPHANS_SWEPT, subject_id=context.job.id)
        jobs.enqueue(context.db, follow_up_kind)
        await context.db.flush()
        raise ValueError("failed after writing")

    job = await queue(db, kind, max_attempts=1)
    await Worker(database, settings).run_until_idle()

    await db.refresh(job)
    assert job.status is JobStatus.FAILED
    assert job.last_error == "ValueError: failed after writing"
    events = await db.execute(select(AuditEvent).where(AuditEvent.subject_id == job.id))
    assert events.scalars().all() == []
    follow_ups = await db.execute(select(Job).where(Job.kind == follow_up_kind))
    assert follow_ups.scalars().all() == []


async def test_a_job_of_an_unknown_kind_fails_cleanly(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = f"test.unknown.{uuid.uuid4().hex}"
    job = await queue(db, kind, max_attempts=1)

    assert await Worker(database, settings).run_once() is True

    await db.refresh(job)
    assert job.status is JobStatus.FAILED
    assert job.last_error == f"LookupError: no handler for job kind {kind!r}"


async def test_a_job_left_running_by_a_dead_worker_is_reclaimed(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = unique_kind()
    ran: list[uuid.UUID] = []

    @jobs.handler(kind)
    async def run(context: JobContext) -> None:
        ran.append(context.job.id)

    stale = await queue(db, kind)
    recent = await queue(db, kind)
    now = utcnow()
    for job, locked_at in ((stale, now - jobs.STALE_AFTER - timedelta(minutes=1)), (recent, now)):
        await db.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(status=JobStatus.RUNNING, attempts=1, locked_at=locked_at, locked_by="gone")
        )
    await db.commit()

    await Worker(database, settings).run_until_idle()

    await db.refresh(stale)
    await db.refresh(recent)
    assert ran == [stale.id]
    assert stale.status is JobStatus.DONE
    assert stale.attempts == 2
    # A job another worker is still running is left alone.
    assert recent.status is JobStatus.RUNNING
    assert recent.locked_by == "gone"


async def test_concurrent_workers_never_run_the_same_job(
    engine: AsyncEngine, settings: Settings
) -> None:
    # Real connections and committed rows (`engine` only ensures the schema is migrated):
    # the rolled-back test transaction would serialise everything on one connection.
    committing_engine = new_test_engine()
    database = Database(
        committing_engine, async_sessionmaker(committing_engine, expire_on_commit=False)
    )
    kind = unique_kind()
    runs: list[uuid.UUID] = []

    @jobs.handler(kind)
    async def record_run(context: JobContext) -> None:
        job_id = context.job.id
        await asyncio.sleep(0)  # let other workers interleave between the read and the write
        runs.append(job_id)

    try:
        async with database.session() as db:
            queued = [jobs.enqueue(db, kind, {"n": n}) for n in range(40)]
            await db.commit()
        job_ids = {job.id for job in queued}

        workers = [Worker(database, settings, name=f"worker-{n}") for n in range(4)]
        counts = await asyncio.gather(*(worker.run_until_idle() for worker in workers))

        assert Counter(runs) == dict.fromkeys(job_ids, 1), "each job must run exactly once"
        assert sum(counts) == 40
        async with database.session() as db:
            rows = (await db.execute(select(Job).where(Job.kind == kind))).scalars().all()
        assert {job.status for job in rows} == {JobStatus.DONE}
        assert all(job.attempts == 1 for job in rows)
        assert len({job.locked_by for job in rows}) > 1, "the work should be shared"
    finally:
        async with database.session() as db:
            await db.execute(delete(Job).where(Job.kind == kind))
            await db.commit()
        await database.dispose()
