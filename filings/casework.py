"""Case work: the staff case page (everything about one case), internal notes, assigning an
adjudicator, and moving a case through its life — by staff, and by the parties themselves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from accounts.models import User
from filings import lifecycle, services
from filings import parties as parties_service
from filings.lifecycle import STAFF_ACTORS, Actor, TransitionRefused
from filings.models import (
    CaseNote,
    CaseParty,
    CaseTypeVersion,
    Filing,
    FilingStatus,
    PartyRole,
)
from filings.routes import _sections
from tribunals.models import Membership, Role, Tribunal
from tribunals.permissions import Permission, permissions_of
from tribunals.tenancy import current_roles, current_tribunal, tenant_page
from tribune import audit
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.mail import OutboxMessage
from tribune.web import db_of, redirect, render, settings_of

NOTE_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 5000
PARTY_ACTORS = frozenset({Actor.CLAIMANT, Actor.REPRESENTATIVE, Actor.RESPONDENT})
# The moves a party makes from their own case page.
PARTY_TRANSITIONS = frozenset({"resubmit", "withdraw"})
ASSIGNERS = frozenset({Role.CLERK, Role.ADMIN})


class AssignmentRefused(Exception):  # noqa: N818 - reads as what happened
    """Only the registry assigns adjudicators."""


# -- services ----------------------------------------------------------------------------------


async def case_in(
    db: AsyncSession, tribunal_id: uuid.UUID, filing_id: uuid.UUID
) -> tuple[Filing, CaseTypeVersion] | None:
    """Return a tribunal's case (never a draft) with its case type version, or None."""
    row = (
        await db.execute(
            select(Filing, CaseTypeVersion)
            .join(CaseTypeVersion, CaseTypeVersion.id == Filing.case_type_version_id)
            .where(
                Filing.id == filing_id,
                Filing.tribunal_id == tribunal_id,
                Filing.status != FilingStatus.DRAFT,
            )
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


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
    lifecycle.add_internal_event(db, filing, "note_added", actor_id=author.id)
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
    lifecycle.add_internal_event(
        db,
        filing,
        "adjudicator_assigned",
        actor_id=user.id,
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
    for actor in (
        Actor.ADJUDICATOR,
        Actor.CLERK,
        Actor.ADMIN,
        Actor.CLAIMANT,
        Actor.REPRESENTATIVE,
        Actor.RESPONDENT,
    ):
        if actor in actors:
            return actor.value
    return None


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
    filing.search_text = services.search_text_of(filing, parties)


# -- the staff case page ------------------------------------------------------------------------


def _filing_id(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params["filing_id"])
    except ValueError:
        raise HTTPException(status_code=404) from None


async def _staff_case(request: Request) -> tuple[Filing, CaseTypeVersion]:
    found = await case_in(db_of(request), current_tribunal(request).id, _filing_id(request))
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _staff_actors(filing: Filing, request: Request, parties: list[CaseParty]) -> frozenset[Actor]:
    actors = lifecycle.actors_for(filing, signed_in_user(request), current_roles(request), parties)
    return actors & STAFF_ACTORS


async def _staff_page(
    request: Request,
    filing: Filing,
    version: CaseTypeVersion,
    *,
    note_form: Form | None = None,
    assign_form: Form | None = None,
    transition_form: Form | None = None,
    status_code: int = 200,
) -> Response:
    db = db_of(request)
    tribunal = current_tribunal(request)
    user = signed_in_user(request)
    roles = current_roles(request)
    parties = await lifecycle.parties_of(db, filing)
    actors = _staff_actors(filing, request, parties)
    documents = await services.documents_of(db, filing)
    events = await services.events_of(db, filing, parties_only=False)
    adjudicators = await adjudicators_of(db, tribunal.id)
    people = await users_by_id(
        db,
        {event.actor_id for event in events if event.actor_id}
        | ({filing.assigned_adjudicator_id} if filing.assigned_adjudicator_id else set()),
    )
    by_id = {party.id: party for party in parties}
    audit.record(
        db,
        "filing.viewed",
        actor_id=user.id,
        actor_role=acting_role(actors),
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
    )
    assign_form = assign_form or Form({"adjudicator": str(filing.assigned_adjudicator_id or "")})
    context: dict[str, Any] = {
        "filing": filing,
        "version": version,
        "status_label": lifecycle.STATUS_LABELS[filing.status],
        "parties": parties,
        "represented": {
            party.id: by_id.get(party.represents_id) if party.represents_id else None
            for party in parties
        },
        "sections": _sections(filing, version, documents)[:-1],
        "documents": documents,
        "events": events,
        "people": people,
        "notes": await notes_of(db, filing),
        "note_form": note_form or Form(),
        "adjudicators": adjudicators,
        "adjudicator_choices": [("", _("Not assigned"))]
        + [(str(person.id), person.name) for person in adjudicators],
        "assigned": people.get(filing.assigned_adjudicator_id)
        if filing.assigned_adjudicator_id
        else None,
        "may_assign": bool(roles & ASSIGNERS),
        "assign_form": assign_form,
        "messages": await messages_of(db, filing),
        "responses": await parties_service.filed_responses(db, filing, version, parties),
        "may_add_respondent": Permission.REGISTRY_WORK in permissions_of(roles)
        and filing.status in parties_service.RESPONDENT_STATES,
        "transitions": lifecycle.allowed_transitions(filing, actors),
        "transition_form": transition_form or Form(),
        "error_form": _merged(note_form, assign_form, transition_form),
    }
    return render(request, "filings/staff/case.html", context, status_code=status_code)


def _merged(*forms: Form | None) -> Form:
    merged = Form()
    for form in forms:
        if form is not None:
            for name, message in form.errors.items():
                merged.add_error(name, message)
    return merged


async def staff_case(request: Request) -> Response:
    filing, version = await _staff_case(request)
    return await _staff_page(request, filing, version)


async def staff_note(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, version = await _staff_case(request)
    form = Form(await request.form())
    body = form.text("note", required=_("Enter the note"), max_length=NOTE_MAX_LENGTH, strip=True)
    if not form.is_valid:
        return await _staff_page(request, filing, version, note_form=form, status_code=422)
    parties = await lifecycle.parties_of(db_of(request), filing)
    add_note(
        db_of(request),
        filing,
        signed_in_user(request),
        body,
        acting_role(_staff_actors(filing, request, parties)) or "",
    )
    return redirect(f"/{tribunal.slug}/staff/cases/{filing.id}#notes")


async def staff_assign(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    filing, version = await _staff_case(request)
    if not current_roles(request) & ASSIGNERS:
        return _refused(request, filing, _("Only the registry can assign an adjudicator."))
    form = Form(await request.form())
    chosen = form.value("adjudicator").strip()
    adjudicator = None
    if chosen:
        adjudicator = next(
            (
                person
                for person in await adjudicators_of(db, tribunal.id)
                if str(person.id) == chosen
            ),
            None,
        )
        if adjudicator is None:
            form.add_error("adjudicator", _("Select an adjudicator of this tribunal"))
            return await _staff_page(request, filing, version, assign_form=form, status_code=422)
    try:
        await assign_adjudicator(
            db, filing, adjudicator, user=signed_in_user(request), roles=current_roles(request)
        )
    except AssignmentRefused:
        return _refused(request, filing, _("Only the registry can assign an adjudicator."))
    return redirect(f"/{tribunal.slug}/staff/cases/{filing.id}")


def _refused(request: Request, filing: Filing, message: str, *, staff: bool = True) -> Response:
    tribunal = current_tribunal(request)
    back = (
        f"/{tribunal.slug}/staff/cases/{filing.id}"
        if staff
        else f"/{tribunal.slug}/cases/{filing.id}"
    )
    return render(
        request,
        "filings/staff/refused.html",
        {"filing": filing, "message": message, "back_url": back},
        status_code=409,
    )


async def staff_transition(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    filing, version = await _staff_case(request)
    name = request.path_params["name"]
    transition = lifecycle.TRANSITIONS.get(name)
    form = Form(await request.form())
    reason = form.text(f"reason-{name}", max_length=REASON_MAX_LENGTH, strip=True)
    if transition is None:
        return _refused(request, filing, _("You cannot make this change to the case."))
    parties = await lifecycle.parties_of(db, filing)
    actors = _staff_actors(filing, request, parties)
    refusal = lifecycle.refusal_for(filing, transition, actors)
    if refusal is not None:
        return _refused(request, filing, refusal)
    if transition.reason_required and not reason and form.is_valid:
        form.add_error(f"reason-{name}", _("Give the reasons for this change"))
    if not form.is_valid:
        return await _staff_page(request, filing, version, transition_form=form, status_code=422)
    try:
        await lifecycle.apply(
            db,
            request.app.state.templates.env,
            settings_of(request),
            tribunal,
            filing,
            name,
            user=signed_in_user(request),
            actors=actors,
            reason=reason,
        )
    except TransitionRefused as refused:
        return _refused(request, filing, refused.message)
    return redirect(f"/{tribunal.slug}/staff/cases/{filing.id}")


# -- the parties' moves -------------------------------------------------------------------------


async def party_actors(
    db: AsyncSession, filing: Filing, user: User
) -> tuple[frozenset[Actor], list[CaseParty]]:
    """Return the capacities in which a person is a party to the case (not as staff)."""
    parties = await lifecycle.parties_of(db, filing)
    return lifecycle.actors_for(filing, user, set(), parties) & PARTY_ACTORS, parties


async def party_transition(request: Request) -> Response:
    """A party's own move: resubmit a returned filing, or withdraw (after a confirmation)."""
    tribunal: Tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    found = await case_in(db, tribunal.id, _filing_id(request))
    if found is None:
        raise HTTPException(status_code=404)
    filing, version = found
    actors, parties = await party_actors(db, filing, user)
    if not actors:
        raise HTTPException(status_code=404)
    name = request.path_params["name"]
    transition = lifecycle.TRANSITIONS.get(name)
    if name not in PARTY_TRANSITIONS or transition is None:
        raise HTTPException(status_code=404)
    if request.method == "GET":
        refusal = lifecycle.refusal_for(filing, transition, actors)
        if refusal is not None:
            return _refused(request, filing, refusal, staff=False)
        return render(
            request,
            "filings/confirm_transition.html",
            {"filing": filing, "version": version, "transition": transition},
        )
    try:
        await lifecycle.apply(
            db,
            request.app.state.templates.env,
            settings_of(request),
            tribunal,
            filing,
            name,
            user=user,
            actors=actors,
        )
    except TransitionRefused as refused:
        return _refused(request, filing, refused.message, staff=False)
    if name == "resubmit":
        sync_claimant(filing, parties)
    return redirect(f"/{tribunal.slug}/cases/{filing.id}")


tenant_routes: list[BaseRoute] = [
    tenant_page(
        "/staff/cases/{filing_id}",
        staff_case,
        permission=Permission.DOCKET_VIEW,
        name="filings:staff_case",
    ),
    tenant_page(
        "/staff/cases/{filing_id}/notes",
        staff_note,
        permission=Permission.CASE_WORK,
        methods=["POST"],
        name="filings:staff_note",
    ),
    tenant_page(
        "/staff/cases/{filing_id}/assign",
        staff_assign,
        permission=Permission.CASE_WORK,
        methods=["POST"],
        name="filings:staff_assign",
    ),
    tenant_page(
        "/staff/cases/{filing_id}/transitions/{name}",
        staff_transition,
        permission=Permission.CASE_WORK,
        methods=["POST"],
        name="filings:staff_transition",
    ),
    tenant_page(
        "/cases/{filing_id}/transitions/{name}",
        party_transition,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:party_transition",
    ),
]
