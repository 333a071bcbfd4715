"""Attendance of video hearings: joins and leaves recorded as events, intervals derived.

Three sources report them: 8x8 JaaS's webhooks, a self-hosted Jitsi's ``event_sync``
webhooks (relayed, signed the same way) and the hearing page's own IFrame events (reported by
the browser, so marked as such). Each delivery is kept once (its idempotency key is unique
per source) with the time its payload gives. A participant's intervals, per source, are then
derived again from all their events in the order of those times (then kind, then key), never
in the order deliveries arrived: duplicated, late and shuffled deliveries give the same
intervals. An interval still open when the hearing ends is closed then
(``close_open_intervals``, called by whoever ends the hearing), through an event of its own.

A webhook is believed only when signed: ``X-Jaas-Signature: t=<unix>,v1=<base64
HMAC-SHA256>`` over ``f"{t}.{raw body}"`` with the configured secret, checked in constant
time, within ``SIGNATURE_TOLERANCE_SECONDS``; with no secret configured nothing is.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import Filing
from hearings.attendance.forms import Delivery
from hearings.models import (
    AttendanceEvent,
    AttendanceInterval,
    AttendanceKind,
    AttendanceSource,
    Hearing,
)
from hearings.notices.services import Participant, ParticipantRole, participants_of
from tribunals.models import Tribunal
from tribune.db import utcnow

# -- signatures -------------------------------------------------------------------------------

SIGNATURE_HEADER = "X-Jaas-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
# A header longer than this, or with more signatures, is not one a sender makes.
MAX_SIGNATURE_HEADER = 2000
MAX_SIGNATURES = 8
TIMESTAMP = re.compile(r"[0-9]{1,12}")


def signed_string(timestamp: str, raw_body: bytes) -> bytes:
    """Return what a webhook's signature is made over: ``f"{t}.{raw body}"``, the body's own
    bytes, never re-serialised. The one place that says so."""
    return timestamp.encode("ascii") + b"." + raw_body


def signature_for(secret: str, timestamp: str, raw_body: bytes) -> str:
    """Return the base64 HMAC-SHA256 a sender holding `secret` puts in ``v1=``."""
    digest = hmac.new(
        secret.encode("utf-8"), signed_string(timestamp, raw_body), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


class SignatureProblem(enum.Enum):
    NO_SECRET = "no secret configured"  # noqa: S105 (a reason, not a secret)
    MISSING = "no signature"
    MALFORMED = "malformed signature header"
    STALE = "timestamp outside the tolerance"
    MISMATCH = "no signature matches"


def check_signature(
    secret: str, header: str | None, raw_body: bytes, now: datetime
) -> SignatureProblem | None:
    """Return None if `header` signs `raw_body` with `secret` at a time within the
    tolerance of `now`, else what is wrong (for the log, never for the sender).

    Each comma-separated element is split on its first ``=``; ``t`` is the timestamp, every
    ``v1`` a signature to try (any one matching is enough), other schemes are ignored."""
    if not secret:
        return SignatureProblem.NO_SECRET
    if not header:
        return SignatureProblem.MISSING
    if len(header) > MAX_SIGNATURE_HEADER:
        return SignatureProblem.MALFORMED
    timestamps: list[str] = []
    signatures: list[str] = []
    for element in header.split(","):
        scheme, separator, value = element.strip().partition("=")
        if not separator:
            continue
        if scheme == "t":
            timestamps.append(value)
        elif scheme == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not TIMESTAMP.fullmatch(timestamps[0]) or not signatures:
        return SignatureProblem.MALFORMED
    if len(signatures) > MAX_SIGNATURES:
        return SignatureProblem.MALFORMED
    if abs(now.timestamp() - int(timestamps[0])) > SIGNATURE_TOLERANCE_SECONDS:
        return SignatureProblem.STALE
    expected = signature_for(secret, timestamps[0], raw_body).encode("ascii")
    matched = False
    for signature in signatures:
        # Headers arrive as latin-1: every character encodes. Every one is compared.
        matched |= hmac.compare_digest(expected, signature.encode("latin-1"))
    return None if matched else SignatureProblem.MISMATCH


# -- recording --------------------------------------------------------------------------------

UNKNOWN_PREFIX = "unknown:"
MAX_PAGE_KEY = 100
PAGE_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


class Recorded(enum.Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    UNKNOWN_ROOM = "unknown room"


async def _hearing_of_room(db: AsyncSession, room: str) -> Hearing | None:
    """Return the hearing held in `room`, locked until the end of the transaction so that
    deliveries about it are recorded one at a time, or None if no hearing has that room."""
    if not room:
        return None
    found = await db.execute(select(Hearing).where(Hearing.video_room == room).with_for_update())
    return found.scalar_one_or_none()


async def hearing_participants(db: AsyncSession, hearing: Hearing) -> list[Participant]:
    """Return the hearing's participants (``hearings.notices.services.participants_of``)."""
    tribunal = await db.get(Tribunal, hearing.tribunal_id)
    filing = await db.get(Filing, hearing.filing_id)
    if tribunal is None or filing is None:
        return []
    return await participants_of(db, tribunal, filing, hearing)


