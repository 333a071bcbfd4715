"""The hearing page of a video hearing: who may open it, the join window, check-in and the
waiting room.

- The page is for the hearing's participants who have an account (a party or authorised
  representative whose party record is theirs, the hearing's adjudicator) and for the
  tribunal's registry, in support; for anyone else it does not exist.
- Participants may join inside the hearing's join window, from 30 minutes before the start
  to two hours after the scheduled end: ``hearings.jitsi.join_window``, the one rule the
  pages and the tokens share.
- Inside the window a participant checks in: one row per participant per hearing, so checking
  in twice changes nothing. The adjudicator then admits them or returns them to the waiting
  room (``admit``, ``return_to_waiting``, for the console).
- The waiting room's poll reads the hearing with its case, the case's parties and the
  person's check-in: three statements, whatever the hearing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.access import REGISTRY_ROLES, registry_role
from filings.models import CaseParty, CaseTypeVersion, Filing, PartyRole
from hearings.attendance.services import close_open_intervals
from hearings.jitsi import WindowState, window_state
from hearings.models import (
    AttendanceInterval,
    CheckinStatus,
    Hearing,
    HearingCheckin,
    HearingMode,
    HearingSelfTest,
    HearingStatus,
    SelfTestResult,
)
from hearings.notices.services import Participant, ParticipantRole, participants_of
from hearings.selftest.services import self_tests_of
from tribunals.models import Role, Tribunal
from tribune import audit
from tribune.audit import AuditAction

# -- who opens the page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    """A person on a hearing's page: the hearing with its case and parties, the participant
    key they check in under (None for the registry, who supports and does not attend) and
    the capacity they act in (for the audit log)."""

    hearing: Hearing
    filing: Filing
    version: CaseTypeVersion
    parties: list[CaseParty]
    key: str | None
    role: str

    @property
    def party(self) -> bool:
        return self.key is not None and self.key.startswith("party-")

    @property
    def adjudicator(self) -> bool:
        return self.key is not None and self.key.startswith("adjudicator-")


def _party_key(user: User, parties: list[CaseParty]) -> tuple[str, str] | None:
    """Return the participant key and capacity of the person on the case: their own party
    (claimant, respondent), else the party record of their authorised representation."""
    by_id = {party.id: party for party in parties}
    for party in parties:
        if party.user_id == user.id and party.role in (PartyRole.CLAIMANT, PartyRole.RESPONDENT):
            return f"party-{party.id}", party.role.value
    for party in parties:
        if (
            party.user_id == user.id
            and party.role is PartyRole.REPRESENTATIVE
            and party.is_authorised
            and party.represents_id in by_id
        ):
            return f"party-{party.id}", PartyRole.REPRESENTATIVE.value
    return None


async def attendee_of(
    db: AsyncSession, tribunal: Tribunal, hearing_id: uuid.UUID, user: User, roles: set[Role]
) -> Attendee | None:
    """Return the person as they stand on the video hearing's page (two statements), or None
    if the hearing is not the tribunal's, not held by video, or the person is neither one of
    its participants with an account nor the tribunal's registry."""
    row = (
        await db.execute(
            select(Hearing, Filing, CaseTypeVersion)
            .join(
                Filing,
                (Filing.id == Hearing.filing_id) & (Filing.tribunal_id == Hearing.tribunal_id),
            )
            .join(CaseTypeVersion, CaseTypeVersion.id == Filing.case_type_version_id)
            .where(
                Hearing.id == hearing_id,
                Hearing.tribunal_id == tribunal.id,
                Hearing.mode == HearingMode.VIDEO,
            )
        )
    ).one_or_none()
    if row is None:
        return None
    hearing, filing, version = row
    parties = list(
        await db.scalars(
            select(CaseParty)
            .where(CaseParty.filing_id == filing.id, CaseParty.tribunal_id == tribunal.id)
            .order_by(CaseParty.created_at, CaseParty.id)
        )
    )
    if hearing.adjudicator_id == user.id:
        key, role = f"adjudicator-{user.id}", Role.ADJUDICATOR.value
    elif (found := _party_key(user, parties)) is not None:
        key, role = found
    elif roles & REGISTRY_ROLES:
        return Attendee(hearing, filing, version, parties, None, registry_role(roles))
    else:
        return None
    return Attendee(hearing, filing, version, parties, key, role)


