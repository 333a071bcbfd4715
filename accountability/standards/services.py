"""Defining service standards: a standard and its versioned definitions.

A definition is never edited: a change is a new version, in force from the first day of a
fiscal quarter (`periods`), so that every quarter is measured with the one definition in
force on its first day. A quarter whose figures were published keeps its definition: a new
version can only apply from the end of the last published quarter. Services take the
session and never commit; refusals carry translated messages by field, for the admin forms.

Measuring is `accountability.standards.measurement`, publishing `...snapshots`, the events a
clock runs between `...events`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards import events
from accountability.standards.events import RESUME_OF, Role
from accountability.standards.models import (
    MAX_LIMIT_DAYS,
    ClockUnit,
    PublishedFigures,
    ServiceStandard,
    StandardVersion,
)
from accountability.standards.periods import Quarter, is_quarter_start
from accounts.models import User
from filings.models import CaseType
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.i18n import format_date, format_number
from tribune.i18n import gettext as _

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 2000
_CODE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
CODE_MAX_LENGTH = 40


@dataclass(frozen=True)
class DefinitionValues:
    """What a definition says, as the admin form reads it."""

    name_en: str
    name_fr: str
    start_event: str
    stop_event: str
    limit_days: int
    unit: ClockUnit
    target_percent: int
    effective_from: date
    description_en: str = ""
    description_fr: str = ""
    pause_event: str | None = None
    resume_event: str | None = None
    case_type_code: str | None = None
    # Why the definition changed: required of every version after the first.
    note: str = ""


class DefinitionRefused(Exception):  # noqa: N818 - reads as what happened
    """A standard or definition cannot be saved as given: `errors` maps each field (the
    names of `DefinitionValues`, and ``code``) to its translated message, in the order the
    form shows them; nothing was changed."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values()), ""))
        self.errors = errors
        self.message = next(iter(errors.values()), "")


@dataclass(frozen=True)
class StandardDefinition:
    """A standard with one of its versions (the one in force, or the one just saved)."""

    standard: ServiceStandard
    version: StandardVersion


# -- reading ----------------------------------------------------------------------------------


async def standards_of(db: AsyncSession, tribunal: Tribunal) -> list[ServiceStandard]:
    """Return the tribunal's standards, in the order they are listed."""
    return list(
        await db.scalars(
            select(ServiceStandard)
            .where(ServiceStandard.tribunal_id == tribunal.id)
            .order_by(ServiceStandard.position, ServiceStandard.code)
        )
    )


async def standard_of(
    db: AsyncSession, tribunal: Tribunal, standard_id: uuid.UUID
) -> ServiceStandard | None:
    """Return the tribunal's standard with this id, or None if the tribunal has none such."""
    return await db.scalar(
        select(ServiceStandard).where(
            ServiceStandard.id == standard_id, ServiceStandard.tribunal_id == tribunal.id
        )
    )


async def versions_of(db: AsyncSession, standard: ServiceStandard) -> list[StandardVersion]:
    """Return every definition of a standard, oldest first."""
    return list(
        await db.scalars(
            select(StandardVersion)
            .where(
                StandardVersion.standard_id == standard.id,
                StandardVersion.tribunal_id == standard.tribunal_id,
            )
            .order_by(StandardVersion.number)
        )
    )


async def version_in_force(
    db: AsyncSession, standard: ServiceStandard, day: date
) -> StandardVersion | None:
    """Return the definition in force on a day (the latest saved of those in force from the
    latest quarter not after it), or None if the standard had none yet."""
    return await db.scalar(
        select(StandardVersion)
        .where(
            StandardVersion.standard_id == standard.id,
            StandardVersion.tribunal_id == standard.tribunal_id,
            StandardVersion.effective_from <= day,
        )
        .order_by(StandardVersion.effective_from.desc(), StandardVersion.number.desc())
        .limit(1)
    )


async def definitions_in_force(
    db: AsyncSession, tribunal: Tribunal, day: date
) -> list[StandardDefinition]:
    """Return the tribunal's standards that have a definition in force on a day, with it, in
    the order they are listed."""
    chosen = []
    for standard in await standards_of(db, tribunal):
        version = await version_in_force(db, standard, day)
        if version is not None:
            chosen.append(StandardDefinition(standard, version))
    return chosen


