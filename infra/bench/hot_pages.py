"""What the docket benchmark's other hot pages need in its database, added after the load.

The docket benchmark (`docket.py`) also measures the pages people load most besides the docket:
a claimant's case page and "My cases", a clerk's case page, the hearing day view and the public
service standards page. Each needs something the bulk load does not make: a claimant who can
sign in and has several cases, hearings booked on one day, a standard with published quarters.
`prepare` adds them through the project's services (the ORM for the claimant's account and
cases), once: run again on the same database (--skip-load), it finds what it added before.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards import services as standards
from accountability.standards import snapshots
from accountability.standards.models import ClockUnit, PublishedFigures, ServiceStandard
from accountability.standards.periods import last_quarters
from accounts.models import User
from accounts.passwords import hash_password_async
from accounts.services import user_by_email
from filings.access import Actor
from filings.deadlines import add_business_days, today_in
from filings.models import CaseParty, Filing, FilingStatus, PartyRole
from hearings.calendars import services as calendars
from hearings.calendars.services import Resource, local_instant
from hearings.models import Hearing, HearingMode, ResourceKind
from hearings.scheduling.services import BookingProblem, BookingRequest, book_hearing
from tribunals.models import Tribunal
from tribunals.services import tribunal_by_slug
from tribune.app import build_outbox
from tribune.db import Database
from tribune.settings import Settings

CLAIMANT_EMAIL = "claimant@wcat.bench.example"
CLAIMANT_PASSWORD = "bench claimant password"  # noqa: S105 - a throwaway benchmark database
CLAIMANT_CASES = 8  # the claimant's cases on "My cases"
WEEKDAYS = range(5)
HEARING_HOURS = (time_of_day(9, 30), time_of_day(16, 30))
# Each adjudicator's hearings of the day, an hour each; the first adjudicator's in the room.
HEARING_STARTS = (time_of_day(10), time_of_day(14))
MODES = (HearingMode.VIDEO, HearingMode.TELEPHONE)
STANDARD_CODE = "acknowledge"
PUBLISHED_QUARTERS = 4  # as many as the public page shows


@dataclass(frozen=True)
class HotPages:
    """Where the hot pages' data is: what their URLs name."""

    claimant_case_id: uuid.UUID  # the claimant's newest case
    staff_case_id: uuid.UUID  # a case with a hearing on the hearing day
    hearing_day: date
    hearings: int  # booked on the hearing day
    published_quarters: int


async def prepare(database_url: str, settings: Settings, clerk_email: str, slug: str) -> HotPages:
    """Add what the hot pages need unless an earlier run did; return where it is."""
    database = Database.from_url(database_url)
    began = time.perf_counter()
    try:
        async with database.session() as db:
            tribunal = await tribunal_by_slug(db, slug)
            clerk = await user_by_email(db, clerk_email)
            if tribunal is None or clerk is None:
                raise RuntimeError(f"no tribunal {slug} or clerk {clerk_email}: load it first")
            claimant_case_id = await _claimant(db, tribunal)
            await db.commit()
            staff_case_id, day, hearings = await _hearings(db, settings, tribunal, clerk)
            await db.commit()
            published = await _standard(db, tribunal)
            await db.commit()
    finally:
        await database.dispose()
    print(
        f"  hot pages ready in {time.perf_counter() - began:.1f} s: a claimant with "
        f"{CLAIMANT_CASES} cases, {hearings} hearings on {day.isoformat()}, "
        f"{published} published quarters",
        flush=True,
    )
    return HotPages(claimant_case_id, staff_case_id, day, hearings, published)


async def _claimant(db: AsyncSession, tribunal: Tribunal) -> uuid.UUID:
    """Give the claimant of the newest online filing a known address and password, and the
    next CLAIMANT_CASES - 1 online filings (as their filer and claimant party); return the
    id of their newest case."""
    claimant = await user_by_email(db, CLAIMANT_EMAIL)
    if claimant is None:
        newest = (
            await db.execute(
                select(Filing.id, Filing.filer_id)
                .where(
                    Filing.tribunal_id == tribunal.id,
                    Filing.submitted_at.is_not(None),
                    Filing.entered_by_id.is_(None),  # not a paper filing, held by the clerk
                )
                .order_by(Filing.submitted_at.desc(), Filing.id.desc())
                .limit(CLAIMANT_CASES)
            )
        ).all()
        claimant = await db.get(User, newest[0].filer_id)
        if claimant is None:
            raise RuntimeError("the newest filing has no filer")
        claimant.email = CLAIMANT_EMAIL
        claimant.password_hash = await hash_password_async(CLAIMANT_PASSWORD)
        others = [row.id for row in newest[1:]]
        await db.execute(update(Filing).where(Filing.id.in_(others)).values(filer_id=claimant.id))
        await db.execute(
            update(CaseParty)
            .where(CaseParty.filing_id.in_(others), CaseParty.role == PartyRole.CLAIMANT)
            .values(user_id=claimant.id)
        )
    case_id = await db.scalar(
        select(Filing.id)
        .where(Filing.filer_id == claimant.id, Filing.submitted_at.is_not(None))
        .order_by(Filing.submitted_at.desc(), Filing.id.desc())
        .limit(1)
    )
    if case_id is None:
        raise RuntimeError(f"{CLAIMANT_EMAIL} has no case")
    return case_id


