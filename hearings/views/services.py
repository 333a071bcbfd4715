"""What parties, adjudicators and the registry see of hearings, and the dates the parties say
they cannot attend.

- The parties' case page shows the case's upcoming hearing (or the last one, adjourned or
  cancelled, with the reasons), read with its room in one statement.
- Parties (and their authorised representatives, for the party they represent) give the days
  they cannot attend, inside the tribunal's window, while the case is accepted or scheduled;
  slot proposals (``hearings.scheduling.services``) then skip those days.
- The tribunal's day view reads a day's hearings with their case, adjudicator, room and
  interpreter in one statement, whatever their number; while video hearings are held, it
  also says which are live and lists the registry's alerts (who dropped out of a live
  hearing, who has not arrived five minutes after the start) in three more statements;
  "My hearings" reads an adjudicator's upcoming ones a page at a time, by keyset.
"""

from __future__ import annotations

import base64
import binascii
import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import cases
from filings.models import CaseParty, Filing, FilingStatus, PartyRole
from hearings.jitsi import WindowState, window_state
from hearings.models import (
    AttendanceInterval,
    CheckinStatus,
    Hearing,
    HearingCheckin,
    HearingMode,
    HearingRoom,
    HearingSettings,
    HearingStatus,
    Interpreter,
    PartyUnavailability,
)
from hearings.selftest.services import failed_self_tests
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.forms import parse_moment

# The states in which parties may give (or take back) dates they cannot attend.
DATES_STATES = frozenset({FilingStatus.ACCEPTED, FilingStatus.SCHEDULED})
# Limits on what one party gives: entries not yet over, days per entry, length of a reason.
MAX_ENTRIES_PER_PARTY = 20
MAX_DAYS_PER_ENTRY = 30
MAX_REASON_LENGTH = 500
# Hearings per page of "My hearings".
MY_HEARINGS_PAGE_SIZE = 25


# -- who acts for which party ------------------------------------------------------------------


def acting_party(filing: Filing, user: User, parties: list[CaseParty]) -> CaseParty | None:
    """Return the party (claimant or respondent) the person acts for on the case: their own,
    or the one they are the authorised representative of; or None if they act for none."""
    by_id = {party.id: party for party in parties}
    for party in parties:
        if party.user_id == user.id and party.role in (PartyRole.CLAIMANT, PartyRole.RESPONDENT):
            return party
    if filing.filer_id == user.id and filing.entered_by_id != user.id:
        claimant = next((p for p in parties if p.role is PartyRole.CLAIMANT), None)
        if claimant is not None:
            return claimant
    for party in parties:
        if (
            party.user_id == user.id
            and party.role is PartyRole.REPRESENTATIVE
            and party.is_authorised
            and party.represents_id in by_id
        ):
            return by_id[party.represents_id]
    return None


# -- the parties' view of the hearing -----------------------------------------------------------


@dataclass(frozen=True)
class PartyHearing:
    hearing: Hearing
    room: HearingRoom | None


async def hearing_for_parties(
    db: AsyncSession, filing: Filing, now: datetime
) -> PartyHearing | None:
    """Return the case's next scheduled hearing (one under way included); or, if there is none,
    its last hearing when that one was adjourned or cancelled; or None."""
    rows = (
        await db.execute(
            select(Hearing, HearingRoom)
            .outerjoin(
                HearingRoom,
                (HearingRoom.id == Hearing.room_id)
                & (HearingRoom.tribunal_id == Hearing.tribunal_id),
            )
            .where(Hearing.filing_id == filing.id, Hearing.tribunal_id == filing.tribunal_id)
            .order_by(Hearing.starts_at, Hearing.id)
        )
    ).all()
    for hearing, room in rows:
        if hearing.status is HearingStatus.SCHEDULED and hearing.ends_at > now:
            return PartyHearing(hearing, room)
    if not rows:
        return None
    hearing, room = max(rows, key=lambda row: (row[0].updated_at, row[0].starts_at))
    if hearing.status in (HearingStatus.ADJOURNED, HearingStatus.CANCELLED):
        return PartyHearing(hearing, room)
    return None


def dial_in_for(settings: HearingSettings, language: str) -> str:
    """Return the telephone dial-in details in a language, or in the other if only it has them."""
    first, second = (
        (settings.dial_in_fr, settings.dial_in_en)
        if language == "fr"
        else (settings.dial_in_en, settings.dial_in_fr)
    )
    return (first or second).strip()


