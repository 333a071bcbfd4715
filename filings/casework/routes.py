"""The staff case page and the moves staff and parties make on a case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from accounts.models import User
from filings import access, cases, lifecycle
from filings.access import STAFF_ACTORS, Actor
from filings.casework.services import (
    ASSIGNERS,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    AssignmentRefused,
    acting_role,
    add_note,
    adjudicators_of,
    assign_adjudicator,
    staff_case_view,
    sync_claimant,
)
from filings.lifecycle import TransitionRefused
from filings.models import CaseParty, CaseTypeVersion, Filing
from filings.sections import CasePage, SectionContext, sections_for
from tribunals.models import Tribunal
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.web import db_of, outbox_of, redirect, render, url_path

# -- the staff case page ------------------------------------------------------------------------


async def _staff_case(request: Request) -> tuple[Filing, CaseTypeVersion]:
    found = await cases.find_case(
        db_of(request), current_tribunal(request).id, request.path_params["filing_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _staff_actors(filing: Filing, request: Request, parties: list[CaseParty]) -> frozenset[Actor]:
    actors = access.actors_for(filing, signed_in_user(request), current_roles(request), parties)
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
    view = await staff_case_view(db, tribunal, filing, version, user, current_roles(request))
    cases.record_view(db, filing, reader=user, role=view.acting_role)
    assign_form = assign_form or Form({"adjudicator": str(filing.assigned_adjudicator_id or "")})
    context = view.context() | {
        "note_form": note_form or Form(),
        "adjudicator_choices": [("", _("Not assigned"))]
        + [(str(person.id), person.name) for person in view.adjudicators],
        "assign_form": assign_form,
        "transition_form": transition_form or Form(),
        "error_form": _merged(note_form, assign_form, transition_form),
        "added_sections": await sections_for(
            CasePage.STAFF,
            SectionContext(
                request, filing, view.parties, _staff_actors(filing, request, view.parties)
            ),
        ),
    }
    return render(request, "filings/casework/case.html", context, status_code=status_code)


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
    body = form.text(
        "note", required=_("Enter the note"), max_length=NOTE_MAX_LENGTH, multiline=True
    )
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
    return redirect(
        url_path(request, "filings:casework:case", tribunal=tribunal.slug, filing_id=filing.id)
        + "#notes"
    )


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
    return redirect(
        url_path(request, "filings:casework:case", tribunal=tribunal.slug, filing_id=filing.id)
    )


def _refused(request: Request, filing: Filing, message: str, *, staff: bool = True) -> Response:
    tribunal = current_tribunal(request)
    back = (
        url_path(request, "filings:casework:case", tribunal=tribunal.slug, filing_id=filing.id)
        if staff
        else url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
    )
    return render(
        request,
        "filings/casework/refused.html",
        {"filing": filing, "message": message, "back_url": back},
        status_code=409,
    )


async def staff_transition(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    filing, version = await _staff_case(request)
    name = request.path_params["name"]
    transition = lifecycle.transition_for(lifecycle.Audience.STAFF, name)
    form = Form(await request.form())
    reason = form.text(f"reason-{name}", max_length=REASON_MAX_LENGTH, multiline=True)
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
            outbox_of(request),
            tribunal,
            filing,
            name,
            user=signed_in_user(request),
            actors=actors,
            reason=reason,
        )
    except TransitionRefused as refused:
        return _refused(request, filing, refused.message)
    return redirect(
        url_path(request, "filings:casework:case", tribunal=tribunal.slug, filing_id=filing.id)
    )


# -- the parties' moves -------------------------------------------------------------------------


async def party_actors(
    db: AsyncSession, filing: Filing, user: User
) -> tuple[frozenset[Actor], list[CaseParty]]:
    """Return the capacities in which a person is a party to the case (not as staff)."""
    parties = await lifecycle.parties_of(db, filing)
    return access.actors_for(filing, user, set(), parties) & access.PARTY_ACTORS, parties


async def party_transition(request: Request) -> Response:
    """A party's own move: resubmit a returned filing, or withdraw (after a confirmation)."""
    tribunal: Tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    found = await cases.find_case(db, tribunal.id, request.path_params["filing_id"])
    if found is None:
        raise HTTPException(status_code=404)
    filing, version = found
    actors, parties = await party_actors(db, filing, user)
    if not actors:
        raise HTTPException(status_code=404)
    name = request.path_params["name"]
    transition = lifecycle.transition_for(lifecycle.Audience.PARTIES, name)
    if transition is None:
        raise HTTPException(status_code=404)
    if request.method == "GET":
        refusal = lifecycle.refusal_for(filing, transition, actors)
        if refusal is not None:
            return _refused(request, filing, refusal, staff=False)
        return render(
            request,
            "filings/casework/confirm_transition.html",
            {"filing": filing, "version": version, "transition": transition},
        )
    try:
        await lifecycle.apply(
            db,
            outbox_of(request),
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
    return redirect(
        url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
    )


tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/cases/{filing_id:uuid}",
        staff_case,
        permission=Permission.DOCKET_VIEW,
        name="filings:casework:case",
    ),
    TenantRoute(
        "/staff/cases/{filing_id:uuid}/notes",
        staff_note,
        permission=Permission.CASE_WORK,
        methods=["POST"],
        name="filings:casework:note",
    ),
    TenantRoute(
        "/staff/cases/{filing_id:uuid}/assign",
        staff_assign,
        permission=Permission.CASE_WORK,
        methods=["POST"],
        name="filings:casework:assign",
    ),
    TenantRoute(
        "/staff/cases/{filing_id:uuid}/transitions/{name}",
        staff_transition,
        permission=Permission.CASE_WORK,
        methods=["POST"],
        name="filings:casework:transition",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/transitions/{name}",
        party_transition,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:casework:party_transition",
    ),
]
