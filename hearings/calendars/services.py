"""The rules of hearing calendars: settings and hours, interpreters and rooms, and the
availability of adjudicators, interpreters and rooms, expanded into UTC intervals.

Every function takes the tribunal and reads or writes only its rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.casetypes.services import published_versions
from filings.deadlines import is_holiday
from filings.models import CaseTypeVersion
from hearings.models import (
    DEFAULT_REMINDER_DAYS,
    AvailabilityException,
    ExceptionKind,
    ExceptionReason,
    HearingDuration,
    HearingHours,
    HearingMode,
    HearingRoom,
    HearingSettings,
    Interpreter,
    ResourceKind,
    WeeklyAvailability,
    resource_columns,
)
from tribunals.models import Membership, Role, Tribunal
from tribune import audit
from tribune.audit import AuditAction

# The bounds of a hearing's default duration, in minutes.
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 480


@dataclass(frozen=True, slots=True)
class Resource:
    """An adjudicator (by user id), an interpreter or a room."""

    kind: ResourceKind
    id: uuid.UUID


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """A span of time between two UTC instants, end excluded."""

    start: datetime
    end: datetime


# -- settings and hours ---------------------------------------------------------------------


@dataclass
class SettingsValues:
    """What an administrator sets on the hearing settings page."""

    # Weekday (Monday 0) to local start and end; a weekday missing is closed.
    hours: dict[int, tuple[time, time]]
    modes: list[HearingMode]
    minimum_notice_business_days: int
    unavailability_window_days: int
    dial_in_en: str = ""
    dial_in_fr: str = ""
    # Days before a hearing its participants are reminded of it (hearings.notices).
    reminder_days: list[int] = field(default_factory=lambda: list(DEFAULT_REMINDER_DAYS))


def _record(
    db: AsyncSession,
    action: AuditAction,
    tribunal: Tribunal,
    actor: User,
    subject_type: str,
    subject_id: uuid.UUID,
    actor_role: str = "admin",
) -> None:
    audit.record(
        db,
        action,
        actor_id=actor.id,
        actor_role=actor_role,
        tribunal_id=tribunal.id,
        subject_type=subject_type,
        subject_id=subject_id,
    )


async def settings_of(db: AsyncSession, tribunal: Tribunal) -> HearingSettings:
    """Return the tribunal's hearing settings, or the defaults (not saved) if none were set."""
    saved = await db.scalar(
        select(HearingSettings).where(HearingSettings.tribunal_id == tribunal.id)
    )
    if saved is not None:
        return saved
    return HearingSettings(
        tribunal_id=tribunal.id,
        modes=[mode.value for mode in HearingMode],
        minimum_notice_business_days=10,
        unavailability_window_days=90,
        dial_in_en="",
        dial_in_fr="",
        reminder_days=list(DEFAULT_REMINDER_DAYS),
    )


async def hours_of(db: AsyncSession, tribunal: Tribunal) -> dict[int, HearingHours]:
    """Return the tribunal's hearing hours by weekday (Monday 0); closed days are missing."""
    rows = await db.scalars(select(HearingHours).where(HearingHours.tribunal_id == tribunal.id))
    return {row.weekday: row for row in rows}


async def save_settings(
    db: AsyncSession, tribunal: Tribunal, values: SettingsValues, *, actor: User
) -> None:
    """Save the tribunal's hearing settings and hours (audited)."""
    saved = await db.scalar(
        select(HearingSettings).where(HearingSettings.tribunal_id == tribunal.id)
    )
    if saved is None:
        saved = HearingSettings(tribunal_id=tribunal.id)
        db.add(saved)
    saved.modes = [mode.value for mode in HearingMode if mode in values.modes]
    saved.minimum_notice_business_days = values.minimum_notice_business_days
    saved.unavailability_window_days = values.unavailability_window_days
    saved.dial_in_en = values.dial_in_en
    saved.dial_in_fr = values.dial_in_fr
    saved.reminder_days = sorted(set(values.reminder_days), reverse=True)
    await db.execute(delete(HearingHours).where(HearingHours.tribunal_id == tribunal.id))
    for weekday, (start, end) in sorted(values.hours.items()):
        db.add(HearingHours(tribunal_id=tribunal.id, weekday=weekday, starts_at=start, ends_at=end))
    _record(db, AuditAction.HEARING_SETTINGS_CHANGED, tribunal, actor, "tribunal", tribunal.id)


