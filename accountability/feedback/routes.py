"""Routes of `accountability.feedback`: the feedback forms every page links to (outside any
tribunal: the page they are about is a field), the registry's list and answers, and the hearing
satisfaction survey each party gets a link to."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accountability.feedback import services, survey
from accountability.feedback.forms import (
    CHOICE_LABELS,
    KIND_FIELD,
    KIND_LABELS,
    LANGUAGE_LABELS,
    PAGE_FIELD,
    ROLE_LABELS,
    SATISFACTION_CHOICES,
    STATUS_CHOICES,
    WRITTEN_KINDS,
    answer_form,
    feedback_form,
    kind_of,
    list_filters,
    survey_form,
)
from accountability.feedback.models import Feedback, FeedbackKind, SurveyChoice
from accountability.feedback.survey import LinkProblem
from accounts.middleware import current_user, signed_in_user
from tribunals.models import Role
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import i18n, ratelimits
from tribune.forms import Form
from tribune.web import db_of, outbox_of, page, redirect, render, settings_of, url_path

FORM_TEMPLATE = "accountability/feedback/form.html"


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- feedback from any page -----------------------------------------------------------------------


def _form_context(form: Form, kind: FeedbackKind, path: str) -> dict[str, Any]:
    return {
        "form": form,
        "kind": kind.value,
        "page_path": path,
        "max_length": services.FEEDBACK_MAX_LENGTH,
    }


async def feedback(request: Request) -> Response:
    """GET: the one question a "No" or a problem report asks. POST: a "Yes" from any page, or
    the question's answer; stored, then the thank-you page."""
    home = url_path(request, "tribunals:platform_home")
    if request.method == "GET":
        kind = kind_of(request.query_params.get(KIND_FIELD, ""))
        if kind not in WRITTEN_KINDS:
            kind = FeedbackKind.PROBLEM
        path = services.page_path(request.query_params.get(PAGE_FIELD, ""), home)
        return render(request, FORM_TEMPLATE, _form_context(Form(), kind, path))
    form, values = feedback_form(await request.form(), home)
    kind = kind_of(form.value(KIND_FIELD))
    if kind is None:
        # No page of ours sends this: the forms name the kind in a hidden field or a button.
        raise HTTPException(status_code=400)
    path = services.page_path(form.value(PAGE_FIELD), home)
    if values is None:
        return render(request, FORM_TEMPLATE, _form_context(form, kind, path), status_code=422)
    try:
        await services.send_feedback(
            db_of(request),
            settings_of(request).secret_key,
            values,
            user=current_user(request),
            address=_client_address(request),
            language=i18n.get_language(),
        )
    except ratelimits.LimitReachedError:
        return render(
            request,
            "accountability/feedback/too_many.html",
            {"page_path": path, "per_hour": services.FEEDBACK_PER_HOUR},
            status_code=429,
        )
    query = urlencode({PAGE_FIELD: path, KIND_FIELD: values.kind.value})
    return redirect(f"{url_path(request, 'accountability:feedback:thanks')}?{query}")


async def thanks(request: Request) -> Response:
    kind = kind_of(request.query_params.get(KIND_FIELD, "")) or FeedbackKind.HELPFUL
    return render(
        request,
        "accountability/feedback/thanks.html",
        {
            "page_path": services.page_path(
                request.query_params.get(PAGE_FIELD, ""),
                url_path(request, "tribunals:platform_home"),
            ),
            "kind": kind.value,
        },
    )


# -- the registry's list and answers --------------------------------------------------------------


def _staff_role(request: Request) -> str:
    return "admin" if Role.ADMIN in current_roles(request) else "clerk"


async def feedback_list(request: Request) -> Response:
    """The tribunal's feedback, newest first, filtered by status and kind, by keyset pages."""
    tribunal = current_tribunal(request)
    form, filters = list_filters(request.query_params)
    list_url = url_path(request, "accountability:feedback:list", tribunal=tribunal.slug)
    query = {"status": filters.status, "kind": filters.kind.value if filters.kind else ""}
    cursor = request.query_params.get("after", "")
    after = services.decode_cursor(cursor) if cursor else None
    rows = await services.feedback_rows(
        db_of(request), tribunal, filters, after, services.PAGE_SIZE + 1
    )
    next_url = None
    if len(rows) > services.PAGE_SIZE:
        rows = rows[: services.PAGE_SIZE]
        next_query = {**query, "after": services.encode_cursor(rows[-1].feedback)}
        next_url = f"{list_url}?{urlencode(next_query)}"
    return render(
        request,
        "accountability/feedback/list.html",
        {
            "form": form,
            "rows": rows,
            "next_url": next_url,
            "first_url": f"{list_url}?{urlencode(query)}" if after is not None else None,
            "status_choices": STATUS_CHOICES,
            "kind_choices": [("", i18n.gettext("All kinds"))]
            + [(kind.value, str(label)) for kind, label in KIND_LABELS.items()],
            "kind_labels": KIND_LABELS,
            "role_labels": ROLE_LABELS,
            "language_labels": LANGUAGE_LABELS,
        },
    )


