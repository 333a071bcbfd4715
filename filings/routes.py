"""The filing journey: choose a case type, answer one topic per page, check, declare,
submit; then "My cases" and the case page."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from accounts.middleware import require_user, signed_in_user
from filings import forms, lifecycle, services
from filings import parties as party_services
from filings.documents import (
    FileKind,
    Problem,
    Scanner,
    ScannerUnavailable,
    inspect,
    normalise_filename,
)
from filings.models import CaseResponse, CaseTypeVersion, Document, Filing, FilingStatus
from filings.questions import (
    CaseTypeDefinition,
    answers_form,
    display_answer,
    filing_deadline,
    is_late,
    parse_definition,
    read_answers,
)
from tribunals.models import Tribunal
from tribunals.permissions import Permission
from tribunals.tenancy import current_roles, current_tribunal, tenant_page
from tribune import audit
from tribune.db import utcnow
from tribune.forms import Form
from tribune.i18n import get_language, lazy_gettext, localised
from tribune.i18n import gettext as _
from tribune.security import CSRFError
from tribune.storage import Storage, new_object_key
from tribune.uploads import (
    ReceivedFile,
    ReceivedForm,
    UploadError,
    UploadLimits,
    receive_multipart,
    request_csrf_verifier,
)
from tribune.web import db_of, page, redirect, render, settings_of

STEP_READERS: dict[str, Callable[[Form], dict[str, Any]]] = {
    "eligibility": forms.read_eligibility,
    "about_you": forms.read_about_you,
    "representative": forms.read_representative,
    "accessibility": forms.read_accessibility,
}


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise HTTPException(status_code=404) from None


def _editable(filing: Filing) -> bool:
    """Whether a filed case's answers may change: only while returned for completion."""
    return filing.status is FilingStatus.RETURNED


def _filing_url(filing: Filing, tail: str = "") -> str:
    return f"/filings/{filing.id}/{tail}" if tail else f"/filings/{filing.id}"


async def case_types(request: Request) -> Response:
    """The case types a tribunal takes online, to choose what to file."""
    tribunal = current_tribunal(request)
    versions = await services.published_versions(db_of(request), tribunal.id)
    return render(request, "filings/case_types.html", {"versions": versions})