# -- dates the parties cannot attend --------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The days a party may give: from tomorrow to the end of the tribunal's window."""

    first: date
    last: date


def window_of(settings: HearingSettings, today: date) -> Window:
    return Window(
        today + timedelta(days=1), today + timedelta(days=settings.unavailability_window_days)
    )


class TooManyDatesError(Exception):
    """The party already gave as many entries as they may."""


async def dates_of_party(
    db: AsyncSession, filing: Filing, party: CaseParty, today: date
) -> list[PartyUnavailability]:
    """Return the entries of a party of the case that are not over yet, first day first."""
    rows = await db.scalars(
        select(PartyUnavailability)
        .where(
            PartyUnavailability.tribunal_id == filing.tribunal_id,
            PartyUnavailability.filing_id == filing.id,
            PartyUnavailability.party_id == party.id,
            PartyUnavailability.last_day >= today,
        )
        .order_by(PartyUnavailability.first_day, PartyUnavailability.id)
    )
    return list(rows)


async def dates_of_case(db: AsyncSession, filing: Filing, today: date) -> list[PartyUnavailability]:
    """Return every party's entries on the case that are not over yet, first day first."""
    rows = await db.scalars(
        select(PartyUnavailability)
        .where(
            PartyUnavailability.tribunal_id == filing.tribunal_id,
            PartyUnavailability.filing_id == filing.id,
            PartyUnavailability.last_day >= today,
        )
        .order_by(PartyUnavailability.first_day, PartyUnavailability.id)
    )
    return list(rows)


async def add_dates(
    db: AsyncSession,
    filing: Filing,
    party: CaseParty,
    first_day: date,
    last_day: date,
    reason: str,
    *,
    today: date,
    actor: User,
    actor_role: str | None,
) -> PartyUnavailability:
    """Record days a party cannot attend (checked by the form: inside the window, in order,
    a reason); write a case event for the registry and an audit entry.

    Raises TooManyDatesError (nothing changed) if the party has MAX_ENTRIES_PER_PARTY already."""
    held = await db.scalar(
        select(func.count())
        .select_from(PartyUnavailability)
        .where(
            PartyUnavailability.tribunal_id == filing.tribunal_id,
            PartyUnavailability.filing_id == filing.id,
            PartyUnavailability.party_id == party.id,
            PartyUnavailability.last_day >= today,
        )
    )
    if (held or 0) >= MAX_ENTRIES_PER_PARTY:
        raise TooManyDatesError
    entry = PartyUnavailability(
        id=uuid.uuid4(),
        tribunal_id=filing.tribunal_id,
        filing_id=filing.id,
        party_id=party.id,
        first_day=first_day,
        last_day=last_day,
        reason=reason,
        created_by_id=actor.id,
    )
    db.add(entry)
    _record(db, filing, party, entry, AuditAction.CASE_UNAVAILABLE_DATES_ADDED, actor, actor_role)
    return entry


async def entry_of_party(
    db: AsyncSession, filing: Filing, party: CaseParty, entry_id: uuid.UUID
) -> PartyUnavailability | None:
    """Return one of the party's entries on the case, or None (another party's, case's or
    tribunal's entry is None)."""
    found: PartyUnavailability | None = await db.scalar(
        select(PartyUnavailability).where(
            PartyUnavailability.id == entry_id,
            PartyUnavailability.tribunal_id == filing.tribunal_id,
            PartyUnavailability.filing_id == filing.id,
            PartyUnavailability.party_id == party.id,
        )
    )
    return found


async def remove_dates(
    db: AsyncSession,
    filing: Filing,
    party: CaseParty,
    entry: PartyUnavailability,
    *,
    actor: User,
    actor_role: str | None,
) -> None:
    """Take back an entry; write a case event for the registry and an audit entry."""
    await db.execute(
        delete(PartyUnavailability)
        .where(PartyUnavailability.id == entry.id)
        .execution_options(synchronize_session=False)
    )
    _record(db, filing, party, entry, AuditAction.CASE_UNAVAILABLE_DATES_REMOVED, actor, actor_role)


