"""The append-only audit log: who read or changed what, and when.

Entries name people and objects by id only; nothing personal goes in
``details``. On PostgreSQL a trigger refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
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
        Index("ix_audit_events_tribunal_actor", "tribunal_id", "actor_id", "occurred_at"),
        Index("ix_audit_events_tribunal_case", "tribunal_id", "case_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None]
    # The capacity the actor acted in: "clerk", "claimant", "operator"...
    actor_role: Mapped[str | None] = mapped_column(String(30))
    tribunal_id: Mapped[uuid.UUID | None]
    # The case the entry concerns, if any (a document download names its case too).
    case_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[uuid.UUID | None]
    request_id: Mapped[str | None] = mapped_column(String(32))
    client_address: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    request_id: str
    client_address: str | None


# Set by the request middleware, so that every entry written during a request carries the
# request's id and client address without each caller passing them along.
current_origin: ContextVar[RequestOrigin | None] = ContextVar("audit_origin", default=None)


def record(
    db: AsyncSession,
    action: str,
    *,
    actor_id: uuid.UUID | None = None,
    actor_role: str | None = None,
    tribunal_id: uuid.UUID | None = None,
    subject_type: str | None = None,
    subject_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    request_id: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit entry to the session; it is written with the caller's transaction."""
    origin = current_origin.get()
    if case_id is None and subject_type == "filing":
        case_id = subject_id
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        actor_role=actor_role,
        tribunal_id=tribunal_id,
        subject_type=subject_type,
        subject_id=subject_id,
        case_id=case_id,
        request_id=request_id or (origin.request_id if origin else None),
        client_address=origin.client_address if origin else None,
        details=details,
    )
    db.add(event)
    return event
