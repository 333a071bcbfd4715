"""Routes of `accountability.texts`: the account's text message page (a mobile number, its
code, consent, STOP and START, removing it), and the SMS provider's callbacks.

The callbacks are machine-to-machine (``tribune.web.signed_webhook``: no CSRF token, a 64 KiB
body), authenticated by the bearer token the provider puts in their Authorization header,
compared in constant time. Unverified, or while no token is configured, they answer a plain
``400 refused`` and change nothing; a verified one is answered 200 whatever it asked (an
unknown number, another word), so that the provider does not send it again.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from accountability.texts import forms, services
from accountability.texts.models import MobileNumber
from accounts.middleware import require_user, signed_in_user
from tribune.db import EarlyCommit, commit_early
from tribune.forms import Form
from tribune.texts import text_provider_of
from tribune.web import (
    db_of,
    outbox_of,
    page,
    redirect,
    render,
    settings_of,
    signed_webhook,
    url_path,
)

log = logging.getLogger("tribune.texts")


def _available(request: Request) -> bool:
    """Texts are offered where they can be sent, and in development (where they stay in the
    outbox); a deployment without a provider does not ask for numbers it will never text."""
    return text_provider_of(request).delivers or settings_of(request).is_development


def _overview_url(request: Request, updated: str = "") -> str:
    path = url_path(request, "accountability:texts:overview")
    return f"{path}?updated={updated}" if updated else path


async def _overview(
    request: Request,
    mobile: MobileNumber | None,
    consent_form: Form | None = None,
    status_code: int = 200,
) -> Response:
    user = signed_in_user(request)
    context = {
        "available": _available(request),
        "mobile": mobile,
        "number": forms.shown(mobile.number) if mobile else "",
        "consent_form": consent_form or Form(),
        "history": await services.consent_history(db_of(request), user),
        "updated": request.query_params.get("updated", ""),
    }
    return render(request, "accountability/texts/overview.html", context, status_code=status_code)


@require_user
async def overview(request: Request) -> Response:
    """The person's number, whether it is confirmed and takes reminders, and what they can do."""
    mobile = await services.number_of(db_of(request), signed_in_user(request))
    return await _overview(request, mobile)


async def _mobile_or_404(request: Request) -> MobileNumber | None:
    if not _available(request):
        raise HTTPException(status_code=404)
    return await services.number_of(db_of(request), signed_in_user(request))


@require_user
async def number(request: Request) -> Response:
    """Give (or change) the mobile number: a code is texted to it."""
    mobile = await _mobile_or_404(request)
    template = "accountability/texts/number.html"
    if request.method == "GET":
        shown = forms.shown(mobile.number) if mobile is not None else ""
        return render(request, template, {"form": Form({"number": shown}), "mobile": mobile})
    form, new_number = forms.number_form(await request.form())
    if new_number is None:
        return render(request, template, {"form": form, "mobile": mobile}, status_code=422)
    try:
        await services.set_number(
            db_of(request), settings_of(request), signed_in_user(request), new_number
        )
    except services.NumberRefused as refused:
        form.add_error("number", refused.message)
        return render(
            request, template, {"form": form, "mobile": mobile}, status_code=refused.status_code
        )
    return redirect(url_path(request, "accountability:texts:confirm"))


def _confirm_page(
    request: Request, mobile: MobileNumber, form: Form, status_code: int = 200
) -> Response:
    context = {"form": form, "mobile": mobile, "number": forms.shown(mobile.number)}
    return render(request, "accountability/texts/confirm.html", context, status_code=status_code)


@require_user
async def confirm(request: Request) -> Response:
    """Enter the code texted to the number, which confirms it."""
    mobile = await _mobile_or_404(request)
    if mobile is None or (mobile.is_confirmed and request.method == "GET"):
        return redirect(_overview_url(request))
    if request.method == "GET":
        return _confirm_page(request, mobile, Form())
    form, code = forms.code_form(await request.form())
    if code is None:
        return _confirm_page(request, mobile, form, 422)
    tries = mobile.code_tries
    try:
        services.confirm(settings_of(request), mobile, code)
    except services.CodeRefused as refused:
        form.add_error("code", refused.message)
        if mobile.code_tries != tries:
            # The wrong try counts towards the limit although the page refuses it.
            await commit_early(db_of(request), EarlyCommit.KEEP_DESPITE_REFUSAL)
        return _confirm_page(request, mobile, form, refused.status_code)
    return redirect(_overview_url(request, "confirmed"))


