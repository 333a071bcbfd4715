"""Paying a case's fee on the sandbox's hosted page, through the pages: the fee page and its
choices, every way a payment ends (paid, declined, not enough money, confirmed or refused
at the bank, cancelled), the return page that believes only the provider, an amount sent by
the client ignored, a second click resuming the same checkout, a provider that does not
answer, and who may reach these pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accounts.models import User
from filings.models import CaseEvent
from payments.models import (
    Payment,
    PaymentMethod,
    PaymentState,
    Receipt,
    SandboxCheckout,
    SandboxCheckoutStatus,
)
from payments.providers import (
    Checkout,
    CheckoutRequest,
    CheckoutState,
    ProviderUnavailableError,
)
from tests.factories.accounts import make_user
from tests.factories.payments import ChargedCase, make_charged_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, french, last_message, post_form, text_of
from tribunals.models import Role, Tribunal
from tribune.audit import AuditAction, AuditEvent

TEST_CARD = {
    "card_number": "4242 4242 4242 4242",
    "expiry": "12/39",
    "security_code": "123",
    "name": "Jane Doe",
}
SUCCEEDS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
INSUFFICIENT = "4000 0000 0000 9995"
CONFIRMATION = "4000 0027 6000 3184"
LATE = "4000 0000 0000 0077"


# -- steps the tests share ----------------------------------------------------------------------


async def charged_scene(
    db: AsyncSession, *, language: str = "en", **values: Any
) -> tuple[Tribunal, User, ChargedCase]:
    """A tribunal, a claimant, and their submitted case owing a fee of $50."""
    tribunal = await make_tribunal(db)
    claimant = await make_user(db, language=language)
    case = await make_charged_case(db, tribunal, filer=claimant, language=language, **values)
    return tribunal, claimant, case


def fee_url(tribunal: Tribunal, case: ChargedCase) -> str:
    return f"/{tribunal.slug}/cases/{case.filing.id}/fee"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def pay_now(
    client: httpx.AsyncClient, tribunal: Tribunal, case: ChargedCase, **fields: str
) -> httpx.Response:
    """Press "Pay now by card" on the fee page."""
    page = fee_url(tribunal, case)
    return await post_form(client, f"{page}/pay", fields, page=page)


async def to_sandbox(client: httpx.AsyncClient, tribunal: Tribunal, case: ChargedCase) -> str:
    """Press "Pay now by card"; return the path of the sandbox's page it sends the payer to."""
    response = await pay_now(client, tribunal, case)
    assert response.status_code == 303, response.text
    location = path_of(response.headers["location"])
    assert location.startswith("/sandbox/checkout/"), location
    return location


async def pay_with(client: httpx.AsyncClient, page: str, card: str) -> httpx.Response:
    """Pay on the sandbox's page with a test card."""
    return await post_form(client, page, {**TEST_CARD, "card_number": card}, page=page)


async def pay_and_return(
    client: httpx.AsyncClient, tribunal: Tribunal, case: ChargedCase, card: str
) -> httpx.Response:
    """Pay with a card and follow the way back to the platform's return page."""
    paid = await pay_with(client, await to_sandbox(client, tribunal, case), card)
    assert paid.status_code == 303, paid.text
    return await client.get(path_of(paid.headers["location"]))


async def the_payment(db: AsyncSession, case: ChargedCase) -> Payment:
    payment = (await db.scalars(select(Payment).where(Payment.filing_id == case.filing.id))).one()
    await db.refresh(payment)
    return payment


async def event_kinds(db: AsyncSession, case: ChargedCase) -> list[str]:
    return list(
        (
            await db.scalars(select(CaseEvent.kind).where(CaseEvent.filing_id == case.filing.id))
        ).all()
    )


# -- the fee page -------------------------------------------------------------------------------


