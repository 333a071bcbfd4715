"""Hearing calendars and resources: each tribunal's hearing settings and hours, the
interpreters and rooms it books, and the availability of adjudicators, interpreters and rooms.

Availability is one mechanism for the three kinds of resource. A row of
``weekly_availability`` or ``availability_exceptions`` belongs to exactly one
resource, named by one of three foreign keys (``adjudicator_id``, ``interpreter_id``,
``room_id``; a check constraint keeps exactly one set), so that the availability of
any number of resources of every kind over a date range is read in two queries, one
per table, and a resource's rows go when it does.

Times are stored as what they mean:

- a weekly pattern (and the tribunal's hearing hours) is a local wall-clock time on a
  weekday, with the IANA zone it is read in (the tribunal's, copied onto each row), so
  "Monday 9:00 to 17:00" stays 9:00 to 17:00 where the tribunal sits on either side of a
  daylight-saving change: it is turned into UTC instants date by date
  (``hearings.calendars.services.expand_availability``);
- a part-day exception is a pair of UTC instants, like every other moment the platform
  keeps: it happens once, at one instant, whatever the zone it is shown in;
- a whole-day exception is a range of local dates (first and last day, inclusive): a day
  of leave is a calendar day where the tribunal sits, not 24 hours from some instant.
"""

from __future__ import annotations

import base64
import enum
import secrets
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Model, enum_by_value


class HearingMode(enum.Enum):
    VIDEO = "video"
    TELEPHONE = "telephone"
    IN_PERSON = "in_person"


DEFAULT_REMINDER_DAYS = (7, 1)


class HearingSettings(Model):
    """A tribunal's rules for hearings (one row per tribunal; absent until first saved)."""

    __tablename__ = "hearing_settings"

    tribunal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tribunals.id", ondelete="CASCADE"), unique=True
    )
    # The modes offered, by HearingMode value, in the order of the enum.
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    minimum_notice_business_days: Mapped[int] = mapped_column(default=10)
    # How many days ahead parties may give dates they cannot attend.
    unavailability_window_days: Mapped[int] = mapped_column(default=90)
    dial_in_en: Mapped[str] = mapped_column(Text, default="")
    dial_in_fr: Mapped[str] = mapped_column(Text, default="")
    # How many days before a hearing its participants are reminded of it (none if empty).
    reminder_days: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_DAYS), server_default="[7, 1]"
    )

    @property
    def offered_modes(self) -> list[HearingMode]:
        return [mode for mode in HearingMode if mode.value in self.modes]


