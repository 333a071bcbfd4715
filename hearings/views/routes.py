"""What parties, adjudicators and the registry see of hearings: the hearing on the parties'
case page, the dates the parties cannot attend (their page, and a section of the staff case
page), the tribunal's day view and each adjudicator's "My hearings"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import access, cases, lifecycle
from filings.deadlines import today_in
from filings.models import CaseParty, Filing
from filings.sections import CasePage, CaseSection, SectionContext, provides
from hearings import times
from hearings.calendars import services as calendars
from hearings.jitsi import Health, HealthCache, HealthState
from hearings.models import AdjournmentReason, Hearing, HearingMode, HearingStatus
from hearings.selftest.forms import reason_names
from hearings.views import services
from hearings.views.forms import dates_form, day_of_query
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune import i18n
from tribune.db import utcnow
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.languages import language_name
from tribune.web import db_of, redirect, render, settings_of, url_path


def mode_names() -> dict[HearingMode, str]:
    return {
        HearingMode.VIDEO: _("Video"),
        HearingMode.TELEPHONE: _("Telephone"),
        HearingMode.IN_PERSON: _("In person"),
    }


def status_names() -> dict[HearingStatus, str]:
    return {
        HearingStatus.SCHEDULED: _("Scheduled"),
        HearingStatus.HELD: _("Held"),
        HearingStatus.ADJOURNED: _("Adjourned"),
        HearingStatus.CANCELLED: _("Cancelled"),
    }


def adjournment_names() -> dict[AdjournmentReason, str]:
    return {
        AdjournmentReason.NO_INTERPRETER: _("No interpreter was available"),
        AdjournmentReason.PARTY_UNAVAILABLE: _("A party was unavailable"),
        AdjournmentReason.EVIDENCE_OUTSTANDING: _("Evidence is outstanding"),
        AdjournmentReason.ADJUDICATOR_UNAVAILABLE: _("The adjudicator was unavailable"),
        AdjournmentReason.OTHER: _("Another reason"),
    }


# -- sections of the case pages --------------------------------------------------------------


@provides(CasePage.PARTIES, order=10)
async def parties_hearing_section(context: SectionContext) -> CaseSection | None:
    """The case's hearing as its parties read it, and the link to give dates they cannot
    attend: two statements at most (the hearing with its room; the dial-in for a telephone
    hearing), whatever the case."""
    request = context.request
    db = db_of(request)
    tribunal = current_tribunal(request)
    user = signed_in_user(request)
    filing = context.filing
    shown = await services.hearing_for_parties(db, filing, utcnow())
    party = services.acting_party(filing, user, context.parties)
    dates_url = (
        url_path(
            request,
            "hearings:views:unavailable_dates",
            tribunal=tribunal.slug,
            filing_id=filing.id,
        )
        if party is not None and filing.status in services.DATES_STATES
        else None
    )
    if shown is None and dates_url is None:
        return None
    values: dict[str, Any] = {"dates_url": dates_url, "hearing": None}
    if shown is not None:
        hearing = shown.hearing
        dial_in = ""
        if hearing.mode is HearingMode.TELEPHONE:
            settings = await calendars.settings_of(db, tribunal)
            dial_in = services.dial_in_for(settings, i18n.get_language())
        values |= {
            "hearing": hearing,
            "time": times.for_reader(
                hearing.starts_at, hearing.ends_at, tribunal.time_zone, user.time_zone
            ),
            "mode": mode_names()[hearing.mode],
            "room": shown.room,
            "dial_in": dial_in,
            "language": language_name(hearing.language) if hearing.language else "",
            "adjournment": adjournment_names()[hearing.adjournment_reason]
            if hearing.adjournment_reason
            else "",
        }
    return CaseSection("hearings/views/parties_section.html", values)


@provides(CasePage.STAFF, order=40)
async def staff_dates_section(context: SectionContext) -> CaseSection | None:
    """The dates the parties said they cannot attend, for the registry: one statement."""
    filing = context.filing
    tribunal = current_tribunal(context.request)
    entries = await services.dates_of_case(db_of(context.request), filing, today_in(tribunal))
    if not entries and filing.status not in services.DATES_STATES:
        return None
    names = {party.id: party.name for party in context.parties}
    return CaseSection(
        "hearings/views/staff_dates_section.html",
        {"entries": [(names.get(entry.party_id, ""), entry) for entry in entries]},
    )


# -- the dates a party cannot attend ---------------------------------------------------------


async def _acting(request: Request) -> tuple[Filing, CaseParty, str | None]:
    """Return the case, the party the signed-in person acts for and the capacity they act in;
    404 if the case is not the tribunal's or the person acts for no party on it."""
    db = db_of(request)
    tribunal = current_tribunal(request)
    found = await cases.find_case(db, tribunal.id, request.path_params["filing_id"])
    if found is None:
        raise HTTPException(status_code=404)
    filing = found[0]
    parties = await lifecycle.parties_of(db, filing)
    user = signed_in_user(request)
    party = services.acting_party(filing, user, parties)
    if party is None:
        raise HTTPException(status_code=404)
    actors = access.actors_for(filing, user, set(), parties) & access.PARTY_ACTORS
    capacity = access.acting_capacity(actors)
    return filing, party, capacity.value if capacity else None


