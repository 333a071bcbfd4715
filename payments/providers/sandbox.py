"""The sandbox provider: the platform's own hosted payment page (`payments.sandbox`), read and
written through this adapter as a real provider would be through its API.

It works in the caller's database session, so it answers within the caller's transaction;
its books are still its own tables, which the platform's ledger never reads directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from payments.models import SandboxCheckout, SandboxCheckoutStatus
from payments.providers import (
    Checkout,
    CheckoutRequest,
    CheckoutState,
    CheckoutStatus,
    Notification,
    NotificationRejectedError,
    ProviderUnavailableError,
    RefundRequest,
    RefundResult,
    Transaction,
    TransactionKind,
)
from payments.providers.signatures import verify
from payments.sandbox import services as sandbox
from tribune.db import utcnow

SIGNATURE_HEADER = "sandbox-signature"
MAX_NOTIFICATION_BYTES = 64 * 1024

_STATUSES = {
    SandboxCheckoutStatus.OPEN: CheckoutStatus.OPEN,
    SandboxCheckoutStatus.CONFIRMING: CheckoutStatus.OPEN,
    SandboxCheckoutStatus.PROCESSING: CheckoutStatus.PROCESSING,
    SandboxCheckoutStatus.PAID: CheckoutStatus.PAID,
    SandboxCheckoutStatus.FAILED: CheckoutStatus.FAILED,
    SandboxCheckoutStatus.CANCELLED: CheckoutStatus.CANCELLED,
    SandboxCheckoutStatus.EXPIRED: CheckoutStatus.EXPIRED,
}


class SandboxProvider:
    name = "sandbox"

    def __init__(self, db: AsyncSession, *, secret: str, page_url: str) -> None:
        self.db = db
        self.secret = secret
        # The hosted page's address, with "{checkout}" where the checkout's id goes.
        self.page_url = page_url

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        checkout = await sandbox.create_checkout(
            self.db,
            sandbox.NewCheckout(
                account=request.account,
                idempotency_key=request.idempotency_key,
                amount_cents=request.amount_cents,
                currency=request.currency,
                description=request.description,
                client_reference=request.client_reference,
                success_url=request.success_url,
                cancel_url=request.cancel_url,
                language=request.language,
                expires_at=request.expires_at,
            ),
        )
        return Checkout(
            reference=str(checkout.id),
            url=self.page_url.replace("{checkout}", str(checkout.id)),
            expires_at=checkout.expires_at,
        )

    async def _checkout(self, reference: str) -> SandboxCheckout:
        checkout = await sandbox.checkout_of(self.db, reference)
        if checkout is None:
            raise ProviderUnavailableError(f"no such checkout: {reference}")
        return checkout

    async def retrieve(self, reference: str) -> CheckoutState:
        return _state(await self._checkout(reference))

    async def expire(self, reference: str) -> CheckoutState:
        checkout = await self._checkout(reference)
        await sandbox.expire(self.db, checkout, utcnow())
        return _state(checkout)

    async def refund(self, request: RefundRequest) -> RefundResult:
        checkout = await self._checkout(request.checkout_reference)
        try:
            made = await sandbox.refund(
                self.db, checkout, request.idempotency_key, request.amount_cents
            )
        except sandbox.RefundDeclined as declined:
            return RefundResult(reference="", succeeded=False, failure_code=declined.code)
        return RefundResult(reference=made.refund_reference, succeeded=True)

    async def transactions(self, account: str, start: datetime, end: datetime) -> list[Transaction]:
        found = [
            Transaction(
                kind=TransactionKind.PAYMENT,
                reference=checkout.payment_reference,
                client_reference=checkout.client_reference,
                amount_cents=checkout.amount_cents,
                currency=checkout.currency,
                occurred_at=checkout.paid_at or checkout.created_at,
            )
            for checkout in await sandbox.paid_between(self.db, account, start, end)
        ]
        found += [
            Transaction(
                kind=TransactionKind.REFUND,
                reference=made.refund_reference,
                client_reference=made.idempotency_key,
                amount_cents=made.amount_cents,
                currency=checkout.currency,
                occurred_at=made.created_at,
            )
            for made, checkout in await sandbox.refunds_between(self.db, account, start, end)
        ]
        return found

    def verify_notification(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> Notification:
        if len(body) > MAX_NOTIFICATION_BYTES:
            raise NotificationRejectedError("too large")
        verify(self.secret, headers.get(SIGNATURE_HEADER), body, now)
        try:
            data = json.loads(body)
            return Notification(
                id=str(data["id"]),
                kind=str(data["type"]),
                checkout_reference=str(data["data"]["checkout"]),
            )
        except (ValueError, KeyError, TypeError):
            raise NotificationRejectedError("malformed body") from None


def _state(checkout: SandboxCheckout) -> CheckoutState:
    return CheckoutState(
        reference=str(checkout.id),
        client_reference=checkout.client_reference,
        status=_STATUSES[checkout.status],
        amount_cents=checkout.amount_cents,
        currency=checkout.currency,
        payment_reference=checkout.payment_reference
        if checkout.status is SandboxCheckoutStatus.PAID
        else "",
        failure_code=checkout.failure_code,
    )