async def _hearings(
    db: AsyncSession, settings: Settings, tribunal: Tribunal, clerk: User
) -> tuple[uuid.UUID, date, int]:
    """Book HEARING_STARTS hearings for each adjudicator on a business day two weeks ahead,
    as a clerk does (hearing hours, weekly availability, a room, then `book_hearing` for
    accepted cases), unless the tribunal has hearings; return a case heard that day, the day
    and its number of hearings."""
    first = await db.scalar(
        select(Hearing).where(Hearing.tribunal_id == tribunal.id).order_by(Hearing.starts_at)
    )
    if first is None:
        first = await _book_day(db, settings, tribunal, clerk)
    day = first.starts_at.astimezone(ZoneInfo(tribunal.time_zone)).date()
    start = local_instant(day, time_of_day(0), tribunal.time_zone)
    count = await db.scalar(
        select(func.count())
        .select_from(Hearing)
        .where(
            Hearing.tribunal_id == tribunal.id,
            Hearing.starts_at >= start,
            Hearing.starts_at < start + timedelta(days=1),
        )
    )
    return first.filing_id, day, int(count or 0)


async def _book_day(
    db: AsyncSession, settings: Settings, tribunal: Tribunal, clerk: User
) -> Hearing:
    await calendars.save_settings(
        db,
        tribunal,
        calendars.SettingsValues(
            hours=dict.fromkeys(WEEKDAYS, HEARING_HOURS),
            modes=list(HearingMode),
            minimum_notice_business_days=0,
            unavailability_window_days=90,
        ),
        actor=clerk,
    )
    room = calendars.add_room(
        db, tribunal, calendars.RoomValues(name="Hearing room 1", capacity=20), actor=clerk
    )
    await db.flush()
    adjudicators = await calendars.adjudicators_of(db, tribunal)
    resources = [Resource(ResourceKind.ROOM, room.id)] + [
        Resource(ResourceKind.ADJUDICATOR, adjudicator.id) for adjudicator in adjudicators
    ]
    for resource in resources:
        await calendars.set_weekly_pattern(
            db,
            tribunal,
            resource,
            [(weekday, time_of_day(9), time_of_day(17)) for weekday in WEEKDAYS],
            actor=clerk,
        )
    await db.flush()
    day = add_business_days(today_in(tribunal), 10, tribunal.province)
    cases = (
        await db.scalars(
            select(Filing)
            .where(Filing.tribunal_id == tribunal.id, Filing.status == FilingStatus.ACCEPTED)
            .order_by(Filing.submitted_at.desc(), Filing.id.desc())
            .limit(len(adjudicators) * len(HEARING_STARTS) * 2)
        )
    ).all()
    outbox = build_outbox(settings)
    pending = iter(cases)
    booked: list[Hearing] = []
    for number, adjudicator in enumerate(adjudicators):
        for slot, start in enumerate(HEARING_STARTS):
            in_room = number == 0
            mode = HearingMode.IN_PERSON if in_room else MODES[(number + slot) % len(MODES)]
            request = BookingRequest(
                mode=mode,
                starts_at=local_instant(day, start, tribunal.time_zone),
                duration_minutes=60,
                adjudicator_id=adjudicator.id,
                room_id=room.id if in_room else None,
            )
            # A case whose filing asks for an interpreter is refused without one: next case.
            for filing in pending:
                hearing = await book_hearing(
                    db,
                    outbox,
                    tribunal,
                    filing,
                    request,
                    user=clerk,
                    actors=frozenset({Actor.CLERK}),
                )
                if not isinstance(hearing, BookingProblem):
                    booked.append(hearing)
                    break
    if not booked:
        raise RuntimeError("no hearing could be booked: are there accepted cases?")
    return booked[0]


async def _standard(db: AsyncSession, tribunal: Tribunal) -> int:
    """Define the standard "acknowledge a filing within 10 business days, 80 %" from the
    first of the last PUBLISHED_QUARTERS quarters and publish those quarters, unless the
    tribunal has the standard; return how many quarters are published."""
    exists = await db.scalar(
        select(ServiceStandard.id).where(
            ServiceStandard.tribunal_id == tribunal.id, ServiceStandard.code == STANDARD_CODE
        )
    )
    if exists is None:
        quarters = last_quarters(today_in(tribunal), PUBLISHED_QUARTERS)
        await standards.create_standard(
            db,
            tribunal,
            STANDARD_CODE,
            standards.DefinitionValues(
                name_en="Acknowledge a filing",
                name_fr="Accuser réception d’un dossier",
                description_en="We accept or return a complete filing.",
                description_fr="Nous acceptons ou retournons un dossier complet.",
                start_event="submitted",
                stop_event="accepted",
                limit_days=10,
                unit=ClockUnit.BUSINESS_DAYS,
                target_percent=80,
                effective_from=quarters[0].first_day,
            ),
            user=None,
        )
        for quarter in quarters:
            await snapshots.publish_quarter(db, tribunal, quarter, user=None)
    published = await db.scalar(
        select(func.count())
        .select_from(PublishedFigures)
        .where(PublishedFigures.tribunal_id == tribunal.id)
    )
    return int(published or 0)
