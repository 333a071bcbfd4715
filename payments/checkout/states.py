"""The payment state machine: created → pending → succeeded | failed | cancelled | expired,
then partly or fully refunded. A state never moves backwards, and a settled payment
never becomes another settled state: a late or repeated answer changes nothing.

Every change goes through `move`, which is a conditional update (the state the caller read
must still be the row's), so that two answers handled at once (the return page and a
notification) change a payment once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from payments.models import Payment, PaymentState
from payments.providers import CheckoutStatus

P = PaymentState

# The states each state may move to.
ALLOWED: dict[PaymentState, frozenset[PaymentState]] = {
    P.CREATED: frozenset({P.PENDING, P.SUCCEEDED, P.FAILED, P.CANCELLED, P.EXPIRED}),
    P.PENDING: frozenset({P.SUCCEEDED, P.FAILED, P.CANCELLED, P.EXPIRED}),
    P.SUCCEEDED: frozenset({P.PARTLY_REFUNDED, P.REFUNDED}),
    P.PARTLY_REFUNDED: frozenset({P.REFUNDED}),
    P.FAILED: frozenset(),
    P.CANCELLED: frozenset(),
    P.EXPIRED: frozenset(),
    P.REFUNDED: frozenset(),
}
OPEN = frozenset({P.CREATED, P.PENDING})
SETTLED = frozenset({P.SUCCEEDED, P.FAILED, P.CANCELLED, P.EXPIRED})

# What the provider's answer means for a payment.
FROM_PROVIDER: dict[CheckoutStatus, PaymentState] = {
    CheckoutStatus.OPEN: P.PENDING,
    CheckoutStatus.PROCESSING: P.PENDING,
    CheckoutStatus.PAID: P.SUCCEEDED,
    CheckoutStatus.FAILED: P.FAILED,
    CheckoutStatus.CANCELLED: P.CANCELLED,
    CheckoutStatus.EXPIRED: P.EXPIRED,
}


def may_move(current: PaymentState, target: PaymentState) -> bool:
    return target in ALLOWED[current]


async def move(
    db: AsyncSession, payment: Payment, target: PaymentState, now: datetime, **values: object
) -> bool:
    """Move the payment to `target` with other column `values`; return False (nothing
    changed) if that is not a move forward from its state, or if another request moved it
    first."""
    current = payment.state
    if not may_move(current, target):
        return False
    changes: dict[str, object] = {"state": target, "updated_at": now, **values}
    if target in SETTLED:
        changes.setdefault("settled_at", now)
        changes["next_check_at"] = None
    moved = await db.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.state == current)
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        await db.refresh(payment)
        return False
    for key, value in changes.items():
        setattr(payment, key, value)
    return True
