"""The sandbox payment provider's own books: checkouts paid with test cards, refunds, and the
signed notifications it sends the platform.

It stands for a real provider, so it keeps its records apart from the platform's ledger and
the platform reads them only through `payments.providers.sandbox`. Its test cards:

| card number         | what happens                                                 |
|---------------------|--------------------------------------------------------------|
| 4242 4242 4242 4242 | paid at once                                                 |
| 4000 0000 0000 0002 | declined                                                     |
| 4000 0000 0000 9995 | declined: insufficient funds                                 |
| 4000 0027 6000 3184 | asks for a confirmation step, then paid (or failed if refused) |
| 4000 0000 0000 0077 | accepted, paid only later (`TRIBUNE_SANDBOX_LATE_SECONDS`)   |

Each notification is sent twice (the copy 30 seconds later), and those of a late payment may
arrive in either order: the platform must act once, and never backwards.
"""

from __future__ import annotations

import enum
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payments.models import (
    SandboxCheckout,
    SandboxCheckoutStatus,
    SandboxNotification,
    SandboxRefund,
)

S = SandboxCheckoutStatus
DUPLICATE_AFTER = timedelta(seconds=30)


class TestCard(enum.Enum):
    """What a test card does on the hosted page."""

    SUCCEEDS = "4242424242424242"
    DECLINED = "4000000000000002"
    INSUFFICIENT_FUNDS = "4000000000009995"
    CONFIRMATION = "4000002760003184"
    LATE = "4000000000000077"


def card_of(number: str) -> TestCard | None:
    """Return the test card a typed number is (spaces and dashes allowed), or None."""
    digits = number.replace(" ", "").replace("-", "")
    try:
        return TestCard(digits)
    except ValueError:
        return None


