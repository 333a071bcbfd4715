"""Hearing settings and durations: an administrator sets hours, modes, notice, window and
dial-in details; bad input is refused with a message and changes nothing; every change is
audited; clerks and adjudicators cannot reach the pages."""

from __future__ import annotations

from datetime import time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hearings.models import HearingDuration, HearingHours, HearingMode, HearingSettings
from tests.factories.filings import make_demo_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, french, hidden_fields, post_form, text_of
from tribunals.models import Role, Tribunal
from tribune.audit import AuditAction, AuditEvent

GOOD = {
    **{f"open-{weekday}": "yes" for weekday in range(5)},
    **{f"start-{weekday}": "09:30" for weekday in range(5)},
    **{f"end-{weekday}": "16:30" for weekday in range(5)},
    "minimum_notice_business_days": "10",
    "unavailability_window_days": "90",
    "dial_in_en": "Call 1 888 555 0142, code 482 915#",
    "dial_in_fr": "Composez le 1 888 555 0142, code 482 915#",
}


async def settings_page(
    client: httpx.AsyncClient, db: AsyncSession, language: str = "en"
) -> tuple[Tribunal, str]:
    tribunal = await make_tribunal(db)
    await as_user(client, await make_staff(db, tribunal, Role.ADMIN, language=language))
    return tribunal, f"/{tribunal.slug}/staff/hearings/settings"


async def post_settings(
    client: httpx.AsyncClient, page: str, changes: dict[str, str], modes: list[str]
) -> httpx.Response:
    token_page = await client.get(page)
    assert token_page.status_code == 200
    data: dict[str, str | list[str]] = {**GOOD, **changes, "modes": modes}
    data["csrf_token"] = hidden_fields(token_page.text)["csrf_token"]
    return await client.post(page, data=data)


