"""The filing journey's pages, the confirmation, My cases and the claimant's case page."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import require_user, signed_in_user
from filings import access, cases, lifecycle
from filings.casetypes import services as casetype_services
from filings.casetypes.answers import answers_form, filing_deadline, is_late, read_answers
from filings.casetypes.labels import slot_shown
from filings.casetypes.services import definition_of
from filings.deadlines import today_in
from filings.documents import services as documents_services
from filings.documents.forms import upload_error_message, upload_problem_message
from filings.documents.inspection import FileKind
from filings.documents.services import SlotRules, UploadProblem, remove_document, store_uploads
from filings.journey import forms
from filings.journey import services as journey_services
from filings.journey.case_page import party_case_view
from filings.journey.summary import answer_sections
from filings.models import CaseTypeVersion, Filing, FilingStatus
from filings.sections import (
    CasePage,
    SectionContext,
    next_step_after_submission,
    sections_for,
    start_sections_for,
)
from tribunals.models import Tribunal
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.uploads import (
    UploadError,
    UploadLimits,
    receive_multipart,
    request_csrf_verifier,
)
from tribune.web import db_of, outbox_of, page, redirect, render, settings_of, storage_of, url_path

STEP_READERS: dict[str, Callable[[Form], dict[str, Any]]] = {
    "eligibility": forms.read_eligibility,
    "about_you": forms.read_about_you,
    "representative": forms.read_representative,
    "accessibility": forms.read_accessibility,
}


def _editable(filing: Filing) -> bool:
    """Whether a filed case's answers may change: only while returned for completion."""
    return filing.status is FilingStatus.RETURNED


def _filing_url(request: Request, tribunal: Tribunal, filing: Filing, step: str = "") -> str:
    """Return the address of a step of a filing, or without a step the one that resumes it."""
    ids = {"tribunal": tribunal.slug, "filing_id": filing.id}
    if not step:
        return url_path(request, "filings:journey:resume", **ids)
    if step == "not-eligible":
        return url_path(request, "filings:journey:not_eligible", **ids)
    return url_path(request, "filings:journey:step", **ids, step=step)


async def case_types(request: Request) -> Response:
    """The case types a tribunal takes online, to choose what to file."""
    tribunal = current_tribunal(request)
    versions = await casetype_services.published_versions(db_of(request), tribunal.id)
    return render(request, "filings/journey/case_types.html", {"versions": versions})


