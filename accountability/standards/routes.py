"""Routes of `accountability.standards`: the staff's figures and the cases at risk of missing a
standard; the administrators' definitions of the standards (each change a new version); and
the quarterly publication of the figures, its corrections and their recomputation."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accountability.standards import events, snapshots
from accountability.standards.chart import Bar, quarters_chart
from accountability.standards.docket import AT_RISK, AT_RISK_WITHIN_DAYS
from accountability.standards.forms import (
    FIELDS,
    UNIT_LABELS,
    UNIT_NAMES,
    correction_form,
    definition_form,
    merge_errors,
    quarter_from_key,
    quarter_key,
    version_form,
)
from accountability.standards.measurement import (
    BREAKDOWN_LABELS,
    VALUE_LABELS,
    AtRiskPage,
    StandardFigures,
    cases_at_risk,
    measure_quarter,
)
from accountability.standards.models import (
    PublishedFigures,
    ServiceStandard,
    StandardVersion,
)
from accountability.standards.periods import Quarter
from accountability.standards.services import (
    DefinitionRefused,
    StandardDefinition,
    add_version,
    create_standard,
    definition_errors,
    definitions_in_force,
    names_of,
    standard_of,
    standards_of,
    version_in_force,
    versions_of,
)
from accounts.middleware import signed_in_user
from filings.casetypes.services import case_types_of
from tribunals.models import Tribunal
from tribunals.permissions import Permission, permissions_of
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import i18n
from tribune.db import local_today, utcnow
from tribune.forms import Form
from tribune.web import db_of, redirect, render, url_path

# Cases at risk listed per standard on the figures page, and per page of a standard's list.
AT_RISK_PAGE_SIZE = 20
# Published quarters shown beside the current one.
QUARTERS_SHOWN = 4
# Ended quarters offered to publish, and published ones listed, the latest first.
QUARTERS_LISTED = 8
_CURSOR = re.compile(r"(-?[0-9]{1,7})_([0-9a-f-]{36})")


# -- the staff's figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterRow:
    """A quarter of a standard as the staff see it: exact counts (not the public cells)."""

    quarter: Quarter
    figures: StandardFigures | None
    running: bool = False


@dataclass(frozen=True)
class StandardPanel:
    """One standard in force on the figures page."""

    definition: StandardDefinition
    rows: list[QuarterRow]
    chart: Markup
    at_risk: AtRiskPage
    next_url: str | None


def _share(figures: StandardFigures | None) -> float | None:
    share = figures.totals.share_met if figures is not None else None
    return None if share is None else share * 100


def _chart(standard: StandardDefinition, rows: list[QuarterRow]) -> Markup:
    version = standard.version
    name = i18n.localised(version, "name")
    return quarters_chart(
        chart_id=f"chart-{standard.standard.code}",
        title=i18n.gettext("%(name)s: share of cases within the limit", name=name),
        description=i18n.gettext(
            "The share of cases whose clock stopped within the limit, each quarter, against "
            "a target of %(target)s %%. The table below gives the same figures.",
            target=version.target_percent,
        ),
        bars=[
            Bar(
                label=row.quarter.label,
                share=_share(row.figures),
                missing_label=i18n.gettext("no case"),
            )
            for row in rows
        ],
        target=version.target_percent,
        target_label=i18n.gettext("Target %(target)s %%", target=version.target_percent),
    )


def _cursor(page: AtRiskPage) -> str | None:
    if page.next_after is None:
        return None
    overdue, filing_id = page.next_after
    return f"{overdue}_{filing_id}"


def _after(value: str) -> tuple[int, uuid.UUID] | None:
    """Return the key a page cursor names, or None (the first page) if it names none."""
    matched = _CURSOR.fullmatch(value)
    if matched is None:
        return None
    try:
        return int(matched.group(1)), uuid.UUID(matched.group(2))
    except ValueError:
        return None


def _at_risk_url(
    request: Request, tribunal: Tribunal, standard: ServiceStandard, after: str
) -> str:
    base = url_path(
        request, "accountability:standards:at_risk", tribunal=tribunal.slug, standard_id=standard.id
    )
    return f"{base}?{urlencode({'after': after})}"


def _docket_at_risk_url(request: Request, tribunal: Tribunal) -> str:
    base = url_path(request, "filings:docket:page", tribunal=tribunal.slug)
    return f"{base}?{urlencode({AT_RISK.key: 'yes'})}"


async def figures_page(request: Request) -> Response:
    """Each standard in force: its target, the current quarter so far, the last published
    quarters as a chart and a table, and the first cases at risk of missing it."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    now = utcnow()
    today = local_today(tribunal.time_zone, now)
    current = Quarter.containing(today)
    published = await snapshots.published_quarters(db, tribunal, limit=QUARTERS_SHOWN)
    by_quarter = {
        Quarter(item.fiscal_year, item.quarter): {
            figures.standard_id: figures for figures in snapshots.figures_of(item)
        }
        for item in published
    }
    shown = sorted(by_quarter)
    panels = []
    for standard in await definitions_in_force(db, tribunal, today):
        rows = [
            QuarterRow(quarter, by_quarter[quarter].get(standard.standard.id)) for quarter in shown
        ]
        so_far = await measure_quarter(db, tribunal, standard.standard, current, now=now)
        rows.append(QuarterRow(current, so_far, running=True))
        at_risk = await cases_at_risk(
            db,
            tribunal,
            standard.standard,
            within_days=AT_RISK_WITHIN_DAYS,
            page_size=AT_RISK_PAGE_SIZE,
            now=now,
        )
        cursor = _cursor(at_risk)
        panels.append(
            StandardPanel(
                definition=standard,
                rows=rows,
                chart=_chart(standard, rows),
                at_risk=at_risk,
                next_url=_at_risk_url(request, tribunal, standard.standard, cursor)
                if cursor
                else None,
            )
        )
    return render(
        request,
        "accountability/standards/figures.html",
        {
            "panels": panels,
            "current": current,
            "docket_url": _docket_at_risk_url(request, tribunal),
            "within_days": AT_RISK_WITHIN_DAYS,
            "unit_names": UNIT_NAMES,
            "event_label": _event_label,
            "can_manage": Permission.STANDARDS_MANAGE in _permissions(request),
        },
    )