async def before_you_start(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    version = await services.published_version(
        db, tribunal.id, _uuid(request.path_params["version_id"])
    )
    if version is None:
        raise HTTPException(status_code=404)
    if request.method == "POST":
        user = request.state.user
        if user is None:
            return redirect(f"/sign-in?next=/{tribunal.slug}/file/{version.id}")
        filing = services.start_filing(db, tribunal, version, user)
        return redirect(f"/{tribunal.slug}{_filing_url(filing, services.STEPS[0])}")
    slots = [
        (slot.get("label") or {}).get(get_language()) or (slot.get("label") or {}).get("en", "")
        for slot in (version.definition or {}).get("document_slots", [])
    ]
    return render(request, "filings/before_you_start.html", {"version": version, "slots": slots})


async def _own_filing(
    request: Request, *, completing: bool = False
) -> tuple[Filing, CaseTypeVersion]:
    """Return the filing the signed-in account holds; with `completing` (changing answers or
    documents), also a returned filing the account completes as the claimant's authorised
    representative. Anything else is a 404."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    found = await services.case_of(db, tribunal.id, _uuid(request.path_params["filing_id"]))
    if found is None:
        raise HTTPException(status_code=404)
    filing = found[0]
    roles = current_roles(request)
    if services.holds_filing(filing, user.id, roles):
        return found
    # Only a returned case's parties are read: the representative's way in.
    if completing and filing.status is FilingStatus.RETURNED:
        parties = await lifecycle.parties_of(db, filing)
        if services.may_complete(filing, user, roles, parties):
            return found
    raise HTTPException(status_code=404)


def _step_context(
    tribunal_slug: str, filing: Filing, version: CaseTypeVersion, step: str
) -> dict[str, Any]:
    previous = services.previous_step(step)
    base = f"/{tribunal_slug}"
    return {
        "filing": filing,
        "version": version,
        "step": step,
        "step_number": services.STEPS.index(step) + 1,
        "step_count": len(services.STEPS),
        "back_url": base + (_filing_url(filing, previous) if previous else f"/file/{version.id}"),
        "action": base + _filing_url(filing, step),
        "provinces": forms.province_choices(),
        "returning": False,
    } | (
        # A returned filing is changed from its case page, and goes back there.
        {"back_url": f"{base}/cases/{filing.id}"} if _editable(filing) else {}
    )


async def resume(request: Request) -> Response:
    """Open a draft where its filer stopped."""
    tribunal = current_tribunal(request)
    filing, _version = await _own_filing(request)
    if filing.status.is_case:
        return redirect(f"/{tribunal.slug}/cases/{filing.id}")
    return redirect(f"/{tribunal.slug}{_filing_url(filing, services.resume_step(filing))}")


async def step(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, version = await _own_filing(request, completing=True)
    name = request.path_params["step"]
    if name not in services.STEPS:
        raise HTTPException(status_code=404)
    # After filing, only documents can still be added; every other answer is on record,
    # unless the registry returned the filing for completion.
    if filing.status.is_case and not _editable(filing) and name != "documents":
        return redirect(f"/{tribunal.slug}/cases/{filing.id}")
    if _editable(filing) and name in ("check", "declaration"):
        # A returned filing is resubmitted from its case page, not declared again.
        return redirect(f"/{tribunal.slug}/cases/{filing.id}")
    if name in SPECIAL_STEPS:
        return await SPECIAL_STEPS[name](request, filing, version)
    template = f"filings/steps/{name}.html"
    context = _step_context(tribunal.slug, filing, version, name)
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
    services.save_step(filing, name, values)
    if _editable(filing):
        return redirect(f"/{tribunal.slug}/cases/{filing.id}?changed={name}")
    if name == "eligibility" and not values["eligible"]:
        return redirect(f"/{tribunal.slug}{_filing_url(filing, 'not-eligible')}")
    target = "check" if returning else services.next_step(name)
    return redirect(f"/{tribunal.slug}{_filing_url(filing, target)}")


def _sections(
    filing: Filing, version: CaseTypeVersion, documents: list[Document]
) -> list[dict[str, Any]]:
    """Return the answers by section, for "Check your answers" and the case page."""
    titles = {
        "about_you": _("About you"),
        "representative": _("Your representative"),
        "accessibility": _("Accessibility and accommodation"),
    }
    sections = []
    for name, title in titles.items():
        saved = filing.answers.get(name)
        sections.append(
            {
                "step": name,
                "title": title,
                "missing": saved is None,
                "rows": forms.summary_rows(name, saved or {}),
            }
        )
    questions = filing.answers.get("questions")
    sections.append(
        {
            "step": "questions",
            "title": localised(version, "title"),
            "missing": questions is None,
            "rows": _question_rows(version, questions or {}),
        }
    )
    document_rows = []
    missing_documents = False
    for slot in _slots(version):
        names = [d.filename for d in documents if d.slot == slot.get("key")]
        missing_documents = missing_documents or (bool(slot.get("required")) and not names)
        document_rows.append((_text_of(slot.get("label")), "\n".join(names) or _("None")))
    sections.append(
        {
            "step": "documents",
            "title": _("Documents"),
            "missing": missing_documents or "documents" not in filing.answers,
            "rows": document_rows,
        }
    )
    return sections


async def check_answers(request: Request, filing: Filing, version: CaseTypeVersion) -> Response:
    if request.method != "GET":
        raise HTTPException(status_code=405, headers={"Allow": "GET"})
    tribunal = current_tribunal(request)
    context = _step_context(tribunal.slug, filing, version, "check")
    sections = _sections(filing, version, await services.documents_of(db_of(request), filing))
    context["sections"] = sections
    context["complete"] = not any(section["missing"] for section in sections)
    return render(request, "filings/steps/check.html", context)


async def declaration(request: Request, filing: Filing, version: CaseTypeVersion) -> Response:
    """The last step: declare, explain lateness if late, and file."""
    tribunal = current_tribunal(request)
    context = _step_context(tribunal.slug, filing, version, "declaration")
    definition = _definition(version)
    answers = filing.answers.get("questions") or {}
    context["late"] = is_late(definition, answers, _today(tribunal))
    context["deadline"] = filing_deadline(definition, answers)
    documents = await services.documents_of(db_of(request), filing)
    if any(section["missing"] for section in _sections(filing, version, documents)):
        return redirect(f"/{tribunal.slug}{_filing_url(filing, 'check')}")
    if request.method == "GET":
        context["form"] = forms.form_for(filing.answers.get("declaration"))
        return render(request, "filings/steps/declaration.html", context)
    form = Form(await request.form())
    values = forms.read_declaration(form, late=context["late"])
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/steps/declaration.html", context, status_code=422)
    services.save_step(filing, "declaration", values)
    user = signed_in_user(request)
    # A second click finds the case already filed: show it, never make another.
    with contextlib.suppress(services.AlreadySubmittedError):
        await services.submit(
            db_of(request),
            request.app.state.templates.env,
            settings_of(request),
            tribunal,
            filing,
            user,
        )
    return redirect(f"/{tribunal.slug}/cases/{filing.id}/confirmation")


# -- the case type's own questions ---------------------------------------------------------


def _definition(version: CaseTypeVersion) -> CaseTypeDefinition:
    return parse_definition(version.definition or {})


def _today(tribunal: Tribunal) -> date:
    return utcnow().astimezone(ZoneInfo(tribunal.time_zone)).date()


async def questions_step(request: Request, filing: Filing, version: CaseTypeVersion) -> Response:
    """The case type's own questions, as its tribunal defined them."""
    tribunal = current_tribunal(request)
    definition = _definition(version)
    context = _step_context(tribunal.slug, filing, version, "questions")
    context["questions"] = definition.questions
    context["returning"] = request.query_params.get("return") == "check"
    if request.method == "GET":
        context["form"] = answers_form(definition, filing.answers.get("questions") or {})
        return render(request, "filings/steps/questions.html", context)
    form = Form(await request.form())
    answers = read_answers(definition, form, today=_today(tribunal))
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/steps/questions.html", context, status_code=422)
    services.save_step(filing, "questions", answers)
    if _editable(filing):
        return redirect(f"/{tribunal.slug}/cases/{filing.id}?changed=questions")
    target = "check" if context["returning"] else services.next_step("questions")
    return redirect(f"/{tribunal.slug}{_filing_url(filing, target)}")


def _question_rows(version: CaseTypeVersion, answers: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (question.label.current(), display_answer(question, answers[question.key]))
        for question in _definition(version).questions
        if question.key in answers
    ]


# -- documents --------------------------------------------------------------------------

KIND_LABELS = {
    "pdf": lazy_gettext("PDF"),
    "jpeg": lazy_gettext("JPEG image"),
    "png": lazy_gettext("PNG image"),
    "docx": lazy_gettext("Word document (.docx)"),
    "text": lazy_gettext("plain text (.txt)"),
}


def _slots(version: CaseTypeVersion) -> list[dict[str, Any]]:
    return list((version.definition or {}).get("document_slots", []))


def _text_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get(get_language()) or value.get("en") or "")
    return ""


