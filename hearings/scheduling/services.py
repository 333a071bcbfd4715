"""Scheduling hearings: the language a case needs, the earliest slots where everyone and
everything a hearing needs is free, and booking one.

No double booking, on either database. A hearing books its adjudicator, its interpreter and
its room by the quarter hour: one ``hearing_blocks`` row per resource per 15-minute block
(hearings start and end on the quarter hour, as hearing hours and availability are kept),
inserted in the booking's transaction, under a UNIQUE key on (resource, block start). Two
bookings that overlap for one resource want at least one same row, and the database lets
only one of them have it:

- on PostgreSQL the second insert waits for the first transaction, then fails with a unique
  violation when it commits (or succeeds if it rolled back); no lock is taken by hand, no
  isolation level is raised, and bookings of different resources never wait for each other;
- on SQLite every write transaction begins IMMEDIATE (``tribune.db``), so bookings run one
  after the other and the later one finds the earlier one's rows.

The same rule holds for both engines and for any path that books, which row locks on the
resources (PostgreSQL only, and only if every path remembers to take them) would not give.
The blocks are inserted in one order (resource, then time), so two bookings never wait for
each other crosswise. Releasing a hearing deletes its blocks (``release_blocks``); the rows
of a hearing held, adjourned or cancelled are kept out of the way by that alone.

The checks made before inserting (hours, availability, existing hearings) give the reason
a time is refused; the unique key is what makes the refusal certain when two clerks click
at once. The loser's insert runs in a savepoint, so its transaction carries on and nothing
of the booking is left.

A move (``reschedule_hearing``) goes through the same checks (``_check_request``), the
hearing's own time not counting against it, and in one savepoint deletes its blocks,
changes the hearing (a compare-and-set on its status and SEQUENCE, so two moves of one
hearing at once change it once) and inserts the new blocks under the same unique key. An
adjournment or a cancellation changes the hearing the same way and deletes its blocks.

Slot proposals read the tribunal's settings, hours, resources, their availability and the
hearings of a window of days in bulk (a fixed number of statements per window, whatever the
number of hearings) and compute the rest in Python, day by day.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from accounts.models import User
from filings import cases, lifecycle
from filings.access import Actor
from filings.deadlines import add_business_days, is_holiday, today_in
from filings.lifecycle import TransitionRefused
from filings.models import CaseEvent, CaseTypeVersion, Filing, FilingStatus
from hearings.calendars import services
from hearings.calendars.services import Interval, Resource, ResourceCalendar
from hearings.models import (
    AdjournmentReason,
    BookedBlock,
    Hearing,
    HearingDuration,
    HearingHours,
    HearingMode,
    HearingRoom,
    HearingStatus,
    Interpreter,
    PartyUnavailability,
    ResourceKind,
)
from hearings.notices.services import HearingChange, hearing_changed
from tribunals.models import Membership, Role, Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.languages import LANGUAGES, code_for_name
from tribune.mail import Outbox

BLOCK = timedelta(minutes=15)
# Used when the tribunal set no duration for the case type and mode.
DEFAULT_DURATION_MINUTES = 60
DEFAULT_PROPOSALS = 5
# How far after the end of the notice period proposals look, in days.
HORIZON_DAYS = 120
# Proposals read the hearings of the first FIRST_WINDOW_DAYS days, then of windows twice as
# long each time, until they have enough: one window in the usual case, at most five.
FIRST_WINDOW_DAYS = 7
# Working out free time is plain computing over a window's rows (about 5 ms for a week of a
# busy tribunal's 50 adjudicators): it runs in worker threads, a few at a time.
_computing_limiter = anyio.CapacityLimiter(4)

# A hearing in these states holds nothing: its blocks were released.
RELEASED = (HearingStatus.CANCELLED, HearingStatus.ADJOURNED)

# The journey's sign-language answers, as language codes.
SIGN_LANGUAGE_CODES = {"asl": "ase", "lsq": "fcs"}


# -- the language a case needs --------------------------------------------------------------


@dataclass(frozen=True)
class LanguageNeed:
    """The languages a case's filing asked an interpreter for: codes of
    ``tribune.languages.LANGUAGES``, and what was asked that is not on that list, as typed
    ("another sign language" is an empty string)."""

    codes: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()

    @property
    def needs_interpreter(self) -> bool:
        return bool(self.codes or self.unlisted)


def language_need(filing: Filing) -> LanguageNeed:
    """Return the languages the case's filing asked an interpreter for.

    The spoken language is read as the journey keeps it now (a code, or "other" and the
    language typed) or as it kept it before (the language's name, typed in English or
    French); sign language is ASL (``ase``), LSQ (``fcs``) or another."""
    answers = filing.answers.get("accessibility") or {}
    codes: list[str] = []
    unlisted: list[str] = []
    if answers.get("needs_interpreter"):
        given = str(answers.get("interpreter_language") or "").strip()
        if given in LANGUAGES:
            codes.append(given)
        else:
            typed = str(answers.get("interpreter_language_other") or "").strip()
            if given != "other":
                typed = given
            code = code_for_name(typed)
            if code is not None:
                codes.append(code)
            elif typed:
                unlisted.append(typed)
    sign = answers.get("sign_language")
    if sign in SIGN_LANGUAGE_CODES:
        codes.append(SIGN_LANGUAGE_CODES[sign])
    elif sign == "other":
        unlisted.append("")
    return LanguageNeed(tuple(dict.fromkeys(codes)), tuple(unlisted))


def covers(interpreter: Interpreter, need: LanguageNeed) -> bool:
    """Return whether an interpreter works in every language the case needs."""
    return all(code in interpreter.languages for code in need.codes)


# -- reading a window of the calendar -------------------------------------------------------


async def default_duration(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, mode: HearingMode
) -> int:
    """Return the minutes a hearing of this case in this mode is booked for by default."""
    minutes = await db.scalar(
        select(HearingDuration.minutes)
        .join(CaseTypeVersion, CaseTypeVersion.case_type_id == HearingDuration.case_type_id)
        .where(
            HearingDuration.tribunal_id == tribunal.id,
            HearingDuration.mode == mode,
            CaseTypeVersion.id == filing.case_type_version_id,
        )
    )
    return minutes if minutes is not None else DEFAULT_DURATION_MINUTES


def _busy_by_resource(rows: Iterable[Any]) -> dict[uuid.UUID, list[Interval]]:
    busy: dict[uuid.UUID, list[Interval]] = {}
    for starts_at, ends_at, adjudicator_id, interpreter_id, room_id in rows:
        for resource_id in (adjudicator_id, interpreter_id, room_id):
            if resource_id is not None:
                busy.setdefault(resource_id, []).append(Interval(starts_at, ends_at))
    return {key: services.merge(intervals) for key, intervals in busy.items()}


async def _hearings_between(
    db: AsyncSession,
    tribunal: Tribunal,
    resource_ids: Sequence[uuid.UUID],
    span: Interval,
    *,
    exclude: uuid.UUID | None = None,
) -> list[Any]:
    """Return (start, end, adjudicator, interpreter, room) of the hearings holding any of the
    resources during the span (those whose blocks are not released: neither cancelled nor
    adjourned), but the one excluded (a hearing being moved); with many resources, of all
    the tribunal's hearings then (see ``services.FEW_RESOURCES``)."""
    held = [
        or_(
            Hearing.adjudicator_id.in_(resource_ids),
            Hearing.interpreter_id.in_(resource_ids),
            Hearing.room_id.in_(resource_ids),
        )
    ]
    rows = await db.execute(
        select(
            Hearing.starts_at,
            Hearing.ends_at,
            Hearing.adjudicator_id,
            Hearing.interpreter_id,
            Hearing.room_id,
        ).where(
            Hearing.tribunal_id == tribunal.id,
            Hearing.status.not_in(RELEASED),
            Hearing.starts_at < span.end,
            Hearing.ends_at > span.start,
            *(held if len(resource_ids) <= services.FEW_RESOURCES else []),
            *([Hearing.id != exclude] if exclude is not None else []),
        )
    )
    return list(rows)


