"""Account pages: register, confirm, sign in and out, reset, and the person's own details."""

from __future__ import annotations

import math
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts import services
from accounts.forms import (
    CANADIAN_ZONES,
    email_form,
    language_field,
    name_field,
    new_password_field,
    registration_form,
    sign_in_form,
    time_zone_data,
    time_zone_form,
    zone_label,
)
from accounts.middleware import (
    clear_session_cookie,
    current_user,
    require_user,
    set_session_cookie,
    signed_in_user,
)
from accounts.models import TokenPurpose, User
from tribune import i18n, ratelimits
from tribune.db import EarlyCommit, commit_early, utcnow
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.i18n import ngettext
from tribune.web import (
    db_of,
    outbox_of,
    page,
    redirect,
    render,
    safe_next,
    settings_of,
    url_path,
)


def _invalid_link(request: Request, purpose: str) -> Response:
    """The page for a used, expired or made-up link from one of our emails."""
    return render(request, "accounts/link_invalid.html", {"purpose": purpose}, status_code=400)


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _minutes_until(moment: datetime | None) -> int:
    """Return the whole minutes, at least one, until a moment: what a throttled page says."""
    if moment is None:
        return 1
    return max(1, math.ceil((moment - utcnow()).total_seconds() / 60))


async def register(request: Request) -> Response:
    if current_user(request) is not None:
        return redirect(url_path(request, "accounts:account"))
    if request.method == "GET":
        return render(
            request, "accounts/register.html", {"form": Form({"language": i18n.get_language()})}
        )
    form = registration_form(await request.form())
    if not form.is_valid:
        return render(request, "accounts/register.html", {"form": form}, status_code=422)
    try:
        await services.register(
            db_of(request),
            outbox_of(request),
            settings_of(request),
            name=form.cleaned["name"],
            email=form.cleaned["email"],
            password=form.cleaned["password"],
            language=form.cleaned["language"],
            address=_client_address(request),
        )
    except ratelimits.TooManyMessagesError as refused:
        form.add_error("email", refused.message)
    except ratelimits.LimitReachedError:
        form.add_error(
            "email",
            _(
                "Too many accounts were registered from your network in the last hour. "
                "Wait an hour and try again."
            ),
        )
    else:
        return redirect(url_path(request, "accounts:check_email"))
    form.values["password"] = form.values["password_confirmation"] = ""
    return render(request, "accounts/register.html", {"form": form}, status_code=429)


async def register_check_email(request: Request) -> Response:
    return render(request, "accounts/check_email.html", {"reason": "register"})


async def confirm_email(request: Request) -> Response:
    db = db_of(request)
    if request.method == "GET":
        token = request.query_params.get("token", "")
        record = await services.valid_token(db, token, TokenPurpose.CONFIRM_EMAIL)
        if record is None:
            return _invalid_link(request, "confirm")
        return render(request, "accounts/confirm_email.html", {"token": token, "change": False})
    form = await request.form()
    token = str(form.get("token", ""))
    user = await services.confirm_email(db, token)
    if user is None:
        return _invalid_link(request, "confirm")
    return render(request, "accounts/email_confirmed.html", {"confirmed_user": user})


def _sign_in_page(
    request: Request, form: Form, status_code: int = 200, **extra: object
) -> Response:
    context = {
        "form": form,
        "next": safe_next(request.query_params.get("next") or form.value("next"), ""),
    }
    context.update(extra)
    return render(request, "accounts/sign_in.html", context, status_code=status_code)