async def duration_case_types(db: AsyncSession, tribunal: Tribunal) -> list[CaseTypeVersion]:
    """Return the published version of each case type, whose durations can be set."""
    return await published_versions(db, tribunal.id)


async def durations_of(db: AsyncSession, tribunal: Tribunal) -> dict[tuple[uuid.UUID, str], int]:
    """Return the default durations in minutes, by case type id and mode value."""
    rows = await db.scalars(
        select(HearingDuration).where(HearingDuration.tribunal_id == tribunal.id)
    )
    return {(row.case_type_id, row.mode.value): row.minutes for row in rows}


async def save_durations(
    db: AsyncSession,
    tribunal: Tribunal,
    durations: dict[tuple[uuid.UUID, HearingMode], int],
    *,
    actor: User,
) -> None:
    """Replace the default durations by those given (audited); the case types must be the
    tribunal's, and the minutes within bounds."""
    own = {version.case_type_id for version in await duration_case_types(db, tribunal)}
    for (case_type_id, _mode), minutes in durations.items():
        if case_type_id not in own:
            raise ValueError("a duration for another tribunal's case type")
        if not MIN_DURATION_MINUTES <= minutes <= MAX_DURATION_MINUTES:
            raise ValueError("a duration out of bounds")
    await db.execute(delete(HearingDuration).where(HearingDuration.tribunal_id == tribunal.id))
    for (case_type_id, mode), minutes in durations.items():
        db.add(
            HearingDuration(
                tribunal_id=tribunal.id, case_type_id=case_type_id, mode=mode, minutes=minutes
            )
        )
    _record(db, AuditAction.HEARING_DURATIONS_CHANGED, tribunal, actor, "tribunal", tribunal.id)


# -- adjudicators, interpreters, rooms ------------------------------------------------------


async def adjudicators_of(db: AsyncSession, tribunal: Tribunal) -> list[User]:
    """Return the people who hold the adjudicator role in the tribunal, by name."""
    rows = await db.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tribunal_id == tribunal.id, Membership.role == Role.ADJUDICATOR)
        .order_by(User.name, User.id)
    )
    return list(rows)


async def adjudicator_of(db: AsyncSession, tribunal: Tribunal, user_id: uuid.UUID) -> User | None:
    """Return the tribunal's adjudicator with this id, or None if there is none."""
    return await db.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id == user_id,
            Membership.tribunal_id == tribunal.id,
            Membership.role == Role.ADJUDICATOR,
        )
    )


@dataclass
class InterpreterValues:
    name: str
    languages: list[str]
    email: str = ""
    phone: str = ""


@dataclass
class RoomValues:
    name: str
    capacity: int
    address: str = ""
    accessibility_notes: str = ""


async def interpreters_of(db: AsyncSession, tribunal: Tribunal) -> list[Interpreter]:
    """Return the tribunal's interpreters, active ones first, by name."""
    rows = await db.scalars(
        select(Interpreter)
        .where(Interpreter.tribunal_id == tribunal.id)
        .order_by(Interpreter.active.desc(), Interpreter.name, Interpreter.id)
    )
    return list(rows)


async def interpreter_of(
    db: AsyncSession, tribunal: Tribunal, interpreter_id: uuid.UUID
) -> Interpreter | None:
    """Return the tribunal's interpreter with this id, or None if there is none."""
    return await db.scalar(
        select(Interpreter).where(
            Interpreter.id == interpreter_id, Interpreter.tribunal_id == tribunal.id
        )
    )


def add_interpreter(
    db: AsyncSession, tribunal: Tribunal, values: InterpreterValues, *, actor: User
) -> Interpreter:
    """Add an interpreter to the tribunal (audited)."""
    interpreter = Interpreter(tribunal_id=tribunal.id, active=True, **values.__dict__)
    db.add(interpreter)
    _record(db, AuditAction.INTERPRETER_ADDED, tribunal, actor, "interpreter", interpreter.id)
    return interpreter


def update_interpreter(
    db: AsyncSession,
    tribunal: Tribunal,
    interpreter: Interpreter,
    values: InterpreterValues,
    *,
    actor: User,
) -> None:
    """Change an interpreter's details (audited)."""
    assert interpreter.tribunal_id == tribunal.id
    for name, value in values.__dict__.items():
        setattr(interpreter, name, value)
    _record(db, AuditAction.INTERPRETER_CHANGED, tribunal, actor, "interpreter", interpreter.id)