def _permissions(request: Request) -> frozenset[Permission]:
    return permissions_of(current_roles(request))


async def _standard_or_404(request: Request) -> ServiceStandard:
    found = await standard_of(
        db_of(request), current_tribunal(request), request.path_params["standard_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found


async def at_risk_page(request: Request) -> Response:
    """The cases at risk of missing one standard, most overdue first, by keyset pages."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    standard = await _standard_or_404(request)
    now = utcnow()
    version = await version_in_force(db, standard, local_today(tribunal.time_zone, now))
    if version is None:
        raise HTTPException(status_code=404)
    after = _after(request.query_params.get("after", ""))
    page = await cases_at_risk(
        db,
        tribunal,
        standard,
        within_days=AT_RISK_WITHIN_DAYS,
        after=after,
        page_size=AT_RISK_PAGE_SIZE,
        now=now,
    )
    cursor = _cursor(page)
    return render(
        request,
        "accountability/standards/at_risk.html",
        {
            "standard": standard,
            "version": version,
            "page": page,
            "next_url": _at_risk_url(request, tribunal, standard, cursor) if cursor else None,
            "first_url": url_path(
                request,
                "accountability:standards:at_risk",
                tribunal=tribunal.slug,
                standard_id=standard.id,
            )
            if after is not None
            else None,
            "docket_url": _docket_at_risk_url(request, tribunal),
            "within_days": AT_RISK_WITHIN_DAYS,
            "unit_names": UNIT_NAMES,
        },
    )


# -- defining the standards ------------------------------------------------------------------


def _event_label(code: str | None) -> str:
    if not code:
        return "—"
    found = events.event(code)
    return str(found.label) if found else code


async def manage_page(request: Request) -> Response:
    """The tribunal's standards, each with its definition in force, and the way to add one."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    today = local_today(tribunal.time_zone)
    listed = []
    for standard in await standards_of(db, tribunal):
        listed.append((standard, await version_in_force(db, standard, today)))
    return render(
        request,
        "accountability/standards/manage.html",
        {
            "listed": listed,
            "created": request.query_params.get("created") == "1",
            "unit_names": UNIT_NAMES,
        },
    )


async def _definition_context(
    request: Request, tribunal: Tribunal, form: Form, *, first: bool
) -> dict[str, Any]:
    summaries = await case_types_of(db_of(request), tribunal.id)
    none = ("", i18n.gettext("None"))
    return {
        "form": form,
        "first": first,
        "milestones": [("", i18n.gettext("Select an event"))]
        + [(event.code, str(event.label)) for event in events.milestones()],
        "pauses": [none] + [(event.code, str(event.label)) for event in events.pauses()],
        "resumes": [none]
        + [(code, _event_label(code)) for code in dict.fromkeys(events.RESUME_OF.values())],
        "case_types": [("", i18n.gettext("Every kind of case"))]
        + [
            (item.case_type.code, i18n.localised(item.latest, "title") or item.case_type.code)
            for item in summaries
        ],
        "units": [(unit.value, str(label), {}) for unit, label in UNIT_LABELS.items()],
    }


async def new_standard(request: Request) -> Response:
    """GET: the form of a new standard. POST: create it with its first definition, or show
    every refusal (422) with what was typed."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    if request.method == "GET":
        form = Form({"unit": "business_days"})
        return render(
            request,
            "accountability/standards/definition.html",
            await _definition_context(request, tribunal, form, first=True),
        )
    form, values, complete = definition_form(await request.form())
    code = form.value("code").strip()
    try:
        if not complete:
            raise DefinitionRefused(await definition_errors(db, tribunal, values, first=True))
        made = await create_standard(db, tribunal, code, values, user=signed_in_user(request))
    except DefinitionRefused as refused:
        merge_errors(form, refused.errors)
        if not form.errors:  # pragma: no cover - a refusal always says why
            form.add_error("code", refused.message)
        return render(
            request,
            "accountability/standards/definition.html",
            await _definition_context(request, tribunal, form, first=True),
            status_code=422,
        )
    standard_url = url_path(
        request,
        "accountability:standards:standard",
        tribunal=tribunal.slug,
        standard_id=made.standard.id,
    )
    return redirect(f"{standard_url}?saved=1")


# What a version says, field by field, compared with the version before it: the form's fields
# but the standard's code, the day it applies from and its note.
_COMPARED = tuple(name for name in FIELDS if name not in ("code", "effective_from", "note"))


def _field_labels() -> dict[str, str]:
    return {
        "name_en": i18n.gettext("Name in English"),
        "name_fr": i18n.gettext("Name in French"),
        "description_en": i18n.gettext("Description in English"),
        "description_fr": i18n.gettext("Description in French"),
        "start_event": i18n.gettext("Starts the clock"),
        "stop_event": i18n.gettext("Stops the clock"),
        "pause_event": i18n.gettext("Pauses the clock"),
        "resume_event": i18n.gettext("Resumes the clock"),
        "case_type_code": i18n.gettext("Kind of case"),
        "limit_days": i18n.gettext("Limit"),
        "unit": i18n.gettext("Counted in"),
        "target_percent": i18n.gettext("Target"),
    }


def _changes(previous: StandardVersion | None, version: StandardVersion) -> list[str]:
    """Return the labels of what a version changed from the one before it."""
    if previous is None:
        return []
    labels = _field_labels()
    return [labels[name] for name in _COMPARED if getattr(previous, name) != getattr(version, name)]


async def _standard_page(
    request: Request,
    standard: ServiceStandard,
    *,
    form: Form | None = None,
    status_code: int = 200,
) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    versions = await versions_of(db, standard)
    names = await names_of(db, {version.created_by_id for version in versions})
    in_force = await version_in_force(db, standard, local_today(tribunal.time_zone))
    history = [
        (version, _changes(versions[index - 1] if index else None, version))
        for index, version in enumerate(versions)
    ]
    summaries = await case_types_of(db, tribunal.id)
    return render(
        request,
        "accountability/standards/standard.html",
        {
            "standard": standard,
            "history": history[::-1],
            "in_force": in_force,
            "names": names,
            "saved": request.query_params.get("saved") == "1",
            "unit_names": UNIT_NAMES,
            "event_label": _event_label,
            "case_type_names": {
                item.case_type.code: i18n.localised(item.latest, "title") for item in summaries
            },
        },
        status_code=status_code,
    )


async def standard_page(request: Request) -> Response:
    """A standard: its definitions, the latest first, with what each changed, from when and
    by whom."""
    return await _standard_page(request, await _standard_or_404(request))


async def new_version(request: Request) -> Response:
    """GET: the definition form, filled with the latest definition. POST: save it as the next
    version, or show every refusal (422) with what was typed."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    standard = await _standard_or_404(request)
    versions = await versions_of(db, standard)
    context = {"standard": standard}
    if request.method == "GET":
        form = version_form(versions[-1]) if versions else Form()
        return render(
            request,
            "accountability/standards/definition.html",
            {**await _definition_context(request, tribunal, form, first=False), **context},
        )
    form, values, complete = definition_form(await request.form())
    try:
        if not complete:
            raise DefinitionRefused(await definition_errors(db, tribunal, values, first=False))
        await add_version(db, tribunal, standard, values, user=signed_in_user(request))
    except DefinitionRefused as refused:
        merge_errors(form, refused.errors)
        return render(
            request,
            "accountability/standards/definition.html",
            {**await _definition_context(request, tribunal, form, first=False), **context},
            status_code=422,
        )
    standard_url = url_path(
        request,
        "accountability:standards:standard",
        tribunal=tribunal.slug,
        standard_id=standard.id,
    )
    return redirect(f"{standard_url}?saved=1")


# -- publishing ---------------------------------------------------------------------------------


async def publishing_page(request: Request) -> Response:
    """The ended quarters not yet published, to publish; the published ones, to correct or to
    recompute and compare."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    now = utcnow()
    published = await snapshots.published_quarters(db, tribunal, limit=QUARTERS_LISTED)
    return render(
        request,
        "accountability/standards/publishing.html",
        {
            "to_publish": await snapshots.quarters_to_publish(
                db, tribunal, now=now, limit=QUARTERS_LISTED
            ),
            "published": [(Quarter(item.fiscal_year, item.quarter), item) for item in published],
            "quarter_key": quarter_key,
            "done": request.query_params.get("done", ""),
        },
    )


def _quarter_or_404(request: Request) -> Quarter:
    quarter = quarter_from_key(request.path_params["quarter"])
    if quarter is None:
        raise HTTPException(status_code=404)
    return quarter


def _publishing_done(request: Request, tribunal: Tribunal, done: str) -> Response:
    base = url_path(request, "accountability:standards:publishing", tribunal=tribunal.slug)
    return redirect(f"{base}?{urlencode({'done': done})}")


def _refused_page(
    request: Request, quarter: Quarter, message: str, *, published: bool = False
) -> Response:
    """Say why a quarter cannot be published (or, `published`, why its publication cannot be
    corrected or recomputed) as asked (409): nothing changed."""
    return render(
        request,
        "accountability/standards/refused.html",
        {"quarter": quarter, "message": message, "published": published},
        status_code=409,
    )


def _figures_context(measured: list[StandardFigures]) -> dict[str, Any]:
    return {
        "measured": measured,
        "unit_names": UNIT_NAMES,
        "event_label": _event_label,
    }


async def publish(request: Request) -> Response:
    """GET: the quarter's figures as they would be published, to check. POST: publish them
    (version 1), or say why not (409) with nothing stored."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    quarter = _quarter_or_404(request)
    now = utcnow()
    if request.method == "POST":
        try:
            await snapshots.publish_quarter(
                db, tribunal, quarter, user=signed_in_user(request), now=now
            )
        except snapshots.PublicationRefused as refused:
            return _refused_page(request, quarter, refused.message)
        return _publishing_done(request, tribunal, f"published-{quarter_key(quarter)}")
    # What publishing would refuse is said before the figures are shown.
    try:
        measured = await snapshots.figures_to_publish(db, tribunal, quarter, now=now)
    except snapshots.PublicationRefused as refused:
        return _refused_page(request, quarter, refused.message)
    return render(
        request,
        "accountability/standards/publish.html",
        {"quarter": quarter, "quarter_key": quarter_key(quarter), **_figures_context(measured)},
    )


async def _published_or_refused(
    request: Request, tribunal: Tribunal, quarter: Quarter
) -> PublishedFigures | Response:
    current = await snapshots.latest_published(db_of(request), tribunal, quarter)
    if current is None:
        return _refused_page(
            request,
            quarter,
            i18n.gettext(
                "The figures of %(quarter)s are not published yet: publish them first.",
                quarter=quarter.label,
            ),
            published=True,
        )
    return current


async def _correct_page(
    request: Request,
    quarter: Quarter,
    current: PublishedFigures,
    form: Form,
    *,
    status_code: int = 200,
) -> Response:
    db = db_of(request)
    tribunal = current_tribunal(request)
    history = await snapshots.publication_history(db, tribunal, quarter)
    names = await names_of(db, {item.published_by_id for item in history})
    return render(
        request,
        "accountability/standards/correct.html",
        {
            "quarter": quarter,
            "quarter_key": quarter_key(quarter),
            "current": current,
            "history": history,
            "names": names,
            "form": form,
            "max_length": snapshots.CORRECTION_NOTE_MAX_LENGTH,
        },
        status_code=status_code,
    )


async def correct(request: Request) -> Response:
    """GET: the quarter's publications and the form of a correction. POST: publish the figures
    recomputed as the next version with its note, or say why not (422, 409)."""
    tribunal = current_tribunal(request)
    quarter = _quarter_or_404(request)
    current = await _published_or_refused(request, tribunal, quarter)
    if isinstance(current, Response):
        return current
    if request.method == "GET":
        return await _correct_page(request, quarter, current, Form())
    form, note = correction_form(await request.form())
    if note is None:
        return await _correct_page(request, quarter, current, form, status_code=422)
    try:
        await snapshots.publish_correction(
            db_of(request), tribunal, quarter, note, user=signed_in_user(request)
        )
    except snapshots.PublicationRefused as refused:
        form.add_error("note", refused.message)
        return await _correct_page(request, quarter, current, form, status_code=409)
    return _publishing_done(request, tribunal, f"corrected-{quarter_key(quarter)}")


async def recompute(request: Request) -> Response:
    """The latest published figures of a quarter measured again from the case events with the
    definitions they name, figure by figure: what differs, or that they agree."""
    tribunal = current_tribunal(request)
    quarter = _quarter_or_404(request)
    current = await _published_or_refused(request, tribunal, quarter)
    if isinstance(current, Response):
        return current
    # Each standard's totals first, then its breakdowns.
    differences = sorted(
        await snapshots.recompute(db_of(request), tribunal, current),
        key=lambda item: (item.code, not item.figure.startswith("totals.")),
    )
    return render(
        request,
        "accountability/standards/recompute.html",
        {
            "quarter": quarter,
            "quarter_key": quarter_key(quarter),
            "current": current,
            "differences": differences,
            "figure_label": _figure_label,
            "figure_value": _figure_value,
        },
    )


def _figure_label(name: str) -> str:
    """Return a figure's name as the comparison shows it: "Met", "Met — French"..."""
    labels = {
        "met": i18n.gettext("Met"),
        "missed": i18n.gettext("Missed"),
        "open_past_limit": i18n.gettext("Open, past the limit"),
        "open_within_limit": i18n.gettext("Open, within the limit"),
        "excluded": i18n.gettext("Excluded"),
        "stopped": i18n.gettext("Clock stopped"),
        "share_met": i18n.gettext("Share met"),
        "median_days": i18n.gettext("Median days"),
        "p90_days": i18n.gettext("90th percentile days"),
    }
    parts = name.split(".")
    figure = labels.get(parts[-1], parts[-1])
    if parts[0] == "breakdowns" and len(parts) == 4:
        group = str(VALUE_LABELS.get((parts[1], parts[2]), parts[2]))
        return i18n.gettext(
            "%(figure)s — %(breakdown)s: %(group)s",
            figure=figure,
            breakdown=str(BREAKDOWN_LABELS.get(parts[1], parts[1])),
            group=group,
        )
    return figure


def _figure_value(name: str, value: float | None) -> str:
    """Return a figure's value as the comparison shows it: a share as a percentage."""
    if value is None:
        return "—"
    if name.endswith(".share_met"):
        return i18n.gettext("%(percent)s%%", percent=i18n.format_number(round(value * 100, 1)))
    return i18n.format_number(value)


routes: list[BaseRoute] = []

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/service-standards",
        figures_page,
        permission=Permission.STANDARDS_VIEW,
        name="accountability:standards:figures",
    ),
    TenantRoute(
        "/staff/service-standards/{standard_id:uuid}/at-risk",
        at_risk_page,
        permission=Permission.STANDARDS_VIEW,
        name="accountability:standards:at_risk",
    ),
    TenantRoute(
        "/staff/service-standards/manage",
        manage_page,
        permission=Permission.STANDARDS_MANAGE,
        name="accountability:standards:manage",
    ),
    TenantRoute(
        "/staff/service-standards/new",
        new_standard,
        permission=Permission.STANDARDS_MANAGE,
        methods=["GET", "POST"],
        name="accountability:standards:new",
    ),
    TenantRoute(
        "/staff/service-standards/{standard_id:uuid}",
        standard_page,
        permission=Permission.STANDARDS_MANAGE,
        name="accountability:standards:standard",
    ),
    TenantRoute(
        "/staff/service-standards/{standard_id:uuid}/new-version",
        new_version,
        permission=Permission.STANDARDS_MANAGE,
        methods=["GET", "POST"],
        name="accountability:standards:new_version",
    ),
    TenantRoute(
        "/staff/service-standards/publishing",
        publishing_page,
        permission=Permission.STANDARDS_MANAGE,
        name="accountability:standards:publishing",
    ),
    TenantRoute(
        "/staff/service-standards/publishing/{quarter}/publish",
        publish,
        permission=Permission.STANDARDS_MANAGE,
        methods=["GET", "POST"],
        name="accountability:standards:publish",
    ),
    TenantRoute(
        "/staff/service-standards/publishing/{quarter}/correct",
        correct,
        permission=Permission.STANDARDS_MANAGE,
        methods=["GET", "POST"],
        name="accountability:standards:correct",
    ),
    TenantRoute(
        "/staff/service-standards/publishing/{quarter}/recompute",
        recompute,
        permission=Permission.STANDARDS_MANAGE,
        name="accountability:standards:recompute",
    ),
]
