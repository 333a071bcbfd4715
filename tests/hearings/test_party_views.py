"""What the parties see of their hearing on their case page (its day and time in the
tribunal's zone with the zone named, their own time beside it when their zone differs, how to
join it, the interpreter, an adjournment or a cancellation with its reasons), and the page where
they give the dates they cannot attend, which the registry then sees and proposals skip."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import CaseEvent, CaseParty, Filing, FilingStatus, PartyRole
from hearings.calendars import services as calendars
from hearings.models import (
    AdjournmentReason,
    Hearing,
    HearingMode,
    HearingRoom,
    HearingStatus,
    Interpreter,
    PartyUnavailability,
)
from hearings.scheduling import services as scheduling
from hearings.views.services import MAX_ENTRIES_PER_PARTY
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.hearings.calendars import Calendar, make_calendar
from tests.helpers import as_user, claimant_party, count, french, post_form, text_of
from tribune import i18n
from tribune.audit import AuditAction, AuditEvent
from tribune.db import local_today, utcnow

NEXT_YEAR = date.today().year + 1
TORONTO = ZoneInfo("America/Toronto")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """Return the instant of a wall-clock time in Toronto."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TORONTO).astimezone(UTC)


def first_sunday_of_november(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7)


async def add_hearing(
    db: AsyncSession,
    calendar: Calendar,
    filing: Filing,
    starts_at: datetime,
    *,
    minutes: int = 90,
    mode: HearingMode = HearingMode.VIDEO,
    room: HearingRoom | None = None,
    interpreter: Interpreter | None = None,
    language: str | None = None,
    status: HearingStatus = HearingStatus.SCHEDULED,
    **values: object,
) -> Hearing:
    hearing = Hearing(
        tribunal_id=calendar.tribunal.id,
        filing_id=filing.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        mode=mode,
        adjudicator_id=calendar.adjudicator.id,
        room_id=room.id if room else None,
        interpreter_id=interpreter.id if interpreter else None,
        language=language,
        status=status,
        calendar_uid=f"test-{uuid.uuid4()}",
        **values,
    )
    db.add(hearing)
    await db.commit()
    return hearing


async def claimant_of(db: AsyncSession, filing: Filing) -> User:
    user = await db.get(User, filing.filer_id)
    assert user is not None
    return user


async def hearing_block(client: httpx.AsyncClient, calendar: Calendar, filing: Filing) -> str:
    response = await client.get(f"/{calendar.tribunal.slug}/cases/{filing.id}")
    assert response.status_code == 200
    return text_of(response)


# -- the hearing on the parties' case page --------------------------------------------------------


