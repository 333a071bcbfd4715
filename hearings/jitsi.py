"""Jitsi Meet for video hearings: each participant's token for their hearing's room, where
the page finds the room, and what the deployment says of its health and of a room's size.

No HTTP routes here: the hearing pages call these functions once they have checked that
the signed-in person is a participant of the hearing (``hearings.notices.services.
participants_of``). The contract followed is Jitsi's own (see the README's "Video
hearings (Jitsi)"):

- ``self-hosted``: Prosody's token authentication, HS256 with the app secret; ``iss`` and
  ``aud`` the app id, ``sub`` the domain, the moderator given ``affiliation: owner`` (the
  contrib ``token_affiliation`` module) and ``lobby_bypass`` (``token_lobby_bypass``);
- ``jaas``: 8x8's Jitsi as a Service, RS256 with the private key and ``kid``; ``iss``
  "chat", ``aud`` "jitsi", ``sub`` the app id, ``moderator`` the string "true"/"false";
- ``off``: no tokens at all; the room's unguessable name is the only guard.

A token names one room (never ``*``), is valid from 30 minutes before the hearing to two
hours after its scheduled end (``join_window``), with ``nbf`` backdated a few seconds,
since Prosody checks times without leeway.

The outbound calls (health, room size) are blocking ``requests`` calls with a 3-second
timeout and a bounded body, run in a worker thread, never on the event loop.
"""

from __future__ import annotations

import enum
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote

import anyio
import anyio.to_thread
import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from hearings.models import Hearing
from tribune.settings import JitsiSettings

# The join window: a token works from this long before the start ...
OPENS_BEFORE = timedelta(minutes=30)
# ... to this long after the scheduled end (hearings overrun).
CLOSES_AFTER = timedelta(hours=2)
# Prosody checks nbf with no leeway: a server clock a little behind ours would refuse a
# fresh token.
NBF_BACKDATE = timedelta(seconds=10)
# Outbound calls to the Jitsi deployment: seconds per connect and per read, and overall.
HTTP_TIMEOUT = 3.0
# The most of a response body read (a room size is a few bytes of JSON).
MAX_BODY_BYTES = 4096

JAAS_ISSUER = "chat"
JAAS_AUDIENCE = "jitsi"
# What JaaS may do beyond the meeting itself: nothing (no recording, streaming, transcripts
# or calls out) unless the tribunal decides otherwise.
JAAS_FEATURES = {
    "recording": "false",
    "livestreaming": "false",
    "transcription": "false",
    "outbound-call": "false",
}

_ROOM = re.compile(r"[a-z0-9]+")


class JitsiError(Exception):
    """A token cannot be given."""


class TokensOff(JitsiError):  # noqa: N818 - reads as a state
    """Jitsi is configured without tokens (mode ``off``): there is nothing to sign."""


class OutsideWindow(JitsiError):  # noqa: N818 - reads as a state
    """The hearing's join window is not open: ``too_early`` says which side of it ``now`` is;
    ``opens`` and ``closes`` are the window's bounds (UTC)."""

    def __init__(self, too_early: bool, opens: datetime, closes: datetime) -> None:
        self.too_early = too_early
        self.opens = opens
        self.closes = closes
        side = "opens" if too_early else "closed"
        moment = opens if too_early else closes
        super().__init__(f"the hearing's join window {side} at {moment.isoformat()}")

    @property
    def too_late(self) -> bool:
        return not self.too_early


class WindowState(enum.Enum):
    TOO_EARLY = "too_early"
    OPEN = "open"
    CLOSED = "closed"


def join_window(hearing: Hearing) -> tuple[datetime, datetime]:
    """Return when the hearing's room opens to its participants and when it closes (UTC):
    30 minutes before the start, two hours after the scheduled end."""
    return hearing.starts_at - OPENS_BEFORE, hearing.ends_at + CLOSES_AFTER


def window_state(hearing: Hearing, now: datetime) -> WindowState:
    """Return whether ``now`` is before the hearing's join window, in it (its opening
    instant included) or after it (its closing instant included: a token minted then
    would already have expired)."""
    _aware(now)
    opens, closes = join_window(hearing)
    if now < opens:
        return WindowState.TOO_EARLY
    if now >= closes:
        return WindowState.CLOSED
    return WindowState.OPEN


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")


