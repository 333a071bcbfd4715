"""The Jitsi integration: each participant's token, decoded with PyJWT and checked as
Prosody's token authentication and JaaS check it (header, issuer, audience, subject, the room
and only that room, the join window, moderator and lobby bypass for the adjudicator alone,
strings in ``context.user``); the room's name, script and link for the page; and the health
and room-size endpoints, called over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import http.server
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hearings import jitsi
from hearings.jitsi import (
    HealthState,
    JitsiUser,
    OutsideWindow,
    TokensOff,
    WindowState,
    join_window,
    mint_token,
    window_state,
)
from hearings.models import Hearing, HearingMode, new_video_room
from hearings.notices.services import Participant, ParticipantRole
from tribune.settings import JitsiSettings

SECRET = "a-shared-secret-of-more-than-32-characters"
SELF_HOSTED = JitsiSettings(
    mode="self-hosted", domain="meet.example.org", app_id="tribune", app_secret=SECRET
)
APP_ID = "vpaas-magic-cookie-0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jaas(rsa_key: rsa.RSAPrivateKey) -> JitsiSettings:
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return JitsiSettings(
        mode="jaas", domain="8x8.vc", app_id=APP_ID, private_key=pem, key_id=f"{APP_ID}/4f4910"
    )


def make_hearing(starts_at: datetime, minutes: int = 60) -> Hearing:
    return Hearing(
        tribunal_id=uuid.uuid4(),
        filing_id=uuid.uuid4(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        mode=HearingMode.VIDEO,
        adjudicator_id=uuid.uuid4(),
        calendar_uid=f"hearing-{uuid.uuid4()}@tribune",
        video_room=new_video_room(),
    )


# Everyone who may be in a hearing, as hearings.notices.services.participants_of gives them;
# the interpreter has no email on record.
PARTICIPANTS = [
    Participant(
        f"party-{uuid.uuid4()}", ParticipantRole.CLAIMANT, "Jane Doe", "jd@example.org", "en"
    ),
    Participant(f"party-{uuid.uuid4()}", ParticipantRole.RESPONDENT, "Acme Ltd.", "", "fr"),
    Participant(
        f"party-{uuid.uuid4()}",
        ParticipantRole.REPRESENTATIVE,
        "Léa Avocate",
        "la@example.org",
        "fr",
    ),
    Participant(
        f"adjudicator-{uuid.uuid4()}",
        ParticipantRole.ADJUDICATOR,
        "Ada Member",
        "am@example.org",
        "en",
    ),
    Participant(
        f"interpreter-{uuid.uuid4()}", ParticipantRole.INTERPRETER, "Ivan Interp", "", "en"
    ),
]
KINDS = [participant.role.value for participant in PARTICIPANTS]


def live_hearing() -> tuple[Hearing, datetime]:
    """Return a hearing starting in 20 minutes (its window opened 10 minutes ago) and now, so
    that PyJWT's own clock checks of nbf and exp apply."""
    now = datetime.now(UTC).replace(microsecond=0)
    return make_hearing(now + timedelta(minutes=20)), now


def prosody_accepts(token: str, room: str) -> dict[str, Any]:
    """Verify a self-hosted token as Prosody does (signature, issuer, audience, times with no
    leeway, then the room, lowercased) and return its claims; raise if refused."""
    claims: dict[str, Any] = jwt.decode(
        token,
        SECRET,
        algorithms=["HS256"],
        audience="tribune",
        issuer="tribune",
        leeway=0,
        options={"require": ["iss", "aud", "sub", "room", "exp", "nbf", "iat"]},
    )
    if claims["room"] != "*" and claims["room"].lower() != room.lower():
        raise jwt.InvalidTokenError(f"token for room {claims['room']!r}, not {room!r}")
    return claims


