"""Tables of `accountability.feedback`: what visitors say about the pages, the staff's answers,
and the hearing satisfaction survey (its invitations, and its answers kept apart from them).

Feedback is anonymous: a row holds the page's path (never its query string), its language, the
tribunal the page belonged to (None: the platform's own pages), the sender's role and never
their identity or network address, and an email address only when the sender chose to leave
one for an answer. A survey answer holds no party, token or invitation, and no time finer than
its month, so that nobody can tie it to the person who gave it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hearings.models import HearingMode
from tribune.db import Base, Model, enum_by_value


class FeedbackKind(enum.Enum):
    HELPFUL = "helpful"  # "Was this page helpful?" Yes
    NOT_HELPFUL = "not_helpful"  # No, and what they were trying to do
    PROBLEM = "problem"  # "Report a problem with this page"


class SenderRole(enum.Enum):
    """Who sent feedback, as a role only."""

    PUBLIC = "public"  # not signed in
    PARTY = "party"  # signed in, not staff of the page's tribunal
    STAFF = "staff"  # a member of the page's tribunal's staff


class Feedback(Model):
    """One "Yes", "No" or problem report sent from a page."""

    __tablename__ = "feedback"
    __table_args__ = (
        # The staff's list: a tribunal's feedback, newest first, by keyset.
        Index("ix_feedback_tribunal_created", "tribunal_id", "created_at", "id"),
    )

    # The tribunal whose page it was, or None for the platform's own pages.
    tribunal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tribunals.id", ondelete="CASCADE")
    )
    path: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(2))
    kind: Mapped[FeedbackKind] = mapped_column(enum_by_value(FeedbackKind))
    # What went wrong, with email addresses and personal numbers removed; empty for a "Yes".
    text: Mapped[str] = mapped_column(Text, default="")
    # Only if the sender asked for an answer.
    contact_email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[SenderRole] = mapped_column(enum_by_value(SenderRole))
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class FeedbackAnswer(Model):
    """An answer a member of staff sent by email to the address a sender left."""

    __tablename__ = "feedback_answers"
    __table_args__ = (Index("ix_feedback_answers_feedback", "feedback_id", "created_at"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    feedback_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class SurveyChoice(enum.Enum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class SurveyInvitation(Model):
    """The survey link one party (or acting representative) got after a hearing was held: the
    hash of its token (never the token), until when it works, and whether it was used. It
    says nothing of the answer."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("hearing_id", "party_id"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    hearing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_parties.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hearing_mode: Mapped[HearingMode] = mapped_column(enum_by_value(HearingMode))
    expires_at: Mapped[datetime]
    used: Mapped[bool] = mapped_column(default=False)


class SurveyAnswer(Base):
    """One party's answers to the hearing satisfaction survey, anonymous: no party, token,
    invitation or creation time, only the month it was given (in the tribunal's zone)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        Index("ix_survey_answers_tribunal_month", "tribunal_id", "month"),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    hearing_mode: Mapped[HearingMode] = mapped_column(enum_by_value(HearingMode))
    # The language the survey was answered in.
    language: Mapped[str] = mapped_column(String(2))
    # The first day of the month it was answered in.
    month: Mapped[date]
    # Overall satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
    satisfaction: Mapped[int]
    # Could they see, hear and take part in the hearing?
    could_take_part: Mapped[SurveyChoice] = mapped_column(enum_by_value(SurveyChoice))
    # Were the process and the next steps explained clearly?
    explained_clearly: Mapped[SurveyChoice] = mapped_column(enum_by_value(SurveyChoice))
    # Anything else, with email addresses and personal numbers removed.
    comment: Mapped[str] = mapped_column(Text, default="")