async def last_published_quarter(db: AsyncSession, tribunal: Tribunal) -> Quarter | None:
    """Return the latest quarter whose figures the tribunal published, or None if none."""
    row = (
        await db.execute(
            select(PublishedFigures.fiscal_year, PublishedFigures.quarter)
            .where(PublishedFigures.tribunal_id == tribunal.id)
            .order_by(PublishedFigures.fiscal_year.desc(), PublishedFigures.quarter.desc())
            .limit(1)
        )
    ).first()
    return Quarter(row[0], row[1]) if row else None


# -- checking a definition ------------------------------------------------------------------


def _label(code: str) -> str:
    found = events.event(code)
    return str(found.label) if found else code


async def definition_errors(
    db: AsyncSession, tribunal: Tribunal, values: DefinitionValues, *, first: bool
) -> dict[str, str]:
    """Return what is wrong with a definition, by field (translated), or {} if nothing.
    `first` is whether it is a new standard's first definition (which needs no note)."""
    errors: dict[str, str] = {}
    for field, text, missing in (
        ("name_en", values.name_en, _("Enter the standard’s name in English")),
        ("name_fr", values.name_fr, _("Enter the standard’s name in French")),
    ):
        if not text.strip():
            errors[field] = missing
        elif len(text.strip()) > NAME_MAX_LENGTH:
            errors[field] = _(
                "The name must be %(count)s characters or fewer",
                count=format_number(NAME_MAX_LENGTH),
            )
    for field, text in (
        ("description_en", values.description_en),
        ("description_fr", values.description_fr),
    ):
        if len(text.strip()) > DESCRIPTION_MAX_LENGTH:
            errors[field] = _(
                "The description must be %(count)s characters or fewer",
                count=format_number(DESCRIPTION_MAX_LENGTH),
            )

    start = events.event(values.start_event)
    stop = events.event(values.stop_event)
    if start is None or Role.MILESTONE not in start.roles:
        errors["start_event"] = _("Select the event that starts the clock")
    if stop is None or Role.MILESTONE not in stop.roles:
        errors["stop_event"] = _("Select the event that stops the clock")
    elif start is not None and start.place is not None and (stop.place or 0) <= start.place:
        errors["stop_event"] = _(
            "The clock cannot stop on “%(stop)s”: it does not come after “%(start)s” in a "
            "case’s life",
            stop=str(stop.label),
            start=str(start.label),
        )

    pause, resume = values.pause_event or None, values.resume_event or None
    if pause is not None and pause not in RESUME_OF:
        errors["pause_event"] = _("Select an event that pauses the clock, or none")
    elif pause is not None and resume is None:
        errors["resume_event"] = _(
            "Select the event that resumes the clock after “%(pause)s”", pause=_label(pause)
        )
    elif pause is None and resume is not None:
        errors["pause_event"] = _(
            "Select the event that pauses the clock, or no event that resumes it"
        )
    elif pause is not None and resume != RESUME_OF[pause]:
        errors["resume_event"] = _(
            "After “%(pause)s” the clock resumes on “%(expected)s”, not on “%(resume)s”",
            pause=_label(pause),
            expected=_label(RESUME_OF[pause]),
            resume=_label(resume or ""),
        )

    if values.limit_days < 1:
        errors["limit_days"] = _("Enter a limit of at least 1 day")
    elif values.limit_days > MAX_LIMIT_DAYS:
        errors["limit_days"] = _(
            "Enter a limit of at most %(count)s days", count=format_number(MAX_LIMIT_DAYS)
        )
    if not isinstance(values.unit, ClockUnit):
        errors["unit"] = _("Select business days or calendar days")
    if values.target_percent < 1:
        errors["target_percent"] = _("Enter a target of at least 1 percent")
    elif values.target_percent > 100:
        errors["target_percent"] = _("Enter a target of at most 100 percent")

    if values.case_type_code:
        known = await db.scalar(
            select(CaseType.id).where(
                CaseType.tribunal_id == tribunal.id, CaseType.code == values.case_type_code
            )
        )
        if known is None:
            errors["case_type_code"] = _(
                "Select one of the tribunal’s kinds of case, or every case"
            )

    if not is_quarter_start(values.effective_from):
        errors["effective_from"] = _(
            "A definition applies from the first day of a fiscal quarter: 1 April, 1 July, "
            "1 October or 1 January"
        )
    else:
        published = await last_published_quarter(db, tribunal)
        if published is not None and values.effective_from < published.end_day:
            errors["effective_from"] = _(
                "The figures up to %(last)s are published with the definitions then in force: "
                "a new definition can apply from %(next)s at the earliest",
                last=format_date(published.last_day),
                next=format_date(published.end_day),
            )

    if len(values.note.strip()) > NOTE_MAX_LENGTH:
        errors["note"] = _(
            "The note must be %(count)s characters or fewer", count=format_number(NOTE_MAX_LENGTH)
        )
    elif not first and not values.note.strip():
        errors["note"] = _("Say what changes in the definition, and why")
    return errors