async def _party_days(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, first_day: date, last_day: date
) -> list[PartyUnavailability]:
    rows = await db.scalars(
        select(PartyUnavailability).where(
            PartyUnavailability.tribunal_id == tribunal.id,
            PartyUnavailability.filing_id == filing.id,
            PartyUnavailability.first_day <= last_day,
            PartyUnavailability.last_day >= first_day,
        )
    )
    return list(rows)


def _blocked_days(rows: Iterable[PartyUnavailability]) -> set[date]:
    days: set[date] = set()
    for row in rows:
        day = row.first_day
        while day <= row.last_day:
            days.add(day)
            day += timedelta(days=1)
    return days


def _day_of(instant: datetime, zone: str) -> date:
    """Return the local date of an instant where the tribunal sits."""
    return instant.astimezone(ZoneInfo(zone)).date()


def earliest_day(tribunal: Tribunal, notice_business_days: int, now: datetime) -> date:
    """Return the first local date a hearing may be held on: the minimum notice counted in
    business days from today where the tribunal sits."""
    return add_business_days(today_in(tribunal, now), notice_business_days, tribunal.province)


def _ceil_to_block(instant: datetime) -> datetime:
    instant = instant.astimezone(UTC)
    floor = instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)
    return floor if floor == instant else floor + BLOCK


def _free(calendar: ResourceCalendar, busy: list[Interval], day: date, zone: str) -> list[Interval]:
    available = services.expand_availability(calendar.patterns, calendar.exceptions, day, day, zone)
    return services.subtract(available, busy)


def _fits(free: list[Interval], start: datetime, end: datetime) -> bool:
    return any(interval.start <= start and end <= interval.end for interval in free)


# -- proposals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A time a hearing of the case can be booked, and who and what it would book."""

    starts_at: datetime
    ends_at: datetime
    adjudicator_id: uuid.UUID
    interpreter_id: uuid.UUID | None = None
    language: str | None = None
    room_id: uuid.UUID | None = None


