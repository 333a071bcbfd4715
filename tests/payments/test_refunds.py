"""The registry's money: a payment taken at the counter or by cheque gets a receipt and settles
the fee; refunds in part or in full, with a reason, never more than what is left, refused when
another refund went through meanwhile (also when two are asked at the same instant); above the
tribunal's threshold a second member of staff approves; each refund gets a receipt and is a
case event and an audit entry; bad input changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.models import User
from filings.models import CaseEvent, Filing
from payments.fees import services as fees
from payments.models import (
    Payment,
    PaymentMethod,
    PaymentSettings,
    PaymentState,
    Receipt,
    ReceiptKind,
    Refund,
    RefundState,
)
from payments.refunds import services
from payments.refunds.services import RefundRefused, RefundValues
from tests.conftest import new_test_engine
from tests.factories.payments import ChargedCase, make_charged_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, french, post_form, text_of
from tribunals.models import Membership, Role, Tribunal
from tribune.app import build_outbox
from tribune.audit import AuditAction, AuditEvent
from tribune.jobs import Job
from tribune.mail import OutboxMessage
from tribune.settings import load_settings


async def scene(db: AsyncSession, **values: object) -> tuple[Tribunal, User, User, ChargedCase]:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    second = await make_staff(db, tribunal, Role.CLERK)
    case = await make_charged_case(db, tribunal, amount_cents=5000, **values)  # type: ignore[arg-type]
    return tribunal, clerk, second, case


def record_url(tribunal: Tribunal, case: ChargedCase) -> str:
    return f"/{tribunal.slug}/staff/cases/{case.filing.id}/payments/new"


def refund_url(tribunal: Tribunal, case: ChargedCase, payment: Payment) -> str:
    return f"/{tribunal.slug}/staff/cases/{case.filing.id}/payments/{payment.id}/refund"


async def pay_at_counter(
    client: httpx.AsyncClient, tribunal: Tribunal, case: ChargedCase, **changes: str
) -> httpx.Response:
    fields = {
        "amount": "50.00",
        "method": "counter",
        "cheque_number": "",
        "seen_outstanding": "5000",
    }
    return await post_form(client, record_url(tribunal, case), {**fields, **changes})


async def test_a_counter_payment_gets_a_receipt_and_settles_the_fee(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, clerk, _second, case = await scene(db, representative="Rita Rep")
    await as_user(client, clerk)
    page = text_of(await client.get(record_url(tribunal, case)))
    assert "Record a payment taken by the registry" in page
    assert "$50.00" in page  # left to pay

    response = await pay_at_counter(client, tribunal, case, method="cheque", cheque_number="1042")
    assert response.status_code == 303
    payment = (await db.scalars(select(Payment).where(Payment.filing_id == case.filing.id))).one()
    receipt = (await db.scalars(select(Receipt).where(Receipt.payment_id == payment.id))).one()
    assert response.headers["location"] == f"/{tribunal.slug}/receipts/{receipt.id}"
    assert (payment.state, payment.method, payment.cheque_number) == (
        PaymentState.SUCCEEDED,
        PaymentMethod.CHEQUE,
        "1042",
    )
    assert (receipt.number, receipt.amount_cents, receipt.kind) == (1, 5000, ReceiptKind.PAYMENT)
    await db.refresh(case.filing)
    assert case.filing.awaiting_payment is False
    kinds = (
        await db.scalars(select(CaseEvent.kind).where(CaseEvent.filing_id == case.filing.id))
    ).all()
    assert "fee_payment_recorded" in kinds
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.PAYMENT_RECORDED) == 1
    # The payer is emailed the receipt (the claimant and their representative, not others).
    sent = (
        await db.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.filing.id))
    ).all()
    receipts_sent = [m for m in sent if m.template == "registry_receipt"]
    claimant = await db.get(User, case.filing.filer_id)
    assert claimant is not None
    representative_email = case.filing.answers["representative"]["representative_email"]
    assert {m.to_address for m in receipts_sent} == {claimant.email, representative_email}
    assert "Receipt number:" in receipts_sent[0].body
    assert f"{tribunal.reference_prefix}-R-" in receipts_sent[0].body
    # Paid in full: a second recording is refused, nothing is added.
    again = await pay_at_counter(client, tribunal, case, seen_outstanding="0", amount="1.00")
    assert again.status_code == 409
    assert await count(db, Payment, Payment.filing_id == case.filing.id) == 1


async def test_bad_counter_payments_are_refused_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, clerk, _second, case = await scene(db)
    clerk.language = "fr"
    await db.commit()
    await as_user(client, clerk)
    cases = {
        "letters": ({"amount": "fifty"}, 422, "Enter the amount in dollars and cents, like 50.00"),
        "no cheque number": ({"method": "cheque"}, 422, "Enter the cheque number"),
        "no method": ({"method": ""}, 422, "Select how the payment was made"),
        "too much": (
            {"amount": "50.01"},
            409,
            "The amount is more than what is left to pay on this case.",
        ),
        "stale page": (
            {"seen_outstanding": "4000"},
            409,
            "What is left to pay on this case changed while you were on this page. "
            "Check the case and try again.",
        ),
        "negative": ({"amount": "-5"}, 422, "Enter the amount in dollars and cents, like 50.00"),
    }
    for what, (changes, status, message) in cases.items():
        response = await pay_at_counter(client, tribunal, case, **changes)
        assert response.status_code == status, what
        assert french(message) in text_of(response), what
    assert await count(db, Payment) == 0
    assert await count(db, Receipt) == 0


async def paid_at_counter(
    db: AsyncSession, tribunal: Tribunal, clerk: User, case: ChargedCase
) -> Payment:
    from datetime import UTC, datetime

    outbox = build_outbox(load_settings())
    await services.record_payment(
        db,
        tribunal,
        case.filing,
        case.charge,
        services.CounterPayment(5000, PaymentMethod.COUNTER, "", 5000),
        actor=clerk,
        language="en",
        now=datetime.now(UTC),
        outbox=outbox,
    )
    await db.commit()
    return (await db.scalars(select(Payment).where(Payment.filing_id == case.filing.id))).one()


async def test_a_refund_in_part_then_the_rest_each_with_a_receipt(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, clerk, _second, case = await scene(db)
    payment = await paid_at_counter(db, tribunal, clerk, case)
    await as_user(client, clerk)
    url = refund_url(tribunal, case, payment)
    assert "$50.00" in text_of(await client.get(url))  # can be refunded now

    first = await post_form(
        client,
        url,
        {"amount": "20.00", "reason": "Paid twice by mistake", "seen_refundable": "5000"},
    )
    assert first.status_code == 303
    await db.refresh(payment)
    assert (payment.state, payment.refunded_cents) == (PaymentState.PARTLY_REFUNDED, 2000)
    made = (await db.scalars(select(Refund).where(Refund.payment_id == payment.id))).one()
    assert (made.state, made.reason) == (RefundState.SUCCEEDED, "Paid twice by mistake")
    receipt = (await db.scalars(select(Receipt).where(Receipt.refund_id == made.id))).one()
    assert first.headers["location"] == f"/{tribunal.slug}/receipts/{receipt.id}"
    assert (receipt.kind, receipt.amount_cents, receipt.number) == (ReceiptKind.REFUND, 2000, 2)
    # Part of the fee was given back: the case owes it again.
    balance = await fees.balance_of(db, case.charge)
    assert (balance.refunded_cents, balance.outstanding_cents) == (2000, 2000)
    await db.refresh(case.filing)
    assert case.filing.awaiting_payment is True

    # More than what is left is refused; so is a page shown before the first refund.
    too_much = await post_form(
        client, url, {"amount": "30.01", "reason": "Rest", "seen_refundable": "3000"}
    )
    assert too_much.status_code == 409
    assert "You cannot refund more than what is left of this payment." in text_of(too_much)
    stale = await post_form(
        client, url, {"amount": "10.00", "reason": "Rest", "seen_refundable": "5000"}
    )
    assert stale.status_code == 409
    assert "Another refund of this payment was made while you were on this page." in text_of(stale)
    rest = await post_form(
        client, url, {"amount": "30.00", "reason": "Rest", "seen_refundable": "3000"}
    )
    assert rest.status_code == 303
    await db.refresh(payment)
    assert (payment.state, payment.refunded_cents) == (PaymentState.REFUNDED, 5000)
    assert await count(db, Refund, Refund.state == RefundState.SUCCEEDED) == 2
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.REFUND_SUCCEEDED) == 2
    events = (
        await db.scalars(select(CaseEvent.kind).where(CaseEvent.filing_id == case.filing.id))
    ).all()
    assert list(events).count("fee_refunded") == 2


async def test_a_refund_without_reason_or_amount_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, clerk, _second, case = await scene(db)
    payment = await paid_at_counter(db, tribunal, clerk, case)
    await as_user(client, clerk)
    url = refund_url(tribunal, case, payment)
    for fields, message in (
        ({"amount": "10.00", "reason": " "}, "Give the reason for the refund"),
        ({"amount": "", "reason": "x"}, "Enter the amount to refund"),
        ({"amount": "0", "reason": "x"}, "Enter an amount to refund greater than zero."),
    ):
        response = await post_form(client, url, {**fields, "seen_refundable": "5000"})
        assert response.status_code in (409, 422)
        assert message in text_of(response)
    assert await count(db, Refund) == 0


async def test_above_the_threshold_a_second_member_of_staff_approves(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, clerk, second, case = await scene(db)
    db.add(PaymentSettings(tribunal_id=tribunal.id, refund_approval_above_cents=2500))
    await db.commit()
    payment = await paid_at_counter(db, tribunal, clerk, case)
    await as_user(client, clerk)
    asked = await post_form(
        client,
        refund_url(tribunal, case, payment),
        {"amount": "40.00", "reason": "Overpaid", "seen_refundable": "5000"},
    )
    assert asked.status_code == 200
    assert "The refund waits for approval" in text_of(asked)
    waiting = (await db.scalars(select(Refund))).one()
    assert waiting.state is RefundState.AWAITING_APPROVAL
    await db.refresh(payment)
    assert payment.refunded_cents == 4000  # reserved: another refund cannot take it too
    # The person who asked cannot approve it.
    listing = text_of(await client.get(f"/{tribunal.slug}/staff/refunds"))
    assert "You asked for this refund: another member of staff must approve it." in listing
    own = await post_form(client, f"/{tribunal.slug}/staff/refunds/{waiting.id}/approve", {})
    assert own.status_code == 409
    await db.refresh(waiting)
    assert waiting.state is RefundState.AWAITING_APPROVAL

    await as_user(client, second)
    approved = await post_form(client, f"/{tribunal.slug}/staff/refunds/{waiting.id}/approve", {})
    assert approved.status_code == 303
    await db.refresh(waiting)
    assert (waiting.state, waiting.decided_by_id) == (RefundState.SUCCEEDED, second.id)
    assert await count(db, Receipt, Receipt.refund_id == waiting.id) == 1
    # Once decided, a second click changes nothing.
    again = await post_form(client, f"/{tribunal.slug}/staff/refunds/{waiting.id}/approve", {})
    assert again.status_code == 409


async def test_a_rejected_refund_gives_its_reservation_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, clerk, second, case = await scene(db)
    db.add(PaymentSettings(tribunal_id=tribunal.id, refund_approval_above_cents=1000))
    await db.commit()
    payment = await paid_at_counter(db, tribunal, clerk, case)
    settings = await db.get(PaymentSettings, tribunal.id)
    assert settings is not None
    waiting = await services.request_refund(
        db, tribunal, payment, RefundValues(5000, "All of it", 5000), settings, actor=clerk
    )
    await db.commit()
    await as_user(client, second)
    rejected = await post_form(client, f"/{tribunal.slug}/staff/refunds/{waiting.id}/reject", {})
    assert rejected.status_code == 303
    await db.refresh(payment)
    await db.refresh(waiting)
    assert (waiting.state, payment.refunded_cents, payment.state) == (
        RefundState.REJECTED,
        0,
        PaymentState.SUCCEEDED,
    )


async def test_another_tribunal_or_case_cannot_refund_or_record(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, clerk, _second, case = await scene(db)
    payment = await paid_at_counter(db, tribunal, clerk, case)
    other_tribunal, other_clerk, _o, other_case = await scene(db)
    await as_user(client, other_clerk)
    # Another tribunal's payment through this tribunal's address, and through its own.
    assert (await client.get(refund_url(tribunal, case, payment))).status_code in (403, 404)
    mixed = (
        f"/{other_tribunal.slug}/staff/cases/{other_case.filing.id}/payments/{payment.id}/refund"
    )
    assert (await client.get(mixed)).status_code == 404
    forged = await post_form(
        client, mixed, {"amount": "1.00", "reason": "x", "seen_refundable": "5000"}
    )
    assert forged.status_code == 404
    # A claimant never reaches the registry's pages.
    claimant = await db.get(User, case.filing.filer_id)
    assert claimant is not None
    await as_user(client, claimant)
    assert (await client.get(record_url(tribunal, case))).status_code in (403, 404)
    assert await count(db, Refund) == 0


# -- two refunds at the same instant ------------------------------------------------------------


@pytest.fixture
async def sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions of their own engine, whose commits are real; what they made is removed."""
    engine = new_test_engine()
    made = async_sessionmaker(engine, expire_on_commit=False)
    yield made
    async with made() as db:
        tribunal_ids = (
            await db.scalars(select(Tribunal.id).where(Tribunal.slug.like("rfx%")))
        ).all()
        user_ids = (
            await db.scalars(
                select(Membership.user_id).where(Membership.tribunal_id.in_(tribunal_ids))
            )
        ).all()
        filer_ids = (
            await db.scalars(select(Filing.filer_id).where(Filing.tribunal_id.in_(tribunal_ids)))
        ).all()
        # The receipt's email queued a delivery job: no other test's worker may find it.
        await db.execute(delete(Job).where(Job.kind == "mail.deliver"))
        await db.execute(delete(OutboxMessage).where(OutboxMessage.tribunal_id.in_(tribunal_ids)))
        await db.execute(delete(Tribunal).where(Tribunal.id.in_(tribunal_ids)))
        await db.execute(delete(User).where(User.id.in_([*user_ids, *filer_ids])))
        await db.commit()
    await engine.dispose()