@pytest.mark.parametrize("participant", PARTICIPANTS, ids=KINDS)
def test_a_self_hosted_token_lets_one_participant_into_their_hearing_room(
    participant: Participant,
) -> None:
    hearing, now = live_hearing()
    token = mint_token(SELF_HOSTED, hearing, JitsiUser.for_participant(participant), now)

    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = prosody_accepts(token, hearing.video_room)
    assert claims["iss"] == claims["aud"] == "tribune"
    assert claims["sub"] == "meet.example.org"
    assert claims["room"] == hearing.video_room != "*"
    assert claims["iat"] == int(now.timestamp())
    assert claims["nbf"] == int(now.timestamp()) - 10  # backdated: no leeway on Prosody
    assert claims["exp"] == int((hearing.ends_at + timedelta(hours=2)).timestamp())
    user = claims["context"]["user"]
    adjudicator = participant.role is ParticipantRole.ADJUDICATOR
    assert user == {
        "id": participant.key,
        "name": participant.name,
        "email": participant.email,
        "avatar": "",
        "affiliation": "owner" if adjudicator else "member",
        "moderator": adjudicator,
        "lobby_bypass": adjudicator,
    }
    assert all(isinstance(user[field], str) for field in ("id", "name", "email", "avatar"))


@pytest.mark.parametrize("participant", PARTICIPANTS, ids=KINDS)
def test_a_jaas_token_is_signed_with_the_key_and_says_moderator_as_a_string(
    participant: Participant, jaas: JitsiSettings, rsa_key: rsa.RSAPrivateKey
) -> None:
    hearing, now = live_hearing()
    token = mint_token(jaas, hearing, JitsiUser.for_participant(participant), now)

    assert jwt.get_unverified_header(token) == {
        "alg": "RS256",
        "typ": "JWT",
        "kid": f"{APP_ID}/4f4910",
    }
    claims = jwt.decode(
        token,
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience="jitsi",
        issuer="chat",
        leeway=0,
        options={"require": ["iss", "aud", "sub", "room", "exp", "nbf", "iat"]},
    )
    assert claims["sub"] == APP_ID
    assert claims["room"] == hearing.video_room != "*"
    assert claims["nbf"] == int(now.timestamp()) - 10
    assert claims["exp"] == int((hearing.ends_at + timedelta(hours=2)).timestamp())
    adjudicator = participant.role is ParticipantRole.ADJUDICATOR
    assert claims["context"]["user"] == {
        "id": participant.key,
        "name": participant.name,
        "email": participant.email,
        "avatar": "",
        "moderator": "true" if adjudicator else "false",
    }
    assert claims["context"]["features"] == {
        "recording": "false",
        "livestreaming": "false",
        "transcription": "false",
        "outbound-call": "false",
    }
    # Another key does not verify it.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other.public_key(), algorithms=["RS256"], audience="jitsi")


def test_a_key_id_without_its_app_id_gets_it(jaas: JitsiSettings) -> None:
    hearing, now = live_hearing()
    settings = dataclasses.replace(jaas, key_id="4f4910")
    token = mint_token(settings, hearing, JitsiUser("party-1", "A", "", False), now)
    assert jwt.get_unverified_header(token)["kid"] == f"{APP_ID}/4f4910"


def test_a_token_for_one_hearing_does_not_open_another(jaas: JitsiSettings) -> None:
    first, now = live_hearing()
    second = make_hearing(first.starts_at)
    user = JitsiUser.for_participant(PARTICIPANTS[0])
    token = mint_token(SELF_HOSTED, first, user, now)

    assert prosody_accepts(token, first.video_room)["room"] == first.video_room
    with pytest.raises(jwt.InvalidTokenError, match="not"):
        prosody_accepts(token, second.video_room)
    jaas_token = mint_token(jaas, first, user, now)
    claims = jwt.decode(jaas_token, options={"verify_signature": False})
    assert claims["room"] == first.video_room != second.video_room


def test_a_token_from_another_secret_is_refused() -> None:
    hearing, now = live_hearing()
    other = dataclasses.replace(SELF_HOSTED, app_secret="another-secret-" + "x" * 32)
    token = mint_token(other, hearing, JitsiUser.for_participant(PARTICIPANTS[0]), now)
    with pytest.raises(jwt.InvalidSignatureError):
        prosody_accepts(token, hearing.video_room)