async def sign_in(request: Request) -> Response:
    settings = settings_of(request)
    if request.method == "GET":
        if current_user(request) is not None:
            return redirect(
                safe_next(
                    request.query_params.get("next"), url_path(request, "tribunals:platform_home")
                )
            )
        return _sign_in_page(request, Form())
    form = sign_in_form(await request.form())
    if not form.is_valid:
        return _sign_in_page(request, form, 422)
    db = db_of(request)
    result = await services.sign_in(
        db,
        settings,
        email=form.value("email"),
        password=form.value("password"),
        address=_client_address(request),
    )
    outcome = result.outcome
    if outcome is services.SignInOutcome.THROTTLED:
        form.add_error(
            "email",
            ngettext(
                "Too many attempts to sign in. "
                "Wait %(num)d minute and try again, or reset your password",
                "Too many attempts to sign in. "
                "Wait %(num)d minutes and try again, or reset your password",
                _minutes_until(result.retry_at),
            ),
        )
        form.values["password"] = ""
        # The failed attempt itself is worth keeping: commit, then answer 429.
        await commit_early(db, EarlyCommit.KEEP_DESPITE_REFUSAL)
        return _sign_in_page(request, form, 429)
    if outcome is services.SignInOutcome.WRONG_CREDENTIALS:
        form.add_error("email", _("Enter the email address and password of your account"))
        form.values["password"] = ""
        await commit_early(db, EarlyCommit.KEEP_DESPITE_REFUSAL)
        return _sign_in_page(request, form, 422)
    assert result.user is not None
    if outcome is services.SignInOutcome.UNCONFIRMED:
        try:
            await services.resend_confirmation(
                db, outbox_of(request), settings, result.user, address=_client_address(request)
            )
        except ratelimits.TooManyMessagesError as refused:
            form.add_error("email", refused.message)
            form.values["password"] = ""
            return _sign_in_page(request, form, 429)
        return redirect(url_path(request, "accounts:check_email"))
    previous = request.state.user_session
    if previous is not None:
        services.end_session(db, previous)
    token = services.start_session(db, settings, result.user)
    response = redirect(safe_next(form.value("next"), url_path(request, "tribunals:platform_home")))
    set_session_cookie(response, settings, token)
    return response


async def sign_out(request: Request) -> Response:
    session = request.state.user_session
    if session is not None:
        services.end_session(db_of(request), session)
    response = redirect(url_path(request, "accounts:signed_out"))
    clear_session_cookie(response, settings_of(request))
    return response


@require_user
async def sign_out_everywhere(request: Request) -> Response:
    await services.end_all_sessions(db_of(request), signed_in_user(request).id)
    response = redirect(url_path(request, "accounts:signed_out"))
    clear_session_cookie(response, settings_of(request))
    return response


async def signed_out(request: Request) -> Response:
    return render(request, "accounts/signed_out.html")


async def password_reset(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "accounts/password_reset.html", {"form": Form()})
    form = email_form(await request.form())
    if not form.is_valid:
        return render(request, "accounts/password_reset.html", {"form": form}, status_code=422)
    try:
        await services.request_password_reset(
            db_of(request),
            outbox_of(request),
            settings_of(request),
            form.value("email"),
            address=_client_address(request),
        )
    except ratelimits.TooManyMessagesError as refused:
        form.add_error("email", refused.message)
        return render(request, "accounts/password_reset.html", {"form": form}, status_code=429)
    return redirect(url_path(request, "accounts:reset_sent"))


async def password_reset_sent(request: Request) -> Response:
    return render(request, "accounts/check_email.html", {"reason": "reset"})


async def password_reset_new(request: Request) -> Response:
    db = db_of(request)
    if request.method == "GET":
        token = request.query_params.get("token", "")
        record = await services.valid_token(db, token, TokenPurpose.RESET_PASSWORD)
        if record is None:
            return _invalid_link(request, "reset")
        return render(request, "accounts/password_new.html", {"form": Form(), "token": token})
    data = await request.form()
    token = str(data.get("token", ""))
    record = await services.valid_token(db, token, TokenPurpose.RESET_PASSWORD)
    if record is None:
        return _invalid_link(request, "reset")
    form = Form(data)
    user = await db.get_one(User, record.user_id)
    new_password_field(form, user.email)
    if not form.is_valid:
        return render(
            request, "accounts/password_new.html", {"form": form, "token": token}, status_code=422
        )
    await services.reset_password(db, token, form.value("password"))
    response = render(request, "accounts/password_changed.html", {"reset": True})
    clear_session_cookie(response, settings_of(request))
    return response


