"""Refunds, and payments the registry takes at the counter or by cheque.

A refund reserves its amount on the payment when it is asked for (`Payment.refunded_cents`,
by a conditional update that also checks the refundable amount the clerk saw), so that two
refunds asked for at once cannot together exceed the payment: the second is refused. Above
the tribunal's threshold, a second member of staff approves it first. It then goes through
the provider (a card payment) or is made by the registry (cash or cheque), gets a receipt,
and is a case event and an audit entry. A refund that fails, or is not approved, gives its
reservation back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import lifecycle
from filings.cases import add_event
from filings.models import CaseParty, Filing, PartyRole
from payments.checkout import states
from payments.fees import services as fees
from payments.models import (
    FeeCharge,
    Payment,
    PaymentMethod,
    PaymentSettings,
    PaymentState,
    Receipt,
    Refund,
    RefundState,
)
from payments.providers import PaymentProvider, ProviderUnavailableError, RefundRequest
from payments.receipts import services as receipts
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.i18n import gettext as _
from tribune.mail import Outbox

REGISTRY = "registry"  # the provider of counter and cheque payments: the registry itself
REFUNDABLE_STATES = (PaymentState.SUCCEEDED, PaymentState.PARTLY_REFUNDED)


class RefundRefused(Exception):  # noqa: N818 - reads as what happened
    """The refund cannot be made as asked (the message says why, translated); nothing changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def refundable_cents(payment: Payment) -> int:
    """What can still be refunded on a payment (nothing unless its money was taken)."""
    if payment.state not in REFUNDABLE_STATES:
        return 0
    return payment.amount_cents - payment.refunded_cents


async def payment_of(db: AsyncSession, filing: Filing, payment_id: uuid.UUID) -> Payment | None:
    """Return a payment of the case, or None (another case's or tribunal's is None)."""
    return (
        await db.scalars(
            select(Payment).where(
                Payment.id == payment_id,
                Payment.filing_id == filing.id,
                Payment.tribunal_id == filing.tribunal_id,
            )
        )
    ).first()


async def refund_of(db: AsyncSession, tribunal: Tribunal, refund_id: uuid.UUID) -> Refund | None:
    return (
        await db.scalars(
            select(Refund).where(Refund.id == refund_id, Refund.tribunal_id == tribunal.id)
        )
    ).first()


async def _reserve(db: AsyncSession, payment: Payment, amount: int, seen_refundable: int) -> None:
    """Take `amount` of the payment's refundable amount, if it is still what the clerk saw
    and covers it; raise RefundRefused otherwise."""
    if amount <= 0:
        raise RefundRefused(_("Enter an amount to refund greater than zero."))
    taken = await db.execute(
        update(Payment)
        .where(
            Payment.id == payment.id,
            Payment.state.in_(REFUNDABLE_STATES),
            Payment.amount_cents - Payment.refunded_cents == seen_refundable,
            Payment.refunded_cents + amount <= Payment.amount_cents,
        )
        .values(refunded_cents=Payment.refunded_cents + amount)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        await db.refresh(payment)
        if refundable_cents(payment) != seen_refundable:
            raise RefundRefused(
                _(
                    "Another refund of this payment was made while you were on this page. "
                    "Check what can still be refunded and try again."
                )
            )
        raise RefundRefused(_("You cannot refund more than what is left of this payment."))
    await db.refresh(payment)


async def _release(db: AsyncSession, payment: Payment, amount: int) -> None:
    await db.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(refunded_cents=Payment.refunded_cents - amount)
        .execution_options(synchronize_session=False)
    )
    await db.refresh(payment)


def _needs_approval(settings: PaymentSettings, amount: int) -> bool:
    threshold = settings.refund_approval_above_cents
    return threshold is not None and amount > threshold


@dataclass(frozen=True)
class RefundValues:
    amount_cents: int
    reason: str
    seen_refundable_cents: int


async def request_refund(
    db: AsyncSession,
    tribunal: Tribunal,
    payment: Payment,
    values: RefundValues,
    settings: PaymentSettings,
    *,
    actor: User,
) -> Refund:
    """Ask for a refund of part or all of a payment: reserved at once, then waiting for a
    second person's approval (above the tribunal's threshold) or ready to be made (`make`)."""
    if not values.reason.strip():
        raise RefundRefused(_("Give the reason for the refund."))
    await _reserve(db, payment, values.amount_cents, values.seen_refundable_cents)
    waits = _needs_approval(settings, values.amount_cents)
    refund_id = uuid.uuid4()
    refund = Refund(
        id=refund_id,
        tribunal_id=tribunal.id,
        filing_id=payment.filing_id,
        payment_id=payment.id,
        amount_cents=values.amount_cents,
        currency=payment.currency,
        reason=values.reason.strip(),
        state=RefundState.AWAITING_APPROVAL if waits else RefundState.PENDING,
        idempotency_key=f"refund-{refund_id}",
        requested_by_id=actor.id,
    )
    db.add(refund)
    _audit(db, AuditAction.REFUND_REQUESTED, tribunal, refund, actor, awaits_approval=waits)
    return refund


