"""The hearing page of a video hearing, for each of its participants and for the registry:
before the join window (when, and when to come back), inside it (check-in, then the waiting
room, whose status block the page polls), after it (what happens next), or the cancellation or
adjournment with its reasons."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import cases
from hearings import times
from hearings.calendars import services as calendars
from hearings.jitsi import WindowState, join_window, window_state
from hearings.models import HearingCheckin, HearingStatus
from hearings.notices.services import (
    ADJOURNMENT_LABELS,
    ROLE_LABELS,
    ParticipantRole,
    participants_of,
)
from hearings.room import services
from hearings.room.forms import refusal_message, status_names
from hearings.room.services import Attendee
from hearings.views.services import dial_in_for
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import i18n
from tribune.db import utcnow
from tribune.languages import language_name
from tribune.web import db_of, redirect, render, url_path


async def _attendee(request: Request) -> Attendee:
    """Return the signed-in person on the hearing's page; 404 if the page is not theirs."""
    attendee = await services.attendee_of(
        db_of(request),
        current_tribunal(request),
        request.path_params["hearing_id"],
        signed_in_user(request),
        current_roles(request),
    )
    if attendee is None:
        raise HTTPException(status_code=404)
    return attendee


def _urls(request: Request, attendee: Attendee) -> dict[str, str]:
    slug = current_tribunal(request).slug
    hearing = attendee.hearing
    values = {"tribunal": slug, "hearing_id": hearing.id}
    urls = {
        "page": url_path(request, "hearings:room:hearing", **values),
        "check_in": url_path(request, "hearings:room:check_in", **values),
        "status": url_path(request, "hearings:room:status", **values),
    }
    if attendee.party:
        case = {"tribunal": slug, "filing_id": attendee.filing.id}
        urls |= {
            "case": url_path(request, "filings:journey:case", **case),
            "notice": url_path(request, "hearings:notices:notice", **case, hearing_id=hearing.id),
            "invite": url_path(request, "hearings:notices:invite", **case, hearing_id=hearing.id),
        }
    else:
        urls["case"] = url_path(
            request, "filings:casework:case", tribunal=slug, filing_id=attendee.filing.id
        )
    return urls


def _status_values(
    attendee: Attendee, checkin: HearingCheckin | None, window: WindowState
) -> dict[str, Any]:
    return {
        "checkin": checkin,
        "status_name": status_names()[checkin.status] if checkin else "",
        # The page polls while there is something to wait for.
        "polling": attendee.hearing.status is HearingStatus.SCHEDULED
        and window is WindowState.OPEN,
    }


async def _page(
    request: Request, attendee: Attendee, *, refused: str = "", status_code: int = 200
) -> Response:
    db = db_of(request)
    tribunal = current_tribunal(request)
    user = signed_in_user(request)
    hearing, zone = attendee.hearing, tribunal.time_zone
    now = utcnow()
    window = window_state(hearing, now)
    opens, _closes = join_window(hearing)
    checkin = (
        await services.checkin_of(db, hearing, attendee.key) if attendee.key is not None else None
    )
    participants = await participants_of(db, tribunal, attendee.filing, hearing)
    staff = not attendee.party
    expected = [
        (
            str(ROLE_LABELS[participant.role]),
            participant.name
            if staff or participant.role is not ParticipantRole.INTERPRETER
            else "",
        )
        for participant in participants
    ]
    settings = await calendars.settings_of(db, tribunal)
    dial_in = dial_in_for(settings, i18n.get_language())
    claimant, respondent = services.case_title(attendee.parties)
    reader = times.for_reader(hearing.starts_at, hearing.ends_at, zone, user.time_zone)
    come_back_local = ""
    if reader.local and user.time_zone:
        come_back_local = times.clock(opens, user.time_zone)
    cases.record_view(db, attendee.filing, reader=user, role=attendee.role)
    return render(
        request,
        "hearings/room/hearing.html",
        {
            "attendee": attendee,
            "hearing": hearing,
            "filing": attendee.filing,
            "version": attendee.version,
            "claimant": claimant,
            "respondent": respondent,
            "time": reader,
            "window": window.value,
            "come_back_day": i18n.format_date(opens, "full", zone),
            "come_back": times.clock(opens, zone),
            "come_back_local": come_back_local,
            "expected": expected,
            "interpreter_language": language_name(hearing.language) if hearing.language else "",
            "help_phone": tribunal.contact_phone.strip(),
            "dial_in": dial_in,
            "adjournment": str(ADJOURNMENT_LABELS[hearing.adjournment_reason])
            if hearing.adjournment_reason
            else "",
            "refused": refused,
            "urls": _urls(request, attendee),
            **_status_values(attendee, checkin, window),
        },
        status_code=status_code,
    )


async def hearing_page(request: Request) -> Response:
    return await _page(request, await _attendee(request))


async def check_in(request: Request) -> Response:
    """Check the participant in; outside the window, a 409 page saying when (nothing changed)."""
    attendee = await _attendee(request)
    if attendee.key is None:  # the registry supports the hearing, it does not attend
        raise HTTPException(status_code=404)
    tribunal = current_tribunal(request)
    try:
        await services.check_in(db_of(request), attendee, signed_in_user(request), utcnow())
    except services.CheckInRefused as refusal:
        opens, _closes = join_window(attendee.hearing)
        message = refusal_message(refusal.reason, opens, tribunal.time_zone)
        return await _page(request, attendee, refused=message, status_code=409)
    return redirect(
        url_path(
            request, "hearings:room:hearing", tribunal=tribunal.slug, hearing_id=attendee.hearing.id
        )
        + "#waiting-room"
    )


async def status(request: Request) -> Response:
    """The waiting room's status block alone, which the page polls: three statements."""
    attendee = await _attendee(request)
    hearing = attendee.hearing
    checkin = (
        await services.checkin_of(db_of(request), hearing, attendee.key)
        if attendee.key is not None
        else None
    )
    window = window_state(hearing, utcnow())
    return render(
        request,
        "hearings/room/partials/status.html",
        {
            "hearing": hearing,
            "urls": _urls(request, attendee),
            **_status_values(attendee, checkin, window),
        },
    )


_HEARING = "/hearings/{hearing_id:uuid}"

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        _HEARING,
        hearing_page,
        permission=Permission.SIGNED_IN,
        name="hearings:room:hearing",
    ),
    TenantRoute(
        _HEARING + "/check-in",
        check_in,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="hearings:room:check_in",
    ),
    TenantRoute(
        _HEARING + "/status",
        status,
        permission=Permission.SIGNED_IN,
        name="hearings:room:status",
    ),
]
