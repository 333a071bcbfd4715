"""The figures of a tribunal's annual performance report, each counted in SQL over its
fiscal year (April to March, in the tribunal's time zone), whatever the number of cases.

Volumes come from the case events (a case counts once per kind of event, the first time
in the year); pending cases are those received before the year's end and not decided,
closed, withdrawn or dismissed by then, by their age on the year's last day. Accommodations
come from what the filing asked for, and whether an interpreter was booked for a hearing of
the case. Fees are the money that moved in the year: payments settled, refunds paid and
waivers granted. Notices are the messages the platform wrote for the tribunal in the year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, case, distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import CaseEvent, Filing
from hearings.models import Hearing
from payments.models import (
    FeeCharge,
    FeeWaiver,
    Payment,
    PaymentState,
    Refund,
    RefundState,
    WaiverState,
)
from tribunals.models import Tribunal
from tribune.mail import MessageStatus, OutboxMessage

# The month a fiscal year starts in (April, as the Government of Canada's and Ontario's).
FISCAL_YEAR_START_MONTH = 4
TERMINAL_EVENTS = ("decided", "closed", "withdrawn", "dismissed")
# Pending cases' ages, in days on the year's last day: (key, at least, under).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under_90", 0, 90),
    ("90_to_179", 90, 180),
    ("180_to_364", 180, 365),
    ("365_and_over", 365, None),
)
PAID_STATES = (PaymentState.SUCCEEDED, PaymentState.PARTLY_REFUNDED, PaymentState.REFUNDED)
GRANTED_WAIVERS = (WaiverState.APPROVED, WaiverState.PART_APPROVED)


@dataclass(frozen=True)
class FiscalYear:
    """A fiscal year, named by the calendar year it starts in: 2025 is April 2025 to March
    2026."""

    start_year: int

    @property
    def first_day(self) -> date:
        return date(self.start_year, FISCAL_YEAR_START_MONTH, 1)

    @property
    def last_day(self) -> date:
        return date(self.start_year + 1, FISCAL_YEAR_START_MONTH, 1) - timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.start_year}–{self.start_year + 1}"

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """Return the year's first instant and the next year's first, where the tribunal sits."""
        tz = ZoneInfo(zone)
        start = datetime.combine(self.first_day, time.min, tz)
        end = datetime.combine(self.last_day + timedelta(days=1), time.min, tz)
        return start, end


def fiscal_year_of(day: date) -> FiscalYear:
    """Return the fiscal year a day falls in."""
    return FiscalYear(day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1)


@dataclass(frozen=True)
class Volumes:
    received: int
    accepted: int
    heard: int
    decided: int
    withdrawn: int
    dismissed: int
    # Cases pending at the year's end, by age band (AGE_BANDS' keys).
    pending_by_age: dict[str, int]

    @property
    def pending(self) -> int:
        return sum(self.pending_by_age.values())


async def volumes(db: AsyncSession, tribunal: Tribunal, year: FiscalYear) -> Volumes:
    """Return the year's volumes, in two statements."""
    start, end = year.bounds(tribunal.time_zone)

    def cases_with(kind: str) -> ColumnElement[int]:
        return func.count(distinct(case((CaseEvent.kind == kind, CaseEvent.filing_id))))

    kinds = ("submitted", "accepted", "heard", "decided", "withdrawn", "dismissed")
    row = (
        await db.execute(
            select(*(cases_with(kind).label(kind) for kind in kinds)).where(
                CaseEvent.tribunal_id == tribunal.id,
                CaseEvent.kind.in_(kinds),
                CaseEvent.occurred_at >= start,
                CaseEvent.occurred_at < end,
            )
        )
    ).one()
    ended = exists().where(
        CaseEvent.filing_id == Filing.id,
        CaseEvent.tribunal_id == tribunal.id,
        CaseEvent.kind.in_(TERMINAL_EVENTS),
        CaseEvent.occurred_at < end,
    )
    bands = []
    for key, at_least, under in AGE_BANDS:
        # Received at least `at_least` days and under `under` days before the year's end.
        condition = [Filing.submitted_at <= end - timedelta(days=at_least)]
        if under is not None:
            condition.append(Filing.submitted_at > end - timedelta(days=under))
        bands.append(func.count(case((and_(*condition), Filing.id))).label(key))
    pending = (
        await db.execute(
            select(*bands).where(
                Filing.tribunal_id == tribunal.id,
                Filing.submitted_at.is_not(None),
                Filing.submitted_at < end,
                ~ended,
            )
        )
    ).one()
    return Volumes(
        received=row.submitted,
        accepted=row.accepted,
        heard=row.heard,
        decided=row.decided,
        withdrawn=row.withdrawn,
        dismissed=row.dismissed,
        pending_by_age={key: getattr(pending, key) for key, _at_least, _under in AGE_BANDS},
    )