def _unique(matches: list[Participant]) -> Participant | None:
    return matches[0] if len(matches) == 1 else None


def identify(
    participants: Sequence[Participant], user_id: str, email: str, name: str
) -> Participant | None:
    """Return the participant a join or leave is about: by the token's user id (the
    participant key), else by email, else by name (each only if it names one participant),
    or None if none is recognised."""
    for participant in participants:
        if user_id and participant.key == user_id:
            return participant
    if email:
        address = email.casefold()
        found = _unique([p for p in participants if p.email and p.email.casefold() == address])
        if found is not None:
            return found
    if name:
        named = name.casefold()
        return _unique([p for p in participants if p.name.casefold() == named])
    return None


def unknown_key(name: str) -> str:
    """Return the key an unrecognised person's events are kept under: their display name."""
    return UNKNOWN_PREFIX + name[:200]


async def _insert_event(db: AsyncSession, event: AttendanceEvent) -> bool:
    """Add the event; return False if its key was already recorded for its source."""
    existing = await db.scalar(
        select(AttendanceEvent.id).where(
            AttendanceEvent.source == event.source,
            AttendanceEvent.idempotency_key == event.idempotency_key,
        )
    )
    if existing is not None:
        return False
    try:
        async with db.begin_nested():
            db.add(event)
    except IntegrityError:
        # Another delivery of the same event won the race: it is recorded once.
        return False
    return True


async def record_delivery(
    db: AsyncSession, delivery: Delivery, now: datetime | None = None
) -> Recorded:
    """Record a join or leave a signed webhook delivered, and derive its participant's
    intervals again; return whether it was recorded, a duplicate, or for no hearing's room."""
    hearing = await _hearing_of_room(db, delivery.room)
    if hearing is None:
        return Recorded.UNKNOWN_ROOM
    participant = identify(
        await hearing_participants(db, hearing), delivery.user_id, delivery.email, delivery.name
    )
    name = delivery.name or (participant.name if participant else delivery.email)
    event = AttendanceEvent(
        tribunal_id=hearing.tribunal_id,
        hearing_id=hearing.id,
        source=delivery.source,
        idempotency_key=delivery.idempotency_key,
        kind=delivery.kind,
        participant_key=participant.key if participant else unknown_key(name),
        display_name=name[:200],
        occurred_at=delivery.occurred_at,
        received_at=now or utcnow(),
        payload=delivery.payload,
    )
    if not await _insert_event(db, event):
        return Recorded.DUPLICATE
    await _derive_intervals(db, hearing, event.participant_key, event.source)
    return Recorded.RECORDED


class PageEventRefused(ValueError):  # noqa: N818 - reads as what happened
    """The page reported an event this service cannot record; the message says why."""