# -- check-in and the waiting room --------------------------------------------------------------


class CheckInRefused(Exception):  # noqa: N818 - reads as what happened
    """The hearing cannot be checked in to now: ``reason`` is "early", "late" or "not_held"
    (cancelled, adjourned or already held)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def checkin_of(db: AsyncSession, hearing: Hearing, key: str) -> HearingCheckin | None:
    """Return the participant's check-in at the hearing, or None if they have not checked in."""
    found: HearingCheckin | None = await db.scalar(
        select(HearingCheckin).where(
            HearingCheckin.tribunal_id == hearing.tribunal_id,
            HearingCheckin.hearing_id == hearing.id,
            HearingCheckin.participant_key == key,
        )
    )
    return found


async def checkins_of(db: AsyncSession, hearing: Hearing) -> list[HearingCheckin]:
    """Return every check-in at the hearing, the first arrival first."""
    rows = await db.scalars(
        select(HearingCheckin)
        .where(
            HearingCheckin.tribunal_id == hearing.tribunal_id,
            HearingCheckin.hearing_id == hearing.id,
        )
        .order_by(HearingCheckin.checked_in_at, HearingCheckin.id)
    )
    return list(rows)


async def check_in(
    db: AsyncSession, attendee: Attendee, user: User, now: datetime
) -> HearingCheckin:
    """Record that the participant arrived in the waiting room, with an audit entry; return
    their check-in. Checking in again changes nothing, except that a participant who had left
    is waiting again.

    Raises CheckInRefused (nothing changed) outside the join window or when the hearing is
    not scheduled."""
    hearing = attendee.hearing
    assert attendee.key is not None, "the registry supports a hearing, it does not check in"
    if hearing.status is not HearingStatus.SCHEDULED:
        raise CheckInRefused("not_held")
    window = window_state(hearing, now)
    if window is WindowState.TOO_EARLY:
        raise CheckInRefused("early")
    if window is WindowState.CLOSED or hearing.ended_at is not None:
        raise CheckInRefused("late")
    existing = await checkin_of(db, hearing, attendee.key)
    if existing is not None:
        if existing.status is CheckinStatus.LEFT:
            existing.status = CheckinStatus.WAITING
            _record(db, attendee, user, AuditAction.HEARING_CHECKED_IN, again=True)
        return existing
    checkin = HearingCheckin(
        id=uuid.uuid4(),
        tribunal_id=hearing.tribunal_id,
        hearing_id=hearing.id,
        participant_key=attendee.key,
        user_id=user.id,
        status=CheckinStatus.WAITING,
        checked_in_at=now,
    )
    try:
        # Two tabs checking in at once: the unique key lets one in, the other reads it.
        async with db.begin_nested():
            db.add(checkin)
            await db.flush()
    except IntegrityError:
        found = await checkin_of(db, hearing, attendee.key)
        assert found is not None
        return found
    _record(db, attendee, user, AuditAction.HEARING_CHECKED_IN, again=False)
    return checkin


def _record(
    db: AsyncSession, attendee: Attendee, user: User, action: AuditAction, *, again: bool
) -> None:
    audit.record(
        db,
        action,
        actor_id=user.id,
        actor_role=attendee.role,
        tribunal_id=attendee.hearing.tribunal_id,
        subject_type="hearing",
        subject_id=attendee.hearing.id,
        case_id=attendee.filing.id,
        participant=attendee.key,
        again=again,
    )


class NotCheckedIn(Exception):  # noqa: N818 - reads as what happened
    """The participant named has not checked in to the hearing (or is not one of its
    participants): nobody to admit or return."""


