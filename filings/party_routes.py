"""Pages for respondents and representatives: adding a respondent (registry), joining a case
with an access code, the claimant's representatives, and the respondent's response."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import deadlines, lifecycle, parties
from filings.models import CaseParty, CaseTypeVersion, Filing
from filings.questions import read_answers
from tribunals.models import Role
from tribunals.permissions import Permission
from tribunals.tenancy import current_roles, current_tribunal, tenant_page
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.web import db_of, redirect, render, settings_of

PARTY_KINDS = ("person", "organisation")
LANGUAGES = ("en", "fr")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise HTTPException(status_code=404) from None


async def _case(request: Request) -> Filing:
    filing = await parties.case_in(
        db_of(request), current_tribunal(request), _uuid(request.path_params["filing_id"])
    )
    if filing is None:
        raise HTTPException(status_code=404)
    return filing


def _refused(request: Request, message: str, back_url: str) -> Response:
    return render(
        request,
        "filings/parties/refused.html",
        {"message": message, "back_url": back_url},
        status_code=409,
    )


def _staff_role(request: Request) -> str:
    roles = current_roles(request)
    return Role.ADMIN.value if Role.ADMIN in roles and Role.CLERK not in roles else "clerk"


# -- adding a respondent (registry) ---------------------------------------------------------


async def add_respondent(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing = await _case(request)
    back_url = f"/{tribunal.slug}/staff/cases/{filing.id}"
    context: dict[str, Any] = {"filing": filing, "back_url": back_url}
    if filing.status not in parties.RESPONDENT_STATES:
        return _refused(
            request,
            _("A respondent can only be added to a case that is submitted, accepted or scheduled."),
            back_url,
        )
    if request.method == "GET":
        context["form"] = Form({"kind": "person", "language": filing.language})
        return render(request, "filings/parties/add_respondent.html", context)
    form = Form(await request.form())
    kind = form.choice(
        "kind", PARTY_KINDS, required=_("Select whether it is a person or an organisation")
    )
    name = form.text("name", required=_("Enter the name of the respondent"), max_length=200)
    contact_name = form.text("contact_name", max_length=200)
    if kind == "organisation" and not contact_name and "contact_name" not in form.errors:
        form.add_error("contact_name", _("Enter the name of a contact person at the organisation"))
    email = form.email("email", required=_("Enter the respondent’s email address"))
    language = form.choice(
        "language", LANGUAGES, required=_("Select the language the respondent uses")
    )
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/parties/add_respondent.html", context, status_code=422)
    try:
        await parties.add_respondent(
            db_of(request),
            request.app.state.templates.env,
            settings_of(request),
            tribunal,
            filing,
            staff=signed_in_user(request),
            staff_role=_staff_role(request),
            is_organisation=kind == "organisation",
            name=name,
            contact_name=contact_name,
            email=email,
            language=language,
        )
    except parties.CaseClosedError:
        return _refused(
            request,
            _("A respondent can only be added to a case that is submitted, accepted or scheduled."),
            back_url,
        )
    return redirect(back_url)


# -- joining a case -------------------------------------------------------------------------


async def join_case(request: Request) -> Response:
    tribunal = current_tribunal(request)
    user = signed_in_user(request)
    db = db_of(request)
    if request.method == "GET":
        return render(request, "filings/parties/join.html", {"form": Form()})
    form = Form(await request.form())
    reference = form.text("reference", required=_("Enter the case reference"), max_length=40)
    code = form.text("code", required=_("Enter the access code"), max_length=40)
    if not form.is_valid:
        return render(request, "filings/parties/join.html", {"form": form}, status_code=422)
    if await parties.failed_joins_last_hour(db, user.id) >= parties.MAX_FAILED_JOINS_PER_HOUR:
        form.add_error("code", _("You have entered too many wrong codes. Try again in an hour."))
        return render(request, "filings/parties/join.html", {"form": form}, status_code=429)
    wrong_code = _(
        "The case reference or access code is not right, or the code has expired "
        "or was used already. Check the email or letter you received."
    )
    found = await parties.party_for_code(db, tribunal, reference, code)
    if found is None:
        # Counted even though the page fails: the count is what stops guessing.
        parties.record_failed_join(db, tribunal, user)
        await db.commit()
        form.add_error("code", wrong_code)
        return render(request, "filings/parties/join.html", {"form": form}, status_code=422)
    filing, party = found
    if not await parties.join(db, tribunal, filing, party, user):
        form.add_error("code", wrong_code)
        return render(request, "filings/parties/join.html", {"form": form}, status_code=422)
    return redirect(f"/{tribunal.slug}/cases/{filing.id}")


# -- the claimant's representatives ---------------------------------------------------------


async def _claimant_case(request: Request) -> tuple[Filing, list[CaseParty], CaseParty]:
    """Return the case, its parties and its claimant, if the signed-in person is its claimant."""
    filing = await _case(request)
    case_parties = await lifecycle.parties_of(db_of(request), filing)
    claimant = parties.claimant_of(case_parties)
    if claimant is None or not parties.is_claimant(filing, signed_in_user(request), case_parties):
        raise HTTPException(status_code=404)
    return filing, case_parties, claimant


async def _claimant_representative(
    request: Request,
) -> tuple[Filing, CaseParty, CaseParty]:
    filing, case_parties, claimant = await _claimant_case(request)
    representative = parties.claimant_representative(
        case_parties, _uuid(request.path_params["party_id"])
    )
    if representative is None:
        raise HTTPException(status_code=404)
    return filing, claimant, representative


async def invite_representative(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, claimant, representative = await _claimant_representative(request)
    case_url = f"/{tribunal.slug}/cases/{filing.id}"
    if filing.status not in parties.OPEN_STATES:
        return _refused(request, _("This case is no longer open."), case_url)
    if not representative.is_authorised or not representative.email:
        return _refused(
            request, _("This representative is not authorised to act for you."), case_url
        )
    parties.invite_representative(
        db_of(request),
        request.app.state.templates.env,
        settings_of(request),
        tribunal,
        filing,
        representative,
        actor=signed_in_user(request),
        claimant_name=claimant.name,
    )
    return redirect(case_url)


async def withdraw_representative(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, _claimant, representative = await _claimant_representative(request)
    case_url = f"/{tribunal.slug}/cases/{filing.id}"
    if not representative.is_authorised:
        return _refused(
            request, _("This representative’s authorisation was already withdrawn."), case_url
        )
    if request.method == "GET":
        return render(
            request,
            "filings/parties/withdraw.html",
            {"filing": filing, "representative": representative, "back_url": case_url},
        )
    event = await parties.withdraw_representative(
        db_of(request), tribunal, filing, representative, user=signed_in_user(request)
    )
    if event is None:
        return _refused(
            request, _("This representative’s authorisation was already withdrawn."), case_url
        )
    return redirect(case_url)


async def new_representative(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, _parties, claimant = await _claimant_case(request)
    case_url = f"/{tribunal.slug}/cases/{filing.id}"
    context: dict[str, Any] = {"filing": filing, "back_url": case_url}
    if filing.status not in parties.OPEN_STATES:
        return _refused(request, _("This case is no longer open."), case_url)
    if request.method == "GET":
        context["form"] = Form()
        return render(request, "filings/parties/new_representative.html", context)
    form = Form(await request.form())
    name = form.text("name", required=_("Enter the representative’s full name"), max_length=200)
    firm = form.text("firm", max_length=200)
    licence = form.text("licence_number", max_length=50)
    email = form.email("email", required=_("Enter the representative’s email address"))
    if form.value("consent") != "yes":
        form.add_error("consent", _("Confirm that you authorise this person to act for you"))
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/parties/new_representative.html", context, status_code=422)
    await parties.authorise_representative(
        db_of(request),
        request.app.state.templates.env,
        settings_of(request),
        tribunal,
        filing,
        claimant,
        user=signed_in_user(request),
        name=name,
        firm=firm,
        licence_number=licence,
        email=email,
    )
    return redirect(case_url)


# -- the respondent's response --------------------------------------------------------------


async def response_page(request: Request) -> Response:
    tribunal = current_tribunal(request)
    user = signed_in_user(request)
    db = db_of(request)
    filing = await _case(request)
    case_parties = await lifecycle.parties_of(db, filing)
    respondent = parties.responding_party(user, case_parties)
    if respondent is None:
        raise HTTPException(status_code=404)
    version = await db.get(CaseTypeVersion, filing.case_type_version_id)
    if version is None:
        raise HTTPException(status_code=404)
    definition = parties.response_definition(version)
    case_url = f"/{tribunal.slug}/cases/{filing.id}"
    existing = await parties.response_of(db, respondent)
    if existing is not None:
        message = _("A response was already filed for %(name)s.", name=respondent.name)
        return _refused(request, message, case_url)
    if filing.status not in parties.OPEN_STATES:
        return _refused(request, _("This case is no longer open."), case_url)
    context: dict[str, Any] = {
        "filing": filing,
        "respondent": respondent,
        "questions": definition.questions,
        "back_url": case_url,
    }
    if request.method == "GET":
        context["form"] = Form()
        return render(request, "filings/parties/response.html", context)
    form = Form(await request.form())
    answers = read_answers(definition, form, today=deadlines.today_in(tribunal))
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/parties/response.html", context, status_code=422)
    acting = "respondent" if respondent.user_id == user.id else "representative"
    try:
        await parties.submit_response(
            db,
            request.app.state.templates.env,
            settings_of(request),
            tribunal,
            filing,
            respondent,
            answers,
            user=user,
            acting_role=acting,
        )
    except parties.AlreadyRespondedError:
        message = _("A response was already filed for %(name)s.", name=respondent.name)
        return _refused(request, message, case_url)
    except parties.CaseClosedError:
        return _refused(request, _("This case is no longer open."), case_url)
    return redirect(case_url)


tenant_routes: list[BaseRoute] = [
    tenant_page(
        "/staff/cases/{filing_id}/respondents/new",
        add_respondent,
        permission=Permission.REGISTRY_WORK,
        methods=["GET", "POST"],
        name="parties:add_respondent",
    ),
    tenant_page(
        "/join",
        join_case,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="parties:join",
    ),
    tenant_page(
        "/cases/{filing_id}/representatives/new",
        new_representative,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="parties:new_representative",
    ),
    tenant_page(
        "/cases/{filing_id}/representatives/{party_id}/invite",
        invite_representative,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="parties:invite_representative",
    ),
    tenant_page(
        "/cases/{filing_id}/representatives/{party_id}/withdraw",
        withdraw_representative,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="parties:withdraw_representative",
    ),
    tenant_page(
        "/cases/{filing_id}/response",
        response_page,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="parties:response",
    ),
]
