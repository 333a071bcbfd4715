"""Outcome and decision pages: recording a hearing's outcome; uploading, issuing, correcting
and removing decisions and interim orders; downloading them (staff, and the case's parties
once issued); and the sections these add to the staff and parties' case pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import access, cases, lifecycle
from filings.access import STAFF_ACTORS, Actor
from filings.documents.forms import upload_error_message, upload_problem_message
from filings.documents.inspection import FileKind
from filings.documents.services import UploadProblem, UploadProblemKind
from filings.models import CaseParty, Filing
from filings.sections import CasePage, CaseSection, SectionContext, provides
from hearings.attendance.services import AttendanceLine, attendance_summary
from hearings.models import DecisionKind, DecisionStatus, Hearing, HearingDecision, HearingMode
from hearings.notices.services import ROLE_LABELS
from hearings.outcomes import services
from hearings.outcomes.forms import (
    ABSENT,
    adjournment_reason_names,
    decision_form,
    kind_names,
    outcome_form,
    outcome_names,
    received_form,
    result_names,
)
from hearings.outcomes.services import DECISION_SLOT, DecisionValues, Refused
from hearings.times import clock, for_reader
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune.db import EarlyCommit, commit_early, utcnow
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.uploads import UploadError, UploadLimits, receive_multipart, request_csrf_verifier
from tribune.web import db_of, outbox_of, redirect, render, settings_of, storage_of, url_path

FILE_FIELD = "file"


async def _case(request: Request) -> Filing:
    found = await cases.find_case(
        db_of(request), current_tribunal(request).id, request.path_params["filing_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found[0]


async def _staff_actors(request: Request, filing: Filing) -> frozenset[Actor]:
    parties = await lifecycle.parties_of(db_of(request), filing)
    actors = access.actors_for(filing, signed_in_user(request), current_roles(request), parties)
    return actors & STAFF_ACTORS


def _case_url(request: Request, filing: Filing, anchor: str = "") -> str:
    tribunal = current_tribunal(request)
    url = url_path(request, "filings:casework:case", tribunal=tribunal.slug, filing_id=filing.id)
    return url + (f"#{anchor}" if anchor else "")


def _refused(request: Request, filing: Filing, refused: Refused) -> Response:
    return render(
        request,
        "hearings/outcomes/refused.html",
        {"filing": filing, "message": refused.message, "back_url": _case_url(request, filing)},
        status_code=403 if refused.forbidden else 409,
    )


# -- the outcome of a hearing -------------------------------------------------------------------


async def _hearing(request: Request, filing: Filing) -> Hearing:
    hearing = await services.hearing_of(db_of(request), filing, request.path_params["hearing_id"])
    if hearing is None:
        raise HTTPException(status_code=404)
    return hearing


async def outcome(request: Request) -> Response:
    """The outcome form of a hearing that has started, for its adjudicator or the registry."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    filing = await _case(request)
    hearing = await _hearing(request, filing)
    actors = await _staff_actors(request, filing)
    try:
        services.acting_for(hearing.adjudicator_id, user, actors)
    except Refused as refused:
        return _refused(request, filing, refused)
    all_parties = await lifecycle.parties_of(db, filing)
    parties = services.absent_choices(all_parties)
    now = utcnow()
    started = services.has_started(hearing, now)
    summary = None
    proposed = None
    if hearing.mode is HearingMode.VIDEO and started:
        summary = await attendance_summary(db, hearing, now)
        if services.awaits_outcome(hearing, now):
            proposed = services.proposed_absent(hearing, summary, all_parties)
    status_code = 200
    if request.method == "POST":
        form, values = outcome_form(await request.form(), parties)
        if values is not None:
            try:
                await services.record_outcome(
                    db,
                    outbox_of(request),
                    tribunal,
                    filing,
                    hearing,
                    values,
                    user=user,
                    actors=actors,
                )
            except Refused as refused:
                return _refused(request, filing, refused)
            return redirect(_case_url(request, filing, "hearing-outcomes"))
        status_code = 422
    else:
        form = Form(
            {"sequence": str(hearing.sequence)}
            | ({"outcome": ABSENT, "absent_party": str(proposed.id)} if proposed else {})
        )
    recorded = await services.outcome_of(db, hearing)
    return render(
        request,
        "hearings/outcomes/outcome.html",
        {
            "filing": filing,
            "hearing": hearing,
            "when": for_reader(
                hearing.starts_at, hearing.ends_at, tribunal.time_zone, user.time_zone
            ),
            "started": started,
            "awaiting": services.awaits_outcome(hearing, now),
            "attendance": _attendance_rows(summary.participants, tribunal.time_zone)
            if summary
            else None,
            "others": _attendance_rows(summary.others, tribunal.time_zone) if summary else [],
            # Proposed on the form as first shown only: after a submission, what was typed wins.
            "proposed": proposed if request.method != "POST" and not recorded else None,
            "recorded": recorded,
            "absent": next(
                (p for p in parties if recorded and p.id == recorded.absent_party_id), None
            ),
            "form": form,
            "outcome_items": [(value, text, {}) for value, text in outcome_names().items()],
            "party_items": [("", _("Select the party"))]
            + [(str(party.id), _party_label(party)) for party in parties],
            "reason_items": [
                (value, text, {}) for value, text in adjournment_reason_names().items()
            ],
            "reason_names": adjournment_reason_names(),
            "result_names": result_names(),
            "back_url": _case_url(request, filing),
        },
        status_code=status_code,
    )


