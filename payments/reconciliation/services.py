"""The daily reconciliation: the platform's ledger for a day of a tribunal, compared with what
the payment provider recorded for it.

A day runs from the tribunal's cut-off time (`PaymentSettings.reconciliation_cutoff`,
midnight unless set) on that date to the same time the next day, in the tribunal's time zone
(so a day across a change of clock is 23 or 25 hours long).

The platform's ledger for a day: the card payments that succeeded (settled in the day, still
succeeded or refunded since) and the refunds that succeeded (settled in the day). They are
matched with the provider's payments and refunds of the day by the provider's reference
(`Payment.provider_payment_reference`, `Refund.provider_reference`), then compared on amount
and currency. Every difference is listed, both ways. Payments taken at the counter or by
cheque, and their refunds, have no provider record: they are listed apart.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from filings.models import Filing
from payments.models import (
    Payment,
    PaymentMethod,
    PaymentSettings,
    PaymentState,
    Refund,
    RefundState,
)
from payments.providers import PaymentProvider, Transaction, TransactionKind
from tribunals.models import Tribunal

DAYS_LISTED = 90
# A payment that succeeded stays in the ledger of the day it settled, refunded or not.
SETTLED_STATES = (PaymentState.SUCCEEDED, PaymentState.PARTLY_REFUNDED, PaymentState.REFUNDED)
REGISTRY = "registry"  # the provider name of counter and cheque payments
# Days that can be asked for: far enough from the ends of the calendar for any zone.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9998, 12, 30)


# -- the day --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A day of a tribunal: [start, end) in UTC, and the zone it is shown in."""

    day: date
    start: datetime
    end: datetime
    zone: str

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(ZoneInfo(self.zone))

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(ZoneInfo(self.zone))

    def shown(self, moment: datetime) -> str:
        """A moment as ``2026-12-03 00:00 EST``, in the day's zone."""
        return moment.astimezone(ZoneInfo(self.zone)).strftime("%Y-%m-%d %H:%M %Z")


async def cutoff_of(db: AsyncSession, tribunal: Tribunal) -> time:
    """Return the tribunal's cut-off time (midnight while it has no payment settings)."""
    saved = await db.get(PaymentSettings, tribunal.id)
    return saved.reconciliation_cutoff if saved is not None else time(0, 0)


def window_of(tribunal: Tribunal, day: date, cutoff: time) -> Window:
    """Return the tribunal's day `day`: from the cut-off on that date to the cut-off the next
    day, in its zone."""
    zone = ZoneInfo(tribunal.time_zone)
    start = datetime.combine(day, cutoff, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), cutoff, tzinfo=zone)
    utc = ZoneInfo("UTC")
    return Window(day, start.astimezone(utc), end.astimezone(utc), tribunal.time_zone)


def day_at(tribunal: Tribunal, cutoff: time, moment: datetime) -> date:
    """Return the tribunal's day that `moment` falls in."""
    local = moment.astimezone(ZoneInfo(tribunal.time_zone))
    return local.date() if local.time() >= cutoff else local.date() - timedelta(days=1)