@dataclass
class _Search:
    """What a proposal search reads once, and the free time it works out day by day."""

    tribunal: Tribunal
    hours: dict[int, HearingHours]
    adjudicators: list[uuid.UUID]
    interpreters: list[uuid.UUID]
    rooms: list[uuid.UUID]
    calendars: dict[Resource, ResourceCalendar] = field(default_factory=dict)
    busy: dict[uuid.UUID, list[Interval]] = field(default_factory=dict)
    free: dict[tuple[uuid.UUID, date], list[Interval]] = field(default_factory=dict)

    def free_of(self, resource: Resource, day: date) -> list[Interval]:
        key = (resource.id, day)
        if key not in self.free:
            self.free[key] = _free(
                self.calendars[resource],
                self.busy.get(resource.id, []),
                day,
                self.tribunal.time_zone,
            )
        return self.free[key]

    def first_free(
        self, kind: ResourceKind, ids: list[uuid.UUID], day: date, start: datetime, end: datetime
    ) -> uuid.UUID | None:
        for resource_id in ids:
            if _fits(self.free_of(Resource(kind, resource_id), day), start, end):
                return resource_id
        return None


async def propose_slots(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    mode: HearingMode,
    *,
    duration_minutes: int | None = None,
    adjudicator_id: uuid.UUID | None = None,
    count: int = DEFAULT_PROPOSALS,
    horizon_days: int = HORIZON_DAYS,
    now: datetime | None = None,
    moving: uuid.UUID | None = None,
) -> list[Proposal]:
    """Return the ``count`` earliest start times (on the quarter hour) at which a hearing of
    the case can be booked, each with the adjudicator (the one given, or the first free of
    the tribunal's by name), the interpreter for the case's language if it needs one, and a
    room for a hearing in person; or fewer if the horizon is reached.

    A slot lies inside the tribunal's hearing hours on a day that is not a public holiday,
    on or after the end of the minimum notice, on none of the days the parties said they
    cannot attend, and every resource it books is available and holds no other hearing.
    An empty list if the case needs a language no listed interpreter can be matched for.
    The hearing being moved, if any (``moving``), holds nothing against its new time."""
    now = now or utcnow()
    if duration_minutes is not None and not _whole_quarters(duration_minutes):
        raise ValueError("a hearing lasts whole quarter hours, from 15 minutes to 8 hours")
    settings = await services.settings_of(db, tribunal)
    hours = await services.hours_of(db, tribunal)
    duration = timedelta(
        minutes=duration_minutes or await default_duration(db, tribunal, filing, mode)
    )
    adjudicators = (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tribunal_id == tribunal.id, Membership.role == Role.ADJUDICATOR)
        .order_by(User.name, User.id)
    )
    if adjudicator_id is not None:
        adjudicators = adjudicators.where(Membership.user_id == adjudicator_id)
    adjudicator_ids = list(await db.scalars(adjudicators))
    need = language_need(filing)
    interpreter_ids: list[uuid.UUID] = []
    if need.codes:
        interpreters = await db.execute(
            select(Interpreter.id, Interpreter.languages)
            .where(Interpreter.tribunal_id == tribunal.id, Interpreter.active)
            .order_by(Interpreter.name, Interpreter.id)
        )
        interpreter_ids = [
            key for key, languages in interpreters if all(c in languages for c in need.codes)
        ]
    elif need.unlisted:
        return []
    room_ids: list[uuid.UUID] = []
    if mode is HearingMode.IN_PERSON:
        rooms = await db.scalars(
            select(HearingRoom.id)
            .where(HearingRoom.tribunal_id == tribunal.id, HearingRoom.active)
            .order_by(HearingRoom.name, HearingRoom.id)
        )
        room_ids = list(rooms)
    if (
        not adjudicator_ids
        or (need.codes and not interpreter_ids)
        or (mode is HearingMode.IN_PERSON and not room_ids)
    ):
        return []
    search = _Search(tribunal, hours, adjudicator_ids, interpreter_ids, room_ids)
    resources = [
        *(Resource(ResourceKind.ADJUDICATOR, key) for key in adjudicator_ids),
        *(Resource(ResourceKind.INTERPRETER, key) for key in interpreter_ids),
        *(Resource(ResourceKind.ROOM, key) for key in room_ids),
    ]
    first_day = earliest_day(tribunal, settings.minimum_notice_business_days, now)
    last_day = first_day + timedelta(days=horizon_days)
    earliest = max(now, services.local_instant(first_day, time(0), tribunal.time_zone))
    proposals: list[Proposal] = []
    window_days = FIRST_WINDOW_DAYS
    window_first = first_day
    while window_first <= last_day and len(proposals) < count:
        window_last = min(window_first + timedelta(days=window_days - 1), last_day)
        span = services.whole_days(window_first, window_last, tribunal.time_zone)
        calendars = await services.calendars_between(
            db, tribunal, resources, window_first, window_last
        )
        hearings = await _hearings_between(
            db, tribunal, [r.id for r in resources], span, exclude=moving
        )
        unavailable = await _party_days(db, tribunal, filing, window_first, window_last)
        proposals += await anyio.to_thread.run_sync(
            functools.partial(
                _propose_in_window,
                search,
                calendars,
                hearings,
                unavailable,
                window_first,
                window_last,
                earliest,
                duration,
                count - len(proposals),
                need,
            ),
            limiter=_computing_limiter,
        )
        window_first = window_last + timedelta(days=1)
        window_days *= 2
    return proposals