@require_user
async def new_code(request: Request) -> Response:
    """Text a new code to the unconfirmed number."""
    mobile = await _mobile_or_404(request)
    if mobile is None or mobile.is_confirmed:
        return redirect(_overview_url(request))
    try:
        await services.send_code(
            db_of(request), settings_of(request), signed_in_user(request), mobile
        )
    except services.NumberRefused as refused:
        form = Form()
        form.add_error("code", refused.message)
        return _confirm_page(request, mobile, form, refused.status_code)
    return redirect(url_path(request, "accountability:texts:confirm") + "?sent=new")


@require_user
async def reminders(request: Request) -> Response:
    """Turn text reminders on (the consent box ticked) or off: START and STOP on the page."""
    mobile = await _mobile_or_404(request)
    if mobile is None:
        return redirect(_overview_url(request))
    data = await request.form()
    action = data.get("action")
    if action == "stop":
        await services.stop(db_of(request), mobile)
        return redirect(_overview_url(request, "stopped"))
    if action != "start":
        raise HTTPException(status_code=400)
    form = forms.consent_form(data)
    if not form.is_valid:
        return await _overview(request, mobile, form, 422)
    try:
        services.give_consent(db_of(request), mobile)
    except services.ConsentRefused as refused:
        form.add_error("consent", refused.message)
        return await _overview(request, mobile, form, 409)
    return redirect(_overview_url(request, "started"))


@require_user
async def remove(request: Request) -> Response:
    """Remove the number from the account."""
    mobile = await _mobile_or_404(request)
    if mobile is not None:
        await services.remove(db_of(request), mobile)
    return redirect(_overview_url(request, "removed"))


# -- the provider's callbacks -------------------------------------------------------------------


def _refused(request: Request, reason: str) -> Response:
    route = request.scope.get("route")
    log.warning("callback refused", extra={"route": getattr(route, "name", None), "reason": reason})
    return PlainTextResponse("refused", status_code=400)


def _verified(request: Request) -> bool:
    return text_provider_of(request).verify_callback(request.headers.get("authorization"))


async def received_text(request: Request) -> Response:
    """A text a person sent to the platform's number: STOP and its synonyms, or START."""
    if not _verified(request):
        return _refused(request, "not verified")
    try:
        text = forms.received(await request.body())
    except forms.Malformed as error:
        return _refused(request, f"malformed: {error}")
    outcome = await services.handle_received(db_of(request), text.source_number, text.message)
    return PlainTextResponse(outcome.value)


async def delivery_receipt(request: Request) -> Response:
    """A delivery receipt: the status of a text we sent."""
    if not _verified(request):
        return _refused(request, "not verified")
    try:
        receipt = forms.receipt(await request.body())
    except forms.Malformed as error:
        return _refused(request, f"malformed: {error}")
    message = await services.handle_receipt(
        db_of(request),
        outbox_of(request),
        provider_id=receipt.provider_id,
        reference=receipt.reference,
        status=receipt.status,
        detail=receipt.detail,
    )
    return PlainTextResponse("recorded" if message is not None else "ignored")


routes: list[BaseRoute] = [
    page("/account/text-messages", overview, name="accountability:texts:overview"),
    page(
        "/account/text-messages/number",
        number,
        methods=["GET", "POST"],
        name="accountability:texts:number",
    ),
    page(
        "/account/text-messages/confirm",
        confirm,
        methods=["GET", "POST"],
        name="accountability:texts:confirm",
    ),
    page(
        "/account/text-messages/new-code",
        new_code,
        methods=["POST"],
        name="accountability:texts:new_code",
    ),
    page(
        "/account/text-messages/reminders",
        reminders,
        methods=["POST"],
        name="accountability:texts:reminders",
    ),
    page(
        "/account/text-messages/remove",
        remove,
        methods=["POST"],
        name="accountability:texts:remove",
    ),
    signed_webhook(
        "/webhooks/text-messages/received", received_text, name="accountability:texts:received"
    ),
    signed_webhook(
        "/webhooks/text-messages/status", delivery_receipt, name="accountability:texts:status"
    ),
]
tenant_routes: list[BaseRoute] = []
