"""Background jobs: a table of queued work, recurring jobs, and the worker that runs them.

Several workers may run at once: on PostgreSQL a job is claimed with
``FOR UPDATE SKIP LOCKED``, and everywhere the claim is a conditional update,
so no two workers run the same job.

Recurring work is declared with ``recurring(kind, every=...)``; each worker, as
it looks for a job, enqueues a recurring kind that is due (see ``RecurringJob``).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import socket
import traceback
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Index, String, Text, exists, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Base, Database, Model, enum_by_value, utcnow
from tribune.settings import Settings
from tribune.storage import storage_from_url
from tribune.storage.base import Storage

if TYPE_CHECKING:
    from tribune.mail import Outbox

log = logging.getLogger("tribune.jobs")

STALE_AFTER = timedelta(minutes=10)


class JobStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Model):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(enum_by_value(JobStatus), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_at: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class RecurringJob(Base):
    """When a recurring kind of job is next due: one row per kind, shared by every worker.

    Why a row per kind rather than a unique partial index on ``jobs``: an index
    stops a second *queued* job of a kind, but not a second run just after the
    first finished, nor does it hold the interval. Here a worker enqueues a job
    only when its conditional ``UPDATE ... SET next_run_at = now + every WHERE
    next_run_at <= now AND no job of the kind is queued or running`` changed the
    row. On PostgreSQL a second worker's UPDATE waits for the first one's row
    lock, then re-checks the condition against the committed row (READ
    COMMITTED), finds ``next_run_at`` in the future and changes nothing; on
    SQLite, writers are serialised by ``BEGIN IMMEDIATE``. When the job ends,
    ``next_run_at`` becomes its end time plus ``every``: a run always starts at
    least ``every`` after the previous one finished.
    """

    __tablename__ = "recurring_jobs"

    kind: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime]
    last_enqueued_at: Mapped[datetime | None]


@dataclass
class JobContext:
    db: AsyncSession
    settings: Settings
    job: Job
    storage: Storage
    outbox: Outbox


JobHandler = Callable[[JobContext], Awaitable[None]]
_handlers: dict[str, JobHandler] = {}
_recurring: dict[str, timedelta] = {}


def handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the function that runs jobs of a kind."""

    def register(function: JobHandler) -> JobHandler:
        _handlers[kind] = function
        return function

    return register


def recurring(kind: str, *, every: timedelta) -> None:
    """Run jobs of a kind (registered with ``handler``) periodically, at most once per ``every``.

    The first run comes ``every`` after a worker first sees the kind, then each
    run starts ``every`` after the previous one ended, on whichever worker is free.
    """
    if every <= timedelta(0):
        raise ValueError("a recurring job needs a positive interval")
    _recurring[kind] = every


def enqueue(
    db: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_after: datetime | None = None,
    max_attempts: int = 5,
) -> Job:
    """Add a job to the session; it runs once the caller's transaction commits."""
    job = Job(
        kind=kind,
        payload=payload or {},
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
    )
    db.add(job)
    return job


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try: 30 s, 1 min, 2 min, ... capped at 1 h."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


