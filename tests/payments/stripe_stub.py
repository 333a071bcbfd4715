"""A local stand-in for Stripe's API, served over HTTP on loopback, for the Stripe provider's
tests: the endpoints the provider calls, with Stripe's documented request and response shapes.

- ``Authorization: Bearer <secret key>``, else 401 in Stripe's error shape.
- Form bodies in Stripe's bracket notation (``line_items[0][price_data][currency]``).
- ``Idempotency-Key`` on POST: the same key with the same endpoint and body gets the saved
  answer again; the same key with another endpoint or body is a 400 ``idempotency_error``.
  As with Stripe, an answer is saved once the endpoint ran, not for a request refused before
  (missing parameters, bad key).
- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}`` (``expand[]=payment_intent``),
  ``POST /v1/checkout/sessions/{id}/expire`` (only an open session), ``POST /v1/refunds``
  (at most what is left of the payment: ``amount_too_large``), ``GET /v1/payment_intents`` and
  ``GET /v1/refunds`` (``created[gte]``/``created[lt]``, newest first, ``limit``,
  ``starting_after``, ``has_more``).
- Errors as ``{"error": {"type", "code", "message", "param"}}``.

Test helpers do what a payer and the banks would: `complete` (paid), `fail` (the payment
failed after the session completed), `make_pending` (an asynchronous payment the bank has
not confirmed), `settle`, `add_payment` (a payment made outside any session), and
`signed_event` builds a webhook delivery signed as Stripe signs them (``t=``, ``v1=``).
"""

from __future__ import annotations

import http.server
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from payments.providers.signatures import signature

SECRET_KEY = "sk_test_stub_0123456789abcdefghijklmnop"
WEBHOOK_SECRET = "whsec_stub_0123456789abcdefghijklmnop"
LOCALES = {"auto", "en", "en-GB", "fr", "fr-CA", "es", "de"}


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Return a form body in bracket notation as nested dictionaries and lists."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", name)
        if match is None:
            raise ValueError(name)
        keys = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for index, key in enumerate(keys):
            last = index == len(keys) - 1
            if key == "":  # "expand[]": append
                if last:
                    node.setdefault("", []).append(value)
                    break
                raise ValueError(name)
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
    parsed: dict[str, Any] = _lists(root)
    return parsed


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if set(node) == {""}:
        return list(node[""])
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


class StripeError(Exception):
    def __init__(self, status: int, kind: str, message: str, code: str = "", param: str = ""):
        super().__init__(message)
        self.status, self.kind, self.code, self.param = status, kind, code, param

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.kind, "message": str(self)}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


def _missing(param: str) -> StripeError:
    return StripeError(
        400,
        "invalid_request_error",
        f"Missing required param: {param}.",
        "parameter_missing",
        param,
    )


def _new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]


