"""Receipts: one for every successful payment and every refund made, numbered without gaps
per tribunal and year (the year in the tribunal's zone), in the payer's language.

The number is taken from `ReceiptCounter` in the caller's transaction, which holds the
counter's row until it ends: a rolled-back payment gives its number back.
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from payments.models import FeeCharge, Payment, Receipt, ReceiptCounter, ReceiptKind, Refund
from tribunals.models import Tribunal
from tribune.db import utcnow


async def next_receipt_number(db: AsyncSession, tribunal_id: uuid.UUID, year: int) -> int:
    """Return the next receipt number of the tribunal's year, in the caller's transaction."""
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ReceiptCounter)
        .values(tribunal_id=tribunal_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[ReceiptCounter.tribunal_id, ReceiptCounter.year],
            set_={"last_number": ReceiptCounter.last_number + 1},
        )
        .returning(ReceiptCounter.last_number)
    )
    return int((await db.execute(statement)).scalar_one())


def receipt_label(tribunal: Tribunal, receipt: Receipt) -> str:
    """The receipt's number as printed: WCAT-R-2026-000042."""
    return f"{tribunal.reference_prefix}-R-{receipt.year}-{receipt.number:06d}"


async def issue(
    db: AsyncSession,
    tribunal: Tribunal,
    charge: FeeCharge,
    payment: Payment,
    refund: Refund | None = None,
) -> Receipt:
    """Return the receipt of a successful payment (or of a refund made on it), issuing it the
    first time: a payment or refund never gets two."""
    kind = ReceiptKind.REFUND if refund is not None else ReceiptKind.PAYMENT
    existing = (
        await db.scalars(
            select(Receipt).where(
                Receipt.payment_id == payment.id,
                Receipt.kind == kind,
                Receipt.refund_id == refund.id
                if refund is not None
                else Receipt.refund_id.is_(None),
            )
        )
    ).first()
    if existing is not None:
        return existing
    now = utcnow()
    year = now.astimezone(ZoneInfo(tribunal.time_zone)).year
    receipt = Receipt(
        tribunal_id=tribunal.id,
        filing_id=payment.filing_id,
        payment_id=payment.id,
        refund_id=refund.id if refund is not None else None,
        kind=kind,
        year=year,
        number=await next_receipt_number(db, tribunal.id, year),
        amount_cents=refund.amount_cents if refund is not None else payment.amount_cents,
        currency=payment.currency,
        fee_code=charge.code,
        method=payment.method,
        provider_reference=(
            refund.provider_reference if refund is not None else payment.provider_payment_reference
        ),
        issued_at=now,
        language=payment.language,
    )
    db.add(receipt)
    return receipt