def test_the_window_opens_30_minutes_before_and_closes_2_hours_after_the_scheduled_end(
    jaas: JitsiSettings,
) -> None:
    starts = datetime(2027, 3, 3, 15, tzinfo=UTC)
    hearing = make_hearing(starts, minutes=90)
    opens, closes = join_window(hearing)
    assert opens == datetime(2027, 3, 3, 14, 30, tzinfo=UTC)
    assert closes == datetime(2027, 3, 3, 18, 30, tzinfo=UTC)
    user = JitsiUser.for_participant(PARTICIPANTS[0])

    just_before = opens - timedelta(microseconds=1)
    assert window_state(hearing, just_before) is WindowState.TOO_EARLY
    assert window_state(hearing, opens) is WindowState.OPEN
    assert window_state(hearing, closes - timedelta(seconds=1)) is WindowState.OPEN
    assert window_state(hearing, closes) is WindowState.CLOSED
    for settings in (SELF_HOSTED, jaas):
        with pytest.raises(OutsideWindow) as early:
            mint_token(settings, hearing, user, just_before)
        assert early.value.too_early
        assert not early.value.too_late
        assert (early.value.opens, early.value.closes) == (opens, closes)
        with pytest.raises(OutsideWindow) as late:
            mint_token(settings, hearing, user, closes)
        assert late.value.too_late
        assert not late.value.too_early

        for now in (opens, closes - timedelta(seconds=1)):
            claims = jwt.decode(
                mint_token(settings, hearing, user, now), options={"verify_signature": False}
            )
            assert claims["nbf"] == int(now.timestamp()) - 10
            assert claims["exp"] == int(closes.timestamp())


def test_a_naive_time_is_refused() -> None:
    hearing = make_hearing(datetime(2027, 3, 3, 15, tzinfo=UTC))
    with pytest.raises(ValueError, match="naive"):
        window_state(hearing, datetime(2027, 3, 3, 15))


def test_with_tokens_off_nothing_is_minted_and_the_room_is_on_the_public_domain() -> None:
    hearing, now = live_hearing()
    off = JitsiSettings()
    with pytest.raises(TokensOff):
        mint_token(off, hearing, JitsiUser.for_participant(PARTICIPANTS[3]), now)
    assert jitsi.room_name_for(off, hearing) == hearing.video_room
    assert jitsi.script_url(off) == "https://meet.jit.si/external_api.js"
    assert jitsi.room_link(off, hearing, None) == f"https://meet.jit.si/{hearing.video_room}"


def test_the_page_gets_the_room_script_and_link_of_each_mode(jaas: JitsiSettings) -> None:
    hearing, now = live_hearing()
    user = JitsiUser.for_participant(PARTICIPANTS[0])
    room = hearing.video_room

    assert jitsi.room_name_for(SELF_HOSTED, hearing) == room
    assert jitsi.script_url(SELF_HOSTED) == "https://meet.example.org/external_api.js"
    assert jitsi.origin(SELF_HOSTED) == "https://meet.example.org"
    token = mint_token(SELF_HOSTED, hearing, user, now)
    link = jitsi.room_link(SELF_HOSTED, hearing, token)
    assert link == f"https://meet.example.org/{room}?jwt={token}"
    assert prosody_accepts(parse_qs(urlsplit(link).query)["jwt"][0], urlsplit(link).path[1:])

    assert jitsi.room_name_for(jaas, hearing) == f"{APP_ID}/{room}"
    assert jitsi.script_url(jaas) == f"https://8x8.vc/{APP_ID}/external_api.js"
    assert jitsi.origin(jaas) == "https://8x8.vc"
    jaas_token = mint_token(jaas, hearing, user, now)
    assert jitsi.room_link(jaas, hearing, jaas_token) == (
        f"https://8x8.vc/{APP_ID}/{room}?jwt={jaas_token}"
    )


