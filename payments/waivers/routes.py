"""Fee waivers: the claimant's side asks for one, the tribunal's rules decide at once when
they can, and the registry decides the others from its queue, with a reason."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import access, cases, lifecycle
from filings.casetypes.labels import kinds_text
from filings.documents.forms import upload_error_message, upload_problem_message
from filings.documents.inspection import FileKind
from filings.documents.services import UploadProblem
from filings.models import Filing
from payments.fees import services as fees
from payments.models import FeeCharge, WaiverState
from payments.waivers import services
from payments.waivers.forms import PROOF_FIELD, decision_form, received_fields, request_form
from payments.waivers.services import WaiverRefused
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune import i18n
from tribune.db import local_today
from tribune.forms import Form
from tribune.uploads import (
    ReceivedForm,
    UploadError,
    UploadLimits,
    receive_multipart,
    request_csrf_verifier,
)
from tribune.web import db_of, outbox_of, redirect, render, settings_of, storage_of, url_path

CLAIMANT_SIDE = frozenset({access.Actor.CLAIMANT, access.Actor.REPRESENTATIVE})


async def _charged_case(request: Request, filing_id: Any) -> tuple[Filing, FeeCharge]:
    db = db_of(request)
    found = await cases.find_case(db, current_tribunal(request).id, filing_id)
    if found is None:
        raise HTTPException(status_code=404)
    charge = await fees.charge_of(db, found[0])
    if charge is None:
        raise HTTPException(status_code=404)
    return found[0], charge


# -- asking -----------------------------------------------------------------------------------


async def request_waiver(request: Request) -> Response:
    """The claimant (or their representative) asks for a fee waiver while something is owed."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    filing, charge = await _charged_case(request, request.path_params["filing_id"])
    parties = await lifecycle.parties_of(db, filing)
    if not access.actors_for(filing, user, set(), parties) & CLAIMANT_SIDE:
        raise HTTPException(status_code=404)
    balance = await fees.balance_of(db, charge)
    waiting = await services.waiting_on(db, charge)
    case_url = url_path(
        request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id
    )
    context: dict[str, Any] = {
        "filing": filing,
        "charge": charge,
        "balance": balance,
        "waiting": waiting,
        "back_url": case_url + "#fees",
        "open": balance.outstanding_cents > 0 and waiting is None,
        "proof_accept": ",".join(
            ext for kind in services.PROOF_SLOT.kinds for ext in FileKind(kind).extensions
        ),
        "proof_kinds": kinds_text(list(services.PROOF_SLOT.kinds)),
        "max_file_megabytes": tribunal.max_file_megabytes,
    }
    if request.method == "GET":
        context["form"] = Form()
        return render(request, "payments/waivers/request.html", context)
    received = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        # The form with its proof: streamed to disk, the CSRF token checked before any file.
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
            context["form"] = Form()
            context["form"].add_error(PROOF_FIELD, upload_error_message(error, tribunal, 1))
            return render(
                request, "payments/waivers/request.html", context, status_code=error.status_code
            )
    try:
        return await _ask(request, filing, charge, context, received)
    finally:
        if received is not None:
            received.cleanup()


