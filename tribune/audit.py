"""The append-only audit log: who read or changed what, and when.

Entries name people and objects by id only; nothing personal goes in
``details``. On PostgreSQL a trigger refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import enum
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.support import LazyProxy
from sqlalchemy import JSON, Index, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Base, utcnow
from tribune.i18n import lazy_gettext


class AuditAction(enum.StrEnum):
    """Every action the audit log records; ``record`` takes nothing else."""

    ACCOUNT_CREATED_BY_OPERATOR = "account.created_by_operator"
    ACCOUNT_EMAIL_CHANGED = "account.email_changed"
    ACCOUNT_EMAIL_CONFIRMED = "account.email_confirmed"
    ACCOUNT_NAME_CHANGED = "account.name_changed"
    ACCOUNT_PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 - an action, no secret
    ACCOUNT_PASSWORD_RESET = "account.password_reset"  # noqa: S105 - an action, no secret
    ACCOUNT_REGISTERED = "account.registered"
    ACCOUNT_SIGN_IN_FAILED = "account.sign_in_failed"
    ACCOUNT_SIGNED_IN = "account.signed_in"
    ACCOUNT_SIGNED_OUT = "account.signed_out"
    ACCOUNT_SIGNED_OUT_EVERYWHERE = "account.signed_out_everywhere"
    ACCOUNT_TIME_ZONE_CHANGED = "account.time_zone_changed"
    ANNUAL_REPORT_EXPORTED = "annual_report.exported"
    AUDIT_EXPORTED = "audit.exported"
    AVAILABILITY_EXCEPTION_ADDED = "availability.exception_added"
    AVAILABILITY_EXCEPTION_REMOVED = "availability.exception_removed"
    AVAILABILITY_PATTERN_CHANGED = "availability.pattern_changed"
    CASE_ACCEPTED = "case.accepted"
    CASE_ADJOURNED = "case.adjourned"
    CASE_ACCESS_CODE_FAILED = "case.access_code_failed"  # a wrong code on /join or /claim
    CASE_ADJUDICATOR_ASSIGNED = "case.adjudicator_assigned"
    CASE_CLOSED = "case.closed"
    CASE_DECIDED = "case.decided"
    CASE_DISMISSED = "case.dismissed"
    CASE_HEARD = "case.heard"
    CASE_HEARING_CANCELLED = "case.hearing_cancelled"
    CASE_JOIN_FAILED = "case.join_failed"  # older entries, before /join and /claim shared one
    CASE_JOINED = "case.joined"
    CASE_NOTE_ADDED = "case.note_added"
    CASE_REPRESENTATIVE_AUTHORISED = "case.representative_authorised"
    CASE_REPRESENTATIVE_INVITED = "case.representative_invited"
    CASE_REPRESENTATIVE_WITHDRAWN = "case.representative_withdrawn"
    CASE_RESPONDENT_ADDED = "case.respondent_added"
    CASE_RESPONSE_SUBMITTED = "case.response_submitted"
    CASE_RESUBMITTED = "case.resubmitted"
    CASE_RETURNED = "case.returned"
    CASE_SCHEDULED = "case.scheduled"
    CASE_UNAVAILABLE_DATES_ADDED = "case.unavailable_dates_added"
    CASE_UNAVAILABLE_DATES_REMOVED = "case.unavailable_dates_removed"
    CASE_WITHDRAWN = "case.withdrawn"
    CASE_TYPE_CREATED = "case_type.created"
    CASE_TYPE_DRAFT_STARTED = "case_type.draft_started"
    CASE_TYPE_PUBLISHED = "case_type.published"
    DECISION_DOWNLOADED = "decision.downloaded"
    DECISION_ISSUED = "decision.issued"
    DECISION_REMOVED = "decision.removed"
    DECISION_UPLOADED = "decision.uploaded"
    DOCKET_EXPORTED = "docket.exported"
    DOCUMENT_DOWNLOADED = "document.downloaded"
    DOCUMENT_REMOVED = "document.removed"
    DOCUMENT_UPLOADED = "document.uploaded"
    FILING_ACCESS_LETTER_PRINTED = "filing.access_letter_printed"
    FILING_CLAIM_FAILED = "filing.claim_failed"  # older entries
    FILING_CLAIMED = "filing.claimed"
    FILING_DRAFT_DELETED = "filing.draft_deleted"
    FILING_DRAFT_REMINDER_SENT = "filing.draft_reminder_sent"
    FILING_PAPER_STARTED = "filing.paper_started"
    FILING_STARTED = "filing.started"
    FILING_SUBMITTED = "filing.submitted"
    FILING_VIEWED = "filing.viewed"
    FEE_ADDED = "fee.added"
    FEE_WAIVER_APPROVED = "fee_waiver.approved"
    FEE_WAIVER_PART_APPROVED = "fee_waiver.part_approved"
    FEE_WAIVER_REFUSED = "fee_waiver.refused"
    FEE_WAIVER_REQUESTED = "fee_waiver.requested"
    FEEDBACK_ANSWERED = "feedback.answered"
    FEEDBACK_HANDLED = "feedback.handled"
    PAYMENT_CANCELLED = "payment.cancelled"
    PAYMENT_EXPIRED = "payment.expired"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_RECORDED = "payment.recorded"
    PAYMENT_SETTINGS_CHANGED = "payment.settings_changed"
    PAYMENT_STARTED = "payment.started"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    RECEIPT_VIEWED = "receipt.viewed"
    RECONCILIATION_EXPORTED = "reconciliation.exported"
    REFUND_APPROVED = "refund.approved"
    REFUND_FAILED = "refund.failed"
    REFUND_PROPOSED = "refund.proposed"
    REFUND_REJECTED = "refund.rejected"
    REFUND_REQUESTED = "refund.requested"
    REFUND_SUCCEEDED = "refund.succeeded"
    HEARING_ADJOURNED = "hearing.adjourned"
    HEARING_BOOKED = "hearing.booked"
    HEARING_CANCELLED = "hearing.cancelled"
    HEARING_CHECKED_IN = "hearing.checked_in"
    HEARING_DURATIONS_CHANGED = "hearing.durations_changed"
    HEARING_ENDED = "hearing.ended"
    HEARING_NOTICE_RESENT = "hearing.notice_resent"
    HEARING_OUTCOME_RECORDED = "hearing.outcome_recorded"
    HEARING_PARTICIPANT_ADMITTED = "hearing.participant_admitted"
    HEARING_PARTICIPANT_RETURNED = "hearing.participant_returned"
    HEARING_RESCHEDULED = "hearing.rescheduled"
    HEARING_SELF_TESTED = "hearing.self_tested"
    HEARING_SETTINGS_CHANGED = "hearing.settings_changed"
    HEARING_STARTED = "hearing.started"
    INTERPRETER_ADDED = "interpreter.added"
    INTERPRETER_CHANGED = "interpreter.changed"
    INTERPRETER_DEACTIVATED = "interpreter.deactivated"
    INTERPRETER_REACTIVATED = "interpreter.reactivated"
    ROOM_ADDED = "hearing_room.added"
    ROOM_CHANGED = "hearing_room.changed"
    ROOM_DEACTIVATED = "hearing_room.deactivated"
    ROOM_REACTIVATED = "hearing_room.reactivated"
    SERVICE_STANDARD_CREATED = "service_standard.created"
    SERVICE_STANDARD_FIGURES_CORRECTED = "service_standard.figures_corrected"
    SERVICE_STANDARD_FIGURES_PUBLISHED = "service_standard.figures_published"
    SERVICE_STANDARD_VERSION_ADDED = "service_standard.version_added"
    STORAGE_ORPHANS_SWEPT = "storage.orphans_swept"
    TRIBUNAL_ACCESS_VISIBILITY_CHANGED = "tribunal.access_visibility_changed"
    TRIBUNAL_ACTIVE_PDFS_CHANGED = "tribunal.active_pdfs_changed"
    TRIBUNAL_CREATED = "tribunal.created"
    TRIBUNAL_ROLE_GRANTED = "tribunal.role_granted"
    TRIBUNAL_STAFF_INVITED = "tribunal.staff_invited"

    @property
    def label(self) -> str:
        """The action's name in the current language, as the audit log shows it."""
        return str(ACTION_LABELS[self])