async def _feedback_or_404(request: Request) -> Feedback:
    found = await services.feedback_of(
        db_of(request), current_tribunal(request), request.path_params["feedback_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found


async def _item_page(
    request: Request,
    item: Feedback,
    *,
    form: Form | None = None,
    refused: str | None = None,
    status_code: int = 200,
) -> Response:
    db = db_of(request)
    return render(
        request,
        "accountability/feedback/item.html",
        {
            "item": item,
            "answers": await services.answers_of(db, item),
            "handled_by": await services.name_of(db, item.handled_by_id),
            "form": form or Form(),
            "refused": refused,
            "sent": request.query_params.get("sent") == "1",
            "kind_labels": KIND_LABELS,
            "role_labels": ROLE_LABELS,
            "language_labels": LANGUAGE_LABELS,
            "max_length": services.ANSWER_MAX_LENGTH,
        },
        status_code=status_code,
    )


async def feedback_item(request: Request) -> Response:
    """One piece of feedback: what was said, from which page, the answers sent, and the forms
    to answer it (where an address was left) and mark it handled."""
    return await _item_page(request, await _feedback_or_404(request))


async def answer(request: Request) -> Response:
    tribunal = current_tribunal(request)
    item = await _feedback_or_404(request)
    form, body = answer_form(await request.form())
    if body is None:
        return await _item_page(request, item, form=form, status_code=422)
    try:
        await services.answer(
            db_of(request),
            outbox_of(request),
            tribunal,
            item,
            body,
            user=signed_in_user(request),
            role=_staff_role(request),
        )
    except services.FeedbackRefused as refused:
        return await _item_page(request, item, refused=refused.message, status_code=409)
    item_url = url_path(
        request, "accountability:feedback:item", tribunal=tribunal.slug, feedback_id=item.id
    )
    return redirect(f"{item_url}?sent=1")


async def handled(request: Request) -> Response:
    tribunal = current_tribunal(request)
    item = await _feedback_or_404(request)
    try:
        await services.mark_handled(
            db_of(request), tribunal, item, user=signed_in_user(request), role=_staff_role(request)
        )
    except services.FeedbackRefused as refused:
        return await _item_page(request, item, refused=refused.message, status_code=409)
    return redirect(url_path(request, "accountability:feedback:list", tribunal=tribunal.slug))


# -- the hearing satisfaction survey --------------------------------------------------------------

LINK_STATUS = {LinkProblem.UNKNOWN: 404, LinkProblem.EXPIRED: 400, LinkProblem.USED: 409}


def _link_problem(request: Request, problem: LinkProblem) -> Response:
    return render(
        request,
        "accountability/feedback/survey_link.html",
        {"problem": problem.value, "valid_days": survey.SURVEY_VALID_FOR.days},
        status_code=LINK_STATUS[problem],
    )


def _survey_page(request: Request, form: Form, token: str, status_code: int = 200) -> Response:
    return render(
        request,
        "accountability/feedback/survey.html",
        {
            "form": form,
            "token": token,
            "satisfaction_items": [
                (value, str(label), {}) for value, label in SATISFACTION_CHOICES
            ],
            "choice_items": [
                (choice.value, str(CHOICE_LABELS[choice]), {}) for choice in SurveyChoice
            ],
            "max_length": survey.COMMENT_MAX_LENGTH,
        },
        status_code=status_code,
    )


async def hearing_survey(request: Request) -> Response:
    """The three questions, from the link in the email (once per link, until it expires)."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    if request.method == "GET":
        token = request.query_params.get("token", "")
        found = await survey.invitation_for(db, tribunal, token)
        if isinstance(found, LinkProblem):
            return _link_problem(request, found)
        return _survey_page(request, Form(), token)
    data = await request.form()
    token = str(data.get("token", ""))
    found = await survey.invitation_for(db, tribunal, token)
    if isinstance(found, LinkProblem):
        return _link_problem(request, found)
    form, values = survey_form(data)
    if values is None:
        return _survey_page(request, form, token, status_code=422)
    problem = await survey.record_answer(db, tribunal, token, values, language=i18n.get_language())
    if problem is not None:
        return _link_problem(request, problem)
    return redirect(
        url_path(request, "accountability:feedback:survey_thanks", tribunal=tribunal.slug)
    )


async def survey_thanks(request: Request) -> Response:
    return render(request, "accountability/feedback/survey_thanks.html")


routes: list[BaseRoute] = [
    page("/feedback", feedback, methods=["GET", "POST"], name="accountability:feedback:form"),
    page("/feedback/thanks", thanks, name="accountability:feedback:thanks"),
]

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/feedback",
        feedback_list,
        permission=Permission.FEEDBACK_WORK,
        name="accountability:feedback:list",
    ),
    TenantRoute(
        "/staff/feedback/{feedback_id:uuid}",
        feedback_item,
        permission=Permission.FEEDBACK_WORK,
        name="accountability:feedback:item",
    ),
    TenantRoute(
        "/staff/feedback/{feedback_id:uuid}/answer",
        answer,
        permission=Permission.FEEDBACK_WORK,
        methods=["POST"],
        name="accountability:feedback:answer",
    ),
    TenantRoute(
        "/staff/feedback/{feedback_id:uuid}/handled",
        handled,
        permission=Permission.FEEDBACK_WORK,
        methods=["POST"],
        name="accountability:feedback:handled",
    ),
    # Public: the emailed link's token is the key, and nobody signs in to answer.
    TenantRoute(
        "/hearing-survey",
        hearing_survey,
        permission=Permission.PUBLIC,
        methods=["GET", "POST"],
        name="accountability:feedback:survey",
    ),
    TenantRoute(
        "/hearing-survey/thanks",
        survey_thanks,
        permission=Permission.PUBLIC,
        name="accountability:feedback:survey_thanks",
    ),
]
