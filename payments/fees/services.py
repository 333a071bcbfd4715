"""The fee schedule, the fee a case owes, and its balance.

A case is charged when it is submitted, at the schedule's entry in force on the day it was
started (in the tribunal's zone), if its kind of case says a fee applies and that entry asks
for more than nothing. The charge copies the entry, so that a later fee change never changes
a case, a receipt or a report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import lifecycle
from filings.casetypes.services import case_types_of, definition_of
from filings.models import CaseTypeVersion, Filing, VersionStatus
from payments.models import (
    DEFAULT_CURRENCY,
    Fee,
    FeeCharge,
    FeeWaiver,
    Payment,
    PaymentSettings,
    PaymentState,
    Receipt,
    Refund,
    RefundState,
    WaiverState,
)
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import local_today, utcnow
from tribune.i18n import gettext as _

# The states of a payment whose money was taken (some may have been given back since).
PAID_STATES = (PaymentState.SUCCEEDED, PaymentState.PARTLY_REFUNDED, PaymentState.REFUNDED)


# -- the schedule -------------------------------------------------------------------------------


async def fee_in_force(db: AsyncSession, case_type_id: uuid.UUID, day: date) -> Fee | None:
    """Return the schedule's entry for a kind of case on a day, or None if there is none."""
    return (
        await db.scalars(
            select(Fee)
            .where(
                Fee.case_type_id == case_type_id,
                Fee.effective_from <= day,
                (Fee.effective_until.is_(None)) | (Fee.effective_until > day),
            )
            .order_by(Fee.effective_from.desc())
            .limit(1)
        )
    ).first()


async def schedule_of(db: AsyncSession, tribunal: Tribunal) -> list[Fee]:
    """Return every entry of the tribunal's schedule, by kind of case then date."""
    return list(
        await db.scalars(
            select(Fee)
            .where(Fee.tribunal_id == tribunal.id)
            .order_by(Fee.case_type_id, Fee.effective_from)
        )
    )


class FeeRefused(Exception):  # noqa: N818 - reads as what happened
    """A schedule entry cannot be added as asked (the message says why, translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FeeValues:
    code: str
    amount_cents: int
    reduced_amount_cents: int | None
    effective_from: date
    currency: str = DEFAULT_CURRENCY


async def add_fee(
    db: AsyncSession,
    tribunal: Tribunal,
    case_type_id: uuid.UUID,
    values: FeeValues,
    *,
    actor: User | None,
    today: date | None = None,
) -> Fee:
    """Add an entry to the schedule from `values.effective_from`, ending the entry it follows
    the day before. Raises FeeRefused if it would start in the past (cases started then keep
    their fee) or not after the kind of case's latest entry."""
    today = today or local_today(tribunal.time_zone)
    if values.effective_from < today:
        raise FeeRefused(_("A new fee cannot start in the past. Choose today or a later date."))
    if values.reduced_amount_cents is not None and not (
        0 <= values.reduced_amount_cents < values.amount_cents
    ):
        raise FeeRefused(_("The reduced amount must be less than the fee."))
    entries = list(
        await db.scalars(
            select(Fee)
            .where(Fee.tribunal_id == tribunal.id, Fee.case_type_id == case_type_id)
            .order_by(Fee.effective_from)
            .with_for_update()
        )
    )
    if entries and entries[-1].effective_from >= values.effective_from:
        raise FeeRefused(
            _(
                "A new fee must start after the latest one, which starts on %(day)s.",
                day=entries[-1].effective_from.isoformat(),
            )
        )
    if entries:
        entries[-1].effective_until = values.effective_from
    fee = Fee(
        tribunal_id=tribunal.id,
        case_type_id=case_type_id,
        code=values.code,
        amount_cents=values.amount_cents,
        reduced_amount_cents=values.reduced_amount_cents,
        currency=values.currency,
        effective_from=values.effective_from,
        created_by_id=actor.id if actor else None,
    )
    db.add(fee)
    audit.record(
        db,
        AuditAction.FEE_ADDED,
        actor_id=actor.id if actor else None,
        tribunal_id=tribunal.id,
        subject_type="fee",
        subject_id=fee.id,
        code=values.code,
        amount_cents=values.amount_cents,
        effective_from=values.effective_from.isoformat(),
    )
    return fee


# -- the fee a case owes ------------------------------------------------------------------------


async def charge_of(db: AsyncSession, filing: Filing) -> FeeCharge | None:
    """Return the fee the case owes, or None if it owes none."""
    return (
        await db.scalars(
            select(FeeCharge).where(
                FeeCharge.filing_id == filing.id, FeeCharge.tribunal_id == filing.tribunal_id
            )
        )
    ).first()


async def fee_for_new_case(
    db: AsyncSession, tribunal: Tribunal, version: CaseTypeVersion, started: datetime
) -> Fee | None:
    """Return the entry a case of this version started at `started` would be charged, or
    None if it is free (the kind of case says no fee applies, or the schedule asks nothing)."""
    rule = definition_of(version).fee
    if rule is None or not rule.applies:
        return None
    fee = await fee_in_force(db, version.case_type_id, local_today(tribunal.time_zone, started))
    return fee if fee is not None and fee.amount_cents > 0 else None


