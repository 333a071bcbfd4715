"""Notes, adjudicator assignment and the delivery log of a case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import cases
from filings.access import Actor, acting_capacity
from filings.models import CaseNote, CaseParty, Filing, PartyRole
from tribunals.models import Membership, Role
from tribune import audit
from tribune.mail import OutboxMessage

NOTE_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 5000
# The moves a party makes from their own case page.
ASSIGNERS = frozenset({Role.CLERK, Role.ADMIN})


class AssignmentRefused(Exception):  # noqa: N818 - reads as what happened
    """Only the registry assigns adjudicators."""


# -- services ----------------------------------------------------------------------------------


@dataclass
class NoteRow:
    note: CaseNote
    author: User | None


async def notes_of(db: AsyncSession, filing: Filing) -> list[NoteRow]:
    rows = await db.execute(
        select(CaseNote, User)
        .outerjoin(User, User.id == CaseNote.author_id)
        .where(CaseNote.filing_id == filing.id, CaseNote.tribunal_id == filing.tribunal_id)
        .order_by(CaseNote.created_at, CaseNote.id)
    )
    return [NoteRow(note, author) for note, author in rows]


def add_note(db: AsyncSession, filing: Filing, author: User, body: str, role: str) -> CaseNote:
    """Keep a staff member's internal note on the case (never shown to parties)."""
    note = CaseNote(
        tribunal_id=filing.tribunal_id, filing_id=filing.id, author_id=author.id, body=body
    )
    db.add(note)
    cases.add_event(db, filing, "note_added", actor_id=author.id, visible_to_parties=False)
    audit.record(
        db,
        "case.note_added",
        actor_id=author.id,
        actor_role=role,
        tribunal_id=filing.tribunal_id,
        subject_type="filing",
        subject_id=filing.id,
    )
    return note


async def adjudicators_of(db: AsyncSession, tribunal_id: uuid.UUID) -> list[User]:
    rows = await db.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tribunal_id == tribunal_id, Membership.role == Role.ADJUDICATOR)
        .order_by(User.name, User.id)
    )
    return list(rows.scalars())


async def assign_adjudicator(
    db: AsyncSession,
    filing: Filing,
    adjudicator: User | None,
    *,
    user: User,
    roles: set[Role],
) -> None:
    """Assign (or, with None, unassign) the case's adjudicator; clerks and administrators only."""
    acting = next((role for role in (Role.CLERK, Role.ADMIN) if role in roles), None)
    if acting is None:
        raise AssignmentRefused
    filing.assigned_adjudicator_id = adjudicator.id if adjudicator else None
    cases.add_event(
        db,
        filing,
        "adjudicator_assigned",
        actor_id=user.id,
        visible_to_parties=False,
        adjudicator_id=str(adjudicator.id) if adjudicator else None,
        adjudicator_name=adjudicator.name if adjudicator else "",
    )
    audit.record(
        db,
        "case.adjudicator_assigned",
        actor_id=user.id,
        actor_role=acting.value,
        tribunal_id=filing.tribunal_id,
        subject_type="filing",
        subject_id=filing.id,
        adjudicator_id=str(adjudicator.id) if adjudicator else None,
    )


async def messages_of(db: AsyncSession, filing: Filing) -> list[OutboxMessage]:
    """Return the case's delivery log: every message queued about it, oldest first."""
    rows = await db.execute(
        select(OutboxMessage)
        .where(OutboxMessage.case_id == filing.id, OutboxMessage.tribunal_id == filing.tribunal_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return list(rows.scalars())


async def users_by_id(db: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
    if not ids:
        return {}
    rows = await db.execute(select(User).where(User.id.in_(ids)))
    return {user.id: user for user in rows.scalars()}


def acting_role(actors: frozenset[Actor]) -> str | None:
    """The most specific capacity someone acts in, for the audit log."""
    actor = acting_capacity(actors)
    return actor.value if actor else None


def sync_claimant(filing: Filing, parties: list[CaseParty]) -> None:
    """After a returned filing is completed, bring the claimant's party record (name and
    contact details) and the docket's search text up to date with the answers."""
    about_you = filing.answers.get("about_you") or {}
    for party in parties:
        if party.role is PartyRole.CLAIMANT and party.represents_id is None:
            party.name = about_you.get("full_name") or party.name
            party.email = about_you.get("email") or party.email
            party.phone = about_you.get("phone") or ""
            break
    filing.search_text = cases.search_text_of(filing, parties)
