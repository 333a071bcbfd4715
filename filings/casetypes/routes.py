"""The case-type editor: administrators draft, preview and publish versions of a kind of case."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings.casetypes import services as casetype_services
from filings.casetypes.definitions import (
    DOCUMENT_KINDS,
    CaseTypeDefinition,
    DefinitionError,
    QuestionType,
)
from filings.casetypes.forms import (
    CODE_PATTERN,
    MAX_CODE_LENGTH,
    details_form,
    form_with,
    question_form,
    read_deadline,
    read_details,
    read_question,
    read_slot,
    slot_form,
)
from filings.casetypes.labels import (
    KIND_LABELS,
    kinds_text,
    question_type_names,
    slots_shown,
    validation_summary,
)
from filings.casetypes.parsing import parse_definition
from filings.models import CaseType, CaseTypeVersion, VersionStatus
from tribunals.models import Tribunal
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.web import db_of, redirect, render, url_path

DraftEndpoint = Callable[[Request, CaseType, CaseTypeVersion], Awaitable[Response]]


def _list_url(request: Request, tribunal: Tribunal) -> str:
    return url_path(request, "filings:casetypes:list", tribunal=tribunal.slug)


def _version_url(request: Request, tribunal: Tribunal, version: CaseTypeVersion) -> str:
    """Return the editor's address for a version."""
    return url_path(
        request, "filings:casetypes:edit", tribunal=tribunal.slug, version_id=version.id
    )


def _definition_of(version: CaseTypeVersion) -> dict[str, Any]:
    """Return a version's definition as stored, with the parts a definition must have."""
    return {**casetype_services.EMPTY_DEFINITION, **(version.definition or {})}


def _parsed(version: CaseTypeVersion) -> tuple[CaseTypeDefinition, list[str]]:
    """Return the version's parsed definition, or an empty one and why it cannot be used."""
    try:
        return parse_definition(_definition_of(version)), []
    except DefinitionError as error:
        return CaseTypeDefinition(), error.problems


def _parsed_response(version: CaseTypeVersion) -> tuple[CaseTypeDefinition, list[str]]:
    """Return the version's response questions and slots, or none and why they cannot be used."""
    try:
        return casetype_services.parse_response(_definition_of(version).get("response") or {}), []
    except DefinitionError as error:
        return CaseTypeDefinition(), error.problems