async def assess(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, version: CaseTypeVersion
) -> FeeCharge | None:
    """Charge a submitted case its fee (once), mark it awaiting payment, and return the
    charge; None if it owes none. Called in every submission's transaction."""
    existing = await charge_of(db, filing)
    if existing is not None:
        return existing
    fee = await fee_for_new_case(db, tribunal, version, filing.created_at)
    if fee is None:
        return None
    charge = FeeCharge(
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        fee_id=fee.id,
        code=fee.code,
        amount_cents=fee.amount_cents,
        reduced_amount_cents=fee.reduced_amount_cents,
        currency=fee.currency,
        assessed_at=utcnow(),
    )
    db.add(charge)
    await set_awaiting_payment(db, filing, True)
    return charge


lifecycle.on_submission(assess)


# -- the balance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """What a case owes, in one place: the fee, what a waiver took off, what was paid and
    given back, what is left to pay, and what is owed back to the payer."""

    currency: str
    fee_cents: int
    waived_cents: int
    paid_cents: int
    refunded_cents: int

    @property
    def due_cents(self) -> int:
        """The fee less the waiver: what the case must pay in all."""
        return self.fee_cents - self.waived_cents

    @property
    def kept_cents(self) -> int:
        """What the tribunal holds: paid less refunded."""
        return self.paid_cents - self.refunded_cents

    @property
    def outstanding_cents(self) -> int:
        return max(0, self.due_cents - self.kept_cents)

    @property
    def owed_back_cents(self) -> int:
        """Paid beyond what is now due (a waiver granted after payment)."""
        return max(0, self.kept_cents - self.due_cents)

    @property
    def settled(self) -> bool:
        return self.outstanding_cents == 0


async def balance_of(db: AsyncSession, charge: FeeCharge) -> Balance:
    """Return the charge's balance, in one statement."""
    paid = (
        select(func.coalesce(func.sum(Payment.amount_cents), 0))
        .where(Payment.charge_id == charge.id, Payment.state.in_(PAID_STATES))
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(Refund.amount_cents), 0))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.charge_id == charge.id, Refund.state == RefundState.SUCCEEDED)
        .scalar_subquery()
    )
    paid_cents, refunded_cents = (await db.execute(select(paid, refunded))).one()
    return Balance(
        currency=charge.currency,
        fee_cents=charge.amount_cents,
        waived_cents=charge.waived_cents,
        paid_cents=int(paid_cents),
        refunded_cents=int(refunded_cents),
    )


async def set_awaiting_payment(db: AsyncSession, filing: Filing, awaiting: bool) -> None:
    """Keep the case's flag the docket filters on and acceptance waits for."""
    if filing.awaiting_payment is awaiting:
        return
    await db.execute(
        update(Filing)
        .where(Filing.id == filing.id)
        .values(awaiting_payment=awaiting)
        .execution_options(synchronize_session=False)
    )
    filing.awaiting_payment = awaiting


async def refresh_awaiting_payment(db: AsyncSession, filing: Filing, charge: FeeCharge) -> Balance:
    """Recompute the case's balance after a payment, refund or waiver; set the flag from it
    and return it."""
    balance = await balance_of(db, charge)
    await set_awaiting_payment(db, filing, not balance.settled)
    return balance


# -- the schedule as its page shows it ----------------------------------------------------------


@dataclass(frozen=True)
class KindOfCase:
    """A kind of case on the schedule's page: its title, whether its definition says a fee
    applies, and its entries: the one in force today, those to come and those past."""

    case_type_id: uuid.UUID
    code: str
    version: CaseTypeVersion
    fee_applies: bool
    in_force: Fee | None
    future: list[Fee]
    past: list[Fee]


async def schedule_by_kind(db: AsyncSession, tribunal: Tribunal, today: date) -> list[KindOfCase]:
    """Return each of the tribunal's kinds of case with its schedule (two statements)."""
    summaries = await case_types_of(db, tribunal.id)
    entries: dict[uuid.UUID, list[Fee]] = {}
    for fee in await schedule_of(db, tribunal):
        entries.setdefault(fee.case_type_id, []).append(fee)
    kinds = []
    for summary in summaries:
        version = next(
            (v for v in summary.versions if v.status is VersionStatus.PUBLISHED), summary.latest
        )
        rule = definition_of(version).fee
        own = entries.get(summary.case_type.id, [])
        in_force = next(
            (
                fee
                for fee in own
                if fee.effective_from <= today
                and (fee.effective_until is None or fee.effective_until > today)
            ),
            None,
        )
        kinds.append(
            KindOfCase(
                case_type_id=summary.case_type.id,
                code=summary.case_type.code,
                version=version,
                fee_applies=rule is not None and rule.applies,
                in_force=in_force,
                future=[fee for fee in own if fee.effective_from > today],
                past=[
                    fee
                    for fee in own
                    if fee.effective_until is not None and fee.effective_until <= today
                ],
            )
        )
    return kinds


