"""Fees, what each case owes, payments and refunds with their receipts, fee waivers, the
tribunal's payment settings, and the records of the built-in sandbox payment provider.

Money is in integer cents with an ISO 4217 currency. A payment or refund changes state only
through `payments.checkout.states` (never backwards); the totals a case owes are computed
from these rows (`payments.balance`), except the amount reserved on a payment by refunds
(`Payment.refunded_cents`), which a refund takes with a conditional update so that two
refunds cannot together exceed the payment.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Base, Model, enum_by_value

DEFAULT_CURRENCY = "CAD"

# The open states of a payment, written out for the partial unique index below.
_OPEN = text("state IN ('created', 'pending')")


class Fee(Model):
    """One entry of a tribunal's fee schedule: what a kind of case costs from a date.

    Entries never change once in force: a new fee is a new entry from a later date, and the
    entry it replaces ends the day before (`effective_until`, exclusive). A case is charged
    the entry in force on the day it was started, so a fee change never changes a case.
    """

    __tablename__ = "fees"
    __table_args__ = (
        UniqueConstraint("case_type_id", "effective_from"),
        Index("ix_fees_tribunal_case_type", "tribunal_id", "case_type_id", "effective_from"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint(
            "reduced_amount_cents IS NULL OR "
            "(reduced_amount_cents >= 0 AND reduced_amount_cents < amount_cents)",
            name="reduced_below_amount",
        ),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    case_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_types.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int]
    # What is left to pay after a part waiver; None: the tribunal grants no part waiver of it.
    reduced_amount_cents: Mapped[int | None]
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    effective_from: Mapped[date]
    effective_until: Mapped[date | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class FeeCharge(Model):
    """The fee a case owes: the schedule's entry as it was when the case was started, copied
    so that receipts and reports never change. One per case."""

    __tablename__ = "fee_charges"
    __table_args__ = (
        UniqueConstraint("filing_id"),
        CheckConstraint("waived_cents >= 0 AND waived_cents <= amount_cents", name="waived_range"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    fee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fees.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int]
    reduced_amount_cents: Mapped[int | None]
    currency: Mapped[str] = mapped_column(String(3))
    assessed_at: Mapped[datetime]
    # What an approved waiver took off (the whole fee, or the fee less its reduced amount).
    waived_cents: Mapped[int] = mapped_column(default=0)
    # The date to pay by, once a waiver was refused (in the tribunal's zone).
    pay_by: Mapped[date | None]


class PaymentState(enum.Enum):
    """Where a payment is. `payments.checkout.states` says how it may move: forward only."""

    CREATED = "created"  # saved, the provider not yet asked
    PENDING = "pending"  # the provider holds a checkout for it, or the bank has not answered
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"


class PaymentMethod(enum.Enum):
    CARD = "card"  # on the provider's hosted page
    COUNTER = "counter"  # cash or debit at the registry's counter
    CHEQUE = "cheque"


class Payment(Model):
    """A payment of a case's fee: an attempt on the provider's hosted page, saved before the
    payer is sent there, or a payment a clerk took at the counter or by cheque.

    At most one attempt per fee is open at a time (the partial unique index): a second click,
    a reload or a second tab resumes it.
    """

    __tablename__ = "payments"
    __table_args__ = (
        Index(
            "uq_payments_open_attempt",
            "charge_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index("ix_payments_filing", "filing_id", "created_at"),
        Index("ix_payments_tribunal_settled", "tribunal_id", "settled_at"),
        Index("ix_payments_next_check", "next_check_at"),
        UniqueConstraint("provider", "provider_reference"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refunded_range"
        ),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    charge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fee_charges.id", ondelete="CASCADE"))
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(20))  # "sandbox", "stripe", or "registry"
    method: Mapped[PaymentMethod] = mapped_column(enum_by_value(PaymentMethod))
    state: Mapped[PaymentState] = mapped_column(
        enum_by_value(PaymentState), default=PaymentState.CREATED
    )
    # Sent with every call to the provider about this payment: derived from the attempt.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    # The provider's checkout (a Stripe Checkout Session id), and the payment it made.
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    provider_payment_reference: Mapped[str] = mapped_column(String(255), default="")
    checkout_url: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    payer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(2), default="en")
    settled_at: Mapped[datetime | None]
    failure_reason: Mapped[str] = mapped_column(String(40), default="")
    # Refunds requested, approved or made (released again if one fails or is rejected).
    refunded_cents: Mapped[int] = mapped_column(default=0)
    # When the settling job asks the provider next; None once settled.
    next_check_at: Mapped[datetime | None]
    checks: Mapped[int] = mapped_column(default=0)
    # A counter or cheque payment: who took it, and the cheque's number.
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    cheque_number: Mapped[str] = mapped_column(String(40), default="")


class PaymentNotification(Model):
    """A provider's notification (webhook) already acted on: a replay is ignored."""

    __tablename__ = "payment_notifications"
    __table_args__ = (UniqueConstraint("provider", "notification_id"),)

    provider: Mapped[str] = mapped_column(String(20))
    notification_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(80))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="SET NULL")
    )
    received_at: Mapped[datetime]