def set_interpreter_active(
    db: AsyncSession, tribunal: Tribunal, interpreter: Interpreter, active: bool, *, actor: User
) -> None:
    """Deactivate an interpreter (no longer offered for hearings) or bring them back (audited)."""
    assert interpreter.tribunal_id == tribunal.id
    if interpreter.active == active:
        return
    interpreter.active = active
    action = AuditAction.INTERPRETER_REACTIVATED if active else AuditAction.INTERPRETER_DEACTIVATED
    _record(db, action, tribunal, actor, "interpreter", interpreter.id)


async def rooms_of(db: AsyncSession, tribunal: Tribunal) -> list[HearingRoom]:
    """Return the tribunal's hearing rooms, active ones first, by name."""
    rows = await db.scalars(
        select(HearingRoom)
        .where(HearingRoom.tribunal_id == tribunal.id)
        .order_by(HearingRoom.active.desc(), HearingRoom.name, HearingRoom.id)
    )
    return list(rows)


async def room_of(db: AsyncSession, tribunal: Tribunal, room_id: uuid.UUID) -> HearingRoom | None:
    """Return the tribunal's room with this id, or None if there is none."""
    return await db.scalar(
        select(HearingRoom).where(HearingRoom.id == room_id, HearingRoom.tribunal_id == tribunal.id)
    )


def add_room(
    db: AsyncSession, tribunal: Tribunal, values: RoomValues, *, actor: User
) -> HearingRoom:
    """Add a hearing room to the tribunal (audited)."""
    room = HearingRoom(tribunal_id=tribunal.id, active=True, **values.__dict__)
    db.add(room)
    _record(db, AuditAction.ROOM_ADDED, tribunal, actor, "hearing_room", room.id)
    return room


def update_room(
    db: AsyncSession, tribunal: Tribunal, room: HearingRoom, values: RoomValues, *, actor: User
) -> None:
    """Change a room's details (audited)."""
    assert room.tribunal_id == tribunal.id
    for name, value in values.__dict__.items():
        setattr(room, name, value)
    _record(db, AuditAction.ROOM_CHANGED, tribunal, actor, "hearing_room", room.id)


def set_room_active(
    db: AsyncSession, tribunal: Tribunal, room: HearingRoom, active: bool, *, actor: User
) -> None:
    """Deactivate a room (no longer offered for hearings) or bring it back (audited)."""
    assert room.tribunal_id == tribunal.id
    if room.active == active:
        return
    room.active = active
    action = AuditAction.ROOM_REACTIVATED if active else AuditAction.ROOM_DEACTIVATED
    _record(db, action, tribunal, actor, "hearing_room", room.id)


async def resource_of(
    db: AsyncSession, tribunal: Tribunal, kind: ResourceKind, resource_id: uuid.UUID
) -> User | Interpreter | HearingRoom | None:
    """Return the tribunal's adjudicator, interpreter or room with this id, or None."""
    if kind is ResourceKind.ADJUDICATOR:
        return await adjudicator_of(db, tribunal, resource_id)
    if kind is ResourceKind.INTERPRETER:
        return await interpreter_of(db, tribunal, resource_id)
    return await room_of(db, tribunal, resource_id)


# -- availability ---------------------------------------------------------------------------


def _resource_filter(
    model: type[WeeklyAvailability] | type[AvailabilityException], resources: Iterable[Resource]
) -> list[ColumnElement[bool]]:
    by_kind: dict[ResourceKind, list[uuid.UUID]] = {}
    for resource in resources:
        by_kind.setdefault(resource.kind, []).append(resource.id)
    columns = {
        ResourceKind.ADJUDICATOR: model.adjudicator_id,
        ResourceKind.INTERPRETER: model.interpreter_id,
        ResourceKind.ROOM: model.room_id,
    }
    return [columns[kind].in_(ids) for kind, ids in by_kind.items()]