class Worker:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        name: str | None = None,
        *,
        storage: Storage | None = None,
        schedule: Mapping[str, timedelta] | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        """``storage`` and ``outbox`` are handed to jobs (by default the storage the settings
        name, and an outbox without the app's routes, which cannot link to a page: the
        composition root hands its worker one with them); ``schedule`` is the recurring kinds
        this worker enqueues (by default every one registered)."""
        self.database = database
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.storage = storage or storage_from_url(
            settings.storage_url,
            s3_endpoint_url=settings.s3_endpoint_url,
            s3_region=settings.s3_region,
        )
        if outbox is None:
            # Imported here: tribune.mail queues its deliveries as jobs of this module.
            from tribune.mail import Outbox, no_routes
            from tribune.web import create_templates

            outbox = Outbox.from_settings(settings, create_templates().env, no_routes)
        self.outbox = outbox
        # The registry itself, not a copy: kinds registered later are seen too.
        self.schedule = _recurring if schedule is None else schedule

    async def _enqueue_due_recurring(self, db: AsyncSession, now: datetime) -> None:
        """Enqueue each due recurring kind in the caller's transaction (see RecurringJob)."""
        if not self.schedule:
            return
        kinds = sorted(self.schedule)  # one order for every worker: row locks never deadlock
        rows = await db.execute(
            select(RecurringJob.kind, RecurringJob.next_run_at).where(RecurringJob.kind.in_(kinds))
        )
        next_runs: dict[str, datetime] = {kind: next_run_at for kind, next_run_at in rows}
        missing = [kind for kind in kinds if kind not in next_runs]
        if missing:
            insert = postgresql_insert if self.database.dialect == "postgresql" else sqlite_insert
            await db.execute(
                insert(RecurringJob)
                .values(
                    [{"kind": kind, "next_run_at": now + self.schedule[kind]} for kind in missing]
                )
                .on_conflict_do_nothing(index_elements=[RecurringJob.kind])
            )
        for kind in kinds:
            if kind not in next_runs or next_runs[kind] > now:
                continue
            pending = exists().where(
                Job.kind == kind, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])
            )
            claimed = await db.execute(
                update(RecurringJob)
                .where(RecurringJob.kind == kind, RecurringJob.next_run_at <= now, ~pending)
                .values(next_run_at=now + self.schedule[kind], last_enqueued_at=now)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                enqueue(db, kind, run_after=now)

    async def _schedule_next_run(self, db: AsyncSession, kind: str, finished_at: datetime) -> None:
        every = self.schedule.get(kind)
        if every is not None:
            await db.execute(
                update(RecurringJob)
                .where(RecurringJob.kind == kind)
                .values(next_run_at=finished_at + every)
            )

    async def _claim(self) -> uuid.UUID | None:
        now = utcnow()
        async with self.database.session() as db:
            await db.execute(
                update(Job)
                .where(Job.status == JobStatus.RUNNING, Job.locked_at < now - STALE_AFTER)
                .values(status=JobStatus.QUEUED, locked_at=None, locked_by=None)
            )
            await self._enqueue_due_recurring(db, now)
            query = (
                select(Job.id)
                .where(Job.status == JobStatus.QUEUED, Job.run_after <= now)
                .order_by(Job.run_after)
                .limit(1)
            )
            if self.database.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            job_id = (await db.execute(query)).scalar_one_or_none()
            if job_id is None:
                await db.commit()
                return None
            claimed = await db.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                .values(
                    status=JobStatus.RUNNING,
                    attempts=Job.attempts + 1,
                    locked_at=now,
                    locked_by=self.name,
                )
            )
            await db.commit()
            return job_id if claimed.rowcount == 1 else None  # type: ignore[attr-defined]

    async def run_once(self) -> bool:
        """Run one due job; return False when none was due."""
        job_id = await self._claim()
        if job_id is None:
            return False
        async with self.database.session() as db:
            job = await db.get_one(Job, job_id)
            kind = job.kind  # read now: the rollback below expires the loaded job
            run = _handlers.get(kind)
            try:
                if run is None:
                    raise LookupError(f"no handler for job kind {kind!r}")
                context = JobContext(
                    db=db, settings=self.settings, job=job, storage=self.storage, outbox=self.outbox
                )
                await run(context)
                job.status = JobStatus.DONE
                job.finished_at = utcnow()
                job.locked_at = None
                await self._schedule_next_run(db, kind, job.finished_at)
                await db.commit()
                return True
            except Exception as error:
                await db.rollback()
                failure = "".join(traceback.format_exception_only(error)).strip()
                log.warning("job failed", extra={"job_id": str(job_id), "kind": kind})
        async with self.database.session() as db:
            job = await db.get_one(Job, job_id)
            job.last_error = failure[:2000]
            job.locked_at = None
            job.locked_by = None
            if job.attempts >= job.max_attempts:
                job.status = JobStatus.FAILED
                job.finished_at = utcnow()
                await self._schedule_next_run(db, kind, job.finished_at)
            else:
                job.status = JobStatus.QUEUED
                job.run_after = utcnow() + backoff(job.attempts)
            await db.commit()
        return True

    async def run_until_idle(self, limit: int = 1000) -> int:
        """Run due jobs until none is left; return how many ran (tests, commands)."""
        count = 0
        while count < limit and await self.run_once():
            count += 1
        return count

    async def run_forever(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        log.info("worker started", extra={"worker": self.name})
        while not stop.is_set():
            try:
                ran = await self.run_once()
            except Exception:
                log.exception("worker could not claim a job")
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
        log.info("worker stopped", extra={"worker": self.name})