# -- saving -----------------------------------------------------------------------------------


def _version(
    tribunal: Tribunal,
    standard: ServiceStandard,
    number: int,
    values: DefinitionValues,
    user: User | None,
) -> StandardVersion:
    return StandardVersion(
        tribunal_id=tribunal.id,
        standard_id=standard.id,
        number=number,
        name_en=values.name_en.strip(),
        name_fr=values.name_fr.strip(),
        description_en=values.description_en.strip(),
        description_fr=values.description_fr.strip(),
        start_event=values.start_event,
        stop_event=values.stop_event,
        pause_event=values.pause_event or None,
        resume_event=values.resume_event or None,
        case_type_code=values.case_type_code or None,
        limit_days=values.limit_days,
        unit=values.unit,
        target_percent=values.target_percent,
        effective_from=values.effective_from,
        note=values.note.strip(),
        created_by_id=user.id if user else None,
    )


async def create_standard(
    db: AsyncSession,
    tribunal: Tribunal,
    code: str,
    values: DefinitionValues,
    *,
    user: User | None,
    position: int | None = None,
) -> StandardDefinition:
    """Add a standard with its first definition (listed last unless `position` says).
    Raises DefinitionRefused (nothing changed) if the code is not lowercase letters, digits
    and dashes, is taken, or the definition is refused (`definition_errors`)."""
    code = code.strip()
    errors: dict[str, str] = {}
    if not _CODE.fullmatch(code) or len(code) > CODE_MAX_LENGTH:
        errors["code"] = _(
            "Enter a code of lowercase letters, digits and dashes, like decision-within-90"
        )
    elif await db.scalar(
        select(ServiceStandard.id).where(
            ServiceStandard.tribunal_id == tribunal.id, ServiceStandard.code == code
        )
    ):
        errors["code"] = _("The tribunal already has a standard with this code")
    errors |= await definition_errors(db, tribunal, values, first=True)
    if errors:
        raise DefinitionRefused(errors)
    if position is None:
        last = await db.scalar(
            select(func.max(ServiceStandard.position)).where(
                ServiceStandard.tribunal_id == tribunal.id
            )
        )
        position = (last or 0) + 1
    standard = ServiceStandard(tribunal_id=tribunal.id, code=code, position=position)
    version = _version(tribunal, standard, 1, values, user)
    await db.flush()  # the caller's pending changes stay out of the savepoint
    try:
        async with db.begin_nested():
            db.add(standard)
            await db.flush()
            db.add(version)
            await db.flush()
    except IntegrityError as error:
        # Another administrator saved the same code meanwhile.
        raise DefinitionRefused(
            {"code": _("The tribunal already has a standard with this code")}
        ) from error
    audit.record(
        db,
        AuditAction.SERVICE_STANDARD_CREATED,
        actor_id=user.id if user else None,
        tribunal_id=tribunal.id,
        subject_type="service_standard",
        subject_id=standard.id,
        code=code,
        effective_from=values.effective_from.isoformat(),
    )
    return StandardDefinition(standard, version)