async def _move(
    db: AsyncSession,
    hearing: Hearing,
    key: str,
    status: CheckinStatus,
    action: AuditAction,
    actor: User | None,
    actor_role: str | None,
) -> HearingCheckin:
    checkin = await checkin_of(db, hearing, key)
    if checkin is None:
        raise NotCheckedIn(key)
    if checkin.status is not status:
        checkin.status = status
        audit.record(
            db,
            action,
            actor_id=actor.id if actor else None,
            actor_role=actor_role,
            tribunal_id=hearing.tribunal_id,
            subject_type="hearing",
            subject_id=hearing.id,
            case_id=hearing.filing_id,
            participant=key,
        )
    return checkin


async def admit(
    db: AsyncSession,
    hearing: Hearing,
    key: str,
    *,
    actor: User | None = None,
    actor_role: str | None = None,
) -> HearingCheckin:
    """Let a checked-in participant into the hearing (an audit entry when it changes
    anything); return their check-in. Raises NotCheckedIn (nothing changed) if they have not
    checked in."""
    return await _move(
        db,
        hearing,
        key,
        CheckinStatus.ADMITTED,
        AuditAction.HEARING_PARTICIPANT_ADMITTED,
        actor,
        actor_role,
    )


async def return_to_waiting(
    db: AsyncSession,
    hearing: Hearing,
    key: str,
    *,
    actor: User | None = None,
    actor_role: str | None = None,
) -> HearingCheckin:
    """Send a checked-in participant back to the waiting room (an audit entry when it changes
    anything); return their check-in. Raises NotCheckedIn (nothing changed) if they have not
    checked in."""
    return await _move(
        db,
        hearing,
        key,
        CheckinStatus.RETURNED,
        AuditAction.HEARING_PARTICIPANT_RETURNED,
        actor,
        actor_role,
    )


# -- the video room ------------------------------------------------------------------------------


def in_session(hearing: Hearing, now: datetime) -> bool:
    """Return whether the hearing can be joined now: scheduled, inside its join window, not
    ended."""
    return (
        hearing.status is HearingStatus.SCHEDULED
        and window_state(hearing, now) is WindowState.OPEN
        and hearing.ended_at is None
    )


def may_enter_room(attendee: Attendee, checkin: HearingCheckin | None, now: datetime) -> bool:
    """Return whether the person may be in the hearing's video room now: while the hearing
    can be joined, its adjudicator always (they run the room), another participant once let
    in from the waiting room; the registry, who supports and does not attend, never."""
    if attendee.key is None or not in_session(attendee.hearing, now):
        return False
    if attendee.adjudicator:
        return True
    return checkin is not None and checkin.status is CheckinStatus.ADMITTED


def participant_for(attendee: Attendee, participants: list[Participant]) -> Participant | None:
    """Return the person's own line among the hearing's participants (for their name and
    email in the room), or None for the registry."""
    return next((p for p in participants if p.key == attendee.key), None)


# -- what the page says -------------------------------------------------------------------------


def case_title(parties: list[CaseParty]) -> tuple[str, str]:
    """Return the names of the case's claimant and first respondent ("" when there is none)."""
    claimant = next((p.name for p in parties if p.role is PartyRole.CLAIMANT), "")
    respondent = next((p.name for p in parties if p.role is PartyRole.RESPONDENT), "")
    return claimant, respondent


# -- the adjudicator's console --------------------------------------------------------------------


def runs_console(attendee: Attendee) -> bool:
    """Return whether the person runs the hearing's console: its adjudicator, or the
    tribunal's registry in support."""
    return attendee.adjudicator or attendee.key is None