@dataclass
class StripeStub:
    """Stripe's books for one test, and what it was asked."""

    url: str = ""
    secret_key: str = SECRET_KEY
    clock: Callable[[], float] = time.time
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # The status a new refund gets: "succeeded", or "pending", "failed" to test those.
    refund_status: str = "succeeded"
    # Answer every request with this status (a 500 or 429 to test an unwell Stripe).
    outage: int | None = None
    _saved: dict[str, tuple[str, list[tuple[str, str]], int, bytes]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> int:
        return int(self.clock())

    # -- the HTTP API ---------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        url = urlsplit(target)
        pairs = parse_qsl(
            url.query if method == "GET" else body.decode("utf-8"), keep_blank_values=True
        )
        with self._lock:
            try:
                params = parse_form(pairs)
            except ValueError:
                params = {}
            self.calls.append(Call(method, url.path, headers, params))
            if self.outage is not None:
                return self.outage, b'{"error": {"type": "api_error", "message": "outage"}}'
            if headers.get("authorization") != f"Bearer {self.secret_key}":
                masked = "sk_test_****" + headers.get("authorization", "")[-4:]
                error = StripeError(
                    401, "invalid_request_error", f"Invalid API Key provided: {masked}"
                )
                return error.status, json.dumps(error.body()).encode()
            key = headers.get("idempotency-key", "") if method == "POST" else ""
            if key and key in self._saved:
                path, saved_pairs, status, answer = self._saved[key]
                if path != url.path or sorted(saved_pairs) != sorted(pairs):
                    error = StripeError(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                    )
                    return error.status, json.dumps(error.body()).encode()
                return status, answer
            try:
                status, answer = 200, json.dumps(self._route(method, url.path, params)).encode()
            except StripeError as error:
                status, answer = error.status, json.dumps(error.body()).encode()
                if error.code == "parameter_missing" or status == 404:
                    return status, answer  # refused before the endpoint ran: not saved
            if key:
                self._saved[key] = (url.path, pairs, status, answer)
            return status, answer

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return self._create_session(params)
        if len(parts) == 4 and parts[:3] == ["v1", "checkout", "sessions"] and method == "GET":
            return self._expanded(self._session(parts[3]), params.get("expand", []))
        expiry = len(parts) == 5 and parts[4] == "expire"
        if method == "POST" and expiry and parts[:3] == ["v1", "checkout", "sessions"]:
            return self._expire(self._session(parts[3]))
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._create_refund(params)
        if method == "GET" and parts == ["v1", "payment_intents"]:
            return self._list(path, self.intents, params)
        if method == "GET" and parts == ["v1", "refunds"]:
            return self._list(path, self.refunds, params)
        raise StripeError(
            404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})."
        )

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("mode") != "payment":
            raise _missing("mode")
        items = params.get("line_items")
        if not isinstance(items, list) or len(items) != 1:
            raise _missing("line_items")
        price = items[0].get("price_data") or {}
        for name in ("currency", "unit_amount"):
            if name not in price:
                raise _missing(f"line_items[0][price_data][{name}]")
        if not (price.get("product_data") or {}).get("name"):
            raise _missing("line_items[0][price_data][product_data][name]")
        if not params.get("success_url"):
            raise _missing("success_url")
        currency = price["currency"]
        if currency != currency.lower() or len(currency) != 3:
            raise StripeError(400, "invalid_request_error", "Invalid currency.", "", "currency")
        now = self.now()
        expires_at = int(params.get("expires_at") or now + 86400)
        if not now + 1800 - 60 <= expires_at <= now + 86400:
            raise StripeError(
                400,
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                "",
                "expires_at",
            )
        locale = params.get("locale", "auto")
        if locale not in LOCALES:
            raise StripeError(400, "invalid_request_error", "Invalid locale.", "", "locale")
        amount = int(price["unit_amount"]) * int(items[0].get("quantity", 1))
        session_id = _new_id("cs_test_")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "customer_email": params.get("customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "locale": locale,
            "metadata": params.get("metadata", {}),
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            # Kept by the stub for the payment intent made when the payer pays.
            "_intent_metadata": (params.get("payment_intent_data") or {}).get("metadata", {}),
            "_product": price["product_data"]["name"],
        }
        self.sessions[session_id] = session
        return _public(session)

    def _session(self, session_id: str) -> dict[str, Any]:
        if session_id not in self.sessions:
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such checkout.session: '{session_id}'",
                "resource_missing",
                "session",
            )
        return self.sessions[session_id]

    def _expanded(self, session: dict[str, Any], expand: Any) -> dict[str, Any]:
        shown = _public(session)
        if "payment_intent" in (expand or []) and session["payment_intent"]:
            shown["payment_intent"] = dict(self.intents[session["payment_intent"]])
        return shown

    def _expire(self, session: dict[str, Any]) -> dict[str, Any]:
        if session["status"] != "open":
            raise StripeError(
                400,
                "invalid_request_error",
                'Only Checkout Sessions with a status in ["open"] can be expired.',
            )
        session["status"] = "expired"
        return _public(session)

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent_id = params.get("payment_intent")
        if not intent_id:
            raise _missing("payment_intent")
        intent = self.intents.get(intent_id)
        if intent is None:
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such payment_intent: '{intent_id}'",
                "resource_missing",
                "payment_intent",
            )
        if intent["status"] != "succeeded":
            raise StripeError(
                400,
                "invalid_request_error",
                "This PaymentIntent does not have a successful charge to refund.",
                "charge_not_refundable",
            )
        refunded = sum(
            made["amount"]
            for made in self.refunds.values()
            if made["payment_intent"] == intent_id and made["status"] in ("succeeded", "pending")
        )
        left = intent["amount_received"] - refunded
        amount = int(params.get("amount") or left)
        if left <= 0:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Charge for payment intent {intent_id} has already been refunded.",
                "charge_already_refunded",
            )
        if amount <= 0 or amount > left:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                "amount_too_large",
                "amount",
            )
        made = {
            "id": _new_id("re_"),
            "object": "refund",
            "amount": amount,
            "charge": intent["latest_charge"],
            "created": self.now(),
            "currency": intent["currency"],
            "metadata": params.get("metadata", {}),
            "payment_intent": intent_id,
            "reason": None,
            "status": self.refund_status,
        }
        if self.refund_status == "failed":
            made["failure_reason"] = "expired_or_canceled_card"
        self.refunds[made["id"]] = made
        return dict(made)

    def _list(
        self, path: str, objects: dict[str, dict[str, Any]], params: dict[str, Any]
    ) -> dict[str, Any]:
        created = params.get("created") or {}
        rows = sorted(objects.values(), key=lambda row: (row["created"], row["id"]), reverse=True)
        if "gte" in created:
            rows = [row for row in rows if row["created"] >= int(created["gte"])]
        if "lt" in created:
            rows = [row for row in rows if row["created"] < int(created["lt"])]
        after = params.get("starting_after")
        if after:
            ids = [row["id"] for row in rows]
            if after not in ids:
                raise StripeError(
                    400, "invalid_request_error", f"No such object: '{after}'", "resource_missing"
                )
            rows = rows[ids.index(after) + 1 :]
        limit = max(1, min(100, int(params.get("limit") or 10)))
        return {
            "object": "list",
            "url": path,
            "has_more": len(rows) > limit,
            "data": [dict(row) for row in rows[:limit]],
        }

    # -- what payers and banks do ---------------------------------------------------------------

    def _intent_for(self, session: dict[str, Any], status: str) -> dict[str, Any]:
        intent_id = session["payment_intent"] or _new_id("pi_")
        intent = self.intents.get(intent_id) or {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_received": 0,
            "cancellation_reason": None,
            "created": self.now(),
            "currency": session["currency"],
            "description": session["_product"],
            "last_payment_error": None,
            "latest_charge": None,
            "metadata": dict(session["_intent_metadata"]),
            "status": status,
        }
        intent["status"] = status
        self.intents[intent_id] = intent
        session["payment_intent"] = intent_id
        session["status"] = "complete"
        return intent

    def complete(self, session_id: str) -> str:
        """The payer paid on the hosted page; return the payment intent's id."""
        with self._lock:
            session = self.sessions[session_id]
            intent = self._intent_for(session, "succeeded")
            intent["amount_received"] = intent["amount"]
            intent["latest_charge"] = _new_id("ch_")
            session["payment_status"] = "paid"
            return str(intent["id"])

    def make_pending(self, session_id: str) -> str:
        """The payer finished with a payment the bank confirms later (asynchronous)."""
        with self._lock:
            intent = self._intent_for(self.sessions[session_id], "processing")
            return str(intent["id"])

    def settle(self, session_id: str) -> None:
        """The bank confirmed a pending payment."""
        with self._lock:
            session = self.sessions[session_id]
            intent = self.intents[session["payment_intent"]]
            intent.update(status="succeeded", amount_received=intent["amount"])
            intent["latest_charge"] = _new_id("ch_")
            session["payment_status"] = "paid"

    def fail(
        self, session_id: str, code: str = "card_declined", decline_code: str | None = None
    ) -> None:
        """A payment finished on the hosted page failed afterwards (asynchronously)."""
        with self._lock:
            intent = self._intent_for(self.sessions[session_id], "requires_payment_method")
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": "Your card was declined.",
            }

    def add_payment(
        self, *, account: str, payment: str, amount: int, created: int, currency: str = "cad"
    ) -> str:
        """A succeeded payment intent created at `created` (made outside the tests' sessions)."""
        with self._lock:
            intent_id = _new_id("pi_")
            self.intents[intent_id] = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": amount,
                "cancellation_reason": None,
                "created": created,
                "currency": currency,
                "last_payment_error": None,
                "latest_charge": _new_id("ch_"),
                "metadata": {"account": account, "payment": payment},
                "status": "succeeded",
            }
            return intent_id


