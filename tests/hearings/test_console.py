"""The adjudicator's console on a video hearing's page: who sees it (the hearing's adjudicator
and the registry, nobody else), each participant's status, letting them in one by one or all
at once and sending them back, starting and ending the hearing (once each, in order, inside
the window) with what ending does to attendance and check-ins, the refusals with their
messages in English and French, and what the console's poll costs."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from filings.models import CaseParty, PartyRole
from hearings.attendance.services import record_page_event
from hearings.models import (
    AttendanceInterval,
    AttendanceKind,
    CheckinStatus,
    Hearing,
    HearingCheckin,
)
from hearings.room import services
from tests.hearings.calendars import make_calendar
from tests.hearings.test_hearing_page import Scene, make_scene, soon
from tests.helpers import as_user, count, french, post_form, text_of
from tribune.audit import AuditAction, AuditEvent
from tribune.db import utcnow


async def party_key(db: AsyncSession, scene: Scene, role: PartyRole) -> str:
    party_id = await db.scalar(
        select(CaseParty.id).where(CaseParty.filing_id == scene.filing.id, CaseParty.role == role)
    )
    return f"party-{party_id}"


async def checked_in(client: httpx.AsyncClient, scene: Scene, hearing: Hearing) -> None:
    """The claimant and the representative check in from their pages."""
    url = scene.page(hearing)
    for person in (scene.claimant, scene.representative):
        await as_user(client, person)
        assert (await post_form(client, url + "/check-in", {}, page=url)).status_code == 303


def row_status(page: str, key: str) -> str:
    """Return the status the console's row of the participant carries."""
    marker = f'id="console-{key}" data-status="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


async def status_of(db: AsyncSession, hearing: Hearing, key: str) -> CheckinStatus | None:
    checkin = await services.checkin_of(db, hearing, key)
    if checkin is not None:
        await db.refresh(checkin)
    return checkin.status if checkin else None


async def test_the_adjudicator_sees_everyone_and_lets_them_in_and_sends_them_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    claimant = await party_key(db, scene, PartyRole.CLAIMANT)
    representative = await party_key(db, scene, PartyRole.REPRESENTATIVE)
    respondent = await party_key(db, scene, PartyRole.RESPONDENT)
    await checked_in(client, scene, hearing)

    await as_user(client, scene.calendar.adjudicator)
    page = text_of(await client.get(url))
    assert "Run the hearing" in page
    assert 'id="check-in"' not in page  # the adjudicator lets people in, they do not wait
    assert row_status(page, claimant) == "waiting"
    assert row_status(page, representative) == "waiting"
    assert row_status(page, respondent) == "not_arrived"
    assert "Claire Tremblay" in page
    assert "Acme Widgets Ltd" in page
    assert "Not arrived" in page
    assert f"console-adjudicator-{scene.calendar.adjudicator.id}" not in page
    assert 'data-hx-get="' + url + '/console"' in page

    # One is let in: their own waiting room says so.
    response = await post_form(client, url + "/console/admit", {"participant": claimant}, page=url)
    assert response.status_code == 303
    assert response.headers["location"] == url + "#console"
    assert await status_of(db, hearing, claimant) is CheckinStatus.ADMITTED
    assert await status_of(db, hearing, representative) is CheckinStatus.WAITING
    page = text_of(await client.get(url + "/console"))
    assert row_status(page, claimant) == "admitted"
    assert "Let in, joining the room" in page
    await as_user(client, scene.claimant)
    assert "The adjudicator has let you in." in text_of(await client.get(url + "/status"))

    # Sent back, then everyone in the waiting room is let in at once.
    await as_user(client, scene.calendar.adjudicator)
    response = await post_form(
        client, url + "/console/send-back", {"participant": claimant}, page=url
    )
    assert response.status_code == 303
    assert await status_of(db, hearing, claimant) is CheckinStatus.RETURNED
    assert row_status(text_of(await client.get(url)), claimant) == "returned"
    assert (await post_form(client, url + "/console/admit-all", {}, page=url)).status_code == 303
    assert await status_of(db, hearing, claimant) is CheckinStatus.ADMITTED
    assert await status_of(db, hearing, representative) is CheckinStatus.ADMITTED
    admitted = AuditEvent.action == AuditAction.HEARING_PARTICIPANT_ADMITTED
    assert await count(db, AuditEvent, admitted) == 3
    returned = AuditEvent.action == AuditAction.HEARING_PARTICIPANT_RETURNED
    assert await count(db, AuditEvent, returned) == 1