def test_a_person_is_described_with_strings_only() -> None:
    with pytest.raises(TypeError):
        JitsiUser("party-1", "Jane", None, False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        JitsiUser("", "Jane", "", False)


# The deployment's endpoints, served on loopback as Jitsi documents them.


class _Jitsi(http.server.BaseHTTPRequestHandler):
    rooms: ClassVar[dict[str, int]] = {"busyroom": 3}
    queries: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/about/health":
            self._answer(200, b"")
        elif url.path == "/starting/about/health":
            self._answer(503, b"")
        elif url.path == "/broken/about/health":
            self._answer(500, b"oops")
        elif url.path == "/room-size":
            query = parse_qs(url.query)
            self.queries.append(query)
            if "room" not in query or "domain" not in query:
                self._answer(400, b"")
            elif query["room"][0] in self.rooms:
                body = json.dumps({"participants": self.rooms[query["room"][0]]})
                self._answer(200, body.encode())
            else:
                self._answer(404, b"")
        elif url.path == "/huge/room-size":
            self._answer(200, b'{"participants": 1, "padding": "' + b"x" * 100_000 + b'"}')
        elif url.path == "/garbage/room-size":
            self._answer(200, b"<html>not json</html>")
        else:
            self._answer(404, b"")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Jitsi)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that takes the connection and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def with_endpoints(health: str = "", room_size: str = "") -> JitsiSettings:
    return dataclasses.replace(SELF_HOSTED, health_url=health, room_size_url=room_size)


async def test_the_health_check_says_what_the_deployment_answered(
    stub: str, closed_port: str
) -> None:
    healthy = await jitsi.check_health(with_endpoints(health=f"{stub}/about/health"))
    assert healthy.state is HealthState.HEALTHY
    assert healthy.healthy

    starting = await jitsi.check_health(with_endpoints(health=f"{stub}/starting/about/health"))
    assert starting.state is HealthState.UNHEALTHY
    assert "503" in starting.reason
    broken = await jitsi.check_health(with_endpoints(health=f"{stub}/broken/about/health"))
    assert broken.state is HealthState.UNHEALTHY
    assert "500" in broken.reason
    missing = await jitsi.check_health(with_endpoints(health=f"{stub}/nowhere"))
    assert missing.state is HealthState.UNHEALTHY

    down = await jitsi.check_health(with_endpoints(health=f"{closed_port}/about/health"))
    assert down.state is HealthState.UNHEALTHY
    assert "no answer" in down.reason

    unset = await jitsi.check_health(with_endpoints())
    assert unset.state is HealthState.NOT_CONFIGURED
    assert not unset.healthy


async def test_a_silent_deployment_is_unhealthy_after_the_timeout_without_blocking_the_loop(
    silent: str,
) -> None:
    ticks = 0
    done = False

    async def tick() -> None:
        nonlocal ticks
        while not done:
            await asyncio.sleep(0.05)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    health = await jitsi.check_health(with_endpoints(health=f"{silent}/about/health"))
    elapsed = time.monotonic() - started
    done = True
    await ticker

    assert health.state is HealthState.UNHEALTHY
    assert "no answer" in health.reason
    assert 2.5 < elapsed < 6
    # The event loop kept serving other work while the check waited.
    assert ticks > 30


async def test_the_room_size_counts_who_is_in_the_room(stub: str, closed_port: str) -> None:
    busy = make_hearing(datetime(2027, 3, 3, 15, tzinfo=UTC))
    busy.video_room = "busyroom"
    empty = make_hearing(datetime(2027, 3, 3, 15, tzinfo=UTC))
    settings = with_endpoints(room_size=f"{stub}/room-size")
    _Jitsi.queries.clear()

    assert await jitsi.room_size(settings, busy) == 3
    assert _Jitsi.queries[-1] == {"room": ["busyroom"], "domain": ["meet.example.org"]}
    # The room exists only once someone has joined: 404 is nobody there yet.
    assert await jitsi.room_size(settings, empty) == 0
    assert _Jitsi.queries[-1]["room"] == [empty.video_room]

    for broken in (f"{stub}/huge/room-size", f"{stub}/garbage/room-size", closed_port):
        assert await jitsi.room_size(with_endpoints(room_size=broken), busy) is None
    assert await jitsi.room_size(with_endpoints(), busy) is None
