"""Notes, adjudicator assignment and the delivery log of a case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import access, cases, lifecycle
from filings.access import Actor, acting_capacity
from filings.documents.services import documents_of
from filings.journey.summary import answer_sections
from filings.models import (
    CaseEvent,
    CaseNote,
    CaseParty,
    CaseTypeVersion,
    Document,
    Filing,
    PartyRole,
)
from filings.parties.responses import FiledResponse, filed_responses
from filings.parties.services import RESPONDENT_STATES
from tribunals.models import Membership, Role, Tribunal
from tribunals.permissions import Permission, permissions_of
from tribune import audit
from tribune.audit import AuditAction
from tribune.mail import OutboxMessage
from tribune.texts import TextMessage
from tribune.views import PageView

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
        AuditAction.CASE_NOTE_ADDED,
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
        AuditAction.CASE_ADJUDICATOR_ASSIGNED,
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


async def texts_of(db: AsyncSession, filing: Filing) -> list[TextMessage]:
    """Return the texts sent about the case (reminders), oldest first, with their status."""
    rows = await db.execute(
        select(TextMessage)
        .where(TextMessage.case_id == filing.id, TextMessage.tribunal_id == filing.tribunal_id)
        .order_by(TextMessage.created_at, TextMessage.id)
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


@dataclass(frozen=True)
class StaffCaseView(PageView):
    """The staff case page: the whole record, notes, assignment and the moves staff may make."""

    filing: Filing
    version: CaseTypeVersion
    status_label: str
    parties: list[CaseParty]
    represented: dict[uuid.UUID, CaseParty | None]  # whom each representative acts for
    sections: list[dict[str, Any]]
    documents: list[Document]
    events: list[CaseEvent]
    people: dict[uuid.UUID, User]  # the staff and parties named on the timeline
    notes: list[NoteRow]
    adjudicators: list[User]
    assigned: User | None
    may_assign: bool
    messages: list[OutboxMessage]
    texts: list[TextMessage]
    responses: dict[uuid.UUID, FiledResponse]
    may_add_respondent: bool
    transitions: list[lifecycle.Transition]
    acting_role: str | None  # the capacity the page is read in, for the audit log


async def staff_case_view(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    version: CaseTypeVersion,
    user: User,
    roles: set[Role],
) -> StaffCaseView:
    """Return the case as the tribunal's staff member `user` sees it."""
    parties = await lifecycle.parties_of(db, filing)
    actors = access.actors_for(filing, user, roles, parties) & access.STAFF_ACTORS
    documents = await documents_of(db, filing)
    events = await cases.events_of(db, filing, parties_only=False)
    adjudicators = await adjudicators_of(db, tribunal.id)
    assigned_id = filing.assigned_adjudicator_id
    people = await users_by_id(
        db,
        {event.actor_id for event in events if event.actor_id}
        | ({assigned_id} if assigned_id else set()),
    )
    by_id = {party.id: party for party in parties}
    return StaffCaseView(
        filing=filing,
        version=version,
        status_label=str(lifecycle.STATUS_LABELS[filing.status]),
        parties=parties,
        represented={
            party.id: by_id.get(party.represents_id) if party.represents_id else None
            for party in parties
        },
        sections=answer_sections(filing, version, documents)[:-1],
        documents=documents,
        events=events,
        people=people,
        notes=await notes_of(db, filing),
        adjudicators=adjudicators,
        assigned=people.get(assigned_id) if assigned_id else None,
        may_assign=bool(roles & ASSIGNERS),
        messages=await messages_of(db, filing),
        texts=await texts_of(db, filing),
        responses=await filed_responses(db, filing, version, parties),
        may_add_respondent=Permission.REGISTRY_WORK in permissions_of(roles)
        and filing.status in RESPONDENT_STATES,
        transitions=lifecycle.allowed_transitions(filing, actors, lifecycle.Audience.STAFF),
        acting_role=acting_role(actors),
    )
