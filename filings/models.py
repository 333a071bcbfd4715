"""Case types (versioned, per tribunal), filings with their answers, documents and events."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Base, Model, enum_by_value


class VersionStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class CaseType(Model):
    """A kind of case a tribunal takes (an appeal, an application...)."""

    __tablename__ = "case_types"
    __table_args__ = (UniqueConstraint("tribunal_id", "code"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))


class CaseTypeVersion(Model):
    """One version of a case type's questions. Once published it never changes:
    an edit makes a new version, so filings keep the questions they were made with."""

    __tablename__ = "case_type_versions"
    __table_args__ = (
        UniqueConstraint("case_type_id", "number"),
        Index("ix_case_type_versions_tribunal_status", "tribunal_id", "status"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    case_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_types.id", ondelete="CASCADE"))
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(
        enum_by_value(VersionStatus), default=VersionStatus.DRAFT
    )
    title_en: Mapped[str] = mapped_column(String(200))
    title_fr: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    eligibility_en: Mapped[str] = mapped_column(Text, default="")
    eligibility_fr: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime | None]


class FilingStatus(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Filing(Model):
    """A claimant's filing: a draft until submitted, then a case with a reference."""

    __tablename__ = "filings"
    __table_args__ = (
        UniqueConstraint("tribunal_id", "reference"),
        Index("ix_filings_filer_updated", "filer_id", "updated_at"),
        Index("ix_filings_status_touched", "status", "touched_at"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    case_type_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_type_versions.id", ondelete="RESTRICT")
    )
    filer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[FilingStatus] = mapped_column(
        enum_by_value(FilingStatus), default=FilingStatus.DRAFT
    )
    # Answers by step: {"about_you": {...}, "questions": {...}, ...}.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_step: Mapped[str] = mapped_column(String(40), default="start")
    reference: Mapped[str | None] = mapped_column(String(40))
    submitted_at: Mapped[datetime | None]
    # When the filer last saved a step; drafts untouched for long are deleted.
    touched_at: Mapped[datetime]
    reminder_sent_at: Mapped[datetime | None]


class ReferenceCounter(Base):
    """The last case number given per tribunal and year; updated in the submitting
    transaction, so references have no gaps and no duplicates."""

    __tablename__ = "reference_counters"

    tribunal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tribunals.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class CaseEvent(Model):
    """Something that happened to a filing: the case timeline."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_filing_occurred", "filing_id", "occurred_at"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    visible_to_parties: Mapped[bool] = mapped_column(default=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Document(Model):
    """A file given with a filing. The bytes live in the object store under an opaque key."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("filing_id", "sha256"),
        Index("ix_documents_filing_slot", "filing_id", "slot"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(40))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
