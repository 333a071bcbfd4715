"""What the attendance webhooks carry, checked into typed values.

A webhook's body is JSON from a machine, not a person's form: whatever does not have the
documented shape is ``Malformed`` (the route answers a plain 400), an event that is not a
join or a leave is ``None`` (acknowledged and ignored). The signature is checked before
any of this (``services.verify_signature``), over the raw bytes.

- JaaS (8x8): ``{idempotencyKey, customerId, appId, eventType, sessionId, timestamp (ms),
  fqn "AppID/room", data}``; ``PARTICIPANT_JOINED`` and ``PARTICIPANT_LEFT`` are recorded,
  their ``data`` holding the token's ``id``, ``name`` and ``email``.
- Self-hosted (Prosody's ``event_sync``, relayed signed): ``{event_name, room_name,
  room_jid, occupant: {occupant_jid, joined_at, left_at (s), name, email, id}}``;
  ``muc-occupant-joined`` and ``muc-occupant-left`` are recorded. event_sync sends no key of
  its own: a delivery is named by its event, room, occupant connection and time, which a
  retry repeats; a relay may send its own ``idempotency_key`` instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hearings.models import AttendanceKind, AttendanceSource


class Malformed(ValueError):  # noqa: N818 - reads as what the body is
    """The body is not a delivery of the documented shape."""


@dataclass(frozen=True)
class Delivery:
    """A join or a leave as a webhook delivered it. ``room`` is the bare room name;
    ``user_id``, ``name`` and ``email`` are the token's ``context.user`` (empty if absent)."""

    source: AttendanceSource
    idempotency_key: str
    room: str
    kind: AttendanceKind
    occurred_at: datetime
    user_id: str
    name: str
    email: str
    payload: dict[str, Any]


JAAS_KINDS = {
    "PARTICIPANT_JOINED": AttendanceKind.JOINED,
    "PARTICIPANT_LEFT": AttendanceKind.LEFT,
}
EVENT_SYNC_KINDS = {
    "muc-occupant-joined": AttendanceKind.JOINED,
    "muc-occupant-left": AttendanceKind.LEFT,
}
MAX_KEY = 200
MAX_TEXT = 200
# Timestamps between 2000 and 2100: anything else is not a time a hearing happened at.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
LATEST = datetime(2100, 1, 1, tzinfo=UTC).timestamp()
ROOM = re.compile(r"[a-z0-9]{1,64}")
TENANT_PREFIX = re.compile(r"^\[[^\]]*\]")


def _no_constants(name: str) -> object:
    raise Malformed(f"{name} is not JSON")


def _storable(text: str) -> bool:
    """Return whether a string can be stored on both databases: no NUL (PostgreSQL's text
    refuses it) and no lone surrogate (not UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_object(raw_body: bytes) -> dict[str, Any]:
    """Return the body as a JSON object whose every string (keys too) can be stored."""
    try:
        document = json.loads(raw_body, parse_constant=_no_constants)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise Malformed("not JSON") from error
    if not isinstance(document, dict):
        raise Malformed("not a JSON object")
    waiting: list[object] = [document]
    while waiting:
        value = waiting.pop()
        if isinstance(value, dict):
            if not all(_storable(key) for key in value):
                raise Malformed("a key cannot be stored")
            waiting.extend(value.values())
        elif isinstance(value, list):
            waiting.extend(value)
        elif isinstance(value, str) and not _storable(value):
            raise Malformed("a string cannot be stored")
    return document


def _text(value: object, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise Malformed(field)
    return value.strip()


def _instant(value: object, field: str, *, per_second: int) -> datetime:
    # bool is an int in Python: true is not a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(field)
    try:
        seconds = value / per_second
    except OverflowError as error:
        raise Malformed(field) from error
    if not EARLIEST <= seconds <= LATEST:
        raise Malformed(field)
    return datetime.fromtimestamp(seconds, UTC)


def _room(value: str) -> str:
    room = value.lower()
    if not ROOM.fullmatch(room):
        # A name that cannot be a room of ours: no hearing has it.
        return ""
    return room


def jaas_delivery(raw_body: bytes, app_id: str) -> Delivery | None:
    """Return the join or leave a JaaS webhook carries, None for another event type or
    another app's room, or raise ``Malformed``."""
    envelope = _json_object(raw_body)
    event_type = _text(envelope.get("eventType"), "eventType", required=True)
    kind = JAAS_KINDS.get(event_type)
    if kind is None:
        return None
    key = _text(envelope.get("idempotencyKey"), "idempotencyKey", required=True, limit=MAX_KEY)
    occurred_at = _instant(envelope.get("timestamp"), "timestamp", per_second=1000)
    fqn = _text(envelope.get("fqn"), "fqn", required=True, limit=300)
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise Malformed("data")
    app, separator, room = fqn.partition("/")
    if not separator or not app_id or app != app_id:
        return None
    return Delivery(
        source=AttendanceSource.JAAS,
        idempotency_key=key,
        room=_room(room),
        kind=kind,
        occurred_at=occurred_at,
        user_id=_text(data.get("id"), "data.id"),
        name=_text(data.get("name"), "data.name"),
        email=_text(data.get("email"), "data.email"),
        payload=envelope,
    )


def self_hosted_delivery(raw_body: bytes) -> Delivery | None:
    """Return the join or leave an event_sync webhook carries, None for another event (a
    room created or destroyed), or raise ``Malformed``."""
    payload = _json_object(raw_body)
    event_name = _text(payload.get("event_name"), "event_name", required=True)
    kind = EVENT_SYNC_KINDS.get(event_name)
    if kind is None:
        return None
    room_name = _text(payload.get("room_name"), "room_name", required=True, limit=300)
    occupant = payload.get("occupant")
    if not isinstance(occupant, dict):
        raise Malformed("occupant")
    connection = _text(occupant.get("occupant_jid"), "occupant_jid", required=True, limit=500)
    field = "joined_at" if kind is AttendanceKind.JOINED else "left_at"
    occurred_at = _instant(occupant.get(field), field, per_second=1)
    key = _text(payload.get("idempotency_key"), "idempotency_key", limit=MAX_KEY)
    if not key:
        named = f"{event_name}\n{room_name}\n{connection}\n{occupant.get(field)}"
        key = "event-sync-" + hashlib.sha256(named.encode()).hexdigest()
    # "[tenant]room" when Jitsi's tenants are used; "room@conference.domain" if a JID.
    room = TENANT_PREFIX.sub("", room_name).partition("@")[0]
    return Delivery(
        source=AttendanceSource.SELF_HOSTED,
        idempotency_key=key,
        room=_room(room),
        kind=kind,
        occurred_at=occurred_at,
        user_id=_text(occupant.get("id"), "occupant.id"),
        name=_text(occupant.get("name"), "occupant.name"),
        email=_text(occupant.get("email"), "occupant.email"),
        payload=payload,
    )
