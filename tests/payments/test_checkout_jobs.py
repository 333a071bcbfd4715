"""The settling job and concurrency: an attempt nobody finished expires; a payer who closed the
browser after a late card is marked paid, with a receipt, without visiting the return page;
a provider that does not answer is asked again later; and 20 "Pay" submissions at the same
instant for one fee give one attempt and one provider checkout."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from payments.checkout.jobs import SETTLE_PAYMENTS
from payments.models import (
    Payment,
    PaymentState,
    Receipt,
    SandboxCheckout,
    SandboxCheckoutStatus,
)
from payments.sandbox import services as sandbox
from tests.conftest import new_test_engine
from tests.factories.accounts import make_user
from tests.factories.payments import make_charged_case
from tests.factories.tribunals import make_tribunal
from tests.helpers import as_user, count, csrf_token, sign_in, text_of
from tests.payments.test_checkout import (
    LATE,
    charged_scene,
    path_of,
    pay_with,
    the_payment,
    to_sandbox,
)
from tribunals.models import Tribunal
from tribune import jobs
from tribune.app import create_app
from tribune.audit import AuditAction, AuditEvent
from tribune.db import Database, utcnow
from tribune.settings import Settings


async def run_settling_job(app: Starlette, db: AsyncSession, settings: Settings) -> None:
    """Run the settling job once, as a worker would."""
    jobs.enqueue(db, SETTLE_PAYMENTS)
    await db.commit()
    worker = jobs.Worker(app.state.database, settings, schedule={}, outbox=app.state.outbox)
    await worker.run_until_idle()


async def make_due(db: AsyncSession, payment: Payment, **values: object) -> None:
    await db.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(next_check_at=utcnow() - timedelta(seconds=1), **values)
    )
    await db.commit()


async def test_an_attempt_nobody_finished_expires_by_the_job(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette, settings: Settings
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    payment = await the_payment(db, case)
    # Not due yet: the job leaves it.
    await run_settling_job(app, db, settings)
    assert (await the_payment(db, case)).state is PaymentState.PENDING
    # Due and still open: asked again later, twice as long each time.
    await make_due(db, payment)
    await run_settling_job(app, db, settings)
    payment = await the_payment(db, case)
    assert (payment.state, payment.checks) == (PaymentState.PENDING, 1)
    assert payment.next_check_at is not None
    assert timedelta(minutes=1) < payment.next_check_at - utcnow() <= timedelta(minutes=2)
    # Past its expiry: the job closes the checkout with the provider, then settles it.
    await make_due(db, payment, expires_at=utcnow() - timedelta(seconds=1))
    await run_settling_job(app, db, settings)
    payment = await the_payment(db, case)
    assert (payment.state, payment.failure_reason, payment.next_check_at) == (
        PaymentState.EXPIRED,
        "expired",
        None,
    )
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.PAYMENT_EXPIRED) == 1
    closed = await client.get(page)
    assert closed.status_code == 409
    outcome = await client.get(f"/{tribunal.slug}/payments/{payment.id}/return")
    assert "The payment page timed out" in text_of(outcome)


async def test_a_late_success_after_the_payer_left_is_marked_paid_by_the_jobs(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette, settings: Settings
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    accepted = await pay_with(client, page, LATE)
    assert accepted.status_code == 303  # the payer closes the browser here: no return page
    checkout = (await db.scalars(select(SandboxCheckout))).one()
    await db.refresh(checkout)
    assert checkout.status is SandboxCheckoutStatus.PROCESSING
    payment = await the_payment(db, case)
    # The sandbox's worker: the bank answers once its time has come.
    await sandbox.settle_due(
        db, utcnow() + timedelta(seconds=settings.payments.sandbox_late_seconds)
    )
    await db.commit()
    # The platform's settling job, when the payment's check is due.
    await make_due(db, payment)
    await run_settling_job(app, db, settings)
    payment = await the_payment(db, case)
    assert payment.state is PaymentState.SUCCEEDED
    assert await count(db, Receipt, Receipt.payment_id == payment.id) == 1
    await db.refresh(case.filing)
    assert case.filing.awaiting_payment is False
    # Coming back much later shows the receipt.
    outcome = await client.get(path_of(accepted.headers["location"]))
    assert "Payment received" in text_of(outcome)


# -- twenty clicks at once -----------------------------------------------------------------------


@pytest.fixture
async def committing_app(settings: Settings) -> AsyncIterator[Starlette]:
    """An app on its own engine, whose requests really commit; what it made is removed."""
    engine = new_test_engine()
    made = async_sessionmaker(engine, expire_on_commit=False)
    yield create_app(settings, Database(engine, made), inline_worker=False)
    async with made() as db:
        tribunal_ids = (
            await db.scalars(select(Tribunal.id).where(Tribunal.slug.like("pay%")))
        ).all()
        await db.execute(delete(Tribunal).where(Tribunal.id.in_(tribunal_ids)))
        await db.execute(
            delete(SandboxCheckout).where(
                SandboxCheckout.account.in_([str(tribunal_id) for tribunal_id in tribunal_ids])
            )
        )
        await db.commit()
    await engine.dispose()


@pytest.mark.usefixtures("engine")  # the schema is migrated
async def test_twenty_pay_submissions_at_once_give_one_checkout(
    committing_app: Starlette,
) -> None:
    database: Database = committing_app.state.database
    async with database.session() as db:
        tribunal = await make_tribunal(db, slug=f"pay{uuid.uuid4().hex[:8]}")
        claimant = await make_user(db)
        case = await make_charged_case(db, tribunal, filer=claimant)
    transport = httpx.ASGITransport(app=committing_app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_in(client, claimant.email)
        page = f"/{tribunal.slug}/cases/{case.filing.id}/fee"
        token = await csrf_token(client, page)
        responses = await asyncio.gather(
            *(client.post(f"{page}/pay", data={"csrf_token": token}) for _ in range(20))
        )
    assert [response.status_code for response in responses] == [303] * 20
    assert len({response.headers["location"] for response in responses}) == 1
    async with database.session() as db:
        assert await count(db, Payment, Payment.filing_id == case.filing.id) == 1
        assert await count(db, SandboxCheckout, SandboxCheckout.account == str(tribunal.id)) == 1
        payment = (
            await db.scalars(select(Payment).where(Payment.filing_id == case.filing.id))
        ).one()
        assert payment.state is PaymentState.PENDING