@require_user
async def account(request: Request) -> Response:
    user = signed_in_user(request)
    return render(request, "accounts/account.html", {"zone_label": zone_label(user.time_zone)})


@require_user
async def change_name(request: Request) -> Response:
    user = signed_in_user(request)
    if request.method == "GET":
        return render(request, "accounts/change_name.html", {"form": Form({"name": user.name})})
    form = Form(await request.form())
    name = name_field(form)
    if not form.is_valid:
        return render(request, "accounts/change_name.html", {"form": form}, status_code=422)
    services.change_name(db_of(request), user, name)
    return redirect(url_path(request, "accounts:account") + "?updated=name")


@require_user
async def change_language(request: Request) -> Response:
    user = signed_in_user(request)
    if request.method == "GET":
        return render(
            request, "accounts/change_language.html", {"form": Form({"language": user.language})}
        )
    form = Form(await request.form())
    language = language_field(form)
    if not form.is_valid:
        return render(request, "accounts/change_language.html", {"form": form}, status_code=422)
    services.change_language(db_of(request), user, language)
    i18n.set_language(language)
    return redirect(url_path(request, "accounts:account") + "?updated=language")


@require_user
async def change_time_zone(request: Request) -> Response:
    user = signed_in_user(request)
    context = {"zones": [(zone, str(label)) for zone, label in CANADIAN_ZONES]}
    if request.method == "GET":
        form = Form(time_zone_data(user.time_zone))
        return render(request, "accounts/change_time_zone.html", {**context, "form": form})
    form, zone = time_zone_form(await request.form())
    if not form.is_valid:
        return render(
            request, "accounts/change_time_zone.html", {**context, "form": form}, status_code=422
        )
    services.change_time_zone(db_of(request), user, zone)
    return redirect(url_path(request, "accounts:account") + "?updated=time_zone")


async def _check_current_password(request: Request, form: Form, user: User) -> int:
    """Check the form's current password under the sign-in throttle; return the status a
    refused form answers with (429 once the throttle holds, 422 otherwise)."""
    current = form.password("current_password", required=_("Enter your current password"))
    if not current:
        return 422
    db = db_of(request)
    check = await services.check_current_password(
        db, settings_of(request), user, current, address=_client_address(request)
    )
    if check.outcome is services.PasswordCheck.THROTTLED:
        form.add_error(
            "current_password",
            ngettext(
                "Too many wrong passwords. "
                "Wait %(num)d minute and try again, or reset your password",
                "Too many wrong passwords. "
                "Wait %(num)d minutes and try again, or reset your password",
                _minutes_until(check.retry_at),
            ),
        )
        return 429
    if check.outcome is services.PasswordCheck.WRONG:
        form.add_error("current_password", _("Your current password is not correct"))
        # The wrong try counts towards the throttle although the page answers 422.
        await commit_early(db, EarlyCommit.KEEP_DESPITE_REFUSAL)
    return 422


@require_user
async def change_password(request: Request) -> Response:
    user = signed_in_user(request)
    if request.method == "GET":
        return render(request, "accounts/change_password.html", {"form": Form()})
    form = Form(await request.form())
    status = await _check_current_password(request, form, user)
    new_password_field(form, user.email)
    if not form.is_valid:
        return render(request, "accounts/change_password.html", {"form": form}, status_code=status)
    await services.change_password(
        db_of(request), user, request.state.user_session, form.value("password")
    )
    return redirect(url_path(request, "accounts:account") + "?updated=password")