async def weekly_pattern(
    db: AsyncSession, tribunal: Tribunal, resource: Resource
) -> list[WeeklyAvailability]:
    """Return a resource's weekly pattern, by weekday and start time."""
    rows = await db.scalars(
        select(WeeklyAvailability)
        .where(
            WeeklyAvailability.tribunal_id == tribunal.id,
            *_resource_filter(WeeklyAvailability, [resource]),
        )
        .order_by(WeeklyAvailability.weekday, WeeklyAvailability.starts_at)
    )
    return list(rows)


def _actor_role(resource: Resource, actor: User) -> str:
    own = resource.kind is ResourceKind.ADJUDICATOR and resource.id == actor.id
    return "adjudicator" if own else "admin"


async def set_weekly_pattern(
    db: AsyncSession,
    tribunal: Tribunal,
    resource: Resource,
    intervals: Sequence[tuple[int, time, time]],
    *,
    actor: User,
) -> None:
    """Replace a resource's weekly pattern by intervals (weekday, local start, local end), read
    in the tribunal's zone (audited). Intervals of one weekday must not overlap."""
    for weekday, start, end in intervals:
        if not 0 <= weekday <= 6 or not start < end:
            raise ValueError("an interval must fall within one weekday and start before it ends")
    await db.execute(
        delete(WeeklyAvailability).where(
            WeeklyAvailability.tribunal_id == tribunal.id,
            *_resource_filter(WeeklyAvailability, [resource]),
        )
    )
    for weekday, start, end in intervals:
        db.add(
            WeeklyAvailability(
                tribunal_id=tribunal.id,
                weekday=weekday,
                starts_at=start,
                ends_at=end,
                time_zone=tribunal.time_zone,
                **resource_columns(resource.kind, resource.id),
            )
        )
    _record(
        db,
        AuditAction.AVAILABILITY_PATTERN_CHANGED,
        tribunal,
        actor,
        resource.kind.value,
        resource.id,
        actor_role=_actor_role(resource, actor),
    )


@dataclass
class ExceptionValues:
    kind: ExceptionKind
    reason: ExceptionReason
    # Whole days (first, last) ...
    days: tuple[date, date] | None = None
    # ... or a day and local start and end times on it.
    part_of_day: tuple[date, time, time] | None = None
    note: str = ""


def local_instant(day: date, at: time, zone: str) -> datetime:
    """Return the UTC instant of a local wall-clock time on a day in a zone.

    A time skipped by a spring change (2:30 when clocks go from 2:00 to 3:00) is read with
    the offset before the change, i.e. as 3:30; a time repeated in the autumn is read as its
    first occurrence (``fold=0``)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def add_exception(
    db: AsyncSession,
    tribunal: Tribunal,
    resource: Resource,
    values: ExceptionValues,
    *,
    actor: User,
) -> AvailabilityException:
    """Add a dated exception to a resource's availability (audited)."""
    columns: dict[str, object] = {}
    if values.days is not None:
        first, last = values.days
        if last < first:
            raise ValueError("the last day is before the first")
        columns = {"first_day": first, "last_day": last}
    elif values.part_of_day is not None:
        day, start, end = values.part_of_day
        if not start < end:
            raise ValueError("the end is not after the start")
        columns = {
            "starts_at": local_instant(day, start, tribunal.time_zone),
            "ends_at": local_instant(day, end, tribunal.time_zone),
        }
    else:
        raise ValueError("an exception needs days or a part of a day")
    exception = AvailabilityException(
        tribunal_id=tribunal.id,
        kind=values.kind,
        reason=values.reason,
        note=values.note,
        **columns,
        **resource_columns(resource.kind, resource.id),
    )
    db.add(exception)
    _record(
        db,
        AuditAction.AVAILABILITY_EXCEPTION_ADDED,
        tribunal,
        actor,
        resource.kind.value,
        resource.id,
        actor_role=_actor_role(resource, actor),
    )
    return exception


async def exceptions_of(
    db: AsyncSession, tribunal: Tribunal, resource: Resource, since: date
) -> list[AvailabilityException]:
    """Return a resource's exceptions that end on or after a day, soonest first."""
    since_instant = local_instant(since, time(0), tribunal.time_zone)
    rows = await db.scalars(
        select(AvailabilityException).where(
            AvailabilityException.tribunal_id == tribunal.id,
            *_resource_filter(AvailabilityException, [resource]),
            or_(
                AvailabilityException.last_day >= since,
                AvailabilityException.ends_at > since_instant,
            ),
        )
    )
    return sorted(rows, key=lambda row: _exception_start(row, tribunal.time_zone))