@pytest.mark.usefixtures("engine")  # the schema is migrated
async def test_two_partial_refunds_that_together_exceed_the_payment_one_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as db:
        tribunal = await make_tribunal(db, slug=f"rfx{uuid.uuid4().hex[:8]}")
        clerk = await make_staff(db, tribunal, Role.CLERK)
        case = await make_charged_case(db, tribunal, amount_cents=5000)
        payment = await paid_at_counter(db, tribunal, clerk, case)

    async def ask(amount: int) -> str:
        async with sessions() as db:
            own = await db.get(Payment, payment.id)
            assert own is not None
            try:
                await services.request_refund(
                    db,
                    tribunal,
                    own,
                    RefundValues(amount, "At once", 5000),
                    PaymentSettings(tribunal_id=tribunal.id, refund_approval_above_cents=None),
                    actor=clerk,
                )
                await db.commit()
            except RefundRefused:
                await db.rollback()
                return "refused"
            return "reserved"

    outcomes = await asyncio.gather(ask(3000), ask(3000))
    assert sorted(outcomes) == ["refused", "reserved"]
    async with sessions() as db:
        final = await db.get(Payment, payment.id)
        assert final is not None
        assert final.refunded_cents == 3000
        assert await count(db, Refund, Refund.payment_id == payment.id) == 1
