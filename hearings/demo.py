"""Demo data: hearing hours and settings for each demo tribunal, weekly availability for its
adjudicators, two interpreters (French and English; ASL and LSQ) and one hearing room; and
the hearings of the demo cases already scheduled: one took place yesterday (the last
business day) and awaits its outcome from the demo adjudicator, one is weeks ahead by
telephone, and one by video starts within half an hour of loading, its room open for hours."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.deadlines import add_business_days, is_holiday, today_in
from filings.models import Filing, FilingStatus
from hearings.calendars.services import adjudicators_of, local_instant
from hearings.models import (
    AvailabilityException,
    BookedBlock,
    ExceptionKind,
    ExceptionReason,
    Hearing,
    HearingHours,
    HearingMode,
    HearingRoom,
    HearingSettings,
    HearingStatus,
    Interpreter,
    ResourceKind,
    WeeklyAvailability,
    resource_columns,
)
from tribunals.models import Tribunal
from tribunals.services import tribunal_by_slug
from tribune.db import utcnow

DEMO_SLUGS = ("wcat", "lrb")
WEEKDAYS = range(5)  # Monday to Friday
HEARING_HOURS = (time(9, 30), time(16, 30))

DIAL_IN_EN = (
    "Call 1 888 555 0142 (toll-free) or 416 555 0142, then enter the conference code "
    "482 915 followed by #."
)
DIAL_IN_FR = (
    "Composez le 1 888 555 0142 (sans frais) ou le 416 555 0142, puis entrez le code de "
    "conférence 482 915 suivi du carré (#)."
)

DEMO_INTERPRETERS = [
    ("Sophie Lavoie", ["fr", "en"], "sophie.lavoie@interpretes.example", "514 555 0137"),
    ("Daniel Côté", ["ase", "fcs"], "daniel.cote@signes.example", "613 555 0184"),
]
DEMO_ROOMS = {
    "wcat": (
        "Hearing room 3",
        "505 University Avenue, 7th floor\nToronto ON  M5G 2P2",
        "Step-free entrance on Dundas Street; hearing loop; accessible washroom on the floor.",
    ),
    "lrb": (
        "Salle d'audience A",
        "100 Queen Street, suite 400\nOttawa ON  K1P 1J9",
        "Step-free access by the elevator; hearing loop; accessible washrooms.",
    ),
}


def _weekly(
    tribunal: Tribunal, kind: ResourceKind, resource_id: uuid.UUID, start: time, end: time
) -> list[WeeklyAvailability]:
    return [
        WeeklyAvailability(
            tribunal_id=tribunal.id,
            weekday=weekday,
            starts_at=start,
            ends_at=end,
            time_zone=tribunal.time_zone,
            **resource_columns(kind, resource_id),
        )
        for weekday in WEEKDAYS
    ]


async def load_demo_hearings(db: AsyncSession) -> int:
    """Give each demo tribunal its hearing calendars once; return how many tribunals got them."""
    loaded = 0
    for slug in DEMO_SLUGS:
        tribunal = await tribunal_by_slug(db, slug)
        if tribunal is None:
            continue
        exists = await db.scalar(
            select(HearingSettings.id).where(HearingSettings.tribunal_id == tribunal.id)
        )
        if exists is not None:
            continue
        db.add(
            HearingSettings(
                tribunal_id=tribunal.id,
                modes=[mode.value for mode in HearingMode],
                minimum_notice_business_days=10,
                unavailability_window_days=90,
                dial_in_en=DIAL_IN_EN,
                dial_in_fr=DIAL_IN_FR,
            )
        )
        for weekday in WEEKDAYS:
            db.add(
                HearingHours(
                    tribunal_id=tribunal.id,
                    weekday=weekday,
                    starts_at=HEARING_HOURS[0],
                    ends_at=HEARING_HOURS[1],
                )
            )
        training_day = add_business_days(today_in(tribunal), 15, tribunal.province)
        for adjudicator in await adjudicators_of(db, tribunal):
            db.add_all(
                _weekly(tribunal, ResourceKind.ADJUDICATOR, adjudicator.id, time(9), time(17))
            )
            db.add(
                AvailabilityException(
                    tribunal_id=tribunal.id,
                    kind=ExceptionKind.UNAVAILABLE,
                    reason=ExceptionReason.TRAINING,
                    first_day=training_day,
                    last_day=training_day + timedelta(days=1),
                    note="",
                    **resource_columns(ResourceKind.ADJUDICATOR, adjudicator.id),
                )
            )
        for name, languages, email, phone in DEMO_INTERPRETERS:
            interpreter = Interpreter(
                tribunal_id=tribunal.id, name=name, languages=languages, email=email, phone=phone
            )
            db.add(interpreter)
            await db.flush()
            db.add_all(
                _weekly(tribunal, ResourceKind.INTERPRETER, interpreter.id, time(8, 30), time(17))
            )
        room_name, address, accessibility = DEMO_ROOMS[slug]
        room = HearingRoom(
            tribunal_id=tribunal.id,
            name=room_name,
            address=address,
            capacity=24,
            accessibility_notes=accessibility,
        )
        db.add(room)
        await db.flush()
        db.add_all(_weekly(tribunal, ResourceKind.ROOM, room.id, time(8), time(18)))
        loaded += 1
    return loaded


def _last_business_day_before(day: date, province: str) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5 or is_holiday(day, province):
        day -= timedelta(days=1)
    return day


def _demo_hearing(
    tribunal: Tribunal,
    filing: Filing,
    adjudicator_id: uuid.UUID,
    starts_at: datetime,
    mode: HearingMode,
) -> Hearing:
    return Hearing(
        id=uuid.uuid4(),
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        mode=mode,
        adjudicator_id=adjudicator_id,
        status=HearingStatus.SCHEDULED,
        sequence=0,
    )


async def load_demo_hearing_rows(db: AsyncSession) -> int:
    """Give each demo tribunal's scheduled cases that have none their hearing, once; return
    how many hearings were made. The oldest case's hearing was yesterday (the last business
    day), by video, with the demo adjudicator, who has yet to record its outcome; the next
    one is 20 business days ahead, by telephone; the third, by video, starts within half an
    hour (its join window open at once and for hours). They hold their adjudicator's quarter
    hours as a booking does."""
    made = 0
    for slug in DEMO_SLUGS:
        tribunal = await tribunal_by_slug(db, slug)
        if tribunal is None:
            continue
        adjudicators = await adjudicators_of(db, tribunal)
        if not adjudicators:
            continue
        adjudicator = adjudicators[0]
        filings = (
            await db.scalars(
                select(Filing)
                .where(
                    Filing.tribunal_id == tribunal.id,
                    Filing.status == FilingStatus.SCHEDULED,
                    ~select(Hearing.id).where(Hearing.filing_id == Filing.id).exists(),
                )
                .order_by(Filing.submitted_at, Filing.id)
            )
        ).all()
        today = today_in(tribunal)
        zone = tribunal.time_zone
        # The room of the third opens at once: its start is the next quarter hour but one.
        soon = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=15)
        soon += timedelta(minutes=-soon.minute % 15)
        starts = [
            (
                local_instant(_last_business_day_before(today, tribunal.province), time(10), zone),
                HearingMode.VIDEO,
            ),
            (
                local_instant(add_business_days(today, 20, tribunal.province), time(13, 30), zone),
                HearingMode.TELEPHONE,
            ),
            (soon, HearingMode.VIDEO),
        ]
        for filing, (starts_at, mode) in zip(filings, starts, strict=False):
            hearing = _demo_hearing(
                tribunal, filing, adjudicator.id, starts_at.astimezone(UTC), mode
            )
            hearing.calendar_uid = f"hearing-{hearing.id}@tribune"
            filing.assigned_adjudicator_id = adjudicator.id
            db.add(hearing)
            await db.flush()
            block = hearing.starts_at
            while block < hearing.ends_at:
                db.add(
                    BookedBlock(
                        tribunal_id=tribunal.id,
                        hearing_id=hearing.id,
                        resource_kind=ResourceKind.ADJUDICATOR,
                        resource_id=adjudicator.id,
                        starts_at=block,
                    )
                )
                block += timedelta(minutes=15)
            made += 1
    return made