def _exception_start(row: AvailabilityException, zone: str) -> datetime:
    if row.first_day is not None:
        return local_instant(row.first_day, time(0), zone)
    assert row.starts_at is not None
    return row.starts_at


async def remove_exception(
    db: AsyncSession,
    tribunal: Tribunal,
    resource: Resource,
    exception_id: uuid.UUID,
    *,
    actor: User,
) -> bool:
    """Remove one of a resource's exceptions (audited); return False if it has none by that id."""
    exception = await db.scalar(
        select(AvailabilityException).where(
            AvailabilityException.id == exception_id,
            AvailabilityException.tribunal_id == tribunal.id,
            *_resource_filter(AvailabilityException, [resource]),
        )
    )
    if exception is None:
        return False
    await db.delete(exception)
    _record(
        db,
        AuditAction.AVAILABILITY_EXCEPTION_REMOVED,
        tribunal,
        actor,
        resource.kind.value,
        resource.id,
        actor_role=_actor_role(resource, actor),
    )
    return True


class WeeklyRow(Protocol):
    """What ``expand_availability`` reads of a weekly pattern: a row or a model object."""

    @property
    def weekday(self) -> int: ...
    @property
    def starts_at(self) -> time: ...
    @property
    def ends_at(self) -> time: ...
    @property
    def time_zone(self) -> str: ...


class ExceptionRow(Protocol):
    """What ``expand_availability`` reads of an exception: a row or a model object."""

    @property
    def kind(self) -> ExceptionKind: ...
    @property
    def first_day(self) -> date | None: ...
    @property
    def last_day(self) -> date | None: ...
    @property
    def starts_at(self) -> datetime | None: ...
    @property
    def ends_at(self) -> datetime | None: ...


@dataclass
class ResourceCalendar:
    """A resource's weekly pattern and its exceptions, as read (plain rows, not model
    objects: a search reads hundreds); ``expand_availability`` turns them into intervals."""

    patterns: list[WeeklyRow] = field(default_factory=list)
    exceptions: list[ExceptionRow] = field(default_factory=list)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def subtract(available: list[Interval], taken: list[Interval]) -> list[Interval]:
    """Return the parts of merged, sorted intervals not covered by merged, sorted ``taken``."""
    result: list[Interval] = []
    for interval in available:
        start = interval.start
        for gap in taken:
            if gap.end <= start or gap.start >= interval.end:
                continue
            if gap.start > start:
                result.append(Interval(start, gap.start))
            start = max(start, gap.end)
            if start >= interval.end:
                break
        if start < interval.end:
            result.append(Interval(start, interval.end))
    return result


def _days(first_day: date, last_day: date) -> Iterable[date]:
    day = first_day
    while day <= last_day:
        yield day
        day += timedelta(days=1)


def whole_days(first: date, last: date, zone: str) -> Interval:
    # Local midnight to local midnight: 23 or 25 hours on the days the clocks change.
    return Interval(
        local_instant(first, time(0), zone), local_instant(last + timedelta(days=1), time(0), zone)
    )


def expand_availability(
    patterns: Iterable[WeeklyRow],
    exceptions: Iterable[ExceptionRow],
    first_day: date,
    last_day: date,
    zone: str,
) -> list[Interval]:
    """Return when one resource is available from ``first_day`` to ``last_day`` (local dates,
    inclusive) as merged, sorted UTC intervals.

    The weekly pattern is turned into instants date by date in each row's zone, so its
    wall-clock times hold across daylight-saving changes; extra availability is added; then
    unavailability, whole days (in ``zone``) or part days, is taken out: it always wins."""
    by_weekday: dict[int, list[WeeklyRow]] = {}
    for pattern in patterns:
        by_weekday.setdefault(pattern.weekday, []).append(pattern)
    window = whole_days(first_day, last_day, zone)
    available: list[Interval] = []
    for day in _days(first_day, last_day):
        for pattern in by_weekday.get(day.weekday(), []):
            available.append(
                Interval(
                    local_instant(day, pattern.starts_at, pattern.time_zone),
                    local_instant(day, pattern.ends_at, pattern.time_zone),
                )
            )
    taken: list[Interval] = []
    for exception in exceptions:
        if exception.first_day is not None and exception.last_day is not None:
            span = whole_days(exception.first_day, exception.last_day, zone)
        else:
            assert exception.starts_at is not None
            assert exception.ends_at is not None
            span = Interval(exception.starts_at, exception.ends_at)
        if exception.kind is ExceptionKind.AVAILABLE:
            available.append(span)
        else:
            taken.append(span)
    inside = [
        Interval(max(interval.start, window.start), min(interval.end, window.end))
        for interval in available
        if interval.end > window.start and interval.start < window.end
    ]
    return subtract(merge(inside), merge(taken))