def _public(session: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in session.items() if not key.startswith("_")}


def signed_event(
    kind: str,
    subject: dict[str, Any],
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    extra_signatures: tuple[str, ...] = (),
) -> tuple[bytes, str]:
    """Return the body of a webhook delivery of an event about `subject` and its
    ``Stripe-Signature`` header (``t=...,v1=...``, with any extra elements after)."""
    sent_at = int(time.time()) if timestamp is None else timestamp
    body = json.dumps(
        {
            "id": _new_id("evt_"),
            "object": "event",
            "api_version": "2024-06-20",
            "created": sent_at,
            "data": {"object": subject},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        },
        indent=2,  # Stripe's bodies are pretty-printed: the raw bytes are what is signed
    ).encode()
    header = ",".join([f"t={sent_at}", f"v1={signature(secret, sent_at, body)}", *extra_signatures])
    return body, header


class _Handler(http.server.BaseHTTPRequestHandler):
    stub: StripeStub

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, answer = self.stub.handle(method, self.path, headers, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.send_header("Request-Id", _new_id("req_"))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve() -> Iterator[StripeStub]:
    """Serve a new stub on a free loopback port for as long as the block runs."""
    stub = StripeStub()
    handler = type("StubHandler", (_Handler,), {"stub": stub})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """An address on loopback where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