async def test_the_fee_page_offers_to_pay_now_ask_for_a_waiver_or_pay_later(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    response = await client.get(fee_url(tribunal, case))
    assert response.status_code == 200
    page = text_of(response)
    assert "$50.00" in page
    assert case.charge.code in page
    assert "Pay now by card" in page
    assert f"/{tribunal.slug}/cases/{case.filing.id}/fee/waiver" in page
    assert "Your case is not accepted until the fee is paid or waived." in page


async def test_the_fee_page_in_french(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal, claimant, case = await charged_scene(db, language="fr")
    await as_user(client, claimant)
    page = text_of(await client.get(fee_url(tribunal, case)))
    assert french("Pay now by card") in page
    assert french("Ask for a fee waiver") in page
    assert "50,00\xa0$" in page


async def test_a_paid_card_payment_gets_a_receipt_an_event_and_an_email(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    payment = await the_payment(db, case)
    assert (payment.state, payment.method, payment.provider) == (
        PaymentState.PENDING,
        PaymentMethod.CARD,
        "sandbox",
    )
    assert payment.idempotency_key == f"payment-{payment.id}"
    assert payment.payer_id == claimant.id
    sandbox_page = text_of(await client.get(page))
    assert "Test payment page: no real money is taken." in sandbox_page
    assert "4000 0000 0000 0077" in sandbox_page  # the test cards are listed
    assert "$50.00" in sandbox_page

    returned = await pay_and_return_from(client, page, SUCCEEDS)
    assert returned.status_code == 200
    payment = await the_payment(db, case)
    receipt = (await db.scalars(select(Receipt).where(Receipt.payment_id == payment.id))).one()
    assert payment.state is PaymentState.SUCCEEDED
    assert payment.provider_payment_reference.startswith("sbpay_")
    assert f"{tribunal.reference_prefix}-R-" in text_of(returned)
    assert f"/{tribunal.slug}/receipts/{receipt.id}" in returned.text
    await db.refresh(case.filing)
    assert case.filing.awaiting_payment is False
    assert "fee_paid" in await event_kinds(db, case)
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.PAYMENT_STARTED) == 1
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.PAYMENT_SUCCEEDED) == 1
    message = await last_message(db, claimant.email)
    assert message.template == "payment_receipt"
    assert f"{tribunal.reference_prefix}-R-" in message.body
    # Nothing is left to pay: the fee page says so and lists the receipt.
    fee_page = text_of(await client.get(fee_url(tribunal, case)))
    assert "Nothing is left to pay on this case." in fee_page
    assert f"/{tribunal.slug}/receipts/{receipt.id}" in fee_page
    # Pressing pay again (an old tab) takes nothing more.
    again = await pay_now(client, tribunal, case)
    assert again.status_code == 303
    assert again.headers["location"] == fee_url(tribunal, case)
    assert await count(db, Payment, Payment.filing_id == case.filing.id) == 1


async def pay_and_return_from(client: httpx.AsyncClient, page: str, card: str) -> httpx.Response:
    paid = await pay_with(client, page, card)
    assert paid.status_code == 303, paid.text
    return await client.get(path_of(paid.headers["location"]))


async def test_a_receipt_email_in_the_payers_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db, language="fr")
    await as_user(client, claimant)
    returned = await pay_and_return(client, tribunal, case, SUCCEEDS)
    assert french("Payment received") in text_of(returned)
    message = await last_message(db, claimant.email)
    assert message.language == "fr"
    assert french("Receipt number:") in message.body


async def test_declined_and_insufficient_funds_take_nothing_and_offer_to_try_again(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    declined = text_of(await pay_and_return(client, tribunal, case, DECLINED))
    assert "Your card was declined. Try another card, or contact your bank." in declined
    assert "Nothing was taken from your card." in declined
    assert "Try again" in declined
    first = await the_payment(db, case)
    assert (first.state, first.failure_reason) == (PaymentState.FAILED, "card_declined")
    # The registry reads the same page, without the payer's button to try again.
    await as_user(client, await make_staff(db, tribunal, Role.CLERK))
    seen_by_clerk = text_of(await client.get(f"/{tribunal.slug}/payments/{first.id}/return"))
    assert "Your card was declined." in seen_by_clerk
    assert "Try again" not in seen_by_clerk
    await as_user(client, claimant)

    # Trying again makes a new attempt, with a new checkout.
    poor = text_of(await pay_and_return(client, tribunal, case, INSUFFICIENT))
    assert "not enough money in the account" in poor
    attempts = list(
        await db.scalars(
            select(Payment).where(Payment.filing_id == case.filing.id).order_by(Payment.created_at)
        )
    )
    assert [(p.state, p.failure_reason) for p in attempts] == [
        (PaymentState.FAILED, "card_declined"),
        (PaymentState.FAILED, "insufficient_funds"),
    ]
    assert await count(db, SandboxCheckout) == 2
    assert await count(db, Receipt) == 0
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.PAYMENT_FAILED) == 2
    await db.refresh(case.filing)
    assert case.filing.awaiting_payment is True

    # Then a good card pays.
    paid = await pay_and_return(client, tribunal, case, SUCCEEDS)
    assert "Payment received" in text_of(paid)
    assert await count(db, Receipt) == 1