def _propose_in_window(
    search: _Search,
    calendars: dict[Resource, ResourceCalendar],
    hearings: list[Any],
    unavailable: list[PartyUnavailability],
    first_day: date,
    last_day: date,
    earliest: datetime,
    duration: timedelta,
    count: int,
    need: LanguageNeed,
) -> list[Proposal]:
    """Return up to ``count`` proposals from ``first_day`` to ``last_day``, given the
    window's calendars, hearings and parties' unavailable days (no database: a thread)."""
    search.calendars = calendars
    search.busy = _busy_by_resource(hearings)
    search.free = {}
    blocked = _blocked_days(unavailable)
    tribunal = search.tribunal
    proposals: list[Proposal] = []
    for window in services.hearing_windows(search.hours.values(), first_day, last_day, tribunal):
        day = _day_of(window.start, tribunal.time_zone)
        if day in blocked:
            continue
        start = _ceil_to_block(max(window.start, earliest))
        while start + duration <= window.end:
            end = start + duration
            adjudicator = search.first_free(
                ResourceKind.ADJUDICATOR, search.adjudicators, day, start, end
            )
            interpreter = (
                search.first_free(ResourceKind.INTERPRETER, search.interpreters, day, start, end)
                if need.codes
                else None
            )
            room = (
                search.first_free(ResourceKind.ROOM, search.rooms, day, start, end)
                if search.rooms
                else None
            )
            if (
                adjudicator is not None
                and (interpreter is not None or not need.codes)
                and (room is not None or not search.rooms)
            ):
                proposals.append(
                    Proposal(
                        start,
                        end,
                        adjudicator,
                        interpreter,
                        need.codes[0] if interpreter is not None else None,
                        room,
                    )
                )
                if len(proposals) == count:
                    return proposals
            start += BLOCK
    return proposals


# -- booking --------------------------------------------------------------------------------


class BookingProblemKind(enum.Enum):
    """Why a booking was refused; nothing was changed."""

    CASE_NOT_ACCEPTED = "case_not_accepted"
    CASE_CHANGED = "case_changed"  # moved by someone else meanwhile
    MODE_NOT_OFFERED = "mode_not_offered"
    DURATION = "duration"  # under 15 minutes, over a day's hearing, or not by quarter hours
    NOT_ON_QUARTER_HOUR = "not_on_quarter_hour"
    IN_THE_PAST = "in_the_past"
    INSIDE_NOTICE = "inside_notice"
    HOLIDAY = "holiday"
    OUTSIDE_HOURS = "outside_hours"
    UNKNOWN_ADJUDICATOR = "unknown_adjudicator"  # not one of the tribunal's adjudicators
    INTERPRETER_NEEDED = "interpreter_needed"
    UNKNOWN_INTERPRETER = "unknown_interpreter"  # not the tribunal's, or deactivated
    INTERPRETER_LANGUAGE = "interpreter_language"  # not for the language the case needs
    ROOM_NEEDED = "room_needed"
    UNKNOWN_ROOM = "unknown_room"  # not the tribunal's, or deactivated
    ADJUDICATOR_UNAVAILABLE = "adjudicator_unavailable"
    INTERPRETER_UNAVAILABLE = "interpreter_unavailable"
    ROOM_UNAVAILABLE = "room_unavailable"
    ADJUDICATOR_BOOKED = "adjudicator_booked"
    INTERPRETER_BOOKED = "interpreter_booked"
    ROOM_BOOKED = "room_booked"
    SLOT_TAKEN = "slot_taken"  # taken meanwhile, by a hearing this tribunal cannot see
    PARTY_UNAVAILABLE = "party_unavailable"
    HEARING_NOT_SCHEDULED = "hearing_not_scheduled"  # moved, adjourned or cancelled meanwhile
    HEARING_STARTED = "hearing_started"  # its time has come: its outcome is recorded instead


@dataclass(frozen=True)
class BookingProblem:
    kind: BookingProblemKind
    # With *_BOOKED: the other hearing's time; with PARTY_UNAVAILABLE: the days.
    conflict: Interval | None = None
    days: tuple[date, date] | None = None
    # With INTERPRETER_*: the language needed.
    language: str = ""


@dataclass(frozen=True)
class BookingRequest:
    """What a clerk asks to book."""

    mode: HearingMode
    starts_at: datetime
    duration_minutes: int
    adjudicator_id: uuid.UUID
    interpreter_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    # An administrator may book over a party's unavailable days, giving the reason.
    party_override_reason: str = ""


def _whole_quarters(minutes: int) -> bool:
    return (
        services.MIN_DURATION_MINUTES <= minutes <= services.MAX_DURATION_MINUTES
        and minutes % 15 == 0
    )


_UNAVAILABLE = {
    ResourceKind.ADJUDICATOR: BookingProblemKind.ADJUDICATOR_UNAVAILABLE,
    ResourceKind.INTERPRETER: BookingProblemKind.INTERPRETER_UNAVAILABLE,
    ResourceKind.ROOM: BookingProblemKind.ROOM_UNAVAILABLE,
}
_BOOKED = {
    ResourceKind.ADJUDICATOR: BookingProblemKind.ADJUDICATOR_BOOKED,
    ResourceKind.INTERPRETER: BookingProblemKind.INTERPRETER_BOOKED,
    ResourceKind.ROOM: BookingProblemKind.ROOM_BOOKED,
}


