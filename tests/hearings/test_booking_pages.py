"""The registry's "Schedule a hearing" page: the earliest proposals, each saying when (in the
tribunal's zone, and the clerk's own when it differs), with whom and where; a proposal
booked with one click; another date and time typed by hand, each bad one refused with its
reason in the clerk's language and nothing changed; an administrator's override of a
party's unavailable day; a stale page; and the hearing section of the staff case page."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.access import Actor
from filings.deadlines import is_holiday
from filings.models import Filing, FilingStatus
from hearings.calendars.services import local_instant
from hearings.models import BookedBlock, Hearing, HearingMode, PartyUnavailability
from hearings.scheduling import services as scheduling
from hearings.scheduling.forms import booking_problem_message
from hearings.scheduling.services import BookingProblem, BookingProblemKind, BookingRequest
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.hearings.calendars import Calendar, make_calendar
from tests.helpers import as_user, claimant_party, count, post_form, text_of
from tribunals.models import Role
from tribune.app import build_outbox
from tribune.audit import AuditAction, AuditEvent
from tribune.db import utcnow
from tribune.i18n import use_language
from tribune.settings import Settings

ZONE = "America/Toronto"
SLOT = re.compile(r'name="slot" value="([^"]+)"')


def first_open_day(after: date) -> date:
    """Return the first weekday after a date that is not an Ontario holiday."""
    day = after + timedelta(days=1)
    while day.weekday() >= 5 or is_holiday(day, "ON"):
        day += timedelta(days=1)
    return day


@dataclass
class Desk:
    """A tribunal (Toronto, hearings 9:30 to 16:30 on weekdays, two business days' notice),
    an accepted case, and a day two weeks ahead on which a hearing can be held."""

    calendar: Calendar
    filing: Filing
    day: date
    settings: Settings

    @property
    def page(self) -> str:
        return f"/{self.calendar.tribunal.slug}/staff/cases/{self.filing.id}/hearings/new"

    @property
    def case_page(self) -> str:
        return f"/{self.calendar.tribunal.slug}/staff/cases/{self.filing.id}"

    def typed(self, **changes: str) -> dict[str, str]:
        """Return a good booking typed by hand (10:00 on the day, an hour, by video), changed."""
        return {
            "date": self.day.isoformat(),
            "time": "10:00",
            "duration": "60",
            "mode": "video",
            "adjudicator": str(self.calendar.adjudicator.id),
            "interpreter": "",
            "room": "",
            **changes,
        }

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> datetime:
        return local_instant(day or self.day, time(hour, minute), ZONE)


@pytest.fixture
async def desk(db: AsyncSession, settings: Settings) -> Desk:
    calendar = await make_calendar(db, notice=2)
    filing = await calendar.accepted_case(db)
    return Desk(calendar, filing, first_open_day(utcnow().date() + timedelta(days=14)), settings)


async def nothing_booked(db: AsyncSession, filing: Filing) -> None:
    assert await count(db, Hearing, Hearing.filing_id == filing.id) == 0
    assert await count(db, BookedBlock) == 0
    await db.refresh(filing)
    assert filing.status is FilingStatus.ACCEPTED
    booked = AuditEvent.action == AuditAction.HEARING_BOOKED.value
    assert await count(db, AuditEvent, AuditEvent.tribunal_id == filing.tribunal_id, booked) == 0


def error_summary(response: httpx.Response) -> str:
    text = text_of(response)
    assert "govuk-error-summary" in text, text
    return text.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]


def message(problem: BookingProblem, language: str = "en") -> str:
    with use_language(language):
        return booking_problem_message(problem, ZONE)


# -- proposals ------------------------------------------------------------------------------


async def test_a_clerk_books_a_proposed_time_and_the_case_page_shows_it(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    calendar = desk.calendar
    spanish = await calendar.interpreter(db, ["es"])
    desk.filing.answers = {
        **desk.filing.answers,
        "accessibility": {"needs_interpreter": True, "interpreter_language": "es"},
    }
    await db.commit()
    await as_user(client, calendar.clerk)
    case_page = text_of(await client.get(desk.case_page))
    assert "Schedule a hearing" in case_page
    assert desk.page in case_page

    page = await client.get(desk.page)
    assert page.status_code == 200
    text = text_of(page)
    slots = SLOT.findall(page.text)
    assert len(slots) == 5
    assert text.count("Book this time") == 5
    assert "This case needs an interpreter for Spanish." in text
    assert "Adjudicator: Ada Adjudicator" in text
    assert f"Interpreter: {spanish.name}, for Spanish" in text
    # Each proposal says its day and times with the zone named.
    assert re.search(r"\d{1,2}:\d\d [ap]\.m\. to \d{1,2}:\d\d [ap]\.m\. E[SD]T", text)

    booked = await post_form(client, desk.page, {"slot": html.unescape(slots[0])}, page=desk.page)
    assert booked.status_code == 303, booked.text
    assert booked.headers["location"] == desk.case_page + "?hearing=booked#hearing"
    hearing = await db.scalar(select(Hearing).where(Hearing.filing_id == desk.filing.id))
    assert hearing is not None
    assert (hearing.adjudicator_id, hearing.interpreter_id, hearing.language) == (
        calendar.adjudicator.id,
        spanish.id,
        "es",
    )
    assert hearing.starts_at.isoformat() == html.unescape(slots[0]).split(" ")[0]
    await db.refresh(desk.filing)
    assert desk.filing.status is FilingStatus.SCHEDULED

    shown = text_of(await client.get(booked.headers["location"]))
    assert "The hearing is booked." in shown
    assert f"{spanish.name}, for Spanish" in shown
    assert "Reschedule the hearing" in shown
    assert "Adjourn the hearing" in shown
    assert "Cancel the hearing" in shown
    assert "Schedule a hearing" not in shown
    # The case has its hearing: the booking page says so and books nothing more.
    again = await client.get(desk.page)
    assert again.status_code == 409
    assert "already has a hearing scheduled" in text_of(again)


async def test_proposals_show_the_readers_own_time_when_their_zone_differs(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    desk.calendar.clerk.time_zone = "America/Vancouver"
    await db.commit()
    await as_user(client, desk.calendar.clerk)
    text = text_of(await client.get(desk.page))
    assert text.count("Your time:") == 5
    assert re.search(r"Your time: .*? to \d{1,2}:\d\d [ap]\.m\. P[SD]T", text)


async def test_a_language_no_interpreter_is_listed_for_is_said_plainly(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    desk.filing.answers = {
        **desk.filing.answers,
        "accessibility": {
            "needs_interpreter": True,
            "interpreter_language": "other",
            "interpreter_language_other": "Klingon",
        },
    }
    await db.commit()
    await as_user(client, desk.calendar.clerk)
    page = await client.get(desk.page)
    text = text_of(page)
    assert "asked for an interpreter for “Klingon”" in text
    assert "none of the tribunal’s interpreters is listed for" in text
    assert SLOT.findall(page.text) == []


async def test_an_in_person_proposal_names_its_room_and_address(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    room = await desk.calendar.room(db)
    room.address = "25 Grosvenor Street, Toronto"
    await db.commit()
    await as_user(client, desk.calendar.clerk)
    page = await client.get(desk.page + "?proposal_mode=in_person&proposal_duration=90")
    text = text_of(page)
    assert text.count("Room: Room A, 25 Grosvenor Street, Toronto") == 5
    slot = html.unescape(SLOT.findall(page.text)[0]).split(" ")
    assert (slot[1], slot[2], slot[5]) == ("90", "in_person", str(room.id))


async def test_a_bad_length_for_the_proposals_is_refused_with_a_message(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    await as_user(client, desk.calendar.clerk)
    page = await client.get(desk.page + "?proposal_duration=0")
    assert page.status_code == 422
    assert "Enter a length in quarter hours" in error_summary(page)


# -- typed by hand --------------------------------------------------------------------------


async def test_a_time_typed_by_hand_is_booked(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    await as_user(client, desk.calendar.clerk)
    booked = await post_form(client, desk.page, desk.typed(), page=desk.page)
    assert booked.status_code == 303, booked.text
    hearing = await db.scalar(select(Hearing).where(Hearing.filing_id == desk.filing.id))
    assert hearing is not None
    assert (hearing.starts_at, hearing.ends_at) == (desk.at(10), desk.at(11))


async def bad_bookings(db: AsyncSession, desk: Desk) -> dict[str, tuple[dict[str, str], Any]]:
    """Return, by name, a bad booking typed by hand and the problem it is refused for."""
    kind = BookingProblemKind
    other = await make_tribunal(db)
    stranger = await make_staff(db, other, Role.ADJUDICATOR)
    foreign = Calendar(other, stranger, stranger, stranger)
    foreign_room = await foreign.room(db)
    french = await desk.calendar.interpreter(db, ["fr"])
    holiday = utcnow().date() + timedelta(days=14)
    while holiday.weekday() >= 5 or not is_holiday(holiday, "ON"):
        holiday += timedelta(days=1)
    today = utcnow().astimezone().date()
    return {
        "outside hours": ({"time": "08:00"}, BookingProblem(kind.OUTSIDE_HOURS)),
        "on a holiday": ({"date": holiday.isoformat()}, BookingProblem(kind.HOLIDAY)),
        "in the past": (
            {"date": (today - timedelta(days=3)).isoformat()},
            BookingProblem(kind.IN_THE_PAST),
        ),
        "inside the notice": (
            {"date": (today + timedelta(days=2)).isoformat()},
            BookingProblem(kind.INSIDE_NOTICE),
        ),
        "zero minutes": ({"duration": "0"}, BookingProblem(kind.DURATION)),
        "ten hours": ({"duration": "600"}, BookingProblem(kind.DURATION)),
        "not on the quarter": ({"time": "10:10"}, BookingProblem(kind.NOT_ON_QUARTER_HOUR)),
        "another tribunal's adjudicator": (
            {"adjudicator": str(stranger.id)},
            BookingProblem(kind.UNKNOWN_ADJUDICATOR),
        ),
        "another tribunal's room": (
            {"mode": "in_person", "room": str(foreign_room.id)},
            BookingProblem(kind.UNKNOWN_ROOM),
        ),
        "an interpreter without the language": (
            {"interpreter": str(french.id)},
            BookingProblem(kind.INTERPRETER_LANGUAGE, language="es"),
        ),
    }


BAD = [
    "outside hours",
    "on a holiday",
    "in the past",
    "inside the notice",
    "zero minutes",
    "ten hours",
    "not on the quarter",
    "another tribunal's adjudicator",
    "another tribunal's room",
    "an interpreter without the language",
]


@pytest.mark.parametrize("name", BAD)
async def test_a_bad_time_is_refused_with_its_reason_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk, name: str
) -> None:
    desk.filing.answers = {
        **desk.filing.answers,
        "accessibility": {"needs_interpreter": True, "interpreter_language": "es"},
    }
    await db.commit()
    spanish = await desk.calendar.interpreter(db, ["es"])
    changes, problem = (await bad_bookings(db, desk))[name]
    await as_user(client, desk.calendar.clerk)
    refused = await post_form(
        client, desk.page, desk.typed(**{"interpreter": str(spanish.id), **changes}), page=desk.page
    )
    assert refused.status_code == 422, refused.text
    assert message(problem) in error_summary(refused)
    # What was typed is kept, to be corrected.
    for field, value in changes.items():
        if field in ("date", "time", "duration"):
            assert f'id="{field}" name="{field}" type' in refused.text
            assert f'value="{value}"' in refused.text
    await nothing_booked(db, desk.filing)


async def test_a_refusal_is_told_in_french_to_a_french_clerk(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    clerk = await make_staff(db, desk.calendar.tribunal, Role.CLERK, language="fr")
    await as_user(client, clerk)
    page = await client.get(desk.page)
    text = text_of(page)
    with use_language("fr"):
        from tribune.i18n import gettext

        assert gettext("Schedule a hearing") in text
        assert gettext("Book this time") in text
        assert gettext("Schedule a hearing") != "Schedule a hearing"
    assert re.search(r"\d{1,2} h \d\d H[NA]E", text)
    refused = await post_form(client, desk.page, desk.typed(time="08:00"), page=desk.page)
    assert refused.status_code == 422
    french = message(BookingProblem(BookingProblemKind.OUTSIDE_HOURS), "fr")
    assert french != message(BookingProblem(BookingProblemKind.OUTSIDE_HOURS))
    assert french in error_summary(refused)
    await nothing_booked(db, desk.filing)


async def test_a_party_unavailable_day_is_booked_over_by_an_administrator_with_a_reason(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    party = await claimant_party(db, desk.filing)
    db.add(
        PartyUnavailability(
            tribunal_id=desk.calendar.tribunal.id,
            filing_id=desk.filing.id,
            party_id=party.id,
            first_day=desk.day,
            last_day=desk.day,
        )
    )
    await db.commit()
    unavailable = message(
        BookingProblem(BookingProblemKind.PARTY_UNAVAILABLE, days=(desk.day, desk.day))
    )

    # A clerk is not offered the override, and sending it anyway does not help.
    await as_user(client, desk.calendar.clerk)
    assert "party_override_reason" not in (await client.get(desk.page)).text
    refused = await post_form(
        client, desk.page, desk.typed(party_override_reason="Urgent"), page=desk.page
    )
    assert refused.status_code == 409
    assert unavailable in error_summary(refused)
    await nothing_booked(db, desk.filing)

    await as_user(client, desk.calendar.admin)
    assert 'id="party_override_reason"' in (await client.get(desk.page)).text
    without_reason = await post_form(client, desk.page, desk.typed(), page=desk.page)
    assert without_reason.status_code == 409
    assert unavailable in error_summary(without_reason)
    await nothing_booked(db, desk.filing)
    booked = await post_form(
        client,
        desk.page,
        desk.typed(party_override_reason="Statutory deadline"),
        page=desk.page,
    )
    assert booked.status_code == 303, booked.text
    entry = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.tribunal_id == desk.calendar.tribunal.id,
            AuditEvent.action == AuditAction.HEARING_BOOKED.value,
        )
    )
    assert entry is not None
    assert entry.details["party_unavailability_overridden"] == "Statutory deadline"


async def test_a_stale_page_gets_a_clear_refusal(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    await as_user(client, desk.calendar.clerk)
    page = await client.get(desk.page)
    first = html.unescape(SLOT.findall(page.text)[0])
    starts_at = datetime.fromisoformat(first.split(" ")[0])
    # Meanwhile another clerk books the adjudicator at that time for another case.
    other = await desk.calendar.accepted_case(db)
    taken = await scheduling.book_hearing(
        db,
        build_outbox(desk.settings),
        desk.calendar.tribunal,
        other,
        BookingRequest(HearingMode.VIDEO, starts_at, 60, desk.calendar.adjudicator.id),
        user=desk.calendar.admin,
        actors=frozenset({Actor.ADMIN}),
    )
    assert isinstance(taken, Hearing)
    await db.commit()
    refused = await post_form(client, desk.page, {"slot": first}, page=desk.page)
    assert refused.status_code == 409
    summary = error_summary(refused)
    assert "The adjudicator has a hearing on" in summary
    # The page proposes times again, without the one taken.
    assert html.escape(first) not in SLOT.findall(refused.text)
    assert await count(db, Hearing, Hearing.filing_id == desk.filing.id) == 0
    await db.refresh(desk.filing)
    assert desk.filing.status is FilingStatus.ACCEPTED


async def test_a_forged_proposal_is_refused_as_invalid(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    await as_user(client, desk.calendar.clerk)
    for slot in ("not a slot", "2027-01-01T10:00:07+00:00 60 video x - -", "a b c d e f"):
        refused = await post_form(client, desk.page, {"slot": slot}, page=desk.page)
        assert refused.status_code == 422
        assert "govuk-error-summary" in refused.text
    await nothing_booked(db, desk.filing)


# -- who reaches the page -------------------------------------------------------------------


async def test_only_the_registry_of_the_tribunal_reaches_the_page(
    client: httpx.AsyncClient, db: AsyncSession, desk: Desk
) -> None:
    await as_user(client, desk.calendar.adjudicator)
    assert (await client.get(desk.page)).status_code == 404
    case_page = text_of(await client.get(desk.case_page))
    assert "Schedule a hearing" not in case_page
    other = await make_tribunal(db)
    elsewhere = await make_case(db, other, status=FilingStatus.ACCEPTED)
    await as_user(client, desk.calendar.clerk)
    slug = desk.calendar.tribunal.slug
    assert (await client.get(f"/{slug}/staff/cases/{elsewhere.id}/hearings/new")).status_code == 404
    submitted = await make_case(db, desk.calendar.tribunal)
    refused = await client.get(f"/{slug}/staff/cases/{submitted.id}/hearings/new")
    assert refused.status_code == 409
    assert "Only an accepted case can have a hearing booked." in text_of(refused)
