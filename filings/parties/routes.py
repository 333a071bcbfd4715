"""Pages for respondents and representatives: adding a respondent (registry), joining a case
with an access code (also how a claimant claims a paper filing), a party's own
representatives, and the respondent's response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import cases, deadlines, lifecycle
from filings.access import registry_role
from filings.casetypes import services as casetype_services
from filings.casetypes.answers import answers_form, read_answers
from filings.casetypes.definitions import CaseTypeDefinition

# The filing's upload messages, so that both parties read the same words.
from filings.casetypes.labels import kinds_text
from filings.documents import services as documents_services
from filings.documents.forms import upload_error_message, upload_problem_message
from filings.documents.inspection import FileKind
from filings.documents.services import SlotRules, UploadProblem, remove_document, store_uploads
from filings.models import CaseParty, CaseResponse, CaseTypeVersion, Filing
from filings.parties import access_codes, responses
from filings.parties import services as party_services
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import ratelimits
from tribune.db import EarlyCommit, commit_early
from tribune.forms import Form
from tribune.i18n import LANGUAGES
from tribune.i18n import gettext as _
from tribune.uploads import UploadError, UploadLimits, receive_multipart, request_csrf_verifier
from tribune.web import db_of, outbox_of, redirect, render, settings_of, storage_of, url_path

PARTY_KINDS = ("person", "organisation")


async def _case(request: Request) -> Filing:
    found = await cases.find_case(
        db_of(request), current_tribunal(request).id, request.path_params["filing_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found[0]


def _refused(request: Request, message: str, back_url: str, *, status_code: int = 409) -> Response:
    return render(
        request,
        "filings/parties/refused.html",
        {"message": message, "back_url": back_url},
        status_code=status_code,
    )


# -- adding a respondent (registry) ---------------------------------------------------------


async def add_respondent(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing = await _case(request)
    back_url = url_path(
        request, "filings:casework:case", tribunal=tribunal.slug, filing_id=filing.id
    )
    context: dict[str, Any] = {"filing": filing, "back_url": back_url}
    if filing.status not in party_services.RESPONDENT_STATES:
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
        await party_services.add_respondent(
            db_of(request),
            outbox_of(request),
            tribunal,
            filing,
            staff=signed_in_user(request),
            staff_role=registry_role(current_roles(request)),
            is_organisation=kind == "organisation",
            name=name,
            contact_name=contact_name,
            email=email,
            language=language,
            settings=settings_of(request),
        )
    except ratelimits.TooManyMessagesError as refused:
        form.add_error("email", refused.message)
        context["form"] = form
        return render(request, "filings/parties/add_respondent.html", context, status_code=429)
    except party_services.CaseClosedError:
        return _refused(
            request,
            _("A respondent can only be added to a case that is submitted, accepted or scheduled."),
            back_url,
        )
    return redirect(back_url)


# -- joining a case with an access code (/join, and /claim printed on paper-filing letters) ---


async def join_case(request: Request) -> Response:
    """A person enters a case reference and access code to take their place in the case: a
    respondent or representative joining, a claimant claiming a paper filing. Any code works
    on either URL; the code says which party it opens."""
    tribunal = current_tribunal(request)
    user = signed_in_user(request)
    db = db_of(request)
    # The form posts back to the URL it was shown at, so /claim stays /claim.
    context: dict[str, Any] = {"action": request.url.path}
    if request.method == "GET":
        return render(request, "filings/parties/join.html", {**context, "form": Form()})
    form = Form(await request.form())
    context["form"] = form
    reference = form.text("reference", required=_("Enter the case reference"), max_length=50)
    code = form.text("code", required=_("Enter the access code"), max_length=40)
    if not form.is_valid:
        return render(request, "filings/parties/join.html", context, status_code=422)
    if await access_codes.failures_last_hour(db, user.id) >= access_codes.MAX_FAILURES_PER_HOUR:
        form.add_error("code", _("You have entered too many wrong codes. Try again in an hour."))
        return render(request, "filings/parties/join.html", context, status_code=429)
    wrong_code = _(
        "The case reference or access code is not right, or the code has expired "
        "or was used already. Check the email or letter you received."
    )
    found = await access_codes.find_party(db, tribunal, reference, code)
    if found is None:
        # Counted even though the page fails: the count is what stops guessing.
        access_codes.record_failure(db, tribunal, user)
        await commit_early(db, EarlyCommit.KEEP_DESPITE_REFUSAL)
        form.add_error("code", wrong_code)
        return render(request, "filings/parties/join.html", context, status_code=422)
    filing, party = found
    if await access_codes.holds_other_party(db, filing, party, user):
        # One person, one place in a case: a claimant cannot also become its respondent.
        form.add_error(
            "code",
            _(
                "You already take part in this case with this account. This code is for "
                "someone else: give it back to them, or contact the tribunal."
            ),
        )
        return render(request, "filings/parties/join.html", context, status_code=422)
    if not await access_codes.redeem(db, tribunal, filing, party, user):
        form.add_error("code", wrong_code)
        return render(request, "filings/parties/join.html", context, status_code=422)
    return redirect(
        url_path(request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)
    )


# -- a party's own representatives ----------------------------------------------------------


async def _own_party_case(request: Request) -> tuple[Filing, list[CaseParty], CaseParty]:
    """Return the case, its parties and the signed-in person's own party on it (the claimant,
    or a respondent who joined); 404 for anyone else, a representative included."""
    filing = await _case(request)
    case_parties = await lifecycle.parties_of(db_of(request), filing)
    represented = party_services.own_party(filing, signed_in_user(request), case_parties)
    if represented is None:
        raise HTTPException(status_code=404)
    return filing, case_parties, represented


async def _own_representative(
    request: Request,
) -> tuple[Filing, CaseParty, CaseParty]:
    """Return the case, the person's own party and one of that party's representatives;
    another party's representative is a 404."""
    filing, case_parties, represented = await _own_party_case(request)
    representative = party_services.representative_of(
        case_parties, represented, request.path_params["party_id"]
    )
    if representative is None:
        raise HTTPException(status_code=404)
    return filing, represented, representative