async def add_version(
    db: AsyncSession,
    tribunal: Tribunal,
    standard: ServiceStandard,
    values: DefinitionValues,
    *,
    user: User | None,
) -> StandardVersion:
    """Save a new definition of a standard, in force from `values.effective_from`, and
    return it; the earlier ones stay as they were, for the quarters they measure. Raises
    DefinitionRefused (nothing changed) if the definition is refused (`definition_errors`),
    or if someone else saved one at the same moment."""
    if standard.tribunal_id != tribunal.id:
        raise ValueError("the standard is not this tribunal's")
    errors = await definition_errors(db, tribunal, values, first=False)
    if errors:
        raise DefinitionRefused(errors)
    last = await db.scalar(
        select(func.max(StandardVersion.number)).where(StandardVersion.standard_id == standard.id)
    )
    version = _version(tribunal, standard, (last or 0) + 1, values, user)
    await db.flush()
    try:
        async with db.begin_nested():
            db.add(version)
            await db.flush()
    except IntegrityError as error:
        raise DefinitionRefused(
            {"note": _("Someone else changed this standard meanwhile. Check it again.")}
        ) from error
    audit.record(
        db,
        AuditAction.SERVICE_STANDARD_VERSION_ADDED,
        actor_id=user.id if user else None,
        tribunal_id=tribunal.id,
        subject_type="service_standard",
        subject_id=standard.id,
        number=version.number,
        effective_from=values.effective_from.isoformat(),
    )
    return version


@dataclass(frozen=True)
class Definition:
    """What a standard's version says, apart from its row: what measurement reads, and what
    published figures keep beside them (`to_json`, `from_json`)."""

    version_id: uuid.UUID
    number: int
    name_en: str
    name_fr: str
    description_en: str
    description_fr: str
    start_event: str
    stop_event: str
    pause_event: str | None
    resume_event: str | None
    case_type_code: str | None
    limit_days: int
    unit: ClockUnit
    target_percent: int
    effective_from: date

    @classmethod
    def of(cls, version: StandardVersion) -> Definition:
        return cls(
            version_id=version.id,
            number=version.number,
            name_en=version.name_en,
            name_fr=version.name_fr,
            description_en=version.description_en,
            description_fr=version.description_fr,
            start_event=version.start_event,
            stop_event=version.stop_event,
            pause_event=version.pause_event,
            resume_event=version.resume_event,
            case_type_code=version.case_type_code,
            limit_days=version.limit_days,
            unit=version.unit,
            target_percent=version.target_percent,
            effective_from=version.effective_from,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version_id": str(self.version_id),
            "number": self.number,
            "name_en": self.name_en,
            "name_fr": self.name_fr,
            "description_en": self.description_en,
            "description_fr": self.description_fr,
            "start_event": self.start_event,
            "stop_event": self.stop_event,
            "pause_event": self.pause_event,
            "resume_event": self.resume_event,
            "case_type_code": self.case_type_code,
            "limit_days": self.limit_days,
            "unit": self.unit.value,
            "target_percent": self.target_percent,
            "effective_from": self.effective_from.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Definition:
        return cls(
            version_id=uuid.UUID(str(data["version_id"])),
            number=int(data["number"]),
            name_en=str(data["name_en"]),
            name_fr=str(data["name_fr"]),
            description_en=str(data["description_en"]),
            description_fr=str(data["description_fr"]),
            start_event=str(data["start_event"]),
            stop_event=str(data["stop_event"]),
            pause_event=data.get("pause_event"),
            resume_event=data.get("resume_event"),
            case_type_code=data.get("case_type_code"),
            limit_days=int(data["limit_days"]),
            unit=ClockUnit(data["unit"]),
            target_percent=int(data["target_percent"]),
            effective_from=date.fromisoformat(str(data["effective_from"])),
        )


async def names_of(db: AsyncSession, user_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Return the names of the people who saved versions or published figures, by id (one
    query, none when there is no one to name)."""
    wanted = {item for item in user_ids if item is not None}
    if not wanted:
        return {}
    rows = await db.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {row.id: row.name for row in rows}