async def approve(
    db: AsyncSession, tribunal: Tribunal, refund: Refund, payment: Payment, *, actor: User
) -> None:
    """A second member of staff approves a refund above the threshold (or confirms one a fee
    waiver proposed); it is then ready to be made."""
    if refund.state is RefundState.PROPOSED:
        await _reserve(db, payment, refund.amount_cents, refundable_cents(payment))
    elif refund.state is not RefundState.AWAITING_APPROVAL:
        raise RefundRefused(_("This refund was already decided."))
    elif refund.requested_by_id == actor.id:
        raise RefundRefused(
            _("Another member of staff must approve this refund: you asked for it.")
        )
    await _decide(db, refund, RefundState.PENDING, actor)
    _audit(db, AuditAction.REFUND_APPROVED, tribunal, refund, actor)


async def reject(
    db: AsyncSession, tribunal: Tribunal, refund: Refund, payment: Payment, *, actor: User
) -> None:
    """Do not make a refund waiting for approval, or a proposed one; its reservation goes."""
    previous = refund.state
    if previous not in (RefundState.AWAITING_APPROVAL, RefundState.PROPOSED):
        raise RefundRefused(_("This refund was already decided."))
    await _decide(db, refund, RefundState.REJECTED, actor)
    if previous is RefundState.AWAITING_APPROVAL:
        await _release(db, payment, refund.amount_cents)
    _audit(db, AuditAction.REFUND_REJECTED, tribunal, refund, actor)


