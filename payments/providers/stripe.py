"""The Stripe provider: Stripe Checkout Sessions over Stripe's HTTPS API, with `requests`.

Every call is blocking and runs in a worker thread (`asyncio.to_thread`), with a connect
timeout of 5 s and a read timeout of 20 s. Bodies are form-encoded in Stripe's bracket
notation (``line_items[0][price_data][currency]=cad``), the secret key goes in the
``Authorization: Bearer`` header and never in a message or a log line, the API version is
pinned (``Stripe-Version``), and every POST carries an ``Idempotency-Key``: the platform's key
for a checkout or a refund, one derived from the checkout for an expiry. Stripe keeps the
first answer to a key and gives it again to a repeat, so a retried call never makes a second
session or refund.

A network error, a 5xx or a 429 raises `ProviderUnavailableError` (nothing is known to have
happened: try again with the same key); any other 4xx raises `StripeRequestError`, a kind of
it naming Stripe's error type and code (nothing happened either: Stripe refused the request).

References (Stripe's API reference): Checkout Sessions create, retrieve and expire; Refunds
create; listing PaymentIntents and Refunds with ``created[gte]``/``created[lt]`` and
``limit``/``starting_after`` while ``has_more``; idempotent requests; webhook signatures
(`payments.providers.signatures`); Checkout's ``locale`` values (``en``, ``fr-CA``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

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
from tribune.settings import PaymentProviderSettings

logger = logging.getLogger(__name__)

API_VERSION = "2024-06-20"
TIMEOUT = (5.0, 20.0)  # connect, read (seconds)
SIGNATURE_HEADER = "stripe-signature"
MAX_NOTIFICATION_BYTES = 256 * 1024
PAGE_SIZE = 100  # Stripe's largest page
MAX_PAGES = 1000  # a day of a tribunal is far below 100,000 records
LOCALES = {"fr": "fr-CA", "en": "en"}
# A declined refund, in Stripe's words: the refund is not made, the request is not retried.
REFUND_REFUSALS = {"amount_too_large", "charge_already_refunded", "charge_disputed"}
FAILED_INTENT = {"requires_payment_method", "canceled"}


class StripeRequestError(ProviderUnavailableError):
    """Stripe refused a request (a 4xx other than 429): nothing was made."""

    def __init__(self, status: int, kind: str, code: str, message: str) -> None:
        super().__init__(f"Stripe refused the request ({status} {kind}/{code or '-'}): {message}")
        self.status = status
        self.kind = kind
        self.code = code


def form_fields(values: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Return the fields of a form body in Stripe's bracket notation: nested mappings as
    ``a[b]``, lists as ``a[0]``, booleans as ``true``/``false``; None values left out."""
    fields: list[tuple[str, str]] = []
    for key, value in values.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        fields += _field(name, value)
    return fields


