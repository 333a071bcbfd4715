"""Notices of hearing: each participant (parties, authorised representatives, the adjudicator,
the interpreter) told in their language, with the reader's own zone beside the tribunal's;
a representative whose authorisation was withdrawn told nothing; a move says the old time
and the new; the printable notice (for the party, and for the registry in the recipient's
language), the calendar file from the case page, the staff section and its delivery log,
resending to one recipient (and refusing someone who is not a participant), and the
reminder days on the hearing settings page."""

from __future__ import annotations

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from hearings.models import Hearing, HearingMode, HearingSettings, HearingStatus
from tests.factories.accounts import make_user
from tests.factories.tribunals import make_staff, make_tribunal
from tests.hearings.notice_scene import NoticeScene, make_notice_scene, notices_to
from tests.hearings.test_invites import BOOKED_ON, NOVEMBER_10_AT_10_EST, NOVEMBER_17_AT_14_EST
from tests.helpers import count, post_form, sign_in, text_of
from tribunals.models import Role
from tribune.audit import AuditAction, AuditEvent
from tribune.db import utcnow
from tribune.mail import OutboxMessage
from tribune.settings import Settings


@pytest.fixture
async def scene(db: AsyncSession, settings: Settings) -> NoticeScene:
    return await make_notice_scene(db, settings)


def paths(scene: NoticeScene, hearing_id: object) -> dict[str, str]:
    t = f"/{scene.calendar.tribunal.slug}"
    case = f"{t}/cases/{scene.filing.id}/hearings/{hearing_id}"
    staff = f"{t}/staff/cases/{scene.filing.id}/hearings/{hearing_id}"
    return {
        "notice": f"{case}/notice",
        "invite": f"{case}/invite.ics",
        "notices": f"{staff}/notices",
        "staff_notice": f"{staff}/notice",
        "resend": f"{staff}/resend",
        "staff_case": f"{t}/staff/cases/{scene.filing.id}",
        "case": f"{t}/cases/{scene.filing.id}",
    }


async def claimant_user(db: AsyncSession, scene: NoticeScene) -> User:
    assert scene.claimant.user_id is not None
    return await db.get_one(User, scene.claimant.user_id)


async def test_each_participant_gets_the_notice_in_their_language(
    db: AsyncSession, scene: NoticeScene
) -> None:
    adjudicator = scene.calendar.adjudicator
    adjudicator.time_zone = "America/Vancouver"
    await db.commit()
    await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    reference = scene.filing.reference

    [french] = await notices_to(db, scene.claimant.email, "hearing_booked")
    assert french.language == "fr"
    assert french.subject == f"Avis d’audience : dossier {reference}"
    assert "mercredi 10 novembre 2027, de 10 h 00 à 11 h 30 HNE" in french.body
    assert "Interprète réservé : Espagnol" in french.body
    for address in (scene.representative.email, adjudicator.email, scene.interpreter.email):
        [english] = await notices_to(db, address, "hearing_booked")
        assert english.language == "en"
        assert english.subject == f"Notice of hearing: case {reference}"
        assert "Wednesday, November 10, 2027, from 10:00 a.m. to 11:30 a.m. EST" in english.body
        assert english.case_id == scene.filing.id
    # The adjudicator's account is in Vancouver: their own time beside the tribunal's.
    [own] = await notices_to(db, adjudicator.email, "hearing_booked")
    assert "In your time zone: Wednesday, November 10, 2027, from 7:00 a.m." in own.body
    assert "PST" in own.body
    # The parties join a video hearing from its hearing page (check-in and waiting room); the
    # interpreter, who has no account, is sent the link by the registry.
    [interpreter] = await notices_to(db, scene.interpreter.email, "hearing_booked")
    assert "The registry will send you the link to join" in interpreter.body
    hearing_id = await db.scalar(select(Hearing.id).where(Hearing.filing_id == scene.filing.id))
    assert f"/{scene.calendar.tribunal.slug}/hearings/{hearing_id}" in french.body


