"""The settling job: every minute, each open card payment whose check is due is settled from
what the provider says; one past its expiry is closed with the provider first. A payer who
closed the browser on the provider's page is thus marked paid without doing anything."""

from __future__ import annotations

import logging
from datetime import timedelta

from payments.checkout import services
from payments.providers import ProviderUnavailableError
from payments.providers.factory import provider_factory
from tribune import jobs
from tribune.db import utcnow

log = logging.getLogger("tribune.payments")

SETTLE_PAYMENTS = "payments.settle_payments"

jobs.recurring(SETTLE_PAYMENTS, every=timedelta(minutes=1))


@jobs.handler(SETTLE_PAYMENTS)
async def settle_payments(context: jobs.JobContext) -> None:
    db = context.db
    provider = provider_factory(context.settings, context.outbox.url)(db)
    now = utcnow()
    for payment in await services.due_for_check(db, now):
        try:
            await services.check(db, provider, context.outbox, payment, now)
        except ProviderUnavailableError:
            log.warning("the payment provider did not answer about payment %s", payment.id)
            await db.rollback()
            await db.refresh(payment)
            await services.later(db, payment, now)
        await db.commit()
