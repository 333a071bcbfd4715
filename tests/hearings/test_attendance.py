"""Attendance of video hearings: signed webhooks (JaaS and a self-hosted Jitsi's event_sync)
and the page's own events become intervals per participant, whatever order, and however many
times, deliveries arrive; forged, stale, unsigned and malformed deliveries change nothing; the
summary says who came, for how long, and who never came."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from filings.models import FilingStatus
from hearings.attendance import services
from hearings.attendance.services import (
    PageEventRefused,
    Recorded,
    attendance_summary,
    close_open_intervals,
    record_page_event,
    signature_for,
)
from hearings.models import (
    AttendanceEvent,
    AttendanceInterval,
    AttendanceKind,
    AttendanceSource,
    Hearing,
    HearingMode,
)
from hearings.notices.services import Participant
from tests.factories.filings import make_case
from tests.hearings.calendars import make_calendar, utc
from tests.helpers import count
from tribune.app import create_app
from tribune.db import Database, utcnow
from tribune.settings import Settings
from tribune.web import WEBHOOK_MAX_BODY

SECRET = "whsec-attendance-test-0123456789abcdef"
APP_ID = "vpaas-magic-cookie-0123456789abcdef"
JAAS = "/webhooks/jaas"
SELF_HOSTED = "/webhooks/jitsi/events"
START = utc(2027, 3, 3, 15)  # 10:00 in Toronto
END = START + timedelta(minutes=90)


def configured(settings: Settings, secret: str) -> Settings:
    return replace(settings, jitsi=replace(settings.jitsi, webhook_secret=secret, app_id=APP_ID))


@pytest.fixture
def app(settings: Settings, database: Database) -> Starlette:
    return create_app(configured(settings, SECRET), database, inline_worker=False)


@dataclass
class Scene:
    hearing: Hearing
    claimant: Participant
    representative: Participant
    adjudicator: Participant


@pytest.fixture
async def scene(db: AsyncSession) -> Scene:
    """A video hearing from 10:00 to 11:30 (Toronto) of a case with a claimant, an authorised
    representative and the adjudicator."""
    calendar = await make_calendar(db)
    filing = await make_case(
        db,
        calendar.tribunal,
        status=FilingStatus.ACCEPTED,
        name="Amina Diallo",
        representative="Rita Counsel",
    )
    hearing = Hearing(
        tribunal_id=calendar.tribunal.id,
        filing_id=filing.id,
        starts_at=START,
        ends_at=END,
        mode=HearingMode.VIDEO,
        adjudicator_id=calendar.adjudicator.id,
        calendar_uid=f"hearing-{uuid.uuid4()}@tribune",
    )
    db.add(hearing)
    await db.commit()
    people = await services.hearing_participants(db, hearing)
    claimant, representative, adjudicator = people
    assert [p.role.value for p in people] == ["claimant", "representative", "adjudicator"]
    return Scene(hearing, claimant, representative, adjudicator)


# -- sending webhooks ---------------------------------------------------------------------------


def signature_header(body: bytes, secret: str = SECRET, at: datetime | None = None) -> str:
    t = str(int((at or utcnow()).timestamp()))
    return f"t={t},v1={signature_for(secret, t, body)}"


def jaas_event(
    room: str,
    event_type: str,
    at: datetime,
    *,
    key: str | None = None,
    user_id: str | None = None,
    name: str = "",
    email: str = "",
    app: str = APP_ID,
) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "email": email, "moderator": False}
    if user_id is not None:
        data["id"] = user_id
    return {
        "idempotencyKey": key or str(uuid.uuid4()),
        "customerId": "0123456789abcdef",
        "appId": app,
        "eventType": event_type,
        "sessionId": "c3348153-1027-4382-afad-5ae91b433c26",
        "timestamp": int(at.timestamp() * 1000),
        "fqn": f"{app}/{room}",
        "data": data,
    }


def occupant_event(
    room: str,
    kind: str,
    joined: datetime,
    left: datetime | None = None,
    *,
    user_id: str | None = None,
    name: str = "",
    email: str = "",
    jid: str = "14f01c40@meet.example.org/OWhl8jSh",
) -> dict[str, Any]:
    occupant: dict[str, Any] = {
        "occupant_jid": jid,
        "joined_at": int(joined.timestamp()),
        "name": name,
        "email": email,
    }
    if user_id is not None:
        occupant["id"] = user_id
    if left is not None:
        occupant["left_at"] = int(left.timestamp())
    return {
        "event_name": f"muc-occupant-{kind}",
        "room_name": room,
        "room_jid": f"{room}@conference.meet.example.org",
        "is_breakout": False,
        "active_occupants_count": 1,
        "occupant": occupant,
    }


async def deliver(
    client: httpx.AsyncClient,
    event: dict[str, Any] | bytes,
    *,
    path: str = JAAS,
    header: str | None = None,
    secret: str = SECRET,
) -> httpx.Response:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    signature = header if header is not None else signature_header(body, secret)
    return await client.post(
        path,
        content=body,
        headers={"Content-Type": "application/json", "X-Jaas-Signature": signature},
    )


async def intervals(db: AsyncSession, hearing: Hearing) -> list[tuple[Any, ...]]:
    await db.commit()
    return [
        (i.participant_key, i.source, i.joined_at, i.left_at, i.display_name)
        for i in await services.intervals_of(db, hearing)
    ]


async def events(db: AsyncSession) -> int:
    await db.commit()
    return await count(db, AttendanceEvent)


def minute(n: int) -> datetime:
    return START + timedelta(minutes=n)


# -- JaaS ---------------------------------------------------------------------------------------


async def test_a_signed_join_and_leave_become_an_interval_of_the_participant(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    room = scene.hearing.video_room
    key = scene.claimant.key
    joined = await deliver(
        client, jaas_event(room, "PARTICIPANT_JOINED", minute(2), user_id=key, name="Amina")
    )
    assert (joined.status_code, joined.text) == (200, "recorded")
    assert await intervals(db, scene.hearing) == [
        (key, AttendanceSource.JAAS, minute(2), None, "Amina")
    ]
    left = await deliver(
        client, jaas_event(room, "PARTICIPANT_LEFT", minute(47), user_id=key, name="Amina")
    )
    assert (left.status_code, left.text) == (200, "recorded")
    assert await intervals(db, scene.hearing) == [
        (key, AttendanceSource.JAAS, minute(2), minute(47), "Amina")
    ]
    stored = (await db.scalars(select(AttendanceEvent).order_by(AttendanceEvent.occurred_at))).all()
    assert [(e.kind, e.source, e.occurred_at) for e in stored] == [
        (AttendanceKind.JOINED, AttendanceSource.JAAS, minute(2)),
        (AttendanceKind.LEFT, AttendanceSource.JAAS, minute(47)),
    ]
    assert stored[0].payload["eventType"] == "PARTICIPANT_JOINED"
    assert stored[0].tribunal_id == scene.hearing.tribunal_id


async def test_without_the_tokens_id_a_participant_is_matched_by_email_then_name(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    room = scene.hearing.video_room
    by_email = jaas_event(
        room, "PARTICIPANT_JOINED", minute(1), email=scene.adjudicator.email.upper(), name="Judge"
    )
    by_name = jaas_event(room, "PARTICIPANT_JOINED", minute(3), name="rita counsel")
    stranger = jaas_event(room, "PARTICIPANT_JOINED", minute(4), name="Curious Visitor")
    # A token id that is no participant of this hearing says nothing: the email decides.
    other_id = jaas_event(
        room,
        "PARTICIPANT_JOINED",
        minute(5),
        user_id=f"party-{uuid.uuid4()}",
        email=scene.claimant.email,
    )
    for event in (by_email, by_name, stranger, other_id):
        assert (await deliver(client, event)).status_code == 200
    found = {row[0]: row[2] for row in await intervals(db, scene.hearing)}
    assert found == {
        scene.adjudicator.key: minute(1),
        scene.representative.key: minute(3),
        "unknown:Curious Visitor": minute(4),
        scene.claimant.key: minute(5),
    }


async def test_a_replayed_delivery_is_recorded_once(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    event = jaas_event(
        scene.hearing.video_room, "PARTICIPANT_JOINED", minute(0), user_id=scene.claimant.key
    )
    first = await deliver(client, event)
    again = await deliver(client, event)  # signed afresh, as a retry is
    assert (first.text, again.status_code, again.text) == ("recorded", 200, "duplicate")
    assert await events(db) == 1
    assert len(await intervals(db, scene.hearing)) == 1


async def test_a_leave_delivered_before_its_join_gives_the_same_interval(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    room, key = scene.hearing.video_room, scene.claimant.key
    join = jaas_event(room, "PARTICIPANT_JOINED", minute(10), user_id=key, name="A")
    leave = jaas_event(room, "PARTICIPANT_LEFT", minute(20), user_id=key, name="A")
    assert (await deliver(client, leave)).status_code == 200
    # A leave with no join yet says nothing; its join, arriving late, completes the interval.
    assert await intervals(db, scene.hearing) == []
    assert (await deliver(client, join)).status_code == 200
    assert (await deliver(client, leave)).text == "duplicate"
    assert await intervals(db, scene.hearing) == [
        (key, AttendanceSource.JAAS, minute(10), minute(20), "A")
    ]


# Two visits of one participant, and a join repeated (a second device) inside the first.
VISITS = [
    ("PARTICIPANT_JOINED", 5),
    ("PARTICIPANT_JOINED", 7),
    ("PARTICIPANT_LEFT", 30),
    ("PARTICIPANT_JOINED", 40),
    ("PARTICIPANT_LEFT", 80),
]
VISIT_KEYS = [f"visit-{n}" for n in range(len(VISITS))]
EXPECTED_VISITS = [(minute(5), minute(30)), (minute(40), minute(80))]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    order=st.permutations(range(len(VISITS))),
    repeated=st.lists(st.integers(0, len(VISITS) - 1), max_size=3),
)
async def test_shuffled_and_duplicated_deliveries_give_identical_intervals(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, order: list[int], repeated: list[int]
) -> None:
    await db.execute(delete(AttendanceInterval))
    await db.execute(delete(AttendanceEvent))
    await db.commit()
    room, key = scene.hearing.video_room, scene.claimant.key
    for index in [*order, *repeated]:
        event_type, at = VISITS[index]
        event = jaas_event(room, event_type, minute(at), key=VISIT_KEYS[index], user_id=key)
        assert (await deliver(client, event)).status_code == 200
    found = [(row[2], row[3]) for row in await intervals(db, scene.hearing)]
    assert found == EXPECTED_VISITS
    assert await events(db) == len(VISITS)


def visit_event(index: int) -> AttendanceEvent:
    kind = (
        AttendanceKind.JOINED if VISITS[index][0] == "PARTICIPANT_JOINED" else AttendanceKind.LEFT
    )
    return AttendanceEvent(
        source=AttendanceSource.JAAS,
        idempotency_key=VISIT_KEYS[index],
        kind=kind,
        participant_key="party-x",
        display_name="A",
        occurred_at=minute(VISITS[index][1]),
    )


@given(order=st.permutations(range(len(VISITS))))
def test_intervals_are_read_in_the_payloads_order_not_the_deliveries(order: list[int]) -> None:
    # The database hands events back in whatever order it likes: the reading must not care.
    spans = services.intervals_from([visit_event(index) for index in order])
    assert [(span.joined_at, span.left_at) for span in spans] == EXPECTED_VISITS


def test_at_one_instant_a_join_comes_before_a_leave_and_a_leave_before_the_end() -> None:
    at = minute(10)
    made = [
        AttendanceEvent(kind=kind, idempotency_key=key, occurred_at=at, display_name="")
        for kind, key in (
            (AttendanceKind.HEARING_ENDED, "a"),
            (AttendanceKind.LEFT, "b"),
            (AttendanceKind.JOINED, "c"),
        )
    ]
    assert [(s.joined_at, s.left_at) for s in services.intervals_from(made)] == [(at, at)]


async def test_other_event_types_are_acknowledged_and_ignored(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    room = scene.hearing.video_room
    for event_type in ("ROOM_CREATED", "ROOM_DESTROYED", "RECORDING_UPLOADED", "SOMETHING_NEW"):
        response = await deliver(client, jaas_event(room, event_type, minute(0)))
        assert (response.status_code, response.text) == (200, "ignored"), event_type
    assert await events(db) == 0


async def test_a_room_no_hearing_has_or_another_apps_room_is_acknowledged_not_recorded(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    unknown = await deliver(client, jaas_event("a" * 26, "PARTICIPANT_JOINED", minute(0)))
    assert (unknown.status_code, unknown.text) == (200, "unknown room")
    elsewhere = jaas_event(
        scene.hearing.video_room, "PARTICIPANT_JOINED", minute(0), app="vpaas-magic-cookie-other"
    )
    other_app = await deliver(client, elsewhere)
    assert (other_app.status_code, other_app.text) == (200, "ignored")
    assert await events(db) == 0


# -- signatures ---------------------------------------------------------------------------------


def join_body(scene: Scene) -> bytes:
    event = jaas_event(
        scene.hearing.video_room, "PARTICIPANT_JOINED", minute(0), user_id=scene.claimant.key
    )
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    "signing",
    [
        "unsigned",
        "forged signature",
        "wrong secret",
        "body changed after signing",
        "stale timestamp",
        "timestamp from the future",
        "v0 scheme only",
        "no timestamp",
    ],
)
async def test_a_delivery_not_signed_with_the_secret_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, signing: str
) -> None:
    body = join_body(scene)
    now = utcnow()
    t = str(int(now.timestamp()))
    header = {
        "unsigned": "",
        "forged signature": f"t={t},v1={'A' * 43}=",
        "wrong secret": signature_header(body, "another-secret-0123456789abcdef"),
        "body changed after signing": signature_header(body.replace(b"Amina", b"Amino") + b" "),
        "stale timestamp": signature_header(body, at=now - timedelta(seconds=301)),
        "timestamp from the future": signature_header(body, at=now + timedelta(seconds=301)),
        "v0 scheme only": f"t={t},v0={signature_for(SECRET, t, body)}",
        "no timestamp": f"v1={signature_for(SECRET, t, body)}",
    }[signing]
    response = await deliver(client, body, header=header)
    assert (response.status_code, response.text) == (400, "refused")
    assert await events(db) == 0


async def test_within_the_tolerance_a_delivery_is_accepted(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    body = join_body(scene)
    header = signature_header(body, at=utcnow() - timedelta(seconds=240))
    assert (await deliver(client, body, header=header)).status_code == 200
    assert await events(db) == 1


async def test_other_schemes_are_ignored_and_any_one_v1_that_matches_is_enough(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    body = join_body(scene)
    t = str(int(utcnow().timestamp()))
    good = signature_for(SECRET, t, body)
    assert good.endswith("=")  # base64 padding: each element is split on its first "=" only
    header = f"t={t}, v0=whatever, v1={'B' * 43}=, v1={good}, v2=future=scheme"
    response = await deliver(client, body, header=header)
    assert (response.status_code, response.text) == (200, "recorded")


async def test_with_no_secret_configured_every_delivery_is_refused(
    settings: Settings, database: Database, db: AsyncSession, scene: Scene
) -> None:
    app = create_app(configured(settings, ""), database, inline_worker=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = join_body(scene)
        # Signed with the empty secret, as anyone could: still refused.
        for secret in ("", SECRET):
            response = await deliver(client, body, header=signature_header(body, secret))
            assert (response.status_code, response.text) == (400, "refused")
            occupant = occupant_event(scene.hearing.video_room, "joined", minute(0))
            refused = await deliver(client, occupant, path=SELF_HOSTED, secret=secret)
            assert refused.status_code == 400
    assert await events(db) == 0


def test_the_signature_is_made_over_the_raw_body_and_compared_whole() -> None:
    body = b'{"b": 1,  "a": 2}'  # not as json.dumps would write it again
    at = datetime(2027, 3, 3, 15, tzinfo=UTC)
    t = str(int(at.timestamp()))
    header = f"t={t},v1={signature_for(SECRET, t, body)}"
    assert services.check_signature(SECRET, header, body, at) is None
    assert services.signed_string(t, body) == t.encode() + b"." + body
    reformatted = json.dumps(json.loads(body)).encode()
    assert services.check_signature(SECRET, header, reformatted, at) is not None
    truncated = header[:-4]
    assert services.check_signature(SECRET, truncated, body, at) is not None


# -- malformed and oversized --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b"\xff\xfe not utf-8",
        b'{"eventType": "PARTICIPANT_JOINED"}',
        b'{"eventType": 7}',
        b"",
    ],
    ids=["broken", "a list", "not utf-8", "no key", "type not a string", "empty"],
)
async def test_a_malformed_delivery_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, body: bytes
) -> None:
    response = await deliver(client, body)
    assert (response.status_code, response.text) == (400, "refused")
    assert await events(db) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"timestamp": "yesterday"},
        {"timestamp": True},
        {"timestamp": 10**400},
        {"timestamp": -5},
        {"data": "not an object"},
        {"idempotencyKey": "k" * 201},
        {"idempotencyKey": ""},
        {"fqn": None},
    ],
)
async def test_a_join_with_a_field_of_the_wrong_shape_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, change: dict[str, Any]
) -> None:
    event = {**jaas_event(scene.hearing.video_room, "PARTICIPANT_JOINED", minute(0)), **change}
    response = await deliver(client, event)
    assert response.status_code == 400, change
    assert await events(db) == 0


@pytest.mark.parametrize("text", ["nul\u0000name", "\ud800", "NaN"])
async def test_text_no_database_can_store_is_refused_not_a_500(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, text: str
) -> None:
    event = jaas_event(scene.hearing.video_room, "PARTICIPANT_JOINED", minute(0), name="x")
    body = json.dumps(event).encode()
    if text == "NaN":
        body = body.replace(b'"moderator": false', b'"moderator": NaN')
    else:
        body = body.replace(b'"name": "x"', b'"name": ' + json.dumps(text).encode())
    response = await deliver(client, body)
    assert response.status_code == 400
    assert await events(db) == 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from([JAAS, SELF_HOSTED]),
    kind=st.sampled_from(["joined", "left"]),
    changes=st.dictionaries(
        st.sampled_from(
            ["idempotencyKey", "eventType", "timestamp", "fqn", "data", "event_name", "room_name"]
        ),
        JSON_VALUES,
        max_size=3,
    ),
    occupant_changes=st.dictionaries(
        st.sampled_from(["occupant_jid", "joined_at", "left_at", "name", "email", "id"]),
        JSON_VALUES,
        max_size=3,
    ),
)
async def test_signed_deliveries_of_any_shape_are_answered_never_a_500(
    client: httpx.AsyncClient,
    db: AsyncSession,
    scene: Scene,
    path: str,
    kind: str,
    changes: dict[str, Any],
    occupant_changes: dict[str, Any],
) -> None:
    room, key = scene.hearing.video_room, scene.claimant.key
    if path == JAAS:
        event_type = "PARTICIPANT_JOINED" if kind == "joined" else "PARTICIPANT_LEFT"
        event = jaas_event(room, event_type, minute(1), user_id=key)
        event["data"].update(occupant_changes)
    else:
        event = occupant_event(room, kind, minute(1), minute(2), user_id=key)
        event["occupant"].update(occupant_changes)
    event.update(changes)
    response = await deliver(client, event, path=path)
    assert response.status_code in (200, 400), response.text


async def test_a_body_past_the_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    event = jaas_event(scene.hearing.video_room, "PARTICIPANT_JOINED", minute(0))
    event["data"]["padding"] = "x" * WEBHOOK_MAX_BODY
    response = await deliver(client, event)
    assert response.status_code == 413
    assert await events(db) == 0


# -- self-hosted (event_sync) ------------------------------------------------------------------


async def test_the_self_hosted_endpoint_records_event_syncs_occupants(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    room = scene.hearing.video_room
    key = scene.claimant.key
    joined = occupant_event(room, "joined", minute(3), user_id=key, name="Amina Diallo")
    left = occupant_event(room, "left", minute(3), minute(63), user_id=key, name="Amina Diallo")
    created = {"event_name": "muc-room-created", "room_name": room, "created_at": 1}
    for event in (created, left, joined, joined):  # a retry of the join, the leave first
        assert (await deliver(client, event, path=SELF_HOSTED)).status_code == 200
    assert await intervals(db, scene.hearing) == [
        (key, AttendanceSource.SELF_HOSTED, minute(3), minute(63), "Amina Diallo")
    ]
    assert await events(db) == 2

    # With Jitsi's tenants the room is "[tenant]room"; without a token, the email decides.
    tenant = occupant_event(
        f"[tribune]{room}", "joined", minute(9), email=scene.adjudicator.email, jid="j@x/2"
    )
    assert (await deliver(client, tenant, path=SELF_HOSTED)).text == "recorded"
    nobody = occupant_event("nosuchroom", "joined", minute(9), jid="j@x/3")
    assert (await deliver(client, nobody, path=SELF_HOSTED)).text == "unknown room"
    found = {row[0] for row in await intervals(db, scene.hearing)}
    assert found == {key, scene.adjudicator.key}

    unsigned = await client.post(SELF_HOSTED, json=joined)
    assert unsigned.status_code == 400
    no_time = occupant_event(room, "left", minute(3))  # a leave without left_at
    assert (await deliver(client, no_time, path=SELF_HOSTED)).status_code == 400


# -- the hearing's end, the page, the summary ---------------------------------------------------


async def test_an_interval_still_open_is_closed_at_the_hearings_end_and_stays_closed(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    room = scene.hearing.video_room
    claimant, judge = scene.claimant.key, scene.adjudicator.key
    for event in (
        jaas_event(room, "PARTICIPANT_JOINED", minute(0), user_id=judge),
        jaas_event(room, "PARTICIPANT_JOINED", minute(1), user_id=claimant),
    ):
        assert (await deliver(client, event)).status_code == 200
    assert await close_open_intervals(db, scene.hearing, minute(85)) == 2
    assert [(row[0], row[3]) for row in await intervals(db, scene.hearing)] == sorted(
        [(claimant, minute(85)), (judge, minute(85))]
    )
    # A leave delivered late, from before the end, still closes the claimant's at its time;
    # one from after the end changes nothing.
    for event in (
        jaas_event(room, "PARTICIPANT_LEFT", minute(50), user_id=claimant),
        jaas_event(room, "PARTICIPANT_LEFT", minute(95), user_id=judge),
    ):
        assert (await deliver(client, event)).status_code == 200
    assert [(row[0], row[2], row[3]) for row in await intervals(db, scene.hearing)] == sorted(
        [(claimant, minute(1), minute(50)), (judge, minute(0), minute(85))]
    )
    assert await close_open_intervals(db, scene.hearing, minute(86)) == 0


async def test_the_page_reports_joins_and_leaves_marked_as_the_browsers(
    db: AsyncSession, scene: Scene
) -> None:
    hearing, key = scene.hearing, scene.representative.key
    assert (
        await record_page_event(db, hearing, key, AttendanceKind.JOINED, minute(4), "tab1-join")
    ) is Recorded.RECORDED
    again = await record_page_event(db, hearing, key, AttendanceKind.JOINED, minute(4), "tab1-join")
    assert again is Recorded.DUPLICATE
    await record_page_event(db, hearing, key, AttendanceKind.LEFT, minute(30), "tab1-left")
    assert await intervals(db, hearing) == [
        (key, AttendanceSource.PAGE, minute(4), minute(30), "Rita Counsel")
    ]
    # Another participant's page using the same key is their own event, not a duplicate.
    other = await record_page_event(
        db, hearing, scene.claimant.key, AttendanceKind.JOINED, minute(6), "tab1-join"
    )
    assert other is Recorded.RECORDED
    stored = await db.scalar(
        select(AttendanceEvent).where(AttendanceEvent.participant_key == key).limit(1)
    )
    assert stored is not None
    assert stored.payload["reported_by"] == "browser"

    for who, kind, when, idempotency_key in (
        (f"party-{uuid.uuid4()}", AttendanceKind.JOINED, minute(5), "k1"),
        (key, AttendanceKind.HEARING_ENDED, minute(5), "k2"),
        (key, AttendanceKind.JOINED, minute(5).replace(tzinfo=None), "k3"),
        (key, AttendanceKind.JOINED, minute(5), "spaces are not keys"),
    ):
        with pytest.raises(PageEventRefused):
            await record_page_event(db, hearing, who, kind, when, idempotency_key)
    assert await events(db) == 3


async def test_the_summary_says_who_came_when_for_how_long_and_who_never_came(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    room, hearing = scene.hearing.video_room, scene.hearing
    claimant, judge = scene.claimant.key, scene.adjudicator.key
    for event in (
        # The adjudicator: in the room 5 minutes early, until 10 minutes after the end.
        jaas_event(room, "PARTICIPANT_JOINED", minute(-5), user_id=judge),
        jaas_event(room, "PARTICIPANT_LEFT", minute(100), user_id=judge),
        # The claimant: 10:05-10:30 by the webhooks, 10:20-10:50 by the page (overlapping).
        jaas_event(room, "PARTICIPANT_JOINED", minute(5), user_id=claimant),
        jaas_event(room, "PARTICIPANT_LEFT", minute(30), user_id=claimant),
        # Someone nobody recognises, for 10 minutes.
        jaas_event(room, "PARTICIPANT_JOINED", minute(10), name="Visitor"),
        jaas_event(room, "PARTICIPANT_LEFT", minute(20), name="Visitor"),
    ):
        assert (await deliver(client, event)).status_code == 200
    await record_page_event(db, hearing, claimant, AttendanceKind.JOINED, minute(20), "j")
    await record_page_event(db, hearing, claimant, AttendanceKind.LEFT, minute(50), "l")

    summary = await attendance_summary(db, hearing, now=minute(200))
    lines = {line.key: line for line in summary.participants}
    assert list(lines) == [p.key for p in await services.hearing_participants(db, hearing)]
    assert (lines[judge].first_joined_at, lines[judge].minutes_present) == (minute(-5), 90)
    assert (lines[claimant].first_joined_at, lines[claimant].minutes_present) == (minute(5), 45)
    assert [line.key for line in summary.never_came] == [scene.representative.key]
    assert lines[scene.representative.key].minutes_present == 0
    assert [(o.name, o.minutes_present, o.role) for o in summary.others] == [("Visitor", 10, None)]


async def test_an_open_interval_counts_until_now_and_a_late_end_extends_the_hearing(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing, claimant = scene.hearing, scene.claimant.key
    event = jaas_event(hearing.video_room, "PARTICIPANT_JOINED", minute(60), user_id=claimant)
    assert (await deliver(client, event)).status_code == 200
    during = await attendance_summary(db, hearing, now=minute(75))
    assert [line.minutes_present for line in during.participants if line.key == claimant] == [15]
    # The hearing ran 20 minutes over and was ended then: those minutes count.
    await close_open_intervals(db, hearing, minute(110))
    after = await attendance_summary(db, hearing, now=minute(300))
    assert [line.minutes_present for line in after.participants if line.key == claimant] == [50]
