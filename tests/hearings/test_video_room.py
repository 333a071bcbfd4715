"""The video room on a hearing's page: who is given a way in (the adjudicator while the
hearing can be joined, another participant once let in, never the registry or anyone else),
their own token for that room only, the page's policies naming the one video origin, the
direct link for pages without JavaScript, the fresh token the page asks for, the joins and
leaves the page reports (and what the console makes of them), the poll telling a page to
open or close the room, and the platform without tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from filings.models import PartyRole
from hearings.models import AttendanceEvent, AttendanceSource, Hearing
from hearings.room import routes, services
from tests.factories.accounts import make_user
from tests.hearings.test_console import party_key, row_status
from tests.hearings.test_hearing_page import Scene, make_scene, soon
from tests.helpers import as_user, count, csrf_token, french, post_form, text_of
from tribune.app import create_app
from tribune.db import Database, utcnow
from tribune.settings import Settings

SECRET = "a-video-room-secret-of-more-than-32-characters"
DOMAIN = "meet.example.org"
ORIGIN = "https://meet.example.org"
NOT_LET_IN = (
    "The adjudicator has not let you in yet, or has sent you back to the waiting room. "
    "Wait on this page: it will open the room when they let you in."
)


def self_hosted(settings: Settings) -> Settings:
    return replace(
        settings,
        jitsi=replace(
            settings.jitsi, mode="self-hosted", domain=DOMAIN, app_id="tribune", app_secret=SECRET
        ),
    )


@pytest.fixture
def app(settings: Settings, database: Database) -> Starlette:
    return create_app(self_hosted(settings), database, inline_worker=False)


def attribute(page: str, name: str) -> str:
    """Return the value of a data attribute of the page's video room."""
    marker = f'{name}="'
    start = page.index(marker, page.index('id="video-room-app"')) + len(marker)
    return page[start : page.index('"', start)]


def claims_of(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience="tribune", issuer="tribune"
    )
    return decoded


async def checked_in_and_let_in(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, hearing: Hearing
) -> str:
    """The claimant checks in and the adjudicator lets them in; return their key."""
    url = scene.page(hearing)
    await as_user(client, scene.claimant)
    assert (await post_form(client, url + "/check-in", {}, page=url)).status_code == 303
    key = await party_key(db, scene, PartyRole.CLAIMANT)
    await as_user(client, scene.calendar.adjudicator)
    response = await post_form(client, url + "/console/admit", {"participant": key}, page=url)
    assert response.status_code == 303
    await as_user(client, scene.claimant)
    return key


async def report(
    client: httpx.AsyncClient, url: str, data: dict[str, str], token: str
) -> httpx.Response:
    """Report an event the way the page's script does: a form body, the token as a header."""
    return await client.post(url + "/events", data=data, headers={"X-CSRF-Token": token})


