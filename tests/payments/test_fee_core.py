"""The core of fees: a case is charged the fee in force the day it was started and keeps it;
its balance adds up payments, refunds and waivers; acceptance waits for the fee; receipts are
numbered without gaps; a payment only moves forward; notifications are verified over the raw
bytes, in Stripe's scheme."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from filings import lifecycle
from filings.access import Actor
from filings.models import FilingStatus
from payments.checkout import states
from payments.fees import services as fees
from payments.models import Payment, PaymentMethod, PaymentState
from payments.providers import NotificationRejectedError
from payments.providers.signatures import signature_header, verify
from payments.receipts import services as receipts
from tests.factories.filings import make_case, make_case_type
from tests.factories.payments import make_charged_case, make_fee, make_fee_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tribunals.models import Role
from tribune.db import local_today, utcnow
from tribune.mail import Outbox


def paid(case_charge: object, amount: int, state: PaymentState = PaymentState.SUCCEEDED) -> Payment:
    charge = case_charge.charge  # type: ignore[attr-defined]
    return Payment(
        tribunal_id=charge.tribunal_id,
        filing_id=charge.filing_id,
        charge_id=charge.id,
        amount_cents=amount,
        currency="CAD",
        provider="registry",
        method=PaymentMethod.COUNTER,
        state=state,
        idempotency_key=f"payment-{uuid.uuid4()}",
    )


async def test_a_case_is_charged_the_fee_in_force_the_day_it_was_started(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    version = await make_fee_case_type(db, tribunal)
    today = local_today(tribunal.time_zone)
    await make_fee(
        db, tribunal, version, amount_cents=5000, effective_from=today - timedelta(days=30)
    )
    # A fee change from tomorrow (added as the schedule page would, ending the first entry).
    await fees.add_fee(
        db,
        tribunal,
        version.case_type_id,
        fees.FeeValues("APPEAL-2", 7500, None, today + timedelta(days=1)),
        actor=None,
    )
    await db.commit()
    filing = await make_case(db, tribunal, version=version)
    charge = await fees.assess(db, tribunal, filing, version)
    assert charge is not None
    assert (charge.amount_cents, charge.currency) == (5000, "CAD")
    assert filing.awaiting_payment is True
    # Assessing again never charges twice.
    assert await fees.assess(db, tribunal, filing, version) is charge
    # The new fee applies to cases started once it is in force.
    later = await fees.fee_for_new_case(db, tribunal, version, utcnow() + timedelta(days=2))
    assert later is not None
    assert later.amount_cents == 7500


async def test_a_fee_cannot_start_in_the_past_nor_before_the_latest(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    version = await make_fee_case_type(db, tribunal)
    today = local_today(tribunal.time_zone)
    with pytest.raises(fees.FeeRefused, match="cannot start in the past"):
        await fees.add_fee(
            db,
            tribunal,
            version.case_type_id,
            fees.FeeValues("A", 100, None, today - timedelta(days=1)),
            actor=None,
        )
    await fees.add_fee(
        db,
        tribunal,
        version.case_type_id,
        fees.FeeValues("A", 100, None, today + timedelta(days=5)),
        actor=None,
    )
    with pytest.raises(fees.FeeRefused, match="after the latest one"):
        await fees.add_fee(
            db,
            tribunal,
            version.case_type_id,
            fees.FeeValues("B", 200, None, today + timedelta(days=5)),
            actor=None,
        )
    with pytest.raises(fees.FeeRefused, match="reduced amount"):
        await fees.add_fee(
            db,
            tribunal,
            version.case_type_id,
            fees.FeeValues("B", 200, 200, today + timedelta(days=9)),
            actor=None,
        )


async def test_a_free_kind_of_case_or_a_zero_fee_charges_nothing(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    # A kind of case whose definition says no fee applies, though the schedule has one.
    free_version = await make_case_type(db, tribunal)
    await make_fee(db, tribunal, free_version, amount_cents=5000)
    free_kind = await make_case(db, tribunal, version=free_version)
    assert await fees.assess(db, tribunal, free_kind, free_version) is None
    assert await fees.charge_of(db, free_kind) is None
    zero_version = await make_fee_case_type(db, tribunal)
    await make_fee(db, tribunal, zero_version, amount_cents=0)
    free = await make_case(db, tribunal, version=zero_version)
    assert await fees.assess(db, tribunal, free, zero_version) is None
    assert free.awaiting_payment is False


async def test_the_balance_adds_up_payments_waivers_and_what_is_owed_back(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    case = await make_charged_case(db, tribunal, amount_cents=10000, reduced_amount_cents=2500)
    balance = await fees.balance_of(db, case.charge)
    assert (balance.outstanding_cents, balance.owed_back_cents, balance.settled) == (
        10000,
        0,
        False,
    )
    db.add(paid(case, 10000))
    await db.flush()
    balance = await fees.refresh_awaiting_payment(db, case.filing, case.charge)
    assert balance.settled
    assert case.filing.awaiting_payment is False
    # A part waiver granted after payment: the fee less its reduced amount is owed back.
    case.charge.waived_cents = 10000 - 2500
    balance = await fees.balance_of(db, case.charge)
    assert (balance.due_cents, balance.outstanding_cents, balance.owed_back_cents) == (
        2500,
        0,
        7500,
    )
    # A payment that failed counts for nothing.
    db.add(paid(case, 500, PaymentState.FAILED))
    await db.flush()
    assert (await fees.balance_of(db, case.charge)).paid_cents == 10000


async def test_acceptance_waits_for_the_fee(db: AsyncSession, settings: object) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    case = await make_charged_case(db, tribunal)
    outbox = Outbox.from_settings(settings, None, lambda *a, **k: "/")  # type: ignore[arg-type]
    with pytest.raises(lifecycle.TransitionRefused, match="until its fee is paid or waived"):
        await lifecycle.apply(
            db, outbox, tribunal, case.filing, "accept", user=clerk, actors=frozenset({Actor.CLERK})
        )
    assert case.filing.status is FilingStatus.SUBMITTED


async def test_receipt_numbers_follow_each_other_per_tribunal_and_year(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    first, second = await make_charged_case(db, tribunal), await make_charged_case(db, tribunal)
    elsewhere = await make_charged_case(db, other)
    numbers = []
    for case, where in ((first, tribunal), (second, tribunal), (elsewhere, other)):
        payment = paid(case, 5000)
        db.add(payment)
        await db.flush()
        receipt = await receipts.issue(db, where, case.charge, payment)
        assert await receipts.issue(db, where, case.charge, payment) is receipt  # only one
        numbers.append((receipt.number, receipts.receipt_label(where, receipt)))
    assert [n for n, _label in numbers] == [1, 2, 1]
    assert numbers[1][1] == f"{tribunal.reference_prefix}-R-{numbers_year(tribunal)}-000002"


def numbers_year(tribunal: object) -> int:
    return local_today(tribunal.time_zone).year  # type: ignore[attr-defined]


async def test_a_payment_moves_only_forward(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    case = await make_charged_case(db, tribunal)
    payment = paid(case, 5000, PaymentState.CREATED)
    db.add(payment)
    await db.flush()
    now = utcnow()
    assert await states.move(db, payment, PaymentState.PENDING, now)
    assert await states.move(db, payment, PaymentState.SUCCEEDED, now)
    assert payment.settled_at == now
    for backwards in (PaymentState.PENDING, PaymentState.FAILED, PaymentState.EXPIRED):
        assert not await states.move(db, payment, backwards, now)
    assert payment.state is PaymentState.SUCCEEDED
    assert await states.move(db, payment, PaymentState.PARTLY_REFUNDED, now)
    assert not await states.move(db, payment, PaymentState.SUCCEEDED, now)


def test_a_notification_is_verified_over_its_raw_bytes_recently_and_in_constant_time() -> None:
    secret, body, now = "whsec_test", b'{"id":"evt_1","type":"checkout.paid"}', utcnow()
    stamp = int(now.timestamp())
    header = signature_header(secret, stamp, body)
    verify(secret, header, body, now)
    # Several v1 signatures (a secret being rolled) and other schemes: one match is enough.
    verify(secret, f"t={stamp},v0=abc,v1={'0' * 64},{header.split(',')[1]}", body, now)
    refusals = {
        "re-serialised body": (header, b'{"id": "evt_1", "type": "checkout.paid"}', now),
        "wrong secret": (signature_header("other", stamp, body), body, now),
        "stale": (header, body, now + timedelta(seconds=301)),
        "unsigned": (None, body, now),
        "no v1": (f"t={stamp}", body, now),
        "no timestamp": (header.split(",")[1], body, now),
    }
    for what, (given, raw, at) in refusals.items():
        try:
            verify(secret, given, raw, at)
        except NotificationRejectedError:
            continue
        pytest.fail(f"accepted: {what}")
    with pytest.raises(NotificationRejectedError, match="no secret"):
        verify("", header, body, now)
