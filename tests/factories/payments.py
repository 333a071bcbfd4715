"""Factories of fees and of cases that owe one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import CaseTypeVersion, Filing
from payments.fees import services as fees
from payments.models import (
    Fee,
    FeeCharge,
    Payment,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundState,
    SandboxCheckout,
)
from payments.sandbox import services as sandbox
from tests.factories import unique
from tests.factories.filings import make_case, make_case_type
from tribunals.models import Tribunal

# Charged to every case started since: earlier than any case a test makes.
LONG_AGO = date(2020, 1, 1)


async def make_fee_case_type(db: AsyncSession, tribunal: Tribunal) -> CaseTypeVersion:
    """Return a published kind of case whose definition says a fee applies."""
    return await make_case_type(
        db,
        tribunal,
        definition={
            "questions": [],
            "document_slots": [],
            "deadline": None,
            "fee": {"applies": True},
        },
    )


async def make_fee(
    db: AsyncSession,
    tribunal: Tribunal,
    version: CaseTypeVersion,
    *,
    amount_cents: int = 5000,
    reduced_amount_cents: int | None = None,
    effective_from: date = LONG_AGO,
    code: str | None = None,
) -> Fee:
    """Add an entry to the schedule, in force from `effective_from` (past dates allowed here)."""
    fee = Fee(
        tribunal_id=tribunal.id,
        case_type_id=version.case_type_id,
        code=code or unique("FEE-").upper(),
        amount_cents=amount_cents,
        reduced_amount_cents=reduced_amount_cents,
        currency="CAD",
        effective_from=effective_from,
    )
    db.add(fee)
    await db.commit()
    return fee


@dataclass
class ChargedCase:
    filing: Filing
    version: CaseTypeVersion
    fee: Fee
    charge: FeeCharge


async def make_charged_case(
    db: AsyncSession,
    tribunal: Tribunal,
    *,
    amount_cents: int = 5000,
    reduced_amount_cents: int | None = None,
    **case_values: Any,
) -> ChargedCase:
    """Return a submitted case charged its fee and awaiting payment (as submission leaves it)."""
    version = await make_fee_case_type(db, tribunal)
    fee = await make_fee(
        db, tribunal, version, amount_cents=amount_cents, reduced_amount_cents=reduced_amount_cents
    )
    filing = await make_case(db, tribunal, version=version, **case_values)
    charge = await fees.assess(db, tribunal, filing, version)
    assert charge is not None
    await db.commit()
    return ChargedCase(filing, version, fee, charge)


# -- payments and refunds settled on a given day, for the reconciliation ------------------------


async def make_sandbox_payment(
    db: AsyncSession,
    tribunal: Tribunal,
    *,
    amount_cents: int,
    paid_at: datetime,
    client_reference: str = "",
) -> SandboxCheckout:
    """Return a checkout the sandbox provider holds as paid at `paid_at` (its own books only)."""
    checkout = await sandbox.create_checkout(
        db,
        sandbox.NewCheckout(
            account=str(tribunal.id),
            idempotency_key=unique("sandbox-"),
            amount_cents=amount_cents,
            currency="CAD",
            description="Filing fee",
            client_reference=client_reference or str(uuid.uuid4()),
            success_url="http://testserver/return",
            cancel_url="http://testserver/return",
            language="en",
            expires_at=paid_at + timedelta(minutes=30),
        ),
    )
    await sandbox.pay(db, checkout, sandbox.TestCard.SUCCEEDS, paid_at, timedelta(0))
    await db.commit()
    return checkout


async def make_card_payment(
    db: AsyncSession,
    tribunal: Tribunal,
    case: ChargedCase,
    *,
    paid_at: datetime,
    amount_cents: int | None = None,
    provider_amount_cents: int | None = None,
    with_provider: bool = True,
) -> tuple[Payment, SandboxCheckout | None]:
    """Return a card payment that succeeded at `paid_at` through the sandbox, and the
    sandbox's checkout for it: for another amount with `provider_amount_cents`, or none at all
    (the sandbox never heard of it) with `with_provider=False`."""
    amount = amount_cents or case.charge.amount_cents
    payment = Payment(
        id=uuid.uuid4(),
        tribunal_id=tribunal.id,
        filing_id=case.filing.id,
        charge_id=case.charge.id,
        amount_cents=amount,
        currency=case.charge.currency,
        provider="sandbox",
        method=PaymentMethod.CARD,
        state=PaymentState.SUCCEEDED,
        idempotency_key=unique("payment-"),
        settled_at=paid_at,
    )
    checkout = None
    if with_provider:
        checkout = await make_sandbox_payment(
            db,
            tribunal,
            amount_cents=provider_amount_cents or amount,
            paid_at=paid_at,
            client_reference=str(payment.id),
        )
        payment.provider_reference = str(checkout.id)
        payment.provider_payment_reference = checkout.payment_reference
    else:
        payment.provider_reference = unique("gone-")
        payment.provider_payment_reference = unique("sbpay_")
    db.add(payment)
    await db.commit()
    return payment, checkout


async def make_card_refund(
    db: AsyncSession,
    tribunal: Tribunal,
    payment: Payment,
    checkout: SandboxCheckout,
    *,
    amount_cents: int,
    refunded_at: datetime,
) -> Refund:
    """Return a refund of a card payment that succeeded at `refunded_at` on both sides."""
    refund = Refund(
        tribunal_id=tribunal.id,
        filing_id=payment.filing_id,
        payment_id=payment.id,
        amount_cents=amount_cents,
        currency=payment.currency,
        reason="Paid twice",
        state=RefundState.SUCCEEDED,
        idempotency_key=unique("refund-"),
        settled_at=refunded_at,
    )
    made = await sandbox.refund(db, checkout, refund.idempotency_key, amount_cents)
    made.created_at = refunded_at
    refund.provider_reference = made.refund_reference
    payment.refunded_cents += amount_cents
    payment.state = (
        PaymentState.REFUNDED
        if payment.refunded_cents >= payment.amount_cents
        else PaymentState.PARTLY_REFUNDED
    )
    db.add(refund)
    await db.commit()
    return refund


async def make_registry_payment(
    db: AsyncSession,
    tribunal: Tribunal,
    case: ChargedCase,
    *,
    paid_at: datetime,
    method: PaymentMethod = PaymentMethod.COUNTER,
) -> Payment:
    """Return a payment the registry took at the counter or by cheque at `paid_at`."""
    payment = Payment(
        tribunal_id=tribunal.id,
        filing_id=case.filing.id,
        charge_id=case.charge.id,
        amount_cents=case.charge.amount_cents,
        currency=case.charge.currency,
        provider="registry",
        method=method,
        state=PaymentState.SUCCEEDED,
        idempotency_key=unique("registry-"),
        provider_payment_reference="1042" if method is PaymentMethod.CHEQUE else "",
        settled_at=paid_at,
    )
    db.add(payment)
    await db.commit()
    return payment