def _attendance_rows(lines: list[AttendanceLine], zone: str) -> list[dict[str, Any]]:
    """The attendance summary's rows as the page shows them: first joins in the tribunal's
    zone, no role for someone not recognised as a participant."""
    return [
        {
            "name": line.name,
            "role": str(ROLE_LABELS[line.role]) if line.role else "",
            "joined": clock(line.first_joined_at, zone) if line.first_joined_at else "",
            "minutes": line.minutes_present,
        }
        for line in lines
    ]


def _party_label(party: CaseParty) -> str:
    roles = {
        "claimant": _("Claimant"),
        "respondent": _("Respondent"),
        "representative": _("Representative"),
    }
    return f"{party.name} ({roles[party.role.value]})"


# -- uploading, issuing, correcting and removing decisions --------------------------------------


async def _decision(request: Request, filing: Filing) -> HearingDecision:
    decision = await services.decision_of(
        db_of(request), filing, request.path_params["decision_id"]
    )
    if decision is None:
        raise HTTPException(status_code=404)
    return decision


async def _upload_page(
    request: Request,
    filing: Filing,
    kinds: list[DecisionKind],
    corrects: HearingDecision | None,
    form: Form | None = None,
    status_code: int = 200,
) -> Response:
    tribunal = current_tribunal(request)
    if corrects is not None:
        action = url_path(
            request,
            "hearings:outcomes:correct",
            tribunal=tribunal.slug,
            filing_id=filing.id,
            decision_id=corrects.id,
        )
    else:
        action = url_path(
            request, "hearings:outcomes:new_decision", tribunal=tribunal.slug, filing_id=filing.id
        )
    return render(
        request,
        "hearings/outcomes/upload.html",
        {
            "filing": filing,
            "form": form or Form(),
            "kinds": [(kind.value, kind_names()[kind.value], {}) for kind in kinds],
            "corrects": corrects,
            "kind_names": kind_names(),
            "action": action,
            "accept": ",".join(
                ext for kind in DECISION_SLOT.kinds for ext in FileKind(kind).extensions
            ),
            "max_file_megabytes": tribunal.max_file_megabytes,
            "back_url": _case_url(request, filing, "decisions"),
        },
        status_code=status_code,
    )


