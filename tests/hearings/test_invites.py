"""Calendar invitations of hearings, parsed back with ``icalendar`` as a calendar program
would read them: METHOD on the calendar, the event's UID kept for the hearing's life and its
SEQUENCE raised by each change, DTSTAMP, the times as UTC instants equal to the hearing's
(across the autumn daylight-saving change too), ORGANIZER and ATTENDEE, URL and LOCATION; a
cancellation or an adjournment removes the event (METHOD:CANCEL, STATUS:CANCELLED); and the
part as it arrives through a real SMTP server: ``text/calendar; method=REQUEST``."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import datetime
from email.message import EmailMessage

import pytest
from icalendar import Calendar, Component
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hearings.models import HearingMode, HearingSettings, HearingStatus
from tests.hearings.calendars import utc
from tests.hearings.notice_scene import NoticeScene, make_notice_scene, notices_to
from tests.tribune.test_mail import Relay, relay  # noqa: F401 - the SMTP server fixture
from tribune.db import Database
from tribune.jobs import Worker
from tribune.mail import OutboxMessage
from tribune.settings import Settings

# Friday 8 October 2027 (EDT); hearings on Wednesday 10 November 2027, after the autumn
# change (Sunday 7 November): 10:00 EST is 15:00 UTC, not 14:00.
BOOKED_ON = utc(2027, 10, 8, 15)
NOVEMBER_10_AT_10_EST = utc(2027, 11, 10, 15)
NOVEMBER_17_AT_14_EST = utc(2027, 11, 17, 19)


@pytest.fixture
async def scene(db: AsyncSession, settings: Settings) -> NoticeScene:
    return await make_notice_scene(db, settings)


def parsed(message: OutboxMessage) -> tuple[Calendar, Component]:
    assert message.calendar is not None
    calendar = Calendar.from_ical(message.calendar)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def instant(event: Component, name: str) -> datetime:
    value = event.decoded(name)
    assert isinstance(value, datetime)
    assert value.utcoffset() is not None  # an instant, never a floating local time
    return value


async def test_the_invite_names_the_hearing_its_times_organizer_and_attendee(
    db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    [message] = await notices_to(db, scene.representative.email, "hearing_booked")
    calendar, event = parsed(message)

    assert message.calendar_method == "REQUEST"
    assert calendar["METHOD"] == "REQUEST"
    assert "METHOD" not in event  # on the calendar, not the event (RFC 5546)
    assert str(event["UID"]) == hearing.calendar_uid
    assert event.decoded("SEQUENCE") == 0
    assert instant(event, "DTSTAMP") == BOOKED_ON
    assert instant(event, "DTSTART") == NOVEMBER_10_AT_10_EST == hearing.starts_at
    assert instant(event, "DTEND") == hearing.ends_at
    assert str(event["STATUS"]) == "CONFIRMED"
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:no-reply@tribune.localhost"
    assert organizer.params["CN"] == scene.calendar.tribunal.name_en
    attendee = event["ATTENDEE"]
    assert str(attendee).lower() == f"mailto:{scene.representative.email}".lower()
    assert attendee.params["CN"] == "Rita Rep"
    # A video hearing: joined from its hearing page, which is the URL and the LOCATION.
    hearing_page = f"http://testserver/{scene.calendar.tribunal.slug}/hearings/{hearing.id}"
    assert str(event["URL"]) == hearing_page
    assert str(event["LOCATION"]) == hearing_page
    assert scene.filing.reference is not None
    assert scene.filing.reference in str(event["SUMMARY"])


async def test_the_french_partys_invite_is_in_french(db: AsyncSession, scene: NoticeScene) -> None:
    await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    [message] = await notices_to(db, scene.claimant.email, "hearing_booked")
    _calendar, event = parsed(message)
    assert str(event["SUMMARY"]).startswith("Audience")
    assert event["SUMMARY"].params["LANGUAGE"] == "fr-CA"
    assert "HNE" in str(event["DESCRIPTION"])  # 10 h 00 HNE: after the change
    assert event["ORGANIZER"].params["CN"] == scene.calendar.tribunal.name_fr


async def test_in_person_and_telephone_invites_give_the_place_or_the_dial_in(
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
    await scene.hearing(db, NOVEMBER_10_AT_10_EST, mode=HearingMode.IN_PERSON, now=BOOKED_ON)
    [in_person] = await notices_to(db, scene.representative.email, "hearing_booked")
    location = str(parsed(in_person)[1]["LOCATION"])
    assert "Room A" in location
    assert "25 Grosvenor Street" in location

    await scene.hearing(db, NOVEMBER_17_AT_14_EST, mode=HearingMode.TELEPHONE, now=BOOKED_ON)
    english = (await notices_to(db, scene.representative.email, "hearing_booked"))[-1]
    french = (await notices_to(db, scene.claimant.email, "hearing_booked"))[-1]
    assert str(parsed(english)[1]["LOCATION"]) == "Call 1-800-555-0199, code 4242#"
    assert str(parsed(french)[1]["LOCATION"]) == "Composez le 1-800-555-0199, code 4242#"


async def test_a_reschedule_keeps_the_uid_and_raises_the_sequence(
    db: AsyncSession, scene: NoticeScene
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    await scene.move(db, hearing, NOVEMBER_17_AT_14_EST, now=BOOKED_ON)
    [booked] = await notices_to(db, scene.representative.email, "hearing_booked")
    [moved] = await notices_to(db, scene.representative.email, "hearing_rescheduled")
    calendar, event = parsed(moved)
    first = parsed(booked)[1]

    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == str(first["UID"]) == hearing.calendar_uid
    assert event.decoded("SEQUENCE") == 1 > first.decoded("SEQUENCE")
    assert instant(event, "DTSTART") == NOVEMBER_17_AT_14_EST
    assert instant(event, "DTEND") == hearing.ends_at


@pytest.mark.parametrize("status", [HearingStatus.CANCELLED, HearingStatus.ADJOURNED])
async def test_a_cancellation_or_adjournment_removes_the_event(
    db: AsyncSession, scene: NoticeScene, status: HearingStatus
) -> None:
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    await scene.cancel(db, hearing, status)
    template = "hearing_cancelled" if status is HearingStatus.CANCELLED else "hearing_adjourned"
    [message] = await notices_to(db, scene.representative.email, template)
    calendar, event = parsed(message)
    assert message.calendar_method == "CANCEL"
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == hearing.calendar_uid
    assert event.decoded("SEQUENCE") == 1
    assert str(event["STATUS"]) == "CANCELLED"
    assert instant(event, "DTSTART") == NOVEMBER_10_AT_10_EST


async def test_the_dst_week_a_hearing_booked_in_october_for_november_is_in_est(
    db: AsyncSession, scene: NoticeScene
) -> None:
    await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    [message] = await notices_to(db, scene.representative.email, "hearing_booked")
    assert "Wednesday, November 10, 2027, from 10:00 a.m. to 11:30 a.m. EST" in message.body
    assert "EDT" not in message.body
    assert instant(parsed(message)[1], "DTSTART") == utc(2027, 11, 10, 15)


async def test_the_invite_arrives_as_a_text_calendar_part_through_smtp(
    database: Database,
    settings: Settings,
    db: AsyncSession,
    scene: NoticeScene,
    relay: tuple[Relay, str],  # noqa: F811 - the fixture imported above
) -> None:
    server, smtp_url = relay
    hearing = await scene.hearing(db, NOVEMBER_10_AT_10_EST, now=BOOKED_ON)
    await Worker(
        database, dataclasses.replace(settings, smtp_url=smtp_url), outbox=scene.outbox
    ).run_until_idle()

    received = {str(mail["To"]).lower(): mail for mail in server.messages()}
    mail = received[scene.representative.email.lower()]
    assert isinstance(mail, EmailMessage)
    parts = {part.get_content_type(): part for part in mail.walk()}
    calendar_part = parts["text/calendar"]
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_charset() == "utf-8"
    # Beside the text, as alternatives, so mail programs show an invitation.
    alternative = parts["multipart/alternative"]
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/calendar",
    ]
    content = calendar_part.get_payload(decode=True)
    assert isinstance(content, bytes)
    assert b"\r\n" in content  # RFC 5545 lines
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert str(event["UID"]) == hearing.calendar_uid
    assert "invite.ics" in [part.get_filename() for part in mail.walk()]

    # The French claimant's message, parsed back from the wire, is French.
    french = email.message_from_bytes(
        received[scene.claimant.email.lower()].as_bytes(), policy=email.policy.default
    )
    assert str(french["Subject"]) == f"Avis d’audience : dossier {scene.filing.reference}"
