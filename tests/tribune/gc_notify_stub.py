"""A local stand-in for GC Notify's API, served over HTTP on loopback, for the text provider's
tests: the endpoint the provider calls, with GC Notify's documented request and answer shapes
(notification.canada.ca's API documentation: "Send a message", "Headers", "Limits").

- ``Authorization: ApiKey-v1 <API key>``, else 403 ``AuthError``.
- ``POST /v2/notifications/sms`` with a JSON ``phone_number`` and ``template_id`` (required),
  ``personalisation`` (an object) and ``reference`` (a string): 201 with ``id``, ``reference``,
  ``content`` (``body``, ``from_number``), ``uri`` and ``template`` (``id``, ``version``,
  ``uri``); a missing field is a 400 ``ValidationError``.
- Errors as ``{"status_code": <status>, "errors": [{"error": <name>, "message": <text>}]}``.
- ``answers``: statuses to give the next requests instead (a 429 ``RateLimitError``, a 429
  ``TooManySMSRequestsError``, a 500, a 400 ``BadRequestError``), one per request, in order;
  ``retry_after`` is sent with a 429 when set.

The template's content is ``((body))``: the message sent is the ``body`` personalisation.
"""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

API_KEY = "tribune_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"

ERRORS = {
    400: ("BadRequestError", "Can't send to this recipient when service is in trial mode"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 1000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
}
DAILY_LIMIT = ("TooManySMSRequestsError", "Exceeded sms send limits (1000) for today")


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class GCNotifyStub:
    url: str = ""
    api_key: str = API_KEY
    calls: list[Call] = field(default_factory=list)
    # Answered in order, one per request, before any text is taken: 429, "daily", 500, 400.
    answers: list[int | str] = field(default_factory=list)
    retry_after: int | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        with self._lock:
            self.calls.append(Call(path, headers, body if isinstance(body, dict) else {}))
            if headers.get("authorization") != f"ApiKey-v1 {self.api_key}":
                return _error(403)
            if path != "/v2/notifications/sms":
                return 404, {"status_code": 404, "errors": [{"error": "NotFound", "message": ""}]}
            if self.answers:
                forced = self.answers.pop(0)
                if forced == "daily":
                    name, message = DAILY_LIMIT
                    return 429, {
                        "status_code": 429,
                        "errors": [{"error": name, "message": message}],
                    }
                return _error(int(forced))
            if not isinstance(body, dict):
                return _validation("body is not an object")
            for required in ("phone_number", "template_id"):
                if not isinstance(body.get(required), str) or not body[required]:
                    return _validation(f"{required} is a required property")
            if not isinstance(body.get("personalisation", {}), dict):
                return _validation("personalisation is not of type object")
            notification_id = str(uuid.uuid4())
            text = str(body.get("personalisation", {}).get("body", ""))
            self.sent.append({**body, "id": notification_id})
            return 201, {
                "id": notification_id,
                "reference": body.get("reference"),
                "content": {"body": text, "from_number": "GCNOTIFY"},
                "uri": f"{self.url}/v2/notifications/{notification_id}",
                "template": {
                    "id": body["template_id"],
                    "version": 1,
                    "uri": f"{self.url}/v2/template/{body['template_id']}",
                },
            }


def _error(status: int) -> tuple[int, dict[str, Any]]:
    name, message = ERRORS[status]
    return status, {"status_code": status, "errors": [{"error": name, "message": message}]}


def _validation(message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"status_code": 400, "errors": [{"error": "ValidationError", "message": message}]}


class _Handler(http.server.BaseHTTPRequestHandler):
    stub: GCNotifyStub

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, answer = self.stub.handle(self.path, headers, raw)
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if status == 429 and self.stub.retry_after is not None:
            self.send_header("Retry-After", str(self.stub.retry_after))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve() -> Iterator[GCNotifyStub]:
    """Serve a new stub on a free loopback port for as long as the block runs."""
    stub = GCNotifyStub()
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