class HearingHours(Model):
    """The hours a tribunal holds hearings on one weekday; a weekday without a row is closed."""

    __tablename__ = "hearing_hours"
    __table_args__ = (
        UniqueConstraint("tribunal_id", "weekday"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint("starts_at < ends_at", name="starts_before_end"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # Monday is 0, as date.weekday()
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)


class HearingDuration(Model):
    """How long a hearing of one case type in one mode is booked for, unless the clerk says."""

    __tablename__ = "hearing_durations"
    __table_args__ = (
        UniqueConstraint("tribunal_id", "case_type_id", "mode"),
        CheckConstraint("minutes >= 15 AND minutes <= 480", name="minutes"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    case_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_types.id", ondelete="CASCADE"))
    mode: Mapped[HearingMode] = mapped_column(enum_by_value(HearingMode))
    minutes: Mapped[int]


class Interpreter(Model):
    """An interpreter the tribunal books, spoken or sign languages; kept when deactivated,
    since hearings refer to them."""

    __tablename__ = "interpreters"
    __table_args__ = (Index("ix_interpreters_tribunal_id", "tribunal_id", "name"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # Codes of tribune.languages.LANGUAGES.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class HearingRoom(Model):
    """A room for in-person hearings; kept when deactivated, since hearings refer to it."""

    __tablename__ = "hearing_rooms"
    __table_args__ = (
        Index("ix_hearing_rooms_tribunal_id", "tribunal_id", "name"),
        CheckConstraint("capacity >= 1", name="capacity"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int]
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class ResourceKind(enum.Enum):
    ADJUDICATOR = "adjudicator"
    INTERPRETER = "interpreter"
    ROOM = "room"


# Exactly one of the three resource keys is set on an availability row.
_ONE_RESOURCE = (
    "(adjudicator_id IS NOT NULL AND interpreter_id IS NULL AND room_id IS NULL)"
    " OR (adjudicator_id IS NULL AND interpreter_id IS NOT NULL AND room_id IS NULL)"
    " OR (adjudicator_id IS NULL AND interpreter_id IS NULL AND room_id IS NOT NULL)"
)


class _ResourceRow:
    """The three keys naming the resource an availability row belongs to."""

    adjudicator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    interpreter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interpreters.id", ondelete="CASCADE")
    )
    room_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("hearing_rooms.id", ondelete="CASCADE")
    )

    @property
    def resource(self) -> tuple[ResourceKind, uuid.UUID]:
        """Return the kind and id of the resource this row belongs to."""
        if self.adjudicator_id is not None:
            return ResourceKind.ADJUDICATOR, self.adjudicator_id
        if self.interpreter_id is not None:
            return ResourceKind.INTERPRETER, self.interpreter_id
        assert self.room_id is not None
        return ResourceKind.ROOM, self.room_id


def resource_columns(kind: ResourceKind, resource_id: uuid.UUID) -> dict[str, Any]:
    """Return the column values that name a resource on an availability row."""
    return {
        "adjudicator_id": resource_id if kind is ResourceKind.ADJUDICATOR else None,
        "interpreter_id": resource_id if kind is ResourceKind.INTERPRETER else None,
        "room_id": resource_id if kind is ResourceKind.ROOM else None,
    }


class WeeklyAvailability(_ResourceRow, Model):
    """One interval of a resource's weekly pattern: a weekday, local start and end times."""

    __tablename__ = "weekly_availability"
    __table_args__ = (
        CheckConstraint(_ONE_RESOURCE, name="one_resource"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint("starts_at < ends_at", name="starts_before_end"),
        Index("ix_weekly_availability_adjudicator", "tribunal_id", "adjudicator_id"),
        Index("ix_weekly_availability_interpreter", "tribunal_id", "interpreter_id"),
        Index("ix_weekly_availability_room", "tribunal_id", "room_id"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # Monday is 0, as date.weekday()
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    time_zone: Mapped[str] = mapped_column(String(60))


class ExceptionKind(enum.Enum):
    UNAVAILABLE = "unavailable"
    AVAILABLE = "available"  # extra availability, outside the weekly pattern


class ExceptionReason(enum.Enum):
    LEAVE = "leave"
    TRAINING = "training"
    OTHER = "other"


class AvailabilityException(_ResourceRow, Model):
    """A dated change to a resource's weekly pattern: whole days (local dates) or part of a
    day (UTC instants) when it is unavailable, or extra hours when it is available."""

    __tablename__ = "availability_exceptions"
    __table_args__ = (
        CheckConstraint(_ONE_RESOURCE, name="one_resource"),
        CheckConstraint(
            "(first_day IS NOT NULL AND last_day IS NOT NULL AND starts_at IS NULL"
            " AND ends_at IS NULL AND first_day <= last_day)"
            " OR (first_day IS NULL AND last_day IS NULL AND starts_at IS NOT NULL"
            " AND ends_at IS NOT NULL AND starts_at < ends_at)",
            name="days_or_instants",
        ),
        Index("ix_availability_exceptions_adjudicator", "tribunal_id", "adjudicator_id"),
        Index("ix_availability_exceptions_interpreter", "tribunal_id", "interpreter_id"),
        Index("ix_availability_exceptions_room", "tribunal_id", "room_id"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    kind: Mapped[ExceptionKind] = mapped_column(enum_by_value(ExceptionKind))
    reason: Mapped[ExceptionReason] = mapped_column(enum_by_value(ExceptionReason))
    # Whole days, inclusive, in the tribunal's zone ...
    first_day: Mapped[date | None]
    last_day: Mapped[date | None]
    # ... or part of a day, in UTC.
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(200), default="")

    @property
    def whole_days(self) -> bool:
        return self.first_day is not None


class HearingStatus(enum.Enum):
    """Where a hearing stands; outcomes recorded after it add to these."""

    SCHEDULED = "scheduled"
    HELD = "held"
    ADJOURNED = "adjourned"
    CANCELLED = "cancelled"


def new_video_room() -> str:
    """Return a new video room name: 128 random bits as 26 lowercase letters and digits
    (base32), never derived from the case; Jitsi lowercases room names, and an unguessable
    name is the boundary when tokens are off."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


class AdjournmentReason(enum.Enum):
    """Why a hearing was adjourned, coded so the tribunal can count them."""

    NO_INTERPRETER = "no_interpreter"
    PARTY_UNAVAILABLE = "party_unavailable"
    EVIDENCE_OUTSTANDING = "evidence_outstanding"
    ADJUDICATOR_UNAVAILABLE = "adjudicator_unavailable"
    OTHER = "other"


class Hearing(Model):
    """A hearing of a case: when (UTC instants, shown in the tribunal's zone), how, and the
    adjudicator, interpreter and room it books.

    ``calendar_uid`` names the hearing in the participants' calendars for its whole life;
    ``sequence`` counts the changes of time, mode or place the invites announce."""

    __tablename__ = "hearings"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_end"),
        CheckConstraint("mode <> 'in_person' OR room_id IS NOT NULL", name="room_in_person"),
        CheckConstraint(
            "(interpreter_id IS NULL) = (language IS NULL)", name="interpreter_language"
        ),
        CheckConstraint("sequence >= 0", name="sequence"),
        Index("ix_hearings_tribunal_starts", "tribunal_id", "starts_at"),
        Index("ix_hearings_filing", "filing_id", "starts_at"),
        Index("ix_hearings_adjudicator", "adjudicator_id", "starts_at"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    mode: Mapped[HearingMode] = mapped_column(enum_by_value(HearingMode))
    adjudicator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    interpreter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interpreters.id", ondelete="RESTRICT")
    )
    # The language the interpreter is booked for (a code of tribune.languages.LANGUAGES).
    language: Mapped[str | None] = mapped_column(String(10))
    room_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("hearing_rooms.id", ondelete="RESTRICT")
    )
    status: Mapped[HearingStatus] = mapped_column(
        enum_by_value(HearingStatus), default=HearingStatus.SCHEDULED
    )
    calendar_uid: Mapped[str] = mapped_column(String(200), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    # The Jitsi room of the hearing (when it is held by video), for its whole life.
    video_room: Mapped[str] = mapped_column(String(64), unique=True, default=new_video_room)
    # Set when the hearing is adjourned, before it or as its outcome.
    adjournment_reason: Mapped[AdjournmentReason | None] = mapped_column(
        enum_by_value(AdjournmentReason)
    )
    # The reasons given for the last cancellation, adjournment or move, as people were told.
    status_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The times the participants were last told of (hearings.notices), so that a notice of a
    # new time also says the old one.
    notified_starts_at: Mapped[datetime | None]
    notified_ends_at: Mapped[datetime | None]
    # When the adjudicator (or the registry) started and ended the video hearing from the
    # console (hearings.room): each once, the end only after the start.
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class BookedBlock(Model):
    """A quarter hour of a resource (adjudicator, interpreter or room) held by a scheduled
    hearing: one row per resource per 15-minute block it books.

    The unique key on (resource, block start) is what makes double booking impossible,
    whatever the pages check: see ``hearings.scheduling.services``. A resource id is a user's, an
    interpreter's or a room's UUID, unique across the three, so one column names it; the
    key is not per tribunal, since a person who sits for two tribunals is still one person."""

    __tablename__ = "hearing_blocks"
    __table_args__ = (
        UniqueConstraint("resource_id", "starts_at"),
        Index("ix_hearing_blocks_hearing", "hearing_id"),
        Index("ix_hearing_blocks_tribunal_starts", "tribunal_id", "starts_at"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    hearing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
    resource_kind: Mapped[ResourceKind] = mapped_column(enum_by_value(ResourceKind))
    resource_id: Mapped[uuid.UUID]
    starts_at: Mapped[datetime]


class PartyUnavailability(Model):
    """Days (the tribunal's local dates, inclusive) a party or representative of a case said
    they cannot attend a hearing, with their reason."""

    __tablename__ = "party_unavailability"
    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="first_before_last"),
        Index("ix_party_unavailability_filing", "filing_id", "first_day"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_parties.id", ondelete="CASCADE"))
    first_day: Mapped[date]
    last_day: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class OutcomeResult(enum.Enum):
    """What became of a hearing once it was due: it went ahead, or it was adjourned."""

    HELD = "held"
    ADJOURNED = "adjourned"


class HearingOutcome(Model):
    """The outcome of a hearing, recorded once after its start by its adjudicator or the
    registry: held or adjourned (with the coded reason and the next steps), and the party
    who did not attend, if one did not. The unique hearing key is what makes it once."""

    __tablename__ = "hearing_outcomes"
    __table_args__ = (
        UniqueConstraint("hearing_id"),
        Index("ix_hearing_outcomes_filing", "filing_id"),
        CheckConstraint(
            "(result = 'adjourned') = (adjournment_reason IS NOT NULL)", name="adjournment_reason"
        ),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    hearing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    result: Mapped[OutcomeResult] = mapped_column(enum_by_value(OutcomeResult))
    # The party (or representative) who did not attend; None when everyone came.
    absent_party_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_parties.id", ondelete="SET NULL")
    )
    adjournment_reason: Mapped[AdjournmentReason | None] = mapped_column(
        enum_by_value(AdjournmentReason)
    )
    next_steps: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class DecisionKind(enum.Enum):
    """A decision closes the hearing of a case; an interim order is made along the way."""

    DECISION = "decision"
    INTERIM_ORDER = "interim_order"


class DecisionStatus(enum.Enum):
    DRAFT = "draft"  # uploaded, seen by the tribunal's staff only
    ISSUED = "issued"  # published to the parties; never changed or removed again


class HearingDecision(Model):
    """A decision or interim order of a case: a document uploaded through the documents'
    checks and stored under an opaque key, with a short summary in the case's language.

    Kept apart from the case's ``documents``, so that nothing shows it to the parties or lets
    them download it before it is issued. Once issued it is never replaced: a correction is
    another row naming the one it corrects (``corrects_id``) with its reason; both are kept,
    and an issued row has at most one issued correction."""

    __tablename__ = "hearing_decisions"
    __table_args__ = (
        Index("ix_hearing_decisions_filing", "filing_id", "created_at"),
        Index("ix_hearing_decisions_corrects", "corrects_id"),
        Index(
            "uq_hearing_decisions_issued_correction",
            "corrects_id",
            unique=True,
            sqlite_where=text("status = 'issued'"),
            postgresql_where=text("status = 'issued'"),
        ),
        CheckConstraint("(status = 'issued') = (issued_at IS NOT NULL)", name="issued_at"),
        CheckConstraint("corrects_id IS NULL OR correction_reason <> ''", name="correction_reason"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    kind: Mapped[DecisionKind] = mapped_column(enum_by_value(DecisionKind))
    status: Mapped[DecisionStatus] = mapped_column(
        enum_by_value(DecisionStatus), default=DecisionStatus.DRAFT
    )
    # The stored file, as filings.models.Document keeps one.
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    file_kind: Mapped[str] = mapped_column(String(10))
    active_content: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A short summary, in the case's language (``language``, copied when it was uploaded).
    summary: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    issued_at: Mapped[datetime | None]
    issued_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("hearing_decisions.id", ondelete="CASCADE")
    )
    correction_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class CheckinStatus(enum.Enum):
    """Where a participant who checked in for a video hearing stands: in Tribune's waiting
    room, let into the hearing by the adjudicator, sent back to the waiting room, or gone."""

    WAITING = "waiting"
    ADMITTED = "admitted"
    RETURNED = "returned"
    LEFT = "left"


class HearingCheckin(Model):
    """A participant's arrival at a video hearing's page and where they stand since: one row
    per participant per hearing (the unique key is what makes checking in twice harmless).

    ``participant_key`` names the participant as ``hearings.notices.services.participants_of``
    does ("party-<uuid>", "adjudicator-<uuid>"); ``user_id`` is the account that checked in."""

    __tablename__ = "hearing_checkins"
    __table_args__ = (UniqueConstraint("hearing_id", "participant_key"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    hearing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
    participant_key: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[CheckinStatus] = mapped_column(
        enum_by_value(CheckinStatus), default=CheckinStatus.WAITING
    )
    checked_in_at: Mapped[datetime]


class SelfTestResult(enum.Enum):
    """What a participant said of their equipment after the self-test."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class SelfTestReason(enum.Enum):
    """Why a self-test failed, as the participant (or the page, from the browser's error) put
    it."""

    CAMERA_DENIED = "camera_denied"
    MICROPHONE_DENIED = "microphone_denied"
    NO_CAMERA = "no_camera"
    NO_MICROPHONE = "no_microphone"
    NO_SOUND = "no_sound"
    BROWSER_UNSUPPORTED = "browser_unsupported"
    OTHER = "other"


class HearingSelfTest(Model):
    """A participant's last self-test of their camera, microphone and sound before a video
    hearing: one row per participant per hearing, the latest result replacing the earlier one.

    ``participant_key`` names the participant as ``HearingCheckin`` does; ``reason`` is set
    only for a failed test."""

    __tablename__ = "hearing_self_tests"
    __table_args__ = (UniqueConstraint("hearing_id", "participant_key"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    hearing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
    participant_key: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    result: Mapped[SelfTestResult] = mapped_column(enum_by_value(SelfTestResult))
    reason: Mapped[SelfTestReason | None] = mapped_column(enum_by_value(SelfTestReason))
    tested_at: Mapped[datetime]


class AttendanceSource(enum.Enum):
    """Who reported a join or a leave."""

    JAAS = "jaas"  # 8x8 Jitsi as a Service's signed webhooks
    SELF_HOSTED = "self_hosted"  # a self-hosted Jitsi's event_sync, relayed signed
    PAGE = "page"  # the hearing page's own IFrame events: reported by the browser


class AttendanceKind(enum.Enum):
    JOINED = "joined"
    LEFT = "left"
    # Recorded by ``close_open_intervals`` when the hearing ends: closes what is still open.
    HEARING_ENDED = "hearing_ended"


# The largest payload kept with an attendance event (a webhook's body is refused past it).
ATTENDANCE_PAYLOAD_MAX_BYTES = 64 * 1024


class AttendanceEvent(Model):
    """One join or leave of a hearing's video room, as it was delivered.

    ``idempotency_key`` is unique per source, so a delivery repeated is kept once;
    ``occurred_at`` is the time the payload gives, the order intervals are read in whatever
    the order deliveries arrived in. ``participant_key`` is the key of
    ``hearings.notices.services.participants_of`` ("party-<uuid>", ...) when the person was
    recognised, else ``"unknown:<display name>"``."""

    __tablename__ = "attendance_events"
    __table_args__ = (
        UniqueConstraint("source", "idempotency_key"),
        Index("ix_attendance_events_hearing", "hearing_id", "participant_key", "occurred_at"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    hearing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
    source: Mapped[AttendanceSource] = mapped_column(enum_by_value(AttendanceSource))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AttendanceKind] = mapped_column(enum_by_value(AttendanceKind))
    participant_key: Mapped[str] = mapped_column(String(250))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AttendanceInterval(Model):
    """A stretch of time a participant was in a hearing's video room, as one source saw it:
    derived from that source's events (``hearings.attendance.services``), never edited."""

    __tablename__ = "attendance_intervals"
    __table_args__ = (
        CheckConstraint("left_at IS NULL OR joined_at <= left_at", name="joined_before_left"),
        Index("ix_attendance_intervals_hearing", "hearing_id", "participant_key"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    hearing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
    participant_key: Mapped[str] = mapped_column(String(250))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[AttendanceSource] = mapped_column(enum_by_value(AttendanceSource))
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
