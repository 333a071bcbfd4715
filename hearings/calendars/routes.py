"""Hearing calendar pages: settings and hours, default durations, interpreters, rooms, and
the availability of adjudicators (their own, or any of them for an administrator),
interpreters and rooms."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings.deadlines import today_in
from hearings.calendars import services
from hearings.calendars.forms import (
    INTERVALS_PER_DAY,
    WEEKDAYS,
    duration_field,
    durations_form,
    exception_form,
    format_time,
    interpreter_form,
    pattern_field,
    pattern_form,
    room_form,
    settings_form,
    weekday_names,
)
from hearings.calendars.services import Resource
from hearings.models import (
    AvailabilityException,
    HearingMode,
    HearingRoom,
    Interpreter,
    ResourceKind,
)
from tribunals.models import Tribunal
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune import i18n
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.languages import language_choices, language_name
from tribune.web import db_of, redirect, render, url_path


def _saved_url(request: Request, name: str, **params: Any) -> str:
    return url_path(request, name, **params) + "?saved=1"


def mode_names() -> dict[str, str]:
    return {
        HearingMode.VIDEO.value: _("Video"),
        HearingMode.TELEPHONE.value: _("Telephone"),
        HearingMode.IN_PERSON.value: _("In person"),
    }


# -- settings and durations -----------------------------------------------------------------


async def hearing_settings(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    status_code = 200
    if request.method == "POST":
        form, values = settings_form(await request.form())
        if values is not None:
            await services.save_settings(db, tribunal, values, actor=signed_in_user(request))
            return redirect(
                _saved_url(request, "hearings:calendars:settings", tribunal=tribunal.slug)
            )
        status_code = 422
    else:
        saved = await services.settings_of(db, tribunal)
        hours = await services.hours_of(db, tribunal)
        data: dict[str, Any] = {
            "minimum_notice_business_days": str(saved.minimum_notice_business_days),
            "unavailability_window_days": str(saved.unavailability_window_days),
            "dial_in_en": saved.dial_in_en,
            "dial_in_fr": saved.dial_in_fr,
            "reminder_days": ", ".join(str(day) for day in saved.reminder_days or []),
        }
        for weekday, row in hours.items():
            data[f"open-{weekday}"] = "yes"
            data[f"start-{weekday}"] = format_time(row.starts_at)
            data[f"end-{weekday}"] = format_time(row.ends_at)
        form = Form(data)
        form.lists["modes"] = list(saved.modes)
    return render(
        request,
        "hearings/settings.html",
        {
            "form": form,
            "weekdays": list(zip(WEEKDAYS, weekday_names(), strict=True)),
            "mode_names": mode_names(),
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


async def durations(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    case_types = await services.duration_case_types(db, tribunal)
    modes = (await services.settings_of(db, tribunal)).offered_modes
    status_code = 200
    if request.method == "POST":
        form, values = durations_form(
            await request.form(), [version.case_type_id for version in case_types], modes
        )
        if values is not None:
            await services.save_durations(db, tribunal, values, actor=signed_in_user(request))
            return redirect(
                _saved_url(request, "hearings:calendars:durations", tribunal=tribunal.slug)
            )
        status_code = 422
    else:
        form = Form(
            {
                f"duration-{case_type_id}-{mode}": str(minutes)
                for (case_type_id, mode), minutes in (
                    await services.durations_of(db, tribunal)
                ).items()
            }
        )
    rows = [
        (version, [(mode, duration_field(version.case_type_id, mode)) for mode in modes])
        for version in case_types
    ]
    return render(
        request,
        "hearings/durations.html",
        {
            "form": form,
            "rows": rows,
            "modes": modes,
            "mode_names": mode_names(),
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


# -- interpreters and rooms -----------------------------------------------------------------


async def interpreters(request: Request) -> Response:
    tribunal = current_tribunal(request)
    return render(
        request,
        "hearings/interpreters.html",
        {
            "interpreters": await services.interpreters_of(db_of(request), tribunal),
            "language_name": language_name,
            "saved": request.query_params.get("saved") == "1",
        },
    )


async def _interpreter(request: Request, tribunal: Tribunal) -> Interpreter:
    found = await services.interpreter_of(
        db_of(request), tribunal, request.path_params["interpreter_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found


async def interpreter_edit(request: Request) -> Response:
    """Add an interpreter (no id in the path) or change one."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    interpreter = (
        await _interpreter(request, tribunal) if "interpreter_id" in request.path_params else None
    )
    status_code = 200
    if request.method == "POST":
        form, values = interpreter_form(await request.form())
        if values is not None:
            actor = signed_in_user(request)
            if interpreter is None:
                services.add_interpreter(db, tribunal, values, actor=actor)
            else:
                services.update_interpreter(db, tribunal, interpreter, values, actor=actor)
            return redirect(
                _saved_url(request, "hearings:calendars:interpreters", tribunal=tribunal.slug)
            )
        status_code = 422
    else:
        form = Form()
        if interpreter is not None:
            form = Form(
                {"name": interpreter.name, "email": interpreter.email, "phone": interpreter.phone}
            )
            form.lists["languages"] = list(interpreter.languages)
    return render(
        request,
        "hearings/interpreter.html",
        {"form": form, "interpreter": interpreter, "languages": language_choices()},
        status_code=status_code,
    )


