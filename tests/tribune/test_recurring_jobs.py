"""Recurring jobs: enqueued by the workers themselves, at most once per interval.

Covered: a kind a worker sees for the first time is scheduled one interval
ahead, not run at once; a due kind is enqueued and run once, and its next run
comes one interval after the run ended; a kind with a job still queued or
running is not enqueued again, however late; a recurring job that fails for
good is scheduled again one interval later; workers on real, separate
connections enqueue a due kind exactly once between them; an interval must be
positive.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.conftest import new_test_engine
from tribune import jobs
from tribune.db import Database, utcnow
from tribune.jobs import Job, JobContext, JobStatus, RecurringJob, Worker
from tribune.settings import Settings

HOURLY = timedelta(hours=1)


def unique_kind() -> str:
    return f"test.recurring.{uuid.uuid4().hex}"


def counting_handler(kind: str) -> list[uuid.UUID]:
    """Register a handler for ``kind`` that records each job it runs."""
    runs: list[uuid.UUID] = []

    @jobs.handler(kind)
    async def record_run(context: JobContext) -> None:
        runs.append(context.job.id)

    return runs


async def make_due(db: AsyncSession, kind: str) -> None:
    """Schedule the kind's next run a second ago, as if its interval had elapsed."""
    await db.merge(RecurringJob(kind=kind, next_run_at=utcnow() - timedelta(seconds=1)))
    await db.commit()


async def schedule_of(db: AsyncSession, kind: str) -> RecurringJob | None:
    row = await db.execute(
        select(RecurringJob)
        .where(RecurringJob.kind == kind)
        .execution_options(populate_existing=True)
    )
    return row.scalar_one_or_none()


async def jobs_of(db: AsyncSession, kind: str) -> list[Job]:
    rows = await db.execute(
        select(Job).where(Job.kind == kind).execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def test_a_new_kind_is_first_run_one_interval_after_a_worker_sees_it(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = unique_kind()
    runs = counting_handler(kind)

    before = utcnow()
    assert await Worker(database, settings, schedule={kind: HOURLY}).run_until_idle() == 0

    assert runs == []
    schedule = await schedule_of(db, kind)
    assert schedule is not None
    assert before + HOURLY <= schedule.next_run_at <= utcnow() + HOURLY
    assert schedule.last_enqueued_at is None


async def test_a_due_kind_runs_once_and_next_one_interval_after_it_ended(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = unique_kind()
    runs = counting_handler(kind)
    await make_due(db, kind)
    worker = Worker(database, settings, schedule={kind: HOURLY})

    assert await worker.run_until_idle() == 1
    assert await worker.run_until_idle() == 0  # not due again yet

    [job] = await jobs_of(db, kind)
    assert runs == [job.id]
    assert job.status is JobStatus.DONE
    assert job.finished_at is not None
    schedule = await schedule_of(db, kind)
    assert schedule is not None
    assert schedule.next_run_at == job.finished_at + HOURLY
    assert schedule.last_enqueued_at is not None

    await make_due(db, kind)
    assert await worker.run_until_idle() == 1
    assert len(runs) == 2


async def test_a_kind_with_a_job_queued_or_running_is_not_enqueued_again(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = unique_kind()
    runs = counting_handler(kind)
    waiting = jobs.enqueue(db, kind, run_after=utcnow() + timedelta(minutes=5))
    await make_due(db, kind)
    worker = Worker(database, settings, schedule={kind: HOURLY})

    assert await worker.run_until_idle() == 0
    assert [job.id for job in await jobs_of(db, kind)] == [waiting.id]

    # Another worker is running it: still no second job.
    waiting.status = JobStatus.RUNNING
    waiting.locked_at = utcnow()
    waiting.locked_by = "another worker"
    await db.commit()
    assert await worker.run_until_idle() == 0
    assert [job.id for job in await jobs_of(db, kind)] == [waiting.id]
    assert runs == []

    # Once it ended, the kind is due again.
    waiting.status = JobStatus.DONE
    await db.commit()
    assert await worker.run_until_idle() == 1
    assert len(runs) == 1


async def test_a_recurring_job_that_fails_for_good_is_scheduled_again(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    kind = unique_kind()

    @jobs.handler(kind)
    async def always_fails(context: JobContext) -> None:
        raise RuntimeError("the object store is down")

    await make_due(db, kind)
    worker = Worker(database, settings, schedule={kind: HOURLY})
    assert await worker.run_once() is True

    [job] = await jobs_of(db, kind)
    assert job.status is JobStatus.QUEUED  # retried later, and meanwhile not enqueued twice
    job.run_after = utcnow() - timedelta(seconds=1)
    job.max_attempts = job.attempts + 1
    await db.commit()
    assert await worker.run_until_idle() == 1

    [job] = await jobs_of(db, kind)
    assert job.status is JobStatus.FAILED
    assert job.finished_at is not None
    schedule = await schedule_of(db, kind)
    assert schedule is not None
    assert schedule.next_run_at == job.finished_at + HOURLY


async def test_workers_side_by_side_enqueue_a_due_kind_once(
    engine: AsyncEngine, settings: Settings
) -> None:
    # Real connections and committed rows, as in production: see test_jobs.py.
    committing_engine = new_test_engine()
    database = Database(
        committing_engine, async_sessionmaker(committing_engine, expire_on_commit=False)
    )
    kind = unique_kind()
    runs = counting_handler(kind)
    try:
        async with database.session() as db:
            await make_due(db, kind)

        workers = [
            Worker(database, settings, name=f"worker-{n}", schedule={kind: HOURLY})
            for n in range(6)
        ]

        async def poll(worker: Worker) -> None:
            for _ in range(5):
                await worker.run_once()
                await asyncio.sleep(0)

        await asyncio.gather(*(poll(worker) for worker in workers))

        assert len(runs) == 1
        async with database.session() as db:
            assert len(await jobs_of(db, kind)) == 1
    finally:
        async with database.session() as db:
            await db.execute(delete(Job).where(Job.kind == kind))
            await db.execute(delete(RecurringJob).where(RecurringJob.kind == kind))
            await db.commit()
        await database.dispose()


def test_an_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive interval"):
        jobs.recurring(unique_kind(), every=timedelta(0))