# -- the tribunal's payment settings ------------------------------------------------------------

HOUSEHOLD_SIZES = tuple(range(1, 9))  # the last, 8, stands for eight people or more


def default_settings(tribunal: Tribunal) -> PaymentSettings:
    return PaymentSettings(
        tribunal_id=tribunal.id,
        income_thresholds={},
        waive_for_assistance=True,
        part_waiver_band_percent=None,
        pay_within_days=30,
        refund_approval_above_cents=None,
        reconciliation_cutoff=time(0, 0),
    )


async def settings_of(db: AsyncSession, tribunal: Tribunal) -> PaymentSettings:
    """Return the tribunal's payment settings, or the defaults (not saved) if it has none."""
    saved = await db.get(PaymentSettings, tribunal.id)
    return saved if saved is not None else default_settings(tribunal)


def threshold_for(settings: PaymentSettings, household_size: int) -> int | None:
    """Return the income under which a household of this size gets a full waiver, or None."""
    key = str(min(max(household_size, 1), HOUSEHOLD_SIZES[-1]))
    value = (settings.income_thresholds or {}).get(key)
    return int(value) if value is not None else None


@dataclass(frozen=True)
class SettingsValues:
    income_thresholds: dict[str, int]
    waive_for_assistance: bool
    part_waiver_band_percent: int | None
    pay_within_days: int
    refund_approval_above_cents: int | None
    reconciliation_cutoff: time


async def save_settings(
    db: AsyncSession, tribunal: Tribunal, values: SettingsValues, *, actor: User
) -> PaymentSettings:
    """Save the tribunal's payment settings (the row is made on the first save); audited."""
    saved = await db.get(PaymentSettings, tribunal.id)
    if saved is None:
        saved = default_settings(tribunal)
        db.add(saved)
    saved.income_thresholds = dict(values.income_thresholds)
    saved.waive_for_assistance = values.waive_for_assistance
    saved.part_waiver_band_percent = values.part_waiver_band_percent
    saved.pay_within_days = values.pay_within_days
    saved.refund_approval_above_cents = values.refund_approval_above_cents
    saved.reconciliation_cutoff = values.reconciliation_cutoff
    saved.updated_at = utcnow()
    saved.updated_by_id = actor.id
    audit.record(
        db,
        AuditAction.PAYMENT_SETTINGS_CHANGED,
        actor_id=actor.id,
        tribunal_id=tribunal.id,
        subject_type="tribunal",
        subject_id=tribunal.id,
        income_thresholds=dict(values.income_thresholds),
        waive_for_assistance=values.waive_for_assistance,
        part_waiver_band_percent=values.part_waiver_band_percent,
        pay_within_days=values.pay_within_days,
        refund_approval_above_cents=values.refund_approval_above_cents,
        reconciliation_cutoff=values.reconciliation_cutoff.strftime("%H:%M"),
    )
    return saved


# -- everything a case's fee section shows ------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    """A charged case's money in one place: the balance, the payments (newest first) with
    their receipts, the refunds, and the fee waivers asked for (newest first)."""

    charge: FeeCharge
    balance: Balance
    payments: list[Payment]
    refunds: list[Refund]
    receipts: dict[uuid.UUID, Receipt]  # by payment id (a payment's) and refund id (a refund's)
    waivers: list[FeeWaiver]

    @property
    def waiting_waiver(self) -> FeeWaiver | None:
        return next((w for w in self.waivers if w.state is WaiverState.REQUESTED), None)

    @property
    def last_decided_waiver(self) -> FeeWaiver | None:
        return next((w for w in self.waivers if w.state is not WaiverState.REQUESTED), None)


async def ledger_of(db: AsyncSession, charge: FeeCharge) -> Ledger:
    """Return the charge's ledger in five statements, whatever the number of rows."""
    balance = await balance_of(db, charge)
    payments = list(
        await db.scalars(
            select(Payment)
            .where(Payment.charge_id == charge.id, Payment.tribunal_id == charge.tribunal_id)
            .order_by(Payment.created_at.desc())
        )
    )
    refunds = list(
        await db.scalars(
            select(Refund)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.charge_id == charge.id, Refund.tribunal_id == charge.tribunal_id)
            .order_by(Refund.created_at.desc())
        )
    )
    receipts: dict[uuid.UUID, Receipt] = {}
    for receipt in await db.scalars(
        select(Receipt).where(
            Receipt.filing_id == charge.filing_id, Receipt.tribunal_id == charge.tribunal_id
        )
    ):
        receipts[receipt.refund_id or receipt.payment_id] = receipt
    waivers = list(
        await db.scalars(
            select(FeeWaiver)
            .where(FeeWaiver.charge_id == charge.id, FeeWaiver.tribunal_id == charge.tribunal_id)
            .order_by(FeeWaiver.created_at.desc())
        )
    )
    return Ledger(charge, balance, payments, refunds, receipts, waivers)
