"""The hearing page of a video hearing: who reaches it (its participants with an account and
the tribunal's registry, nobody else), what it says before, during and after the join window
(with the zone named, in English and French) or once the hearing is cancelled or adjourned,
checking in (inside the window only, once), the waiting room's status block and what its poll
costs, the services the adjudicator's console will use, and the links to the page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from accounts.models import User
from filings.models import CaseParty, Filing, FilingStatus, PartyRole
from hearings import times
from hearings.calendars import services as calendars
from hearings.models import (
    AdjournmentReason,
    CheckinStatus,
    Hearing,
    HearingCheckin,
    HearingMode,
    HearingStatus,
)
from hearings.room import services
from hearings.room.routes import POLLS
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.hearings.calendars import Calendar, make_calendar
from tests.helpers import as_user, count, french, post_form, text_of
from tribune import i18n
from tribune.audit import AuditAction, AuditEvent
from tribune.db import utcnow

CHECKED_IN = "You are checked in. Please wait: the adjudicator will let you in."


@dataclass
class Scene:
    calendar: Calendar
    filing: Filing
    claimant: User
    representative: User
    representative_party: CaseParty
    respondent_name: str

    @property
    def slug(self) -> str:
        return self.calendar.tribunal.slug

    def page(self, hearing: Hearing) -> str:
        return f"/{self.slug}/hearings/{hearing.id}"

    async def hearing(
        self,
        db: AsyncSession,
        starts_at: datetime,
        *,
        minutes: int = 60,
        mode: HearingMode = HearingMode.VIDEO,
        status: HearingStatus = HearingStatus.SCHEDULED,
        filing: Filing | None = None,
        adjudicator: User | None = None,
        **values: object,
    ) -> Hearing:
        room = await self.calendar.room(db) if mode is HearingMode.IN_PERSON else None
        hearing = Hearing(
            id=uuid.uuid4(),
            tribunal_id=self.calendar.tribunal.id,
            filing_id=(filing or self.filing).id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            mode=mode,
            adjudicator_id=(adjudicator or self.calendar.adjudicator).id,
            room_id=room.id if room else None,
            status=status,
            calendar_uid=f"test-{uuid.uuid4()}",
            **values,
        )
        db.add(hearing)
        await db.commit()
        return hearing


async def make_scene(db: AsyncSession) -> Scene:
    calendar = await make_calendar(db, contact_phone="416-555-0100")
    filing = await make_case(
        db,
        calendar.tribunal,
        status=FilingStatus.SCHEDULED,
        name="Claire Tremblay",
        representative="Rita Rep",
    )
    parties = {
        party.role: party
        for party in await db.scalars(select(CaseParty).where(CaseParty.filing_id == filing.id))
    }
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    assert parties[PartyRole.CLAIMANT].user_id == claimant.id
    representative = await make_user(db, name="Rita Rep")
    rep_party = parties[PartyRole.REPRESENTATIVE]
    rep_party.user_id = representative.id
    assert rep_party.is_authorised
    respondent = CaseParty(
        tribunal_id=calendar.tribunal.id,
        filing_id=filing.id,
        role=PartyRole.RESPONDENT,
        name="Acme Widgets Ltd",
        email="legal@acme.example.org",
    )
    db.add(respondent)
    await db.commit()
    return Scene(calendar, filing, claimant, representative, rep_party, respondent.name)


def soon() -> datetime:
    """A start 10 minutes from now: the join window is open."""
    return utcnow().replace(microsecond=0) + timedelta(minutes=10)


# -- who reaches the page ---------------------------------------------------------------------


async def test_the_participants_and_the_registry_reach_the_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    for person in (
        scene.claimant,
        scene.representative,
        scene.calendar.adjudicator,
        scene.calendar.clerk,
    ):
        await as_user(client, person)
        response = await client.get(scene.page(hearing))
        assert response.status_code == 200, person.name
        page = text_of(response)
        assert "Case " + str(scene.filing.reference) in page
        assert "Claire Tremblay v. Acme Widgets Ltd" in page


async def test_nobody_else_reaches_the_page(client: httpx.AsyncClient, db: AsyncSession) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)

    # A representative whose authorisation was withdrawn.
    scene.representative_party.authorisation_withdrawn_at = utcnow()
    await db.commit()
    await as_user(client, scene.representative)
    assert (await client.get(url)).status_code == 404

    # The claimant of another case of the tribunal.
    other = await make_case(db, scene.calendar.tribunal, status=FilingStatus.SCHEDULED)
    other_claimant = await db.get(User, other.filer_id)
    assert other_claimant is not None
    await as_user(client, other_claimant)
    assert (await client.get(url)).status_code == 404

    # An adjudicator of the tribunal who does not sit at this hearing.
    elsewhere = await scene.calendar.adjudicator_named(db, "Otto Other")
    await as_user(client, elsewhere)
    assert (await client.get(url)).status_code == 404

    # Another tribunal's clerk.
    other_calendar = await make_calendar(db)
    await as_user(client, other_calendar.clerk)
    assert (await client.get(url)).status_code == 404
    assert (
        await client.get(f"/{other_calendar.tribunal.slug}/hearings/{hearing.id}")
    ).status_code == 404

    # A visitor is asked to sign in.
    client.cookies.clear()
    response = await client.get(url)
    assert response.status_code in (302, 303)
    assert "/sign-in" in response.headers["location"]


async def test_a_telephone_or_in_person_hearing_has_no_hearing_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    await as_user(client, scene.claimant)
    for mode in (HearingMode.TELEPHONE, HearingMode.IN_PERSON):
        hearing = await scene.hearing(db, soon() + timedelta(days=2), mode=mode)
        assert (await client.get(scene.page(hearing))).status_code == 404
        assert (await client.get(scene.page(hearing) + "/status")).status_code == 404


# -- the window's states ----------------------------------------------------------------------


async def test_before_the_window_the_page_says_when_and_when_to_come_back_in_english_and_french(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    starts = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    hearing = await scene.hearing(db, starts)
    zone = scene.calendar.tribunal.time_zone
    await as_user(client, scene.claimant)
    page = text_of(await client.get(scene.page(hearing)))
    with i18n.use_language("en"):
        assert times.span(hearing.starts_at, hearing.ends_at, zone) in page
        come_back = times.clock(starts - timedelta(minutes=30), zone)
    assert come_back.endswith(("EST", "EDT"))
    assert f"Come back to this page from {come_back}" in page
    assert "Add the hearing to your calendar (.ics file)" in page
    assert f"/cases/{scene.filing.id}/hearings/{hearing.id}/invite.ics" in page
    assert f"/cases/{scene.filing.id}/hearings/{hearing.id}/notice" in page
    assert 'id="check-in"' not in page
    assert "416-555-0100" in page  # the tribunal's help line

    scene.claimant.language = "fr"
    await db.commit()
    await as_user(client, scene.claimant)
    page = text_of(await client.get(scene.page(hearing)))
    with i18n.use_language("fr"):
        assert times.span(hearing.starts_at, hearing.ends_at, zone) in page
        come_back_fr = times.clock(starts - timedelta(minutes=30), zone)
    assert come_back_fr.endswith(("HNE", "HAE"))
    assert come_back_fr in page
    assert french("Add the hearing to your calendar (.ics file)") in page

    # The adjudicator and the registry read the same state, without the parties' links.
    for staff in (scene.calendar.adjudicator, scene.calendar.clerk):
        await as_user(client, staff)
        page = text_of(await client.get(scene.page(hearing)))
        assert "Come back to this page from " in page
        assert "invite.ics" not in page


async def test_a_reader_in_another_zone_also_sees_their_own_time(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, utcnow() + timedelta(days=3))
    scene.claimant.time_zone = "America/Vancouver"
    await db.commit()
    await as_user(client, scene.claimant)
    page = text_of(await client.get(scene.page(hearing)))
    assert "Your time: " in page
    assert ("PST" in page) or ("PDT" in page)


async def test_inside_the_window_the_participant_checks_in_and_waits(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    await as_user(client, scene.claimant)
    page = text_of(await client.get(url))
    assert 'id="check-in"' in page
    assert CHECKED_IN not in page

    response = await post_form(client, url + "/check-in", {}, page=url)
    assert response.status_code == 303
    assert response.headers["location"].startswith(url)
    page = text_of(await client.get(url))
    assert CHECKED_IN in page
    assert "Waiting to be let in" in page
    assert 'data-hx-get="' + url + '/status"' in page
    assert 'hx-trigger="every 5s"' in page
    assert ">Refresh</a>" in page  # without JavaScript

    rows = list(await db.scalars(select(HearingCheckin)))
    assert len(rows) == 1
    assert rows[0].status is CheckinStatus.WAITING
    assert rows[0].user_id == scene.claimant.id
    claimant_id = await db.scalar(
        select(CaseParty.id).where(
            CaseParty.filing_id == scene.filing.id, CaseParty.role == PartyRole.CLAIMANT
        )
    )
    assert rows[0].participant_key == f"party-{claimant_id}"
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_CHECKED_IN) == 1

    # Twice is harmless: one row, one audit entry.
    again = await post_form(client, url + "/check-in", {}, page=url)
    assert again.status_code == 303
    assert await count(db, HearingCheckin) == 1
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_CHECKED_IN) == 1

    # The representative checks in for themselves.
    await as_user(client, scene.representative)
    assert (await post_form(client, url + "/check-in", {}, page=url)).status_code == 303
    assert await count(db, HearingCheckin) == 2


async def test_check_in_before_or_after_the_window_is_refused_with_a_message(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    early = await scene.hearing(db, utcnow() + timedelta(hours=2))
    late = await scene.hearing(db, utcnow() - timedelta(hours=4), minutes=60)
    await as_user(client, scene.claimant)

    response = await post_form(client, scene.page(early) + "/check-in", {}, page=scene.page(early))
    assert response.status_code == 409
    assert "It is too early to check in. You can check in from " in text_of(response)
    response = await post_form(client, scene.page(late) + "/check-in", {}, page=scene.page(late))
    assert response.status_code == 409
    assert "It is too late to check in: this hearing is over." in text_of(response)
    assert await count(db, HearingCheckin) == 0
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_CHECKED_IN) == 0

    scene.claimant.language = "fr"
    await db.commit()
    await as_user(client, scene.claimant)
    response = await post_form(client, scene.page(late) + "/check-in", {}, page=scene.page(late))
    assert response.status_code == 409
    assert french(
        "It is too late to check in: this hearing is over. The decision will be on your case page."
    ) in text_of(response)


async def test_after_the_window_the_page_says_what_happens_next(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, utcnow() - timedelta(hours=4), minutes=60)
    await as_user(client, scene.claimant)
    page = text_of(await client.get(scene.page(hearing)))
    assert "This hearing is over." in page
    assert "The decision will be on the case page" in page
    assert 'id="check-in"' not in page
    zone = scene.calendar.tribunal.time_zone
    with i18n.use_language("en"):
        assert times.span(hearing.starts_at, hearing.ends_at, zone) in page

    scene.claimant.language = "fr"
    await db.commit()
    await as_user(client, scene.claimant)
    page = text_of(await client.get(scene.page(hearing)))
    assert french("This hearing is over.") in page
    with i18n.use_language("fr"):
        assert times.span(hearing.starts_at, hearing.ends_at, zone) in page


async def test_a_cancelled_or_adjourned_hearing_says_so_with_its_reasons(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    cancelled = await scene.hearing(
        db, soon(), status=HearingStatus.CANCELLED, status_reason="The appeal was withdrawn."
    )
    adjourned = await scene.hearing(
        db,
        soon() + timedelta(days=1),
        status=HearingStatus.ADJOURNED,
        status_reason="The interpreter is ill.",
        adjournment_reason=AdjournmentReason.NO_INTERPRETER,
    )
    await as_user(client, scene.claimant)
    page = text_of(await client.get(scene.page(cancelled)))
    assert "This hearing was cancelled." in page
    assert "The appeal was withdrawn." in page
    assert 'id="check-in"' not in page
    response = await post_form(
        client, scene.page(cancelled) + "/check-in", {}, page=scene.page(cancelled)
    )
    assert response.status_code == 409
    assert await count(db, HearingCheckin) == 0

    page = text_of(await client.get(scene.page(adjourned)))
    assert "This hearing was adjourned." in page
    assert "The interpreter is ill." in page


async def test_the_page_names_who_is_expected_without_emails_and_the_dial_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    settings = await calendars.settings_of(db, scene.calendar.tribunal)
    settings.dial_in_en = "Call 1-800-555-0199, conference 1234#"
    await db.commit()
    hearing = await scene.hearing(db, soon())
    await as_user(client, scene.claimant)
    page = text_of(await client.get(scene.page(hearing)))
    assert "Claimant: Claire Tremblay" in page
    assert "Representative: Rita Rep" in page
    assert "Respondent: Acme Widgets Ltd" in page
    assert "Adjudicator: Ada Adjudicator" in page
    assert "legal@acme.example.org" not in page
    assert scene.calendar.adjudicator.email not in page
    assert "Call 1-800-555-0199, conference 1234#" in page
    assert "If something goes wrong, call the tribunal at 416-555-0100." in page


async def test_the_registry_sees_the_page_but_does_not_check_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    await as_user(client, scene.calendar.clerk)
    page = text_of(await client.get(scene.page(hearing)))
    assert 'id="support-note"' in page
    assert 'id="check-in"' not in page
    response = await post_form(client, scene.page(hearing) + "/check-in", {}, page="/privacy")
    assert response.status_code == 404
    assert await count(db, HearingCheckin) == 0


# -- the waiting room's status block ------------------------------------------------------------


async def test_the_status_block_follows_the_adjudicators_moves(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing)
    await as_user(client, scene.claimant)
    block = await client.get(url + "/status")
    assert block.status_code == 200
    assert "<html" not in block.text
    assert "You have not checked in yet." in text_of(block)

    await post_form(client, url + "/check-in", {}, page=url)
    block = await client.get(url + "/status")
    assert CHECKED_IN in text_of(block)
    assert "Waiting to be let in" in text_of(block)
    assert 'hx-trigger="every 5s"' in block.text

    [checkin] = await services.checkins_of(db, hearing)
    await services.admit(db, hearing, checkin.participant_key, actor=scene.calendar.adjudicator)
    await db.commit()
    admitted = text_of(await client.get(url + "/status"))
    assert "The adjudicator has let you in." in admitted
    assert "Let in to the hearing" in admitted


async def test_the_poll_takes_a_fixed_small_number_of_statements(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    url = scene.page(hearing) + "/status"
    await as_user(client, scene.claimant)
    await post_form(client, scene.page(hearing) + "/check-in", {}, page=scene.page(hearing))

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
    # More parties, and every one of them checked in, cost the poll nothing more.
    for n in range(5):
        db.add(
            CaseParty(
                tribunal_id=scene.calendar.tribunal.id,
                filing_id=scene.filing.id,
                role=PartyRole.RESPONDENT,
                name=f"Respondent {n}",
            )
        )
        db.add(
            HearingCheckin(
                tribunal_id=scene.calendar.tribunal.id,
                hearing_id=hearing.id,
                participant_key=f"party-{uuid.uuid4()}",
                checked_in_at=utcnow(),
            )
        )
    await db.commit()
    assert len(await statements()) == len(first)
    ours = [s for s in first if "hearing" in s or "case_parties" in s]
    assert len(ours) == 3, ours  # the hearing with its case, the parties, the check-in
    assert len(first) <= 8, first


async def test_a_page_polling_too_often_is_refused_for_a_while_in_its_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    other = await scene.hearing(db, soon() + timedelta(minutes=5))
    scene.claimant.language = "fr"
    await db.commit()
    await as_user(client, scene.claimant)
    url = scene.page(hearing) + "/status"
    answers = [(await client.get(url)).status_code for _ in range(POLLS.burst)]
    assert answers == [200] * POLLS.burst  # several tabs open: still answered

    refused = await client.get(url)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.text == french("This page is checking for news too often. Wait a few seconds.")
    # The limit is per person and hearing: the same person's other hearing, and another
    # participant of this one, are still answered.
    assert (await client.get(scene.page(other) + "/status")).status_code == 200
    await as_user(client, scene.representative)
    assert (await client.get(url)).status_code == 200


# -- the console's services -----------------------------------------------------------------------


async def test_admit_and_return_to_waiting_move_a_checked_in_participant_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db)
    hearing = await scene.hearing(db, soon())
    await as_user(client, scene.claimant)
    await post_form(client, scene.page(hearing) + "/check-in", {}, page=scene.page(hearing))
    await as_user(client, scene.representative)
    await post_form(client, scene.page(hearing) + "/check-in", {}, page=scene.page(hearing))

    first, second = await services.checkins_of(db, hearing)
    assert first.checked_in_at <= second.checked_in_at
    admitted = await services.admit(db, hearing, first.participant_key)
    assert admitted.status is CheckinStatus.ADMITTED
    returned = await services.return_to_waiting(db, hearing, first.participant_key)
    assert returned.status is CheckinStatus.RETURNED
    await db.commit()
    assert [c.status for c in await services.checkins_of(db, hearing)] == [
        CheckinStatus.RETURNED,
        CheckinStatus.WAITING,
    ]
    assert (
        await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_PARTICIPANT_ADMITTED)
        == 1
    )
    assert (
        await count(db, AuditEvent, AuditEvent.action == AuditAction.HEARING_PARTICIPANT_RETURNED)
        == 1
    )

    # Someone who has not checked in (or is no participant) cannot be admitted.
    with pytest.raises(services.NotCheckedIn):
        await services.admit(db, hearing, f"adjudicator-{scene.calendar.adjudicator.id}")
    with pytest.raises(services.NotCheckedIn):
        await services.admit(db, hearing, f"party-{uuid.uuid4()}")
    # Another hearing's check-in does not count.
    other = await scene.hearing(db, soon() + timedelta(hours=3))
    with pytest.raises(services.NotCheckedIn):
        await services.return_to_waiting(db, other, first.participant_key)