async def before_you_start(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    version = await casetype_services.published_version(
        db, tribunal.id, request.path_params["version_id"]
    )
    if version is None:
        raise HTTPException(status_code=404)
    if request.method == "POST":
        user = request.state.user
        if user is None:
            here = url_path(
                request,
                "filings:journey:before_you_start",
                tribunal=tribunal.slug,
                version_id=version.id,
            )
            return redirect(f"{url_path(request, 'accounts:sign_in')}?next={here}")
        filing = journey_services.start_filing(db, tribunal, version, user)
        return redirect(_filing_url(request, tribunal, filing, journey_services.STEPS[0]))
    slots = [slot.label.current() for slot in definition_of(version).document_slots]
    return render(
        request,
        "filings/journey/before_you_start.html",
        {
            "version": version,
            "slots": slots,
            "added_sections": await start_sections_for(request, version),
        },
    )


async def _own_filing(
    request: Request, *, completing: bool = False
) -> tuple[Filing, CaseTypeVersion]:
    """Return the filing the signed-in account holds; with `completing` (changing answers or
    documents), also a returned filing the account completes as the claimant's authorised
    representative. Anything else is a 404."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    found = await cases.find_case(db, tribunal.id, request.path_params["filing_id"], drafts=True)
    if found is None:
        raise HTTPException(status_code=404)
    filing = found[0]
    roles = current_roles(request)
    if access.holds_filing(filing, user.id, roles):
        return found
    # Only a returned case's parties are read: the representative's way in.
    if completing and filing.status is FilingStatus.RETURNED:
        parties = await lifecycle.parties_of(db, filing)
        if access.may_complete(filing, user, roles, parties):
            return found
    raise HTTPException(status_code=404)


def _step_context(
    request: Request, filing: Filing, version: CaseTypeVersion, step: str
) -> dict[str, Any]:
    tribunal = current_tribunal(request)
    previous = journey_services.previous_step(step)
    start = url_path(
        request, "filings:journey:before_you_start", tribunal=tribunal.slug, version_id=version.id
    )
    case = url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
    return {
        "filing": filing,
        "version": version,
        "step": step,
        "step_number": journey_services.STEPS.index(step) + 1,
        "step_count": len(journey_services.STEPS),
        "back_url": _filing_url(request, tribunal, filing, previous) if previous else start,
        "action": _filing_url(request, tribunal, filing, step),
        "provinces": forms.province_choices(),
        "interpreter_languages": forms.interpreter_language_choices(),
        "returning": False,
    } | (
        # A returned filing is changed from its case page, and goes back there.
        {"back_url": case} if _editable(filing) else {}
    )


async def resume(request: Request) -> Response:
    """Open a draft where its filer stopped."""
    tribunal = current_tribunal(request)
    filing, _version = await _own_filing(request)
    if filing.status.is_case:
        return redirect(
            url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
        )
    return redirect(_filing_url(request, tribunal, filing, journey_services.resume_step(filing)))


async def step(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, version = await _own_filing(request, completing=True)
    name = request.path_params["step"]
    if name not in journey_services.STEPS:
        raise HTTPException(status_code=404)
    # After filing, only documents can still be added; every other answer is on record,
    # unless the registry returned the filing for completion.
    if filing.status.is_case and not _editable(filing) and name != "documents":
        return redirect(
            url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
        )
    if _editable(filing) and name in ("check", "declaration"):
        # A returned filing is resubmitted from its case page, not declared again.
        return redirect(
            url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
        )
    if name in SPECIAL_STEPS:
        return await SPECIAL_STEPS[name](request, filing, version)
    template = f"filings/journey/steps/{name}.html"
    context = _step_context(request, filing, version, name)
    returning = request.query_params.get("return") == "check"
    context["returning"] = returning
    if request.method == "GET":
        context["form"] = forms.form_for(filing.answers.get(name))
        # Prefilled from the account, unless a clerk is entering someone else's paper filing.
        if name == "about_you" and not filing.answers.get(name) and not filing.entered_by_id:
            user = signed_in_user(request)
            context["form"] = Form(
                {
                    "full_name": user.name,
                    "email": user.email,
                    "case_language": user.language,
                    "hearing_language": user.language,
                }
            )
        return render(request, template, context)
    form = Form(await request.form())
    values = STEP_READERS[name](form)
    if not form.is_valid:
        context["form"] = form
        return render(request, template, context, status_code=422)
    journey_services.save_step(filing, name, values)
    if _editable(filing):
        return redirect(
            url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
            + f"?changed={name}"
        )
    if name == "eligibility" and not values["eligible"]:
        return redirect(_filing_url(request, tribunal, filing, "not-eligible"))
    target = "check" if returning else journey_services.next_step(name)
    return redirect(_filing_url(request, tribunal, filing, target))


async def check_answers(request: Request, filing: Filing, version: CaseTypeVersion) -> Response:
    if request.method != "GET":
        raise HTTPException(status_code=405, headers={"Allow": "GET"})
    context = _step_context(request, filing, version, "check")
    sections = answer_sections(
        filing, version, await documents_services.documents_of(db_of(request), filing)
    )
    context["sections"] = sections
    context["complete"] = not any(section["missing"] for section in sections)
    return render(request, "filings/journey/steps/check.html", context)


async def declaration(request: Request, filing: Filing, version: CaseTypeVersion) -> Response:
    """The last step: declare, explain lateness if late, and file."""
    tribunal = current_tribunal(request)
    context = _step_context(request, filing, version, "declaration")
    definition = definition_of(version)
    answers = filing.answers.get("questions") or {}
    context["late"] = is_late(definition, answers, today_in(tribunal))
    context["deadline"] = filing_deadline(definition, answers)
    documents = await documents_services.documents_of(db_of(request), filing)
    if any(section["missing"] for section in answer_sections(filing, version, documents)):
        return redirect(_filing_url(request, tribunal, filing, "check"))
    if request.method == "GET":
        context["form"] = forms.form_for(filing.answers.get("declaration"))
        return render(request, "filings/journey/steps/declaration.html", context)
    form = Form(await request.form())
    values = forms.read_declaration(form, late=context["late"])
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/journey/steps/declaration.html", context, status_code=422)
    journey_services.save_step(filing, "declaration", values)
    user = signed_in_user(request)
    # A second click finds the case already filed: show it, never make another.
    with contextlib.suppress(journey_services.AlreadySubmittedError):
        await journey_services.submit(
            db_of(request),
            outbox_of(request),
            tribunal,
            filing,
            user,
        )
    next_step = await next_step_after_submission(request, filing)
    if next_step is not None:
        return redirect(next_step)
    return redirect(
        url_path(
            request, "filings:journey:confirmation", tribunal=tribunal.slug, filing_id=filing.id
        )
    )


async def questions_step(request: Request, filing: Filing, version: CaseTypeVersion) -> Response:
    """The case type's own questions, as its tribunal defined them."""
    tribunal = current_tribunal(request)
    definition = definition_of(version)
    context = _step_context(request, filing, version, "questions")
    context["questions"] = definition.questions
    context["returning"] = request.query_params.get("return") == "check"
    if request.method == "GET":
        context["form"] = answers_form(definition, filing.answers.get("questions") or {})
        return render(request, "filings/journey/steps/questions.html", context)
    form = Form(await request.form())
    answers = await read_answers(
        definition,
        form,
        today=today_in(tribunal),
        matching_seconds=settings_of(request).pattern_time_limit_ms / 1000,
    )
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/journey/steps/questions.html", context, status_code=422)
    journey_services.save_step(filing, "questions", answers)
    if _editable(filing):
        return redirect(
            url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
            + "?changed=questions"
        )
    target = "check" if context["returning"] else journey_services.next_step("questions")
    return redirect(_filing_url(request, tribunal, filing, target))


async def _documents_context(
    request: Request, filing: Filing, version: CaseTypeVersion
) -> dict[str, Any]:
    tribunal = current_tribunal(request)
    documents = await documents_services.documents_of(db_of(request), filing)
    slots = []
    for slot in definition_of(version).document_slots:
        slots.append(
            slot_shown(slot)
            | {
                "accept": ",".join(
                    mime
                    for kind in slot.kinds
                    for mime in (FileKind(kind).mime_type.split(";")[0], *FileKind(kind).extensions)
                ),
                "documents": [d for d in documents if d.slot == slot.key],
            }
        )
    context = _step_context(request, filing, version, "documents")
    context.update(
        {
            "slots": slots,
            "max_file_megabytes": tribunal.max_file_megabytes,
            "submitted": filing.status.is_case,
            "editable": _editable(filing),
            "form": Form(),
        }
    )
    return context


async def documents_step(request: Request, filing: Filing, version: CaseTypeVersion) -> Response:
    """The documents page: upload forms per slot, and Continue once required slots have files."""
    tribunal = current_tribunal(request)
    context = await _documents_context(request, filing, version)
    if request.method == "GET":
        return render(request, "filings/journey/steps/documents.html", context)
    form = Form(await request.form())
    for slot in context["slots"]:
        if slot["required"] and not slot["documents"]:
            form.add_error(f"file-{slot['key']}", _("Upload %(document)s", document=slot["label"]))
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/journey/steps/documents.html", context, status_code=422)
    journey_services.save_step(filing, "documents", {"done": True})
    if _editable(filing):
        return redirect(
            url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
        )
    return redirect(_filing_url(request, tribunal, filing, journey_services.next_step("documents")))


async def upload(request: Request) -> Response:
    """Receive files for one slot, streamed to disk, checked by content, then stored."""
    tribunal = current_tribunal(request)
    filing, version = await _own_filing(request, completing=True)
    settings = settings_of(request)
    slot_key = request.path_params["slot"]
    slot = next((s for s in definition_of(version).document_slots if s.key == slot_key), None)
    if slot is None:
        raise HTTPException(status_code=404)
    limits = UploadLimits(
        max_file_size=tribunal.max_file_megabytes * 1024 * 1024,
        max_files=slot.max_files,
    )
    field = f"file-{slot_key}"
    context = await _documents_context(request, filing, version)
    form = Form()
    try:
        received = await receive_multipart(
            request, limits, verify_csrf=request_csrf_verifier(request, settings.secret_key)
        )
    except UploadError as error:
        form.add_error(field, upload_error_message(error, tribunal, limits.max_files))
        context["form"] = form
        return render(
            request, "filings/journey/steps/documents.html", context, status_code=error.status_code
        )
    rules = SlotRules(slot.key, slot.kinds, slot.max_files)
    try:
        stored = await store_uploads(
            db_of(request),
            storage_of(request),
            request.app.state.scanner,
            tribunal=tribunal,
            filing=filing,
            slot=rules,
            files=received.files_for(field),
            uploader=signed_in_user(request),
        )
    finally:
        received.cleanup()
    if isinstance(stored, UploadProblem):
        form.add_error(field, upload_problem_message(stored, rules, tribunal))
        context["form"] = form
        return render(request, "filings/journey/steps/documents.html", context, status_code=422)
    target = (
        url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
        if filing.status.is_case
        else _filing_url(request, tribunal, filing, "documents")
    )
    return redirect(f"{target}?uploaded={stored}")


async def remove_filing_document(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, _version = await _own_filing(request, completing=True)
    if filing.status.is_case and not _editable(filing):
        # Filed documents are part of the record: only the registry can withdraw them
        # (while the filing is returned for completion, the claimant may change them).
        raise HTTPException(status_code=409)
    db = db_of(request)
    found = await documents_services.document_in(
        db, tribunal.id, request.path_params["document_id"]
    )
    # A respondent's document is theirs to remove (filings.party_routes), never the filer's.
    if found is None or found[1].id != filing.id or found[0].response_id is not None:
        raise HTTPException(status_code=404)
    await remove_document(
        db, storage_of(request), found[0], actor=signed_in_user(request), tribunal_id=tribunal.id
    )
    return redirect(_filing_url(request, tribunal, filing, "documents"))


SPECIAL_STEPS = {
    "questions": questions_step,
    "check": check_answers,
    "declaration": declaration,
    "documents": documents_step,
}


async def confirmation(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, version = await _own_filing(request)
    if filing.status is FilingStatus.DRAFT:
        return redirect(_filing_url(request, tribunal, filing))
    return render(
        request, "filings/journey/confirmation.html", {"filing": filing, "version": version}
    )


async def not_eligible(request: Request) -> Response:
    filing, version = await _own_filing(request)
    return render(
        request, "filings/journey/not_eligible.html", {"filing": filing, "version": version}
    )


async def my_cases(request: Request) -> Response:
    summaries = await journey_services.filings_of(db_of(request), signed_in_user(request).id)
    return render(
        request,
        "filings/journey/my_cases.html",
        {
            "summaries": summaries,
            "status_labels": {
                status: str(label) for status, label in lifecycle.STATUS_LABELS.items()
            },
        },
    )


async def case_page(request: Request) -> Response:
    """A case as its parties see it (filings.journey.case_page)."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    found = await cases.find_case(db, tribunal.id, request.path_params["filing_id"], drafts=True)
    if found is None:
        raise HTTPException(status_code=404)
    filing, version = found
    view = await party_case_view(db, tribunal, filing, version, user, current_roles(request))
    if view is None:
        raise HTTPException(status_code=404)
    if filing.status is FilingStatus.DRAFT:
        return redirect(_filing_url(request, tribunal, filing))
    cases.record_view(db, filing, reader=user, role=view.acting_role)
    added = await sections_for(
        CasePage.PARTIES, SectionContext(request, filing, view.parties, view.actors)
    )
    return render(request, "filings/journey/case.html", view.context() | {"added_sections": added})


tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/file", case_types, permission=Permission.PUBLIC, name="filings:journey:case_types"
    ),
    TenantRoute(
        "/file/{version_id:uuid}",
        before_you_start,
        permission=Permission.PUBLIC,
        methods=["GET", "POST"],
        name="filings:journey:before_you_start",
    ),
    TenantRoute(
        "/filings/{filing_id:uuid}",
        resume,
        permission=Permission.SIGNED_IN,
        name="filings:journey:resume",
    ),
    TenantRoute(
        "/filings/{filing_id:uuid}/not-eligible",
        not_eligible,
        permission=Permission.SIGNED_IN,
        name="filings:journey:not_eligible",
    ),
    TenantRoute(
        "/filings/{filing_id:uuid}/{step}",
        step,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:journey:step",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}",
        case_page,
        permission=Permission.SIGNED_IN,
        name="filings:journey:case",
    ),
    TenantRoute(
        "/filings/{filing_id:uuid}/documents/{slot}/upload",
        upload,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="filings:journey:upload",
        streaming_upload=True,
    ),
    TenantRoute(
        "/filings/{filing_id:uuid}/documents/{document_id:uuid}/remove",
        remove_filing_document,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="filings:journey:remove_document",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/confirmation",
        confirmation,
        permission=Permission.SIGNED_IN,
        name="filings:journey:confirmation",
    ),
]

routes: list[BaseRoute] = [
    page("/my-cases", require_user(my_cases), name="filings:journey:my_cases"),
]