async def test_telephone_notices_give_the_dial_in_in_the_readers_language(
    db: AsyncSession, scene: NoticeScene
) -> None:
    settings = (
        await db.scalars(
            select(HearingSettings).where(HearingSettings.tribunal_id == scene.calendar.tribunal.id)
        )
    ).one()
    settings.dial_in_en = "Call 1-800-555-0199, code 4242#"
    settings.dial_in_fr = "Composez le 1-800-555-0199, code 4242#"
    await db.commit()
    await scene.hearing(db, NOVEMBER_10_AT_10_EST, mode=HearingMode.TELEPHONE, now=BOOKED_ON)
    [french] = await notices_to(db, scene.claimant.email, "hearing_booked")
    [english] = await notices_to(db, scene.representative.email, "hearing_booked")
    assert "Composez le 1-800-555-0199, code 4242#" in french.body
    assert "Call 1-800-555-0199" not in french.body
    assert "Call 1-800-555-0199, code 4242#" in english.body


async def test_a_withdrawn_representative_is_not_told(db: AsyncSession, scene: NoticeScene) -> None:
    scene.representative.authorisation_withdrawn_at = utcnow()
    await db.commit()
    await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    assert await notices_to(db, scene.representative.email, "hearing_booked") == []
    assert len(await notices_to(db, scene.claimant.email, "hearing_booked")) == 1