@dataclass(frozen=True)
class ConsoleLine:
    """A participant as the console shows them: their check-in, or None if not arrived, and
    their last self-test, or None if they have not done one."""

    participant: Participant
    checkin: HearingCheckin | None
    self_test: HearingSelfTest | None = None
    # In the video room now (an attendance interval open), and ever in it.
    in_room: bool = False
    was_in_room: bool = False

    @property
    def status(self) -> str:
        """Where the participant stands: "not_arrived" (or "self_test_failed", not arrived
        after a failed self-test: someone to call); "waiting" or "returned" (in the
        waiting room); once let in, "admitted" (not in the room yet), "in_hearing" (in it)
        or "dropped" (was in it, is not any more); "left" (left the hearing page)."""
        if self.checkin is None:
            failed = self.self_test is not None and self.self_test.result is SelfTestResult.FAILED
            return "self_test_failed" if failed else "not_arrived"
        if self.checkin.status is CheckinStatus.ADMITTED:
            if self.in_room:
                return "in_hearing"
            return "dropped" if self.was_in_room else "admitted"
        status: str = self.checkin.status.value
        return status

    @property
    def can_be_let_in(self) -> bool:
        return self.checkin is not None and self.checkin.status in LET_IN_FROM

    @property
    def can_be_sent_back(self) -> bool:
        return self.checkin is not None and self.checkin.status is CheckinStatus.ADMITTED


# Who "Let in" and "Let everyone in" move: the people in the waiting room.
LET_IN_FROM = (CheckinStatus.WAITING, CheckinStatus.RETURNED)


async def console_of(db: AsyncSession, tribunal: Tribunal, attendee: Attendee) -> list[ConsoleLine]:
    """Return every participant of the hearing but its adjudicator, with their check-in and
    self-test: the same few statements whatever the number of participants (the parties,
    their accounts, the interpreter if one is booked, the check-ins, the self-tests)."""
    hearing = attendee.hearing
    participants = [
        p
        for p in await participants_of(db, tribunal, attendee.filing, hearing)
        if p.role is not ParticipantRole.ADJUDICATOR
    ]
    checkins = {checkin.participant_key: checkin for checkin in await checkins_of(db, hearing)}
    in_room, was_in_room = await presence_of(db, hearing)
    tests = await self_tests_of(db, hearing)
    return [
        ConsoleLine(
            p, checkins.get(p.key), tests.get(p.key), p.key in in_room, p.key in was_in_room
        )
        for p in participants
    ]


async def presence_of(db: AsyncSession, hearing: Hearing) -> tuple[set[str], set[str]]:
    """Return the participant keys in the hearing's video room now (an attendance interval
    still open, whatever reported it) and those ever in it: one statement."""
    rows = await db.execute(
        select(AttendanceInterval.participant_key, AttendanceInterval.left_at).where(
            AttendanceInterval.tribunal_id == hearing.tribunal_id,
            AttendanceInterval.hearing_id == hearing.id,
        )
    )
    now_in: set[str] = set()
    ever_in: set[str] = set()
    for key, left_at in rows:
        ever_in.add(key)
        if left_at is None:
            now_in.add(key)
    return now_in, ever_in


