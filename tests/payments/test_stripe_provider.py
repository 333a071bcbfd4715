"""The Stripe provider against a local stub of Stripe's API (tests/payments/stripe_stub.py)."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers

from payments.providers import (
    CheckoutRequest,
    CheckoutStatus,
    NotificationRejectedError,
    ProviderUnavailableError,
    RefundRequest,
    TransactionKind,
)
from payments.providers.stripe import API_VERSION, StripeProvider, StripeRequestError
from tests.payments.stripe_stub import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    StripeStub,
    closed_port_url,
    serve,
    signed_event,
)
from tribune.app import create_app
from tribune.db import Database
from tribune.settings import PaymentProviderSettings, load_settings

ACCOUNT = "5a0c7f0e-6d0b-4a43-9a64-4f9d1f1d2c01"


@pytest.fixture
def stub() -> Iterator[StripeStub]:
    with serve() as stub:
        yield stub


def settings_for(url: str, key: str = SECRET_KEY) -> PaymentProviderSettings:
    return PaymentProviderSettings(
        provider="stripe",
        stripe_secret_key=key,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_url=url,
    )


@pytest.fixture
def stripe(stub: StripeStub) -> StripeProvider:
    return StripeProvider(settings_for(stub.url))


def checkout_request(
    key: str = "pay-1", language: str = "en", amount: int = 5000
) -> CheckoutRequest:
    return CheckoutRequest(
        idempotency_key=key,
        amount_cents=amount,
        currency="CAD",
        description="Filing fee LAT-2026-0001",
        client_reference="payment-1",
        account=ACCOUNT,
        success_url="http://testserver/t/payments/payment-1/return",
        cancel_url="http://testserver/t/payments/payment-1/return?cancelled=1",
        language=language,
        customer_email="claimant@example.org",
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )


def refund_request(payment_intent: str, key: str, amount: int) -> RefundRequest:
    return RefundRequest(
        idempotency_key=key,
        checkout_reference="",
        payment_reference=payment_intent,
        amount_cents=amount,
        currency="CAD",
        account=ACCOUNT,
        client_reference=f"refund-{key}",
    )


# -- checkout sessions -----------------------------------------------------------------------------


async def test_a_checkout_is_created_once_per_idempotency_key_in_stripes_shapes(
    stripe: StripeProvider, stub: StripeStub
) -> None:
    first = await stripe.create_checkout(checkout_request())
    again = await stripe.create_checkout(checkout_request())

    assert again == first
    assert first.reference.startswith("cs_test_")
    assert first.url.startswith("https://checkout.stripe.com/")
    assert len(stub.sessions) == 1
    creates = [call for call in stub.calls if call.path == "/v1/checkout/sessions"]
    assert [call.headers["idempotency-key"] for call in creates] == ["pay-1", "pay-1"]
    call = creates[0]
    assert call.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert call.headers["stripe-version"] == API_VERSION
    sent = call.params
    assert sent["mode"] == "payment"
    assert sent["line_items"] == [
        {
            "quantity": "1",
            "price_data": {
                "currency": "cad",
                "unit_amount": "5000",
                "product_data": {"name": "Filing fee LAT-2026-0001"},
            },
        }
    ]
    assert sent["client_reference_id"] == "payment-1"
    assert sent["customer_email"] == "claimant@example.org"
    assert sent["locale"] == "en"
    assert sent["metadata"] == {"account": ACCOUNT, "payment": "payment-1"}
    assert sent["payment_intent_data"] == {"metadata": {"account": ACCOUNT, "payment": "payment-1"}}
    assert int(sent["expires_at"]) == int(first.expires_at.timestamp())

    state = await stripe.retrieve(first.reference)
    assert state.status is CheckoutStatus.OPEN
    assert (state.amount_cents, state.currency, state.client_reference) == (
        5000,
        "CAD",
        "payment-1",
    )


async def test_a_french_payer_gets_stripes_canadian_french_page(
    stripe: StripeProvider, stub: StripeStub
) -> None:
    checkout = await stripe.create_checkout(checkout_request(language="fr"))
    assert stub.sessions[checkout.reference]["locale"] == "fr-CA"


async def test_a_key_reused_with_another_body_is_refused_by_stripe(stripe: StripeProvider) -> None:
    await stripe.create_checkout(checkout_request(amount=5000))
    with pytest.raises(StripeRequestError) as refused:
        await stripe.create_checkout(checkout_request(amount=9000))
    assert refused.value.kind == "idempotency_error"
    assert isinstance(refused.value, ProviderUnavailableError)


async def test_each_state_of_a_session_is_told_in_the_platforms_words(
    stripe: StripeProvider, stub: StripeStub
) -> None:
    paid = await stripe.create_checkout(checkout_request("paid"))
    intent = stub.complete(paid.reference)
    state = await stripe.retrieve(paid.reference)
    assert state.status is CheckoutStatus.PAID
    assert state.payment_reference == intent
    assert state.payment_reference.startswith("pi_")
    assert stub.calls[-1].params["expand"] == ["payment_intent"]

    pending = await stripe.create_checkout(checkout_request("pending"))
    stub.make_pending(pending.reference)
    state = await stripe.retrieve(pending.reference)
    assert (state.status, state.payment_reference) == (CheckoutStatus.PROCESSING, "")
    stub.settle(pending.reference)
    assert (await stripe.retrieve(pending.reference)).status is CheckoutStatus.PAID

    failed = await stripe.create_checkout(checkout_request("failed"))
    stub.fail(failed.reference, decline_code="insufficient_funds")
    state = await stripe.retrieve(failed.reference)
    assert (state.status, state.failure_code) == (CheckoutStatus.FAILED, "insufficient_funds")
    declined = await stripe.create_checkout(checkout_request("declined"))
    stub.fail(declined.reference)
    assert (await stripe.retrieve(declined.reference)).failure_code == "card_declined"

    with pytest.raises(ProviderUnavailableError):
        await stripe.retrieve("cs_test_unknown")
    with pytest.raises(ProviderUnavailableError):
        await stripe.retrieve("../v1/refunds")


async def test_an_open_session_is_expired_and_a_finished_one_is_told_as_it_is(
    stripe: StripeProvider, stub: StripeStub
) -> None:
    open_one = await stripe.create_checkout(checkout_request("open"))
    state = await stripe.expire(open_one.reference)
    assert state.status is CheckoutStatus.EXPIRED
    assert stub.sessions[open_one.reference]["status"] == "expired"
    expiry = next(call for call in stub.calls if call.path.endswith("/expire"))
    assert expiry.headers["idempotency-key"] == f"expire-{open_one.reference}"
    # Again: Stripe gives the saved answer to the same key.
    assert (await stripe.expire(open_one.reference)).status is CheckoutStatus.EXPIRED

    paid = await stripe.create_checkout(checkout_request("paid"))
    intent = stub.complete(paid.reference)
    state = await stripe.expire(paid.reference)
    assert (state.status, state.payment_reference) == (CheckoutStatus.PAID, intent)
    assert stub.sessions[paid.reference]["status"] == "complete"


# -- refunds ---------------------------------------------------------------------------------------


async def test_partial_then_full_refunds_and_one_above_what_is_left_is_refused(
    stripe: StripeProvider, stub: StripeStub
) -> None:
    checkout = await stripe.create_checkout(checkout_request())
    intent = stub.complete(checkout.reference)

    part = await stripe.refund(refund_request(intent, "r1", 2000))
    assert part.succeeded
    assert part.reference.startswith("re_")
    again = await stripe.refund(refund_request(intent, "r1", 2000))
    assert again == part
    assert len(stub.refunds) == 1
    made = stub.refunds[part.reference]
    assert made["metadata"] == {"account": ACCOUNT, "refund": "refund-r1"}
    assert made["payment_intent"] == intent
    refund_calls = [call for call in stub.calls if call.path == "/v1/refunds"]
    assert {call.headers["idempotency-key"] for call in refund_calls} == {"r1"}

    too_much = await stripe.refund(refund_request(intent, "r2", 3001))
    assert (too_much.succeeded, too_much.failure_code) == (False, "amount_too_large")
    rest = await stripe.refund(refund_request(intent, "r3", 3000))
    assert rest.succeeded
    nothing_left = await stripe.refund(refund_request(intent, "r4", 1))
    assert (nothing_left.succeeded, nothing_left.failure_code) == (
        False,
        "charge_already_refunded",
    )
    assert sum(made["amount"] for made in stub.refunds.values()) == 5000


async def test_a_refund_by_the_checkout_alone_finds_its_payment(
    stripe: StripeProvider, stub: StripeStub
) -> None:
    checkout = await stripe.create_checkout(checkout_request())
    request = dataclasses.replace(
        refund_request("", "r1", 500), checkout_reference=checkout.reference
    )
    unpaid = await stripe.refund(request)
    assert (unpaid.succeeded, unpaid.failure_code) == (False, "charge_not_paid")
    intent = stub.complete(checkout.reference)
    made = await stripe.refund(request)
    assert made.succeeded
    assert stub.refunds[made.reference]["payment_intent"] == intent


async def test_a_pending_refund_counts_as_made_and_a_failed_one_says_why(
    stripe: StripeProvider, stub: StripeStub
) -> None:
    checkout = await stripe.create_checkout(checkout_request())
    intent = stub.complete(checkout.reference)
    stub.refund_status = "pending"
    assert (await stripe.refund(refund_request(intent, "r1", 100))).succeeded
    stub.refund_status = "failed"
    failed = await stripe.refund(refund_request(intent, "r2", 100))
    assert (failed.succeeded, failed.failure_code) == (False, "expired_or_canceled_card")


# -- the transactions of a day ---------------------------------------------------------------------


async def test_the_days_transactions_are_read_across_pages_for_the_account_only(
    stripe: StripeProvider, stub: StripeStub
) -> None:
    start = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
    end = start + timedelta(days=1)
    first, last = int(start.timestamp()), int(end.timestamp())
    ours = [
        stub.add_payment(account=ACCOUNT, payment=f"p{i}", amount=1000 + i, created=first + i * 300)
        for i in range(230)
    ]
    stub.add_payment(account="another", payment="x", amount=1, created=first + 10)
    stub.add_payment(account=ACCOUNT, payment="before", amount=1, created=first - 1)
    stub.add_payment(account=ACCOUNT, payment="after", amount=1, created=last)
    unpaid = stub.add_payment(account=ACCOUNT, payment="unpaid", amount=1, created=first + 20)
    stub.intents[unpaid]["status"] = "requires_payment_method"
    stub.clock = lambda: first + 3600
    refund = await stripe.refund(refund_request(ours[0], "r1", 400))
    stub.clock = lambda: last + 10
    await stripe.refund(refund_request(ours[1], "r2", 400))  # the next day

    found = await stripe.transactions(ACCOUNT, start, end)

    payments = [row for row in found if row.kind is TransactionKind.PAYMENT]
    assert sorted(row.reference for row in payments) == sorted(ours)
    row = next(row for row in payments if row.reference == ours[5])
    assert (row.client_reference, row.amount_cents, row.currency) == ("p5", 1005, "CAD")
    assert row.occurred_at == start + timedelta(minutes=25)
    refunds = [row for row in found if row.kind is TransactionKind.REFUND]
    assert [(row.reference, row.client_reference, row.amount_cents) for row in refunds] == [
        (refund.reference, "refund-r1", 400)
    ]
    pages = [call for call in stub.calls if call.path == "/v1/payment_intents"]
    assert len(pages) == 3  # 234 in the window: 100 + 100 + 34
    assert pages[0].params["created"] == {"gte": str(first), "lt": str(last)}
    assert "starting_after" in pages[1].params
    assert await stripe.transactions("nobody", start, end) == []


# -- notifications ---------------------------------------------------------------------------------


def test_a_notification_signed_with_the_secret_is_read_from_its_raw_bytes(
    stripe: StripeProvider,
) -> None:
    now = datetime.now(UTC)
    body, header = signed_event(
        "checkout.session.completed",
        {"id": "cs_test_abc", "object": "checkout.session"},
        extra_signatures=("v1=" + "0" * 64, "v0=" + "1" * 64),
    )
    # A wrong v1 first, the right one, then a v0: one matching v1 is enough.
    wrong_first = header.replace("v1=", "v1=" + "f" * 64 + ",v1=", 1)
    for signed in (header, wrong_first):
        notification = stripe.verify_notification(body, Headers({"Stripe-Signature": signed}), now)
        assert notification.kind == "checkout.session.completed"
        assert notification.checkout_reference == "cs_test_abc"
        assert notification.id.startswith("evt_")
    # A plain mapping spelt as Stripe sends it works too.
    assert stripe.verify_notification(body, {"Stripe-Signature": header}, now).id

    other, other_header = signed_event("payment_intent.succeeded", {"id": "pi_1"})
    about = stripe.verify_notification(other, {"stripe-signature": other_header}, now)
    assert (about.kind, about.checkout_reference) == ("payment_intent.succeeded", "")


def test_forged_stale_tampered_and_unsigned_notifications_are_refused(
    stripe: StripeProvider,
) -> None:
    now = datetime.now(UTC)
    subject = {"id": "cs_test_abc", "object": "checkout.session"}
    forged, forged_header = signed_event("checkout.session.completed", subject, secret="whsec_x")
    stale, stale_header = signed_event(
        "checkout.session.completed", subject, timestamp=int(time.time()) - 301
    )
    body, header = signed_event("checkout.session.completed", subject)
    tampered = body.replace(b"cs_test_abc", b"cs_test_xyz")
    only_v0 = header.replace("v1=", "v0=")
    for sent, signed in (
        (forged, forged_header),
        (stale, stale_header),
        (tampered, header),
        (body, only_v0),
        (body, ""),
    ):
        with pytest.raises(NotificationRejectedError):
            stripe.verify_notification(sent, {"Stripe-Signature": signed}, now)
    with pytest.raises(NotificationRejectedError):
        stripe.verify_notification(body, {}, now)
    huge = b" " * (300 * 1024)
    with pytest.raises(NotificationRejectedError):
        stripe.verify_notification(huge, {"Stripe-Signature": header}, now)
    not_json = b"not json"
    with pytest.raises(NotificationRejectedError):
        stripe.verify_notification(not_json, {"Stripe-Signature": signed_event("x", {})[1]}, now)


# -- when Stripe is unwell -------------------------------------------------------------------------


async def test_no_answer_an_outage_or_a_rate_limit_is_provider_unavailable(
    stripe: StripeProvider, stub: StripeStub
) -> None:
    down = StripeProvider(settings_for(closed_port_url()))
    with pytest.raises(ProviderUnavailableError):
        await down.create_checkout(checkout_request())
    with pytest.raises(ProviderUnavailableError):
        await down.transactions(ACCOUNT, datetime.now(UTC), datetime.now(UTC))
    for status in (500, 503, 429):
        stub.outage = status
        with pytest.raises(ProviderUnavailableError) as unavailable:
            await stripe.create_checkout(checkout_request())
        assert not isinstance(unavailable.value, StripeRequestError)
    stub.outage = None
    assert (await stripe.create_checkout(checkout_request())).reference


async def test_a_wrong_key_is_a_clear_error_that_never_shows_the_key(
    stub: StripeStub, caplog: pytest.LogCaptureFixture
) -> None:
    key = "sk_test_wrong_key_which_must_stay_secret_1234"
    wrong = StripeProvider(settings_for(stub.url, key=key))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StripeRequestError) as refused:
        await wrong.create_checkout(checkout_request())
    assert refused.value.status == 401
    assert "401" in str(refused.value)
    assert key not in str(refused.value)
    assert key not in repr(wrong)
    assert key not in caplog.text
    assert stub.sessions == {}


# -- configuration ---------------------------------------------------------------------------------


async def test_the_app_configured_for_stripe_builds_the_stripe_provider(
    stub: StripeStub, database: Database, db: AsyncSession
) -> None:
    settings = load_settings(
        {
            **os.environ,
            "TRIBUNE_PAYMENT_PROVIDER": "stripe",
            "TRIBUNE_STRIPE_SECRET_KEY": SECRET_KEY,
            "TRIBUNE_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TRIBUNE_STRIPE_API_URL": stub.url + "/",
        }
    )
    app = create_app(settings, database, inline_worker=False)
    provider = app.state.payment_providers(db)
    assert isinstance(provider, StripeProvider)
    assert provider.name == "stripe"
    checkout = await provider.create_checkout(checkout_request())
    assert checkout.reference in stub.sessions