class RefundState(enum.Enum):
    PROPOSED = "proposed"  # after a waiver granted once paid: staff confirm it or not
    AWAITING_APPROVAL = "awaiting_approval"  # above the tribunal's threshold: a second person
    PENDING = "pending"  # sent to the provider
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"  # not approved, or a proposal declined


class Refund(Model):
    """Money given back on a payment, with the reason; a case event and an audit entry."""

    __tablename__ = "refunds"
    __table_args__ = (
        Index("ix_refunds_payment", "payment_id"),
        Index("ix_refunds_tribunal_settled", "tribunal_id", "settled_at"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[RefundState] = mapped_column(enum_by_value(RefundState))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    provider_reference: Mapped[str] = mapped_column(String(255), default="")
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    failure_reason: Mapped[str] = mapped_column(String(40), default="")


class ReceiptKind(enum.Enum):
    PAYMENT = "payment"
    REFUND = "refund"


class Receipt(Model):
    """A receipt for a successful payment or refund, numbered without gaps per tribunal and
    year (`ReceiptCounter`, in the same transaction). What it says is copied here."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("tribunal_id", "year", "number"),
        # One receipt per payment, and one per refund (refund_id is unique).
        Index(
            "uq_receipts_payment",
            "payment_id",
            unique=True,
            sqlite_where=text("kind = 'payment'"),
            postgresql_where=text("kind = 'payment'"),
        ),
        Index("ix_receipts_filing", "filing_id", "issued_at"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    refund_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refunds.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[ReceiptKind] = mapped_column(enum_by_value(ReceiptKind))
    year: Mapped[int]
    number: Mapped[int]
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    fee_code: Mapped[str] = mapped_column(String(40))
    method: Mapped[PaymentMethod] = mapped_column(enum_by_value(PaymentMethod))
    provider_reference: Mapped[str] = mapped_column(String(255), default="")
    issued_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(2))


class ReceiptCounter(Base):
    """The last receipt number given per tribunal and year."""

    __tablename__ = "receipt_counters"

    tribunal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tribunals.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class WaiverState(enum.Enum):
    REQUESTED = "requested"  # a clerk decides
    APPROVED = "approved"  # the whole fee
    PART_APPROVED = "part_approved"  # the fee less its reduced amount
    REFUSED = "refused"


class FeeWaiver(Model):
    """A claimant's request not to pay a case's fee, and its decision (automatic, by the
    tribunal's rules, or a clerk's with a reason). Proof, if any, is a case document."""

    __tablename__ = "fee_waivers"
    __table_args__ = (
        Index("ix_fee_waivers_filing", "filing_id", "created_at"),
        Index("ix_fee_waivers_tribunal_state", "tribunal_id", "state"),
        Index(
            "uq_fee_waivers_open",
            "charge_id",
            unique=True,
            sqlite_where=text("state = 'requested'"),
            postgresql_where=text("state = 'requested'"),
        ),
        CheckConstraint("household_size >= 1", name="household_size_positive"),
        CheckConstraint("household_income_cents >= 0", name="income_not_negative"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"))
    charge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fee_charges.id", ondelete="CASCADE"))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    household_size: Mapped[int]
    household_income_cents: Mapped[int]
    receives_assistance: Mapped[bool]
    declared_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(2), default="en")
    state: Mapped[WaiverState] = mapped_column(enum_by_value(WaiverState))
    decided_automatically: Mapped[bool] = mapped_column(default=False)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    waived_cents: Mapped[int] = mapped_column(default=0)


class PaymentSettings(Base):
    """A tribunal's rules for waivers, refunds and its daily reconciliation."""

    __tablename__ = "payment_settings"

    tribunal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tribunals.id", ondelete="CASCADE"), primary_key=True
    )
    # The yearly household income (cents) under which a waiver is granted in full, by
    # household size: ["1", ..., "8"], the last for eight people or more. Empty: no
    # automatic waiver by income.
    income_thresholds: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # A household receiving social assistance is granted a waiver in full.
    waive_for_assistance: Mapped[bool] = mapped_column(default=True)
    # Incomes up to this share above the threshold (in percent) get a part waiver; None: none.
    part_waiver_band_percent: Mapped[int | None]
    # Days to pay once a waiver is refused.
    pay_within_days: Mapped[int] = mapped_column(default=30)
    # Refunds above this amount need a second staff member's approval; None: never.
    refund_approval_above_cents: Mapped[int | None]
    # The daily reconciliation covers the day ending at this time in the tribunal's zone.
    reconciliation_cutoff: Mapped[time] = mapped_column(default=time(0, 0))
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


# -- the sandbox provider's own records -----------------------------------------------------------
#
# The built-in sandbox stands for a payment provider: these are its records, not the
# platform's ledger, and the platform reads them only through the provider interface (as it
# would a real provider's API), so that reconciliation compares two independent books.


class SandboxCheckoutStatus(enum.Enum):
    OPEN = "open"
    CONFIRMING = "confirming"  # the card asked for a confirmation step
    PROCESSING = "processing"  # the bank answers later
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class SandboxCheckout(Model):
    """A checkout on the sandbox's hosted payment page."""

    __tablename__ = "sandbox_checkouts"
    __table_args__ = (Index("ix_sandbox_checkouts_account_paid", "account", "paid_at"),)

    account: Mapped[str] = mapped_column(String(64))  # the tribunal the money goes to
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(200))
    client_reference: Mapped[str] = mapped_column(String(80))  # the platform's payment id
    success_url: Mapped[str] = mapped_column(Text)
    cancel_url: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[SandboxCheckoutStatus] = mapped_column(
        enum_by_value(SandboxCheckoutStatus), default=SandboxCheckoutStatus.OPEN
    )
    payment_reference: Mapped[str] = mapped_column(String(40), unique=True)
    failure_code: Mapped[str] = mapped_column(String(40), default="")
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    expires_at: Mapped[datetime]
    settles_at: Mapped[datetime | None]  # a late success: when the bank answers
    paid_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SandboxRefund(Model):
    """A refund the sandbox made on one of its checkouts."""

    __tablename__ = "sandbox_refunds"
    __table_args__ = (Index("ix_sandbox_refunds_account_created", "account", "created_at"),)

    account: Mapped[str] = mapped_column(String(64))
    checkout_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sandbox_checkouts.id", ondelete="CASCADE")
    )
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    amount_cents: Mapped[int]
    refund_reference: Mapped[str] = mapped_column(String(40), unique=True)


class SandboxNotification(Model):
    """A signed notification the sandbox sends the platform, maybe more than once, late or
    out of order; the worker delivers it over HTTP (`payments.sandbox.jobs`)."""

    __tablename__ = "sandbox_notifications"
    __table_args__ = (Index("ix_sandbox_notifications_due", "delivered_at", "deliver_after"),)

    event_id: Mapped[str] = mapped_column(String(40))  # the same for each copy
    body: Mapped[str] = mapped_column(Text)
    deliver_after: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None]