def _kinds_text(kinds: list[str]) -> str:
    labels = [str(KIND_LABELS[kind]) for kind in kinds if kind in KIND_LABELS]
    if len(labels) <= 1:
        return "".join(labels)
    return _("%(list)s or %(last)s", list=", ".join(labels[:-1]), last=labels[-1])


def _problem_message(problem: Problem, kinds: list[str]) -> str:
    messages = {
        Problem.EMPTY: _("The selected file is empty"),
        Problem.NOT_ALLOWED: _("The selected file must be a %(kinds)s", kinds=_kinds_text(kinds)),
        Problem.ENCRYPTED_PDF: _(
            "The PDF is protected by a password or restrictions. "
            "Print it to a new PDF, then upload that file"
        ),
        Problem.BROKEN_PDF: _("The PDF cannot be opened. Check the file and upload it again"),
        Problem.MACRO_DOCUMENT: _(
            "The Word document contains macros. Save it as a .docx document and upload it again"
        ),
        Problem.LEGACY_OFFICE: _(
            "Save the document as a .docx document without a password and upload it again"
        ),
        Problem.TEXT_NOT_UTF8: _("Save the text file with UTF-8 encoding and upload it again"),
    }
    return messages[problem]


async def _documents_context(
    request: Request, filing: Filing, version: CaseTypeVersion
) -> dict[str, Any]:
    tribunal = current_tribunal(request)
    documents = await services.documents_of(db_of(request), filing)
    slots = []
    for slot in _slots(version):
        slots.append(
            {
                "key": slot["key"],
                "label": _text_of(slot.get("label")),
                "hint": _text_of(slot.get("hint")),
                "required": bool(slot.get("required")),
                "max_files": int(slot.get("max_files", 1)),
                "kinds": _kinds_text(list(slot.get("kinds", []))),
                "accept": ",".join(
                    mime
                    for kind in slot.get("kinds", [])
                    for mime in (FileKind(kind).mime_type.split(";")[0], *FileKind(kind).extensions)
                ),
                "documents": [d for d in documents if d.slot == slot["key"]],
            }
        )
    context = _step_context(tribunal.slug, filing, version, "documents")
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
        return render(request, "filings/steps/documents.html", context)
    form = Form(await request.form())
    for slot in context["slots"]:
        if slot["required"] and not slot["documents"]:
            form.add_error(f"file-{slot['key']}", _("Upload %(document)s", document=slot["label"]))
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/steps/documents.html", context, status_code=422)
    services.save_step(filing, "documents", {"done": True})
    if _editable(filing):
        return redirect(f"/{tribunal.slug}/cases/{filing.id}")
    return redirect(f"/{tribunal.slug}{_filing_url(filing, services.next_step('documents'))}")


