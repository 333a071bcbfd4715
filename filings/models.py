"""Case types (versioned, per tribunal), filings with their answers, documents and events."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Base, Model, enum_by_value

# Schema that exists on PostgreSQL only, made by migration 0004 rather than by these models:
# schema comparisons leave it out.
POSTGRESQL_ONLY_SCHEMA = frozenset({"search_vector", "ix_filings_search_vector"})


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
    """Where a filing is in its life; `filings.lifecycle` says how it moves between them."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"  # sent back to the claimant for completion
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    HEARD = "heard"
    DECIDED = "decided"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    DISMISSED = "dismissed"

    @property
    def is_case(self) -> bool:
        """Whether the filing was submitted at least once (it has a reference)."""
        return self is not FilingStatus.DRAFT


class DueFrom(enum.Enum):
    """Who owes the next thing due on a case."""

    CLAIMANT = "claimant"
    RESPONDENT = "respondent"
    TRIBUNAL = "tribunal"


class Filing(Model):
    """A claimant's filing: a draft until submitted, then a case with a reference."""

    __tablename__ = "filings"
    __table_args__ = (
        UniqueConstraint("tribunal_id", "reference"),
        Index("ix_filings_filer_updated", "filer_id", "updated_at"),
        Index("ix_filings_status_touched", "status", "touched_at"),
        # The docket's orders, each ending with the id so that keyset pages are stable.
        Index("ix_filings_docket_received", "tribunal_id", "submitted_at", "id"),
        Index("ix_filings_docket_status", "tribunal_id", "status", "submitted_at", "id"),
        Index("ix_filings_docket_due", "tribunal_id", "due_on", "id"),
        Index("ix_filings_docket_adjudicator", "tribunal_id", "assigned_adjudicator_id"),
        Index(
            "ix_filings_docket_awaiting_payment",
            "tribunal_id",
            "submitted_at",
            "id",
            sqlite_where=text("awaiting_payment"),
            postgresql_where=text("awaiting_payment"),
        ),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    case_type_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_type_versions.id", ondelete="RESTRICT")
    )
    # The account that holds the filing: the claimant, or for a paper filing the clerk who
    # entered it, until the claimant claims it online with its access code.
    filer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The clerk who entered a paper or telephone filing; None when the claimant filed online.
    entered_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
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
    # The language the parties chose for the case ("en" or "fr").
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    assigned_adjudicator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status_changed_at: Mapped[datetime | None]
    # What is due next, by when (a date in the tribunal's time zone) and from whom.
    due_on: Mapped[date | None]
    due_from: Mapped[DueFrom | None] = mapped_column(enum_by_value(DueFrom))
    due_for: Mapped[str | None] = mapped_column(String(40))
    # Reference, party and representative names, lower-cased: what the docket search reads.
    # PostgreSQL also keeps a generated tsvector of it (search_vector, GIN index; see 0004).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A fee is due and neither paid nor waived: kept by `payments`, read by the docket's
    # filter and by acceptance, which waits for it.
    awaiting_payment: Mapped[bool] = mapped_column(default=False, server_default=false())


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
    __table_args__ = (
        Index("ix_case_events_filing_occurred", "filing_id", "occurred_at"),
        # The service standards find each case's first event of a kind in a tribunal
        # (accountability.standards.measurement).
        Index("ix_case_events_tribunal_kind_occurred", "tribunal_id", "kind", "occurred_at"),
    )

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
        # One copy of a file per filing, and one per response: a respondent may give a file
        # that the claimant gave too (migration 0005).
        Index(
            "uq_documents_filing_sha256",
            "filing_id",
            "sha256",
            unique=True,
            sqlite_where=text("response_id IS NULL"),
            postgresql_where=text("response_id IS NULL"),
        ),
        Index("uq_documents_response_sha256", "response_id", "sha256", unique=True),
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
    # Set for a document given with a respondent's response rather than with the filing.
    response_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_responses.id", ondelete="CASCADE")
    )
    # A PDF with JavaScript or actions that launch programs, kept under the tribunal's "flag"
    # setting: pages listing it warn whoever may open it.
    active_content: Mapped[bool] = mapped_column(default=False, server_default=false())


class PartyRole(enum.Enum):
    CLAIMANT = "claimant"
    RESPONDENT = "respondent"
    REPRESENTATIVE = "representative"


class CaseParty(Model):
    """A person or organisation taking part in a case: a claimant, a respondent, or a
    representative acting for one of them once authorised."""

    __tablename__ = "case_parties"
    __table_args__ = (
        Index("ix_case_parties_filing", "filing_id", "created_at"),
        Index("ix_case_parties_user", "user_id"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    role: Mapped[PartyRole] = mapped_column(enum_by_value(PartyRole))
    is_organisation: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(200))
    # A representative's firm, or the contact person of an organisation.
    organisation: Mapped[str] = mapped_column(String(200), default="")
    licence_number: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(2), default="en")
    # The account acting as this party, once they joined the case (or filed it).
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime | None]
    # For a representative: the party they act for, and when that party authorised them.
    represents_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_parties.id", ondelete="CASCADE")
    )
    authorised_at: Mapped[datetime | None]
    authorisation_withdrawn_at: Mapped[datetime | None]
    # A one-time code to join the case (sent by email or printed on a letter); hash only.
    access_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    access_code_expires_at: Mapped[datetime | None]
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def is_authorised(self) -> bool:
        return self.authorised_at is not None and self.authorisation_withdrawn_at is None


class CaseNote(Model):
    """A staff member's internal note on a case; never shown to parties."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_filing", "filing_id", "created_at"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)


class CaseResponse(Model):
    """A respondent's response to a case: answers to the case type's response questions, and
    documents (`Document.response_id`). A draft until `submitted_at` is set: the respondent
    saves their answers first, then uploads documents, then files it once."""

    __tablename__ = "case_responses"
    __table_args__ = (UniqueConstraint("party_id"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_parties.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None]