async def test_an_administrator_sets_hours_modes_and_notice(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, page = await settings_page(client, db)
    response = await post_settings(
        client, page, {"start-4": "9:00", "end-4": "12h00"}, ["video", "telephone"]
    )
    assert response.status_code == 303, text_of(response)[:3000]
    saved = await db.scalar(
        select(HearingSettings).where(HearingSettings.tribunal_id == tribunal.id)
    )
    assert saved is not None
    assert saved.offered_modes == [HearingMode.VIDEO, HearingMode.TELEPHONE]
    assert saved.minimum_notice_business_days == 10
    hours = {
        row.weekday: (row.starts_at, row.ends_at)
        for row in await db.scalars(
            select(HearingHours).where(HearingHours.tribunal_id == tribunal.id)
        )
    }
    assert hours == {
        **{weekday: (time(9, 30), time(16, 30)) for weekday in range(4)},
        4: (time(9), time(12)),
    }
    assert (
        await count(
            db,
            AuditEvent,
            AuditEvent.action == AuditAction.HEARING_SETTINGS_CHANGED,
            AuditEvent.tribunal_id == tribunal.id,
        )
        == 1
    )
    shown = text_of(await client.get(page))
    assert 'value="12:00"' in shown
    assert "Your changes are saved." in text_of(await client.get(page + "?saved=1"))


async def test_closing_a_day_removes_its_hours(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal, page = await settings_page(client, db)
    assert (await post_settings(client, page, {}, ["video"])).status_code == 303
    closed_friday = {"open-4": "", "start-4": "", "end-4": ""}
    assert (await post_settings(client, page, closed_friday, ["video"])).status_code == 303
    weekdays = set(
        await db.scalars(
            select(HearingHours.weekday).where(HearingHours.tribunal_id == tribunal.id)
        )
    )
    assert weekdays == {0, 1, 2, 3}


BAD_SETTINGS = [
    ({"end-1": "09:00"}, ["video"], "end-1", "The end time must be after the start time"),
    ({"start-2": ""}, ["video"], "start-2", "Enter the start time"),
    (
        {"start-2": "25:00"},
        ["video"],
        "start-2",
        "Enter a time in hours and minutes, like 09:30 or 14:00",
    ),
    (
        {"start-3": "09:10"},
        ["video"],
        "start-3",
        "Enter a time on the quarter hour, like 09:00, 09:15 or 09:30",
    ),
    (
        {f"open-{weekday}": "" for weekday in range(7)},
        ["video"],
        "open-0",
        "Select at least one day on which hearings are held",
    ),
    ({}, [], "modes", "Select at least one way hearings are held"),
    ({}, ["video", "hologram"], "modes", "Select at least one way hearings are held"),
    (
        {"minimum_notice_business_days": "-1"},
        ["video"],
        "minimum_notice_business_days",
        "Enter a minimum notice of 0 to 120 business days",
    ),
    (
        {"unavailability_window_days": "0"},
        ["video"],
        "unavailability_window_days",
        "Enter a number of days from 1 to 730",
    ),
    (
        {"dial_in_fr": ""},
        ["telephone"],
        "dial_in_fr",
        "Enter the telephone dial-in details in English and in French",
    ),
]


async def test_bad_settings_are_refused_with_a_message_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, page = await settings_page(client, db)
    for changes, modes, field, message in BAD_SETTINGS:
        response = await post_settings(client, page, changes, modes)
        assert response.status_code == 422, (changes, modes)
        shown = text_of(response)
        assert message in shown, field
        assert f'href="#{field}"' in shown, field
        assert "There is a problem" in shown
    assert await count(db, HearingSettings, HearingSettings.tribunal_id == tribunal.id) == 0
    assert await count(db, HearingHours, HearingHours.tribunal_id == tribunal.id) == 0
    # The person's input is kept.
    kept = await post_settings(client, page, {"end-1": "09:00", "dial_in_en": "Call me"}, ["video"])
    assert 'value="09:00"' in kept.text
    assert "Call me" in kept.text


async def test_errors_are_in_french_for_a_french_reader(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _tribunal, page = await settings_page(client, db, language="fr")
    response = await post_settings(client, page, {"end-1": "09:00"}, ["video"])
    assert response.status_code == 422
    assert french("The end time must be after the start time") in text_of(response)
    assert french("Hearing settings") in text_of(response)


async def test_durations_per_case_type_and_mode_within_bounds(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, page = await settings_page(client, db)
    assert (await post_settings(client, page, {}, ["video", "in_person"])).status_code == 303
    version = await make_demo_case_type(db, tribunal)
    durations = f"/{tribunal.slug}/staff/hearings/durations"
    field = f"duration-{version.case_type_id}"
    for bad in ("0", "14", "481", "2 hours", "-30"):
        refused = await post_form(client, durations, {f"{field}-video": bad}, page=durations)
        assert refused.status_code == 422, bad
        assert "Enter a duration from 15 to 480 minutes" in text_of(refused)
    assert await count(db, HearingDuration, HearingDuration.tribunal_id == tribunal.id) == 0
    saved = await post_form(
        client, durations, {f"{field}-video": "90", f"{field}-in_person": ""}, page=durations
    )
    assert saved.status_code == 303
    rows = list(
        await db.scalars(select(HearingDuration).where(HearingDuration.tribunal_id == tribunal.id))
    )
    assert [(row.mode, row.minutes) for row in rows] == [(HearingMode.VIDEO, 90)]
    assert 'value="90"' in (await client.get(durations)).text


async def test_clerks_and_adjudicators_cannot_manage_hearing_settings(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    for role in (Role.CLERK, Role.ADJUDICATOR):
        await as_user(client, await make_staff(db, tribunal, role))
        for path in ("settings", "durations", "interpreters", "rooms", "adjudicators"):
            assert (await client.get(f"/{tribunal.slug}/staff/hearings/{path}")).status_code == 404
        refused = await post_form(
            client,
            f"/{tribunal.slug}/staff/hearings/settings",
            GOOD,
            page=f"/{tribunal.slug}/staff",
        )
        assert refused.status_code == 404
    assert await count(db, HearingSettings, HearingSettings.tribunal_id == tribunal.id) == 0
