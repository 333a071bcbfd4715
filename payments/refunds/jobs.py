"""Refunds that are ready but that the provider did not answer for are tried again, with the
same idempotency key (so never made twice), every few minutes until it answers."""

from __future__ import annotations

from datetime import timedelta

from filings.models import Filing
from payments.models import FeeCharge, Payment
from payments.providers.factory import provider_factory
from payments.refunds import services
from tribunals.models import Tribunal
from tribune import jobs
from tribune.db import utcnow

RETRY_REFUNDS = "payments.retry_refunds"

jobs.recurring(RETRY_REFUNDS, every=timedelta(minutes=5))


@jobs.handler(RETRY_REFUNDS)
async def retry_refunds(context: jobs.JobContext) -> None:
    db = context.db
    provider = provider_factory(context.settings, context.outbox.url)(db)
    for refund in await services.ready_to_make(db):
        payment = await db.get(Payment, refund.payment_id)
        filing = await db.get(Filing, refund.filing_id)
        tribunal = await db.get(Tribunal, refund.tribunal_id)
        charge = await db.get(FeeCharge, payment.charge_id) if payment else None
        if payment is None or filing is None or tribunal is None or charge is None:
            continue
        await services.make(
            db, tribunal, provider, refund, payment, charge, filing, utcnow(), context.outbox
        )
        await db.commit()
