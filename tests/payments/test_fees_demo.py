"""The demo data gives the demo tribunals fees and payment settings, and the demo claimant
three cases at the Labour Relations Board to walk each journey (awaiting payment, a waiver
waiting for the clerk, paid by card and refundable), once."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.demo import load_demo_case_types, load_demo_cases
from filings.models import Filing
from payments.demo import load_demo_fees, load_demo_payment_cases
from payments.fees import services as fees
from payments.models import (
    Fee,
    FeeCharge,
    FeeWaiver,
    Payment,
    PaymentSettings,
    PaymentState,
    Receipt,
    WaiverState,
)
from payments.refunds.services import refundable_cents
from tests.helpers import count, sign_in, text_of
from tribunals.commands import DEMO_PASSWORD, load_demo_data
from tribunals.services import tribunal_by_slug


async def test_demo_fees_and_cases_are_loaded_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await load_demo_data(db)
    await load_demo_case_types(db)
    await load_demo_cases(db, DEMO_PASSWORD)
    assert await load_demo_fees(db) == 2
    assert await load_demo_payment_cases(db) == 3
    await db.commit()
    assert await load_demo_fees(db) == 0
    assert await load_demo_payment_cases(db) == 0
    await db.commit()

    lrb = await tribunal_by_slug(db, "lrb")
    wcat = await tribunal_by_slug(db, "wcat")
    assert lrb is not None
    assert wcat is not None
    amounts = sorted(
        (fee.code, fee.amount_cents, fee.reduced_amount_cents)
        for fee in await db.scalars(select(Fee).where(Fee.tribunal_id == lrb.id))
    )
    assert amounts == [("LRB-CERT", 15000, 2500), ("LRB-ULP", 5000, 1000)]
    assert await count(db, Fee, Fee.tribunal_id == wcat.id) == 0  # its kinds are free
    for tribunal in (lrb, wcat):
        settings = await db.get(PaymentSettings, tribunal.id)
        assert settings is not None
        assert settings.part_waiver_band_percent == 25
        assert settings.refund_approval_above_cents == 10000

    charges = list(await db.scalars(select(FeeCharge).where(FeeCharge.tribunal_id == lrb.id)))
    assert len(charges) == 3
    waiver = (await db.scalars(select(FeeWaiver))).one()
    assert waiver.state is WaiverState.REQUESTED
    payment = (await db.scalars(select(Payment))).one()
    assert payment.state is PaymentState.SUCCEEDED
    assert refundable_cents(payment) == payment.amount_cents
    assert await count(db, Receipt, Receipt.payment_id == payment.id) == 1
    awaiting = {
        filing.id: filing.awaiting_payment
        for filing in await db.scalars(select(Filing).where(Filing.tribunal_id == lrb.id))
    }
    for charge in charges:
        balance = await fees.balance_of(db, charge)
        assert awaiting[charge.filing_id] is (balance.outstanding_cents > 0)
    assert sorted(awaiting[charge.filing_id] for charge in charges) == [False, True, True]

    # The demo claimant sees the paid case's receipt link and the owing case's pay link.
    claimant = (await db.scalars(select(User).where(User.email == "claimant@example.org"))).one()
    await sign_in(client, claimant.email, DEMO_PASSWORD)
    owing = next(c for c in charges if c.id != payment.charge_id and c.id != waiver.charge_id)
    page = text_of(await client.get(f"/lrb/cases/{owing.filing_id}"))
    assert f"/lrb/cases/{owing.filing_id}/fee" in page
    page = text_of(await client.get(f"/lrb/cases/{payment.filing_id}"))
    assert "The fee is paid. Thank you." in page
