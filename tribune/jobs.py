"""Background jobs: a table of queued work and the worker that runs it.

Several workers may run at once: on PostgreSQL a job is claimed with
``FOR UPDATE SKIP LOCKED``, and everywhere the claim is a conditional update,
so no two workers run the same job.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Database, Model, enum_by_value, utcnow
from tribune.settings import Settings

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


@dataclass
class JobContext:
    db: AsyncSession
    settings: Settings
    job: Job


JobHandler = Callable[[JobContext], Awaitable[None]]
_handlers: dict[str, JobHandler] = {}


def handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the function that runs jobs of a kind."""

    def register(function: JobHandler) -> JobHandler:
        _handlers[kind] = function
        return function

    return register


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
    def __init__(self, database: Database, settings: Settings, name: str | None = None) -> None:
        self.database = database
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    async def _claim(self) -> uuid.UUID | None:
        now = utcnow()
        async with self.database.session() as db:
            await db.execute(
                update(Job)
                .where(Job.status == JobStatus.RUNNING, Job.locked_at < now - STALE_AFTER)
                .values(status=JobStatus.QUEUED, locked_at=None, locked_by=None)
            )
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
                await run(JobContext(db=db, settings=self.settings, job=job))
                job.status = JobStatus.DONE
                job.finished_at = utcnow()
                job.locked_at = None
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