async def upload(request: Request) -> Response:
    """Receive files for one slot, streamed to disk, checked by content, then stored."""
    tribunal = current_tribunal(request)
    filing, version = await _own_filing(request, completing=True)
    settings = settings_of(request)
    slot_key = request.path_params["slot"]
    slot = next((s for s in _slots(version) if s.get("key") == slot_key), None)
    if slot is None:
        raise HTTPException(status_code=404)
    limits = UploadLimits(
        max_file_size=tribunal.max_file_megabytes * 1024 * 1024,
        max_files=int(slot.get("max_files", 1)),
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
            request, "filings/steps/documents.html", context, status_code=error.status_code
        )
    try:
        return await _store_uploads(request, tribunal, filing, version, slot, received, context)
    finally:
        received.cleanup()


def upload_error_message(error: UploadError, tribunal: Tribunal, max_files: int) -> str:
    """Return the message for an upload that did not arrive whole (a forged one raises)."""
    if error.code == "csrf":
        raise CSRFError()
    if error.code in ("too_large", "field_too_large"):
        return _(
            "The selected file must be smaller than %(size)s MB", size=tribunal.max_file_megabytes
        )
    if error.code == "too_many_files":
        return _("You can upload up to %(n)s files here", n=max_files)
    return _("The upload did not arrive complete. Try again")