class _Person(Protocol):
    """What a participant of a hearing (``hearings.notices.services.Participant``) offers."""

    @property
    def key(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def staff(self) -> bool: ...


@dataclass(frozen=True)
class JitsiUser:
    """The person a token is for: ``id`` names them among the hearing's participants
    ("party-<uuid>", "adjudicator-<uuid>", "interpreter-<uuid>"), ``name`` and ``email`` are
    shown in the room (strings, empty when unknown: Prosody throws on null), ``moderator``
    only for the adjudicator."""

    id: str
    name: str
    email: str
    moderator: bool = False

    def __post_init__(self) -> None:
        for field in ("id", "name", "email"):
            if not isinstance(getattr(self, field), str):
                raise TypeError(f"JitsiUser.{field} must be a string")
        if not self.id:
            raise ValueError("JitsiUser.id must not be empty")

    @classmethod
    def for_participant(cls, participant: _Person) -> JitsiUser:
        """Return the Jitsi user of a hearing's participant; the adjudicator moderates."""
        return cls(
            id=participant.key,
            name=participant.name or "",
            email=participant.email or "",
            moderator=participant.staff,
        )


def _room(hearing: Hearing) -> str:
    room = hearing.video_room
    # Never a wildcard, never a path: the room alone, as Jitsi lowercases it.
    if not _ROOM.fullmatch(room or ""):
        raise JitsiError("the hearing has no valid video room name")
    return room


def _host(settings: JitsiSettings) -> str:
    """Return the deployment's host name, without a port."""
    return settings.domain.split(":", 1)[0]


def mint_token(settings: JitsiSettings, hearing: Hearing, user: JitsiUser, now: datetime) -> str:
    """Return a signed token letting ``user`` into ``hearing``'s room, and that room only,
    until the end of the hearing's join window.

    Raises ``TokensOff`` when Jitsi runs without tokens and ``OutsideWindow`` when ``now``
    is outside the hearing's join window. The caller has checked that the user is a
    participant of the hearing."""
    _aware(now)
    if not settings.tokens:
        raise TokensOff("video tokens are off")
    opens, closes = join_window(hearing)
    state = window_state(hearing, now)
    if state is not WindowState.OPEN:
        raise OutsideWindow(state is WindowState.TOO_EARLY, opens, closes)
    room = _room(hearing)
    times = {
        "iat": int(now.timestamp()),
        "nbf": int((now - NBF_BACKDATE).timestamp()),
        "exp": int(closes.timestamp()),
    }
    if settings.mode == "self-hosted":
        payload: dict[str, Any] = {
            "iss": settings.app_id,
            "aud": settings.app_id,
            "sub": _host(settings),
            "room": room,
            **times,
            "context": {
                "user": {
                    "id": user.id,
                    "name": user.name,
                    "email": user.email,
                    "avatar": "",
                    "affiliation": "owner" if user.moderator else "member",
                    "moderator": user.moderator,
                    "lobby_bypass": user.moderator,
                },
                "group": f"tribunal-{hearing.tribunal_id}",
            },
        }
        return jwt.encode(payload, settings.app_secret, algorithm="HS256", headers={"typ": "JWT"})
    if settings.mode == "jaas":
        payload = {
            "iss": JAAS_ISSUER,
            "aud": JAAS_AUDIENCE,
            "sub": settings.app_id,
            "room": room,
            **times,
            "context": {
                "user": {
                    "id": user.id,
                    "name": user.name,
                    "email": user.email,
                    "avatar": "",
                    "moderator": "true" if user.moderator else "false",
                },
                "features": dict(JAAS_FEATURES),
            },
        }
        return jwt.encode(
            payload,
            _private_key(settings.private_key),
            algorithm="RS256",
            headers={"typ": "JWT", "kid": jaas_key_id(settings)},
        )
    raise JitsiError(f"unknown Jitsi mode {settings.mode!r}")


def jaas_key_id(settings: JitsiSettings) -> str:
    """Return the ``kid`` of JaaS tokens: "<AppID>/<key id>", as the JaaS console lists it
    (a key id given without its app id gets it)."""
    if "/" in settings.key_id:
        return settings.key_id
    return f"{settings.app_id}/{settings.key_id}"


@lru_cache(maxsize=4)
def _private_key(pem: str) -> RSAPrivateKey:
    key = load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise JitsiError("the JaaS private key must be an RSA key")
    return key


# Where the page finds the room.


def room_name_for(settings: JitsiSettings, hearing: Hearing) -> str:
    """Return the ``roomName`` to give the IFrame API: the room, or "<AppID>/<room>" on JaaS."""
    room = _room(hearing)
    return f"{settings.app_id}/{room}" if settings.mode == "jaas" else room


def origin(settings: JitsiSettings) -> str:
    """Return the origin the room's script and frame come from (for the page's
    Content-Security-Policy)."""
    return f"https://{settings.domain}"


def script_url(settings: JitsiSettings) -> str:
    """Return the IFrame API script's address: the deployment's ``external_api.js``, or
    JaaS's per-app "https://8x8.vc/<AppID>/external_api.js"."""
    if settings.mode == "jaas":
        return f"{origin(settings)}/{quote(settings.app_id, safe='')}/external_api.js"
    return f"{origin(settings)}/external_api.js"


def room_link(settings: JitsiSettings, hearing: Hearing, token: str | None) -> str:
    """Return a direct link to the hearing's room (for pages without JavaScript), carrying
    the participant's token as ``?jwt=`` when there is one."""
    path = "/".join(quote(part, safe="") for part in room_name_for(settings, hearing).split("/"))
    link = f"{origin(settings)}/{path}"
    return f"{link}?jwt={quote(token, safe='')}" if token else link


# What the deployment says of itself.


class HealthState(enum.Enum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class Health:
    """The Jitsi deployment's health, with a short reason for operators (English, no
    personal information); pages word it themselves from ``state``."""

    state: HealthState
    reason: str

    @property
    def healthy(self) -> bool:
        return self.state is HealthState.HEALTHY


class _BadAnswerError(Exception):
    """The endpoint answered with something we cannot use."""


def _get(url: str, params: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Return the status and (at most ``MAX_BODY_BYTES`` of) the body of a GET; blocking.

    Raises ``requests.RequestException`` when there is no answer in time and
    ``_BadAnswerError`` when the body is too long."""
    deadline = time.monotonic() + HTTP_TIMEOUT
    with requests.get(
        url, params=params, timeout=HTTP_TIMEOUT, stream=True, allow_redirects=False
    ) as response:
        body = b""
        for chunk in response.iter_content(1024):
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise _BadAnswerError(f"a body longer than {MAX_BODY_BYTES} bytes")
            if time.monotonic() > deadline:
                raise requests.Timeout("the body took too long")
        return response.status_code, body


def _probe_health(url: str) -> Health:
    try:
        status, _body = _get(url)
    except requests.Timeout:
        return Health(HealthState.UNHEALTHY, "no answer in time")
    except requests.RequestException as error:
        return Health(HealthState.UNHEALTHY, f"no answer ({type(error).__name__})")
    except _BadAnswerError as error:
        return Health(HealthState.UNHEALTHY, str(error))
    if status == 200:
        return Health(HealthState.HEALTHY, "answered 200")
    if status == 503:
        return Health(HealthState.UNHEALTHY, "answered 503 (starting, stopping or unhealthy)")
    return Health(HealthState.UNHEALTHY, f"answered {status}")


async def check_health(settings: JitsiSettings) -> Health:
    """Return the health of the Jitsi deployment from its health endpoint (jicofo's
    ``/about/health``): healthy on 200, unhealthy on any other status or no answer within
    the timeout, not configured when there is no endpoint."""
    if not settings.health_url:
        return Health(HealthState.NOT_CONFIGURED, "no health endpoint configured")
    return await anyio.to_thread.run_sync(_probe_health, settings.health_url)


def _probe_room_size(url: str, room: str, domain: str) -> int | None:
    try:
        status, body = _get(url, {"room": room, "domain": domain})
    except (requests.RequestException, _BadAnswerError):
        return None
    if status == 404:
        return 0  # a room exists only once someone has joined it
    if status != 200:
        return None
    try:
        participants = json.loads(body)["participants"]
    except (ValueError, TypeError, KeyError):
        return None
    if isinstance(participants, bool) or not isinstance(participants, int) or participants < 0:
        return None
    return participants


async def room_size(settings: JitsiSettings, hearing: Hearing) -> int | None:
    """Return how many people are in the hearing's room now (0 when the room does not
    exist yet), from Prosody's ``mod_muc_size``; or None if no endpoint is configured or it
    did not give a usable answer in time."""
    if not settings.room_size_url:
        return None
    return await anyio.to_thread.run_sync(
        _probe_room_size, settings.room_size_url, _room(hearing), _host(settings)
    )


# How long one answer of the health endpoint stands for, in a process.
HEALTH_CACHE_SECONDS = 30.0


class HealthCache:
    """The deployment's last health answer, kept for ``HEALTH_CACHE_SECONDS`` in this
    process: the day view and ``/readyz`` ask it instead of probing on every request.

    A lock makes concurrent requests wait for the one probe under way rather than each
    start their own; the probe itself runs in a worker thread (``check_health``), so the
    event loop never waits on it. Answers are kept per health endpoint, so a change of
    settings is never answered from another endpoint's answer."""

    def __init__(
        self, seconds: float = HEALTH_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds = seconds
        self._clock = clock
        self._lock: anyio.Lock | None = None
        self._answers: dict[str, tuple[float, Health]] = {}
        self.probes = 0  # how many times the endpoint was asked (for operators and tests)

    async def health(self, settings: JitsiSettings) -> Health:
        """Return the deployment's health, probing the endpoint at most once per period."""
        url = settings.health_url
        if not url:
            return await check_health(settings)
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            kept = self._answers.get(url)
            if kept is not None and self._clock() - kept[0] < self._seconds:
                return kept[1]
            self.probes += 1
            answer = await check_health(settings)
            self._answers = {url: (self._clock(), answer)}
            return answer


READINESS = {
    HealthState.HEALTHY: "ok",
    HealthState.UNHEALTHY: "unavailable",
    HealthState.NOT_CONFIGURED: "not_configured",
}


async def readiness(cache: HealthCache, settings: JitsiSettings) -> str:
    """Return the video service's entry of ``/readyz``: "ok", "unavailable" or
    "not_configured" (from the cache, so the load balancer's probes do not each ask)."""
    return READINESS[(await cache.health(settings)).state]
