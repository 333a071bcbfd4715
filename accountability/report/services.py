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
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, and_, case, distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.feedback.services import FeedbackFigures, report_figures
from accountability.standards.measurement import YearFigures, measure_year
from accountability.standards.periods import FiscalYear, fiscal_year_of
from accountability.standards.services import standards_of
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
from tribune.db import local_today
from tribune.mail import MessageStatus, OutboxMessage
from tribune.texts import FAILED as TEXT_FAILURES
from tribune.texts import TextMessage, TextStatus

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


@dataclass(frozen=True)
class Texts:
    """The text messages written for the tribunal in the year, by what became of them:
    delivered (the provider's receipt said so), sent (handed to the provider, no final receipt
    yet), kept in the outbox (a platform without a provider), failed (the provider refused or
    could not deliver them), still queued, and cancelled (texts to the number stopped before
    they left)."""

    delivered: int
    sent: int
    kept: int
    failed: int
    queued: int
    cancelled: int


async def texts(db: AsyncSession, tribunal: Tribunal, year: FiscalYear) -> Texts:
    """Return the year's text messages by delivery status, in one statement."""
    start, end = year.bounds(tribunal.time_zone)
    counts: dict[TextStatus, int] = dict.fromkeys(TextStatus, 0)
    rows = await db.execute(
        select(TextMessage.status, func.count())
        .where(
            TextMessage.tribunal_id == tribunal.id,
            TextMessage.created_at >= start,
            TextMessage.created_at < end,
        )
        .group_by(TextMessage.status)
    )
    for status, count in rows:
        counts[status] = int(count)
    return Texts(
        delivered=counts[TextStatus.DELIVERED],
        sent=counts[TextStatus.SENT],
        kept=counts[TextStatus.KEPT],
        failed=sum(counts[status] for status in TEXT_FAILURES),
        queued=counts[TextStatus.QUEUED],
        cancelled=counts[TextStatus.CANCELLED],
    )


# -- the years a report can cover, and the whole report -------------------------------------------


@dataclass(frozen=True)
class ReportYears:
    """The fiscal years a tribunal's report can cover: from the year its first case was
    received to the current one (to date), newest first; the default is the last complete
    year (the current one while it is the only one)."""

    years: tuple[FiscalYear, ...]
    current: FiscalYear

    @property
    def default(self) -> FiscalYear:
        return self.years[1] if len(self.years) > 1 else self.current

    def __contains__(self, year: object) -> bool:
        return year in self.years


async def report_years(db: AsyncSession, tribunal: Tribunal, now: datetime) -> ReportYears:
    """Return the years the tribunal's report can cover, in one statement."""
    current = fiscal_year_of(local_today(tribunal.time_zone, now))
    first_received = await db.scalar(
        select(func.min(Filing.submitted_at)).where(
            Filing.tribunal_id == tribunal.id, Filing.submitted_at.is_not(None)
        )
    )
    first = current
    if first_received is not None:
        first = min(first, fiscal_year_of(local_today(tribunal.time_zone, first_received)))
    years = tuple(
        FiscalYear(start) for start in range(current.start_year, first.start_year - 1, -1)
    )
    return ReportYears(years=years, current=current)


@dataclass(frozen=True)
class AnnualReport:
    """Every figure of a tribunal's report over a fiscal year, as of `generated_at` (the
    year's figures so far while it runs: `to_date`)."""

    year: FiscalYear
    generated_at: datetime
    to_date: bool
    volumes: Volumes
    standards: list[YearFigures]
    accommodations: Accommodations
    fees: Fees
    feedback: FeedbackFigures
    notices: Notices
    texts: Texts


async def annual_report(
    db: AsyncSession, tribunal: Tribunal, year: FiscalYear, now: datetime
) -> AnnualReport:
    """Return the tribunal's report over a fiscal year that has started, as of `now`: about
    fifteen statements, and a few more per standard (`measure_year`), whatever the number of
    cases. Raises ValueError if the year has not started."""
    if year.starts_at(tribunal.time_zone) > now:
        raise ValueError("the fiscal year has not started")
    measured = []
    for standard in await standards_of(db, tribunal):
        figures = await measure_year(db, tribunal, standard, year.start_year, now=now)
        if figures is not None:
            measured.append(figures)
    return AnnualReport(
        year=year,
        generated_at=now,
        to_date=not year.has_ended(tribunal.time_zone, now),
        volumes=await volumes(db, tribunal, year),
        standards=measured,
        accommodations=await accommodations(db, tribunal, year),
        fees=await fees(db, tribunal, year),
        feedback=await report_figures(db, tribunal, year.first_day, year.last_day),
        notices=await notices(db, tribunal, year),
        texts=await texts(db, tribunal, year),
    )
