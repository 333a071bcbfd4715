"""The attendance webhooks: machine-to-machine, outside any tribunal, authenticated by the
signature over their raw body (``tribune.web.signed_webhook``: no CSRF token, a 64 KiB body).

Answers are plain and say nothing of why: 200 once a delivery is recorded, or was already,
or is acknowledged and ignored (another event type, a room no hearing has); 400 for a
delivery that is unsigned, badly signed, stale or malformed, and for every delivery while no
secret is configured; 413 past the body limit. The reason of a refusal goes to the log.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from hearings.attendance import forms, services
from tribune.db import utcnow
from tribune.web import db_of, settings_of, signed_webhook

log = logging.getLogger("tribune.attendance")


def _refused(request: Request, reason: str) -> Response:
    route = request.scope.get("route")
    log.warning("webhook refused", extra={"route": getattr(route, "name", None), "reason": reason})
    return PlainTextResponse("refused", status_code=400)


def _acknowledged(what: str) -> Response:
    return PlainTextResponse(what, status_code=200)


async def _signed_body(request: Request) -> tuple[bytes, str | None]:
    """Return the raw body, and why it is refused (None if signed with the secret)."""
    raw_body = await request.body()
    problem = services.check_signature(
        settings_of(request).jitsi.webhook_secret,
        request.headers.get(services.SIGNATURE_HEADER),
        raw_body,
        utcnow(),
    )
    return raw_body, problem.value if problem else None


async def _record(request: Request, delivery: forms.Delivery | None) -> Response:
    if delivery is None:
        return _acknowledged("ignored")
    recorded = await services.record_delivery(db_of(request), delivery)
    return _acknowledged(recorded.value)


async def jaas(request: Request) -> Response:
    """A JaaS webhook: participants joining and leaving a hearing's room are recorded."""
    raw_body, problem = await _signed_body(request)
    if problem:
        return _refused(request, problem)
    try:
        delivery = forms.jaas_delivery(raw_body, settings_of(request).jitsi.app_id)
    except forms.Malformed as error:
        return _refused(request, f"malformed: {error}")
    return await _record(request, delivery)


async def self_hosted(request: Request) -> Response:
    """A self-hosted Jitsi's event_sync webhook, relayed with the same signature as JaaS's:
    occupants joining and leaving a hearing's room are recorded."""
    raw_body, problem = await _signed_body(request)
    if problem:
        return _refused(request, problem)
    try:
        delivery = forms.self_hosted_delivery(raw_body)
    except forms.Malformed as error:
        return _refused(request, f"malformed: {error}")
    return await _record(request, delivery)


# Outside any tribunal: a hearing's room name is unique across the platform.
routes: list[BaseRoute] = [
    signed_webhook("/webhooks/jaas", jaas, name="hearings:attendance:jaas"),
    signed_webhook("/webhooks/jitsi/events", self_hosted, name="hearings:attendance:self_hosted"),
]
