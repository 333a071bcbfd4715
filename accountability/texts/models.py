"""Tables of `accountability.texts`: each person's mobile number with its confirmation and
consent, the history of that consent, and the reminders texted (one row each, so that none is
sent twice)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Model, enum_by_value


class StopReason(enum.Enum):
    """Why texts to a number stopped."""

    PERSON = "person"  # the person stopped them on their account page
    TEXTED = "texted"  # the number's owner replied STOP (or ARRÊT...): it gets no more texts
    OPTED_OUT = "opted_out"  # the provider reported the number as opted out
    FAILED = "failed"  # the provider could not deliver to it for good


class MobileNumber(Model):
    """A person's mobile number. Texts go to it only once it is confirmed with a code sent to
    it, and reminders only while the person consents and has not stopped them."""

    __tablename__ = "mobile_numbers"
    __table_args__ = (
        UniqueConstraint("user_id"),
        Index("ix_mobile_numbers_number", "number"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # E.164: +16135550123.
    number: Mapped[str] = mapped_column(String(16))
    confirmed_at: Mapped[datetime | None]
    # The code last sent: its keyed hash only, when it was sent and expires, the wrong tries,
    # and when it was used (a code is good once).
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_sent_at: Mapped[datetime | None]
    code_expires_at: Mapped[datetime | None]
    code_tries: Mapped[int] = mapped_column(default=0)
    code_used_at: Mapped[datetime | None]
    # When the person last agreed to text reminders (their latest opt-in or START).
    consented_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[StopReason | None] = mapped_column(enum_by_value(StopReason))

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def takes_reminders(self) -> bool:
        """Whether reminders may be texted to it: confirmed, consented to, not stopped."""
        return (
            self.confirmed_at is not None
            and self.consented_at is not None
            and self.stopped_at is None
        )


class ConsentAction(enum.Enum):
    CONSENTED = "consented"  # opted in to text reminders
    STOPPED = "stopped"
    STARTED = "started"  # opted in again after stopping
    OPTED_OUT = "opted_out"  # the provider reported the number as opted out
    FAILED = "failed"  # the provider could not deliver to the number for good
    REMOVED = "removed"  # the person removed the number


class ConsentChannel(enum.Enum):
    ACCOUNT = "account"  # the person's account page
    TEXT = "text"  # a text the person sent (STOP, START)
    PROVIDER = "provider"  # the provider's delivery receipt


class TextConsentEvent(Model):
    """A change of a person's consent to text reminders: the record of who agreed, when, for
    which number, and how it ended. Kept when the number is removed."""

    __tablename__ = "text_consent_events"
    __table_args__ = (Index("ix_text_consent_events_user", "user_id", "occurred_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(16))
    action: Mapped[ConsentAction] = mapped_column(enum_by_value(ConsentAction))
    channel: Mapped[ConsentChannel] = mapped_column(enum_by_value(ConsentChannel))
    occurred_at: Mapped[datetime]


class ReminderKind(enum.Enum):
    HEARING = "hearing"
    DEADLINE = "deadline"


class TextReminder(Model):
    """A reminder texted to one person: its ``key`` names the reminder (the hearing as booked,
    or the deadline, the days before, the person), unique so that it is sent once. If its text
    fails, the reminder goes by email instead (``emailed_at``)."""

    __tablename__ = "text_reminders"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_text_reminders_text_message", "text_message_id"),
    )

    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ReminderKind] = mapped_column(enum_by_value(ReminderKind))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    hearing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("hearings.id", ondelete="CASCADE")
    )
    text_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("text_messages.id", ondelete="SET NULL")
    )
    days_before: Mapped[int]
    # When the reminder was due, and what it reminds of: a hearing's start or a due date.
    due_at: Mapped[datetime]
    starts_at: Mapped[datetime | None]
    due_on: Mapped[date | None]
    language: Mapped[str] = mapped_column(String(2))
    # Where the reminder goes by email if its text fails, and when it did.
    email: Mapped[str] = mapped_column(String(320), default="")
    emailed_at: Mapped[datetime | None]