def _problem_of_time(
    tribunal: Tribunal,
    request: BookingRequest,
    hours: dict[int, HearingHours],
    notice_business_days: int,
    now: datetime,
) -> BookingProblem | None:
    if request.starts_at.tzinfo is None:
        raise ValueError("a hearing's start is an instant: give its zone")
    start = request.starts_at.astimezone(UTC)
    minutes = request.duration_minutes
    if not _whole_quarters(minutes):
        return BookingProblem(BookingProblemKind.DURATION)
    if start.minute % 15 or start.second or start.microsecond:
        return BookingProblem(BookingProblemKind.NOT_ON_QUARTER_HOUR)
    if start <= now:
        return BookingProblem(BookingProblemKind.IN_THE_PAST)
    day = _day_of(start, tribunal.time_zone)
    if day < earliest_day(tribunal, notice_business_days, now):
        return BookingProblem(BookingProblemKind.INSIDE_NOTICE)
    if is_holiday(day, tribunal.province):
        return BookingProblem(BookingProblemKind.HOLIDAY)
    windows = services.hearing_windows(hours.values(), day, day, tribunal)
    if not _fits(windows, start, start + timedelta(minutes=minutes)):
        return BookingProblem(BookingProblemKind.OUTSIDE_HOURS)
    return None


def _blocks_of(
    tribunal: Tribunal,
    hearing: Hearing,
    resources: Sequence[Resource],
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    made = now or hearing.created_at
    rows = []
    for resource in sorted(resources, key=lambda item: str(item.id)):
        block = hearing.starts_at
        while block < hearing.ends_at:
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "tribunal_id": tribunal.id,
                    "hearing_id": hearing.id,
                    "resource_kind": resource.kind,
                    "resource_id": resource.id,
                    "starts_at": block,
                    "created_at": made,
                    "updated_at": made,
                }
            )
            block += BLOCK
    return rows


async def _conflict(
    db: AsyncSession,
    tribunal: Tribunal,
    resources: Sequence[Resource],
    span: Interval,
    *,
    exclude: uuid.UUID | None = None,
) -> BookingProblem | None:
    """Return the problem of the first resource that holds another hearing during the span."""
    rows = await _hearings_between(
        db, tribunal, [resource.id for resource in resources], span, exclude=exclude
    )
    for resource in resources:
        for starts_at, ends_at, *held in rows:
            if resource.id in held:
                return BookingProblem(_BOOKED[resource.kind], Interval(starts_at, ends_at))
    return None


@dataclass(frozen=True)
class _Checked:
    """What a request books once every check passed."""

    span: Interval
    resources: list[Resource]
    language: str | None
    # An administrator's reason for booking over a party's unavailable days, when they did.
    overridden: str = ""


async def _check_request(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    request: BookingRequest,
    *,
    actors: frozenset[Actor],
    now: datetime,
    moving: Hearing | None = None,
) -> _Checked | BookingProblem:
    """Return what the request would book, or the first reason it may not: the checks a
    booking and a move share (the hearing being moved holds nothing against itself)."""
    settings = await services.settings_of(db, tribunal)
    if request.mode not in settings.offered_modes:
        return BookingProblem(BookingProblemKind.MODE_NOT_OFFERED)
    hours = await services.hours_of(db, tribunal)
    problem = _problem_of_time(tribunal, request, hours, settings.minimum_notice_business_days, now)
    if problem is not None:
        return problem
    start = request.starts_at.astimezone(UTC)
    span = Interval(start, start + timedelta(minutes=request.duration_minutes))
    day = _day_of(start, tribunal.time_zone)

    if await services.adjudicator_of(db, tribunal, request.adjudicator_id) is None:
        return BookingProblem(BookingProblemKind.UNKNOWN_ADJUDICATOR)
    resources = [Resource(ResourceKind.ADJUDICATOR, request.adjudicator_id)]
    need = language_need(filing)
    language = need.codes[0] if need.codes else None
    if request.interpreter_id is None and need.codes:
        return BookingProblem(BookingProblemKind.INTERPRETER_NEEDED, language=need.codes[0])
    if request.interpreter_id is not None:
        interpreter = await services.interpreter_of(db, tribunal, request.interpreter_id)
        if interpreter is None or not interpreter.active:
            return BookingProblem(BookingProblemKind.UNKNOWN_INTERPRETER)
        if not need.codes or not covers(interpreter, need):
            missing = [code for code in need.codes if code not in interpreter.languages]
            return BookingProblem(
                BookingProblemKind.INTERPRETER_LANGUAGE, language=(missing or [""])[0]
            )
        resources.append(Resource(ResourceKind.INTERPRETER, interpreter.id))
    if request.room_id is None and request.mode is HearingMode.IN_PERSON:
        return BookingProblem(BookingProblemKind.ROOM_NEEDED)
    if request.room_id is not None:
        room: HearingRoom | None = await services.room_of(db, tribunal, request.room_id)
        if room is None or not room.active:
            return BookingProblem(BookingProblemKind.UNKNOWN_ROOM)
        resources.append(Resource(ResourceKind.ROOM, room.id))

    calendars = await services.calendars_between(db, tribunal, resources, day, day)
    for resource in resources:
        calendar = calendars[resource]
        if not _fits(_free(calendar, [], day, tribunal.time_zone), span.start, span.end):
            return BookingProblem(_UNAVAILABLE[resource.kind], language=language or "")
    conflict = await _conflict(
        db, tribunal, resources, span, exclude=moving.id if moving is not None else None
    )
    if conflict is not None:
        return conflict
    override = request.party_override_reason.strip()
    unavailable = await _party_days(db, tribunal, filing, day, day)
    if unavailable and not (override and Actor.ADMIN in actors):
        first = unavailable[0]
        return BookingProblem(
            BookingProblemKind.PARTY_UNAVAILABLE, days=(first.first_day, first.last_day)
        )
    return _Checked(
        span,
        resources,
        language if request.interpreter_id is not None else None,
        override if unavailable else "",
    )


