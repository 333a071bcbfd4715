"""Factories for the service standards' tests: a standard with its first definition, and a
case with its timeline given event by event, in the tribunal's local time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards import services
from accountability.standards.models import ClockUnit
from accountability.standards.services import DefinitionValues, StandardDefinition
from accounts.models import User
from filings.models import CaseTypeVersion, Filing, FilingStatus
from filings.seeding import LaterEvent, seed_submitted_case
from hearings.models import Hearing, HearingMode, HearingStatus
from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.filings import make_case_type
from tests.factories.tribunals import make_tribunal
from tribunals.models import Tribunal

TORONTO = ZoneInfo("America/Toronto")


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment in Toronto, where the tests' tribunals sit."""
    return datetime(year, month, day, hour, minute, tzinfo=TORONTO)


async def make_standards_tribunal(db: AsyncSession) -> Tribunal:
    """A tribunal in Toronto (Ontario's holidays)."""
    return await make_tribunal(db, time_zone="America/Toronto", province="ON")


def values(**overrides: Any) -> DefinitionValues:
    """A definition: submitted → accepted within 5 business days, 80 %, from 1 April 2026."""
    defaults: dict[str, Any] = {
        "name_en": "Acknowledge a filing",
        "name_fr": "Accuser réception d’un dossier",
        "description_en": "We accept or return a complete filing.",
        "description_fr": "Nous acceptons ou retournons un dossier complet.",
        "start_event": "submitted",
        "stop_event": "accepted",
        "limit_days": 5,
        "unit": ClockUnit.BUSINESS_DAYS,
        "target_percent": 80,
        "effective_from": date(2026, 4, 1),
    }
    defaults.update(overrides)
    return DefinitionValues(**defaults)


async def make_standard(
    db: AsyncSession, tribunal: Tribunal, *, code: str | None = None, **overrides: Any
) -> StandardDefinition:
    made = await services.create_standard(
        db, tribunal, code or unique("std-"), values(**overrides), user=None
    )
    await db.commit()
    return made


# The status a case is left in by its last event of the lifecycle.
_STATUS_AFTER = {
    "submitted": FilingStatus.SUBMITTED,
    "resubmitted": FilingStatus.SUBMITTED,
    "returned": FilingStatus.RETURNED,
    "accepted": FilingStatus.ACCEPTED,
    "scheduled": FilingStatus.SCHEDULED,
    "adjourned": FilingStatus.ACCEPTED,
    "hearing_cancelled": FilingStatus.ACCEPTED,
    "heard": FilingStatus.HEARD,
    "decided": FilingStatus.DECIDED,
    "closed": FilingStatus.CLOSED,
    "withdrawn": FilingStatus.WITHDRAWN,
    "dismissed": FilingStatus.DISMISSED,
}

Event = tuple[str, datetime] | tuple[str, datetime, dict[str, Any]]


async def make_timeline_case(
    db: AsyncSession,
    tribunal: Tribunal,
    submitted: datetime,
    later: Sequence[Event] = (),
    *,
    language: str = "en",
    version: CaseTypeVersion | None = None,
    accessibility: dict[str, Any] | None = None,
    filer: User | None = None,
) -> Filing:
    """Return a case submitted at `submitted`, with the later events given (kind, moment and
    optionally details), in the status its last event leaves it."""
    filer = filer or await make_user(db)
    version = version or await make_case_type(db, tribunal)
    status = FilingStatus.SUBMITTED
    for item in later:
        status = _STATUS_AFTER.get(item[0], status)
    answers: dict[str, Any] = {
        "about_you": {"full_name": filer.name, "email": filer.email, "case_language": language},
        "accessibility": accessibility
        or {
            "needs_interpreter": False,
            "interpreter_language": "",
            "interpreter_language_other": "",
            "sign_language": "none",
            "other_needs": "",
        },
    }
    filing = await seed_submitted_case(
        db,
        tribunal,
        version,
        filer,
        answers=answers,
        received=submitted,
        language=language,
        status=status,
        later_events=[
            LaterEvent(item[0], item[1], details=item[2] if len(item) > 2 else {}) for item in later
        ],
    )
    await db.commit()
    return filing


async def make_hearing(
    db: AsyncSession,
    filing: Filing,
    adjudicator: User,
    starts_at: datetime,
    mode: HearingMode = HearingMode.VIDEO,
    status: HearingStatus = HearingStatus.HELD,
) -> Hearing:
    hearing = Hearing(
        tribunal_id=filing.tribunal_id,
        filing_id=filing.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        mode=mode,
        adjudicator_id=adjudicator.id,
        calendar_uid=f"{uuid.uuid4()}@test",
        status=status,
    )
    db.add(hearing)
    await db.commit()
    return hearing