async def _upload(request: Request, filing: Filing, corrects: HearingDecision | None) -> Response:
    """The upload page (GET), or a decision's file received (POST): streamed to disk, checked
    by content, scanned, then stored, as every document is."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    actors = await _staff_actors(request, filing)
    kinds = [corrects.kind] if corrects else services.kinds_allowed(filing)
    try:
        services.acting_for(await services.case_adjudicator_id(db, filing), user, actors)
        if corrects is not None and not services.may_correct(
            corrects, await services.decisions_of(db, filing)
        ):
            raise Refused(
                _("Only an issued decision or order that was not corrected yet can be corrected.")
            )
        if not kinds:
            raise Refused(
                _(
                    "Decisions and interim orders are uploaded once a case is accepted and "
                    "until it is decided; this case is “%(status)s”.",
                    status=str(lifecycle.STATUS_LABELS[filing.status]),
                )
            )
    except Refused as refused:
        return _refused(request, filing, refused)
    if request.method == "GET":
        return await _upload_page(request, filing, kinds, corrects)
    limits = UploadLimits(
        max_file_size=tribunal.max_file_megabytes * 1024 * 1024, max_files=1, max_fields=10
    )
    try:
        received = await receive_multipart(
            request,
            limits,
            verify_csrf=request_csrf_verifier(request, settings_of(request).secret_key),
        )
    except UploadError as error:
        form = Form()
        form.add_error(FILE_FIELD, upload_error_message(error, tribunal, 1))
        return await _upload_page(request, filing, kinds, corrects, form, error.status_code)
    try:
        form = received_form(received)
        kind, summary, reason = decision_form(form, kinds, correction=corrects is not None)
        files = received.files_for(FILE_FIELD)
        if not files:
            problem = UploadProblem(UploadProblemKind.NO_FILE)
            form.add_error(FILE_FIELD, upload_problem_message(problem, DECISION_SLOT, tribunal))
        if not form.is_valid or (kind is None and corrects is None):
            return await _upload_page(request, filing, kinds, corrects, form, 422)
        values = DecisionValues(
            kind=corrects.kind if corrects else kind or DecisionKind.DECISION,
            summary=summary,
            corrects=corrects,
            correction_reason=reason,
        )
        result = await services.upload_decision(
            db,
            storage_of(request),
            request.app.state.scanner,
            tribunal,
            filing,
            values,
            files[0],
            user=user,
            actors=actors,
        )
    except Refused as refused:
        return _refused(request, filing, refused)
    finally:
        received.cleanup()
    if isinstance(result, UploadProblem):
        form.add_error(FILE_FIELD, upload_problem_message(result, DECISION_SLOT, tribunal))
        return await _upload_page(request, filing, kinds, corrects, form, 422)
    return redirect(_case_url(request, filing, "decisions"))


async def new_decision(request: Request) -> Response:
    return await _upload(request, await _case(request), None)


async def correct(request: Request) -> Response:
    filing = await _case(request)
    return await _upload(request, filing, await _decision(request, filing))


async def issue(request: Request) -> Response:
    """Confirm (GET) and issue (POST) a draft: published to the parties, who are emailed."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    filing = await _case(request)
    decision = await _decision(request, filing)
    actors = await _staff_actors(request, filing)
    decisions = await services.decisions_of(db, filing)
    try:
        services.acting_for(await services.case_adjudicator_id(db, filing), user, actors)
        if decision.status is not DecisionStatus.DRAFT:
            raise Refused(_("This document was already issued."))
        if request.method == "POST":
            await services.issue_decision(
                db, outbox_of(request), tribunal, filing, decision, user=user, actors=actors
            )
            return redirect(_case_url(request, filing, "decisions"))
    except Refused as refused:
        return _refused(request, filing, refused)
    parties = await lifecycle.parties_of(db, filing)
    return render(
        request,
        "hearings/outcomes/issue.html",
        {
            "filing": filing,
            "decision": decision,
            "corrects": next((d for d in decisions if d.id == decision.corrects_id), None),
            "kind_names": kind_names(),
            "moves_case": decision.kind is DecisionKind.DECISION and decision.corrects_id is None,
            "recipients": _recipients(parties),
            "back_url": _case_url(request, filing, "decisions"),
        },
    )


def _recipients(parties: list[CaseParty]) -> list[CaseParty]:
    seen: set[str] = set()
    found = []
    for party in parties:
        if not party.email or party.email.lower() in seen:
            continue
        if party.role.value == "representative" and not party.is_authorised:
            continue
        seen.add(party.email.lower())
        found.append(party)
    return found


async def remove(request: Request) -> Response:
    """Remove a draft; an issued document stays on record for good."""
    filing = await _case(request)
    decision = await _decision(request, filing)
    try:
        await services.remove_draft(
            db_of(request),
            storage_of(request),
            filing,
            decision,
            user=signed_in_user(request),
            actors=await _staff_actors(request, filing),
        )
    except Refused as refused:
        return _refused(request, filing, refused)
    return redirect(_case_url(request, filing, "decisions"))


# -- downloads ----------------------------------------------------------------------------------


async def _send(request: Request, decision: HearingDecision, role: str) -> Response:
    db = db_of(request)
    stream = await storage_of(request).open(decision.storage_key)
    services.record_download(db, decision, user=signed_in_user(request), role=role)
    await commit_early(db, EarlyCommit.BEFORE_STREAMING)
    return StreamingResponse(
        stream,
        media_type=FileKind(decision.file_kind).mime_type,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''" + quote(decision.filename),
            "Content-Length": str(decision.size),
            "Cache-Control": "private, no-store",
        },
    )


async def staff_download(request: Request) -> Response:
    """A decision or order, draft or issued, for the tribunal's staff."""
    filing = await _case(request)
    decision = await _decision(request, filing)
    role = access.acting_capacity(await _staff_actors(request, filing))
    return await _send(request, decision, role.value if role else "staff")