async def test_a_participant_waits_until_let_in_then_the_room_opens_with_their_own_token(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    await as_user(client, scene.claimant)
    assert (await post_form(client, url + "/check-in", {}, page=url)).status_code == 303

    # Waiting: no room on the page, no token, the default policies.
    response = await client.get(url)
    assert 'id="video-room"' not in text_of(response)
    assert hearing.video_room not in text_of(response)
    assert "frame-src" not in response.headers["content-security-policy"]
    assert response.headers["permissions-policy"].startswith("camera=()")
    refused = await client.get(url + "/token")
    assert refused.status_code == 409
    assert refused.json()["error"] == NOT_LET_IN

    key = await checked_in_and_let_in(client, db, scene, hearing)
    response = await client.get(url)
    page = text_of(response)
    assert 'id="video-room-app"' in page
    assert attribute(page, "data-room") == hearing.video_room
    assert attribute(page, "data-domain") == DOMAIN
    assert attribute(page, "data-lang") == "en"
    assert attribute(page, "data-moderator") == "false"
    assert attribute(page, "data-name") == "Claire Tremblay"
    claims = claims_of(attribute(page, "data-jwt"))
    assert claims["room"] == hearing.video_room
    assert claims["sub"] == DOMAIN
    user = claims["context"]["user"]  # type: ignore[index]
    assert user["id"] == key
    assert user["moderator"] is False
    assert user["lobby_bypass"] is False
    assert f'src="{ORIGIN}/external_api.js"' in page
    assert f'href="{ORIGIN}/{hearing.video_room}?jwt=' in page  # without JavaScript
    # The page names the video origin for its script and frame, and nothing more.
    policy = response.headers["content-security-policy"]
    assert f"script-src 'self' {ORIGIN};" in policy
    assert f"frame-src {ORIGIN};" in policy
    assert "default-src 'self'" in policy
    permissions = response.headers["permissions-policy"]
    assert f'camera=(self "{ORIGIN}")' in permissions
    assert f'microphone=(self "{ORIGIN}")' in permissions
    assert "geolocation=()" in permissions

    # The page asks for a fresh token when the person presses "Join the hearing".
    fresh = await client.get(url + "/token")
    assert fresh.status_code == 200
    assert claims_of(fresh.json()["jwt"])["room"] == hearing.video_room
    assert fresh.json()["expires"] == claims["exp"]


async def test_the_adjudicator_moderates_the_room_without_checking_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    await as_user(client, scene.calendar.adjudicator)
    page = text_of(await client.get(scene.page(hearing)))
    assert attribute(page, "data-moderator") == "true"
    assert "Its lobby is turned on when you join" in page
    user = claims_of(attribute(page, "data-jwt"))["context"]["user"]  # type: ignore[index]
    assert user["id"] == f"adjudicator-{scene.calendar.adjudicator.id}"
    assert user["moderator"] is True
    assert user["affiliation"] == "owner"
    assert user["lobby_bypass"] is True


async def test_nobody_else_gets_a_way_into_the_room(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    stranger = await make_user(db, name="Sam Stranger")
    for person in (scene.calendar.clerk, stranger):
        await as_user(client, person)
        token = await csrf_token(client)
        assert (await client.get(url + "/token")).status_code == 404
        joined = {"kind": "joined", "key": "k1"}
        assert (await report(client, url, joined, token)).status_code == 404
    # The registry supports the hearing from its page, without a room of its own.
    await as_user(client, scene.calendar.clerk)
    page = text_of(await client.get(url))
    assert "Run the hearing" in page
    assert 'id="video-room"' not in page
    assert await count(db, AttendanceEvent) == 0


async def test_outside_the_window_there_is_no_room_and_the_refusal_says_why(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    tomorrow = await scene.hearing(db, utcnow().replace(microsecond=0) + timedelta(days=1))
    await as_user(client, scene.calendar.adjudicator)
    assert 'id="video-room"' not in text_of(await client.get(scene.page(tomorrow)))
    refused = await client.get(scene.page(tomorrow) + "/token")
    assert refused.status_code == 409
    assert refused.json()["error"].startswith("It is too early to join the hearing.")

    over = await scene.hearing(db, utcnow().replace(microsecond=0) - timedelta(hours=4))
    scene.calendar.adjudicator.language = "fr"
    await db.commit()
    refused = await client.get(scene.page(over) + "/token")
    assert refused.status_code == 409
    assert refused.json()["error"] == french(
        "This hearing is over, so its video room is closed. The decision will be on the case page."
    )


async def test_the_pages_reports_of_joins_and_leaves_become_attendance_the_console_shows(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    key = await checked_in_and_let_in(client, db, scene, hearing)
    token = await csrf_token(client)

    at = (utcnow() - timedelta(seconds=30)).isoformat()
    joined = {"kind": "joined", "key": "join-1", "at": at}
    assert (await report(client, url, joined, token)).status_code == 204
    assert (await report(client, url, joined, token)).status_code == 204  # sent twice
    page_events = AttendanceEvent.source == AttendanceSource.PAGE
    assert await count(db, AttendanceEvent, page_events) == 1
    await as_user(client, scene.calendar.adjudicator)
    assert row_status(text_of(await client.get(url + "/console")), key) == "in_hearing"

    await as_user(client, scene.claimant)
    token = await csrf_token(client)
    left = {"kind": "left", "key": "left-1"}
    assert (await report(client, url, left, token)).status_code == 204
    await as_user(client, scene.calendar.adjudicator)
    page = text_of(await client.get(url + "/console"))
    assert row_status(page, key) == "dropped"
    assert "Dropped out of the room" in page


async def test_a_browser_clock_far_from_ours_is_not_believed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    await checked_in_and_let_in(client, db, scene, hearing)
    token = await csrf_token(client)
    before = utcnow()
    yesterday = (utcnow() - timedelta(days=1)).isoformat()
    joined = {"kind": "joined", "key": "join-1", "at": yesterday}
    assert (await report(client, url, joined, token)).status_code == 204
    [event] = await db.scalars(select(AttendanceEvent))
    # The server's time is kept (SQLite returns it without its zone: it is UTC).
    assert event.occurred_at.replace(tzinfo=before.tzinfo) >= before - timedelta(seconds=1)


async def test_bad_reports_are_refused_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    await as_user(client, scene.claimant)
    assert (await post_form(client, url + "/check-in", {}, page=url)).status_code == 303
    token = await csrf_token(client)

    # Not let in: a join is not believed.
    refused = await report(client, url, {"kind": "joined", "key": "k1"}, token)
    assert refused.status_code == 409
    assert refused.json()["error"] == NOT_LET_IN

    await checked_in_and_let_in(client, db, scene, hearing)
    token = await csrf_token(client)
    for data in (
        {"kind": "spoke", "key": "k1"},
        {"kind": "joined", "key": ""},
        {"kind": "joined", "key": "a key with spaces"},
        {"kind": "joined", "key": "k" * 101},
        {"kind": "joined", "key": "k1", "at": "yesterday"},
        {"kind": "joined", "key": "k1", "at": "2026-12-04T10:00:00"},  # no zone
    ):
        response = await report(client, url, data, token)
        assert response.status_code == 400, data
        assert response.json()["errors"]
    # Without the CSRF token, nothing either.
    response = await client.post(url + "/events", data={"kind": "joined", "key": "k1"})
    assert response.status_code == 403
    assert await count(db, AttendanceEvent) == 0

    # A page reporting without end is stopped.
    monkeypatch.setattr(routes, "MAX_PAGE_EVENTS", 3)
    for number in range(3):
        data = {"kind": "joined" if number % 2 == 0 else "left", "key": f"k{number}"}
        assert (await report(client, url, data, token)).status_code == 204
    stopped = await report(client, url, {"kind": "left", "key": "k9"}, token)
    assert stopped.status_code == 429
    assert await count(db, AttendanceEvent) == 3


async def test_the_poll_tells_the_page_to_open_or_close_the_room(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    await as_user(client, scene.claimant)
    await post_form(client, url + "/check-in", {}, page=url)
    htmx = {"HX-Request": "true"}
    waiting = await client.get(url + "/status", headers=htmx)
    assert "hx-refresh" not in waiting.headers

    key = await checked_in_and_let_in(client, db, scene, hearing)
    # A page still showing the waiting room is told to load again, and then shows the room.
    assert (await client.get(url + "/status", headers=htmx)).headers["hx-refresh"] == "true"
    page = text_of(await client.get(url))
    assert f'data-hx-get="{url}/status?room=1"' in page
    assert "hx-refresh" not in (await client.get(url + "/status?room=1", headers=htmx)).headers

    # Sent back: the page showing the room is told to load again, and closes it.
    await as_user(client, scene.calendar.adjudicator)
    await post_form(client, url + "/console/send-back", {"participant": key}, page=url)
    await as_user(client, scene.claimant)
    assert (await client.get(url + "/status?room=1", headers=htmx)).headers["hx-refresh"] == "true"
    assert 'id="video-room"' not in text_of(await client.get(url))


async def test_the_page_in_french_gives_the_room_its_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    await checked_in_and_let_in(client, db, scene, hearing)
    scene.claimant.language = "fr"
    await db.commit()
    page = text_of(await client.get(scene.page(hearing)))
    assert attribute(page, "data-lang") == "fr"
    assert french("Join the hearing") in page
    assert french("open the hearing room in a new tab") in page


async def test_without_tokens_the_room_opens_on_its_name_and_says_so(
    settings: Settings, database: Database, db: AsyncSession
) -> None:
    app = create_app(settings, database, inline_worker=False)  # TRIBUNE_JITSI_MODE unset
    assert not settings.jitsi.tokens
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        scene = await make_scene(db)
        hearing = await scene.hearing(db, soon())
        await as_user(client, scene.calendar.adjudicator)
        response = await client.get(scene.page(hearing))
        page = text_of(response)
        assert 'id="video-tokens-off"' in page
        assert attribute(page, "data-jwt") == ""
        assert attribute(page, "data-domain") == settings.jitsi.domain
        origin = f"https://{settings.jitsi.domain}"
        assert f'href="{origin}/{hearing.video_room}"' in page
        assert f"frame-src {origin};" in response.headers["content-security-policy"]
        fresh = await client.get(scene.page(hearing) + "/token")
        assert fresh.json() == {"jwt": "", "tokens": False}


async def test_may_enter_room_follows_the_hearing_and_the_check_in(db: AsyncSession) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    adjudicator = await services.attendee_of(
        db, scene.calendar.tribunal, hearing.id, scene.calendar.adjudicator, set()
    )
    assert adjudicator is not None
    assert services.may_enter_room(adjudicator, None, utcnow())
    hearing.ended_at = utcnow()
    assert not services.may_enter_room(adjudicator, None, utcnow())


async def test_a_hearing_started_early_from_the_console_can_have_its_outcome_recorded(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())  # 10 minutes from now
    url = scene.page(hearing)
    outcome = f"/{scene.slug}/staff/cases/{scene.filing.id}/hearings/{hearing.id}/outcome"
    await as_user(client, scene.calendar.adjudicator)
    not_yet = "You can record the outcome of this hearing once it has started."
    assert not_yet in text_of(await client.get(outcome))
    assert (await post_form(client, url + "/start", {}, page=url)).status_code == 303
    assert (await post_form(client, url + "/end", {}, page=url)).status_code == 303
    page = text_of(await client.get(url))
    assert f'href="{outcome}"' in page  # the ended console offers it
    page = text_of(await client.get(outcome))
    assert not_yet not in page
    assert "What happened at the hearing?" in page