async def record_page_event(
    db: AsyncSession,
    hearing: Hearing,
    participant_key: str,
    kind: AttendanceKind,
    occurred_at: datetime,
    idempotency_key: str,
    now: datetime | None = None,
) -> Recorded:
    """Record a join or leave the hearing page's IFrame events reported for a participant
    (source ``page``: the browser's word), and derive their page intervals again; return
    whether it was recorded or a duplicate. The caller has checked that the signed-in person
    is this participant; the key the page made is kept under the hearing and participant,
    so that nobody's report can stand in for another's.

    Raises ``PageEventRefused`` for a participant not of this hearing, a kind other than
    joined or left, a time without its zone, or a key that is not 1 to 100 letters, digits
    or ``_.:-``."""
    if kind not in (AttendanceKind.JOINED, AttendanceKind.LEFT):
        raise PageEventRefused("only joins and leaves are reported by the page")
    if occurred_at.tzinfo is None:
        raise PageEventRefused("the time has no zone")
    if not PAGE_KEY.fullmatch(idempotency_key):
        raise PageEventRefused("the key is not 1 to 100 letters, digits or _.:-")
    participant = next(
        (p for p in await hearing_participants(db, hearing) if p.key == participant_key), None
    )
    if participant is None:
        raise PageEventRefused("not a participant of this hearing")
    locked = await db.execute(select(Hearing.id).where(Hearing.id == hearing.id).with_for_update())
    locked.scalar_one()
    event = AttendanceEvent(
        tribunal_id=hearing.tribunal_id,
        hearing_id=hearing.id,
        source=AttendanceSource.PAGE,
        idempotency_key=f"{hearing.id}:{participant.key}:{idempotency_key}",
        kind=kind,
        participant_key=participant.key,
        display_name=participant.name[:200],
        occurred_at=occurred_at,
        received_at=now or utcnow(),
        payload={"reported_by": "browser", "kind": kind.value, "key": idempotency_key},
    )
    if not await _insert_event(db, event):
        return Recorded.DUPLICATE
    await _derive_intervals(db, hearing, participant.key, AttendanceSource.PAGE)
    return Recorded.RECORDED


# -- intervals --------------------------------------------------------------------------------

# At one instant a join is read before a leave, a leave before the hearing's end.
KIND_ORDER = {AttendanceKind.JOINED: 0, AttendanceKind.LEFT: 1, AttendanceKind.HEARING_ENDED: 2}


@dataclass(frozen=True)
class Span:
    joined_at: datetime
    left_at: datetime | None
    display_name: str


def intervals_from(events: Iterable[AttendanceEvent]) -> list[Span]:
    """Return the intervals a participant's events (of one source) describe, whatever order
    they are given in: read by time, kind and key, a join opens an interval (one already
    open stays as it is), a leave or the hearing's end closes the open one (with none open,
    a leave says nothing: its join never came)."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, KIND_ORDER[e.kind], e.idempotency_key))
    spans: list[Span] = []
    opened: AttendanceEvent | None = None
    for event in ordered:
        if event.kind is AttendanceKind.JOINED:
            if opened is None:
                opened = event
        elif opened is not None:
            spans.append(Span(opened.occurred_at, event.occurred_at, opened.display_name))
            opened = None
    if opened is not None:
        spans.append(Span(opened.occurred_at, None, opened.display_name))
    return spans


async def _derive_intervals(
    db: AsyncSession, hearing: Hearing, participant_key: str, source: AttendanceSource
) -> None:
    """Replace the participant's intervals from `source` by those their events describe."""
    where = (
        AttendanceEvent.hearing_id == hearing.id,
        AttendanceEvent.participant_key == participant_key,
        AttendanceEvent.source == source,
    )
    events = list(await db.scalars(select(AttendanceEvent).where(*where)))
    await db.execute(
        delete(AttendanceInterval).where(
            AttendanceInterval.hearing_id == hearing.id,
            AttendanceInterval.participant_key == participant_key,
            AttendanceInterval.source == source,
        )
    )
    for span in intervals_from(events):
        db.add(
            AttendanceInterval(
                tribunal_id=hearing.tribunal_id,
                hearing_id=hearing.id,
                participant_key=participant_key,
                display_name=span.display_name,
                source=source,
                joined_at=span.joined_at,
                left_at=span.left_at,
            )
        )
    await db.flush()


async def intervals_of(db: AsyncSession, hearing: Hearing) -> list[AttendanceInterval]:
    """Return the hearing's intervals, by participant, source and time joined."""
    found = await db.scalars(
        select(AttendanceInterval)
        .where(AttendanceInterval.hearing_id == hearing.id)
        .order_by(
            AttendanceInterval.participant_key,
            AttendanceInterval.source,
            AttendanceInterval.joined_at,
        )
    )
    return list(found)