async def _ask(
    request: Request,
    filing: Filing,
    charge: FeeCharge,
    context: dict[str, Any],
    received: ReceivedForm | None,
) -> Response:
    """Record the request (decided at once if the rules can), then its proof if one was sent:
    a proof refused answers the form again, and the request goes with it (nothing stored)."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    data = received_fields(received) if received is not None else await request.form()
    form, values = request_form(data)
    context["form"] = form
    proofs = received.files_for(PROOF_FIELD) if received is not None else []
    if values is None:
        return render(request, "payments/waivers/request.html", context, status_code=422)
    try:
        await services.request_waiver(
            db,
            outbox_of(request),
            tribunal,
            filing,
            charge,
            values,
            actor=user,
            language=i18n.get_language(),
            today=local_today(tribunal.time_zone),
        )
    except WaiverRefused as refused:
        if not refused.conflict:
            form.add_error("household_size", refused.message)
            return render(request, "payments/waivers/request.html", context, status_code=422)
        return _refused(request, filing, refused.message, context["back_url"])
    if proofs:
        stored = await services.attach_proof(
            db,
            storage_of(request),
            request.app.state.scanner,
            tribunal,
            filing,
            proofs[0],
            uploader=user,
        )
        if isinstance(stored, UploadProblem):
            form.add_error(
                PROOF_FIELD, upload_problem_message(stored, services.PROOF_SLOT, tribunal)
            )
            return render(request, "payments/waivers/request.html", context, status_code=422)
    return redirect(context["back_url"])


def _refused(request: Request, filing: Filing, message: str, back_url: str) -> Response:
    return render(
        request,
        "payments/waivers/refused.html",
        {"filing": filing, "message": message, "back_url": back_url},
        status_code=409,
    )


# -- the registry's decisions -----------------------------------------------------------------


async def waiting_waivers(request: Request) -> Response:
    """The waivers waiting for a clerk's decision, oldest first."""
    tribunal = current_tribunal(request)
    rows = await services.waiting(db_of(request), tribunal)
    return render(
        request,
        "payments/waivers/list.html",
        {"rows": rows, "decided": request.query_params.get("decided") == "1"},
    )


async def decide(request: Request) -> Response:
    """A waiver's details and, while it waits, the decision: in full, in part, or refused."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    waiver = await services.waiver_of(db, tribunal, request.path_params["waiver_id"])
    if waiver is None:
        raise HTTPException(status_code=404)
    filing, charge = await _charged_case(request, waiver.filing_id)
    settings = await fees.settings_of(db, tribunal)
    part_allowed = charge.reduced_amount_cents is not None
    staff_case_url = url_path(
        request, "filings:casework:case", tribunal=tribunal.slug, filing_id=filing.id
    )
    context: dict[str, Any] = {
        "waiver": waiver,
        "filing": filing,
        "charge": charge,
        "part_allowed": part_allowed,
        "threshold": fees.threshold_for(settings, waiver.household_size),
        "proofs": await services.proofs_of(db, filing),
        "case_url": staff_case_url,
        "back_url": url_path(request, "payments:waivers:list", tribunal=tribunal.slug),
    }
    if request.method == "GET":
        context["form"] = Form()
        return render(request, "payments/waivers/decide.html", context)
    if waiver.state is not WaiverState.REQUESTED:
        return _already_decided(request, filing, context["back_url"])
    form, read = decision_form(await request.form(), part_allowed=part_allowed)
    if read is None:
        context["form"] = form
        return render(request, "payments/waivers/decide.html", context, status_code=422)
    state, reason = read
    try:
        await services.decide(
            db,
            outbox_of(request),
            tribunal,
            filing,
            charge,
            waiver,
            state,
            reason,
            actor=signed_in_user(request),
            today=local_today(tribunal.time_zone),
        )
    except WaiverRefused as refused:
        if refused.conflict:
            return _already_decided(request, filing, context["back_url"])
        form.add_error("decision", refused.message)
        context["form"] = form
        return render(request, "payments/waivers/decide.html", context, status_code=422)
    return redirect(staff_case_url + "#fees")


def _already_decided(request: Request, filing: Filing, back_url: str) -> Response:
    return _refused(
        request,
        filing,
        i18n.gettext("This fee waiver was decided by someone else meanwhile. Nothing was changed."),
        back_url,
    )


routes: list[BaseRoute] = []

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/cases/{filing_id:uuid}/fee/waiver",
        request_waiver,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="payments:waivers:request",
        streaming_upload=True,
    ),
    TenantRoute(
        "/staff/fee-waivers",
        waiting_waivers,
        permission=Permission.PAYMENTS_WORK,
        methods=["GET"],
        name="payments:waivers:list",
    ),
    TenantRoute(
        "/staff/fee-waivers/{waiver_id:uuid}",
        decide,
        permission=Permission.PAYMENTS_WORK,
        methods=["GET", "POST"],
        name="payments:waivers:decide",
    ),
]
