"""A tribunal set up for scheduling, worked out by hand: Toronto (Ontario holidays), hearings
Monday to Friday 9:30 to 16:30 in every mode, a notice of `notice` business days, hearings
of 60 minutes by default, and an adjudicator available Monday to Friday 9:00 to 17:00."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import Filing, FilingStatus
from hearings.calendars import services
from hearings.calendars.services import ExceptionValues, InterpreterValues, Resource, RoomValues
from hearings.models import (
    ExceptionKind,
    ExceptionReason,
    HearingMode,
    HearingRoom,
    Interpreter,
    ResourceKind,
)
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tribunals.models import Role, Tribunal

WEEKDAYS = range(5)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Calendar:
    tribunal: Tribunal
    admin: User
    clerk: User
    adjudicator: User

    async def adjudicator_named(
        self, db: AsyncSession, name: str, weekdays: range = WEEKDAYS
    ) -> User:
        user = await make_staff(db, self.tribunal, Role.ADJUDICATOR, name=name)
        await self.available(db, Resource(ResourceKind.ADJUDICATOR, user.id), weekdays)
        return user

    async def available(
        self,
        db: AsyncSession,
        resource: Resource,
        weekdays: range | list[int] = WEEKDAYS,
        start: time = time(9),
        end: time = time(17),
    ) -> None:
        await services.set_weekly_pattern(
            db,
            self.tribunal,
            resource,
            [(weekday, start, end) for weekday in weekdays],
            actor=self.admin,
        )
        await db.commit()

    async def on_leave(self, db: AsyncSession, resource: Resource, first: date, last: date) -> None:
        services.add_exception(
            db,
            self.tribunal,
            resource,
            ExceptionValues(ExceptionKind.UNAVAILABLE, ExceptionReason.LEAVE, days=(first, last)),
            actor=self.admin,
        )
        await db.commit()

    async def interpreter(
        self, db: AsyncSession, languages: list[str], weekdays: range | list[int] = WEEKDAYS
    ) -> Interpreter:
        interpreter = services.add_interpreter(
            db,
            self.tribunal,
            InterpreterValues(name=f"Interpreter {'/'.join(languages)}", languages=languages),
            actor=self.admin,
        )
        await db.flush()
        await self.available(db, Resource(ResourceKind.INTERPRETER, interpreter.id), weekdays)
        return interpreter

    async def room(
        self,
        db: AsyncSession,
        weekdays: range | list[int] = WEEKDAYS,
        start: time = time(9),
        end: time = time(17),
    ) -> HearingRoom:
        room = services.add_room(
            db, self.tribunal, RoomValues(name="Room A", capacity=20), actor=self.admin
        )
        await db.flush()
        await self.available(db, Resource(ResourceKind.ROOM, room.id), weekdays, start, end)
        return room

    async def accepted_case(
        self, db: AsyncSession, accessibility: dict[str, Any] | None = None
    ) -> Filing:
        filing = await make_case(db, self.tribunal, status=FilingStatus.ACCEPTED)
        if accessibility is not None:
            filing.answers = {**filing.answers, "accessibility": accessibility}
            await db.commit()
        return filing


def adjudicator(user: User) -> Resource:
    return Resource(ResourceKind.ADJUDICATOR, user.id)


async def make_calendar(db: AsyncSession, notice: int = 3, **tribunal_values: object) -> Calendar:
    tribunal = await make_tribunal(
        db, time_zone="America/Toronto", province="ON", **tribunal_values
    )
    admin = await make_staff(db, tribunal, Role.ADMIN)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await services.save_settings(
        db,
        tribunal,
        services.SettingsValues(
            hours={weekday: (time(9, 30), time(16, 30)) for weekday in WEEKDAYS},
            modes=list(HearingMode),
            minimum_notice_business_days=notice,
            unavailability_window_days=90,
        ),
        actor=admin,
    )
    await db.commit()
    calendar = Calendar(tribunal, admin, clerk, adjudicator=admin)
    calendar.adjudicator = await calendar.adjudicator_named(db, "Ada Adjudicator")
    return calendar