ACTION_LABELS: dict[AuditAction, LazyProxy] = {
    AuditAction.ACCOUNT_CREATED_BY_OPERATOR: lazy_gettext("Account created by an operator"),
    AuditAction.ACCOUNT_EMAIL_CHANGED: lazy_gettext("Email address changed"),
    AuditAction.ACCOUNT_EMAIL_CONFIRMED: lazy_gettext("Email address confirmed"),
    AuditAction.ACCOUNT_NAME_CHANGED: lazy_gettext("Name changed"),
    AuditAction.ACCOUNT_PASSWORD_CHANGED: lazy_gettext("Password changed"),
    AuditAction.ACCOUNT_PASSWORD_RESET: lazy_gettext("Password reset"),
    AuditAction.ACCOUNT_REGISTERED: lazy_gettext("Account registered"),
    AuditAction.ACCOUNT_SIGN_IN_FAILED: lazy_gettext("Sign-in failed"),
    AuditAction.ACCOUNT_SIGNED_IN: lazy_gettext("Signed in"),
    AuditAction.ACCOUNT_SIGNED_OUT: lazy_gettext("Signed out"),
    AuditAction.ACCOUNT_SIGNED_OUT_EVERYWHERE: lazy_gettext("Signed out everywhere"),
    AuditAction.ACCOUNT_TIME_ZONE_CHANGED: lazy_gettext("Time zone changed"),
    AuditAction.ANNUAL_REPORT_EXPORTED: lazy_gettext("Annual performance report exported"),
    AuditAction.AUDIT_EXPORTED: lazy_gettext("Audit log exported"),
    AuditAction.AVAILABILITY_EXCEPTION_ADDED: lazy_gettext("Availability exception added"),
    AuditAction.AVAILABILITY_EXCEPTION_REMOVED: lazy_gettext("Availability exception removed"),
    AuditAction.AVAILABILITY_PATTERN_CHANGED: lazy_gettext("Weekly availability changed"),
    AuditAction.CASE_ACCEPTED: lazy_gettext("Case accepted"),
    AuditAction.CASE_ADJOURNED: lazy_gettext("Hearing adjourned"),
    AuditAction.CASE_ACCESS_CODE_FAILED: lazy_gettext("Wrong access code entered"),
    AuditAction.CASE_ADJUDICATOR_ASSIGNED: lazy_gettext("Adjudicator assigned"),
    AuditAction.CASE_CLOSED: lazy_gettext("Case closed"),
    AuditAction.CASE_DECIDED: lazy_gettext("Decision issued"),
    AuditAction.CASE_DISMISSED: lazy_gettext("Case dismissed"),
    AuditAction.CASE_HEARD: lazy_gettext("Hearing held"),
    AuditAction.CASE_HEARING_CANCELLED: lazy_gettext("Hearing cancelled"),
    AuditAction.CASE_JOIN_FAILED: lazy_gettext("Wrong access code entered"),
    AuditAction.CASE_JOINED: lazy_gettext("Case joined with an access code"),
    AuditAction.CASE_NOTE_ADDED: lazy_gettext("Internal note added"),
    AuditAction.CASE_REPRESENTATIVE_AUTHORISED: lazy_gettext("Representative authorised"),
    AuditAction.CASE_REPRESENTATIVE_INVITED: lazy_gettext("Representative invited"),
    AuditAction.CASE_REPRESENTATIVE_WITHDRAWN: lazy_gettext("Representative withdrawn"),
    AuditAction.CASE_RESPONDENT_ADDED: lazy_gettext("Respondent added"),
    AuditAction.CASE_RESPONSE_SUBMITTED: lazy_gettext("Response filed"),
    AuditAction.CASE_RESUBMITTED: lazy_gettext("Filing resubmitted"),
    AuditAction.CASE_RETURNED: lazy_gettext("Filing returned for completion"),
    AuditAction.CASE_SCHEDULED: lazy_gettext("Hearing scheduled"),
    AuditAction.CASE_UNAVAILABLE_DATES_ADDED: lazy_gettext("Dates a party cannot attend given"),
    AuditAction.CASE_UNAVAILABLE_DATES_REMOVED: lazy_gettext("Dates a party cannot attend removed"),
    AuditAction.CASE_WITHDRAWN: lazy_gettext("Case withdrawn"),
    AuditAction.CASE_TYPE_CREATED: lazy_gettext("Case type created"),
    AuditAction.CASE_TYPE_DRAFT_STARTED: lazy_gettext("Case type draft started"),
    AuditAction.CASE_TYPE_PUBLISHED: lazy_gettext("Case type published"),
    AuditAction.DECISION_DOWNLOADED: lazy_gettext("Decision or order downloaded"),
    AuditAction.DECISION_ISSUED: lazy_gettext("Decision or order issued"),
    AuditAction.DECISION_REMOVED: lazy_gettext("Draft decision or order removed"),
    AuditAction.DECISION_UPLOADED: lazy_gettext("Decision or order uploaded"),
    AuditAction.DOCKET_EXPORTED: lazy_gettext("Docket exported"),
    AuditAction.DOCUMENT_DOWNLOADED: lazy_gettext("Document downloaded"),
    AuditAction.DOCUMENT_REMOVED: lazy_gettext("Document removed"),
    AuditAction.DOCUMENT_UPLOADED: lazy_gettext("Document uploaded"),
    AuditAction.FILING_ACCESS_LETTER_PRINTED: lazy_gettext("Access letter printed"),
    AuditAction.FILING_CLAIM_FAILED: lazy_gettext("Wrong access code entered"),
    AuditAction.FILING_CLAIMED: lazy_gettext("Case claimed with an access code"),
    AuditAction.FILING_DRAFT_DELETED: lazy_gettext("Draft deleted"),
    AuditAction.FILING_DRAFT_REMINDER_SENT: lazy_gettext("Draft reminder sent"),
    AuditAction.FILING_PAPER_STARTED: lazy_gettext("Paper filing started"),
    AuditAction.FILING_STARTED: lazy_gettext("Filing started"),
    AuditAction.FILING_SUBMITTED: lazy_gettext("Filing submitted"),
    AuditAction.FILING_VIEWED: lazy_gettext("Case viewed"),
    AuditAction.FEE_ADDED: lazy_gettext("Fee added to the schedule"),
    AuditAction.FEE_WAIVER_APPROVED: lazy_gettext("Fee waiver granted"),
    AuditAction.FEE_WAIVER_PART_APPROVED: lazy_gettext("Fee waiver granted in part"),
    AuditAction.FEE_WAIVER_REFUSED: lazy_gettext("Fee waiver refused"),
    AuditAction.FEE_WAIVER_REQUESTED: lazy_gettext("Fee waiver asked for"),
    AuditAction.FEEDBACK_ANSWERED: lazy_gettext("Feedback answered by email"),
    AuditAction.FEEDBACK_HANDLED: lazy_gettext("Feedback marked as handled"),
    AuditAction.PAYMENT_CANCELLED: lazy_gettext("Payment cancelled by the payer"),
    AuditAction.PAYMENT_EXPIRED: lazy_gettext("Payment page expired"),
    AuditAction.PAYMENT_FAILED: lazy_gettext("Payment failed"),
    AuditAction.PAYMENT_RECORDED: lazy_gettext("Counter or cheque payment recorded"),
    AuditAction.PAYMENT_SETTINGS_CHANGED: lazy_gettext("Fee waiver and refund settings changed"),
    AuditAction.PAYMENT_STARTED: lazy_gettext("Payment started"),
    AuditAction.PAYMENT_SUCCEEDED: lazy_gettext("Payment received"),
    AuditAction.RECEIPT_VIEWED: lazy_gettext("Receipt viewed"),
    AuditAction.RECONCILIATION_EXPORTED: lazy_gettext("Reconciliation exported"),
    AuditAction.REFUND_APPROVED: lazy_gettext("Refund approved"),
    AuditAction.REFUND_FAILED: lazy_gettext("Refund failed"),
    AuditAction.REFUND_PROPOSED: lazy_gettext("Refund proposed after a fee waiver"),
    AuditAction.REFUND_REJECTED: lazy_gettext("Refund not approved"),
    AuditAction.REFUND_REQUESTED: lazy_gettext("Refund asked for"),
    AuditAction.REFUND_SUCCEEDED: lazy_gettext("Refund made"),
    AuditAction.HEARING_ADJOURNED: lazy_gettext("Hearing adjourned before it was held"),
    AuditAction.HEARING_BOOKED: lazy_gettext("Hearing booked"),
    AuditAction.HEARING_CANCELLED: lazy_gettext("Hearing cancelled by the registry"),
    AuditAction.HEARING_CHECKED_IN: lazy_gettext("Checked in for a video hearing"),
    AuditAction.HEARING_DURATIONS_CHANGED: lazy_gettext("Hearing durations changed"),
    AuditAction.HEARING_ENDED: lazy_gettext("Video hearing ended"),
    AuditAction.HEARING_NOTICE_RESENT: lazy_gettext("Notice of hearing resent"),
    AuditAction.HEARING_OUTCOME_RECORDED: lazy_gettext("Hearing outcome recorded"),
    AuditAction.HEARING_PARTICIPANT_ADMITTED: lazy_gettext("Participant let into a video hearing"),
    AuditAction.HEARING_PARTICIPANT_RETURNED: lazy_gettext(
        "Participant returned to the waiting room"
    ),
    AuditAction.HEARING_RESCHEDULED: lazy_gettext("Hearing rescheduled"),
    AuditAction.HEARING_SELF_TESTED: lazy_gettext("Equipment test recorded for a video hearing"),
    AuditAction.HEARING_SETTINGS_CHANGED: lazy_gettext("Hearing settings changed"),
    AuditAction.HEARING_STARTED: lazy_gettext("Video hearing started"),
    AuditAction.INTERPRETER_ADDED: lazy_gettext("Interpreter added"),
    AuditAction.INTERPRETER_CHANGED: lazy_gettext("Interpreter changed"),
    AuditAction.INTERPRETER_DEACTIVATED: lazy_gettext("Interpreter deactivated"),
    AuditAction.INTERPRETER_REACTIVATED: lazy_gettext("Interpreter reactivated"),
    AuditAction.ROOM_ADDED: lazy_gettext("Hearing room added"),
    AuditAction.ROOM_CHANGED: lazy_gettext("Hearing room changed"),
    AuditAction.ROOM_DEACTIVATED: lazy_gettext("Hearing room deactivated"),
    AuditAction.ROOM_REACTIVATED: lazy_gettext("Hearing room reactivated"),
    AuditAction.SERVICE_STANDARD_CREATED: lazy_gettext("Service standard created"),
    AuditAction.SERVICE_STANDARD_FIGURES_CORRECTED: lazy_gettext(
        "Service standard figures corrected"
    ),
    AuditAction.SERVICE_STANDARD_FIGURES_PUBLISHED: lazy_gettext(
        "Service standard figures published"
    ),
    AuditAction.SERVICE_STANDARD_VERSION_ADDED: lazy_gettext("Service standard definition changed"),
    AuditAction.STORAGE_ORPHANS_SWEPT: lazy_gettext("Unused stored files deleted"),
    AuditAction.TRIBUNAL_ACCESS_VISIBILITY_CHANGED: lazy_gettext(
        "Staff access shown to parties changed"
    ),
    AuditAction.TRIBUNAL_ACTIVE_PDFS_CHANGED: lazy_gettext(
        "Setting for PDFs with JavaScript changed"
    ),
    AuditAction.TRIBUNAL_CREATED: lazy_gettext("Tribunal created"),
    AuditAction.TRIBUNAL_ROLE_GRANTED: lazy_gettext("Role granted"),
    AuditAction.TRIBUNAL_STAFF_INVITED: lazy_gettext("Staff member invited"),
}


def action_label(action: str) -> str:
    """Return a recorded action's name in the current language (the code itself if unknown)."""
    try:
        return AuditAction(action).label
    except ValueError:
        return action


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
    action: AuditAction,
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
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit actions are AuditAction members, not {action!r}")
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