def _wants_active(form: Any) -> bool:
    return str(form.get("active", "")) == "yes"


async def interpreter_active(request: Request) -> Response:
    tribunal = current_tribunal(request)
    interpreter = await _interpreter(request, tribunal)
    active = _wants_active(await request.form())
    services.set_interpreter_active(
        db_of(request), tribunal, interpreter, active, actor=signed_in_user(request)
    )
    return redirect(_saved_url(request, "hearings:calendars:interpreters", tribunal=tribunal.slug))


async def rooms(request: Request) -> Response:
    tribunal = current_tribunal(request)
    return render(
        request,
        "hearings/rooms.html",
        {
            "rooms": await services.rooms_of(db_of(request), tribunal),
            "saved": request.query_params.get("saved") == "1",
        },
    )


async def _room(request: Request, tribunal: Tribunal) -> HearingRoom:
    found = await services.room_of(db_of(request), tribunal, request.path_params["room_id"])
    if found is None:
        raise HTTPException(status_code=404)
    return found


async def room_edit(request: Request) -> Response:
    """Add a room (no id in the path) or change one."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    room = await _room(request, tribunal) if "room_id" in request.path_params else None
    status_code = 200
    if request.method == "POST":
        form, values = room_form(await request.form())
        if values is not None:
            actor = signed_in_user(request)
            if room is None:
                services.add_room(db, tribunal, values, actor=actor)
            else:
                services.update_room(db, tribunal, room, values, actor=actor)
            return redirect(_saved_url(request, "hearings:calendars:rooms", tribunal=tribunal.slug))
        status_code = 422
    else:
        form = Form()
        if room is not None:
            form = Form(
                {
                    "name": room.name,
                    "address": room.address,
                    "capacity": str(room.capacity),
                    "accessibility_notes": room.accessibility_notes,
                }
            )
    return render(
        request,
        "hearings/room.html",
        {"form": form, "room": room},
        status_code=status_code,
    )


async def room_active(request: Request) -> Response:
    tribunal = current_tribunal(request)
    room = await _room(request, tribunal)
    active = _wants_active(await request.form())
    services.set_room_active(db_of(request), tribunal, room, active, actor=signed_in_user(request))
    return redirect(_saved_url(request, "hearings:calendars:rooms", tribunal=tribunal.slug))


async def adjudicators(request: Request) -> Response:
    tribunal = current_tribunal(request)
    return render(
        request,
        "hearings/adjudicators.html",
        {"adjudicators": await services.adjudicators_of(db_of(request), tribunal)},
    )


# -- availability ---------------------------------------------------------------------------

# The path segment naming each kind of resource on the administrators' availability pages.
KIND_SEGMENTS = {
    "adjudicators": ResourceKind.ADJUDICATOR,
    "interpreters": ResourceKind.INTERPRETER,
    "rooms": ResourceKind.ROOM,
}
_SEGMENT_OF = {kind: segment for segment, kind in KIND_SEGMENTS.items()}


@dataclass
class Target:
    """Whose availability a page shows, and where its forms post."""

    resource: Resource
    name: str
    own: bool
    page_url: str
    pattern_url: str
    exception_url: str
    back_url: str

    delete_route: str
    params: dict[str, Any]

    def delete_url(self, request: Request, exception_id: uuid.UUID) -> str:
        return url_path(request, self.delete_route, **self.params, exception_id=exception_id)


async def _target(request: Request) -> Target:
    """Return the resource the path names: the signed-in adjudicator's own (my-availability
    pages), or the tribunal's adjudicator, interpreter or room (administrators' pages)."""
    tribunal = current_tribunal(request)
    slug = tribunal.slug
    if "kind" not in request.path_params:
        user = signed_in_user(request)
        page = url_path(request, "hearings:calendars:my_availability", tribunal=slug)
        return Target(
            Resource(ResourceKind.ADJUDICATOR, user.id),
            user.name,
            True,
            page,
            url_path(request, "hearings:calendars:my_availability_pattern", tribunal=slug),
            url_path(request, "hearings:calendars:my_availability_exceptions", tribunal=slug),
            url_path(request, "tribunals:workspace", tribunal=slug),
            "hearings:calendars:my_availability_exception_delete",
            {"tribunal": slug},
        )
    kind = KIND_SEGMENTS.get(request.path_params["kind"])
    if kind is None:
        raise HTTPException(status_code=404)
    resource_id: uuid.UUID = request.path_params["resource_id"]
    found = await services.resource_of(db_of(request), tribunal, kind, resource_id)
    if found is None:
        raise HTTPException(status_code=404)
    params = {"tribunal": slug, "kind": _SEGMENT_OF[kind], "resource_id": resource_id}
    return Target(
        Resource(kind, resource_id),
        found.name,
        False,
        url_path(request, "hearings:calendars:availability", **params),
        url_path(request, "hearings:calendars:availability_pattern", **params),
        url_path(request, "hearings:calendars:availability_exceptions", **params),
        url_path(request, f"hearings:calendars:{_SEGMENT_OF[kind]}", tribunal=slug),
        "hearings:calendars:availability_exception_delete",
        params,
    )


def _describe(exception: AvailabilityException, zone: str) -> str:
    """Return when an exception applies, in the tribunal's zone and the page's language."""
    if exception.first_day is not None and exception.last_day is not None:
        first = i18n.format_date(exception.first_day)
        if exception.first_day == exception.last_day:
            return first
        return _("%(first)s to %(last)s", first=first, last=i18n.format_date(exception.last_day))
    assert exception.starts_at is not None
    assert exception.ends_at is not None
    local = ZoneInfo(zone)
    start, end = exception.starts_at.astimezone(local), exception.ends_at.astimezone(local)
    return _(
        "%(day)s, %(start)s to %(end)s",
        day=i18n.format_date(start.date()),
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
    )


async def _render_availability(
    request: Request,
    target: Target,
    *,
    pattern: Form | None = None,
    exception: Form | None = None,
    status_code: int = 200,
) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    if pattern is None:
        data: dict[str, str] = {}
        counts: dict[int, int] = {}
        for row in await services.weekly_pattern(db, tribunal, target.resource):
            number = counts[row.weekday] = counts.get(row.weekday, 0) + 1
            if number <= INTERVALS_PER_DAY:
                data[pattern_field("start", row.weekday, number)] = format_time(row.starts_at)
                data[pattern_field("end", row.weekday, number)] = format_time(row.ends_at)
        pattern = Form(data)
    exceptions = await services.exceptions_of(db, tribunal, target.resource, today_in(tribunal))
    return render(
        request,
        "hearings/availability.html",
        {
            "target": target,
            "pattern": pattern,
            "exception_form": exception or Form({"kind": "unavailable", "span": "days"}),
            "weekdays": list(zip(WEEKDAYS, weekday_names(), strict=True)),
            "numbers": range(1, INTERVALS_PER_DAY + 1),
            "exceptions": [
                (row, _describe(row, tribunal.time_zone), target.delete_url(request, row.id))
                for row in exceptions
            ],
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


async def availability(request: Request) -> Response:
    return await _render_availability(request, await _target(request))


async def availability_pattern(request: Request) -> Response:
    target = await _target(request)
    form, intervals = pattern_form(await request.form())
    if intervals is None:
        return await _render_availability(request, target, pattern=form, status_code=422)
    await services.set_weekly_pattern(
        db_of(request),
        current_tribunal(request),
        target.resource,
        intervals,
        actor=signed_in_user(request),
    )
    return redirect(target.page_url + "?saved=1")


async def availability_exceptions(request: Request) -> Response:
    target = await _target(request)
    form, values = exception_form(await request.form())
    if values is None:
        return await _render_availability(request, target, exception=form, status_code=422)
    services.add_exception(
        db_of(request),
        current_tribunal(request),
        target.resource,
        values,
        actor=signed_in_user(request),
    )
    return redirect(target.page_url + "?saved=1")


async def availability_exception_delete(request: Request) -> Response:
    target = await _target(request)
    removed = await services.remove_exception(
        db_of(request),
        current_tribunal(request),
        target.resource,
        request.path_params["exception_id"],
        actor=signed_in_user(request),
    )
    if not removed:
        raise HTTPException(status_code=404)
    return redirect(target.page_url + "?saved=1")


_GET_POST = ("GET", "POST")
_MANAGE = Permission.HEARINGS_MANAGE
_OWN = Permission.OWN_AVAILABILITY
_RESOURCE = "/staff/hearings/availability/{kind}/{resource_id:uuid}"

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/hearings/settings",
        hearing_settings,
        permission=_MANAGE,
        methods=_GET_POST,
        name="hearings:calendars:settings",
    ),
    TenantRoute(
        "/staff/hearings/durations",
        durations,
        permission=_MANAGE,
        methods=_GET_POST,
        name="hearings:calendars:durations",
    ),
    TenantRoute(
        "/staff/hearings/adjudicators",
        adjudicators,
        permission=_MANAGE,
        name="hearings:calendars:adjudicators",
    ),
    TenantRoute(
        "/staff/hearings/interpreters",
        interpreters,
        permission=_MANAGE,
        name="hearings:calendars:interpreters",
    ),
    TenantRoute(
        "/staff/hearings/interpreters/new",
        interpreter_edit,
        permission=_MANAGE,
        methods=_GET_POST,
        name="hearings:calendars:interpreter_new",
    ),
    TenantRoute(
        "/staff/hearings/interpreters/{interpreter_id:uuid}",
        interpreter_edit,
        permission=_MANAGE,
        methods=_GET_POST,
        name="hearings:calendars:interpreter",
    ),
    TenantRoute(
        "/staff/hearings/interpreters/{interpreter_id:uuid}/active",
        interpreter_active,
        permission=_MANAGE,
        methods=["POST"],
        name="hearings:calendars:interpreter_active",
    ),
    TenantRoute(
        "/staff/hearings/rooms", rooms, permission=_MANAGE, name="hearings:calendars:rooms"
    ),
    TenantRoute(
        "/staff/hearings/rooms/new",
        room_edit,
        permission=_MANAGE,
        methods=_GET_POST,
        name="hearings:calendars:room_new",
    ),
    TenantRoute(
        "/staff/hearings/rooms/{room_id:uuid}",
        room_edit,
        permission=_MANAGE,
        methods=_GET_POST,
        name="hearings:calendars:room",
    ),
    TenantRoute(
        "/staff/hearings/rooms/{room_id:uuid}/active",
        room_active,
        permission=_MANAGE,
        methods=["POST"],
        name="hearings:calendars:room_active",
    ),
    TenantRoute(
        _RESOURCE, availability, permission=_MANAGE, name="hearings:calendars:availability"
    ),
    TenantRoute(
        _RESOURCE + "/pattern",
        availability_pattern,
        permission=_MANAGE,
        methods=["POST"],
        name="hearings:calendars:availability_pattern",
    ),
    TenantRoute(
        _RESOURCE + "/exceptions",
        availability_exceptions,
        permission=_MANAGE,
        methods=["POST"],
        name="hearings:calendars:availability_exceptions",
    ),
    TenantRoute(
        _RESOURCE + "/exceptions/{exception_id:uuid}/delete",
        availability_exception_delete,
        permission=_MANAGE,
        methods=["POST"],
        name="hearings:calendars:availability_exception_delete",
    ),
    TenantRoute(
        "/staff/my-availability",
        availability,
        permission=_OWN,
        name="hearings:calendars:my_availability",
    ),
    TenantRoute(
        "/staff/my-availability/pattern",
        availability_pattern,
        permission=_OWN,
        methods=["POST"],
        name="hearings:calendars:my_availability_pattern",
    ),
    TenantRoute(
        "/staff/my-availability/exceptions",
        availability_exceptions,
        permission=_OWN,
        methods=["POST"],
        name="hearings:calendars:my_availability_exceptions",
    ),
    TenantRoute(
        "/staff/my-availability/exceptions/{exception_id:uuid}/delete",
        availability_exception_delete,
        permission=_OWN,
        methods=["POST"],
        name="hearings:calendars:my_availability_exception_delete",
    ),
]
