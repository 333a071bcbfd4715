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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.access import REGISTRY_ROLES, registry_role
from filings.models import CaseParty, CaseTypeVersion, Filing, PartyRole
from hearings.jitsi import WindowState, window_state
from hearings.models import CheckinStatus, Hearing, HearingCheckin, HearingMode, HearingStatus
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
    if window is WindowState.CLOSED:
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


# -- what the page says -------------------------------------------------------------------------


def case_title(parties: list[CaseParty]) -> tuple[str, str]:
    """Return the names of the case's claimant and first respondent ("" when there is none)."""
    claimant = next((p.name for p in parties if p.role is PartyRole.CLAIMANT), "")
    respondent = next((p.name for p in parties if p.role is PartyRole.RESPONDENT), "")
    return claimant, respondent
