"""The day view while video hearings are held: each one live, not started or ended; the
registry's alerts (a participant who dropped out of a live hearing, one not arrived five
minutes after the start) linking to the hearing's page, in a fixed number of statements;
the video service's state at the top of the page, asked of the health endpoint at most once
per 30 seconds; and ``/readyz`` reporting the video service without failing on it alone."""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette

from filings.models import CaseParty, Filing, PartyRole
from hearings import jitsi
from hearings.models import (
    AttendanceInterval,
    AttendanceSource,
    CheckinStatus,
    Hearing,
    HearingCheckin,
    HearingMode,
    HearingSelfTest,
    Interpreter,
    SelfTestReason,
    SelfTestResult,
)
from tests.factories.tribunals import make_staff
from tests.hearings.calendars import Calendar, make_calendar
from tests.hearings.test_jitsi import _Jitsi
from tests.hearings.test_party_views import add_hearing
from tests.helpers import as_user, text_of
from tribunals.models import Role
from tribune.db import utcnow
from tribune.settings import JitsiSettings


async def claimant(db: AsyncSession, filing: Filing, name: str) -> CaseParty:
    """Return the case's claimant, renamed so that each case's is told apart."""
    party = await db.scalar(
        select(CaseParty).where(
            CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.CLAIMANT
        )
    )
    assert party is not None
    party.name = name
    await db.commit()
    return party


async def video_hearing(
    db: AsyncSession,
    calendar: Calendar,
    name: str,
    starts_at: datetime,
    *,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    interpreter: Interpreter | None = None,
    language: str | None = None,
) -> tuple[Hearing, CaseParty]:
    """Return a video hearing of a new case whose claimant is called ``name``."""
    filing = await calendar.accepted_case(db)
    party = await claimant(db, filing, name)
    hearing = await add_hearing(
        db,
        calendar,
        filing,
        starts_at,
        mode=HearingMode.VIDEO,
        interpreter=interpreter,
        language=language,
        started_at=started_at,
        ended_at=ended_at,
    )
    return hearing, party


def day_url(calendar: Calendar, hearing: Hearing) -> str:
    day = hearing.starts_at.astimezone(ZoneInfo(calendar.tribunal.time_zone)).date()
    return f"/{calendar.tribunal.slug}/staff/hearings/day?date={day.isoformat()}"


async def day_page(client: httpx.AsyncClient, calendar: Calendar, hearing: Hearing) -> str:
    response = await client.get(day_url(calendar, hearing))
    assert response.status_code == 200
    return text_of(response)


def alerts(page: str) -> list[str]:
    """Return the alerts' lines, as text."""
    return [
        re.sub(r"<[^>]+>", "", line).strip()
        for line in re.findall(r"<li data-alert=[^>]*>(.*?)</li>", page, re.S)
    ]


def alert_kinds(page: str) -> list[str]:
    return re.findall(r'<li data-alert="([a-z_]+)"', page)


def hearing_link(calendar: Calendar, hearing: Hearing) -> str:
    return f"/{calendar.tribunal.slug}/hearings/{hearing.id}"


def checkin(hearing: Hearing, key: str, status: CheckinStatus, at: datetime) -> HearingCheckin:
    return HearingCheckin(
        id=uuid.uuid4(),
        tribunal_id=hearing.tribunal_id,
        hearing_id=hearing.id,
        participant_key=key,
        status=status,
        checked_in_at=at,
    )


def interval(
    hearing: Hearing, key: str, joined_at: datetime, left_at: datetime | None
) -> AttendanceInterval:
    return AttendanceInterval(
        id=uuid.uuid4(),
        tribunal_id=hearing.tribunal_id,
        hearing_id=hearing.id,
        participant_key=key,
        display_name="",
        source=AttendanceSource.JAAS,
        joined_at=joined_at,
        left_at=left_at,
    )


def adjudicator_key(hearing: Hearing) -> str:
    return f"adjudicator-{hearing.adjudicator_id}"