@require_user
async def change_email(request: Request) -> Response:
    user = signed_in_user(request)
    if request.method == "GET":
        return render(request, "accounts/change_email.html", {"form": Form()})
    form = Form(await request.form())
    new_email = form.email("email", required=_("Enter your new email address"))
    if new_email and new_email == user.email:
        form.add_error("email", _("This is already your email address"))
    status = await _check_current_password(request, form, user)
    if not form.is_valid:
        return render(request, "accounts/change_email.html", {"form": form}, status_code=status)
    try:
        await services.request_email_change(
            db_of(request), outbox_of(request), settings_of(request), user, new_email
        )
    except ratelimits.TooManyMessagesError as refused:
        form.add_error("email", refused.message)
        return render(request, "accounts/change_email.html", {"form": form}, status_code=429)
    return render(request, "accounts/check_email.html", {"reason": "change_email"})


async def confirm_email_change(request: Request) -> Response:
    db = db_of(request)
    if request.method == "GET":
        token = request.query_params.get("token", "")
        record = await services.valid_token(db, token, TokenPurpose.CHANGE_EMAIL)
        if record is None:
            return _invalid_link(request, "change_email")
        return render(request, "accounts/confirm_email.html", {"token": token, "change": True})
    token = str((await request.form()).get("token", ""))
    user = await services.confirm_email_change(db, outbox_of(request), token)
    if user is None:
        return _invalid_link(request, "change_email")
    return redirect(url_path(request, "accounts:account") + "?updated=email")


async def switch_language(request: Request) -> Response:
    """The header's language switch: remembered in a cookie, and saved for signed-in people."""
    form = await request.form()
    language = str(form.get("language", ""))
    target = safe_next(str(form.get("next", "")), url_path(request, "tribunals:platform_home"))
    if language not in i18n.LANGUAGES:
        return redirect(target)
    user = current_user(request)
    if user is not None:
        services.change_language(db_of(request), user, language)
    response = redirect(target)
    settings = settings_of(request)
    response.set_cookie(
        i18n.language_cookie_name(settings.cookie_prefix),
        language,
        max_age=365 * 24 * 3600,
        path="/",
        secure=settings.is_production,
        httponly=True,
        samesite="lax",
    )
    return response


routes: list[BaseRoute] = [
    page("/register", register, methods=["GET", "POST"], name="accounts:register"),
    page("/register/check-email", register_check_email, name="accounts:check_email"),
    page("/confirm-email", confirm_email, methods=["GET", "POST"], name="accounts:confirm_email"),
    page("/sign-in", sign_in, methods=["GET", "POST"], name="accounts:sign_in"),
    page("/sign-out", sign_out, methods=["POST"], name="accounts:sign_out"),
    page(
        "/sign-out-everywhere",
        sign_out_everywhere,
        methods=["POST"],
        name="accounts:sign_out_everywhere",
    ),
    page("/signed-out", signed_out, name="accounts:signed_out"),
    page("/password-reset", password_reset, methods=["GET", "POST"], name="accounts:reset"),
    page("/password-reset/sent", password_reset_sent, name="accounts:reset_sent"),
    page(
        "/password-reset/new",
        password_reset_new,
        methods=["GET", "POST"],
        name="accounts:reset_new",
    ),
    page("/account", account, name="accounts:account"),
    page("/account/name", change_name, methods=["GET", "POST"], name="accounts:change_name"),
    page("/account/email", change_email, methods=["GET", "POST"], name="accounts:change_email"),
    page(
        "/account/email/confirm",
        confirm_email_change,
        methods=["GET", "POST"],
        name="accounts:confirm_email_change",
    ),
    page(
        "/account/password",
        change_password,
        methods=["GET", "POST"],
        name="accounts:change_password",
    ),
    page(
        "/account/language",
        change_language,
        methods=["GET", "POST"],
        name="accounts:change_language",
    ),
    page(
        "/account/time-zone",
        change_time_zone,
        methods=["GET", "POST"],
        name="accounts:change_time_zone",
    ),
    page("/language", switch_language, methods=["POST"], name="accounts:switch_language"),
]