def _registry_role(actors: frozenset[Actor]) -> str:
    return str((Actor.ADMIN if Actor.ADMIN in actors else Actor.CLERK).value)


def _record(
    db: AsyncSession,
    action: AuditAction,
    hearing: Hearing,
    user: User,
    actors: frozenset[Actor],
    **details: Any,
) -> None:
    """Write the audit entry of a change the registry made to a hearing."""
    audit.record(
        db,
        action,
        actor_id=user.id,
        actor_role=_registry_role(actors),
        tribunal_id=hearing.tribunal_id,
        subject_type="hearing",
        subject_id=hearing.id,
        case_id=hearing.filing_id,
        **details,
    )


async def book_hearing(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    request: BookingRequest,
    *,
    user: User,
    actors: frozenset[Actor],
    now: datetime | None = None,
) -> Hearing | BookingProblem:
    """Book a hearing of an accepted case and move the case to "scheduled" (a case event, an
    audit entry, every participant told by the notice of hearing); return the hearing, or
    the first problem found, with nothing changed.

    Checked: the case is the tribunal's and accepted; the mode is offered; the duration is
    whole quarter hours from 15 minutes to 8 hours; the start is on the quarter hour, in the
    future, on or after the end of the notice period, not on a holiday, and the hearing lies
    in the day's hearing hours; the adjudicator, interpreter and room are the tribunal's
    (and active); the interpreter covers the languages the case needs (required if it needs
    any listed language); a room is given for a hearing in person; each is available and
    holds no other hearing then; no party said they cannot attend that day (an
    administrator may override this with a reason). The database refuses an overlapping
    booking that a concurrent one made meanwhile.

    One interpreter is booked per hearing, for the case's first language; a case that
    needs two (Spanish and ASL) needs one interpreter who works in both."""
    now = now or utcnow()
    if filing.tribunal_id != tribunal.id or filing.status is not FilingStatus.ACCEPTED:
        return BookingProblem(BookingProblemKind.CASE_NOT_ACCEPTED)
    checked = await _check_request(db, tribunal, filing, request, actors=actors, now=now)
    if isinstance(checked, BookingProblem):
        return checked
    hearing = Hearing(
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        starts_at=checked.span.start,
        ends_at=checked.span.end,
        mode=request.mode,
        adjudicator_id=request.adjudicator_id,
        interpreter_id=request.interpreter_id,
        language=checked.language,
        room_id=request.room_id,
        status=HearingStatus.SCHEDULED,
        sequence=0,
        created_by_id=user.id,
        created_at=now,
        updated_at=now,
    )
    hearing.calendar_uid = f"hearing-{hearing.id}@tribune"
    await db.flush()  # the caller's pending changes stay out of the savepoint
    try:
        # A savepoint: a refused booking leaves nothing, and the caller's transaction goes on.
        async with db.begin_nested():
            db.add(hearing)
            await db.flush()
            await db.execute(insert(BookedBlock), _blocks_of(tribunal, hearing, checked.resources))
            await lifecycle.apply(
                db, outbox, tribunal, filing, "schedule", user=user, actors=actors, notify=False
            )
    except IntegrityError:
        return await _conflict(db, tribunal, checked.resources, checked.span) or BookingProblem(
            BookingProblemKind.SLOT_TAKEN
        )
    except TransitionRefused:
        return BookingProblem(BookingProblemKind.CASE_CHANGED)
    _record(
        db,
        AuditAction.HEARING_BOOKED,
        hearing,
        user,
        actors,
        **({"party_unavailability_overridden": checked.overridden} if checked.overridden else {}),
    )
    await hearing_changed(db, outbox, tribunal, filing, hearing, HearingChange.BOOKED)
    return hearing


async def release_blocks(db: AsyncSession, hearing: Hearing) -> None:
    """Free the quarter hours a hearing holds (when it is cancelled or moved), so that its
    adjudicator, interpreter and room can be booked then again."""
    await db.execute(
        delete(BookedBlock).where(
            BookedBlock.tribunal_id == hearing.tribunal_id, BookedBlock.hearing_id == hearing.id
        )
    )


# -- moving, adjourning and cancelling ------------------------------------------------------


class _Lost(Exception):  # noqa: N818 - reads as what happened
    """The hearing was changed by someone else between the page and this click."""