async def _decide(db: AsyncSession, refund: Refund, target: RefundState, actor: User) -> None:
    now = utcnow()
    decided = await db.execute(
        update(Refund)
        .where(Refund.id == refund.id, Refund.state == refund.state)
        .values(state=target, decided_by_id=actor.id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        raise RefundRefused(_("This refund was already decided."))
    refund.state, refund.decided_by_id, refund.decided_at = target, actor.id, now


async def make(
    db: AsyncSession,
    tribunal: Tribunal,
    provider: PaymentProvider,
    refund: Refund,
    payment: Payment,
    charge: FeeCharge,
    filing: Filing,
    now: datetime,
    outbox: Outbox,
) -> Receipt | None:
    """Make a refund that is ready: through the provider for a card payment, by the registry
    for cash or a cheque. Return its receipt, or None if it failed (its reservation goes back)
    or the provider did not answer (it stays ready, to be tried again).

    The caller has committed the refund: the provider is called with its idempotency key, so
    a second try never refunds twice."""
    if refund.state is not RefundState.PENDING:
        return None
    if payment.provider == REGISTRY:
        provider_reference = ""
    else:
        try:
            result = await provider.refund(
                RefundRequest(
                    idempotency_key=refund.idempotency_key,
                    checkout_reference=payment.provider_reference or "",
                    payment_reference=payment.provider_payment_reference,
                    amount_cents=refund.amount_cents,
                    currency=refund.currency,
                    account=str(tribunal.id),
                    client_reference=str(refund.id),
                )
            )
        except ProviderUnavailableError:
            return None
        if not result.succeeded:
            refund.state = RefundState.FAILED
            refund.failure_reason = result.failure_code[:40]
            refund.settled_at = now
            await _release(db, payment, refund.amount_cents)
            _audit(db, AuditAction.REFUND_FAILED, tribunal, refund, None)
            return None
        provider_reference = result.reference
    refund.state = RefundState.SUCCEEDED
    refund.provider_reference = provider_reference
    refund.settled_at = now
    fully = payment.refunded_cents >= payment.amount_cents
    await states.move(
        db, payment, PaymentState.REFUNDED if fully else PaymentState.PARTLY_REFUNDED, now
    )
    receipt = await receipts.issue(db, tribunal, charge, payment, refund)
    add_event(
        db,
        filing,
        "fee_refunded",
        actor_id=refund.decided_by_id or refund.requested_by_id,
        occurred_at=now,
        details={"amount_cents": refund.amount_cents, "currency": refund.currency},
    )
    _audit(db, AuditAction.REFUND_SUCCEEDED, tribunal, refund, None)
    await fees.refresh_awaiting_payment(db, filing, charge)
    await email_receipt(db, outbox, tribunal, filing, receipt)
    return receipt


async def ready_to_make(db: AsyncSession, limit: int = 50) -> list[Refund]:
    """Refunds approved but not yet made (the provider did not answer): oldest first."""
    return list(
        await db.scalars(
            select(Refund)
            .where(Refund.state == RefundState.PENDING)
            .order_by(Refund.created_at)
            .limit(limit)
        )
    )


async def waiting(db: AsyncSession, tribunal: Tribunal) -> list[Refund]:
    """The tribunal's refunds waiting for a decision (approval, or a proposal after a fee
    waiver), oldest first."""
    return list(
        await db.scalars(
            select(Refund)
            .where(
                Refund.tribunal_id == tribunal.id,
                Refund.state.in_((RefundState.AWAITING_APPROVAL, RefundState.PROPOSED)),
            )
            .order_by(Refund.created_at)
        )
    )


def _audit(
    db: AsyncSession,
    action: AuditAction,
    tribunal: Tribunal,
    refund: Refund,
    actor: User | None,
    **details: Any,
) -> None:
    audit.record(
        db,
        action,
        actor_id=actor.id if actor else None,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=refund.filing_id,
        refund=str(refund.id),
        amount_cents=refund.amount_cents,
        **details,
    )


# -- the receipt by email ------------------------------------------------------------------------


async def payers_of(db: AsyncSession, filing: Filing) -> list[CaseParty]:
    """The claimant and whoever is authorised to act for them, with an email address: who
    pays the fee, and who is sent its receipts."""
    parties = await lifecycle.parties_of(db, filing)
    claimants = {party.id for party in parties if party.role is PartyRole.CLAIMANT}
    paying = [
        party
        for party in parties
        if party.role is PartyRole.CLAIMANT
        or (party.role is PartyRole.REPRESENTATIVE and party.represents_id in claimants)
    ]
    return lifecycle.parties_to_write_to(paying)


async def email_receipt(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    receipt: Receipt,
) -> None:
    """Send a receipt of the registry (a counter or cheque payment, or a refund) to the
    payer, in the receipt's language."""
    for party in await payers_of(db, filing):
        outbox.queue(
            db,
            to=party.email,
            language=receipt.language,
            template="registry_receipt",
            context={
                "name": party.name,
                "tribunal": tribunal,
                "reference": filing.reference,
                "receipt": receipt,
                "number": receipts.receipt_label(tribunal, receipt),
                "url": outbox.url(
                    "payments:receipts:receipt", tribunal=tribunal.slug, receipt_id=receipt.id
                ),
            },
            tribunal_id=tribunal.id,
            case_id=filing.id,
        )


# -- payments taken by the registry -------------------------------------------------------------


@dataclass(frozen=True)
class CounterPayment:
    amount_cents: int
    method: PaymentMethod  # COUNTER or CHEQUE
    cheque_number: str
    seen_outstanding_cents: int


async def record_payment(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    charge: FeeCharge,
    values: CounterPayment,
    *,
    actor: User,
    language: str,
    now: datetime,
    outbox: Outbox,
) -> Receipt:
    """Record a payment taken at the counter or by cheque, with its receipt. Raises
    RefundRefused if the amount is more than what is left to pay, or if what is left to pay
    changed since the clerk's page was shown (someone recorded it meanwhile)."""
    balance = await fees.balance_of(db, charge)
    if balance.outstanding_cents != values.seen_outstanding_cents:
        raise RefundRefused(
            _(
                "What is left to pay on this case changed while you were on this page. "
                "Check the case and try again."
            )
        )
    if values.amount_cents <= 0:
        raise RefundRefused(_("Enter an amount greater than zero."))
    if values.amount_cents > balance.outstanding_cents:
        raise RefundRefused(_("The amount is more than what is left to pay on this case."))
    payment_id = uuid.uuid4()
    payment = Payment(
        id=payment_id,
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        charge_id=charge.id,
        amount_cents=values.amount_cents,
        currency=charge.currency,
        provider=REGISTRY,
        method=values.method,
        state=PaymentState.SUCCEEDED,
        idempotency_key=f"counter-{payment_id}",
        provider_payment_reference=values.cheque_number,
        cheque_number=values.cheque_number,
        language=language,
        settled_at=now,
        recorded_by_id=actor.id,
    )
    db.add(payment)
    await db.flush()
    receipt = await receipts.issue(db, tribunal, charge, payment)
    add_event(
        db,
        filing,
        "fee_payment_recorded",
        actor_id=actor.id,
        occurred_at=now,
        details={"amount_cents": values.amount_cents, "method": values.method.value},
    )
    audit.record(
        db,
        AuditAction.PAYMENT_RECORDED,
        actor_id=actor.id,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
        payment=str(payment.id),
        amount_cents=values.amount_cents,
        method=values.method.value,
    )
    await fees.refresh_awaiting_payment(db, filing, charge)
    await email_receipt(db, outbox, tribunal, filing, receipt)
    return receipt