async def test_the_registry_runs_the_console_too(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    claimant = await party_key(db, scene, PartyRole.CLAIMANT)
    await checked_in(client, scene, hearing)
    await as_user(client, scene.calendar.clerk)
    assert row_status(text_of(await client.get(url)), claimant) == "waiting"
    await post_form(client, url + "/console/admit", {"participant": claimant}, page=url)
    assert await status_of(db, hearing, claimant) is CheckinStatus.ADMITTED


async def test_nobody_else_may_use_the_console(client: httpx.AsyncClient, db: AsyncSession) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    claimant = await party_key(db, scene, PartyRole.CLAIMANT)
    await checked_in(client, scene, hearing)
    other_adjudicator = await scene.calendar.adjudicator_named(db, "Otto Other")
    other_clerk = (await make_calendar(db)).clerk
    for person in (scene.claimant, scene.representative, other_adjudicator, other_clerk):
        await as_user(client, person)
        if person is scene.claimant:
            assert "Run the hearing" not in text_of(await client.get(url))
        assert (await client.get(url + "/console")).status_code == 404, person.name
        for action, data in (
            ("/console/admit", {"participant": claimant}),
            ("/console/admit-all", {}),
            ("/console/send-back", {"participant": claimant}),
            ("/start", {}),
            ("/end", {}),
        ):
            response = await post_form(client, url + action, data, page="/privacy")
            assert response.status_code == 404, (person.name, action)
    assert await status_of(db, hearing, claimant) is CheckinStatus.WAITING
    await db.refresh(hearing)
    assert hearing.started_at is None


async def test_letting_in_someone_not_checked_in_or_no_participant_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    respondent = await party_key(db, scene, PartyRole.RESPONDENT)
    await checked_in(client, scene, hearing)
    await as_user(client, scene.calendar.adjudicator)
    response = await post_form(
        client, url + "/console/admit", {"participant": respondent}, page=url
    )
    assert response.status_code == 409
    assert "That person has not checked in yet." in text_of(response)
    for stranger in (f"party-{uuid.uuid4()}", f"adjudicator-{scene.calendar.adjudicator.id}", ""):
        response = await post_form(
            client, url + "/console/admit", {"participant": stranger}, page=url
        )
        assert response.status_code == 409
        assert "That person is not a participant of this hearing." in text_of(response)
    assert await count(db, HearingCheckin) == 2
    assert [c.status for c in await services.checkins_of(db, hearing)] == [
        CheckinStatus.WAITING,
        CheckinStatus.WAITING,
    ]
    admitted = AuditEvent.action == AuditAction.HEARING_PARTICIPANT_ADMITTED
    assert await count(db, AuditEvent, admitted) == 0


async def test_start_and_end_come_once_each_in_order_inside_the_window(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    await as_user(client, scene.calendar.adjudicator)

    response = await post_form(client, url + "/end", {}, page=url)
    assert response.status_code == 409
    assert "The hearing has not started, so it cannot be ended." in text_of(response)

    assert (await post_form(client, url + "/start", {}, page=url)).status_code == 303
    await db.refresh(hearing)
    assert hearing.started_at is not None
    started_at = hearing.started_at
    page = text_of(await client.get(url))
    assert "The hearing started at " in page
    assert 'id="end-hearing"' in page
    response = await post_form(client, url + "/start", {}, page=url)
    assert response.status_code == 409
    assert "The hearing has already started." in text_of(response)
    await db.refresh(hearing)
    assert hearing.started_at == started_at

    assert (await post_form(client, url + "/end", {}, page=url)).status_code == 303
    await db.refresh(hearing)
    assert hearing.ended_at is not None
    ended_at = hearing.ended_at
    response = await post_form(client, url + "/end", {}, page=url)
    assert response.status_code == 409
    assert "The hearing has ended" in text_of(response)
    await db.refresh(hearing)
    assert hearing.ended_at == ended_at
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_STARTED) == 1
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_ENDED) == 1

    # Before the window, or after it, a hearing cannot be started.
    early = await scene.hearing(db, utcnow() + timedelta(hours=3))
    response = await post_form(client, scene.page(early) + "/start", {}, page=url)
    assert response.status_code == 409
    assert "It is too early to start the hearing. It can be started from " in text_of(response)
    late = await scene.hearing(db, utcnow() - timedelta(hours=5))
    response = await post_form(client, scene.page(late) + "/start", {}, page=url)
    assert response.status_code == 409
    assert "The hearing can no longer be started: its time is over." in text_of(response)
    for other in (early, late):
        await db.refresh(other)
        assert other.started_at is None
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_STARTED) == 1