async def _change_hearing(db: AsyncSession, hearing: Hearing, now: datetime, **values: Any) -> None:
    """Change a scheduled hearing as it was read, and add one to its SEQUENCE (the invites
    announce every change); raise _Lost if someone else changed it meanwhile."""
    values = {**values, "sequence": hearing.sequence + 1, "updated_at": now}
    changed = await db.execute(
        update(Hearing)
        .where(
            Hearing.id == hearing.id,
            Hearing.status == HearingStatus.SCHEDULED,
            Hearing.sequence == hearing.sequence,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise _Lost
    for key, value in values.items():
        set_committed_value(hearing, key, value)


def _still_scheduled(
    tribunal: Tribunal, filing: Filing, hearing: Hearing, now: datetime
) -> BookingProblem | None:
    """Return why the hearing can no longer be moved, adjourned or cancelled, or None."""
    if hearing.tribunal_id != tribunal.id or hearing.filing_id != filing.id:
        raise ValueError("the hearing is not this case's")
    if hearing.status is not HearingStatus.SCHEDULED or filing.status is not FilingStatus.SCHEDULED:
        return BookingProblem(BookingProblemKind.HEARING_NOT_SCHEDULED)
    if hearing.starts_at <= now:
        return BookingProblem(BookingProblemKind.HEARING_STARTED)
    return None


async def reschedule_hearing(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    request: BookingRequest,
    *,
    reason: str,
    user: User,
    actors: frozenset[Actor],
    now: datetime | None = None,
) -> Hearing | BookingProblem:
    """Move a scheduled hearing to a new time (mode, adjudicator, interpreter, room), for a
    reason the parties are told; return the hearing, or the first problem found, with
    nothing changed.

    The new time goes through every check of a booking, the hearing's own quarter hours
    not counting against it; its old quarter hours are released and the new ones held under
    the same unique key, in a savepoint, so a concurrent booking of the new time gets one
    success. The hearing keeps its calendar UID and its SEQUENCE grows by one; the case
    stays "scheduled", with a ``hearing_rescheduled`` event and an audit entry."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise ValueError("a hearing is moved for a reason")
    problem = _still_scheduled(tribunal, filing, hearing, now)
    if problem is not None:
        return problem
    checked = await _check_request(
        db, tribunal, filing, request, actors=actors, now=now, moving=hearing
    )
    if isinstance(checked, BookingProblem):
        return checked
    before = (hearing.starts_at, hearing.ends_at)
    await db.flush()
    try:
        async with db.begin_nested():
            await release_blocks(db, hearing)
            await _change_hearing(
                db,
                hearing,
                now,
                starts_at=checked.span.start,
                ends_at=checked.span.end,
                mode=request.mode,
                adjudicator_id=request.adjudicator_id,
                interpreter_id=request.interpreter_id,
                language=checked.language,
                room_id=request.room_id,
                status_reason=reason,
            )
            await db.execute(
                insert(BookedBlock), _blocks_of(tribunal, hearing, checked.resources, now)
            )
    except IntegrityError:
        await db.refresh(hearing)
        return await _conflict(
            db, tribunal, checked.resources, checked.span, exclude=hearing.id
        ) or BookingProblem(BookingProblemKind.SLOT_TAKEN)
    except _Lost:
        await db.refresh(hearing)
        return BookingProblem(BookingProblemKind.HEARING_NOT_SCHEDULED)
    except DBAPIError as error:
        # Two hearings moved into each other's time at the same moment: each waits for the
        # quarter hours the other released, and PostgreSQL ends one of them (deadlock,
        # SQLSTATE 40P01). The savepoint is rolled back: that move is refused as taken.
        if getattr(error.orig, "pgcode", None) != "40P01":
            raise
        await db.refresh(hearing)
        return BookingProblem(BookingProblemKind.SLOT_TAKEN)
    cases.add_event(
        db,
        filing,
        "hearing_rescheduled",
        actor_id=user.id,
        occurred_at=now,
        details={
            "reason": reason,
            "role": _registry_role(actors),
            "from": [moment.isoformat() for moment in before],
            "to": [checked.span.start.isoformat(), checked.span.end.isoformat()],
        },
    )
    _record(
        db,
        AuditAction.HEARING_RESCHEDULED,
        hearing,
        user,
        actors,
        sequence=hearing.sequence,
        **({"party_unavailability_overridden": checked.overridden} if checked.overridden else {}),
    )
    await hearing_changed(
        db, outbox, tribunal, filing, hearing, HearingChange.RESCHEDULED, reason=reason
    )
    return hearing


@dataclass(frozen=True)
class _Ending:
    """How a hearing is taken off the calendar: adjourned or cancelled."""

    status: HearingStatus
    transition: str  # of filings.lifecycle, back to "accepted"
    action: AuditAction
    change: HearingChange


_ADJOURNED = _Ending(
    HearingStatus.ADJOURNED, "adjourn", AuditAction.HEARING_ADJOURNED, HearingChange.ADJOURNED
)
_CANCELLED = _Ending(
    HearingStatus.CANCELLED,
    "cancel_hearing",
    AuditAction.HEARING_CANCELLED,
    HearingChange.CANCELLED,
)


async def _end_hearing(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    ending: _Ending,
    reason: str,
    *,
    user: User,
    actors: frozenset[Actor],
    now: datetime | None,
    code: AdjournmentReason | None = None,
) -> Hearing | BookingProblem:
    """Take a scheduled hearing off the calendar before it is held, for the reasons the
    parties are told: its quarter hours released, its SEQUENCE one more (the invites'
    cancellation outranks the request), the case moved back to "accepted" (the transition's
    event), an audit entry, every participant told; return the hearing, or the problem,
    with nothing changed."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise ValueError("a hearing is adjourned or cancelled for a reason")
    problem = _still_scheduled(tribunal, filing, hearing, now)
    if problem is not None:
        return problem
    values: dict[str, Any] = {"status": ending.status, "status_reason": reason}
    if code is not None:
        values["adjournment_reason"] = code
    await db.flush()
    try:
        async with db.begin_nested():
            await _change_hearing(db, hearing, now, **values)
            await release_blocks(db, hearing)
            event = await lifecycle.apply(
                db,
                outbox,
                tribunal,
                filing,
                ending.transition,
                user=user,
                actors=actors,
                reason=reason,
                notify=False,
            )
    except (_Lost, TransitionRefused):
        await db.refresh(hearing)
        await db.refresh(filing)
        return BookingProblem(BookingProblemKind.HEARING_NOT_SCHEDULED)
    # The case's event names the hearing and the coded reason, as an outcome's does: the
    # service standards pause their clocks on adjournments asked for by a party.
    event.details = {
        **event.details,
        "hearing_id": str(hearing.id),
        **({"adjournment_reason": code.value} if code is not None else {}),
    }
    _record(
        db,
        ending.action,
        hearing,
        user,
        actors,
        **({"reason": code.value} if code is not None else {}),
    )
    await hearing_changed(db, outbox, tribunal, filing, hearing, ending.change, reason=reason)
    return hearing


async def adjourn_hearing(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    code: AdjournmentReason,
    reason: str,
    *,
    user: User,
    actors: frozenset[Actor],
    now: datetime | None = None,
) -> Hearing | BookingProblem:
    """Adjourn a scheduled hearing before it is held, for a coded reason and the reasons
    the parties are told (see ``_end_hearing``); the case can then be scheduled again."""
    return await _end_hearing(
        db,
        outbox,
        tribunal,
        filing,
        hearing,
        _ADJOURNED,
        reason,
        user=user,
        actors=actors,
        now=now,
        code=code,
    )


async def cancel_hearing(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    reason: str,
    *,
    user: User,
    actors: frozenset[Actor],
    now: datetime | None = None,
) -> Hearing | BookingProblem:
    """Cancel a scheduled hearing before it is held, for the reasons the parties are told
    (see ``_end_hearing``)."""
    return await _end_hearing(
        db, outbox, tribunal, filing, hearing, _CANCELLED, reason, user=user, actors=actors, now=now
    )


@lifecycle.on_move
async def cancel_hearings_of_ended_case(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    event: CaseEvent,
    user: User,
    actors: frozenset[Actor],
) -> None:
    """When a case is withdrawn or dismissed, cancel its hearings still scheduled: their
    quarter hours released, SEQUENCE one more, every participant told (their calendars
    remove the event) and no reminder sent; the case's own event says why."""
    if filing.status not in (FilingStatus.WITHDRAWN, FilingStatus.DISMISSED):
        return
    scheduled = (
        await db.scalars(
            select(Hearing).where(
                Hearing.tribunal_id == tribunal.id,
                Hearing.filing_id == filing.id,
                Hearing.status == HearingStatus.SCHEDULED,
            )
        )
    ).all()
    reason = str(event.details.get("reason") or "")
    for hearing in scheduled:
        await _change_hearing(
            db, hearing, utcnow(), status=HearingStatus.CANCELLED, status_reason=reason
        )
        await release_blocks(db, hearing)
        audit.record(
            db,
            AuditAction.HEARING_CANCELLED,
            actor_id=user.id,
            actor_role=str(event.details.get("role") or ""),
            tribunal_id=tribunal.id,
            subject_type="hearing",
            subject_id=hearing.id,
            case_id=filing.id,
            because=event.kind,
        )
        await hearing_changed(
            db, outbox, tribunal, filing, hearing, HearingChange.CANCELLED, reason=reason
        )


# -- reading a case's hearings --------------------------------------------------------------


@dataclass(frozen=True)
class HearingView:
    """A hearing with the names of who and what it books."""

    hearing: Hearing
    adjudicator_name: str
    interpreter_name: str | None
    room: HearingRoom | None


async def hearings_of_case(
    db: AsyncSession, tribunal: Tribunal, filing: Filing
) -> list[HearingView]:
    """Return the case's hearings, latest first, with their adjudicator's and interpreter's
    names and their room (one query)."""
    rows = await db.execute(
        select(Hearing, User.name, Interpreter.name, HearingRoom)
        .join(User, User.id == Hearing.adjudicator_id)
        .outerjoin(Interpreter, Interpreter.id == Hearing.interpreter_id)
        .outerjoin(HearingRoom, HearingRoom.id == Hearing.room_id)
        .where(Hearing.tribunal_id == tribunal.id, Hearing.filing_id == filing.id)
        .order_by(Hearing.created_at.desc(), Hearing.id)
    )
    return [HearingView(*row) for row in rows]


async def hearing_of_case(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, hearing_id: uuid.UUID
) -> Hearing | None:
    """Return the case's hearing with this id, or None if it is not one of the case's."""
    return await db.scalar(
        select(Hearing).where(
            Hearing.id == hearing_id,
            Hearing.tribunal_id == tribunal.id,
            Hearing.filing_id == filing.id,
        )
    )