def _field(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return form_fields(value, name)
    if isinstance(value, list | tuple):
        fields: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            fields += _field(f"{name}[{index}]", item)
        return fields
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    return [(name, str(value))]


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _unix_up(moment: datetime) -> int:
    """The first whole second at or after `moment`: [start, end) stays half-open."""
    return math.ceil(moment.timestamp())


def _from_unix(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


class StripeProvider:
    name = "stripe"

    def __init__(self, settings: PaymentProviderSettings) -> None:
        self._key = settings.stripe_secret_key
        self._webhook_secret = settings.stripe_webhook_secret
        self._base = settings.stripe_api_url.rstrip("/")
        self._http = requests.Session()
        self._http.headers.update(
            {
                "Authorization": f"Bearer {self._key}",
                "Stripe-Version": API_VERSION,
                "User-Agent": "Tribune (payments)",
            }
        )

    def __repr__(self) -> str:
        return f"StripeProvider({self._base})"  # never the key

    # -- HTTP ---------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        fields: Iterable[tuple[str, str]] = (),
        idempotency_key: str = "",
    ) -> dict[str, Any]:
        """Return Stripe's JSON answer to a request; blocking."""
        url = self._base + path
        headers = {"Idempotency-Key": idempotency_key} if method == "POST" else {}
        body = list(fields)
        try:
            response = self._http.request(
                method,
                url,
                params=body if method == "GET" else None,
                data=body if method == "POST" else None,
                headers=headers,
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            logger.warning("Stripe did not answer %s %s: %s", method, path, type(error).__name__)
            raise ProviderUnavailableError(
                f"Stripe did not answer {method} {path} ({type(error).__name__})"
            ) from None
        status = response.status_code
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if status == 429 or status >= 500 or not isinstance(answer, dict):
            logger.warning("Stripe answered %s to %s %s", status, method, path)
            raise ProviderUnavailableError(f"Stripe answered {status} to {method} {path}")
        if status >= 400:
            details = answer.get("error")
            details = details if isinstance(details, dict) else {}
            message = self._scrub(str(details.get("message") or ""))[:300]
            kind, code = str(details.get("type") or ""), str(details.get("code") or "")
            logger.warning("Stripe refused %s %s: %s %s/%s", method, path, status, kind, code)
            raise StripeRequestError(status, kind, code, message)
        return answer

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "[key]") if self._key else text

    async def _request(
        self,
        method: str,
        path: str,
        *,
        fields: Iterable[tuple[str, str]] = (),
        idempotency_key: str = "",
    ) -> dict[str, Any]:
        return await asyncio.to_thread(
            self._call, method, path, fields=list(fields), idempotency_key=idempotency_key
        )

    async def _list(self, path: str, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Return every object of a list endpoint, following ``has_more``/``starting_after``."""
        found: list[dict[str, Any]] = []
        after = ""
        for _page in range(MAX_PAGES):
            query = {**filters, "limit": PAGE_SIZE, "starting_after": after or None}
            page = await self._request("GET", path, fields=form_fields(query))
            data = page.get("data")
            if not isinstance(data, list):
                raise ProviderUnavailableError(f"Stripe's list {path} has no data")
            found += [item for item in data if isinstance(item, dict)]
            if not page.get("has_more") or not data:
                return found
            after = str(data[-1]["id"])
        raise ProviderUnavailableError(f"Stripe's list {path} has more than {MAX_PAGES} pages")

    # -- the interface ------------------------------------------------------------------------

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        metadata = {"account": request.account, "payment": request.client_reference}
        values: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount_cents,
                        "product_data": {"name": request.description[:250]},
                    },
                }
            ],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.client_reference,
            "customer_email": request.customer_email or None,
            "expires_at": _unix(request.expires_at),
            "locale": LOCALES.get(request.language, "auto"),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
        }
        session = await self._request(
            "POST",
            "/v1/checkout/sessions",
            fields=form_fields(values),
            idempotency_key=request.idempotency_key,
        )
        return Checkout(
            reference=str(session["id"]),
            url=str(session.get("url") or ""),
            expires_at=_from_unix(session["expires_at"]),
        )

    async def retrieve(self, reference: str) -> CheckoutState:
        session = await self._request(
            "GET",
            f"/v1/checkout/sessions/{_path_id(reference)}",
            fields=[("expand[]", "payment_intent")],
        )
        return _state(session)

    async def expire(self, reference: str) -> CheckoutState:
        try:
            session = await self._request(
                "POST",
                f"/v1/checkout/sessions/{_path_id(reference)}/expire",
                idempotency_key=f"expire-{reference}",
            )
        except StripeRequestError:
            # Only an open session can be expired: one already complete or expired says so.
            return await self.retrieve(reference)
        if session.get("status") != "expired":
            return await self.retrieve(reference)
        return _state(session)

    async def refund(self, request: RefundRequest) -> RefundResult:
        payment_intent = request.payment_reference
        if not payment_intent:
            state = await self.retrieve(request.checkout_reference)
            if not state.payment_reference:
                return RefundResult(reference="", succeeded=False, failure_code="charge_not_paid")
            payment_intent = state.payment_reference
        values = {
            "payment_intent": payment_intent,
            "amount": request.amount_cents,
            "metadata": {"account": request.account, "refund": request.client_reference},
        }
        try:
            made = await self._request(
                "POST",
                "/v1/refunds",
                fields=form_fields(values),
                idempotency_key=request.idempotency_key,
            )
        except StripeRequestError as refused:
            if refused.code in REFUND_REFUSALS:
                return RefundResult(reference="", succeeded=False, failure_code=refused.code)
            raise
        status = str(made.get("status") or "")
        reference = str(made.get("id") or "")
        if status in ("succeeded", "pending"):
            if status == "pending":
                # Stripe has taken the refund; the card network confirms it later. The platform
                # counts it as made: a refund that fails later is seen by the reconciliation.
                logger.info("Stripe refund %s is pending", reference)
            return RefundResult(reference=reference, succeeded=True)
        return RefundResult(
            reference=reference,
            succeeded=False,
            failure_code=str(made.get("failure_reason") or status or "refund_failed"),
        )

    async def transactions(self, account: str, start: datetime, end: datetime) -> list[Transaction]:
        window = {"created": {"gte": _unix_up(start), "lt": _unix_up(end)}}
        found: list[Transaction] = []
        for intent in await self._list("/v1/payment_intents", window):
            metadata = intent.get("metadata") or {}
            if intent.get("status") != "succeeded" or metadata.get("account") != account:
                continue
            found.append(
                Transaction(
                    kind=TransactionKind.PAYMENT,
                    reference=str(intent["id"]),
                    client_reference=str(metadata.get("payment") or ""),
                    amount_cents=int(intent.get("amount_received") or intent.get("amount") or 0),
                    currency=str(intent.get("currency") or "").upper(),
                    occurred_at=_from_unix(intent["created"]),
                )
            )
        for made in await self._list("/v1/refunds", window):
            metadata = made.get("metadata") or {}
            if made.get("status") not in ("succeeded", "pending"):
                continue
            if metadata.get("account") != account:
                continue
            found.append(
                Transaction(
                    kind=TransactionKind.REFUND,
                    reference=str(made["id"]),
                    client_reference=str(metadata.get("refund") or ""),
                    amount_cents=int(made.get("amount") or 0),
                    currency=str(made.get("currency") or "").upper(),
                    occurred_at=_from_unix(made["created"]),
                )
            )
        return found

    def verify_notification(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> Notification:
        if len(body) > MAX_NOTIFICATION_BYTES:
            raise NotificationRejectedError("too large")
        header = next(
            (value for name, value in headers.items() if name.lower() == SIGNATURE_HEADER), None
        )
        verify(self._webhook_secret, header, body, now)
        try:
            event = json.loads(body)
            kind = str(event["type"])
            event_id = str(event["id"])
            subject = event["data"]["object"]
            checkout = str(subject["id"]) if kind.startswith("checkout.session.") else ""
        except (ValueError, KeyError, TypeError):
            raise NotificationRejectedError("malformed body") from None
        if not event_id or (kind.startswith("checkout.session.") and not checkout):
            raise NotificationRejectedError("malformed body")
        return Notification(id=event_id, kind=kind, checkout_reference=checkout)


def _path_id(reference: str) -> str:
    """An id as a path segment: Stripe's ids are letters, digits and underscores."""
    if not reference or not all(c.isalnum() or c == "_" for c in reference):
        raise StripeRequestError(404, "invalid_request_error", "resource_missing", "no such id")
    return reference


def _failure(intent: Mapping[str, Any]) -> str:
    """Return why a payment intent failed, or "" if it did not."""
    error = intent.get("last_payment_error")
    if isinstance(error, Mapping) and error:
        return str(error.get("decline_code") or error.get("code") or "payment_failed")
    if intent.get("status") in FAILED_INTENT:
        return str(intent.get("cancellation_reason") or "payment_failed")
    return ""


def _state(session: Mapping[str, Any]) -> CheckoutState:
    intent = session.get("payment_intent")
    intent = intent if isinstance(intent, Mapping) else {}
    status = session.get("status")
    payment_reference = ""
    failure_code = ""
    if status == "complete" and session.get("payment_status") == "paid":
        mapped = CheckoutStatus.PAID
        payment_reference = str(intent.get("id") or session.get("payment_intent") or "")
    elif status == "complete":
        failure_code = _failure(intent)
        mapped = CheckoutStatus.FAILED if failure_code else CheckoutStatus.PROCESSING
    elif status == "expired":
        mapped = CheckoutStatus.EXPIRED
    else:
        mapped = CheckoutStatus.OPEN
    return CheckoutState(
        reference=str(session["id"]),
        client_reference=str(session.get("client_reference_id") or ""),
        status=mapped,
        amount_cents=int(session.get("amount_total") or 0),
        currency=str(session.get("currency") or "").upper(),
        payment_reference=payment_reference,
        failure_code=failure_code[:40],
    )