def _record(
    db: AsyncSession,
    filing: Filing,
    party: CaseParty,
    entry: PartyUnavailability,
    action: AuditAction,
    actor: User,
    actor_role: str | None,
) -> None:
    kind = (
        "unavailable_dates_added"
        if action is AuditAction.CASE_UNAVAILABLE_DATES_ADDED
        else "unavailable_dates_removed"
    )
    cases.add_event(
        db,
        filing,
        kind,
        actor_id=actor.id,
        visible_to_parties=False,
        party_name=party.name,
        first_day=entry.first_day.isoformat(),
        last_day=entry.last_day.isoformat(),
        reason=entry.reason,
    )
    audit.record(
        db,
        action,
        actor_id=actor.id,
        actor_role=actor_role,
        tribunal_id=filing.tribunal_id,
        subject_type="party_unavailability",
        subject_id=entry.id,
        case_id=filing.id,
        first_day=entry.first_day.isoformat(),
        last_day=entry.last_day.isoformat(),
    )


# -- the tribunal's day -------------------------------------------------------------------------


@dataclass(frozen=True)
class DayHearing:
    hearing: Hearing
    filing_id: uuid.UUID
    reference: str
    adjudicator_name: str
    room_name: str | None
    interpreter_name: str | None


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def hearings_of_day(db: AsyncSession, tribunal: Tribunal, day: date) -> list[DayHearing]:
    """Return the tribunal's hearings that start on a day (its local date), earliest first,
    each with its case's reference, adjudicator, room and interpreter: one statement."""
    rows = await db.execute(
        select(Hearing, Filing.reference, User.name, HearingRoom.name, Interpreter.name)
        .join(Filing, (Filing.id == Hearing.filing_id) & (Filing.tribunal_id == tribunal.id))
        .join(User, User.id == Hearing.adjudicator_id)
        .outerjoin(
            HearingRoom,
            (HearingRoom.id == Hearing.room_id) & (HearingRoom.tribunal_id == tribunal.id),
        )
        .outerjoin(
            Interpreter,
            (Interpreter.id == Hearing.interpreter_id) & (Interpreter.tribunal_id == tribunal.id),
        )
        .where(
            Hearing.tribunal_id == tribunal.id,
            Hearing.starts_at >= _local_midnight(day, tribunal.time_zone),
            Hearing.starts_at < _local_midnight(day + timedelta(days=1), tribunal.time_zone),
        )
        .order_by(Hearing.starts_at, Hearing.id)
    )
    return [
        DayHearing(hearing, hearing.filing_id, reference or "", adjudicator, room, interpreter)
        for hearing, reference, adjudicator, room, interpreter in rows
    ]


# -- the tribunal's live video hearings ----------------------------------------------------------

# A participant with no sign of arrival this long after the start is reported.
NOT_ARRIVED_AFTER = timedelta(minutes=5)


class LiveState(enum.Enum):
    """Where a video hearing stands, from the console's start and end."""

    NOT_STARTED = "not_started"
    LIVE = "live"
    ENDED = "ended"


def live_state(hearing: Hearing) -> LiveState:
    """Return whether the hearing is live (started, not ended), not started, or ended."""
    if hearing.ended_at is not None:
        return LiveState.ENDED
    return LiveState.LIVE if hearing.started_at is not None else LiveState.NOT_STARTED


class AlertKind(enum.Enum):
    """What the registry is told of about a participant of a live or imminent hearing."""

    DROPPED_OUT = "dropped_out"  # was in the live hearing and is no longer
    SELF_TEST_FAILED = "self_test_failed"  # their last self-test failed, and they are not in
    NOT_ARRIVED = "not_arrived"  # neither checked in nor in the room, 5 minutes after the start


@dataclass(frozen=True)
class Alert:
    """One line of the day view's alerts: the hearing, who, what, and since when (the time
    they left, or the hearing's start; None when no time is known)."""

    hearing: DayHearing
    participant_name: str
    kind: AlertKind
    when: datetime | None
    # Why a self-test failed (``SelfTestReason``'s value), for that kind of alert.
    reason: str = ""


def watched(rows: Sequence[DayHearing], now: datetime) -> list[DayHearing]:
    """Return the day's video hearings the registry watches now: scheduled, not ended, with
    their join window open (about to start, or live)."""
    return [
        row
        for row in rows
        if row.hearing.mode is HearingMode.VIDEO
        and row.hearing.status is HearingStatus.SCHEDULED
        and row.hearing.ended_at is None
        and window_state(row.hearing, now) is WindowState.OPEN
    ]