async def test_a_move_gives_the_old_time_and_the_new_and_a_cancellation_its_reasons(
    db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    await scene.move(db, hearing, NOVEMBER_17_AT_14_EST, now=BOOKED_ON)
    [moved] = await notices_to(db, scene.representative.email, "hearing_rescheduled")
    assert moved.subject.startswith("Your hearing has changed")
    assert "It was to be held: Wednesday, November 10, 2027, from 10:00 a.m." in moved.body
    assert "When: Wednesday, November 17, 2027, from 2:00 p.m." in moved.body
    assert "The adjudicator is ill." in moved.body

    await scene.cancel(db, hearing)
    [cancelled] = await notices_to(db, scene.claimant.email, "hearing_cancelled")
    assert cancelled.subject.startswith("Audience annulée")
    assert "The claimant withdrew the appeal." in cancelled.body
    assert "mercredi 17 novembre 2027" in cancelled.body


# -- pages ------------------------------------------------------------------------------------


async def test_the_party_prints_the_notice_and_downloads_the_calendar_file(
    client: httpx.AsyncClient, db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    urls = paths(scene, hearing.id)
    await sign_in(client, (await claimant_user(db, scene)).email)

    case_page = await client.get(urls["case"])
    assert case_page.status_code == 200
    assert urls["notice"] in case_page.text
    assert urls["invite"] in case_page.text

    # The claimant reads the site in French: so is their notice.
    page = await client.get(urls["notice"])
    assert page.status_code == 200
    assert "Avis d’audience" in page.text
    assert "mercredi 10 novembre 2027, de 10 h 00 à 11 h 30 HNE" in text_of(page)

    download = await client.get(urls["invite"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/calendar; charset=utf-8"
    assert download.headers["content-disposition"].startswith("attachment;")
    calendar = Calendar.from_ical(download.content)
    assert calendar["METHOD"] == "REQUEST"
    assert str(calendar.walk("VEVENT")[0]["UID"]) == hearing.calendar_uid

    await scene.cancel(db, hearing)
    cancelled = Calendar.from_ical((await client.get(urls["invite"])).content)
    assert cancelled["METHOD"] == "CANCEL"
    event = cancelled.walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == 1


async def test_someone_else_gets_a_404_for_the_notice_and_the_calendar_file(
    client: httpx.AsyncClient, db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    urls = paths(scene, hearing.id)
    await sign_in(client, (await make_user(db)).email)
    for name in ("notice", "invite"):
        assert (await client.get(urls[name])).status_code == 404
    # The case's own claimant, with an id that is not one of the case's hearings.
    await sign_in(client, (await claimant_user(db, scene)).email)
    for name in ("notice", "invite"):
        assert (await client.get(paths(scene, scene.filing.id)[name])).status_code == 404
        assert (await client.get(urls[name])).status_code == 200


async def test_the_registry_prints_a_recipients_notice_in_their_language(
    client: httpx.AsyncClient, db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    urls = paths(scene, hearing.id)
    await sign_in(client, scene.calendar.clerk.email)
    french = await client.get(f"{urls['staff_notice']}?recipient=party-{scene.claimant.id}")
    assert french.status_code == 200
    assert '<html lang="fr"' in french.text
    assert "Avis d’audience" in french.text
    assert "10 h 00 à 11 h 30 HNE" in text_of(french)
    unknown = await client.get(f"{urls['staff_notice']}?recipient=party-{scene.filing.id}")
    assert unknown.status_code == 404


async def test_the_delivery_log_and_the_section_list_the_notices(
    client: httpx.AsyncClient, db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    urls = paths(scene, hearing.id)
    await sign_in(client, scene.calendar.clerk.email)
    page = await client.get(urls["staff_case"])
    assert page.status_code == 200
    assert f"Avis d’audience : dossier {scene.filing.reference}" in page.text
    assert "Notices of hearing" in page.text
    assert urls["resend"] in page.text
    assert f'value="party-{scene.claimant.id}"' in page.text


async def test_a_clerk_resends_the_current_notice_to_one_recipient(
    client: httpx.AsyncClient, db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    urls = paths(scene, hearing.id)
    await sign_in(client, scene.calendar.clerk.email)
    before = await count(db, OutboxMessage)
    sent = await post_form(
        client, urls["resend"], {"recipient": f"party-{scene.claimant.id}"}, page=urls["notices"]
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == urls["notices"] + "?resent=1"
    assert await count(db, OutboxMessage) == before + 1
    messages = await notices_to(db, scene.claimant.email, "hearing_booked")
    assert len(messages) == 2
    assert messages[-1].calendar_method == "REQUEST"
    assert messages[-1].language == "fr"
    audit = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.HEARING_NOTICE_RESENT)
        )
    ).one()
    assert (audit.subject_id, audit.case_id, audit.actor_id) == (
        hearing.id,
        scene.filing.id,
        scene.calendar.clerk.id,
    )
    assert "resent=1" in sent.headers["location"]
    assert "The notice was sent again." in (await client.get(sent.headers["location"])).text


async def test_resending_to_someone_not_of_the_hearing_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    urls = paths(scene, hearing.id)
    stranger = await make_staff(db, await make_tribunal(db), Role.ADJUDICATOR)
    await sign_in(client, scene.calendar.clerk.email)
    before = await count(db, OutboxMessage), await count(db, AuditEvent)
    for recipient in (f"adjudicator-{stranger.id}", "", "party-nonsense"):
        refused = await post_form(
            client, urls["resend"], {"recipient": recipient}, page=urls["notices"]
        )
        assert refused.status_code == 422
        assert "govuk-error-summary" in refused.text
        assert "Choose a participant of this hearing" in refused.text
    assert (await count(db, OutboxMessage), await count(db, AuditEvent)) == before


async def test_a_cancelled_hearings_notice_is_resent_as_a_cancellation(
    client: httpx.AsyncClient, db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    await scene.cancel(db, hearing, HearingStatus.ADJOURNED)
    urls = paths(scene, hearing.id)
    await sign_in(client, scene.calendar.clerk.email)
    sent = await post_form(
        client,
        urls["resend"],
        {"recipient": f"interpreter-{scene.interpreter.id}"},
        page=urls["notices"],
    )
    assert sent.status_code == 303
    messages = await notices_to(db, scene.interpreter.email, "hearing_adjourned")
    assert [message.calendar_method for message in messages] == ["CANCEL", "CANCEL"]


# -- the reminder days on the settings page ---------------------------------------------------


async def test_the_reminder_days_are_set_on_the_hearing_settings_page(
    client: httpx.AsyncClient, db: AsyncSession, scene: NoticeScene
) -> None:
    await sign_in(client, scene.calendar.admin.email)
    page = f"/{scene.calendar.tribunal.slug}/staff/hearings/settings"
    shown = await client.get(page)
    assert 'value="7, 1"' in shown.text
    base = {
        "modes": "video",
        "minimum_notice_business_days": "3",
        "unavailability_window_days": "90",
        "open-0": "yes",
        "start-0": "09:30",
        "end-0": "16:30",
    }
    for bad in ("0", "31", "1, 2, 3, 4", "7, 7", "seven", "-1", "2.5"):
        refused = await post_form(client, page, {**base, "reminder_days": bad}, page=page)
        assert refused.status_code == 422, bad
        assert "Enter up to 3 different numbers of days from 1 to 30" in refused.text
    saved = await post_form(client, page, {**base, "reminder_days": "2, 14"}, page=page)
    assert saved.status_code == 303
    settings = (
        await db.scalars(
            select(HearingSettings)
            .where(HearingSettings.tribunal_id == scene.calendar.tribunal.id)
            .execution_options(populate_existing=True)
        )
    ).one()
    assert settings.reminder_days == [14, 2]