async def test_the_waiting_room_hears_of_the_start_and_the_end(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    await checked_in(client, scene, hearing)
    await as_user(client, scene.calendar.adjudicator)
    await post_form(client, url + "/start", {}, page=url)
    await as_user(client, scene.claimant)
    assert "The hearing has started." in text_of(await client.get(url + "/status"))
    await as_user(client, scene.calendar.adjudicator)
    await post_form(client, url + "/end", {}, page=url)
    await as_user(client, scene.claimant)
    block = await client.get(url + "/status")
    assert "The hearing has ended." in text_of(block)
    assert "every 5s" not in block.text  # nothing more to wait for


async def test_ending_closes_open_attendance_and_marks_who_was_in_as_left(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, utcnow().replace(microsecond=0) - timedelta(minutes=5))
    url = scene.page(hearing)
    claimant = await party_key(db, scene, PartyRole.CLAIMANT)
    representative = await party_key(db, scene, PartyRole.REPRESENTATIVE)
    await checked_in(client, scene, hearing)
    await as_user(client, scene.calendar.adjudicator)
    await post_form(client, url + "/start", {}, page=url)
    await post_form(client, url + "/console/admit", {"participant": claimant}, page=url)
    await record_page_event(
        db, hearing, claimant, AttendanceKind.JOINED, utcnow() - timedelta(minutes=2), "join-1"
    )
    await db.commit()
    [interval] = list(await db.scalars(select(AttendanceInterval)))
    assert interval.left_at is None

    assert (await post_form(client, url + "/end", {}, page=url)).status_code == 303
    await db.refresh(hearing)
    assert hearing.ended_at is not None
    # The intervals are derived again from the events: the one interval is closed at the end.
    db.expunge_all()
    [closed] = list(await db.scalars(select(AttendanceInterval)))
    assert closed.participant_key == claimant
    assert closed.left_at == hearing.ended_at
    assert await status_of(db, hearing, claimant) is CheckinStatus.LEFT
    assert await status_of(db, hearing, representative) is CheckinStatus.WAITING
    page = text_of(await client.get(url + "/console"))
    assert row_status(page, claimant) == "left"
    assert "The hearing ended at " in page
    assert "Let in" not in page  # nobody is let in to a hearing that has ended

    # Nor by a forged form.
    response = await post_form(
        client, url + "/console/admit", {"participant": representative}, page=url
    )
    assert response.status_code == 409
    assert await status_of(db, hearing, representative) is CheckinStatus.WAITING


async def test_the_console_in_french(client: httpx.AsyncClient, db: AsyncSession) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    respondent = await party_key(db, scene, PartyRole.RESPONDENT)
    await checked_in(client, scene, hearing)
    scene.calendar.adjudicator.language = "fr"
    await db.commit()
    await as_user(client, scene.calendar.adjudicator)
    page = text_of(await client.get(url))
    for message in ("Run the hearing", "Start the hearing", "Let everyone in", "Not arrived"):
        assert french(message) in page
    assert french("Let in") in page
    assert french("Waiting") in page
    response = await post_form(
        client, url + "/console/admit", {"participant": respondent}, page=url
    )
    assert response.status_code == 409
    assert french(
        "That person has not checked in yet. They can be let in once they are in the waiting room."
    ) in text_of(response)
    response = await post_form(client, url + "/end", {}, page=url)
    assert french("The hearing has not started, so it cannot be ended.") in text_of(response)


async def test_the_consoles_poll_takes_a_fixed_number_of_statements(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing) + "/console"
    await checked_in(client, scene, hearing)
    await as_user(client, scene.calendar.adjudicator)

    async def statements() -> list[str]:
        seen: list[str] = []

        def count_one(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", count_one)
        try:
            response = await client.get(url)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count_one)
        assert response.status_code == 200
        assert "<html" not in response.text
        return seen

    first = await statements()
    for n in range(6):
        party = CaseParty(
            id=uuid.uuid4(),
            tribunal_id=scene.calendar.tribunal.id,
            filing_id=scene.filing.id,
            role=PartyRole.RESPONDENT,
            name=f"Respondent {n}",
        )
        db.add(party)
        if n % 2:
            db.add(
                HearingCheckin(
                    tribunal_id=scene.calendar.tribunal.id,
                    hearing_id=hearing.id,
                    participant_key=f"party-{party.id}",
                    checked_in_at=utcnow(),
                )
            )
    await db.commit()
    more = await statements()
    assert len(more) == len(first), more
    assert text_of(await client.get(url)).count('name="participant"') == 5  # 2 + 3 waiting
    assert len(first) <= 12, first  # with who is in the video room and the self-tests


async def test_before_the_window_there_is_no_console_to_run(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, utcnow() + timedelta(days=2))
    await as_user(client, scene.calendar.adjudicator)
    assert "Run the hearing" not in text_of(await client.get(scene.page(hearing)))
    block = await client.get(scene.page(hearing) + "/console")
    assert block.status_code == 200
    assert "The hearing can be run from here from 30 minutes before it starts" in text_of(block)
    assert "start-hearing" not in block.text
