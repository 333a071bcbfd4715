"""Availability pages: an adjudicator keeps their own weekly pattern and exceptions, an
administrator keeps any adjudicator's (and each interpreter's and room's); nobody else
reaches them; bad input is refused with a message and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hearings.models import (
    AvailabilityException,
    ExceptionKind,
    ExceptionReason,
    WeeklyAvailability,
)
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, post_form, text_of
from tribunals.models import Role
from tribune.audit import AuditAction, AuditEvent

NEXT_YEAR = date.today().year + 1
MONDAY_TO_FRIDAY = {
    **{f"start-{weekday}-1": "09:00" for weekday in range(5)},
    **{f"end-{weekday}-1": "12:00" for weekday in range(5)},
    **{f"start-{weekday}-2": "13:00" for weekday in range(5)},
    **{f"end-{weekday}-2": "17:00" for weekday in range(5)},
}


async def test_an_adjudicator_keeps_their_own_availability(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db, time_zone="America/Toronto")
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
    await as_user(client, adjudicator)
    page = f"/{tribunal.slug}/staff/my-availability"
    assert "My availability" in text_of(await client.get(f"/{tribunal.slug}/staff"))
    saved = await post_form(client, f"{page}/pattern", MONDAY_TO_FRIDAY, page=page)
    assert saved.status_code == 303
    assert saved.headers["location"] == page + "?saved=1"
    rows = list(
        await db.scalars(
            select(WeeklyAvailability).where(WeeklyAvailability.adjudicator_id == adjudicator.id)
        )
    )
    assert len(rows) == 10
    assert {(row.starts_at, row.ends_at) for row in rows} == {
        (time(9), time(12)),
        (time(13), time(17)),
    }
    assert {row.time_zone for row in rows} == {"America/Toronto"}
    shown = await client.get(page)
    assert 'value="13:00"' in shown.text

    # A day of leave, then a morning of training on a day of the spring change week.
    leave = {
        "kind": "unavailable",
        "span": "days",
        "first_day": f"{NEXT_YEAR}-03-16",
        "reason": "leave",
    }
    assert (await post_form(client, f"{page}/exceptions", leave, page=page)).status_code == 303
    training = {
        "kind": "unavailable",
        "span": "hours",
        "day": f"{NEXT_YEAR}-07-15",
        "start": "09:00",
        "end": "10:30",
        "reason": "training",
        "note": "Annual course",
    }
    assert (await post_form(client, f"{page}/exceptions", training, page=page)).status_code == 303
    exceptions = {
        row.reason: row
        for row in await db.scalars(
            select(AvailabilityException).where(
                AvailabilityException.adjudicator_id == adjudicator.id
            )
        )
    }
    day_off = exceptions[ExceptionReason.LEAVE]
    assert (day_off.first_day, day_off.last_day) == (date(NEXT_YEAR, 3, 16),) * 2
    morning = exceptions[ExceptionReason.TRAINING]
    # 09:00 in Toronto in July is 13:00 UTC (EDT).
    assert morning.starts_at == datetime(NEXT_YEAR, 7, 15, 13, tzinfo=UTC)
    assert morning.ends_at == morning.starts_at + timedelta(minutes=90)
    listed = text_of(await client.get(page))
    assert "09:00 to 10:30" in listed
    assert "Annual course" in listed

    removed = await post_form(client, f"{page}/exceptions/{morning.id}/delete", {}, page=page)
    assert removed.status_code == 303
    assert await count(db, AvailabilityException, AvailabilityException.id == morning.id) == 0
    logged = list(
        await db.scalars(
            select(AuditEvent.actor_role).where(
                AuditEvent.tribunal_id == tribunal.id, AuditEvent.subject_id == adjudicator.id
            )
        )
    )
    assert logged == ["adjudicator"] * 4
    assert (
        await count(
            db,
            AuditEvent,
            AuditEvent.action == AuditAction.AVAILABILITY_EXCEPTION_REMOVED,
            AuditEvent.tribunal_id == tribunal.id,
        )
        == 1
    )


BAD_PATTERNS = [
    ({"start-0-1": "09:00"}, "end-0-1", "Enter the end time"),
    (
        {"start-0-1": "17:00", "end-0-1": "09:00"},
        "end-0-1",
        "The end time must be after the start time",
    ),
    (
        {"start-0-1": "09:00", "end-0-1": "09:00"},
        "end-0-1",
        "The end time must be after the start time",
    ),
    (
        {"start-1-1": "noon", "end-1-1": "13:00"},
        "start-1-1",
        "Enter a time in hours and minutes, like 09:30 or 14:00",
    ),
    (
        {"start-2-1": "09:00", "end-2-1": "12:00", "start-2-2": "11:00", "end-2-2": "14:00"},
        "start-2-2",
        "The times of one day must not overlap",
    ),
]
BAD_EXCEPTIONS = [
    ({"span": "days"}, "kind", "Select whether this is time off or extra availability"),
    (
        {"kind": "unavailable", "span": "days", "reason": "leave"},
        "first_day",
        "Enter the first day",
    ),
    (
        {"kind": "unavailable", "span": "days", "reason": "leave", "first_day": "2027-02-30"},
        "first_day",
        "Enter a real date, like 2027-03-15",
    ),
    (
        {"kind": "unavailable", "span": "days", "reason": "leave", "first_day": "9999-12-31"},
        "first_day",
        "Enter a real date, like 2027-03-15",
    ),
    (
        {
            "kind": "unavailable",
            "span": "days",
            "reason": "leave",
            "first_day": "2027-03-16",
            "last_day": "2027-03-15",
        },
        "last_day",
        "The last day must be on or after the first day",
    ),
    (
        {"kind": "available", "span": "days", "reason": "other", "first_day": "2027-03-16"},
        "span",
        "Give extra availability as a day with start and end times",
    ),
    (
        {
            "kind": "unavailable",
            "span": "hours",
            "reason": "leave",
            "day": "2027-03-16",
            "start": "12:00",
            "end": "11:00",
        },
        "end",
        "The end time must be after the start time",
    ),
    (
        {"kind": "unavailable", "span": "days", "reason": "holiday", "first_day": "2027-03-16"},
        "reason",
        "Select a reason",
    ),
]


async def test_bad_availability_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
    await as_user(client, adjudicator)
    page = f"/{tribunal.slug}/staff/my-availability"
    for data, field, message in BAD_PATTERNS:
        response = await post_form(client, f"{page}/pattern", data, page=page)
        assert response.status_code == 422, data
        assert message in text_of(response), data
        assert f'href="#{field}"' in response.text, data
    kept = await post_form(client, f"{page}/pattern", BAD_PATTERNS[1][0], page=page)
    assert 'value="17:00"' in kept.text
    # What a time field cannot hold comes back in a text field, to be corrected.
    typed = await post_form(client, f"{page}/pattern", BAD_PATTERNS[3][0], page=page)
    assert 'name="start-1-1" type="text" value="noon"' in typed.text
    for data, field, message in BAD_EXCEPTIONS:
        response = await post_form(client, f"{page}/exceptions", data, page=page)
        assert response.status_code == 422, data
        assert message in text_of(response), data
        assert f'href="#{field}"' in response.text, data
    assert await count(db, WeeklyAvailability, WeeklyAvailability.tribunal_id == tribunal.id) == 0
    assert (
        await count(db, AvailabilityException, AvailabilityException.tribunal_id == tribunal.id)
        == 0
    )


async def test_an_administrator_keeps_any_adjudicators_availability_and_nobody_else_does(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Justine Okafor")
    colleague = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Marc Roy")
    clerk = await make_staff(db, tribunal, Role.CLERK)
    theirs = AvailabilityException(
        tribunal_id=tribunal.id,
        adjudicator_id=colleague.id,
        kind=ExceptionKind.UNAVAILABLE,
        reason=ExceptionReason.LEAVE,
        first_day=date(NEXT_YEAR, 5, 3),
        last_day=date(NEXT_YEAR, 5, 7),
    )
    db.add(theirs)
    await db.commit()

    # The adjudicator cannot reach a colleague's availability, nor remove their exception
    # through their own page.
    await as_user(client, adjudicator)
    base = f"/{tribunal.slug}/staff/hearings/availability/adjudicators"
    assert (await client.get(f"{base}/{colleague.id}")).status_code == 404
    mine = f"/{tribunal.slug}/staff/my-availability"
    refused = await post_form(client, f"{mine}/exceptions/{theirs.id}/delete", {}, page=mine)
    assert refused.status_code == 404
    # A clerk has no availability page, and cannot edit anyone's.
    await as_user(client, clerk)
    assert (await client.get(mine)).status_code == 404
    assert (await client.get(f"{base}/{colleague.id}")).status_code == 404

    admin = await make_staff(db, tribunal, Role.ADMIN)
    await as_user(client, admin)
    listing = text_of(await client.get(f"/{tribunal.slug}/staff/hearings/adjudicators"))
    assert "Justine Okafor" in listing
    assert "Marc Roy" in listing
    # A clerk's id, or the admin's own, is not an adjudicator's.
    assert (await client.get(f"{base}/{clerk.id}")).status_code == 404
    assert (await client.get(f"{base}/{admin.id}")).status_code == 404
    page = f"{base}/{colleague.id}"
    assert "Availability of Marc Roy" in text_of(await client.get(page))
    saved = await post_form(client, f"{page}/pattern", MONDAY_TO_FRIDAY, page=page)
    assert saved.status_code == 303
    removed = await post_form(client, f"{page}/exceptions/{theirs.id}/delete", {}, page=page)
    assert removed.status_code == 303
    assert (
        await count(db, WeeklyAvailability, WeeklyAvailability.adjudicator_id == colleague.id) == 10
    )
    assert await count(db, AvailabilityException, AvailabilityException.id == theirs.id) == 0
    roles = set(
        await db.scalars(
            select(AuditEvent.actor_role).where(
                AuditEvent.tribunal_id == tribunal.id, AuditEvent.subject_id == colleague.id
            )
        )
    )
    assert roles == {"admin"}
    # The admin holds no adjudicator role: no page of their own.
    assert (await client.get(mine)).status_code == 404


async def test_another_tribunals_adjudicator_answers_404(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    elsewhere = await make_tribunal(db)
    stranger = await make_staff(db, elsewhere, Role.ADJUDICATOR)
    tribunal = await make_tribunal(db)
    await as_user(client, await make_staff(db, tribunal, Role.ADMIN))
    page = f"/{tribunal.slug}/staff/hearings/availability/adjudicators/{stranger.id}"
    assert (await client.get(page)).status_code == 404
    refused = await post_form(
        client, f"{page}/pattern", MONDAY_TO_FRIDAY, page=f"/{tribunal.slug}/staff"
    )
    assert refused.status_code == 404
    assert (
        await count(db, WeeklyAvailability, WeeklyAvailability.adjudicator_id == stranger.id) == 0
    )