async def invite_representative(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, represented, representative = await _own_representative(request)
    case_url = url_path(
        request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id
    )
    if filing.status not in party_services.OPEN_STATES:
        return _refused(request, _("This case is no longer open."), case_url)
    if not representative.is_authorised or not representative.email:
        return _refused(
            request, _("This representative is not authorised to act for you."), case_url
        )
    try:
        await party_services.invite_representative(
            db_of(request),
            outbox_of(request),
            tribunal,
            filing,
            represented,
            representative,
            actor=signed_in_user(request),
            settings=settings_of(request),
        )
    except ratelimits.TooManyMessagesError as refused:
        return _refused(request, refused.message, case_url, status_code=429)
    return redirect(case_url)


async def withdraw_representative(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, represented, representative = await _own_representative(request)
    case_url = url_path(
        request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id
    )
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
    event = await party_services.withdraw_representative(
        db_of(request),
        outbox_of(request),
        tribunal,
        filing,
        represented,
        representative,
        user=signed_in_user(request),
    )
    if event is None:
        return _refused(
            request, _("This representative’s authorisation was already withdrawn."), case_url
        )
    return redirect(case_url)


async def new_representative(request: Request) -> Response:
    tribunal = current_tribunal(request)
    filing, _parties, represented = await _own_party_case(request)
    case_url = url_path(
        request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id
    )
    context: dict[str, Any] = {"filing": filing, "back_url": case_url}
    if filing.status not in party_services.OPEN_STATES:
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
    try:
        await party_services.authorise_representative(
            db_of(request),
            outbox_of(request),
            tribunal,
            filing,
            represented,
            user=signed_in_user(request),
            name=name,
            firm=firm,
            licence_number=licence,
            email=email,
            settings=settings_of(request),
        )
    except ratelimits.TooManyMessagesError as refused:
        form.add_error("email", refused.message)
        context["form"] = form
        return render(request, "filings/parties/new_representative.html", context, status_code=429)
    return redirect(case_url)


# -- the respondent's response --------------------------------------------------------------
# Three pages, like the filing journey: the answers, then the documents with a check of the
# answers, then filed once. Answers and documents stay on a draft response until it is filed.


@dataclass
class _Responding:
    filing: Filing
    version: CaseTypeVersion
    definition: CaseTypeDefinition
    respondent: CaseParty
    response: CaseResponse | None
    case_url: str
    page_url: str  # the response's answers
    check_url: str  # its documents and the check of its answers


async def _responding(request: Request) -> _Responding:
    """Return the case and the respondent the signed-in person answers for, or 404."""
    db = db_of(request)
    filing = await _case(request)
    case_parties = await lifecycle.parties_of(db, filing)
    respondent = party_services.responding_party(signed_in_user(request), case_parties)
    if respondent is None:
        raise HTTPException(status_code=404)
    version = await db.get(CaseTypeVersion, filing.case_type_version_id)
    if version is None:
        raise HTTPException(status_code=404)
    ids = {"tribunal": current_tribunal(request).slug, "filing_id": filing.id}
    return _Responding(
        filing,
        version,
        casetype_services.response_definition_of(version),
        respondent,
        await responses.response_of(db, respondent),
        url_path(request, "filings:journey:case", **ids),
        url_path(request, "filings:parties:response", **ids),
        url_path(request, "filings:parties:response_check", **ids),
    )


def _response_refusal(request: Request, responding: _Responding) -> Response | None:
    """Return the page refusing any change once the response is filed or the case closed."""
    if responding.response is not None and responding.response.submitted_at is not None:
        message = _("A response was already filed for %(name)s.", name=responding.respondent.name)
        return _refused(request, message, responding.case_url)
    if responding.filing.status not in party_services.OPEN_STATES:
        return _refused(request, _("This case is no longer open."), responding.case_url)
    return None


async def response_page(request: Request) -> Response:
    """The response's answers, kept on the draft; then on to its documents."""
    tribunal = current_tribunal(request)
    responding = await _responding(request)
    refusal = _response_refusal(request, responding)
    if refusal is not None:
        return refusal
    context: dict[str, Any] = {
        "filing": responding.filing,
        "respondent": responding.respondent,
        "questions": responding.definition.questions,
        "back_url": responding.case_url,
    }
    if request.method == "GET":
        saved = responding.response.answers if responding.response else {}
        context["form"] = answers_form(responding.definition, saved or {})
        return render(request, "filings/parties/response.html", context)
    form = Form(await request.form())
    answers = await read_answers(
        responding.definition,
        form,
        today=deadlines.today_in(tribunal),
        matching_seconds=settings_of(request).pattern_time_limit_ms / 1000,
    )
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/parties/response.html", context, status_code=422)
    try:
        await responses.save_response_answers(
            db_of(request), tribunal, responding.filing, responding.respondent, answers
        )
    except (responses.AlreadyRespondedError, party_services.CaseClosedError):
        responding.response = await responses.response_of(db_of(request), responding.respondent)
        return _response_refusal(request, responding) or redirect(responding.case_url)
    return redirect(responding.check_url)


async def _check_context(
    request: Request, responding: _Responding, form: Form | None = None
) -> dict[str, Any]:
    tribunal = current_tribunal(request)
    assert responding.response is not None
    documents = await documents_services.documents_of(
        db_of(request), responding.filing, response_id=responding.response.id
    )
    slots = [
        {
            "key": slot.key,
            "label": slot.label.current(),
            "hint": slot.hint.current() if slot.hint else "",
            "required": slot.required,
            "max_files": slot.max_files,
            "kinds": kinds_text(list(slot.kinds)),
            "accept": ",".join(
                mime
                for kind in slot.kinds
                for mime in (FileKind(kind).mime_type.split(";")[0], *FileKind(kind).extensions)
            ),
            "documents": [d for d in documents if d.slot == slot.key],
        }
        for slot in responding.definition.document_slots
    ]
    return {
        "filing": responding.filing,
        "respondent": responding.respondent,
        "rows": responses.response_rows(responding.version, responding.response),
        "slots": slots,
        "max_file_megabytes": tribunal.max_file_megabytes,
        "page_url": responding.page_url,
        "check_url": responding.check_url,
        "back_url": responding.page_url,
        "case_url": responding.case_url,
        "form": form or Form(),
    }


async def response_check(request: Request) -> Response:
    """The response's documents and a check of its answers; filing it sends it, once."""
    tribunal = current_tribunal(request)
    user = signed_in_user(request)
    db = db_of(request)
    responding = await _responding(request)
    refusal = _response_refusal(request, responding)
    if refusal is not None:
        return refusal
    if responding.response is None:  # the answers come first
        return redirect(responding.page_url)
    if request.method == "GET":
        context = await _check_context(request, responding)
        return render(request, "filings/parties/response_check.html", context)
    acting = "respondent" if responding.respondent.user_id == user.id else "representative"
    try:
        await responses.submit_response(
            db,
            outbox_of(request),
            tribunal,
            responding.filing,
            responding.version,
            responding.response,
            user=user,
            acting_role=acting,
        )
    except responses.MissingDocumentsError as missing:
        form = Form()
        for slot in missing.slots:
            form.add_error(
                f"file-{slot.key}", _("Upload %(document)s", document=slot.label.current())
            )
        context = await _check_context(request, responding, form)
        return render(request, "filings/parties/response_check.html", context, status_code=422)
    except responses.AlreadyRespondedError:
        message = _("A response was already filed for %(name)s.", name=responding.respondent.name)
        return _refused(request, message, responding.case_url)
    except party_services.CaseClosedError:
        return _refused(request, _("This case is no longer open."), responding.case_url)
    return redirect(responding.case_url)


async def response_upload(request: Request) -> Response:
    """Receive files for one of the response's slots: streamed to disk, checked by content,
    scanned, then stored, exactly as the filing's own documents are (filings.routes.upload)."""
    tribunal = current_tribunal(request)
    settings = settings_of(request)
    responding = await _responding(request)
    refusal = _response_refusal(request, responding)
    if refusal is not None:
        return refusal
    if responding.response is None:
        return redirect(responding.page_url)
    slot_key = request.path_params["slot"]
    slot = next((s for s in responding.definition.document_slots if s.key == slot_key), None)
    if slot is None:
        raise HTTPException(status_code=404)
    limits = UploadLimits(
        max_file_size=tribunal.max_file_megabytes * 1024 * 1024, max_files=slot.max_files
    )
    field = f"file-{slot.key}"
    form = Form()
    try:
        received = await receive_multipart(
            request, limits, verify_csrf=request_csrf_verifier(request, settings.secret_key)
        )
    except UploadError as error:
        form.add_error(field, upload_error_message(error, tribunal, slot.max_files))
        context = await _check_context(request, responding, form)
        return render(
            request, "filings/parties/response_check.html", context, status_code=error.status_code
        )
    rules = SlotRules(slot.key, tuple(slot.kinds), slot.max_files)
    try:
        stored = await store_uploads(
            db_of(request),
            storage_of(request),
            request.app.state.scanner,
            tribunal=tribunal,
            filing=responding.filing,
            slot=rules,
            files=received.files_for(field),
            uploader=signed_in_user(request),
            response_id=responding.response.id,
        )
    finally:
        received.cleanup()
    if isinstance(stored, UploadProblem):
        form.add_error(field, upload_problem_message(stored, rules, tribunal))
        context = await _check_context(request, responding, form)
        return render(request, "filings/parties/response_check.html", context, status_code=422)
    return redirect(f"{responding.check_url}?uploaded=1")


async def response_remove_document(request: Request) -> Response:
    """Take a document off the draft response (a filed response's documents are on record)."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    responding = await _responding(request)
    refusal = _response_refusal(request, responding)
    if refusal is not None:
        return refusal
    found = await documents_services.document_in(
        db, tribunal.id, request.path_params["document_id"]
    )
    if (
        found is None
        or responding.response is None
        or found[0].response_id != responding.response.id
    ):
        raise HTTPException(status_code=404)
    await remove_document(
        db,
        storage_of(request),
        found[0],
        actor=signed_in_user(request),
        tribunal_id=tribunal.id,
        case_id=responding.filing.id,
    )
    return redirect(responding.check_url)


tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/cases/{filing_id:uuid}/respondents/new",
        add_respondent,
        permission=Permission.REGISTRY_WORK,
        methods=["GET", "POST"],
        name="filings:parties:add_respondent",
    ),
    TenantRoute(
        "/join",
        join_case,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:parties:join",
    ),
    # The address on letters and emails sent to claimants of paper filings.
    TenantRoute(
        "/claim",
        join_case,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:parties:claim",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/representatives/new",
        new_representative,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:parties:new_representative",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/representatives/{party_id:uuid}/invite",
        invite_representative,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="filings:parties:invite_representative",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/representatives/{party_id:uuid}/withdraw",
        withdraw_representative,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:parties:withdraw_representative",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/response",
        response_page,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:parties:response",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/response/check",
        response_check,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="filings:parties:response_check",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/response/documents/{slot}/upload",
        response_upload,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="filings:parties:response_upload",
        streaming_upload=True,
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/response/documents/{document_id:uuid}/remove",
        response_remove_document,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="filings:parties:response_remove_document",
    ),
]