# Beyond this many resources, a tribunal's rows are read whole and sorted out in Python: a
# search over every adjudicator reads almost all of them anyway, and long IN lists cost more
# to build and plan than the few rows they leave out.
FEW_RESOURCES = 8


def _few_resources(
    model: type[WeeklyAvailability] | type[AvailabilityException], resources: Sequence[Resource]
) -> list[ColumnElement[bool]]:
    if len(resources) > FEW_RESOURCES:
        return []
    return [or_(*_resource_filter(model, resources))]


def _row_resource(row: Any) -> Resource:
    if row.adjudicator_id is not None:
        return Resource(ResourceKind.ADJUDICATOR, row.adjudicator_id)
    if row.interpreter_id is not None:
        return Resource(ResourceKind.INTERPRETER, row.interpreter_id)
    return Resource(ResourceKind.ROOM, row.room_id)


async def calendars_between(
    db: AsyncSession,
    tribunal: Tribunal,
    resources: Sequence[Resource],
    first_day: date,
    last_day: date,
) -> dict[Resource, ResourceCalendar]:
    """Return each resource's weekly pattern and the exceptions that touch ``first_day`` to
    ``last_day`` (the tribunal's local dates, inclusive): two queries, however many
    resources."""
    if not resources:
        return {}
    calendars = {resource: ResourceCalendar() for resource in resources}
    patterns = await db.execute(
        select(*WeeklyAvailability.__table__.c).where(
            WeeklyAvailability.tribunal_id == tribunal.id,
            *_few_resources(WeeklyAvailability, resources),
        )
    )
    for pattern in patterns:
        calendar = calendars.get(_row_resource(pattern))
        if calendar is not None:
            calendar.patterns.append(cast(WeeklyRow, pattern))
    window = whole_days(first_day, last_day, tribunal.time_zone)
    exceptions = await db.execute(
        select(*AvailabilityException.__table__.c).where(
            AvailabilityException.tribunal_id == tribunal.id,
            *_few_resources(AvailabilityException, resources),
            or_(
                and_(
                    AvailabilityException.first_day <= last_day,
                    AvailabilityException.last_day >= first_day,
                ),
                and_(
                    AvailabilityException.starts_at < window.end,
                    AvailabilityException.ends_at > window.start,
                ),
            ),
        )
    )
    for exception in exceptions:
        calendar = calendars.get(_row_resource(exception))
        if calendar is not None:
            calendar.exceptions.append(cast(ExceptionRow, exception))
    return calendars


async def availability_between(
    db: AsyncSession,
    tribunal: Tribunal,
    resources: Sequence[Resource],
    first_day: date,
    last_day: date,
) -> dict[Resource, list[Interval]]:
    """Return when each resource is available from ``first_day`` to ``last_day`` (the
    tribunal's local dates, inclusive), as UTC intervals: two queries, however many
    resources."""
    calendars = await calendars_between(db, tribunal, resources, first_day, last_day)
    return {
        resource: expand_availability(
            calendar.patterns, calendar.exceptions, first_day, last_day, tribunal.time_zone
        )
        for resource, calendar in calendars.items()
    }


def hearing_windows(
    hours: Iterable[HearingHours], first_day: date, last_day: date, tribunal: Tribunal
) -> list[Interval]:
    """Return the tribunal's hearing hours from ``first_day`` to ``last_day`` (local dates,
    inclusive) as UTC intervals, leaving out its province's public holidays."""
    by_weekday = {row.weekday: row for row in hours}
    windows = []
    for day in _days(first_day, last_day):
        row = by_weekday.get(day.weekday())
        if row is None or is_holiday(day, tribunal.province):
            continue
        windows.append(
            Interval(
                local_instant(day, row.starts_at, tribunal.time_zone),
                local_instant(day, row.ends_at, tribunal.time_zone),
            )
        )
    return windows