async def close_open_intervals(db: AsyncSession, hearing: Hearing, at: datetime) -> int:
    """Close every interval of the hearing still open, at `at` (the hearing's end), and
    return how many were. Each closing is an event (kind ``hearing_ended``), so that
    intervals derived again later, when a late delivery arrives, stay closed; a leave
    delivered late with an earlier time still closes the interval at that time."""
    locked = await db.execute(select(Hearing.id).where(Hearing.id == hearing.id).with_for_update())
    locked.scalar_one()
    still_open = list(
        await db.scalars(
            select(AttendanceInterval).where(
                AttendanceInterval.hearing_id == hearing.id,
                AttendanceInterval.left_at.is_(None),
            )
        )
    )
    for interval in still_open:
        event = AttendanceEvent(
            tribunal_id=hearing.tribunal_id,
            hearing_id=hearing.id,
            source=interval.source,
            idempotency_key=(f"ended:{hearing.id}:{interval.participant_key}:{at.timestamp():.0f}")[
                :200
            ],
            kind=AttendanceKind.HEARING_ENDED,
            participant_key=interval.participant_key,
            display_name=interval.display_name,
            occurred_at=at,
            received_at=utcnow(),
            payload={"closed_at_hearing_end": True},
        )
        await _insert_event(db, event)
        await _derive_intervals(db, hearing, interval.participant_key, interval.source)
    return len(still_open)


# -- the summary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceLine:
    """One person's attendance. A participant of the hearing has their participant key and
    role; someone no participant was recognised as has an ``unknown:`` key and no role."""

    key: str
    name: str
    role: ParticipantRole | None
    first_joined_at: datetime | None
    minutes_present: int

    @property
    def came(self) -> bool:
        return self.first_joined_at is not None


@dataclass(frozen=True)
class AttendanceSummary:
    participants: list[AttendanceLine]  # every participant of the hearing, in their order
    others: list[AttendanceLine]  # people in the room no participant was recognised as

    @property
    def never_came(self) -> list[AttendanceLine]:
        return [line for line in self.participants if not line.came]


def _seconds_within(
    spans: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> float:
    """Return the length of the union of `spans`, counted between `start` and `end`."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in spans)
    total = 0.0
    current: tuple[datetime, datetime] | None = None
    for a, b in clipped:
        if b <= a:
            continue
        if current is None or a > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (a, b)
        else:
            current = (current[0], max(current[1], b))
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


async def attendance_summary(
    db: AsyncSession, hearing: Hearing, now: datetime | None = None
) -> AttendanceSummary:
    """Return who came to the hearing, per participant: when they first joined, the minutes
    they were present (the union of their intervals from every source, within the hearing:
    from its start to its scheduled end, or to its actual end when that was later; an
    interval still open counts until `now`), and so who never came."""
    now = now or utcnow()
    ended = await db.scalar(
        select(func.max(AttendanceEvent.occurred_at)).where(
            AttendanceEvent.hearing_id == hearing.id,
            AttendanceEvent.kind == AttendanceKind.HEARING_ENDED,
        )
    )
    window_end = max(hearing.ends_at, ended) if ended is not None else hearing.ends_at
    by_key: dict[str, list[AttendanceInterval]] = {}
    for interval in await intervals_of(db, hearing):
        by_key.setdefault(interval.participant_key, []).append(interval)

    def line(key: str, name: str, role: ParticipantRole | None) -> AttendanceLine:
        intervals = by_key.get(key, [])
        seconds = _seconds_within(
            ((i.joined_at, i.left_at or max(now, i.joined_at)) for i in intervals),
            hearing.starts_at,
            window_end,
        )
        return AttendanceLine(
            key=key,
            name=name,
            role=role,
            first_joined_at=min((i.joined_at for i in intervals), default=None),
            minutes_present=int(seconds // 60),
        )

    participants = await hearing_participants(db, hearing)
    known = {participant.key for participant in participants}
    others = [
        line(key, intervals[0].display_name, None)
        for key, intervals in sorted(by_key.items())
        if key not in known
    ]
    return AttendanceSummary(
        participants=[line(p.key, p.name, p.role) for p in participants], others=others
    )
