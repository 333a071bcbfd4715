"""Payment providers behind one interface, chosen by configuration (`TRIBUNE_PAYMENT_PROVIDER`).

A provider holds a checkout on its hosted page for a payment the platform saved first, tells
the platform what became of it when asked (`retrieve`), sends signed notifications that the
platform verifies and then confirms by asking again, refunds, and lists its transactions
for the daily reconciliation. Every call that creates something carries the idempotency key
the platform derived from its own record, so a repeated call never creates a second one.

- `sandbox` (`payments.providers.sandbox`): the platform's own hosted page with test cards.
- `stripe` (`payments.providers.stripe`): Stripe Checkout over its HTTPS API.

Calls are blocking for Stripe (`requests`) and run in worker threads; the sandbox uses the
database. Callers commit their own records before calling a provider: the provider's answer,
or its notification, must find them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ProviderUnavailableError(Exception):
    """The provider did not answer, or answered with an error: nothing is known to have
    happened, and the caller may try again with the same idempotency key."""


class NotificationRejectedError(Exception):
    """A notification is unsigned, forged, signed with another secret, stale or malformed."""


class CheckoutStatus(enum.Enum):
    """What a provider says of a checkout, in the platform's words."""

    OPEN = "open"  # the payer has not finished on the hosted page
    PROCESSING = "processing"  # paid, the bank has not confirmed yet
    PAID = "paid"
    FAILED = "failed"  # declined, or the bank refused it later
    CANCELLED = "cancelled"  # the payer gave up on the hosted page
    EXPIRED = "expired"


@dataclass(frozen=True)
class CheckoutRequest:
    idempotency_key: str
    amount_cents: int
    currency: str
    description: str
    client_reference: str  # the platform's payment id, echoed back
    account: str  # the tribunal the money is for (its id), kept with the provider's records
    success_url: str
    cancel_url: str
    language: str  # "en" or "fr"
    customer_email: str
    expires_at: datetime


@dataclass(frozen=True)
class Checkout:
    reference: str  # the provider's id of the checkout
    url: str  # its hosted page
    expires_at: datetime


@dataclass(frozen=True)
class CheckoutState:
    reference: str
    client_reference: str
    status: CheckoutStatus
    amount_cents: int
    currency: str
    payment_reference: str = ""  # the provider's id of the payment itself, once there is one
    failure_code: str = ""  # "card_declined", "insufficient_funds"...


@dataclass(frozen=True)
class RefundRequest:
    idempotency_key: str
    checkout_reference: str
    payment_reference: str
    amount_cents: int
    currency: str
    account: str
    client_reference: str  # the platform's refund id


@dataclass(frozen=True)
class RefundResult:
    reference: str
    succeeded: bool
    failure_code: str = ""


class TransactionKind(enum.Enum):
    PAYMENT = "payment"
    REFUND = "refund"


@dataclass(frozen=True)
class Transaction:
    """A payment or refund in the provider's books, for the reconciliation."""

    kind: TransactionKind
    reference: str  # the payment's or refund's id with the provider
    client_reference: str  # the platform's id, as given when it was created
    amount_cents: int
    currency: str
    occurred_at: datetime


@dataclass(frozen=True)
class Notification:
    """A verified notification: which checkout it is about. What it claims happened is not
    trusted: the platform asks the provider (`retrieve`) before changing anything."""

    id: str  # the same for every delivery of one notification
    kind: str
    checkout_reference: str


class PaymentProvider(Protocol):
    name: str

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Return the checkout for the request's idempotency key, creating it the first time."""
        ...

    async def retrieve(self, reference: str) -> CheckoutState:
        """Return what the provider says of a checkout now."""
        ...

    async def expire(self, reference: str) -> CheckoutState:
        """Close an open checkout so it can no longer be paid; return its state after."""
        ...

    async def refund(self, request: RefundRequest) -> RefundResult:
        """Refund part or all of a paid checkout, once per idempotency key."""
        ...

    async def transactions(self, account: str, start: datetime, end: datetime) -> list[Transaction]:
        """Return the account's payments and refunds made in [start, end)."""
        ...

    def verify_notification(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> Notification:
        """Return the notification if its signature over the raw body holds and it is
        recent; raise NotificationRejectedError otherwise."""
        ...
