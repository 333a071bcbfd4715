"""Paying a case's fee on the provider's hosted page.

An attempt is saved, and committed, before the provider is asked for a checkout, so that the
provider's answer and its notifications always find it. A fee has at most one open attempt
(the partial unique index `uq_payments_open_attempt`): a second click, a reload, a second
tab or a request that loses the race to insert resumes it, and the provider gives the same
checkout again for its idempotency key. An attempt changes state only through `settle`,
from what the provider answers when the server asks it (the return page, a verified
notification, the settling job), never from what the payer's browser says.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import access, lifecycle
from filings.cases import add_event
from filings.models import Filing
from payments.checkout import states
from payments.fees import services as fees
from payments.models import (
    FeeCharge,
    Payment,
    PaymentMethod,
    PaymentNotification,
    PaymentState,
    Receipt,
)
from payments.providers import (
    CheckoutRequest,
    CheckoutState,
    CheckoutStatus,
    Notification,
    PaymentProvider,
)
from payments.receipts import services as receipts
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import EarlyCommit, commit_early
from tribune.mail import Outbox

log = logging.getLogger("tribune.payments")

P = PaymentState
# A payment whose money was taken (some may have been given back since).
PAID = frozenset({P.SUCCEEDED, P.PARTLY_REFUNDED, P.REFUNDED})
# A payment that took nothing: the payer may try again.
UNPAID = frozenset({P.FAILED, P.CANCELLED, P.EXPIRED})
# Who pays a case's fee: the claimant, or the representative they authorised.
PAYER_ACTORS = frozenset({access.Actor.CLAIMANT, access.Actor.REPRESENTATIVE})
# The settling job first asks the provider this long after an attempt starts, then waits
# twice as long each time, up to MAX_CHECK_DELAY.
FIRST_CHECK = timedelta(minutes=2)
MAX_CHECK_DELAY = timedelta(minutes=30)
RETURN_PAGE = "payments:checkout:return"


# -- who may pay, and what there is -------------------------------------------------------------


async def payer_capacity(db: AsyncSession, filing: Filing, user: User) -> access.Actor | None:
    """Return the capacity in which `user` may pay the case's fee (the claimant, or their
    authorised representative), or None if they may not."""
    parties = await lifecycle.parties_of(db, filing)
    actors = access.actors_for(filing, user, set(), parties) & PAYER_ACTORS
    return access.acting_capacity(actors)


async def open_attempt(db: AsyncSession, charge: FeeCharge) -> Payment | None:
    """Return the fee's open attempt on the provider's page, or None."""
    return (
        await db.scalars(
            select(Payment).where(
                Payment.charge_id == charge.id,
                Payment.tribunal_id == charge.tribunal_id,
                Payment.state.in_(states.OPEN),
            )
        )
    ).first()


async def payment_of(db: AsyncSession, tribunal: Tribunal, payment_id: uuid.UUID) -> Payment | None:
    """Return a payment of the tribunal, or None (another tribunal's is None)."""
    return (
        await db.scalars(
            select(Payment).where(Payment.id == payment_id, Payment.tribunal_id == tribunal.id)
        )
    ).first()


async def receipts_of(db: AsyncSession, filing: Filing) -> list[Receipt]:
    """Return the case's receipts, oldest first."""
    return list(
        await db.scalars(
            select(Receipt)
            .where(Receipt.filing_id == filing.id, Receipt.tribunal_id == filing.tribunal_id)
            .order_by(Receipt.issued_at, Receipt.number)
        )
    )


async def receipt_of_payment(db: AsyncSession, payment: Payment) -> Receipt | None:
    return (
        await db.scalars(
            select(Receipt).where(
                Receipt.payment_id == payment.id,
                Receipt.tribunal_id == payment.tribunal_id,
                Receipt.refund_id.is_(None),
            )
        )
    ).first()


async def by_provider_reference(db: AsyncSession, provider: str, reference: str) -> Payment | None:
    """Return the payment a provider's checkout is for, or None."""
    if not reference:
        return None
    return (
        await db.scalars(
            select(Payment).where(
                Payment.provider == provider, Payment.provider_reference == reference
            )
        )
    ).first()


# -- starting or resuming a payment -------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """Where the payer goes after asking to pay: the provider's page (`hosted`), or the
    return page of a payment the provider is finishing or has settled."""

    payment: Payment
    hosted: bool


def return_urls(outbox: Outbox, tribunal: Tribunal, payment: Payment) -> tuple[str, str]:
    """Return the absolute addresses the provider sends the payer back to: paid, cancelled."""
    page = outbox.url(RETURN_PAGE, tribunal=tribunal.slug, payment_id=payment.id)
    return f"{page}?outcome=done", f"{page}?outcome=cancelled"


async def start_payment(
    db: AsyncSession,
    provider: PaymentProvider,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    charge: FeeCharge,
    *,
    payer: User,
    language: str,
    now: datetime,
    checkout_minutes: int,
) -> Attempt | None:
    """Return where to send the payer to pay what is left of the fee: the open attempt's
    checkout, or a new attempt's; None if nothing is left to pay.

    The amount is what is left to pay, never what a client says. An open attempt that has
    expired, or is for another amount than what is left (a waiver was granted meanwhile), is
    closed with the provider first. A new attempt is committed before the provider is asked.
    Raises ProviderUnavailableError if the provider does not answer: the attempt stays,
    to be resumed."""
    attempt = await open_attempt(db, charge)
    if attempt is not None:
        await open_checkout(db, provider, outbox, attempt, now)
        assert attempt.provider_reference is not None
        answer = await provider.retrieve(attempt.provider_reference)
        await apply(db, outbox, attempt, answer, now)
        if attempt.state in states.OPEN:
            if answer.status is CheckoutStatus.PROCESSING:
                return Attempt(attempt, hosted=False)  # paid; the bank has not answered
            outstanding = (await fees.balance_of(db, charge)).outstanding_cents
            if not _stale(attempt, outstanding, now):
                return Attempt(attempt, hosted=True)
            await apply(db, outbox, attempt, await provider.expire(attempt.provider_reference), now)
            if attempt.state in states.OPEN:
                return Attempt(attempt, hosted=False)
        elif attempt.state is P.SUCCEEDED:
            return Attempt(attempt, hosted=False)  # paid meanwhile: its receipt
    outstanding = (await fees.balance_of(db, charge)).outstanding_cents
    if outstanding <= 0:
        return None
    attempt = await _new_attempt(
        db, provider, charge, outstanding, payer, language, now, checkout_minutes
    )
    await commit_early(db, EarlyCommit.BEFORE_PROVIDER_CALL)
    await open_checkout(db, provider, outbox, attempt, now)
    return Attempt(attempt, hosted=attempt.state in states.OPEN)


def _stale(payment: Payment, outstanding: int, now: datetime) -> bool:
    expired = payment.expires_at is not None and payment.expires_at <= now
    return expired or payment.amount_cents != outstanding


async def _new_attempt(
    db: AsyncSession,
    provider: PaymentProvider,
    charge: FeeCharge,
    amount: int,
    payer: User,
    language: str,
    now: datetime,
    checkout_minutes: int,
) -> Payment:
    """Save a new attempt for the fee, or return the open one another request saved first."""
    payment_id = uuid.uuid4()
    payment = Payment(
        id=payment_id,
        tribunal_id=charge.tribunal_id,
        filing_id=charge.filing_id,
        charge_id=charge.id,
        amount_cents=amount,
        currency=charge.currency,
        provider=provider.name,
        method=PaymentMethod.CARD,
        state=P.CREATED,
        idempotency_key=f"payment-{payment_id}",
        expires_at=now + timedelta(minutes=checkout_minutes),
        language=language,
        payer_id=payer.id,
        next_check_at=now + FIRST_CHECK,
    )
    try:
        async with db.begin_nested():
            db.add(payment)
    except IntegrityError:
        # Another request saved the fee's open attempt first: this one resumes it.
        winner = await open_attempt(db, charge)
        if winner is None:
            raise
        return winner
    return payment


async def open_checkout(
    db: AsyncSession, provider: PaymentProvider, outbox: Outbox, payment: Payment, now: datetime
) -> None:
    """Give a saved attempt its checkout with the provider (once: the idempotency key makes a
    repeated call return the same checkout) and mark it pending. The caller has committed
    the attempt."""
    if payment.provider_reference:
        return
    tribunal = await db.get(Tribunal, payment.tribunal_id)
    filing = await db.get(Filing, payment.filing_id)
    charge = await db.get(FeeCharge, payment.charge_id)
    payer = await db.get(User, payment.payer_id) if payment.payer_id else None
    assert tribunal is not None
    assert filing is not None
    assert charge is not None
    success_url, cancel_url = return_urls(outbox, tribunal, payment)
    checkout = await provider.create_checkout(
        CheckoutRequest(
            idempotency_key=payment.idempotency_key,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            description=f"{filing.reference or ''} {charge.code}".strip(),
            client_reference=str(payment.id),
            account=str(tribunal.id),
            success_url=success_url,
            cancel_url=cancel_url,
            language=payment.language,
            customer_email=payer.email if payer else "",
            expires_at=payment.expires_at or now + timedelta(minutes=30),
        )
    )
    moved = await states.move(
        db,
        payment,
        P.PENDING,
        now,
        provider_reference=checkout.reference,
        checkout_url=checkout.url,
    )
    if moved:
        audit.record(
            db,
            AuditAction.PAYMENT_STARTED,
            actor_id=payment.payer_id,
            tribunal_id=payment.tribunal_id,
            subject_type="filing",
            subject_id=payment.filing_id,
            payment=str(payment.id),
            amount_cents=payment.amount_cents,
            provider=payment.provider,
        )


# -- settling: from what the provider says ------------------------------------------------------

_FAILURE_AUDIT = {
    P.FAILED: AuditAction.PAYMENT_FAILED,
    P.CANCELLED: AuditAction.PAYMENT_CANCELLED,
    P.EXPIRED: AuditAction.PAYMENT_EXPIRED,
}


async def settle(
    db: AsyncSession, provider: PaymentProvider, outbox: Outbox, payment: Payment, now: datetime
) -> None:
    """Ask the provider what became of an open payment and move it forward from its answer
    (the one way a payment settles). Raises ProviderUnavailableError if it does not answer."""
    if payment.state not in states.OPEN or not payment.provider_reference:
        return
    await apply(db, outbox, payment, await provider.retrieve(payment.provider_reference), now)


async def apply(
    db: AsyncSession, outbox: Outbox, payment: Payment, answer: CheckoutState, now: datetime
) -> None:
    """Move the payment forward from the provider's answer about its checkout, with what a
    payment that succeeds or fails brings (a receipt, a case event, an audit entry, an
    email). A second answer, or one handled at the same time elsewhere, changes nothing."""
    if (answer.client_reference and answer.client_reference != str(payment.id)) or (
        answer.amount_cents,
        answer.currency.upper(),
    ) != (payment.amount_cents, payment.currency.upper()):
        log.warning(
            "provider's checkout %s does not match payment %s", answer.reference, payment.id
        )
        return
    target = states.FROM_PROVIDER[answer.status]
    if target is P.PENDING:
        await states.move(db, payment, P.PENDING, now)
        return
    if target is P.SUCCEEDED:
        if await states.move(
            db, payment, P.SUCCEEDED, now, provider_payment_reference=answer.payment_reference
        ):
            await _succeeded(db, outbox, payment, now)
        return
    reason = (answer.failure_code or target.value)[:40]
    if await states.move(db, payment, target, now, failure_reason=reason):
        audit.record(
            db,
            _FAILURE_AUDIT[target],
            tribunal_id=payment.tribunal_id,
            subject_type="filing",
            subject_id=payment.filing_id,
            payment=str(payment.id),
            reason=reason,
        )


async def _succeeded(db: AsyncSession, outbox: Outbox, payment: Payment, now: datetime) -> None:
    tribunal = await db.get(Tribunal, payment.tribunal_id)
    filing = await db.get(Filing, payment.filing_id)
    charge = await db.get(FeeCharge, payment.charge_id)
    assert tribunal is not None
    assert filing is not None
    assert charge is not None
    receipt = await receipts.issue(db, tribunal, charge, payment)
    add_event(
        db,
        filing,
        "fee_paid",
        actor_id=payment.payer_id,
        occurred_at=now,
        details={"amount_cents": payment.amount_cents, "currency": payment.currency},
    )
    audit.record(
        db,
        AuditAction.PAYMENT_SUCCEEDED,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
        payment=str(payment.id),
        amount_cents=payment.amount_cents,
        receipt=receipts.receipt_label(tribunal, receipt),
    )
    await fees.refresh_awaiting_payment(db, filing, charge)
    payer = await db.get(User, payment.payer_id) if payment.payer_id else None
    if payer is not None:
        outbox.queue(
            db,
            to=payer.email,
            language=payment.language,
            template="payment_receipt",
            context={
                "name": payer.name,
                "tribunal": tribunal,
                "reference": filing.reference or "",
                "receipt": receipt,
                "label": receipts.receipt_label(tribunal, receipt),
                "url": outbox.url(
                    "payments:receipts:receipt", tribunal=tribunal.slug, receipt_id=receipt.id
                ),
            },
            tribunal_id=tribunal.id,
            case_id=filing.id,
        )


# -- notifications --------------------------------------------------------------------------------


async def handle_notification(
    db: AsyncSession,
    provider: PaymentProvider,
    outbox: Outbox,
    notification: Notification,
    now: datetime,
) -> str:
    """Act once on a verified notification: settle its payment by asking the provider.
    Return "settled", "duplicate" (already acted on) or "ignored" (no payment of ours).
    Raises ProviderUnavailableError if the provider does not answer: the caller answers
    with an error, so the provider sends it again."""
    record = PaymentNotification(
        provider=provider.name,
        notification_id=notification.id[:255],
        kind=notification.kind[:80],
        received_at=now,
    )
    try:
        async with db.begin_nested():
            db.add(record)
    except IntegrityError:
        return "duplicate"
    payment = await by_provider_reference(db, provider.name, notification.checkout_reference)
    if payment is None:
        return "ignored"
    record.payment_id = payment.id
    await settle(db, provider, outbox, payment, now)
    return "settled"


# -- the settling job ----------------------------------------------------------------------------


async def due_for_check(db: AsyncSession, now: datetime, limit: int = 100) -> list[Payment]:
    """Return open card payments the settling job should ask the provider about now."""
    return list(
        await db.scalars(
            select(Payment)
            .where(
                Payment.state.in_(states.OPEN),
                Payment.method == PaymentMethod.CARD,
                Payment.next_check_at <= now,
            )
            .order_by(Payment.next_check_at)
            .limit(limit)
        )
    )


async def check(
    db: AsyncSession, provider: PaymentProvider, outbox: Outbox, payment: Payment, now: datetime
) -> None:
    """Settle an open payment from the provider; past its expiry, close its checkout first.
    Still open after (the bank has not answered), it is asked again later, waiting twice as
    long each time. Raises ProviderUnavailableError if the provider does not answer."""
    if payment.state not in states.OPEN:
        return
    await open_checkout(db, provider, outbox, payment, now)
    assert payment.provider_reference is not None
    if payment.expires_at is not None and payment.expires_at <= now:
        answer = await provider.expire(payment.provider_reference)
    else:
        answer = await provider.retrieve(payment.provider_reference)
    await apply(db, outbox, payment, answer, now)
    if payment.state in states.OPEN:
        await later(db, payment, now)


async def later(db: AsyncSession, payment: Payment, now: datetime) -> None:
    """Ask the provider about an open payment again later: 2, 4, 8... up to 30 minutes, and
    no later than its expiry."""
    checks = payment.checks + 1
    next_check = now + min(FIRST_CHECK * 2 ** (checks - 1), MAX_CHECK_DELAY)
    if payment.expires_at is not None and now < payment.expires_at < next_check:
        next_check = payment.expires_at
    await db.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.state.in_(states.OPEN))
        .values(checks=checks, next_check_at=next_check)
        .execution_options(synchronize_session=False)
    )
    payment.checks, payment.next_check_at = checks, next_check