def _expected(row: DayHearing, parties: Sequence[CaseParty]) -> list[tuple[str, str]]:
    """Return the hearing's participants as (key, name), as ``participants_of`` names them:
    the case's parties and authorised representatives, the adjudicator, the interpreter."""
    hearing = row.hearing
    found = [
        (f"party-{party.id}", party.name)
        for party in parties
        if party.role is not PartyRole.REPRESENTATIVE or party.is_authorised
    ]
    found.append((f"adjudicator-{hearing.adjudicator_id}", row.adjudicator_name))
    if hearing.interpreter_id is not None and row.interpreter_name is not None:
        found.append((f"interpreter-{hearing.interpreter_id}", row.interpreter_name))
    return found


# Check-in statuses of people in Tribune's waiting room: the console shows them already.
_IN_WAITING_ROOM = frozenset({CheckinStatus.WAITING, CheckinStatus.RETURNED})


async def alerts_of(
    db: AsyncSession, tribunal: Tribunal, rows: Sequence[DayHearing], now: datetime
) -> list[Alert]:
    """Return the alerts of the day's watched video hearings, hearing by hearing (earliest
    first), those who dropped out before those not arrived:

    - dropped out: in a live hearing, a participant whose attendance interval closed while
      it was live, or whose check-in says they left, and who has no open interval now (and
      is not back in the waiting room);
    - self-test failed: a participant whose last self-test failed and who is not in the
      hearing's room now (someone to call before or while it runs);
    - not arrived: 5 minutes after the start, a participant with neither a check-in nor an
      attendance interval.

    Four statements whatever the number of hearings and participants (none when no hearing
    is watched). Another kind of alert is one more statement and one more loop here."""
    hearings = watched(rows, now)
    if not hearings:
        return []
    ids = [row.hearing.id for row in hearings]
    parties: dict[uuid.UUID, list[CaseParty]] = {}
    for party in await db.scalars(
        select(CaseParty)
        .where(
            CaseParty.tribunal_id == tribunal.id,
            CaseParty.filing_id.in_({row.filing_id for row in hearings}),
        )
        .order_by(CaseParty.created_at, CaseParty.id)
    ):
        parties.setdefault(party.filing_id, []).append(party)
    # Everyone seen of each hearing (checked in, or in its room at some point).
    seen_in: dict[uuid.UUID, set[str]] = {}
    checkins: dict[tuple[uuid.UUID, str], CheckinStatus] = {}
    for hearing_id, key, checked in await db.execute(
        select(
            HearingCheckin.hearing_id, HearingCheckin.participant_key, HearingCheckin.status
        ).where(HearingCheckin.tribunal_id == tribunal.id, HearingCheckin.hearing_id.in_(ids))
    ):
        checkins[(hearing_id, key)] = checked
        seen_in.setdefault(hearing_id, set()).add(key)
    intervals: dict[tuple[uuid.UUID, str], list[tuple[str, datetime | None]]] = {}
    for hearing_id, key, display_name, left_at in await db.execute(
        select(
            AttendanceInterval.hearing_id,
            AttendanceInterval.participant_key,
            AttendanceInterval.display_name,
            AttendanceInterval.left_at,
        ).where(
            AttendanceInterval.tribunal_id == tribunal.id, AttendanceInterval.hearing_id.in_(ids)
        )
    ):
        intervals.setdefault((hearing_id, key), []).append((display_name, left_at))
        seen_in.setdefault(hearing_id, set()).add(key)

    failed_tests = await failed_self_tests(db, tribunal, ids)

    alerts: list[Alert] = []
    for row in hearings:
        hearing = row.hearing
        expected = _expected(row, parties.get(row.filing_id, []))
        names = dict(expected)
        in_room = {
            key
            for (hearing_id, key), seen in intervals.items()
            if hearing_id == hearing.id and any(left_at is None for _name, left_at in seen)
        }
        started_at = hearing.started_at
        if started_at is not None:
            for key in sorted(seen_in.get(hearing.id, set())):
                seen = intervals.get((hearing.id, key), [])
                status = checkins.get((hearing.id, key))
                if any(left_at is None for _name, left_at in seen) or status in _IN_WAITING_ROOM:
                    continue
                left = [at for _name, at in seen if at is not None and at >= started_at]
                if left or status is CheckinStatus.LEFT:
                    name = names.get(key) or next((n for n, _at in seen if n), "")
                    alerts.append(
                        Alert(row, name, AlertKind.DROPPED_OUT, max(left) if left else None)
                    )
        for test in failed_tests.get(hearing.id, []):
            if test.participant_key not in in_room and test.participant_key in names:
                reason = test.reason.value if test.reason else ""
                alerts.append(
                    Alert(
                        row,
                        names[test.participant_key],
                        AlertKind.SELF_TEST_FAILED,
                        test.tested_at,
                        reason,
                    )
                )
        due = hearing.starts_at
        if now >= due + NOT_ARRIVED_AFTER:
            for key, name in expected:
                if key not in seen_in.get(hearing.id, set()):
                    alerts.append(Alert(row, name, AlertKind.NOT_ARRIVED, due))
    return alerts


