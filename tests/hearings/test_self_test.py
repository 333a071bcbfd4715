"""The self-test page of a video hearing: who reaches it and who may record a result (its
participants; the registry looks but records nothing; nobody else, nor another tribunal),
recording passed, failed with a reason, or skipped (a bad answer is a translated 400 and
records nothing; a new answer replaces the last, with an audit entry each), the refusal once
the hearing is over or not going ahead, the page in French, its own Permissions-Policy (and
the default everywhere else), the way from the hearing page, the console's column and what it
costs, and the failed tests the clerk's day view will read."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from filings.models import CaseParty, PartyRole
from hearings.models import (
    Hearing,
    HearingSelfTest,
    HearingStatus,
    SelfTestReason,
    SelfTestResult,
)
from hearings.selftest import services
from tests.hearings.calendars import make_calendar
from tests.hearings.test_console import party_key, row_status
from tests.hearings.test_hearing_page import Scene, make_scene, soon
from tests.helpers import as_user, count, french, post_form, text_of
from tribune.audit import AuditAction, AuditEvent
from tribune.db import utcnow

ALLOWED = "camera=(self), microphone=(self), geolocation=()"
DEFAULT = "camera=(), microphone=(), geolocation=()"
QUESTION = "Did you see yourself, see the level move when you spoke, and hear the sound?"


def later() -> datetime:
    """A start three days from now: long before the join window opens."""
    return utcnow().replace(microsecond=0) + timedelta(days=3)


def url_of(scene: Scene, hearing: Hearing) -> str:
    return scene.page(hearing) + "/self-test"


async def record(
    client: httpx.AsyncClient, url: str, result: str, reason: str = ""
) -> httpx.Response:
    return await post_form(client, url, {"result": result, "reason": reason}, page=url)


async def saved_tests(db: AsyncSession, hearing: Hearing) -> dict[str, HearingSelfTest]:
    """Return the self-tests of the hearing as the database holds them now."""
    rows = await db.scalars(
        select(HearingSelfTest)
        .where(HearingSelfTest.hearing_id == hearing.id)
        .execution_options(populate_existing=True)
    )
    return {row.participant_key: row for row in rows}


# -- who reaches the page and who records ------------------------------------------------------


async def test_participants_reach_the_page_and_others_do_not(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, utcnow() + timedelta(days=3))
    url = url_of(scene, hearing)
    for person in (scene.claimant, scene.representative, scene.calendar.adjudicator):
        await as_user(client, person)
        response = await client.get(url)
        assert response.status_code == 200, person.name
        page = text_of(response)
        assert "Test my camera and microphone" in page
        assert "Play a test sound" in page
        assert QUESTION in page
        assert 'id="self-test-form"' in page
        assert "/static/js/self-test.js" in page
        assert "<script>" not in page  # the CSP allows no inline script

    # An adjudicator of the tribunal who does not sit at this hearing, another tribunal's
    # clerk (under either tribunal's address): no such page.
    elsewhere = await scene.calendar.adjudicator_named(db, "Otto Other")
    await as_user(client, elsewhere)
    assert (await client.get(url)).status_code == 404
    assert (await record(client, url, "passed")).status_code == 404
    other = await make_calendar(db)
    await as_user(client, other.clerk)
    assert (await client.get(url)).status_code == 404
    other_url = f"/{other.tribunal.slug}/hearings/{hearing.id}/self-test"
    assert (await client.get(other_url)).status_code == 404
    assert (await record(client, other_url, "passed")).status_code == 404
    assert await count(db, HearingSelfTest) == 0


async def test_the_registry_sees_the_page_but_records_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = url_of(scene, hearing)
    await as_user(client, scene.calendar.clerk)
    response = await client.get(url)
    assert response.status_code == 200
    page = text_of(response)
    assert "Only participants record their result." in page
    assert 'id="self-test-form"' not in page
    assert (await record(client, url, "passed")).status_code == 404
    assert await count(db, HearingSelfTest) == 0
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_SELF_TESTED) == 0


# -- recording ------------------------------------------------------------------------------------


async def test_a_participant_records_passed_failed_and_skipped_the_last_replacing_the_earlier(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, later())  # any time before: not only in the window
    url = url_of(scene, hearing)
    claimant = await party_key(db, scene, PartyRole.CLAIMANT)
    await as_user(client, scene.claimant)

    response = await record(client, url, "failed", "camera_denied")
    assert response.status_code == 303
    assert response.headers["location"] == url + "#self-test-result"
    test = (await saved_tests(db, hearing))[claimant]
    assert test.result is SelfTestResult.FAILED
    assert test.reason is SelfTestReason.CAMERA_DENIED
    assert test.user_id == scene.claimant.id
    page = text_of(await client.get(url))
    assert "Your result: Failed: The browser was not allowed to use my camera" in page

    # Passed: the reason the select still sends is dropped, and the row is the same one.
    assert (await record(client, url, "passed", "no_sound")).status_code == 303
    tests = await saved_tests(db, hearing)
    assert list(tests) == [claimant]
    assert tests[claimant].id == test.id
    assert tests[claimant].result is SelfTestResult.PASSED
    assert tests[claimant].reason is None
    assert "Your result: Passed" in text_of(await client.get(url))

    assert (await record(client, url, "skipped")).status_code == 303
    assert (await saved_tests(db, hearing))[claimant].result is SelfTestResult.SKIPPED
    assert await count(db, HearingSelfTest) == 1

    # Each recording is an audit entry naming the participant and the result.
    entries = (
        await db.scalars(
            AuditEvent.__table__.select()
            .where(AuditEvent.action == AuditAction.HEARING_SELF_TESTED)
            .with_only_columns(AuditEvent.details)
        )
    ).all()
    assert len(entries) == 3
    assert {entry["result"] for entry in entries} == {"passed", "failed", "skipped"}
    assert all(entry["participant"] == claimant for entry in entries)

    # The hearing page shows the last result and leads to the test.
    page = text_of(await client.get(scene.page(hearing)))
    assert "Your last equipment test: Skipped" in page
    assert f'href="{url}"' in page


async def test_a_bad_answer_is_refused_with_a_translated_error_and_records_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, later())
    url = url_of(scene, hearing)
    await as_user(client, scene.claimant)
    for result, reason, message in (
        ("", "", "Select whether everything worked"),
        ("perfect", "", "Select whether everything worked"),
        ("failed", "", "Select what did not work"),
        ("failed", "gremlins", "Select what did not work from the list"),
        ("passed", "x" * 5000, "Select what did not work from the list"),
    ):
        response = await record(client, url, result, reason)
        assert response.status_code == 400, (result, reason)
        page = text_of(response)
        assert message in page
        assert "There is a problem" in page
        assert response.headers["permissions-policy"] == ALLOWED
    assert await count(db, HearingSelfTest) == 0

    scene.claimant.language = "fr"
    await db.commit()
    await as_user(client, scene.claimant)
    response = await record(client, url, "failed", "")
    assert response.status_code == 400
    assert french("Select what did not work") in text_of(response)
    assert await count(db, HearingSelfTest) == 0


async def test_once_the_hearing_is_over_or_off_nothing_is_recorded(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    await as_user(client, scene.claimant)
    cases = [
        (await scene.hearing(db, later(), status=HearingStatus.CANCELLED), "not going ahead"),
        (await scene.hearing(db, later(), status=HearingStatus.ADJOURNED), "not going ahead"),
        (await scene.hearing(db, soon(), status=HearingStatus.HELD), "is over"),
        (await scene.hearing(db, utcnow() - timedelta(days=1)), "is over"),
        (
            await scene.hearing(
                db, soon(), started_at=utcnow() - timedelta(minutes=5), ended_at=utcnow()
            ),
            "is over",
        ),
    ]
    for hearing, says in cases:
        url = url_of(scene, hearing)
        page = text_of(await client.get(url))
        assert says in page
        assert 'id="self-test-form"' not in page
        response = await record(client, url, "passed")
        assert response.status_code == 409
        assert says in text_of(response)
    assert await count(db, HearingSelfTest) == 0

    scene.claimant.language = "fr"
    await db.commit()
    await as_user(client, scene.claimant)
    response = await record(client, url_of(scene, cases[3][0]), "passed")
    assert response.status_code == 409
    assert french("This hearing is over, so the equipment test can no longer be recorded.") in (
        text_of(response)
    )


# -- the page -------------------------------------------------------------------------------------


async def test_the_page_in_french(client: httpx.AsyncClient, db: AsyncSession) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, later())
    scene.claimant.language = "fr"
    await db.commit()
    await as_user(client, scene.claimant)
    page = text_of(await client.get(url_of(scene, hearing)))
    for message in (
        "Test your camera, microphone and sound",
        "Test my camera and microphone",
        "Play a test sound",
        QUESTION,
        "Yes, everything works",
        "How to allow your camera and microphone",
        "Chrome or Edge on a computer",
        "Microphone level",
    ):
        assert french(message) in page, message
    assert 'lang="fr"' in page


async def test_only_the_self_test_page_allows_the_camera_and_microphone(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, later())
    await as_user(client, scene.claimant)
    response = await client.get(url_of(scene, hearing))
    assert response.headers["permissions-policy"] == ALLOWED
    # The page's camera preview and level meter, and the explanation for a browser without
    # JavaScript, which the script hides.
    page = response.text
    assert "<video" in page
    assert "muted playsinline" in page
    assert '<meter id="self-test-level"' in page
    assert 'id="self-test-no-js"' in page
    assert 'id="self-test-tools" hidden' in page
    for other in (scene.page(hearing), "/privacy"):
        assert (await client.get(other)).headers["permissions-policy"] == DEFAULT


async def test_the_page_offers_the_telephone_instead(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, later())
    await as_user(client, scene.claimant)
    page = text_of(await client.get(url_of(scene, hearing)))
    assert "416-555-0100" in page  # no dial-in configured: the tribunal's help line


# -- the hearing page, the console and the day view ---------------------------------------------


async def test_the_hearing_page_leads_to_the_test_before_the_window_and_before_check_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    early = await scene.hearing(db, later())
    now = await scene.hearing(db, soon())
    await as_user(client, scene.claimant)
    for hearing in (early, now):
        page = text_of(await client.get(scene.page(hearing)))
        assert f'href="{url_of(scene, hearing)}"' in page
        assert "Your last equipment test" not in page
    # Once checked in, the waiting room is about waiting.
    url = scene.page(now)
    assert (await post_form(client, url + "/check-in", {}, page=url)).status_code == 303
    assert 'id="self-test-link"' not in text_of(await client.get(url))


async def test_the_console_shows_each_participants_result(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    claimant = await party_key(db, scene, PartyRole.CLAIMANT)
    representative = await party_key(db, scene, PartyRole.REPRESENTATIVE)
    respondent = await party_key(db, scene, PartyRole.RESPONDENT)
    url = url_of(scene, hearing)
    await as_user(client, scene.claimant)
    await record(client, url, "passed")
    await as_user(client, scene.representative)
    await record(client, url, "failed", "no_microphone")

    await as_user(client, scene.calendar.adjudicator)
    page = text_of(await client.get(scene.page(hearing) + "/console"))
    assert "Equipment test" in page
    assert row_status(page, claimant) == "not_arrived"

    def cell(key: str) -> str:
        row = page[page.index(f'id="console-{key}"') :]
        return row[: row.index("</tr>")]

    assert 'data-self-test="passed"' in cell(claimant)
    assert "Passed" in cell(claimant)
    assert "Failed: I do not have a microphone, or it was not found" in cell(representative)
    assert "Not done" in cell(respondent)

    scene.calendar.adjudicator.language = "fr"
    await db.commit()
    await as_user(client, scene.calendar.adjudicator)
    page = text_of(await client.get(scene.page(hearing) + "/console"))
    assert french("Equipment test") in page
    assert french("Not done") in page


async def test_the_consoles_self_test_column_costs_one_statement(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing) + "/console"
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
        return seen

    first = await statements()
    assert sum("hearing_self_tests" in statement for statement in first) == 1
    for n in range(5):
        party = CaseParty(
            id=uuid.uuid4(),
            tribunal_id=scene.calendar.tribunal.id,
            filing_id=scene.filing.id,
            role=PartyRole.RESPONDENT,
            name=f"Respondent {n}",
        )
        db.add(party)
        db.add(
            HearingSelfTest(
                tribunal_id=scene.calendar.tribunal.id,
                hearing_id=hearing.id,
                participant_key=f"party-{party.id}",
                result=SelfTestResult.FAILED,
                reason=SelfTestReason.NO_SOUND,
                tested_at=utcnow(),
            )
        )
    await db.commit()
    more = await statements()
    assert len(more) == len(first), more
    assert text_of(await client.get(url)).count("I could not hear the test sound") == 5


async def test_failed_self_tests_of_many_hearings_in_one_statement(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    scene = await make_scene(db)
    first = await scene.hearing(db, later())
    second = await scene.hearing(db, later() + timedelta(hours=2))
    untested = await scene.hearing(db, later() + timedelta(hours=4))
    await as_user(client, scene.claimant)
    await record(client, url_of(scene, first), "failed", "no_sound")
    await record(client, url_of(scene, second), "passed")
    await as_user(client, scene.representative)
    await record(client, url_of(scene, second), "failed", "other")

    other = await make_calendar(db)
    seen: list[str] = []

    def count_one(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count_one)
    try:
        failed = await services.failed_self_tests(
            db, scene.calendar.tribunal, [first.id, second.id, untested.id]
        )
        elsewhere = await services.failed_self_tests(db, other.tribunal, [first.id, second.id])
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count_one)
    assert len([statement for statement in seen if "hearing_self_tests" in statement]) == 2
    assert [test.reason for test in failed[first.id]] == [SelfTestReason.NO_SOUND]
    assert [test.reason for test in failed[second.id]] == [SelfTestReason.OTHER]
    assert untested.id not in failed
    assert elsewhere == {}
    assert await services.failed_self_tests(db, scene.calendar.tribunal, []) == {}