@dataclass(frozen=True)
class Accommodations:
    """What the cases received in the year asked for, and what was arranged."""

    interpreter_asked: int
    sign_language_asked: int
    other_asked: int
    # Cases that asked for an interpreter or sign language and had one booked for a hearing.
    interpreter_booked: int


async def accommodations(db: AsyncSession, tribunal: Tribunal, year: FiscalYear) -> Accommodations:
    """Return the year's accommodations, in one statement."""
    start, end = year.bounds(tribunal.time_zone)
    asked_interpreter = Filing.answers[("accessibility", "needs_interpreter")].as_boolean()
    sign = func.coalesce(Filing.answers[("accessibility", "sign_language")].as_string(), "")
    other = func.coalesce(Filing.answers[("accessibility", "other_needs")].as_string(), "")
    asked_sign = and_(sign != "", sign != "none")
    booked = exists().where(
        Hearing.filing_id == Filing.id,
        Hearing.tribunal_id == tribunal.id,
        Hearing.interpreter_id.is_not(None),
    )
    row = (
        await db.execute(
            select(
                func.count(case((asked_interpreter.is_(True), Filing.id))).label("interpreter"),
                func.count(case((asked_sign, Filing.id))).label("sign"),
                func.count(case((func.trim(func.cast(other, String)) != "", Filing.id))).label(
                    "other"
                ),
                func.count(
                    case((and_(or_(asked_interpreter.is_(True), asked_sign), booked), Filing.id))
                ).label("booked"),
            ).where(
                Filing.tribunal_id == tribunal.id,
                Filing.submitted_at >= start,
                Filing.submitted_at < end,
            )
        )
    ).one()
    return Accommodations(
        interpreter_asked=row.interpreter,
        sign_language_asked=row.sign,
        other_asked=row.other,
        interpreter_booked=row.booked,
    )


@dataclass(frozen=True)
class MoneyLine:
    """How many and how much, in one currency."""

    currency: str
    count: int
    cents: int


@dataclass(frozen=True)
class Fees:
    collected: list[MoneyLine]
    refunded: list[MoneyLine]
    waived: list[MoneyLine]


async def fees(db: AsyncSession, tribunal: Tribunal, year: FiscalYear) -> Fees:
    """Return the money that moved in the year, per currency, in three statements: payments
    settled (whatever was refunded of them later), refunds paid, and waivers granted (what
    they waived)."""
    start, end = year.bounds(tribunal.time_zone)
    collected = await db.execute(
        select(Payment.currency, func.count(), func.sum(Payment.amount_cents))
        .where(
            Payment.tribunal_id == tribunal.id,
            Payment.state.in_(PAID_STATES),
            Payment.settled_at >= start,
            Payment.settled_at < end,
        )
        .group_by(Payment.currency)
        .order_by(Payment.currency)
    )
    refunded = await db.execute(
        select(Refund.currency, func.count(), func.sum(Refund.amount_cents))
        .where(
            Refund.tribunal_id == tribunal.id,
            Refund.state == RefundState.SUCCEEDED,
            Refund.settled_at >= start,
            Refund.settled_at < end,
        )
        .group_by(Refund.currency)
        .order_by(Refund.currency)
    )
    waived_rows = await db.execute(
        select(FeeCharge.currency, func.count(), func.sum(FeeWaiver.waived_cents))
        .join(FeeCharge, FeeCharge.id == FeeWaiver.charge_id)
        .where(
            FeeWaiver.tribunal_id == tribunal.id,
            FeeWaiver.state.in_(GRANTED_WAIVERS),
            FeeWaiver.decided_at >= start,
            FeeWaiver.decided_at < end,
        )
        .group_by(FeeCharge.currency)
        .order_by(FeeCharge.currency)
    )
    return Fees(
        collected=[MoneyLine(currency, count, cents or 0) for currency, count, cents in collected],
        refunded=[MoneyLine(currency, count, cents or 0) for currency, count, cents in refunded],
        waived=[MoneyLine(currency, count, cents or 0) for currency, count, cents in waived_rows],
    )


@dataclass(frozen=True)
class Notices:
    """The emails written for the tribunal in the year: sent through the mail relay, kept in
    the outbox (a platform without a relay) and still queued."""

    sent: int
    kept: int
    queued: int


async def notices(db: AsyncSession, tribunal: Tribunal, year: FiscalYear) -> Notices:
    """Return the year's emails by delivery status, in one statement."""
    start, end = year.bounds(tribunal.time_zone)
    counts = dict(
        (
            await db.execute(
                select(OutboxMessage.status, func.count())
                .where(
                    OutboxMessage.tribunal_id == tribunal.id,
                    OutboxMessage.created_at >= start,
                    OutboxMessage.created_at < end,
                )
                .group_by(OutboxMessage.status)
            )
        ).all()
    )
    return Notices(
        sent=counts.get(MessageStatus.SENT, 0),
        kept=counts.get(MessageStatus.KEPT, 0),
        queued=counts.get(MessageStatus.QUEUED, 0),
    )