async def test_the_party_sees_the_hearing_in_the_tribunals_zone_named_in_english_and_french(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    filing = await calendar.accepted_case(db)
    await add_hearing(db, calendar, filing, at(date(NEXT_YEAR, 1, 12), 10))
    claimant = await claimant_of(db, filing)
    await as_user(client, claimant)

    page = await hearing_block(client, calendar, filing)
    assert "10:00 a.m. to 11:30 a.m. EST" in page
    assert f"January 12, {NEXT_YEAR}" in page
    assert "By video." in page
    assert "Go to the hearing page" in page
    assert 'id="hearing-local-time"' not in page  # no zone of their own: one time only

    claimant.language = "fr"
    await db.commit()
    await as_user(client, claimant)
    page = await hearing_block(client, calendar, filing)
    assert "10 h 00 à 11 h 30 HNE" in page
    assert f"12 janvier {NEXT_YEAR}" in page
    assert french("Go to the hearing page") in page


async def test_a_reader_in_another_zone_also_sees_their_own_time_and_not_when_the_same(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    filing = await calendar.accepted_case(db)
    await add_hearing(db, calendar, filing, at(date(NEXT_YEAR, 1, 12), 10))
    claimant = await claimant_of(db, filing)
    claimant.time_zone = "America/Vancouver"
    await db.commit()
    await as_user(client, claimant)
    page = await hearing_block(client, calendar, filing)
    assert "10:00 a.m. to 11:30 a.m. EST" in page
    assert "Your time: " in page
    assert "7:00 a.m. to 8:30 a.m. PST" in page

    claimant.time_zone = "America/Toronto"
    await db.commit()
    page = await hearing_block(client, calendar, filing)
    assert "10:00 a.m. to 11:30 a.m. EST" in page
    assert "Your time: " not in page
    assert "PST" not in page


async def test_the_week_of_the_autumn_change_names_edt_before_it_and_est_after_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    change = first_sunday_of_november(NEXT_YEAR)
    before, after = await calendar.accepted_case(db), await calendar.accepted_case(db)
    # Both at 10:00 where the tribunal sits: 14:00 UTC before the change, 15:00 after it.
    await add_hearing(db, calendar, before, at(change - timedelta(days=6), 10))
    await add_hearing(db, calendar, after, at(change + timedelta(days=1), 10))
    await as_user(client, await claimant_of(db, before))
    page = await hearing_block(client, calendar, before)
    assert "10:00 a.m. to 11:30 a.m. EDT" in page
    await as_user(client, await claimant_of(db, after))
    page = await hearing_block(client, calendar, after)
    assert "10:00 a.m. to 11:30 a.m. EST" in page
    assert "Monday, November" in page


async def test_a_telephone_hearing_shows_the_dial_in_in_the_readers_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    settings = await calendars.settings_of(db, calendar.tribunal)
    settings.dial_in_en = "Call 1-800-555-0100, conference 1234#"
    settings.dial_in_fr = "Composez le 1-800-555-0100, conférence 1234#"
    await db.commit()
    filing = await calendar.accepted_case(db)
    await add_hearing(
        db, calendar, filing, at(date(NEXT_YEAR, 2, 3), 13), mode=HearingMode.TELEPHONE
    )
    claimant = await claimant_of(db, filing)
    await as_user(client, claimant)
    page = await hearing_block(client, calendar, filing)
    assert "Call 1-800-555-0100, conference 1234#" in page
    assert "Composez" not in page

    claimant.language = "fr"
    await db.commit()
    await as_user(client, claimant)
    page = await hearing_block(client, calendar, filing)
    assert "Composez le 1-800-555-0100, conférence 1234#" in page
    assert "Call 1-800" not in page


async def test_an_in_person_hearing_shows_the_room_its_address_and_the_interpreter(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    room = await calendar.room(db)
    room.address = "15 Grosvenor Street\nToronto ON M7A 2G6"
    room.accessibility_notes = "Step-free entrance on Surrey Place"
    interpreter = await calendar.interpreter(db, ["es"])
    filing = await calendar.accepted_case(db)
    await add_hearing(
        db,
        calendar,
        filing,
        at(date(NEXT_YEAR, 2, 3), 13),
        mode=HearingMode.IN_PERSON,
        room=room,
        interpreter=interpreter,
        language="es",
    )
    await as_user(client, await claimant_of(db, filing))
    page = await hearing_block(client, calendar, filing)
    assert "In person." in page
    assert "Room A" in page
    assert "15 Grosvenor Street" in page
    assert "Step-free entrance on Surrey Place" in page
    assert "An interpreter for Spanish is booked." in page
    assert interpreter.name not in page  # the parties need the language, not who


async def test_an_adjourned_or_cancelled_hearing_says_so_with_its_reasons(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    adjourned, cancelled = await calendar.accepted_case(db), await calendar.accepted_case(db)
    await add_hearing(
        db,
        calendar,
        adjourned,
        at(date(NEXT_YEAR, 2, 3), 13),
        status=HearingStatus.ADJOURNED,
        adjournment_reason=AdjournmentReason.EVIDENCE_OUTSTANDING,
        status_reason="The medical report is not in yet.",
    )
    await add_hearing(
        db,
        calendar,
        cancelled,
        at(date(NEXT_YEAR, 2, 4), 13),
        status=HearingStatus.CANCELLED,
        status_reason="The parties settled.",
    )
    await as_user(client, await claimant_of(db, adjourned))
    page = await hearing_block(client, calendar, adjourned)
    assert "This hearing was adjourned." in page
    assert "The medical report is not in yet." in page
    await as_user(client, await claimant_of(db, cancelled))
    page = await hearing_block(client, calendar, cancelled)
    assert "This hearing was cancelled." in page
    assert "The parties settled." in page


async def test_the_case_page_links_to_the_dates_page_only_while_accepted_or_scheduled(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    accepted = await calendar.accepted_case(db)
    submitted = await make_case(db, calendar.tribunal)
    link = "Tell us the dates you cannot attend a hearing"
    await as_user(client, await claimant_of(db, accepted))
    assert link in await hearing_block(client, calendar, accepted)
    await as_user(client, await claimant_of(db, submitted))
    assert link not in await hearing_block(client, calendar, submitted)


# -- the dates a party cannot attend -------------------------------------------------------------


def day_fields(name: str, day: date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def dates(first: date, last: date, reason: str = "Surgery booked months ago") -> dict[str, str]:
    return {**day_fields("first_day", first), **day_fields("last_day", last), "reason": reason}


async def give(
    client: httpx.AsyncClient, calendar: Calendar, filing: Filing, data: dict[str, str]
) -> httpx.Response:
    page = f"/{calendar.tribunal.slug}/cases/{filing.id}/unavailable-dates"
    return await post_form(client, page, data, page=page)


def today_of(calendar: Calendar) -> date:
    return local_today(calendar.tribunal.time_zone)


async def test_a_party_gives_dates_the_registry_sees_them_and_they_can_remove_them(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    filing = await calendar.accepted_case(db)
    await as_user(client, await claimant_of(db, filing))
    first = today_of(calendar) + timedelta(days=10)
    given = await give(client, calendar, filing, dates(first, first + timedelta(days=2)))
    assert given.status_code == 303, given.text
    page = f"/{calendar.tribunal.slug}/cases/{filing.id}/unavailable-dates"
    assert given.headers["location"] == page + "?saved=1"
    entry = (await db.execute(select(PartyUnavailability))).scalars().one()
    party = await claimant_party(db, filing)
    assert (entry.party_id, entry.first_day, entry.last_day) == (
        party.id,
        first,
        first + timedelta(days=2),
    )
    assert entry.reason == "Surgery booked months ago"
    assert "Surgery booked months ago" in text_of(await client.get(page))
    event = (
        await db.execute(select(CaseEvent).where(CaseEvent.kind == "unavailable_dates_added"))
    ).scalar_one()
    assert event.filing_id == filing.id
    assert event.visible_to_parties is False
    assert (
        await count(
            db,
            AuditEvent,
            AuditEvent.action == AuditAction.CASE_UNAVAILABLE_DATES_ADDED.value,
            AuditEvent.case_id == filing.id,
        )
        == 1
    )
    # The parties' timeline does not show it; the registry's case page lists it.
    assert "Dates a party cannot attend given" not in await hearing_block(client, calendar, filing)
    await as_user(client, calendar.clerk)
    staff_page = text_of(await client.get(f"/{calendar.tribunal.slug}/staff/cases/{filing.id}"))
    assert "Dates the parties cannot attend" in staff_page
    assert "Surgery booked months ago" in staff_page
    assert party.name in staff_page

    await as_user(client, await claimant_of(db, filing))
    removed = await post_form(client, f"{page}/{entry.id}/remove", {}, page=page)
    assert removed.status_code == 303
    assert await count(db, PartyUnavailability) == 0
    assert (
        await count(
            db, AuditEvent, AuditEvent.action == AuditAction.CASE_UNAVAILABLE_DATES_REMOVED.value
        )
        == 1
    )


async def test_bad_dates_are_refused_with_translated_messages_and_nothing_changes(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    filing = await calendar.accepted_case(db)
    claimant = await claimant_of(db, filing)
    claimant.language = "fr"
    await db.commit()
    await as_user(client, claimant)
    today = today_of(calendar)
    with i18n.use_language("fr"):
        bounds = {
            "first": i18n.format_date(today + timedelta(days=1), "long"),
            "last": i18n.format_date(today + timedelta(days=90), "long"),
        }
    outside = french("Give a day from %(first)s to %(last)s", **bounds)
    soon = today + timedelta(days=5)
    cases = [
        (dates(today, today), outside),
        (dates(today + timedelta(days=91), today + timedelta(days=91)), outside),
        (
            dates(soon, soon - timedelta(days=1)),
            french("The last day must be the same as or after the first day"),
        ),
        (dates(soon, soon, reason="  "), french("Give the reason you cannot attend")),
        (
            dates(soon, soon + timedelta(days=30)),
            french("Give at most %(n)s days at a time: add another entry for more", n="30"),
        ),
        (
            {**dates(soon, soon), "first_day-month": "13"},
            french("The first day must be a real date"),
        ),
        ({"reason": "x"}, french("Enter the first day you cannot attend")),
        (
            dates(soon, soon, reason="r" * 501),
            french("This answer must be %(n)s characters or fewer", n="500"),
        ),
    ]
    for data, message in cases:
        response = await give(client, calendar, filing, data)
        assert response.status_code == 422, data
        assert "govuk-error-summary" in response.text
        assert message in text_of(response), data
    assert await count(db, PartyUnavailability) == 0
    assert await count(db, CaseEvent, CaseEvent.kind == "unavailable_dates_added") == 0


async def test_a_party_may_give_only_so_many_entries(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    filing = await calendar.accepted_case(db)
    party = await claimant_party(db, filing)
    start = today_of(calendar) + timedelta(days=1)
    for n in range(MAX_ENTRIES_PER_PARTY):
        db.add(
            PartyUnavailability(
                tribunal_id=calendar.tribunal.id,
                filing_id=filing.id,
                party_id=party.id,
                first_day=start + timedelta(days=n),
                last_day=start + timedelta(days=n),
                reason="Away",
            )
        )
    await db.commit()
    await as_user(client, await claimant_of(db, filing))
    day = start + timedelta(days=40)
    response = await give(client, calendar, filing, dates(day, day))
    assert response.status_code == 422
    assert "You can give at most 20 entries: remove one before adding another" in text_of(response)
    assert await count(db, PartyUnavailability) == MAX_ENTRIES_PER_PARTY


async def test_a_representative_acts_for_their_party_and_a_withdrawn_one_cannot(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    filing = await make_case(
        db, calendar.tribunal, status=FilingStatus.ACCEPTED, representative="Rita Rep"
    )
    representative_party = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.REPRESENTATIVE
            )
        )
    ).scalar_one()
    representative = await make_user(db, name="Rita Rep")
    representative_party.user_id = representative.id
    representative_party.joined_at = utcnow()
    await db.commit()
    await as_user(client, representative)
    day = today_of(calendar) + timedelta(days=7)
    assert (await give(client, calendar, filing, dates(day, day))).status_code == 303
    entry = (await db.execute(select(PartyUnavailability))).scalars().one()
    assert entry.party_id == (await claimant_party(db, filing)).id
    assert entry.created_by_id == representative.id

    representative_party.authorisation_withdrawn_at = utcnow()
    await db.commit()
    page = f"/{calendar.tribunal.slug}/cases/{filing.id}/unavailable-dates"
    assert (await client.get(page)).status_code == 404
    other_day = day + timedelta(days=1)
    refused = await post_form(client, page, dates(other_day, other_day), page="/privacy")
    assert refused.status_code == 404
    removal = await post_form(client, f"{page}/{entry.id}/remove", {}, page="/privacy")
    assert removal.status_code == 404
    assert await count(db, PartyUnavailability) == 1


async def test_another_case_or_another_partys_entry_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    mine, theirs = await calendar.accepted_case(db), await calendar.accepted_case(db)
    their_party = await claimant_party(db, theirs)
    day = today_of(calendar) + timedelta(days=7)
    their_entry = PartyUnavailability(
        tribunal_id=calendar.tribunal.id,
        filing_id=theirs.id,
        party_id=their_party.id,
        first_day=day,
        last_day=day,
        reason="Theirs",
    )
    db.add(their_entry)
    await db.commit()
    await as_user(client, await claimant_of(db, mine))
    slug = calendar.tribunal.slug
    assert (await client.get(f"/{slug}/cases/{theirs.id}/unavailable-dates")).status_code == 404
    mine_page = f"/{slug}/cases/{mine.id}/unavailable-dates"
    assert (await client.get(mine_page)).status_code == 200
    removal = await post_form(client, f"{mine_page}/{their_entry.id}/remove", {}, page=mine_page)
    assert removal.status_code == 404
    # Another tribunal's address with this case's id: nothing there.
    other = await make_calendar(db)
    assert (
        await client.get(f"/{other.tribunal.slug}/cases/{mine.id}/unavailable-dates")
    ).status_code == 404
    assert await count(db, PartyUnavailability) == 1


async def test_dates_are_refused_once_the_case_is_not_awaiting_a_hearing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    filing = await make_case(db, calendar.tribunal, status=FilingStatus.SUBMITTED)
    await as_user(client, await claimant_of(db, filing))
    page = f"/{calendar.tribunal.slug}/cases/{filing.id}/unavailable-dates"
    shown = text_of(await client.get(page))
    assert "only while the tribunal is preparing the case for a hearing" in shown
    assert 'name="reason"' not in shown
    day = today_of(calendar) + timedelta(days=7)
    refused = await post_form(client, page, dates(day, day), page=page)
    assert refused.status_code == 409
    assert await count(db, PartyUnavailability) == 0


async def test_proposals_skip_the_days_a_party_gave(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    calendar = await make_calendar(db)
    filing = await calendar.accepted_case(db)
    now = utcnow()
    first = (
        await scheduling.propose_slots(db, calendar.tribunal, filing, HearingMode.VIDEO, now=now)
    )[0]
    blocked = first.starts_at.astimezone(TORONTO).date()
    await as_user(client, await claimant_of(db, filing))
    given = await give(client, calendar, filing, dates(blocked, blocked, "Jury duty"))
    assert given.status_code == 303, given.text
    proposals = await scheduling.propose_slots(
        db, calendar.tribunal, filing, HearingMode.VIDEO, now=now
    )
    assert proposals
    assert all(p.starts_at.astimezone(TORONTO).date() != blocked for p in proposals)
    assert proposals[0].starts_at.astimezone(TORONTO).date() > blocked


def test_the_zone_names_are_translated() -> None:
    with i18n.use_language("fr"):
        assert "HNE" in i18n.format_datetime(at(date(NEXT_YEAR, 1, 12), 10), "America/Toronto", "z")
