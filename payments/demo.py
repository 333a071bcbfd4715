"""Demo data: fees for the demo tribunals' kinds of case whose definition says a fee applies
(the Labour Relations Board's: an unfair labour practice complaint $50.00, reduced $10.00;
union certification $150.00, reduced $25.00; the WCAT's kinds of case are free), payment
settings in the spirit of Canada's low-income cut-offs, and three cases of the demo claimant
so that every journey can be walked: one awaiting payment, one whose fee waiver waits for the
clerk, and one paid by card on the sandbox (with its receipt) that a clerk can refund."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.casetypes.services import definition_of, published_versions
from filings.demo import demo_answers
from filings.models import CaseType, CaseTypeVersion, Filing
from filings.seeding import seed_submitted_case
from payments.fees import services as fees
from payments.models import (
    Fee,
    FeeCharge,
    FeeWaiver,
    Payment,
    PaymentMethod,
    PaymentSettings,
    PaymentState,
    SandboxCheckout,
    SandboxCheckoutStatus,
    WaiverState,
)
from payments.receipts import services as receipts
from tribunals.models import Tribunal
from tribunals.services import tribunal_by_slug
from tribune.db import utcnow

DEMO_SLUGS = ("wcat", "lrb")
DEMO_CLAIMANT = "claimant@example.org"
SINCE = date(2020, 1, 1)

# By kind of case's code: (fee code, amount, reduced amount), in cents.
DEMO_FEES: dict[str, tuple[str, int, int]] = {
    "unfair-practice": ("LRB-ULP", 5000, 1000),
    "certification": ("LRB-CERT", 15000, 2500),
}

# Yearly income under which the fee is waived in full, by household size (1 to 8 or more):
# close to Statistics Canada's after-tax low-income cut-offs for a large urban area.
DEMO_THRESHOLDS = {
    "1": 2500000,
    "2": 3100000,
    "3": 3800000,
    "4": 4700000,
    "5": 5400000,
    "6": 6000000,
    "7": 6600000,
    "8": 7200000,
}


async def load_demo_fees(db: AsyncSession) -> int:
    """Give each demo tribunal its payment settings and fees, once; return how many fees."""
    created = 0
    for slug in DEMO_SLUGS:
        tribunal = await tribunal_by_slug(db, slug)
        if tribunal is None:
            continue
        if await db.get(PaymentSettings, tribunal.id) is None:
            db.add(
                PaymentSettings(
                    tribunal_id=tribunal.id,
                    income_thresholds=dict(DEMO_THRESHOLDS),
                    waive_for_assistance=True,
                    part_waiver_band_percent=25,
                    pay_within_days=30,
                    refund_approval_above_cents=10000,
                    reconciliation_cutoff=time(0, 0),
                    updated_at=utcnow(),
                )
            )
        for version in await published_versions(db, tribunal.id):
            spec = await _fee_spec(db, version)
            if spec is None or await fees.fee_in_force(db, version.case_type_id, SINCE):
                continue
            code, amount, reduced = spec
            db.add(
                Fee(
                    tribunal_id=tribunal.id,
                    case_type_id=version.case_type_id,
                    code=code,
                    amount_cents=amount,
                    reduced_amount_cents=reduced,
                    currency="CAD",
                    effective_from=SINCE,
                )
            )
            created += 1
        await db.flush()
    return created


async def _fee_spec(db: AsyncSession, version: CaseTypeVersion) -> tuple[str, int, int] | None:
    rule = definition_of(version).fee
    if rule is None or not rule.applies:
        return None
    case_type = await db.get(CaseType, version.case_type_id)
    return DEMO_FEES.get(case_type.code) if case_type else None


async def load_demo_payment_cases(db: AsyncSession) -> int:
    """Give the demo claimant three charged cases at the Labour Relations Board, once:
    awaiting payment, a fee waiver waiting for the clerk, paid by card. Return how many."""
    tribunal = await tribunal_by_slug(db, "lrb")
    claimant = (await db.scalars(select(User).where(User.email == DEMO_CLAIMANT))).first()
    if tribunal is None or claimant is None:
        return 0
    already = await db.execute(select(FeeCharge.id).where(FeeCharge.tribunal_id == tribunal.id))
    if already.first() is not None:
        return 0
    version = None
    for published in await published_versions(db, tribunal.id):
        if await _fee_spec(db, published) is not None:
            version = published
            break
    if version is None:
        return 0
    await _charged_case(db, tribunal, version, claimant, days_ago=2)  # awaiting payment
    waiting = await _charged_case(db, tribunal, version, claimant, days_ago=5)
    db.add(
        FeeWaiver(
            tribunal_id=tribunal.id,
            filing_id=waiting[0].id,
            charge_id=waiting[1].id,
            requested_by_id=claimant.id,
            household_size=3,
            household_income_cents=5200000,
            receives_assistance=False,
            declared_at=utcnow() - timedelta(days=4),
            language=claimant.language,
            state=WaiverState.REQUESTED,
        )
    )
    paid_filing, paid_charge = await _charged_case(db, tribunal, version, claimant, days_ago=9)
    await _paid_by_card(db, tribunal, paid_filing, paid_charge, claimant)
    return 3


async def _charged_case(
    db: AsyncSession, tribunal: Tribunal, version: CaseTypeVersion, claimant: User, *, days_ago: int
) -> tuple[Filing, FeeCharge]:
    received = utcnow() - timedelta(days=days_ago)
    answers = demo_answers(claimant)
    filing = await seed_submitted_case(
        db,
        tribunal,
        version,
        claimant,
        answers=answers,
        received=received,
        language=claimant.language,
    )
    await db.flush()
    charge = await fees.assess(db, tribunal, filing, version)
    assert isinstance(charge, FeeCharge)
    await db.flush()
    return filing, charge


async def _paid_by_card(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, charge: FeeCharge, payer: User
) -> None:
    """A checkout the sandbox shows as paid, the platform's succeeded payment, its receipt."""
    now = utcnow() - timedelta(days=8)
    payment_id = uuid.uuid4()
    key = f"payment-{payment_id}"
    checkout = SandboxCheckout(
        account=str(tribunal.id),
        idempotency_key=key,
        amount_cents=charge.amount_cents,
        currency=charge.currency,
        description=f"{charge.code} {filing.reference}",
        client_reference=str(payment_id),
        success_url="/",
        cancel_url="/",
        language=payer.language,
        status=SandboxCheckoutStatus.PAID,
        payment_reference=f"sbpay_demo{payment_id.hex[:16]}",
        card_last4="4242",
        expires_at=now + timedelta(minutes=30),
        paid_at=now,
    )
    db.add(checkout)
    await db.flush()
    payment = Payment(
        id=payment_id,
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        charge_id=charge.id,
        amount_cents=charge.amount_cents,
        currency=charge.currency,
        provider="sandbox",
        method=PaymentMethod.CARD,
        state=PaymentState.SUCCEEDED,
        idempotency_key=key,
        provider_reference=str(checkout.id),
        provider_payment_reference=checkout.payment_reference,
        payer_id=payer.id,
        language=payer.language,
        settled_at=now,
    )
    db.add(payment)
    await db.flush()
    await receipts.issue(db, tribunal, charge, payment)
    await fees.refresh_awaiting_payment(db, filing, charge)