async def _dates_page(
    request: Request,
    filing: Filing,
    party: CaseParty,
    form: Form | None = None,
    *,
    status_code: int = 200,
) -> Response:
    db = db_of(request)
    tribunal = current_tribunal(request)
    today = today_in(tribunal)
    window = services.window_of(await calendars.settings_of(db, tribunal), today)
    open_for_dates = filing.status in services.DATES_STATES
    return render(
        request,
        "hearings/views/unavailable_dates.html",
        {
            "filing": filing,
            "party": party,
            "open_for_dates": open_for_dates,
            "entries": await services.dates_of_party(db, filing, party, today),
            "window": window,
            "form": form or Form(),
            "max_entries": services.MAX_ENTRIES_PER_PARTY,
            "max_days": services.MAX_DAYS_PER_ENTRY,
            "case_url": url_path(
                request, "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id
            ),
        },
        status_code=status_code,
    )


async def unavailable_dates(request: Request) -> Response:
    """The dates the person's party cannot attend: listed, and a form to add some."""
    filing, party, capacity = await _acting(request)
    if request.method == "GET":
        return await _dates_page(request, filing, party)
    if filing.status not in services.DATES_STATES:
        return await _dates_page(request, filing, party, status_code=409)
    db = db_of(request)
    tribunal = current_tribunal(request)
    today = today_in(tribunal)
    window = services.window_of(await calendars.settings_of(db, tribunal), today)
    form, values = dates_form(await request.form(), window)
    if values is None:
        return await _dates_page(request, filing, party, form, status_code=422)
    try:
        await services.add_dates(
            db,
            filing,
            party,
            values.first_day,
            values.last_day,
            values.reason,
            today=today,
            actor=signed_in_user(request),
            actor_role=capacity,
        )
    except services.TooManyDatesError:
        form.add_error(
            "first_day",
            _(
                "You can give at most %(n)s entries: remove one before adding another",
                n=services.MAX_ENTRIES_PER_PARTY,
            ),
        )
        return await _dates_page(request, filing, party, form, status_code=422)
    return redirect(_dates_url(request, filing) + "?saved=1")


async def unavailable_dates_remove(request: Request) -> Response:
    filing, party, capacity = await _acting(request)
    db = db_of(request)
    entry = await services.entry_of_party(db, filing, party, request.path_params["entry_id"])
    if entry is None:
        raise HTTPException(status_code=404)
    if filing.status not in services.DATES_STATES:
        return await _dates_page(request, filing, party, status_code=409)
    await services.remove_dates(
        db, filing, party, entry, actor=signed_in_user(request), actor_role=capacity
    )
    return redirect(_dates_url(request, filing) + "?removed=1")


def _dates_url(request: Request, filing: Filing) -> str:
    return url_path(
        request,
        "hearings:views:unavailable_dates",
        tribunal=current_tribunal(request).slug,
        filing_id=filing.id,
    )


# -- the tribunal's day ------------------------------------------------------------------------


async def day_view(request: Request) -> Response:
    """The tribunal's hearings of one day, per adjudicator and per room: printable."""
    tribunal = current_tribunal(request)
    text = request.query_params.get("date", "")
    day = day_of_query(text) if text else today_in(tribunal)
    if day is None:
        return render(
            request,
            "hearings/views/day.html",
            {"error": _("Give the day as year, month and day, like 2027-01-12"), "day": None},
            status_code=400,
        )
    db = db_of(request)
    rows = await services.hearings_of_day(db, tribunal, day)
    now = utcnow()
    alerts = await services.alerts_of(db, tribunal, rows, now)
    video = [
        row
        for row in rows
        if row.hearing.mode is HearingMode.VIDEO and row.hearing.status is HearingStatus.SCHEDULED
    ]
    # The video service's state heads the page on days with video hearings (asked at most
    # every 30 seconds per process, in a worker thread): the day's other hearings need no
    # video, and a probe on every page of a day without any would ask for nothing.
    health = await video_health(request) if video else None
    by_adjudicator: dict[str, list[services.DayHearing]] = {}
    by_room: dict[str, list[services.DayHearing]] = {}
    for row in rows:
        by_adjudicator.setdefault(row.adjudicator_name, []).append(row)
        if row.room_name is not None:
            by_room.setdefault(row.room_name, []).append(row)
    zone = tribunal.time_zone
    return render(
        request,
        "hearings/views/day.html",
        {
            "error": "",
            "day": day,
            "day_name": i18n.format_date(day, "full"),
            "by_adjudicator": sorted(by_adjudicator.items(), key=lambda item: item[0].casefold()),
            "by_room": sorted(by_room.items(), key=lambda item: item[0].casefold()),
            "hours": {
                row.hearing.id: times.hours(row.hearing.starts_at, row.hearing.ends_at, zone)
                for row in rows
            },
            "mode_names": mode_names(),
            "status_names": status_names(),
            "language_name": language_name,
            "live": {row.hearing.id: _live_line(row.hearing, zone) for row in video},
            "alerts": [_alert_line(alert, zone) for alert in alerts],
            "video_service": _health_line(health) if health is not None else None,
            "previous_day": (day - timedelta(days=1)).isoformat(),
            "next_day": (day + timedelta(days=1)).isoformat(),
        },
    )