async def check_and_store_uploads(
    request: Request,
    filing: Filing,
    files: list[ReceivedFile],
    form: Form,
    *,
    slot_key: str,
    kinds: list[str],
    max_files: int,
    response_id: uuid.UUID | None = None,
) -> int:
    """Check received files for a slot of the filing (or of a response to it) and store them
    all, returning how many; or add an error to `form` and store none.

    The checks: how many files the slot holds, the case's total size, each file's content,
    duplicates, the virus scan. Objects are written before the commit and removed again if it
    fails, so no document row points at a missing object and no object is orphaned.
    """
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    storage: Storage = request.app.state.storage
    scanner: Scanner = request.app.state.scanner
    field = f"file-{slot_key}"
    usage = await services.document_usage(db, filing, response_id=response_id)
    if not files:
        form.add_error(field, _("Select a file"))
    elif usage.counts.get(slot_key, 0) + len(files) > max_files:
        form.add_error(field, _("You can upload up to %(n)s files here", n=max_files))
    elif usage.total_size + sum(f.size for f in files) > tribunal.max_case_megabytes * 1024 * 1024:
        form.add_error(
            field,
            _(
                "The files of one case must add up to %(size)s MB or less",
                size=tribunal.max_case_megabytes,
            ),
        )
    file_kinds = [FileKind(kind) for kind in kinds]
    checked = []
    seen: set[str] = set()
    for file in files if form.is_valid else []:
        inspection = await anyio.to_thread.run_sync(inspect, file.path, file.size)
        problem = inspection.problem_for(file_kinds)
        name = normalise_filename(file.filename, inspection.kind)
        if problem is not None:
            form.add_error(field, f"{name}: {_problem_message(problem, kinds)}")
            return 0
        duplicate = await services.duplicate_of(db, filing, file.sha256, response_id=response_id)
        if duplicate is not None or file.sha256 in seen:
            form.add_error(
                field,
                _(
                    "You have already uploaded this file: %(filename)s",
                    filename=duplicate.filename if duplicate else name,
                ),
            )
            return 0
        try:
            result = await scanner.scan(file.path)
        except ScannerUnavailable:
            raise HTTPException(status_code=503) from None
        if not result.clean:
            form.add_error(
                field, _("%(filename)s contains a virus and was not accepted", filename=name)
            )
            return 0
        seen.add(file.sha256)
        checked.append((file, inspection, name))
    if not form.is_valid:
        return 0
    stored_keys: list[str] = []
    try:
        for file, inspection, name in checked:
            key = new_object_key()
            await storage.put_file(key, file.path)
            stored_keys.append(key)
            assert inspection.kind is not None
            services.add_document(
                db,
                filing,
                slot=slot_key,
                storage_key=key,
                filename=name,
                size=file.size,
                sha256=file.sha256,
                kind=inspection.kind.value,
                uploader=user,
                response_id=response_id,
            )
        await db.commit()
    except BaseException:
        await db.rollback()
        for key in stored_keys:
            with contextlib.suppress(Exception):
                await storage.delete(key)
        raise
    return len(checked)


async def _store_uploads(
    request: Request,
    tribunal: Tribunal,
    filing: Filing,
    version: CaseTypeVersion,
    slot: dict[str, Any],
    received: ReceivedForm,
    context: dict[str, Any],
) -> Response:
    field = f"file-{slot['key']}"
    form = Form()
    stored = await check_and_store_uploads(
        request,
        filing,
        received.files_for(field),
        form,
        slot_key=slot["key"],
        kinds=list(slot.get("kinds", [])),
        max_files=int(slot.get("max_files", 1)),
    )
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/steps/documents.html", context, status_code=422)
    target = (
        f"/{tribunal.slug}/cases/{filing.id}"
        if filing.status.is_case
        else f"/{tribunal.slug}{_filing_url(filing, 'documents')}"
    )
    return redirect(f"{target}?uploaded={stored}")


