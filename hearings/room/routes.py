"""The hearing page of a video hearing, for each of its participants and for the registry:
before the join window (when, and when to come back), inside it (check-in, then the waiting
room, whose status block the page polls), after it (what happens next), or the cancellation or
adjournment with its reasons; and, for the hearing's adjudicator and the registry, the console
(who has arrived, let them in or send them back, start and end the hearing), which it polls too."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import cases
from hearings import times
from hearings.attendance import services as attendance
from hearings.calendars import services as calendars
from hearings.jitsi import (
    JitsiError,
    JitsiUser,
    WindowState,
    join_window,
    mint_token,
    origin,
    room_link,
    room_name_for,
    script_url,
    window_state,
)
from hearings.models import (
    AttendanceEvent,
    AttendanceSource,
    HearingCheckin,
    HearingStatus,
)
from hearings.notices.services import (
    ADJOURNMENT_LABELS,
    ROLE_LABELS,
    Participant,
    ParticipantRole,
    participants_of,
)
from hearings.room import services
from hearings.room.forms import (
    console_refusal,
    console_status_names,
    page_event_of,
    participant_of,
    refusal_message,
    room_refusal,
    status_names,
)
from hearings.room.services import Attendee
from hearings.selftest import services as selftest
from hearings.selftest.forms import outcome_of
from hearings.views.services import dial_in_for
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import i18n
from tribune.db import utcnow
from tribune.languages import language_name
from tribune.middleware import content_security_policy, permissions_policy
from tribune.throttle import Throttle
from tribune.web import db_of, redirect, render, settings_of, url_path

log = logging.getLogger("tribune.hearings")

# The most joins and leaves one person's pages may report of one hearing: a day of
# reconnections is a few dozen; past this, a page is misbehaving.
MAX_PAGE_EVENTS = 200

# The waiting room and the console poll every 5 seconds. Per person and hearing, a worker
# answers a burst of 10 polls and then 1 a second: a page with several tabs open keeps
# working, a runaway script does not reach the database.
POLLS = Throttle(burst=10, per_second=1.0, max_keys=50_000)


def _polled_too_often(request: Request) -> Response | None:
    """A 429 (which htmx does not swap in, so the page keeps its last answer) when the
    signed-in person has polled this hearing too often; None otherwise."""
    key = f"{signed_in_user(request).id}:{request.path_params['hearing_id']}"
    if POLLS.allow(key):
        return None
    message = i18n.gettext("This page is checking for news too often. Wait a few seconds.")
    return Response(
        message,
        status_code=429,
        media_type="text/plain",
        headers={"Retry-After": str(POLLS.retry_after(key))},
    )


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
        "self_test": url_path(request, "hearings:selftest:page", **values),
        "check_in": url_path(request, "hearings:room:check_in", **values),
        "status": url_path(request, "hearings:room:status", **values),
        "token": url_path(request, "hearings:room:token", **values),
        "events": url_path(request, "hearings:room:events", **values),
    }
    if services.runs_console(attendee):
        for name in ("console", "admit", "admit_all", "send_back", "start", "end"):
            urls[name] = url_path(request, f"hearings:room:{name}", **values)
        urls["outcome"] = url_path(
            request, "hearings:outcomes:outcome", **values, filing_id=attendee.filing.id
        )
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
        "polling": _live(attendee, window),
    }


def _live(attendee: Attendee, window: WindowState) -> bool:
    """Return whether the hearing can be joined now: scheduled, inside its window, not ended."""
    hearing = attendee.hearing
    return (
        hearing.status is HearingStatus.SCHEDULED
        and window is WindowState.OPEN
        and hearing.ended_at is None
    )


def _video(
    request: Request,
    attendee: Attendee,
    participants: list[Participant],
    checkin: HearingCheckin | None,
    now: datetime,
) -> dict[str, Any] | None:
    """What the page needs to embed the video room, for a person who may be in it now: the
    deployment, the room, their own token (none when tokens are off) and a direct link;
    None for anyone else. ``{"unavailable": True}`` when the room cannot be given."""
    if not services.may_enter_room(attendee, checkin, now):
        return None
    settings = settings_of(request).jitsi
    hearing = attendee.hearing
    person = services.participant_for(attendee, participants)
    if person is None:
        return None
    user = JitsiUser.for_participant(person)
    try:
        token = mint_token(settings, hearing, user, now) if settings.tokens else ""
        room = room_name_for(settings, hearing)
    except JitsiError as error:
        log.error("no way into a hearing's room", extra={"reason": str(error)})
        return {"unavailable": True}
    _opens, closes = join_window(hearing)
    return {
        "unavailable": False,
        "origin": origin(settings),
        "domain": settings.domain,
        "script": script_url(settings),
        "room": room,
        "jwt": token,
        "expires": int(closes.timestamp()),
        "link": room_link(settings, hearing, token or None),
        "tokens": settings.tokens,
        "moderator": user.moderator,
        "name": user.name,
        "email": user.email,
    }


def _with_room_policies(response: Response, video: dict[str, Any] | None) -> Response:
    """Let the page load the room's script and frame, and give the frame the camera and
    microphone: that one origin, on this page only."""
    if video and not video["unavailable"]:
        response.headers["Content-Security-Policy"] = content_security_policy(video["origin"])
        response.headers["Permissions-Policy"] = permissions_policy(video["origin"])
    return response


async def _console_values(
    request: Request, attendee: Attendee, window: WindowState
) -> dict[str, Any]:
    """The console's lines, for its adjudicator and the registry inside the join window."""
    tribunal = current_tribunal(request)
    hearing = attendee.hearing
    if not services.runs_console(attendee) or hearing.status is not HearingStatus.SCHEDULED:
        return {"console": None}
    # Past its window, a hearing still running can be ended.
    running = hearing.started_at is not None and hearing.ended_at is None
    if window is not WindowState.OPEN and not running:
        return {"console": None}
    lines = await services.console_of(db_of(request), tribunal, attendee)
    return {
        "console": lines,
        "console_names": console_status_names(),
        "console_polling": _live(attendee, window),
        "anyone_waiting": any(line.can_be_let_in for line in lines),
        "self_test_outcome": outcome_of,
        "zone": tribunal.time_zone,
        "clock": times.clock,
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
    self_test = (
        await selftest.self_test_of(db, hearing, attendee.key) if attendee.key is not None else None
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
    video = _video(request, attendee, participants, checkin, now)
    response = render(
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
            "self_test": self_test,
            "self_test_outcome": outcome_of(self_test) if self_test else "",
            "urls": _urls(request, attendee),
            "video": video,
            "shows_room": bool(video and not video["unavailable"]),
            **_status_values(attendee, checkin, window),
            **await _console_values(request, attendee, window),
        },
        status_code=status_code,
    )
    return _with_room_policies(response, video)


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
    """The waiting room's status block alone, which the page polls: three statements.

    The page says whether it shows the video room (``?room=1``); when that is no longer
    right (the person was let in, sent back, or the hearing ended), htmx is told to load
    the whole page again (``HX-Refresh``), which opens or closes the room. Throttled per
    person and hearing (429)."""
    if (refused := _polled_too_often(request)) is not None:
        return refused
    attendee = await _attendee(request)
    hearing = attendee.hearing
    checkin = (
        await services.checkin_of(db_of(request), hearing, attendee.key)
        if attendee.key is not None
        else None
    )
    now = utcnow()
    window = window_state(hearing, now)
    shows_room = request.query_params.get("room") == "1"
    response = render(
        request,
        "hearings/room/partials/status.html",
        {
            "hearing": hearing,
            "urls": _urls(request, attendee),
            "shows_room": shows_room,
            **_status_values(attendee, checkin, window),
        },
    )
    if shows_room != services.may_enter_room(attendee, checkin, now):
        response.headers["HX-Refresh"] = "true"
    return response


# -- the video room ------------------------------------------------------------------------------


async def _participant(request: Request) -> tuple[Attendee, HearingCheckin | None]:
    """Return the participant on the hearing's page with their check-in; 404 for the
    registry (who supports and does not attend) and anyone else."""
    attendee = await _attendee(request)
    if attendee.key is None:
        raise HTTPException(status_code=404)
    checkin = await services.checkin_of(db_of(request), attendee.hearing, attendee.key)
    return attendee, checkin


def _room_refusal_reason(attendee: Attendee, now: datetime) -> str:
    hearing = attendee.hearing
    if hearing.status is not HearingStatus.SCHEDULED:
        return "not_held"
    window = window_state(hearing, now)
    if window is WindowState.TOO_EARLY:
        return "early"
    if window is WindowState.CLOSED or hearing.ended_at is not None:
        return "late"
    return "not_let_in"


def _room_refused(request: Request, attendee: Attendee, now: datetime) -> Response:
    """409 with why the person cannot be in the room now and what to do, in their language."""
    opens, _closes = join_window(attendee.hearing)
    reason = _room_refusal_reason(attendee, now)
    message = room_refusal(reason, opens, current_tribunal(request).time_zone)
    return JSONResponse({"error": message}, status_code=409)


async def token(request: Request) -> Response:
    """A fresh token for the person's way into the room (the page asks for one when they
    press "Join the hearing"): only for a participant who may be in the room now; otherwise
    409 with what to do, in their language. Nothing is recorded."""
    attendee, checkin = await _participant(request)
    now = utcnow()
    if not services.may_enter_room(attendee, checkin, now):
        return _room_refused(request, attendee, now)
    settings = settings_of(request).jitsi
    if not settings.tokens:
        return JSONResponse({"jwt": "", "tokens": False})
    tribunal = current_tribunal(request)
    participants = await participants_of(
        db_of(request), tribunal, attendee.filing, attendee.hearing
    )
    person = services.participant_for(attendee, participants)
    if person is None:
        raise HTTPException(status_code=404)
    try:
        minted = mint_token(settings, attendee.hearing, JitsiUser.for_participant(person), now)
    except JitsiError as error:
        log.error("no token for a hearing's room", extra={"reason": str(error)})
        return JSONResponse({"error": room_refusal("not_held", now, tribunal.time_zone)}, 409)
    _opens, closes = join_window(attendee.hearing)
    return JSONResponse({"jwt": minted, "tokens": True, "expires": int(closes.timestamp())})


async def page_event(request: Request) -> Response:
    """A join or leave the page saw in the video room, recorded as attendance reported by
    the browser (204). A join is believed only from someone who may be in the room now
    (409 otherwise); a malformed report is 400 with why; past ``MAX_PAGE_EVENTS`` of one
    person at one hearing, 429. Nothing is recorded twice."""
    attendee, checkin = await _participant(request)
    assert attendee.key is not None
    db = db_of(request)
    now = utcnow()
    form, event = page_event_of(await request.form(), now)
    if event is None:
        return JSONResponse({"errors": form.errors}, status_code=400)
    if event.kind.value == "joined" and not services.may_enter_room(attendee, checkin, now):
        return _room_refused(request, attendee, now)
    reported = await db.scalar(
        select(func.count())
        .select_from(AttendanceEvent)
        .where(
            AttendanceEvent.hearing_id == attendee.hearing.id,
            AttendanceEvent.participant_key == attendee.key,
            AttendanceEvent.source == AttendanceSource.PAGE,
        )
    )
    if (reported or 0) >= MAX_PAGE_EVENTS:
        message = i18n.gettext("This page has reported too many events. Reload the page.")
        return JSONResponse({"error": message}, status_code=429)
    try:
        await attendance.record_page_event(
            db, attendee.hearing, attendee.key, event.kind, event.occurred_at, event.key, now
        )
    except attendance.PageEventRefused:
        raise HTTPException(status_code=404) from None
    return Response(status_code=204)


# -- the adjudicator's console ------------------------------------------------------------------


async def _console_attendee(request: Request) -> Attendee:
    """Return the hearing's adjudicator or the registry on its page; 404 for anyone else."""
    attendee = await _attendee(request)
    if not services.runs_console(attendee):
        raise HTTPException(status_code=404)
    return attendee


async def console(request: Request) -> Response:
    """The console block alone, which the page polls: the same statements whatever the
    number of participants. Throttled per person and hearing (429)."""
    if (refused := _polled_too_often(request)) is not None:
        return refused
    attendee = await _console_attendee(request)
    window = window_state(attendee.hearing, utcnow())
    return render(
        request,
        "hearings/room/partials/console.html",
        {
            "hearing": attendee.hearing,
            "urls": _urls(request, attendee),
            **await _console_values(request, attendee, window),
        },
    )


def _back_to_console(request: Request, attendee: Attendee) -> Response:
    return redirect(
        url_path(
            request,
            "hearings:room:hearing",
            tribunal=current_tribunal(request).slug,
            hearing_id=attendee.hearing.id,
        )
        + "#console"
    )


async def _refused(request: Request, attendee: Attendee, reason: str) -> Response:
    """The page again with why the console's action was refused: 409, nothing changed."""
    opens, _closes = join_window(attendee.hearing)
    message = console_refusal(reason, opens, current_tribunal(request).time_zone)
    return await _page(request, attendee, refused=message, status_code=409)


async def admit(request: Request) -> Response:
    """Let one participant in from the waiting room."""
    attendee = await _console_attendee(request)
    key = participant_of(await request.form())
    try:
        await services.let_in(
            db_of(request), current_tribunal(request), attendee, signed_in_user(request), key
        )
    except services.ConsoleRefused as refusal:
        return await _refused(request, attendee, refusal.reason)
    return _back_to_console(request, attendee)


async def admit_all(request: Request) -> Response:
    """Let everyone in the waiting room in."""
    attendee = await _console_attendee(request)
    try:
        await services.let_everyone_in(
            db_of(request), current_tribunal(request), attendee, signed_in_user(request)
        )
    except services.ConsoleRefused as refusal:
        return await _refused(request, attendee, refusal.reason)
    return _back_to_console(request, attendee)


async def send_back(request: Request) -> Response:
    """Send one participant back to the waiting room."""
    attendee = await _console_attendee(request)
    key = participant_of(await request.form())
    try:
        await services.send_back(
            db_of(request), current_tribunal(request), attendee, signed_in_user(request), key
        )
    except services.ConsoleRefused as refusal:
        return await _refused(request, attendee, refusal.reason)
    return _back_to_console(request, attendee)


async def start(request: Request) -> Response:
    """Start the hearing."""
    attendee = await _console_attendee(request)
    try:
        await services.start_hearing(db_of(request), attendee, signed_in_user(request), utcnow())
    except services.ConsoleRefused as refusal:
        return await _refused(request, attendee, refusal.reason)
    return _back_to_console(request, attendee)


async def end(request: Request) -> Response:
    """End the hearing: open attendance closes, and everyone in it has left."""
    attendee = await _console_attendee(request)
    try:
        await services.end_hearing(db_of(request), attendee, signed_in_user(request), utcnow())
    except services.ConsoleRefused as refusal:
        return await _refused(request, attendee, refusal.reason)
    return _back_to_console(request, attendee)


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
    TenantRoute(
        _HEARING + "/token",
        token,
        permission=Permission.SIGNED_IN,
        name="hearings:room:token",
    ),
    TenantRoute(
        _HEARING + "/events",
        page_event,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="hearings:room:events",
    ),
    TenantRoute(
        _HEARING + "/console",
        console,
        permission=Permission.SIGNED_IN,
        name="hearings:room:console",
    ),
    TenantRoute(
        _HEARING + "/console/admit",
        admit,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="hearings:room:admit",
    ),
    TenantRoute(
        _HEARING + "/console/admit-all",
        admit_all,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="hearings:room:admit_all",
    ),
    TenantRoute(
        _HEARING + "/console/send-back",
        send_back,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="hearings:room:send_back",
    ),
    TenantRoute(
        _HEARING + "/start",
        start,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="hearings:room:start",
    ),
    TenantRoute(
        _HEARING + "/end",
        end,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="hearings:room:end",
    ),
]