async def video_health(request: Request) -> Health:
    """Return the video service's health from this process's cache (``tribune.app``)."""
    cache: HealthCache = request.app.state.jitsi_health
    return await cache.health(settings_of(request).jitsi)


def _health_line(health: Health) -> tuple[str, str]:
    """Return the video service's state for the page: its words and a tag colour."""
    if health.state is HealthState.HEALTHY:
        return _("working"), "green"
    if health.state is HealthState.UNHEALTHY:
        return _("not answering (participants may need to join by telephone)"), "red"
    return _("not monitored"), "grey"


def _live_line(hearing: Hearing, zone: str) -> tuple[str, str]:
    """Return where a video hearing stands, in words, and its tag colour (empty:
    the default blue)."""
    state = services.live_state(hearing)
    if state is services.LiveState.LIVE and hearing.started_at is not None:
        return _(
            "Live now, started at %(time)s", time=times.clock(hearing.started_at, zone)
        ), "green"
    if state is services.LiveState.ENDED and hearing.ended_at is not None:
        return _("Ended at %(time)s", time=times.clock(hearing.ended_at, zone)), "grey"
    return _("Not started"), ""


def _alert_line(alert: services.Alert, zone: str) -> tuple[services.Alert, str]:
    """Return an alert with what it says of the participant."""
    name = alert.participant_name or _("A participant")
    if alert.kind is services.AlertKind.DROPPED_OUT:
        if alert.when is None:
            return alert, _("%(name)s left the hearing", name=name)
        return alert, _(
            "%(name)s left the hearing at %(time)s", name=name, time=times.clock(alert.when, zone)
        )
    if alert.kind is services.AlertKind.SELF_TEST_FAILED:
        reason = reason_names().get(alert.reason, "")
        if reason:
            return alert, _(
                "%(name)s failed the equipment test (%(reason)s)", name=name, reason=reason
            )
        return alert, _("%(name)s failed the equipment test", name=name)
    return alert, _(
        "%(name)s has not arrived (the hearing was to start at %(time)s)",
        name=name,
        time=times.clock(alert.when, zone) if alert.when else "",
    )


# -- an adjudicator's own hearings ---------------------------------------------------------------


async def my_hearings(request: Request) -> Response:
    tribunal = current_tribunal(request)
    text = request.query_params.get("after", "")
    after = services.decode_cursor(text) if text else None
    if text and after is None:
        return render(
            request,
            "hearings/views/my_hearings.html",
            {"error": _("This page link is not valid. Start again from your next hearing.")},
            status_code=400,
        )
    db = db_of(request)
    user = signed_in_user(request)
    now = utcnow()
    page, following = await services.upcoming_hearings_of(db, tribunal, user, now, after)
    # Hearings held with no outcome yet head the first page: the adjudicator's next task.
    awaiting = await services.awaiting_outcome_of(db, tribunal, user, now) if after is None else []
    zone = tribunal.time_zone
    return render(
        request,
        "hearings/views/my_hearings.html",
        {
            "error": "",
            "rows": page,
            "awaiting": awaiting,
            "spans": {
                row.hearing.id: times.span(row.hearing.starts_at, row.hearing.ends_at, zone)
                for row in [*awaiting, *page]
            },
            "mode_names": mode_names(),
            "language_name": language_name,
            "next_cursor": following.encode() if following else None,
            "first_page": after is None,
        },
    )


_GET_POST = ["GET", "POST"]

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/cases/{filing_id:uuid}/unavailable-dates",
        unavailable_dates,
        permission=Permission.SIGNED_IN,
        methods=_GET_POST,
        name="hearings:views:unavailable_dates",
    ),
    TenantRoute(
        "/cases/{filing_id:uuid}/unavailable-dates/{entry_id:uuid}/remove",
        unavailable_dates_remove,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="hearings:views:unavailable_dates_remove",
    ),
    TenantRoute(
        "/staff/hearings/day",
        day_view,
        permission=Permission.HEARINGS_DAY_VIEW,
        name="hearings:views:day",
    ),
    TenantRoute(
        "/staff/my-hearings",
        my_hearings,
        permission=Permission.OWN_HEARINGS,
        name="hearings:views:my_hearings",
    ),
]
