"""The annual report's figures, against cases worked by hand over fiscal year 2025 (April
2025 to March 2026, in Toronto): volumes from the case events, pending cases by age at the
year's end, accommodations asked for and interpreters booked, the money that moved, and the
emails written. A case on either side of a boundary counts in the year its local time says;
another tribunal's cases never count."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from accountability.report.services import (
    MoneyLine,
    accommodations,
    fees,
    notices,
    volumes,
)
from accountability.standards.periods import FiscalYear, Quarter, fiscal_year_of, quarters_of
from filings.models import CaseTypeVersion, FilingStatus
from filings.seeding import LaterEvent, seed_submitted_case
from hearings.models import Hearing, HearingMode, HearingStatus, Interpreter
from payments.models import FeeWaiver, PaymentMethod, WaiverState
from tests.factories.accounts import make_user
from tests.factories.filings import make_case_type
from tests.factories.payments import (
    make_card_payment,
    make_card_refund,
    make_charged_case,
    make_registry_payment,
)
from tests.factories.tribunals import make_tribunal
from tribunals.models import Tribunal
from tribune.mail import MessageStatus, OutboxMessage

TORONTO = ZoneInfo("America/Toronto")
YEAR = FiscalYear(2025)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TORONTO)


async def case(
    db: AsyncSession,
    tribunal: Tribunal,
    version: CaseTypeVersion,
    received: datetime,
    *events: tuple[str, datetime],
    accessibility: dict[str, object] | None = None,
) -> uuid.UUID:
    filer = await make_user(db)
    filing = await seed_submitted_case(
        db,
        tribunal,
        version,
        filer,
        answers={"accessibility": accessibility or {"needs_interpreter": False}},
        received=received,
        language="en",
        status=FilingStatus.SUBMITTED,
        later_events=[LaterEvent(kind, at) for kind, at in events],
    )
    await db.commit()
    return filing.id


def test_a_fiscal_year_runs_april_to_march() -> None:
    assert fiscal_year_of(date(2025, 4, 1)) == YEAR
    assert fiscal_year_of(date(2026, 3, 31)) == YEAR
    assert fiscal_year_of(date(2025, 3, 31)) == FiscalYear(2024)
    assert YEAR.label == "2025–26"
    # The standards' quarters are the same year's.
    assert YEAR.quarters == quarters_of(2025)
    assert Quarter.containing(date(2026, 3, 31)).year == YEAR
    start, end = YEAR.bounds("America/Toronto")
    assert start == local(2025, 4, 1)
    assert end == local(2026, 4, 1)


async def test_volumes_count_each_case_once_in_the_year_its_local_time_says(
    db: AsyncSession,
) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    other_version = await make_case_type(db, other)
    # Received on the evening of 31 March: the year before, though 1 April in UTC.
    await case(
        db,
        tribunal,
        version,
        local(2025, 3, 31, 23, 30),
        ("accepted", local(2025, 4, 2, 10)),
        ("heard", local(2025, 5, 20, 10)),
        ("decided", local(2025, 6, 1, 10)),
    )
    # Received half an hour into the year; heard, its decision after the year's end.
    await case(
        db,
        tribunal,
        version,
        local(2025, 4, 1, 0, 30),
        ("accepted", local(2025, 4, 10, 10)),
        ("heard", local(2025, 9, 1, 10)),
        ("decided", local(2026, 4, 2, 10)),
    )
    # Received on the year's last evening: pending, under 90 days old.
    await case(db, tribunal, version, local(2026, 3, 31, 23))
    # Received the year before, withdrawn in this one.
    await case(db, tribunal, version, local(2025, 1, 10, 9), ("withdrawn", local(2025, 5, 1, 9)))
    # Received long before, accepted then, still pending: over a year old.
    await case(db, tribunal, version, local(2024, 12, 1, 9), ("accepted", local(2024, 12, 5, 9)))
    # Received in October: pending at 168 days.
    await case(db, tribunal, version, local(2025, 10, 15, 9), ("accepted", local(2025, 10, 20, 9)))
    # Dismissed in the year.
    await case(db, tribunal, version, local(2025, 7, 1, 9), ("dismissed", local(2025, 8, 1, 9)))
    # Another tribunal's case, in the middle of the year.
    await case(db, other, other_version, local(2025, 8, 1, 9), ("accepted", local(2025, 8, 2, 9)))

    figures = await volumes(db, tribunal, YEAR)
    assert figures.received == 4  # 1 April, 1 July, 15 October 2025 and 31 March 2026
    assert figures.accepted == 3  # 2 April, 10 April, 20 October
    assert figures.heard == 2
    assert figures.decided == 1  # the one of 2 April 2026 is next year's
    assert figures.withdrawn == 1
    assert figures.dismissed == 1
    assert figures.pending_by_age == {
        "under_90": 1,  # 31 March 2026
        "90_to_179": 1,  # 15 October 2025
        "180_to_364": 1,  # 1 April 2025, decided after the year's end
        "365_and_over": 1,  # December 2024
    }
    assert figures.pending == 4


async def test_accommodations_asked_and_interpreters_booked(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    adjudicator = await make_user(db)
    interpreter = Interpreter(tribunal_id=tribunal.id, name="A. Interprète", languages=["es"])
    db.add(interpreter)
    spanish = await case(
        db,
        tribunal,
        version,
        local(2025, 5, 1, 9),
        accessibility={"needs_interpreter": True, "interpreter_language": "es"},
    )
    await case(
        db,
        tribunal,
        version,
        local(2025, 6, 1, 9),
        accessibility={"needs_interpreter": False, "sign_language": "asl"},
    )
    await case(
        db,
        tribunal,
        version,
        local(2025, 7, 1, 9),
        accessibility={
            "needs_interpreter": False,
            "sign_language": "none",
            "other_needs": "Breaks",
        },
    )
    await case(db, tribunal, version, local(2025, 8, 1, 9))
    # Asked the year before: not this year's.
    await case(
        db, tribunal, version, local(2025, 3, 1, 9), accessibility={"needs_interpreter": True}
    )
    starts = local(2025, 9, 1, 10)
    hearing = Hearing(
        id=uuid.uuid4(),
        tribunal_id=tribunal.id,
        filing_id=spanish,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        mode=HearingMode.VIDEO,
        adjudicator_id=adjudicator.id,
        interpreter_id=interpreter.id,
        language="es",
        status=HearingStatus.HELD,
    )
    hearing.calendar_uid = f"hearing-{hearing.id}@tribune"
    db.add(hearing)
    await db.commit()

    figures = await accommodations(db, tribunal, YEAR)
    assert figures.interpreter_asked == 1
    assert figures.sign_language_asked == 1
    assert figures.other_asked == 1
    assert figures.interpreter_booked == 1


async def test_fees_are_the_money_that_moved_in_the_year(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    paid_by_card = await make_charged_case(db, tribunal, amount_cents=5000)
    payment, checkout = await make_card_payment(
        db, tribunal, paid_by_card, paid_at=local(2025, 6, 1, 12)
    )
    assert checkout is not None
    await make_card_refund(
        db, tribunal, payment, checkout, amount_cents=2000, refunded_at=local(2025, 7, 1, 12)
    )
    at_the_counter = await make_charged_case(db, tribunal, amount_cents=15000)
    await make_registry_payment(
        db, tribunal, at_the_counter, paid_at=local(2026, 3, 31, 22), method=PaymentMethod.CHEQUE
    )
    last_year = await make_charged_case(db, tribunal, amount_cents=5000)
    await make_registry_payment(db, tribunal, last_year, paid_at=local(2025, 3, 31, 22))
    waived = await make_charged_case(db, tribunal, amount_cents=5000)
    db.add(
        FeeWaiver(
            tribunal_id=tribunal.id,
            filing_id=waived.filing.id,
            charge_id=waived.charge.id,
            household_size=3,
            household_income_cents=2_000_000,
            receives_assistance=True,
            declared_at=local(2025, 8, 1, 9),
            state=WaiverState.APPROVED,
            decided_at=local(2025, 8, 1, 9),
            waived_cents=5000,
        )
    )
    refused = await make_charged_case(db, tribunal, amount_cents=5000)
    db.add(
        FeeWaiver(
            tribunal_id=tribunal.id,
            filing_id=refused.filing.id,
            charge_id=refused.charge.id,
            household_size=1,
            household_income_cents=9_000_000,
            receives_assistance=False,
            declared_at=local(2025, 8, 1, 9),
            state=WaiverState.REFUSED,
            decided_at=local(2025, 8, 2, 9),
        )
    )
    await db.commit()

    figures = await fees(db, tribunal, YEAR)
    # The card payment counts whole though part of it was refunded later: the refund is apart.
    assert figures.collected == [MoneyLine("CAD", 2, 20000)]
    assert figures.refunded == [MoneyLine("CAD", 1, 2000)]
    assert figures.waived == [MoneyLine("CAD", 1, 5000)]


async def test_notices_count_the_emails_written_for_the_tribunal(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)

    def message(tribunal_id: uuid.UUID, status: MessageStatus, created: datetime) -> OutboxMessage:
        return OutboxMessage(
            to_address="person@example.org",
            language="en",
            template="case_event",
            subject="Your case",
            body="…",
            status=status,
            tribunal_id=tribunal_id,
            created_at=created,
        )

    db.add_all(
        [
            message(tribunal.id, MessageStatus.SENT, local(2025, 5, 1, 9)),
            message(tribunal.id, MessageStatus.SENT, local(2026, 3, 31, 23)),
            message(tribunal.id, MessageStatus.KEPT, local(2025, 5, 1, 9)),
            message(tribunal.id, MessageStatus.SENT, local(2025, 3, 31, 23)),
            message(other.id, MessageStatus.SENT, local(2025, 5, 1, 9)),
        ]
    )
    await db.commit()
    figures = await notices(db, tribunal, YEAR)
    assert (figures.sent, figures.kept, figures.queued) == (2, 1, 0)