class ConsoleRefused(Exception):  # noqa: N818 - reads as what happened
    """The console's action cannot be done now; ``reason`` says why: "not_participant",
    "not_checked_in", "left", "ended" (for letting in or sending back); "not_held", "early",
    "late", "started" (for starting); "not_started", "ended" (for ending). Nothing changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _line_of(lines: list[ConsoleLine], key: str) -> ConsoleLine:
    line = next((line for line in lines if line.participant.key == key), None)
    if line is None:
        raise ConsoleRefused("not_participant")
    if line.checkin is None:
        raise ConsoleRefused("not_checked_in")
    return line


async def let_in(
    db: AsyncSession, tribunal: Tribunal, attendee: Attendee, user: User, key: str
) -> None:
    """Let one participant in from the waiting room (an audit entry). Raises ConsoleRefused
    (nothing changed) if they are not a participant, have not checked in or have left, or if
    the hearing has ended. Letting in someone already in changes nothing."""
    if attendee.hearing.ended_at is not None:
        raise ConsoleRefused("ended")
    line = _line_of(await console_of(db, tribunal, attendee), key)
    assert line.checkin is not None
    if line.checkin.status is CheckinStatus.LEFT:
        raise ConsoleRefused("left")
    await admit(db, attendee.hearing, key, actor=user, actor_role=attendee.role)


async def let_everyone_in(
    db: AsyncSession, tribunal: Tribunal, attendee: Attendee, user: User
) -> int:
    """Let in every participant waiting or returned to the waiting room (an audit entry
    each); return how many. Raises ConsoleRefused("ended") once the hearing has ended."""
    if attendee.hearing.ended_at is not None:
        raise ConsoleRefused("ended")
    moved = 0
    for line in await console_of(db, tribunal, attendee):
        if line.can_be_let_in:
            await admit(
                db, attendee.hearing, line.participant.key, actor=user, actor_role=attendee.role
            )
            moved += 1
    return moved


async def send_back(
    db: AsyncSession, tribunal: Tribunal, attendee: Attendee, user: User, key: str
) -> None:
    """Send an admitted participant back to the waiting room (an audit entry). Raises
    ConsoleRefused (nothing changed) if they are not a participant or have not checked in,
    or if the hearing has ended; someone not in the hearing stays where they are."""
    if attendee.hearing.ended_at is not None:
        raise ConsoleRefused("ended")
    line = _line_of(await console_of(db, tribunal, attendee), key)
    if line.can_be_sent_back:
        await return_to_waiting(db, attendee.hearing, key, actor=user, actor_role=attendee.role)


def _record_session(db: AsyncSession, attendee: Attendee, user: User, action: AuditAction) -> None:
    audit.record(
        db,
        action,
        actor_id=user.id,
        actor_role=attendee.role,
        tribunal_id=attendee.hearing.tribunal_id,
        subject_type="hearing",
        subject_id=attendee.hearing.id,
        case_id=attendee.filing.id,
    )


async def start_hearing(db: AsyncSession, attendee: Attendee, user: User, now: datetime) -> None:
    """Start the hearing (once, inside its join window, while it is scheduled), with an audit
    entry. Raises ConsoleRefused (nothing changed): "not_held", "early", "late", "started"."""
    hearing = attendee.hearing
    if hearing.status is not HearingStatus.SCHEDULED:
        raise ConsoleRefused("not_held")
    if hearing.started_at is not None:
        raise ConsoleRefused("started")
    window = window_state(hearing, now)
    if window is WindowState.TOO_EARLY:
        raise ConsoleRefused("early")
    if window is WindowState.CLOSED:
        raise ConsoleRefused("late")
    # Two clicks at once: the condition lets one of them start it.
    started = await db.execute(
        update(Hearing)
        .where(Hearing.id == hearing.id, Hearing.started_at.is_(None))
        .values(started_at=now)
        .execution_options(synchronize_session=False)
    )
    if started.rowcount != 1:  # type: ignore[attr-defined]
        raise ConsoleRefused("started")
    hearing.started_at = now
    _record_session(db, attendee, user, AuditAction.HEARING_STARTED)


async def end_hearing(db: AsyncSession, attendee: Attendee, user: User, now: datetime) -> None:
    """End the started hearing (once), with an audit entry: the attendance intervals still
    open close now, and everyone in the hearing has left it. Raises ConsoleRefused (nothing
    changed): "not_started", "ended"."""
    hearing = attendee.hearing
    if hearing.started_at is None:
        raise ConsoleRefused("not_started")
    if hearing.ended_at is not None:
        raise ConsoleRefused("ended")
    ended = await db.execute(
        update(Hearing)
        .where(
            Hearing.id == hearing.id, Hearing.started_at.is_not(None), Hearing.ended_at.is_(None)
        )
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        raise ConsoleRefused("ended")
    hearing.ended_at = now
    await close_open_intervals(db, hearing, at=now)
    for checkin in await checkins_of(db, hearing):
        if checkin.status is CheckinStatus.ADMITTED:
            checkin.status = CheckinStatus.LEFT
    _record_session(db, attendee, user, AuditAction.HEARING_ENDED)