# -- live, not started, ended -----------------------------------------------------------------


async def test_each_video_hearing_says_whether_it_is_live_not_started_or_ended(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    now = utcnow()
    live, _ = await video_hearing(
        db,
        calendar,
        "Lea Live",
        now - timedelta(minutes=20),
        started_at=now - timedelta(minutes=18),
    )
    soon, _ = await video_hearing(db, calendar, "Sam Soon", now + timedelta(minutes=20))
    ended, _ = await video_hearing(
        db,
        calendar,
        "Eve Ended",
        now - timedelta(minutes=80),
        started_at=now - timedelta(minutes=80),
        ended_at=now - timedelta(minutes=5),
    )
    await as_user(client, calendar.clerk)

    zone = calendar.tribunal.time_zone
    page = await day_page(client, calendar, live)
    assert "Live now, started at " in page
    with_start = re.search(r"Live now, started at ([^<]+)<", page)
    assert with_start
    assert with_start.group(1) == jitsi_clock(live.started_at, zone)
    assert hearing_link(calendar, live) in page

    page = await day_page(client, calendar, soon)
    assert "Not started" in page
    assert hearing_link(calendar, soon) in page

    page = await day_page(client, calendar, ended)
    assert "Ended at " in page

    # In French.
    await in_french(client, db, calendar)
    page = await day_page(client, calendar, live)
    assert f"En direct, commencée à {jitsi_clock_fr(live.started_at, zone)}" in page
    page = await day_page(client, calendar, soon)
    assert "Pas commencée" in page


async def in_french(client: httpx.AsyncClient, db: AsyncSession, calendar: Calendar) -> None:
    """Sign in as a clerk of the tribunal who reads French."""
    await as_user(client, await make_staff(db, calendar.tribunal, Role.CLERK, language="fr"))


def jitsi_clock_fr(value: datetime | None, zone: str) -> str:
    from tribune import i18n

    with i18n.use_language("fr"):
        return jitsi_clock(value, zone)


def jitsi_clock(value: datetime | None, zone: str) -> str:
    from hearings import times

    assert value is not None
    return times.clock(value, zone)


# -- alerts -----------------------------------------------------------------------------------


async def test_a_participant_who_dropped_out_of_a_live_hearing_is_an_alert(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    now = utcnow()
    started = now - timedelta(minutes=20)
    hearing, party = await video_hearing(
        db, calendar, "Dana Dropped", now - timedelta(minutes=25), started_at=started
    )
    other, stayed = await video_hearing(
        db, calendar, "Stan Stayed", now - timedelta(minutes=25), started_at=started
    )
    key = f"party-{party.id}"
    db.add_all(
        [
            # Dana was let in, joined, and left the room while the hearing was live.
            checkin(hearing, key, CheckinStatus.ADMITTED, now - timedelta(minutes=28)),
            interval(hearing, key, started, now - timedelta(minutes=7)),
            # The adjudicator is in the room.
            checkin(hearing, adjudicator_key(hearing), CheckinStatus.ADMITTED, started),
            interval(hearing, adjudicator_key(hearing), started, None),
            # Stan left once and came back: not an alert.
            checkin(other, f"party-{stayed.id}", CheckinStatus.ADMITTED, started),
            interval(other, f"party-{stayed.id}", started, now - timedelta(minutes=10)),
            interval(other, f"party-{stayed.id}", now - timedelta(minutes=8), None),
            checkin(other, adjudicator_key(other), CheckinStatus.ADMITTED, started),
            interval(other, adjudicator_key(other), started, None),
        ]
    )
    await db.commit()
    await as_user(client, calendar.clerk)

    page = await day_page(client, calendar, hearing)
    lines = alerts(page)
    zone = calendar.tribunal.time_zone
    left_at = jitsi_clock(now - timedelta(minutes=7), zone)
    assert [line for line in lines if "Dana Dropped" in line] == [
        f"Dana Dropped left the hearing at {left_at}: hearing {reference(page, hearing)}"
    ]
    assert not [line for line in lines if "Stan Stayed" in line]
    assert f'href="{hearing_link(calendar, hearing)}"' in page

    # A check-in saying the participant left counts too, with no open interval.
    await db.execute(
        update(HearingCheckin)
        .where(HearingCheckin.participant_key == f"party-{stayed.id}")
        .values(status=CheckinStatus.LEFT)
    )
    await db.execute(
        update(AttendanceInterval)
        .where(
            AttendanceInterval.participant_key == f"party-{stayed.id}",
            AttendanceInterval.left_at.is_(None),
        )
        .values(left_at=now - timedelta(minutes=2))
    )
    await db.commit()
    lines = alerts(await day_page(client, calendar, hearing))
    assert any(line.startswith("Stan Stayed left the hearing at ") for line in lines)

    # Sent back to the waiting room by the adjudicator: the console shows them, no alert.
    await db.execute(
        update(HearingCheckin)
        .where(HearingCheckin.participant_key == key)
        .values(status=CheckinStatus.RETURNED)
    )
    await db.commit()
    lines = alerts(await day_page(client, calendar, hearing))
    assert not [line for line in lines if "Dana Dropped" in line]


def reference(page: str, hearing: Hearing) -> str:
    """Return the words the page links the hearing with: its case reference and hours."""
    match = re.search(rf'href="[^"]*/hearings/{hearing.id}">hearing ([^<]+)</a>', page)
    assert match, page
    return match.group(1)


async def test_participants_not_arrived_five_minutes_after_the_start_are_alerts(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    now = utcnow()
    late, party = await video_hearing(db, calendar, "Nora Notyet", now - timedelta(minutes=6))
    db.add(checkin(late, adjudicator_key(late), CheckinStatus.WAITING, now - timedelta(minutes=9)))
    # Three minutes after the start: nobody is late yet.
    _early, _ = await video_hearing(db, calendar, "Gus Grace", now - timedelta(minutes=3))
    # Ended: no alerts whoever did not come.
    _ended, _ = await video_hearing(
        db,
        calendar,
        "Olga Over",
        now - timedelta(minutes=70),
        started_at=now - timedelta(minutes=70),
        ended_at=now - timedelta(minutes=10),
    )
    await db.commit()
    await as_user(client, calendar.clerk)

    page = await day_page(client, calendar, late)
    lines = alerts(page)
    zone = calendar.tribunal.time_zone
    due = jitsi_clock(late.starts_at, zone)
    assert [line for line in lines if "Nora Notyet" in line] == [
        f"Nora Notyet has not arrived (the hearing was to start at {due}): "
        f"hearing {reference(page, late)}"
    ]
    # The adjudicator checked in: not an alert.
    assert not [
        line for line in lines if "Ada Adjudicator" in line and reference(page, late) in line
    ]
    assert not [line for line in lines if "Gus Grace" in line or "Olga Over" in line]
    assert "not_arrived" in alert_kinds(page)

    # Once in the room (an attendance interval, even without a check-in), no longer late.
    db.add(interval(late, f"party-{party.id}", now - timedelta(minutes=1), None))
    await db.commit()
    lines = alerts(await day_page(client, calendar, late))
    assert not [line for line in lines if "Nora Notyet" in line]

    await in_french(client, db, calendar)
    late_fr, _ = await video_hearing(db, calendar, "Fred Tard", now - timedelta(minutes=7))
    await db.commit()
    page = await day_page(client, calendar, late_fr)
    assert "Alertes" in page
    due = jitsi_clock_fr(late_fr.starts_at, zone)
    assert f"Aucune arrivée de Fred Tard (l’audience devait commencer à {due})" in page


async def test_a_participant_whose_self_test_failed_is_an_alert_until_they_are_in_the_room(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    now = utcnow()
    hearing, party = await video_hearing(db, calendar, "Tess Tested", now + timedelta(minutes=20))
    passed, passed_party = await video_hearing(
        db, calendar, "Pat Passed", now + timedelta(minutes=20)
    )
    for test_hearing, key, result, reason in (
        (hearing, f"party-{party.id}", SelfTestResult.FAILED, SelfTestReason.NO_MICROPHONE),
        (passed, f"party-{passed_party.id}", SelfTestResult.PASSED, None),
    ):
        db.add(
            HearingSelfTest(
                tribunal_id=calendar.tribunal.id,
                hearing_id=test_hearing.id,
                participant_key=key,
                result=result,
                reason=reason,
                tested_at=now - timedelta(minutes=2),
            )
        )
    await db.commit()
    await as_user(client, calendar.clerk)
    page = await day_page(client, calendar, hearing)
    assert [line for line in alerts(page) if "Tess Tested" in line] == [
        "Tess Tested failed the equipment test (I do not have a microphone, or it was not "
        f"found): hearing {reference(page, hearing)}"
    ]
    assert "self_test_failed" in alert_kinds(page)
    assert not [line for line in alerts(page) if "Pat Passed" in line]

    # Once in the room, the failed test no longer matters.
    db.add(interval(hearing, f"party-{party.id}", now - timedelta(minutes=1), None))
    await db.commit()
    assert not [
        line for line in alerts(await day_page(client, calendar, hearing)) if "Tess" in line
    ]


async def test_the_day_view_with_live_hearings_takes_a_fixed_number_of_statements(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    calendar = await make_calendar(db)
    now = utcnow()
    starts_at = now - timedelta(minutes=15)
    started = now - timedelta(minutes=12)
    interpreter = await calendar.interpreter(db, ["es"])
    await as_user(client, calendar.clerk)

    async def hearings(n: int) -> Hearing:
        for index in range(n):
            hearing, party = await video_hearing(
                db,
                calendar,
                f"Party {index}",
                starts_at,
                started_at=started,
                interpreter=interpreter,
                language="es",
            )
            adjudicator = await make_staff(db, calendar.tribunal, Role.ADJUDICATOR)
            hearing.adjudicator_id = adjudicator.id
            key = f"party-{party.id}"
            db.add_all(
                [
                    checkin(hearing, key, CheckinStatus.ADMITTED, starts_at),
                    interval(hearing, key, started, now - timedelta(minutes=2)),
                ]
            )
        await db.commit()
        return hearing

    async def statements(url: str) -> tuple[int, str]:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            response = await client.get(url)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(seen), text_of(response)

    url = day_url(calendar, await hearings(1))
    one, page = await statements(url)
    assert alert_kinds(page).count("dropped_out") == 1
    # Each hearing's adjudicator and interpreter have not arrived.
    assert alert_kinds(page).count("not_arrived") == 2
    await hearings(9)
    ten, page = await statements(url)
    assert ten == one
    assert alert_kinds(page).count("dropped_out") == 10
    assert alert_kinds(page).count("not_arrived") == 20


# -- the video service's state ----------------------------------------------------------------


class _CountingJitsi(_Jitsi):
    """The Jitsi stub of test_jitsi, counting health probes, with one that answers late."""

    health_probes: ClassVar[list[str]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.endswith("/about/health"):
            self.health_probes.append(self.path)
        if self.path == "/slow/about/health":
            time.sleep(jitsi.HTTP_TIMEOUT + 1)
            with contextlib.suppress(OSError):  # the caller gave up, as it should
                self._answer(200, b"")
            return
        super().do_GET()


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingJitsi)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def with_health(app: Starlette, url: str) -> None:
    """Point the application at a health endpoint (empty: none configured)."""
    jitsi_settings: JitsiSettings = dataclasses.replace(app.state.settings.jitsi, health_url=url)
    app.state.settings = dataclasses.replace(app.state.settings, jitsi=jitsi_settings)


def service_line(page: str) -> str:
    match = re.search(r'<p class="govuk-body" id="video-service">(.*?)</p>', page, re.S)
    assert match, "no video service line"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.mark.parametrize(
    ("path", "line", "french"),
    [
        ("/about/health", "Video service: working", "Service vidéo : fonctionne"),
        (
            "/starting/about/health",
            "Video service: not answering (participants may need to join by telephone)",
            "Service vidéo : ne répond pas (les participants devront peut-être se joindre "
            "par téléphone)",
        ),
        (
            "/slow/about/health",
            "Video service: not answering (participants may need to join by telephone)",
            None,
        ),
        ("", "Video service: not monitored", "Service vidéo : non surveillé"),
    ],
)
async def test_the_day_view_says_whether_the_video_service_answers(
    client: httpx.AsyncClient,
    db: AsyncSession,
    app: Starlette,
    stub: str,
    path: str,
    line: str,
    french: str | None,
) -> None:
    calendar = await make_calendar(db)
    hearing, _ = await video_hearing(db, calendar, "Vic Video", utcnow() + timedelta(days=1))
    with_health(app, f"{stub}{path}" if path else "")
    await as_user(client, calendar.clerk)
    assert service_line(await day_page(client, calendar, hearing)) == line
    if french:
        await in_french(client, db, calendar)
        assert service_line(await day_page(client, calendar, hearing)) == french


async def test_a_day_without_video_hearings_has_no_video_service_line(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette, stub: str
) -> None:
    calendar = await make_calendar(db)
    filing = await calendar.accepted_case(db)
    hearing = await add_hearing(
        db, calendar, filing, utcnow() + timedelta(days=1), mode=HearingMode.TELEPHONE
    )
    with_health(app, f"{stub}/about/health")
    await as_user(client, calendar.clerk)
    before = len(_CountingJitsi.health_probes)
    page = await day_page(client, calendar, hearing)
    assert 'id="video-service"' not in page
    assert len(_CountingJitsi.health_probes) == before  # nothing asked


async def test_two_requests_within_30_seconds_probe_the_service_once(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette, stub: str
) -> None:
    calendar = await make_calendar(db)
    hearing, _ = await video_hearing(db, calendar, "Cal Cache", utcnow() + timedelta(days=1))
    with_health(app, f"{stub}/about/health")
    await as_user(client, calendar.clerk)
    before = len(_CountingJitsi.health_probes)
    await day_page(client, calendar, hearing)
    await day_page(client, calendar, hearing)
    assert (await client.get("/readyz")).json()["checks"]["video"] == "ok"
    assert len(_CountingJitsi.health_probes) == before + 1


async def test_concurrent_requests_wait_for_one_probe_and_the_answer_expires(stub: str) -> None:
    import anyio

    moment = [0.0]
    cache = jitsi.HealthCache(clock=lambda: moment[0])
    settings = dataclasses.replace(JitsiSettings(), health_url=f"{stub}/starting/about/health")
    before = len(_CountingJitsi.health_probes)
    answers: list[jitsi.Health] = []

    async def ask() -> None:
        answers.append(await cache.health(settings))

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(ask)
    assert len(answers) == 5
    assert all(answer.state is jitsi.HealthState.UNHEALTHY for answer in answers)
    assert len(_CountingJitsi.health_probes) == before + 1

    moment[0] = 29.9
    await cache.health(settings)
    assert len(_CountingJitsi.health_probes) == before + 1
    moment[0] = 30.0
    await cache.health(settings)
    assert len(_CountingJitsi.health_probes) == before + 2


# -- /readyz ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "video"),
    [
        ("/about/health", "ok"),
        ("/starting/about/health", "unavailable"),
        ("/slow/about/health", "unavailable"),
        ("", "not_configured"),
    ],
)
async def test_readyz_reports_the_video_service_without_failing_on_it(
    client: httpx.AsyncClient, app: Starlette, stub: str, path: str, video: str
) -> None:
    with_health(app, f"{stub}{path}" if path else "")
    response = await client.get("/readyz")
    # The database and the documents are fine: the platform serves filings, video or not.
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "video": video},
    }