def _reference(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


# -- checkouts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCheckout:
    account: str
    idempotency_key: str
    amount_cents: int
    currency: str
    description: str
    client_reference: str
    success_url: str
    cancel_url: str
    language: str
    expires_at: datetime


async def create_checkout(db: AsyncSession, new: NewCheckout) -> SandboxCheckout:
    """Return the checkout of the idempotency key, creating it the first time (a second
    request with the same key, even at the same instant, gets the same checkout)."""
    existing = await _by_key(db, new.idempotency_key)
    if existing is not None:
        return existing
    checkout = SandboxCheckout(
        account=new.account,
        idempotency_key=new.idempotency_key,
        amount_cents=new.amount_cents,
        currency=new.currency,
        description=new.description[:200],
        client_reference=new.client_reference,
        success_url=new.success_url,
        cancel_url=new.cancel_url,
        language=new.language,
        payment_reference=_reference("sbpay"),
        expires_at=new.expires_at,
    )
    try:
        async with db.begin_nested():
            db.add(checkout)
    except IntegrityError:
        found = await _by_key(db, new.idempotency_key)
        if found is None:
            raise
        return found
    return checkout


async def _by_key(db: AsyncSession, key: str) -> SandboxCheckout | None:
    return (
        await db.scalars(select(SandboxCheckout).where(SandboxCheckout.idempotency_key == key))
    ).first()


async def checkout_of(db: AsyncSession, checkout_id: uuid.UUID | str) -> SandboxCheckout | None:
    """Return a checkout by its id, or None."""
    try:
        key = checkout_id if isinstance(checkout_id, uuid.UUID) else uuid.UUID(str(checkout_id))
    except ValueError:
        return None
    return await db.get(SandboxCheckout, key)


def is_payable(checkout: SandboxCheckout, now: datetime) -> bool:
    return checkout.status is S.OPEN and checkout.expires_at > now


async def pay(
    db: AsyncSession, checkout: SandboxCheckout, card: TestCard, now: datetime, late: timedelta
) -> None:
    """Pay an open checkout with a test card: paid, declined, a confirmation step, or a
    payment the bank confirms after `late`."""
    if not is_payable(checkout, now):
        return
    checkout.card_last4 = card.value[-4:]
    if card is TestCard.SUCCEEDS:
        _mark_paid(db, checkout, now)
    elif card is TestCard.DECLINED:
        _mark_failed(db, checkout, "card_declined", now)
    elif card is TestCard.INSUFFICIENT_FUNDS:
        _mark_failed(db, checkout, "insufficient_funds", now)
    elif card is TestCard.CONFIRMATION:
        checkout.status = S.CONFIRMING
    else:
        checkout.status = S.PROCESSING
        checkout.settles_at = now + late
        # The bank's "processing" and its later answer may reach the platform in any order.
        notify(db, checkout, "checkout.processing", now, delay=late / 2)


async def confirm(
    db: AsyncSession, checkout: SandboxCheckout, approve: bool, now: datetime
) -> None:
    """The payer's answer to the confirmation step."""
    if checkout.status is not S.CONFIRMING:
        return
    if approve:
        _mark_paid(db, checkout, now)
    else:
        _mark_failed(db, checkout, "authentication_failed", now)


async def cancel(db: AsyncSession, checkout: SandboxCheckout, now: datetime) -> None:
    """The payer gave up on the hosted page."""
    if checkout.status in (S.OPEN, S.CONFIRMING):
        checkout.status = S.CANCELLED
        notify(db, checkout, "checkout.cancelled", now)


async def expire(db: AsyncSession, checkout: SandboxCheckout, now: datetime) -> None:
    """Close a checkout nobody finished (asked by the platform, or past its expiry)."""
    if checkout.status in (S.OPEN, S.CONFIRMING):
        checkout.status = S.EXPIRED
        notify(db, checkout, "checkout.expired", now)


async def settle_due(db: AsyncSession, now: datetime) -> int:
    """Give the bank's answer to late payments whose time has come, and expire checkouts past
    their expiry; return how many changed."""
    changed = 0
    for checkout in await db.scalars(
        select(SandboxCheckout)
        .where(SandboxCheckout.status == S.PROCESSING, SandboxCheckout.settles_at <= now)
        .limit(500)
    ):
        _mark_paid(db, checkout, now)
        changed += 1
    for checkout in await db.scalars(
        select(SandboxCheckout)
        .where(
            SandboxCheckout.status.in_((S.OPEN, S.CONFIRMING)), SandboxCheckout.expires_at <= now
        )
        .limit(500)
    ):
        await expire(db, checkout, now)
        changed += 1
    return changed


def _mark_paid(db: AsyncSession, checkout: SandboxCheckout, now: datetime) -> None:
    checkout.status = S.PAID
    checkout.paid_at = now
    notify(db, checkout, "checkout.paid", now)


def _mark_failed(db: AsyncSession, checkout: SandboxCheckout, code: str, now: datetime) -> None:
    checkout.status = S.FAILED
    checkout.failure_code = code
    notify(db, checkout, "checkout.failed", now)


# -- refunds --------------------------------------------------------------------------------------


class RefundDeclined(Exception):  # noqa: N818 - reads as what happened
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def refund(
    db: AsyncSession, checkout: SandboxCheckout, idempotency_key: str, amount_cents: int
) -> SandboxRefund:
    """Refund part of a paid checkout once per idempotency key; raise RefundDeclined if it is
    not paid or the amount is more than what is left of it."""
    existing = (
        await db.scalars(
            select(SandboxRefund).where(SandboxRefund.idempotency_key == idempotency_key)
        )
    ).first()
    if existing is not None:
        return existing
    if checkout.status is not S.PAID:
        raise RefundDeclined("charge_not_paid")
    refunded = (
        await db.execute(
            select(func.coalesce(func.sum(SandboxRefund.amount_cents), 0)).where(
                SandboxRefund.checkout_id == checkout.id
            )
        )
    ).scalar_one()
    if amount_cents <= 0 or refunded + amount_cents > checkout.amount_cents:
        raise RefundDeclined("amount_too_large")
    made = SandboxRefund(
        account=checkout.account,
        checkout_id=checkout.id,
        idempotency_key=idempotency_key,
        amount_cents=amount_cents,
        refund_reference=_reference("sbref"),
    )
    db.add(made)
    return made


# -- the books, for reconciliation ----------------------------------------------------------------


async def paid_between(
    db: AsyncSession, account: str, start: datetime, end: datetime
) -> list[SandboxCheckout]:
    return list(
        await db.scalars(
            select(SandboxCheckout)
            .where(
                SandboxCheckout.account == account,
                SandboxCheckout.paid_at >= start,
                SandboxCheckout.paid_at < end,
            )
            .order_by(SandboxCheckout.paid_at)
        )
    )


async def refunds_between(
    db: AsyncSession, account: str, start: datetime, end: datetime
) -> list[tuple[SandboxRefund, SandboxCheckout]]:
    rows = await db.execute(
        select(SandboxRefund, SandboxCheckout)
        .join(SandboxCheckout, SandboxCheckout.id == SandboxRefund.checkout_id)
        .where(
            SandboxRefund.account == account,
            SandboxRefund.created_at >= start,
            SandboxRefund.created_at < end,
        )
        .order_by(SandboxRefund.created_at)
    )
    return [(row[0], row[1]) for row in rows]


# -- notifications --------------------------------------------------------------------------------


def notify(
    db: AsyncSession,
    checkout: SandboxCheckout,
    kind: str,
    now: datetime,
    *,
    delay: timedelta = timedelta(0),
) -> str:
    """Queue a notification about a checkout, twice (the copy later); return its id."""
    event_id = _reference("sbevt")
    body = json.dumps(
        {
            "id": event_id,
            "type": kind,
            "created": int(now.timestamp()),
            "data": {"checkout": str(checkout.id), "client_reference": checkout.client_reference},
        },
        separators=(",", ":"),
    )
    for after in (delay, delay + DUPLICATE_AFTER):
        db.add(SandboxNotification(event_id=event_id, body=body, deliver_after=now + after))
    return event_id


async def due_notifications(
    db: AsyncSession, now: datetime, limit: int = 100
) -> list[SandboxNotification]:
    """Return notifications to deliver now: not delivered yet, or failed fewer than 10 times
    (retried with the attempts' backoff)."""
    return list(
        await db.scalars(
            select(SandboxNotification)
            .where(
                SandboxNotification.delivered_at.is_(None),
                SandboxNotification.deliver_after <= now,
                SandboxNotification.attempts < 10,
            )
            .order_by(SandboxNotification.deliver_after)
            .limit(limit)
        )
    )