async def download(request: Request) -> Response:
    """An issued decision or order, for the case's parties and acting representatives only:
    a draft, or anyone else, is a 404."""
    db = db_of(request)
    user = signed_in_user(request)
    filing = await _case(request)
    parties = await lifecycle.parties_of(db, filing)
    actors = access.actors_for(filing, user, set(), parties) & access.PARTY_ACTORS
    if not actors:
        raise HTTPException(status_code=404)
    decision = await _decision(request, filing)
    if decision.status is not DecisionStatus.ISSUED:
        raise HTTPException(status_code=404)
    role = access.acting_capacity(actors)
    return await _send(request, decision, role.value if role else "party")


# -- the case pages' sections -------------------------------------------------------------------


@provides(CasePage.STAFF, order=20)
async def staff_section(context: SectionContext) -> CaseSection | None:
    """Hearings awaiting their outcome, and the case's decisions and orders with what the
    person may do with them."""
    request = context.request
    db = db_of(request)
    filing = context.filing
    user = signed_in_user(request)
    tribunal = current_tribunal(request)
    now = utcnow()
    hearings = await services.hearings_of(db, filing)
    awaiting = []
    for hearing in hearings:
        if not services.awaits_outcome(hearing, now):
            continue
        try:
            services.acting_for(hearing.adjudicator_id, user, context.actors)
            may_record = True
        except Refused:
            may_record = False
        when = for_reader(hearing.starts_at, hearing.ends_at, tribunal.time_zone, user.time_zone)
        awaiting.append({"hearing": hearing, "when": when, "may_record": may_record})
    decisions = await services.decisions_of(db, filing)
    try:
        services.acting_for(await services.case_adjudicator_id(db, filing), user, context.actors)
        may_act = True
    except Refused:
        may_act = False
    if not awaiting and not decisions and not (may_act and services.kinds_allowed(filing)):
        return None
    return CaseSection(
        "hearings/outcomes/staff_section.html",
        {
            "awaiting": awaiting,
            "rows": _rows(decisions),
            "may_act": may_act,
            "may_upload": may_act and bool(services.kinds_allowed(filing)),
            "correctable": {d.id for d in decisions if services.may_correct(d, decisions)},
            "kind_names": kind_names(),
        },
    )


def _rows(decisions: list[HearingDecision]) -> list[dict[str, Any]]:
    by_id = {decision.id: decision for decision in decisions}
    corrected_by = services.corrected_by(decisions)
    return [
        {
            "decision": decision,
            "corrects": by_id.get(decision.corrects_id) if decision.corrects_id else None,
            "corrected_by": corrected_by.get(decision.id),
        }
        for decision in decisions
    ]


@provides(CasePage.PARTIES, order=20)
async def parties_section(context: SectionContext) -> CaseSection | None:
    """The issued decisions and orders, with their summaries, dates, corrections and files."""
    issued = await services.decisions_of(db_of(context.request), context.filing, issued_only=True)
    if not issued:
        return None
    return CaseSection(
        "hearings/outcomes/parties_section.html",
        {"rows": _rows(issued), "kind_names": kind_names()},
    )


_CASE = "/staff/cases/{filing_id:uuid}"
_DECISION = _CASE + "/decisions/{decision_id:uuid}"

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        _CASE + "/hearings/{hearing_id:uuid}/outcome",
        outcome,
        permission=Permission.CASE_WORK,
        methods=["GET", "POST"],
        name="hearings:outcomes:outcome",
    ),
    TenantRoute(
        _CASE + "/decisions/new",
        new_decision,
        permission=Permission.CASE_WORK,
        methods=["GET", "POST"],
        name="hearings:outcomes:new_decision",
        streaming_upload=True,
    ),
    TenantRoute(
        _DECISION + "/correct",
        correct,
        permission=Permission.CASE_WORK,
        methods=["GET", "POST"],
        name="hearings:outcomes:correct",
        streaming_upload=True,
    ),
    TenantRoute(
        _DECISION + "/issue",
        issue,
        permission=Permission.CASE_WORK,
        methods=["GET", "POST"],
        name="hearings:outcomes:issue",
    ),
    TenantRoute(
        _DECISION + "/remove",
        remove,
        permission=Permission.CASE_WORK,
        methods=["POST"],
        name="hearings:outcomes:remove",
    ),
    TenantRoute(
        _DECISION + "/file",
        staff_download,
        permission=Permission.DOCKET_VIEW,
        name="hearings:outcomes:staff_download",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/decisions/{decision_id:uuid}/file",
        download,
        permission=Permission.SIGNED_IN,
        name="hearings:outcomes:download",
    ),
]