async def remove_stored_document(
    request: Request, document: Document, *, case_id: uuid.UUID | None = None
) -> None:
    """Delete a document's row (audited) and then its stored object: the object goes only
    once the row is gone for good."""
    db = db_of(request)
    key = document.storage_key
    await db.delete(document)
    audit.record(
        db,
        "document.removed",
        actor_id=signed_in_user(request).id,
        tribunal_id=current_tribunal(request).id,
        subject_type="document",
        subject_id=document.id,
        case_id=case_id,
    )
    await db.commit()
    await request.app.state.storage.delete(key)


async def remove_document(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, _version = await _own_filing(request, completing=True)
    if filing.status.is_case and not _editable(filing):
        # Filed documents are part of the record: only the registry can withdraw them
        # (while the filing is returned for completion, the claimant may change them).
        raise HTTPException(status_code=409)
    db = db_of(request)
    found = await services.document_in(db, tribunal.id, _uuid(request.path_params["document_id"]))
    # A respondent's document is theirs to remove (filings.party_routes), never the filer's.
    if found is None or found[1].id != filing.id or found[0].response_id is not None:
        raise HTTPException(status_code=404)
    await remove_stored_document(request, found[0])
    return redirect(f"/{tribunal.slug}{_filing_url(filing, 'documents')}")


async def download(request: Request) -> Response:
    """Send a document as an attachment, to the tribunal's staff, its filer and the case's
    parties only."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    found = await services.document_in(db, tribunal.id, _uuid(request.path_params["document_id"]))
    if found is None:
        raise HTTPException(status_code=404)
    document, filing = found
    parties = await lifecycle.parties_of(db, filing)
    is_staff = bool(current_roles(request))
    if document.response_id is not None:
        # A response's documents: the respondent's side until filed, then the case's readers.
        response = await db.get(CaseResponse, document.response_id)
        if response is None or not party_services.may_read_response_documents(
            filing, response, user, is_staff=is_staff, parties=parties
        ):
            raise HTTPException(status_code=404)
    elif not services.may_read_documents(filing, user, is_staff=is_staff, parties=parties):
        raise HTTPException(status_code=404)
    storage: Storage = request.app.state.storage
    stream = await storage.open(document.storage_key)
    audit.record(
        db,
        "document.downloaded",
        actor_id=user.id,
        tribunal_id=tribunal.id,
        subject_type="document",
        subject_id=document.id,
    )
    await db.commit()
    return StreamingResponse(
        stream,
        media_type=FileKind(document.kind).mime_type,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''" + quote(document.filename),
            "Content-Length": str(document.size),
            "Cache-Control": "private, no-store",
        },
    )


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
        return redirect(f"/{tribunal.slug}{_filing_url(filing)}")
    return render(request, "filings/confirmation.html", {"filing": filing, "version": version})


async def not_eligible(request: Request) -> Response:
    filing, version = await _own_filing(request)
    return render(request, "filings/not_eligible.html", {"filing": filing, "version": version})


async def my_cases(request: Request) -> Response:
    summaries = await services.filings_of(db_of(request), signed_in_user(request).id)
    return render(
        request,
        "filings/my_cases.html",
        {
            "summaries": summaries,
            "status_labels": {
                status: str(label) for status, label in lifecycle.STATUS_LABELS.items()
            },
        },
    )


async def case_page(request: Request) -> Response:
    """A case as its parties see it: status, what is due, the public timeline, the answers,
    documents, and the moves they may make (resubmit when returned, withdraw)."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    found = await services.case_of(db, tribunal.id, _uuid(request.path_params["filing_id"]))
    if found is None:
        raise HTTPException(status_code=404)
    filing, version = found
    parties = await lifecycle.parties_of(db, filing)
    actors = lifecycle.actors_for(filing, user, set(), parties) - lifecycle.STAFF_ACTORS
    holds = services.holds_filing(filing, user.id, current_roles(request))
    if not actors and not holds:
        raise HTTPException(status_code=404)
    if filing.status is FilingStatus.DRAFT:
        return redirect(f"/{tribunal.slug}{_filing_url(filing)}")
    documents = await services.documents_of(db, filing)
    events = await services.events_of(db, filing, parties_only=True)
    audit.record(
        db,
        "filing.viewed",
        actor_id=user.id,
        actor_role=_party_role(actors),
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
    )
    transitions = [
        transition
        for transition in lifecycle.allowed_transitions(filing, actors)
        if transition.name in PARTY_TRANSITIONS
    ]
    return_event = next((e for e in reversed(events) if e.kind == "returned"), None)
    is_open = filing.status in lifecycle.OPEN_STATES
    # Each party (claimant or respondent) manages who represents them.
    own_party = party_services.own_party(filing, user, parties)
    may_complete = _editable(filing) and services.may_complete(
        filing, user, current_roles(request), parties
    )
    responding = party_services.responding_party(user, parties)
    may_respond = responding is not None and party_services.may_change_response(
        filing, await party_services.response_of(db, responding)
    )
    return render(
        request,
        "filings/case.html",
        {
            "representatives": party_services.representatives_of(parties, own_party)
            if own_party
            else [],
            "may_manage_representatives": own_party is not None and is_open,
            "may_respond": may_respond,
            "responses": list(
                (await party_services.filed_responses(db, filing, version, parties)).values()
            ),
            "show_access": tribunal.show_access_to_parties and holds,
            "filing": filing,
            "version": version,
            "status_label": lifecycle.STATUS_LABELS[filing.status],
            "sections": _sections(filing, version, documents)[:-1],
            "events": events,
            "documents": documents,
            "transitions": transitions,
            "editable": may_complete,
            "may_add_documents": holds or may_complete,
            "return_reason": (return_event.details.get("reason", "") if return_event else ""),
        },
    )


# The moves a party makes from the case page.
PARTY_TRANSITIONS = frozenset({"resubmit", "withdraw"})


def _party_role(actors: frozenset[lifecycle.Actor]) -> str | None:
    for actor in (
        lifecycle.Actor.CLAIMANT,
        lifecycle.Actor.REPRESENTATIVE,
        lifecycle.Actor.RESPONDENT,
    ):
        if actor in actors:
            return actor.value
    return "filer"


tenant_routes: list[BaseRoute] = [
    tenant_page("/file", case_types, permission=Permission.PUBLIC, name="filings:case_types"),
    tenant_page(
        "/file/{version_id}",
        before_you_start,
        permission=Permission.PUBLIC,
        methods=["GET", "POST"],
        name="filings:before_you_start",
    ),
    tenant_page(
        "/filings/{filing_id}", resume, permission=Permission.SIGNED_IN, name="filings:resume"
    ),
    tenant_page(
        "/filings/{filing_id}/not-eligible",
        not_eligible,
        permission=Permission.SIGNED_IN,
        name="filings:not_eligible",
    ),
    tenant_page(
        "/filings/{filing_id}/{step}",
        step,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:step",
    ),
    tenant_page(
        "/cases/{filing_id}", case_page, permission=Permission.SIGNED_IN, name="filings:case"
    ),
    tenant_page(
        "/filings/{filing_id}/documents/{slot}/upload",
        upload,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="filings:upload",
        streaming_upload=True,
    ),
    tenant_page(
        "/filings/{filing_id}/documents/{document_id}/remove",
        remove_document,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="filings:remove_document",
    ),
    tenant_page(
        "/documents/{document_id}",
        download,
        permission=Permission.SIGNED_IN,
        name="filings:download",
    ),
    tenant_page(
        "/cases/{filing_id}/confirmation",
        confirmation,
        permission=Permission.SIGNED_IN,
        name="filings:confirmation",
    ),
]

routes: list[BaseRoute] = [
    page("/my-cases", require_user(my_cases), name="filings:my_cases"),
]
