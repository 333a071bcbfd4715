"""The append-only audit log: who read or changed what, and when.

Entries name people and objects by id only; nothing personal goes in
``details``. On PostgreSQL a trigger refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_tribunal_occurred", "tribunal_id", "occurred_at"),
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None]
    tribunal_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[uuid.UUID | None]
    request_id: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    db: AsyncSession,
    action: str,
    *,
    actor_id: uuid.UUID | None = None,
    tribunal_id: uuid.UUID | None = None,
    subject_type: str | None = None,
    subject_id: uuid.UUID | None = None,
    request_id: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit entry to the session; it is written with the caller's transaction."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        tribunal_id=tribunal_id,
        subject_type=subject_type,
        subject_id=subject_id,
        request_id=request_id,
        details=details,
    )
    db.add(event)
    return event