async def test_a_confirmation_step_approved_pays_and_refused_takes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    asked = await pay_with(client, page, CONFIRMATION)
    assert asked.status_code == 303
    confirm = asked.headers["location"]
    assert confirm == f"{page}/confirm"
    assert "Approve" in text_of(await client.get(confirm))
    # Back on the platform before answering: not paid yet.
    payment = await the_payment(db, case)
    assert payment.state is PaymentState.PENDING
    refused = await post_form(client, confirm, {"decision": "refuse"}, page=confirm)
    assert refused.status_code == 303
    outcome = text_of(await client.get(path_of(refused.headers["location"])))
    assert "The payment was not confirmed with your bank." in outcome
    assert (await the_payment(db, case)).failure_reason == "authentication_failed"
    # The refused checkout cannot be confirmed again.
    closed = await post_form(client, confirm, {"decision": "approve"}, page=page)
    assert closed.status_code == 409
    assert "This payment page is closed" in text_of(closed)

    page = await to_sandbox(client, tribunal, case)
    asked = await pay_with(client, page, CONFIRMATION)
    confirm = asked.headers["location"]
    nothing = await post_form(client, confirm, {"decision": "maybe"}, page=confirm)
    assert nothing.status_code == 422
    assert "Approve or refuse the payment" in text_of(nothing)
    approved = await post_form(client, confirm, {"decision": "approve"}, page=confirm)
    outcome = text_of(await client.get(path_of(approved.headers["location"])))
    assert "Payment received" in outcome
    states = sorted(
        p.state.value
        for p in await db.scalars(select(Payment).where(Payment.filing_id == case.filing.id))
    )
    assert states == ["failed", "succeeded"]


async def test_cancelling_on_the_hosted_page_takes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    cancelled = await post_form(client, f"{page}/cancel", {}, page=page)
    assert cancelled.status_code == 303
    assert cancelled.headers["location"].endswith("?outcome=cancelled")
    outcome = text_of(await client.get(path_of(cancelled.headers["location"])))
    assert "You cancelled the payment" in outcome
    assert "Nothing was taken from your card." in outcome
    payment = await the_payment(db, case)
    assert payment.state is PaymentState.CANCELLED
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.PAYMENT_CANCELLED) == 1
    # The hosted page is closed now.
    closed = await client.get(page)
    assert closed.status_code == 409
    assert "This payment page is closed" in text_of(closed)


async def test_the_sandbox_page_checks_the_card_form_in_the_checkouts_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db, language="fr")
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    client.cookies.clear()  # the provider's site: the payer is not signed in there
    shown = text_of(await client.get(page))
    assert french(
        "Test payment page: no real money is taken. Use one of the test cards below."
    ) in (shown)
    cases = {
        "unknown card": (
            {"card_number": "4111 1111 1111 1111"},
            "Use one of the test cards listed on this page",
        ),
        "letters": ({"card_number": "abcd"}, "Enter the card number as it is on the card"),
        "past expiry": (
            {"expiry": "01/20"},
            "The card has expired: enter an expiry date that is not past",
        ),
        "bad expiry": ({"expiry": "13/30"}, "Enter the expiry date as month and year, like 04/29"),
        "short code": ({"security_code": "12"}, "Enter the 3 digits of the security code"),
        "no name": ({"name": ""}, "Enter the name on the card"),
    }
    for what, (changes, message) in cases.items():
        response = await post_form(client, page, {**TEST_CARD, **changes}, page=page)
        assert response.status_code == 422, what
        assert french(message) in text_of(response), what
        assert "govuk-error-summary" in response.text
    checkout = (await db.scalars(select(SandboxCheckout))).one()
    await db.refresh(checkout)
    assert checkout.status is SandboxCheckoutStatus.OPEN


