"""The attendance summary on the outcome page of a video hearing: who came, when they first
joined (in the tribunal's zone), for how many minutes, who never joined, and who else was in
the room; when the record shows that one party alone did not attend (neither they nor a
representative acting for them joined), "A party did not attend" and that party are proposed
on the form, and nothing is recorded until the adjudicator confirms by submitting it."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from filings.models import CaseParty, FilingStatus, PartyRole
from hearings.attendance.forms import Delivery
from hearings.attendance.services import Recorded, record_delivery, record_page_event
from hearings.models import (
    AttendanceKind,
    AttendanceSource,
    Hearing,
    HearingMode,
    HearingOutcome,
    HearingRoom,
)
from hearings.times import clock
from tests.hearings.outcomes import Scene, add_hearing, make_scene
from tests.hearings.test_outcomes import outcome_url, post_outcome, state
from tests.helpers import as_user, count, french, text_of
from tribune.db import utcnow
from tribune.i18n import use_language


@pytest.fixture
async def scene(db: AsyncSession) -> Scene:
    return await make_scene(db, FilingStatus.SCHEDULED)


async def representative(db: AsyncSession, scene: Scene) -> CaseParty:
    return (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == scene.case.id,
                CaseParty.role == PartyRole.REPRESENTATIVE,
            )
        )
    ).scalar_one()


async def started(db: AsyncSession, scene: Scene, mode: HearingMode = HearingMode.VIDEO) -> Hearing:
    """A hearing that began two hours ago and was started by its adjudicator."""
    hearing = await add_hearing(db, scene)
    if mode is HearingMode.VIDEO:
        hearing.video_room = uuid.uuid4().hex + uuid.uuid4().hex
    elif mode is HearingMode.IN_PERSON:
        room = HearingRoom(tribunal_id=scene.tribunal.id, name="Room 1", capacity=10)
        db.add(room)
        await db.flush()
        hearing.room_id = room.id
    hearing.mode = mode
    hearing.started_at = hearing.starts_at
    await db.commit()
    return hearing


async def attended(
    db: AsyncSession, hearing: Hearing, key: str, joined: int, left: int | None = None
) -> None:
    """Record, as the hearing page reports it, that a participant joined `joined` minutes
    after the start and left `left` minutes after it (or stayed)."""
    at = hearing.starts_at
    await record_page_event(
        db, hearing, key, AttendanceKind.JOINED, at + timedelta(minutes=joined), f"j{joined}"
    )
    if left is not None:
        await record_page_event(
            db, hearing, key, AttendanceKind.LEFT, at + timedelta(minutes=left), f"l{left}"
        )
    await db.commit()


async def stranger(db: AsyncSession, hearing: Hearing, name: str, joined: datetime) -> None:
    """A join the video service reported for someone no participant is recognised as."""
    delivery = Delivery(
        source=AttendanceSource.JAAS,
        idempotency_key=f"stranger-{uuid.uuid4().hex}",
        room=hearing.video_room or "",
        kind=AttendanceKind.JOINED,
        occurred_at=joined,
        user_id="",
        name=name,
        email="",
        payload={},
    )
    assert await record_delivery(db, delivery) is Recorded.RECORDED
    await db.commit()


def key(party: CaseParty) -> str:
    return f"party-{party.id}"


def row(body: str, name: str) -> str:
    """The text of the table row whose header is `name`, tags removed."""
    found = re.search(
        r"<tr[^>]*>\s*<th scope=\"row\"[^>]*>" + re.escape(name) + r".*?</tr>", body, re.S
    )
    assert found, name
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def selected(body: str, name: str) -> str | None:
    """The value checked or selected for a field of the form."""
    radio = re.search(rf'name="{name}" type="radio" value="([^"]*)" checked', body)
    if radio:
        return radio.group(1)
    option = re.search(
        rf'<select[^>]*name="{name}"[^>]*>.*?<option value="([^"]*)" selected', body, re.S
    )
    return option.group(1) if option else None


async def test_the_summary_shows_first_joins_minutes_and_who_did_not_join(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await started(db, scene)
    rep = await representative(db, scene)
    await attended(db, hearing, f"adjudicator-{scene.adjudicator.id}", 0, 60)
    await attended(db, hearing, key(rep), 5, 45)
    await attended(db, hearing, key(rep), 50, 55)  # back for five more minutes
    await stranger(db, hearing, "Observer Olga", hearing.starts_at + timedelta(minutes=10))
    await as_user(client, scene.adjudicator)
    page = await client.get(outcome_url(scene, hearing))
    assert page.status_code == 200
    body = text_of(page)
    assert "Attendance" in body
    assert "from the video service and from the hearing page" in body
    with use_language("en"):
        five_past = clock(hearing.starts_at + timedelta(minutes=5), "America/Toronto")
        ten_past = clock(hearing.starts_at + timedelta(minutes=10), "America/Toronto")
    assert row(body, "Rita Rep") == f"Rita Rep Representative {five_past} 45"
    assert row(body, "Ada Adjudicator").endswith(" 60")
    assert row(body, "Clara Claimant") == "Clara Claimant Claimant Did not join 0"
    assert row(body, "Acme Ltd") == "Acme Ltd Respondent Did not join 0"
    # Olga is in the room but is no participant: listed apart, without a role.
    assert "Also in the room" in body
    assert row(body, "Observer Olga") == f"Observer Olga {ten_past} 50"
    assert body.index("Also in the room") > body.index("Acme Ltd")


async def test_the_party_who_alone_did_not_join_is_proposed_and_recorded_only_when_confirmed(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await started(db, scene)
    # The claimant came through their representative; the respondent never came.
    await attended(db, hearing, key(await representative(db, scene)), 2, 40)
    await attended(db, hearing, f"adjudicator-{scene.adjudicator.id}", 0, 60)
    await as_user(client, scene.adjudicator)
    before = await state(db, scene, hearing)
    body = text_of(await client.get(outcome_url(scene, hearing)))
    assert (
        "The attendance record shows that Acme Ltd did not join the video hearing. "
        "Check this before you confirm."
    ) in body
    assert selected(body, "outcome") == "absent"
    assert selected(body, "absent_party") == str(scene.respondent.id)
    # Showing the proposal records nothing.
    assert await state(db, scene, hearing) == before
    assert await count(db, HearingOutcome) == 0
    # The adjudicator confirms it.
    response = await post_outcome(
        client,
        scene,
        hearing,
        {"outcome": "absent", "absent_party": str(scene.respondent.id), "went_ahead": "yes"},
    )
    assert response.status_code == 303, response.text
    outcome = (await db.execute(select(HearingOutcome))).scalar_one()
    assert outcome.absent_party_id == scene.respondent.id


async def test_after_a_submission_with_errors_what_was_typed_wins(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await started(db, scene)
    await attended(db, hearing, key(scene.claimant_party), 1, 50)
    await as_user(client, scene.adjudicator)
    response = await post_outcome(client, scene, hearing, {"outcome": "adjourned"})
    assert response.status_code == 422
    body = text_of(response)
    assert selected(body, "outcome") == "adjourned"
    assert selected(body, "absent_party") in (None, "")
    assert "did not join the video hearing" not in body
    assert row(body, "Acme Ltd") == "Acme Ltd Respondent Did not join 0"  # the summary stays
    assert await count(db, HearingOutcome) == 0


async def test_nothing_is_proposed_when_everyone_came(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await started(db, scene)
    await attended(db, hearing, key(scene.claimant_party), 1, 50)
    await attended(db, hearing, key(scene.respondent), 3, 50)
    await attended(db, hearing, key(await representative(db, scene)), 2, 50)
    await attended(db, hearing, f"adjudicator-{scene.adjudicator.id}", 0, 60)
    await as_user(client, scene.adjudicator)
    body = text_of(await client.get(outcome_url(scene, hearing)))
    assert "Did not join" not in body
    assert "did not join the video hearing" not in body
    assert selected(body, "outcome") is None
    assert "Also in the room" not in body


async def test_nothing_is_proposed_when_both_parties_did_not_come(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await started(db, scene)
    await attended(db, hearing, f"adjudicator-{scene.adjudicator.id}", 0, 60)
    await as_user(client, scene.adjudicator)
    body = text_of(await client.get(outcome_url(scene, hearing)))
    assert row(body, "Clara Claimant").endswith("Did not join 0")
    assert row(body, "Acme Ltd").endswith("Did not join 0")
    assert "did not join the video hearing" not in body
    assert selected(body, "outcome") is None


async def test_nothing_is_proposed_for_a_hearing_nobody_started_or_joined(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await add_hearing(db, scene)
    await as_user(client, scene.adjudicator)
    body = text_of(await client.get(outcome_url(scene, hearing)))
    assert "Attendance" in body  # the summary is still shown
    assert "did not join the video hearing" not in body
    assert selected(body, "outcome") is None


@pytest.mark.parametrize("mode", [HearingMode.TELEPHONE, HearingMode.IN_PERSON])
async def test_telephone_and_in_person_hearings_show_no_summary(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, mode: HearingMode
) -> None:
    hearing = await started(db, scene, mode)
    await attended(db, hearing, key(scene.claimant_party), 1, 50)
    await as_user(client, scene.adjudicator)
    page = await client.get(outcome_url(scene, hearing))
    assert page.status_code == 200
    body = text_of(page)
    assert 'id="attendance"' not in body
    assert "Did not join" not in body
    assert "did not join the video hearing" not in body
    assert selected(body, "outcome") is None


async def test_the_summary_and_proposal_speak_french(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    hearing = await started(db, scene)
    await attended(db, hearing, key(scene.claimant_party), 1, 50)
    await stranger(db, hearing, "Observer Olga", hearing.starts_at + timedelta(minutes=10))
    scene.adjudicator.language = "fr"
    await db.commit()
    await as_user(client, scene.adjudicator)
    body = text_of(await client.get(outcome_url(scene, hearing)))
    for message in (
        "Attendance",
        "First joined",
        "Minutes present",
        "Did not join",
        "Also in the room",
        "These figures come from the video service and from the hearing page in each "
        "person’s browser. Check them against what you saw at the hearing before you rely "
        "on them.",
    ):
        assert french(message) in body, message
    assert (
        french(
            "The attendance record shows that %(name)s did not join the video hearing. "
            "Check this before you confirm.",
            name="Acme Ltd",
        )
        in body
    )
    with use_language("fr"):
        joined = clock(hearing.starts_at + timedelta(minutes=1), "America/Toronto")
    assert joined in row(body, "Clara Claimant")


async def test_the_outcome_page_takes_a_fixed_number_of_statements(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine, scene: Scene
) -> None:
    hearing = await started(db, scene)
    url = outcome_url(scene, hearing)
    await attended(db, hearing, key(scene.claimant_party), 1, 50)
    await as_user(client, scene.adjudicator)

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
    for n in range(5):
        party = CaseParty(
            tribunal_id=scene.tribunal.id,
            filing_id=scene.case.id,
            role=PartyRole.RESPONDENT,
            name=f"Respondent {n}",
        )
        db.add(party)
        await db.flush()
        await attended(db, hearing, key(party), n, 30 + n)
    await stranger(db, hearing, "Observer Olga", utcnow() - timedelta(minutes=90))
    await stranger(db, hearing, "Observer Otto", utcnow() - timedelta(minutes=80))
    more = await statements()
    assert len(more) == len(first), more
    assert len(first) <= 16, first
    body = text_of(await client.get(url))
    assert body.count("govuk-table__row") > 8
