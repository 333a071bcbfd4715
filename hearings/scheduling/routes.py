"""The registry's hearing pages of a case: schedule a hearing (from the proposed times or
another), move it, adjourn it, cancel it. Each change goes back to the staff case page,
whose hearing section (``hearings.scheduling.sections``) says it was made."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import access, cases, lifecycle
from filings.access import Actor
from filings.models import CaseTypeVersion, Filing, FilingStatus
from hearings import times
from hearings.calendars import services as calendars
from hearings.models import Hearing, HearingMode, HearingStatus
from hearings.scheduling import sections as sections  # registers the staff case section
from hearings.scheduling import services
from hearings.scheduling.forms import (
    MODE_LABELS,
    add_problem,
    adjournment_form,
    adjournment_reasons,
    booking_form,
    booking_problem_message,
    cancellation_form,
    problem_status,
    slot_value,
)
from hearings.scheduling.services import BookingProblem, BookingProblemKind
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune.db import utcnow
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.languages import language_name
from tribune.web import db_of, outbox_of, redirect, render, url_path

# -- finding the case and the hearing -------------------------------------------------------


async def _case(request: Request) -> tuple[Filing, CaseTypeVersion]:
    found = await cases.find_case(
        db_of(request), current_tribunal(request).id, request.path_params["filing_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found


async def _hearing(request: Request, filing: Filing) -> Hearing:
    found = await services.hearing_of_case(
        db_of(request), current_tribunal(request), filing, request.path_params["hearing_id"]
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _actors(request: Request, filing: Filing) -> frozenset[Actor]:
    """The registry capacities the person acts in (the route's permission ensures one)."""
    roles = current_roles(request)
    return access.actors_for(filing, signed_in_user(request), roles, []) & lifecycle.REGISTRY


def _case_url(request: Request, filing: Filing, done: str | None = None) -> str:
    url = url_path(
        request,
        "filings:casework:case",
        tribunal=current_tribunal(request).slug,
        filing_id=filing.id,
    )
    return url + (f"?hearing={done}" if done else "") + "#hearing"


def _refused(request: Request, filing: Filing, message: str) -> Response:
    return render(
        request,
        "filings/casework/refused.html",
        {"filing": filing, "message": message, "back_url": _case_url(request, filing)},
        status_code=409,
    )


def _not_bookable(request: Request, filing: Filing) -> Response:
    if filing.status is FilingStatus.SCHEDULED:
        return _refused(
            request,
            filing,
            _("This case already has a hearing scheduled. Move it from the case page."),
        )
    return _refused(
        request,
        filing,
        booking_problem_message(
            BookingProblem(BookingProblemKind.CASE_NOT_ACCEPTED),
            current_tribunal(request).time_zone,
        ),
    )


def _hearing_refusal(request: Request, filing: Filing, hearing: Hearing) -> Response | None:
    """Return the refusal page for a hearing that can no longer be changed, or None."""
    if hearing.status is not HearingStatus.SCHEDULED or filing.status is not FilingStatus.SCHEDULED:
        kind = BookingProblemKind.HEARING_NOT_SCHEDULED
    elif hearing.starts_at <= utcnow():
        kind = BookingProblemKind.HEARING_STARTED
    else:
        return None
    zone = current_tribunal(request).time_zone
    return _refused(request, filing, booking_problem_message(BookingProblem(kind), zone))


# -- the booking page (a new hearing, or a move) --------------------------------------------


@dataclass(frozen=True)
class ProposalView:
    time: times.HearingTime
    adjudicator: str
    interpreter: str
    language: str
    room_name: str
    room_address: str
    value: str  # what its button sends


def _chosen(
    query: QueryParams, offered: list[HearingMode], mode: HearingMode | None
) -> tuple[Form, HearingMode | None, int | None]:
    """Return the mode and length the proposals are for, as asked in the address (or None
    to take the default), and the chooser's form with any error."""
    form = Form(query)
    typed_mode = form.value("proposal_mode").strip()
    if typed_mode:
        if typed_mode in {offered_mode.value for offered_mode in offered}:
            mode = HearingMode(typed_mode)
        else:
            form.add_error("proposal_mode", _("Choose how the hearing is held"))
    typed = form.value("proposal_duration").strip()
    minutes = None
    if typed:
        if (
            typed.isascii()
            and typed.isdigit()
            and len(typed) <= 3
            and calendars.MIN_DURATION_MINUTES <= int(typed) <= calendars.MAX_DURATION_MINUTES
            and int(typed) % 15 == 0
        ):
            minutes = int(typed)
        else:
            form.add_error(
                "proposal_duration",
                _("Enter a length in quarter hours, from 15 minutes to 8 hours."),
            )
    return form, mode, minutes


async def _booking_page(
    request: Request,
    filing: Filing,
    version: CaseTypeVersion,
    *,
    hearing: Hearing | None = None,
    form: Form | None = None,
    status_code: int = 200,
) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    zone = tribunal.time_zone
    offered = (await calendars.settings_of(db, tribunal)).offered_modes
    current = hearing.mode if hearing is not None and hearing.mode in offered else None
    chooser, mode, minutes = _chosen(request.query_params, offered, current)
    mode = mode or (offered[0] if offered else None)
    if chooser.errors and status_code == 200:
        status_code = 422
    adjudicators = await calendars.adjudicators_of(db, tribunal)
    interpreters = [row for row in await calendars.interpreters_of(db, tribunal) if row.active]
    rooms = [row for row in await calendars.rooms_of(db, tribunal) if row.active]
    proposals: list[ProposalView] = []
    if mode is not None:
        if minutes is None:
            if hearing is not None:
                minutes = int((hearing.ends_at - hearing.starts_at) / timedelta(minutes=1))
            else:
                minutes = await services.default_duration(db, tribunal, filing, mode)
        names = {person.id: person.name for person in adjudicators}
        interpreter_names = {row.id: row.name for row in interpreters}
        room_of = {row.id: row for row in rooms}
        for proposal in await services.propose_slots(
            db,
            tribunal,
            filing,
            mode,
            duration_minutes=minutes,
            moving=hearing.id if hearing is not None else None,
        ):
            room = room_of.get(proposal.room_id) if proposal.room_id else None
            proposals.append(
                ProposalView(
                    times.for_reader(proposal.starts_at, proposal.ends_at, zone, user.time_zone),
                    names.get(proposal.adjudicator_id, ""),
                    interpreter_names.get(proposal.interpreter_id, "")
                    if proposal.interpreter_id
                    else "",
                    language_name(proposal.language) if proposal.language else "",
                    room.name if room else "",
                    room.address if room else "",
                    slot_value(
                        proposal.starts_at,
                        minutes,
                        mode,
                        proposal.adjudicator_id,
                        proposal.interpreter_id,
                        proposal.room_id,
                    ),
                )
            )
    if form is None:
        form = Form(_typed_defaults(filing, hearing, mode, minutes, zone))
    need = services.language_need(filing)
    return render(
        request,
        "hearings/scheduling/book.html",
        {
            "filing": filing,
            "version": version,
            "hearing": hearing,
            "current_time": times.for_reader(
                hearing.starts_at, hearing.ends_at, zone, user.time_zone
            )
            if hearing is not None
            else None,
            "form": form,
            "chooser": chooser,
            "error_form": _merged(chooser, form),
            "mode": mode,
            "minutes": minutes,
            "offered": offered,
            "mode_names": MODE_LABELS,
            "proposals": proposals,
            "adjudicator_choices": [(str(person.id), person.name) for person in adjudicators],
            "interpreter_choices": [
                (str(row.id), f"{row.name} ({', '.join(map(language_name, row.languages))})")
                for row in interpreters
            ],
            "room_choices": [
                (str(row.id), ", ".join([row.name, *row.address.splitlines()])) for row in rooms
            ],
            "needed": [language_name(code) for code in need.codes],
            "unlisted": need.unlisted,
            "may_override": Actor.ADMIN in _actors(request, filing),
            "zone": zone,
            "action": _booking_url(request, filing, hearing),
        },
        status_code=status_code,
    )


def _typed_defaults(
    filing: Filing,
    hearing: Hearing | None,
    mode: HearingMode | None,
    minutes: int | None,
    zone: str,
) -> dict[str, str]:
    """Return what the "another date and time" fields show at first: the hearing's own
    values for a move; for a booking, the mode and length of the proposals and the case's
    assigned adjudicator."""
    if hearing is None:
        return {
            "mode": mode.value if mode else "",
            "duration": str(minutes or ""),
            "adjudicator": str(filing.assigned_adjudicator_id or ""),
        }
    local = hearing.starts_at.astimezone(ZoneInfo(zone))
    return {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "duration": str(int((hearing.ends_at - hearing.starts_at) / timedelta(minutes=1))),
        "mode": hearing.mode.value,
        "adjudicator": str(hearing.adjudicator_id),
        "interpreter": str(hearing.interpreter_id or ""),
        "room": str(hearing.room_id or ""),
    }


def _merged(*forms: Form) -> Form:
    merged = Form()
    for form in forms:
        for name, message in form.errors.items():
            merged.add_error(name, message)
    return merged


def _booking_url(request: Request, filing: Filing, hearing: Hearing | None) -> str:
    slug = current_tribunal(request).slug
    if hearing is None:
        return url_path(request, "hearings:scheduling:new", tribunal=slug, filing_id=filing.id)
    return url_path(
        request,
        "hearings:scheduling:reschedule",
        tribunal=slug,
        filing_id=filing.id,
        hearing_id=hearing.id,
    )


async def _book_or_move(
    request: Request, filing: Filing, version: CaseTypeVersion, hearing: Hearing | None
) -> Response:
    """Show the booking page (GET), or book a hearing of the case or move the one given."""
    if request.method == "GET":
        return await _booking_page(request, filing, version, hearing=hearing)
    tribunal = current_tribunal(request)
    db = db_of(request)
    actors = _actors(request, filing)
    may_override = Actor.ADMIN in actors
    form, values = booking_form(
        await request.form(),
        tribunal.time_zone,
        (await calendars.settings_of(db, tribunal)).offered_modes,
        may_override=may_override,
        moving=hearing is not None,
    )
    if values is None:
        return await _booking_page(
            request, filing, version, hearing=hearing, form=form, status_code=422
        )
    user = signed_in_user(request)
    if hearing is None:
        done = await services.book_hearing(
            db, outbox_of(request), tribunal, filing, values.request, user=user, actors=actors
        )
    else:
        done = await services.reschedule_hearing(
            db,
            outbox_of(request),
            tribunal,
            filing,
            hearing,
            values.request,
            reason=values.reason,
            user=user,
            actors=actors,
        )
    if not isinstance(done, BookingProblem):
        return redirect(_case_url(request, filing, "booked" if hearing is None else "rescheduled"))
    # The case or the hearing changed meanwhile: nothing to book on this page any more.
    if hearing is None:
        not_accepted = done.kind is BookingProblemKind.CASE_NOT_ACCEPTED
        refusal = _not_bookable(request, filing) if not_accepted else None
    else:
        refusal = _hearing_refusal(request, filing, hearing)
    if refusal is not None:
        return refusal
    add_problem(form, done, tribunal.time_zone, may_override=may_override)
    return await _booking_page(
        request, filing, version, hearing=hearing, form=form, status_code=problem_status(done)
    )


async def new_hearing(request: Request) -> Response:
    """Schedule a hearing of an accepted case: the proposals, or another date and time."""
    filing, version = await _case(request)
    if filing.status is not FilingStatus.ACCEPTED:
        return _not_bookable(request, filing)
    return await _book_or_move(request, filing, version, None)


async def _changeable(request: Request) -> tuple[Filing, CaseTypeVersion, Hearing] | Response:
    """Return the case and its hearing the path names, or the page refusing to change a
    hearing no longer scheduled."""
    filing, version = await _case(request)
    hearing = await _hearing(request, filing)
    refusal = _hearing_refusal(request, filing, hearing)
    return refusal if refusal is not None else (filing, version, hearing)


async def reschedule(request: Request) -> Response:
    """Move a scheduled hearing to another time, for a reason the parties are told."""
    found = await _changeable(request)
    if isinstance(found, Response):
        return found
    filing, version, hearing = found
    return await _book_or_move(request, filing, version, hearing)


# -- adjourning and cancelling --------------------------------------------------------------

Ending = Callable[..., Awaitable[Hearing | BookingProblem]]


async def _end(
    request: Request,
    template: str,
    done_name: str,
    read: Callable[[Any], tuple[Form, Ending | None]],
    **more: Any,
) -> Response:
    """Show the page that adjourns or cancels a hearing (GET), or do it with what the form
    says, then go back to the case."""
    tribunal = current_tribunal(request)
    user = signed_in_user(request)
    found = await _changeable(request)
    if isinstance(found, Response):
        return found
    filing, version, hearing = found
    form = Form()
    if request.method == "POST":
        form, end = read(await request.form())
        if end is not None:
            done = await end(
                db_of(request),
                outbox_of(request),
                tribunal,
                filing,
                hearing,
                user=user,
                actors=_actors(request, filing),
            )
            if isinstance(done, BookingProblem):
                return _refused(request, filing, booking_problem_message(done, tribunal.time_zone))
            return redirect(_case_url(request, filing, done_name))
    return render(
        request,
        template,
        {
            "filing": filing,
            "version": version,
            "hearing": hearing,
            "time": times.for_reader(
                hearing.starts_at, hearing.ends_at, tribunal.time_zone, user.time_zone
            ),
            "form": form,
            "back_url": _case_url(request, filing),
            **more,
        },
        status_code=422 if form.errors else 200,
    )


def _read_adjournment(data: Any) -> tuple[Form, Ending | None]:
    form, code, reason = adjournment_form(data)
    if code is None:
        return form, None
    return form, functools.partial(services.adjourn_hearing, code=code, reason=reason)


def _read_cancellation(data: Any) -> tuple[Form, Ending | None]:
    form, reason = cancellation_form(data)
    if reason is None:
        return form, None
    return form, functools.partial(services.cancel_hearing, reason=reason)


async def adjourn(request: Request) -> Response:
    """Adjourn a scheduled hearing before it is held: a coded reason and the reasons."""
    reasons: list[tuple[str, str, dict[str, str]]] = [
        (code.value, label, {}) for code, label in adjournment_reasons()
    ]
    return await _end(
        request, "hearings/scheduling/adjourn.html", "adjourned", _read_adjournment, reasons=reasons
    )


async def cancel(request: Request) -> Response:
    """Cancel a scheduled hearing, for a reason the parties are told."""
    return await _end(request, "hearings/scheduling/cancel.html", "cancelled", _read_cancellation)


_GET_POST = ("GET", "POST")
_SCHEDULE = Permission.HEARINGS_SCHEDULE
_CASE = "/staff/cases/{filing_id:uuid}/hearings"
_HEARING = _CASE + "/{hearing_id:uuid}"

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        _CASE + "/new",
        new_hearing,
        permission=_SCHEDULE,
        methods=_GET_POST,
        name="hearings:scheduling:new",
    ),
    TenantRoute(
        _HEARING + "/reschedule",
        reschedule,
        permission=_SCHEDULE,
        methods=_GET_POST,
        name="hearings:scheduling:reschedule",
    ),
    TenantRoute(
        _HEARING + "/adjourn",
        adjourn,
        permission=_SCHEDULE,
        methods=_GET_POST,
        name="hearings:scheduling:adjourn",
    ),
    TenantRoute(
        _HEARING + "/cancel",
        cancel,
        permission=_SCHEDULE,
        methods=_GET_POST,
        name="hearings:scheduling:cancel",
    ),
]