async def test_a_forged_return_does_not_mark_an_unpaid_attempt_paid(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    await to_sandbox(client, tribunal, case)
    payment = await the_payment(db, case)
    forged = await client.get(
        f"/{tribunal.slug}/payments/{payment.id}/return?outcome=done&status=paid"
    )
    assert forged.status_code == 200
    assert "Your payment is being confirmed" in text_of(forged)
    assert 'data-hx-trigger="every 5s"' in forged.text
    # htmx asks for the block alone.
    block = await client.get(
        f"/{tribunal.slug}/payments/{payment.id}/return", headers={"HX-Request": "true"}
    )
    assert block.text.lstrip().startswith("{#") is False
    assert "<html" not in block.text
    assert 'id="payment-outcome"' in block.text
    payment = await the_payment(db, case)
    assert payment.state is PaymentState.PENDING
    assert await count(db, Receipt) == 0
    await db.refresh(case.filing)
    assert case.filing.awaiting_payment is True


async def test_an_amount_sent_by_the_client_is_ignored(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    response = await pay_now(client, tribunal, case, amount="1.00", amount_cents="100")
    assert response.status_code == 303
    payment = await the_payment(db, case)
    checkout = (await db.scalars(select(SandboxCheckout))).one()
    assert payment.amount_cents == checkout.amount_cents == 5000


async def test_a_second_click_or_tab_resumes_the_same_checkout(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    first = await to_sandbox(client, tribunal, case)
    # The fee page now offers to continue.
    assert "Continue your payment" in text_of(await client.get(fee_url(tribunal, case)))
    second = await to_sandbox(client, tribunal, case)
    assert second == first
    assert await count(db, Payment) == 1
    assert await count(db, SandboxCheckout) == 1
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.PAYMENT_STARTED) == 1


class Unreachable:
    """A provider that does not answer."""

    name = "sandbox"

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        raise ProviderUnavailableError("down")

    async def retrieve(self, reference: str) -> CheckoutState:
        raise ProviderUnavailableError("down")


async def test_a_provider_that_does_not_answer_leaves_a_resumable_attempt(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette
) -> None:
    tribunal, claimant, case = await charged_scene(db, language="fr")
    await as_user(client, claimant)
    working = app.state.payment_providers
    app.state.payment_providers = lambda _db: Unreachable()
    down = await pay_now(client, tribunal, case)
    assert down.status_code == 503
    assert french("The payment service is not answering") in text_of(down)
    payment = await the_payment(db, case)
    assert (payment.state, payment.provider_reference) == (PaymentState.CREATED, None)

    app.state.payment_providers = working
    page = await to_sandbox(client, tribunal, case)
    assert await count(db, Payment) == 1  # the same attempt, resumed
    payment = await the_payment(db, case)
    assert payment.state is PaymentState.PENDING
    assert page.endswith(str(payment.provider_reference))


# -- who may reach the pages --------------------------------------------------------------------


async def test_a_non_party_or_another_tribunal_gets_404(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    await to_sandbox(client, tribunal, case)
    payment = await the_payment(db, case)
    return_url = f"/{tribunal.slug}/payments/{payment.id}/return"

    stranger = await make_user(db)
    await as_user(client, stranger)
    assert (await client.get(fee_url(tribunal, case))).status_code == 404
    assert (await pay_now(client, tribunal, case)).status_code == 404
    assert (await client.get(return_url)).status_code == 404

    other = await make_tribunal(db)
    other_clerk = await make_staff(db, other, Role.CLERK)
    await as_user(client, other_clerk)
    assert (await client.get(f"/{other.slug}/payments/{payment.id}/return")).status_code == 404
    assert (await client.get(f"/{other.slug}/cases/{case.filing.id}/fee")).status_code == 404
    # The tribunal's own staff may look at the return page.
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await as_user(client, clerk)
    assert (await client.get(return_url)).status_code == 200
    assert await count(db, Payment) == 1


async def test_a_representative_may_pay(client: httpx.AsyncClient, db: AsyncSession) -> None:
    from filings.models import CaseParty, PartyRole
    from tribune.db import utcnow

    tribunal, _claimant, case = await charged_scene(db, representative="Rita Rep")
    representative = await make_user(db)
    party = (
        await db.scalars(
            select(CaseParty).where(
                CaseParty.filing_id == case.filing.id, CaseParty.role == PartyRole.REPRESENTATIVE
            )
        )
    ).one()
    party.user_id = representative.id
    party.joined_at = utcnow()
    await db.commit()
    await as_user(client, representative)
    returned = await pay_and_return(client, tribunal, case, SUCCEEDS)
    assert "Payment received" in text_of(returned)
    assert (await the_payment(db, case)).payer_id == representative.id