def parse_day(text: str) -> date | None:
    """Return the day a URL names (``2026-12-03``), or None if it names none we can show."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


# -- the last days, from the platform's ledger alone ----------------------------------------------


@dataclass
class Tally:
    count: int = 0
    cents: dict[str, int] = field(default_factory=dict)  # by currency

    def add(self, count: int, cents: int, currency: str) -> None:
        self.count += count
        self.cents[currency] = self.cents.get(currency, 0) + cents


@dataclass
class DaySummary:
    window: Window
    card: Tally = field(default_factory=Tally)
    registry: Tally = field(default_factory=Tally)
    refunds: Tally = field(default_factory=Tally)

    @property
    def day(self) -> date:
        return self.window.day

    @property
    def empty(self) -> bool:
        return not (self.card.count or self.registry.count or self.refunds.count)


async def last_days(
    db: AsyncSession, tribunal: Tribunal, cutoff: time, now: datetime, days: int = DAYS_LISTED
) -> list[DaySummary]:
    """Return the platform's counts and totals for each of the tribunal's last `days` days,
    the day in progress first, in one statement (the provider is not asked)."""
    today = day_at(tribunal, cutoff, now)
    windows = [window_of(tribunal, today - timedelta(days=back), cutoff) for back in range(days)]
    windows.reverse()  # oldest first: each moment falls in the first day ending after it
    first, last = windows[0].start, windows[-1].end

    def bucket(column: InstrumentedAttribute[datetime | None]) -> ColumnElement[int]:
        return case(*[(column < window.end, index) for index, window in enumerate(windows)])

    payments = select(
        bucket(Payment.settled_at).label("day"),
        case(
            (Payment.method == PaymentMethod.CARD, literal("card")), else_=literal(REGISTRY)
        ).label("category"),
        Payment.currency.label("currency"),
        Payment.amount_cents.label("cents"),
    ).where(
        Payment.tribunal_id == tribunal.id,
        Payment.state.in_(SETTLED_STATES),
        Payment.settled_at >= first,
        Payment.settled_at < last,
    )
    refunds = select(
        bucket(Refund.settled_at).label("day"),
        literal("refund").label("category"),
        Refund.currency.label("currency"),
        Refund.amount_cents.label("cents"),
    ).where(
        Refund.tribunal_id == tribunal.id,
        Refund.state == RefundState.SUCCEEDED,
        Refund.settled_at >= first,
        Refund.settled_at < last,
    )
    rows = union_all(payments, refunds).subquery()
    grouped = select(
        rows.c.day, rows.c.category, rows.c.currency, func.count(), func.sum(rows.c.cents)
    ).group_by(rows.c.day, rows.c.category, rows.c.currency)
    summaries = [DaySummary(window) for window in windows]
    for index, category, currency, count, cents in await db.execute(grouped):
        summary = summaries[int(index)]
        tally = {"card": summary.card, REGISTRY: summary.registry}.get(category, summary.refunds)
        tally.add(int(count), int(cents), currency)
    summaries.reverse()
    return summaries


# -- a day, compared with the provider ------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """A payment or refund in the platform's ledger."""

    kind: TransactionKind
    record_id: uuid.UUID
    filing_id: uuid.UUID
    case_reference: str
    provider: str
    method: PaymentMethod
    state: str  # the payment's or refund's state (its value)
    reference: str  # the provider's id of the payment or refund; "" for the registry's
    amount_cents: int
    currency: str
    occurred_at: datetime


class Difference(enum.Enum):
    PROVIDER_ONLY = "provider_only"  # with the provider, not on the platform
    PLATFORM_ONLY = "platform_only"  # on the platform, not with the provider
    AMOUNT = "amount"  # both, with another amount or currency


@dataclass(frozen=True)
class Line:
    """A card payment or refund of the day, as each side has it."""

    kind: TransactionKind
    reference: str
    platform: LedgerEntry | None
    provider: Transaction | None
    difference: Difference | None

    @property
    def occurred_at(self) -> datetime:
        found = self.platform or self.provider
        assert found is not None
        return found.occurred_at


@dataclass(frozen=True)
class Total:
    source: str  # the provider's name, or "registry"
    kind: TransactionKind
    status: str
    currency: str
    count: int
    cents: int


@dataclass(frozen=True)
class Reconciliation:
    window: Window
    provider: str
    lines: list[Line]  # card payments and refunds, compared
    registry: list[LedgerEntry]  # counter and cheque payments, and their refunds
    platform_totals: list[Total]
    provider_totals: list[Total]

    @property
    def differences(self) -> list[Line]:
        return [line for line in self.lines if line.difference is not None]

    @property
    def matched(self) -> int:
        return sum(1 for line in self.lines if line.difference is None)