def _render_editor(
    request: Request,
    case_type: CaseType,
    version: CaseTypeVersion,
    *,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    definition, stored_problems = _parsed(version)
    response, response_problems = _parsed_response(version)
    return render(
        request,
        "filings/casetypes/edit.html",
        {
            "case_type": case_type,
            "version": version,
            "definition": definition,
            "response": response,
            "stored_problems": stored_problems + response_problems,
            "problems": problems or [],
            "form": Form(),
            "type_names": question_type_names(),
            "validation_summary": validation_summary,
            "kinds_text": kinds_text,
        },
        status_code=status_code,
    )


def _not_editable(
    request: Request, case_type: CaseType, version: CaseTypeVersion, draft: CaseTypeVersion | None
) -> Response:
    return render(
        request,
        "filings/casetypes/not_editable.html",
        {"case_type": case_type, "version": version, "draft": draft},
        status_code=409,
    )


async def _existing_draft(request: Request, case_type: CaseType) -> CaseTypeVersion | None:
    versions = await casetype_services.versions_of(db_of(request), case_type)
    return next((v for v in versions if v.status is VersionStatus.DRAFT), None)


async def _version(
    request: Request, *, for_update: bool = False
) -> tuple[CaseType, CaseTypeVersion]:
    found = await casetype_services.version_in(
        db_of(request),
        current_tribunal(request).id,
        request.path_params["version_id"],
        for_update=for_update,
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _draft_page(endpoint: DraftEndpoint) -> Callable[[Request], Awaitable[Response]]:
    """Give the endpoint the draft named in the path; any other version gets a 409 page.

    A change locks the draft's row first, so changes made at the same moment apply one
    after the other, each to the definition the other left.
    """

    @functools.wraps(endpoint)
    async def with_draft(request: Request) -> Response:
        case_type, version = await _version(request, for_update=request.method == "POST")
        if version.status is not VersionStatus.DRAFT:
            return _not_editable(
                request, case_type, version, await _existing_draft(request, case_type)
            )
        return await endpoint(request, case_type, version)

    return with_draft


def _apply(version: CaseTypeVersion, definition: dict[str, Any]) -> list[str]:
    """Save a new definition on the draft; return the problems that kept it from being saved."""
    try:
        casetype_services.update_draft_definition(version, definition)
    except DefinitionError as error:
        return error.problems
    return []


# -- the pages ----------------------------------------------------------------------------


async def case_type_list(request: Request) -> Response:
    tribunal = current_tribunal(request)
    summaries = await casetype_services.case_types_of(db_of(request), tribunal.id)
    published = request.query_params.get("published")
    return render(
        request,
        "filings/casetypes/list.html",
        {
            "summaries": summaries,
            "published": next(
                (
                    version
                    for summary in summaries
                    for version in summary.versions
                    if str(version.id) == published
                ),
                None,
            ),
        },
    )


async def create(request: Request) -> Response:
    """A new case type: its code and texts; version 1 is a draft asking nothing yet."""
    tribunal = current_tribunal(request)
    if request.method == "GET":
        return render(request, "filings/casetypes/new.html", {"form": Form()})
    form = Form(await request.form())
    code = form.text(
        "code", required=_("Enter a code, like benefits-appeal"), max_length=MAX_CODE_LENGTH
    )
    texts = read_details(form)
    if code and "code" not in form.errors and not CODE_PATTERN.fullmatch(code):
        form.add_error(
            "code",
            _(
                "The code can hold only lowercase letters, digits and single hyphens, "
                "like benefits-appeal"
            ),
        )
    version = None
    if form.is_valid:
        try:
            version = await casetype_services.create_draft_case_type(
                db_of(request), tribunal, code, texts, actor=signed_in_user(request)
            )
        except casetype_services.CodeTakenError:
            form.add_error("code", _("This tribunal already has a case type with this code"))
    if version is None:
        return render(request, "filings/casetypes/new.html", {"form": form}, status_code=422)
    return redirect(_version_url(request, tribunal, version))


@_draft_page
async def edit(request: Request, case_type: CaseType, version: CaseTypeVersion) -> Response:
    """The draft at a glance: its texts, questions, document slots, deadline and fee."""
    return _render_editor(request, case_type, version)


@_draft_page
async def details(request: Request, case_type: CaseType, version: CaseTypeVersion) -> Response:
    tribunal = current_tribunal(request)
    context: dict[str, Any] = {"case_type": case_type, "version": version}
    if request.method == "GET":
        context["form"] = details_form(version)
        return render(request, "filings/casetypes/details.html", context)
    form = Form(await request.form())
    texts = read_details(form)
    if not form.is_valid:
        context["form"] = form
        return render(request, "filings/casetypes/details.html", context, status_code=422)
    casetype_services.update_draft_texts(version, texts)
    return redirect(_version_url(request, tribunal, version))


async def _item_page(
    request: Request,
    case_type: CaseType,
    version: CaseTypeVersion,
    *,
    part: str,
    list_name: str,
    template: str,
    reader: Callable[[Form], dict[str, Any]],
    to_form: Callable[[dict[str, Any]], Form],
    empty: dict[str, Any],
) -> Response:
    """Add a question or document slot to the part (the filing's or the response's), or
    edit the one keyed in the path."""
    tribunal = current_tribunal(request)
    definition = _definition_of(version)
    replacing = request.path_params.get("key")
    existing = (
        casetype_services.item_of(definition, list_name, replacing, part=part)
        if replacing
        else None
    )
    if replacing is not None and existing is None:
        raise HTTPException(status_code=404)
    context: dict[str, Any] = {
        "case_type": case_type,
        "version": version,
        "adding": replacing is None,
        "for_response": part == casetype_services.RESPONSE,
        "anchor": _anchor(part, list_name),
        "action": request.url.path,
        "problems": [],
        "type_items": [(value, name, {}) for value, name in question_type_names().items()],
        "kind_items": [(kind, str(KIND_LABELS[kind]), {}) for kind in DOCUMENT_KINDS],
    }
    if request.method == "GET":
        context["form"] = to_form(existing or empty)
        return render(request, template, context)
    form = Form(await request.form())
    item = reader(form)
    context["form"] = form
    if form.is_valid:
        changed = casetype_services.with_item(
            definition, list_name, item, replacing=replacing, part=part
        )
        context["problems"] = _apply(version, changed)
        if not context["problems"]:
            return redirect(_version_url(request, tribunal, version))
    return render(request, template, context, status_code=422)


def _anchor(part: str, list_name: str) -> str:
    """Return the id of the editor's heading over a part's questions or document slots."""
    anchor = "questions" if list_name == "questions" else "document-slots"
    return f"response-{anchor}" if part == casetype_services.RESPONSE else anchor


def _item_editor(part: str, list_name: str) -> DraftEndpoint:
    """Return the endpoint that adds or edits a question or document slot of the part."""

    reader: Callable[[Form], dict[str, Any]]
    to_form: Callable[[dict[str, Any]], Form]
    if list_name == "questions":
        template, reader, to_form = "filings/casetypes/question.html", read_question, question_form
        empty: dict[str, Any] = {"required": True}
    else:
        template, reader, to_form = "filings/casetypes/slot.html", read_slot, slot_form
        empty = {"required": False, "max_files": 1, "kinds": list(DOCUMENT_KINDS)}

    async def endpoint(request: Request, case_type: CaseType, version: CaseTypeVersion) -> Response:
        return await _item_page(
            request,
            case_type,
            version,
            part=part,
            list_name=list_name,
            template=template,
            reader=reader,
            to_form=to_form,
            empty=empty,
        )

    return endpoint


def _item_change(part: str, list_name: str, change: str) -> DraftEndpoint:
    """Return an endpoint that removes, or moves up or down, one question or slot of the part."""

    async def endpoint(request: Request, case_type: CaseType, version: CaseTypeVersion) -> Response:
        definition = _definition_of(version)
        key = request.path_params["key"]
        if casetype_services.item_of(definition, list_name, key, part=part) is None:
            raise HTTPException(status_code=404)
        if change == "remove":
            changed = casetype_services.without_item(definition, list_name, key, part=part)
        else:
            direction = (await request.form()).get("direction")
            if direction not in ("up", "down"):
                raise HTTPException(status_code=400)
            offset = -1 if direction == "up" else 1
            changed = casetype_services.with_item_moved(
                definition, list_name, key, offset, part=part
            )
        problems = _apply(version, changed)
        if problems:
            return _render_editor(request, case_type, version, problems=problems, status_code=422)
        tribunal = current_tribunal(request)
        return redirect(f"{_version_url(request, tribunal, version)}#{_anchor(part, list_name)}")

    return endpoint


@_draft_page
async def deadline(request: Request, case_type: CaseType, version: CaseTypeVersion) -> Response:
    tribunal = current_tribunal(request)
    definition = _definition_of(version)
    parsed, _problems = _parsed(version)
    context: dict[str, Any] = {
        "case_type": case_type,
        "version": version,
        "problems": [],
        "date_questions": [
            (q.key, q.label.current(), {}) for q in parsed.questions if q.type is QuestionType.DATE
        ],
    }
    if request.method == "GET":
        rule = definition.get("deadline") or {}
        context["form"] = form_with(
            {
                "has_deadline": "yes" if rule else "no",
                "days": rule.get("days", ""),
                "from_question": rule.get("from_question", ""),
            }
        )
        return render(request, "filings/casetypes/deadline.html", context)
    form = Form(await request.form())
    days, from_question = read_deadline(form)
    context["form"] = form
    if form.is_valid:
        context["problems"] = _apply(
            version, casetype_services.with_deadline(definition, days, from_question)
        )
        if not context["problems"]:
            return redirect(_version_url(request, tribunal, version))
    return render(request, "filings/casetypes/deadline.html", context, status_code=422)


@_draft_page
async def fee(request: Request, case_type: CaseType, version: CaseTypeVersion) -> Response:
    tribunal = current_tribunal(request)
    definition = _definition_of(version)
    context: dict[str, Any] = {"case_type": case_type, "version": version, "problems": []}
    if request.method == "GET":
        charged = bool((definition.get("fee") or {}).get("applies"))
        context["form"] = form_with({"fee_applies": "yes" if charged else "no"})
        return render(request, "filings/casetypes/fee.html", context)
    form = Form(await request.form())
    applies = form.choice("fee_applies", ("yes", "no"), required=_("Select yes if a fee applies"))
    context["form"] = form
    if form.is_valid:
        context["problems"] = _apply(
            version, casetype_services.with_fee(definition, applies == "yes")
        )
        if not context["problems"]:
            return redirect(_version_url(request, tribunal, version))
    return render(request, "filings/casetypes/fee.html", context, status_code=422)


async def preview(request: Request) -> Response:
    """Show a version's pages as a claimant sees them, with nothing that can be sent."""
    case_type, version = await _version(request)
    definition, problems = _parsed(version)
    response, response_problems = _parsed_response(version)
    return render(
        request,
        "filings/casetypes/preview.html",
        {
            "case_type": case_type,
            "version": version,
            "definition": definition,
            "stored_problems": problems + response_problems,
            "slots": slots_shown(definition),
            "response": response,
            "response_slots": slots_shown(response),
            "form": Form(),
        },
    )


@_draft_page
async def publish(request: Request, case_type: CaseType, version: CaseTypeVersion) -> Response:
    """Confirm, then publish the draft; the published version it replaces is retired."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    versions = await casetype_services.versions_of(db, case_type)
    current = next((v for v in versions if v.status is VersionStatus.PUBLISHED), None)
    context: dict[str, Any] = {
        "case_type": case_type,
        "version": version,
        "current": current,
        "problems": [],
        "form": Form(),
    }
    try:
        context["problems"] = casetype_services.publishing_problems(version)
    except casetype_services.NothingToPublishError:
        context["form"].add_error(
            "add-question",
            _("Add at least one question or document slot before you publish"),
        )
    blocked = bool(context["problems"]) or not context["form"].is_valid
    if request.method == "GET":
        return render(request, "filings/casetypes/publish.html", context)
    if blocked:
        return render(request, "filings/casetypes/publish.html", context, status_code=422)
    await casetype_services.publish_draft(db, version, actor=signed_in_user(request))
    return redirect(f"{_list_url(request, tribunal)}?published={version.id}")


async def new_draft(request: Request) -> Response:
    """Copy a published (or retired) version into a new draft, the case type's next version."""
    tribunal = current_tribunal(request)
    case_type, version = await _version(request, for_update=True)
    db = db_of(request)
    try:
        draft = await casetype_services.new_draft_from(db, version, actor=signed_in_user(request))
    except casetype_services.VersionNotEditableError:
        return redirect(_version_url(request, tribunal, version))
    except casetype_services.DraftExistsError as error:
        existing = error.draft or await _existing_draft(request, case_type)
        return _not_editable(request, case_type, version, existing)
    return redirect(_version_url(request, tribunal, draft))


def _manage(
    path: str,
    endpoint: Callable[[Request], Awaitable[Response]],
    name: str,
    *,
    methods: tuple[str, ...] = ("GET",),
) -> BaseRoute:
    return TenantRoute(
        f"/staff/case-types{path}",
        endpoint,
        permission=Permission.CASE_TYPES_MANAGE,
        methods=methods,
        name=f"filings:casetypes:{name}",
    )


_VERSION = "/versions/{version_id:uuid}"
_GET_POST = ("GET", "POST")


def _item_routes(part: str) -> list[BaseRoute]:
    """Return the routes that add, edit, remove and move a part's questions and slots: the
    filing's under the version, the response's under ``.../response``."""
    prefix, name = (
        (f"{_VERSION}/response", "response_")
        if part == casetype_services.RESPONSE
        else (_VERSION, "")
    )
    routes = []
    for list_name, segment, noun in (
        ("questions", "questions", "question"),
        ("document_slots", "slots", "slot"),
    ):
        editor = _draft_page(_item_editor(part, list_name))
        item = f"{prefix}/{segment}/{{key}}"
        routes += [
            _manage(f"{prefix}/add-{noun}", editor, f"add_{name}{noun}", methods=_GET_POST),
            _manage(item, editor, f"{name}{noun}", methods=_GET_POST),
            _manage(
                f"{item}/remove",
                _draft_page(_item_change(part, list_name, "remove")),
                f"remove_{name}{noun}",
                methods=("POST",),
            ),
            _manage(
                f"{item}/move",
                _draft_page(_item_change(part, list_name, "move")),
                f"move_{name}{noun}",
                methods=("POST",),
            ),
        ]
    return routes


tenant_routes: list[BaseRoute] = [
    _manage("", case_type_list, "list"),
    _manage("/new", create, "create", methods=_GET_POST),
    _manage(_VERSION, edit, "edit"),
    _manage(f"{_VERSION}/details", details, "details", methods=_GET_POST),
    *_item_routes(casetype_services.FILING),
    *_item_routes(casetype_services.RESPONSE),
    _manage(f"{_VERSION}/deadline", deadline, "deadline", methods=_GET_POST),
    _manage(f"{_VERSION}/fee", fee, "fee", methods=_GET_POST),
    _manage(f"{_VERSION}/preview", preview, "preview"),
    _manage(f"{_VERSION}/publish", publish, "publish", methods=_GET_POST),
    _manage(f"{_VERSION}/new-draft", new_draft, "new_draft", methods=("POST",)),
]