# -- an adjudicator's own hearings ----------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page of "My hearings" starts: after this hearing's start and id."""

    starts_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = f"{self.starts_at.isoformat()}|{self.id.hex}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> Cursor | None:
    """Return the cursor a page link carries, or None if it is malformed."""
    if not value or len(value) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, id_hex = raw.split("|")
        moment = parse_moment(stamp)
        return Cursor(moment, uuid.UUID(hex=id_hex)) if moment else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class MyHearing:
    hearing: Hearing
    reference: str
    room_name: str | None
    interpreter_name: str | None


def _hearings_of_adjudicator(
    tribunal: Tribunal, adjudicator: User
) -> Select[Hearing, str | None, str, str]:
    """The adjudicator's scheduled hearings in the tribunal, with their case reference, room
    and interpreter names, in one statement."""
    return (
        select(Hearing, Filing.reference, HearingRoom.name, Interpreter.name)
        .join(Filing, (Filing.id == Hearing.filing_id) & (Filing.tribunal_id == tribunal.id))
        .outerjoin(
            HearingRoom,
            (HearingRoom.id == Hearing.room_id) & (HearingRoom.tribunal_id == tribunal.id),
        )
        .outerjoin(
            Interpreter,
            (Interpreter.id == Hearing.interpreter_id) & (Interpreter.tribunal_id == tribunal.id),
        )
        .where(
            Hearing.tribunal_id == tribunal.id,
            Hearing.adjudicator_id == adjudicator.id,
            Hearing.status == HearingStatus.SCHEDULED,
        )
    )


def _my_hearings(rows: Sequence[Any]) -> list[MyHearing]:
    return [
        MyHearing(hearing, reference or "", room, interpreter)
        for hearing, reference, room, interpreter in rows
    ]


async def awaiting_outcome_of(
    db: AsyncSession,
    tribunal: Tribunal,
    adjudicator: User,
    now: datetime,
    limit: int = MY_HEARINGS_PAGE_SIZE,
) -> list[MyHearing]:
    """Return the adjudicator's hearings that have ended with no outcome recorded yet (still
    scheduled), the oldest first, at most ``limit``."""
    query = (
        _hearings_of_adjudicator(tribunal, adjudicator)
        .where(Hearing.ends_at <= now)
        .order_by(Hearing.starts_at, Hearing.id)
        .limit(limit)
    )
    return _my_hearings((await db.execute(query)).all())


async def upcoming_hearings_of(
    db: AsyncSession,
    tribunal: Tribunal,
    adjudicator: User,
    now: datetime,
    after: Cursor | None = None,
    limit: int = MY_HEARINGS_PAGE_SIZE,
) -> tuple[list[MyHearing], Cursor | None]:
    """Return a page of the adjudicator's scheduled hearings in the tribunal that have not
    ended, earliest first, from the cursor on; and the cursor of the next page, or None."""
    query = (
        _hearings_of_adjudicator(tribunal, adjudicator)
        .where(Hearing.ends_at > now)
        .order_by(Hearing.starts_at, Hearing.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(
            tuple_(Hearing.starts_at, Hearing.id) > tuple_(after.starts_at, after.id)
        )
    rows = (await db.execute(query)).all()
    page = _my_hearings(rows[:limit])
    more = len(rows) > limit
    last = page[-1].hearing if page and more else None
    return page, Cursor(last.starts_at, last.id) if last is not None else None