async def ledger(db: AsyncSession, tribunal: Tribunal, window: Window) -> list[LedgerEntry]:
    """Return the platform's payments and refunds that succeeded in the window."""
    payments = await db.execute(
        select(Payment, Filing.reference)
        .join(Filing, Filing.id == Payment.filing_id)
        .where(
            Payment.tribunal_id == tribunal.id,
            Payment.state.in_(SETTLED_STATES),
            Payment.settled_at >= window.start,
            Payment.settled_at < window.end,
        )
    )
    entries = [
        LedgerEntry(
            kind=TransactionKind.PAYMENT,
            record_id=payment.id,
            filing_id=payment.filing_id,
            case_reference=reference or "",
            provider=payment.provider,
            method=payment.method,
            state=payment.state.value,
            reference=payment.provider_payment_reference
            if payment.method is PaymentMethod.CARD
            else "",
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            occurred_at=payment.settled_at or payment.created_at,
        )
        for payment, reference in payments
    ]
    refunds = await db.execute(
        select(Refund, Payment.provider, Payment.method, Filing.reference)
        .join(Payment, Payment.id == Refund.payment_id)
        .join(Filing, Filing.id == Refund.filing_id)
        .where(
            Refund.tribunal_id == tribunal.id,
            Refund.state == RefundState.SUCCEEDED,
            Refund.settled_at >= window.start,
            Refund.settled_at < window.end,
        )
    )
    entries += [
        LedgerEntry(
            kind=TransactionKind.REFUND,
            record_id=refund.id,
            filing_id=refund.filing_id,
            case_reference=reference or "",
            provider=provider,
            method=method,
            state=refund.state.value,
            reference=refund.provider_reference if method is PaymentMethod.CARD else "",
            amount_cents=refund.amount_cents,
            currency=refund.currency,
            occurred_at=refund.settled_at or refund.created_at,
        )
        for refund, provider, method, reference in refunds
    ]
    entries.sort(key=lambda entry: (entry.occurred_at, str(entry.record_id)))
    return entries


def compare(entries: Iterable[LedgerEntry], transactions: Iterable[Transaction]) -> list[Line]:
    """Return each card payment and refund of either side, matched by the provider's
    reference, with its difference if any."""
    theirs: dict[tuple[TransactionKind, str], Transaction] = {}
    extra: list[Transaction] = []
    for transaction in transactions:
        key = (transaction.kind, transaction.reference)
        if key in theirs or not transaction.reference:
            extra.append(transaction)
        else:
            theirs[key] = transaction
    lines: list[Line] = []
    for entry in entries:
        found = theirs.pop((entry.kind, entry.reference), None) if entry.reference else None
        if found is None:
            difference: Difference | None = Difference.PLATFORM_ONLY
        elif (found.amount_cents, found.currency.upper()) != (
            entry.amount_cents,
            entry.currency.upper(),
        ):
            difference = Difference.AMOUNT
        else:
            difference = None
        lines.append(Line(entry.kind, entry.reference, entry, found, difference))
    for transaction in [*theirs.values(), *extra]:
        lines.append(
            Line(
                transaction.kind, transaction.reference, None, transaction, Difference.PROVIDER_ONLY
            )
        )
    lines.sort(key=lambda line: (line.occurred_at, line.kind.value, line.reference))
    return lines


def _totals(rows: Iterable[tuple[str, TransactionKind, str, str, int]]) -> list[Total]:
    sums: dict[tuple[str, TransactionKind, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for source, kind, status, currency, cents in rows:
        found = sums[(source, kind, status, currency)]
        found[0] += 1
        found[1] += cents
    return [
        Total(source, kind, status, currency, count, cents)
        for (source, kind, status, currency), (count, cents) in sorted(
            sums.items(), key=lambda item: (item[0][0], item[0][1].value, item[0][2], item[0][3])
        )
    ]


async def reconcile(
    db: AsyncSession, tribunal: Tribunal, provider: PaymentProvider, window: Window
) -> Reconciliation:
    """Return the day's comparison. The provider is asked once; raises
    ProviderUnavailableError if it does not answer."""
    entries = await ledger(db, tribunal, window)
    transactions = await provider.transactions(str(tribunal.id), window.start, window.end)
    card = [entry for entry in entries if entry.method is PaymentMethod.CARD]
    registry = [entry for entry in entries if entry.method is not PaymentMethod.CARD]
    return Reconciliation(
        window=window,
        provider=provider.name,
        lines=compare(card, transactions),
        registry=registry,
        platform_totals=_totals(
            (entry.provider, entry.kind, entry.state, entry.currency, entry.amount_cents)
            for entry in entries
        ),
        provider_totals=_totals(
            (provider.name, item.kind, "recorded", item.currency.upper(), item.amount_cents)
            for item in transactions
        ),
    )
