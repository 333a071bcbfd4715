"""A person's own time zone: chosen on their account among Canada's zones by their plain
names, or any other IANA zone, or left unset; checked, translated and audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from tests.factories.accounts import make_user
from tests.helpers import count, french, post_form, sign_in, text_of
from tribune.audit import AuditAction, AuditEvent

PAGE = "/account/time-zone"


async def zone_of(db: AsyncSession, user: User) -> str | None:
    await db.refresh(user)
    return user.time_zone


async def test_the_page_needs_a_signed_in_person(client: httpx.AsyncClient) -> None:
    response = await client.get(PAGE)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")


async def test_a_person_chooses_a_canadian_zone_by_its_plain_name(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    account = text_of(await client.get("/account"))
    assert "Time zone" in account
    assert "Not set" in account
    form = text_of(await client.get(PAGE))
    for name, zone in (
        ("Newfoundland", "America/St_Johns"),
        ("Atlantic", "America/Halifax"),
        ("Eastern", "America/Toronto"),
        ("Central", "America/Winnipeg"),
        ("Saskatchewan", "America/Regina"),
        ("Mountain", "America/Edmonton"),
        ("Pacific", "America/Vancouver"),
        ("Yukon", "America/Whitehorse"),
    ):
        assert f"{name} ({zone})" in form
    done = await post_form(client, PAGE, {"zone": "America/Vancouver"}, page=PAGE)
    assert done.status_code == 303
    assert done.headers["location"] == "/account?updated=time_zone"
    assert await zone_of(db, user) == "America/Vancouver"
    shown = text_of(await client.get(done.headers["location"]))
    assert "Your time zone has been changed" in shown
    assert "Pacific (America/Vancouver)" in shown
    entry = (
        await db.execute(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.ACCOUNT_TIME_ZONE_CHANGED.value,
                AuditEvent.actor_id == user.id,
            )
        )
    ).scalar_one()
    assert entry.details["time_zone"] == "America/Vancouver"
    # The page shows the saved choice again.
    assert 'value="America/Vancouver" checked' in (await client.get(PAGE)).text


async def test_another_iana_zone_or_none(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    data = {"zone": "other", "other_zone": "Europe/Paris"}
    assert (await post_form(client, PAGE, data, page=PAGE)).status_code == 303
    assert await zone_of(db, user) == "Europe/Paris"
    assert "Europe/Paris" in text_of(await client.get("/account"))
    again = await client.get(PAGE)
    assert 'value="other" checked' in again.text
    assert 'value="Europe/Paris"' in again.text
    assert (await post_form(client, PAGE, {"zone": "none"}, page=PAGE)).status_code == 303
    assert await zone_of(db, user) is None
    assert (
        await count(
            db,
            AuditEvent,
            AuditEvent.action == AuditAction.ACCOUNT_TIME_ZONE_CHANGED.value,
            AuditEvent.actor_id == user.id,
        )
        == 2
    )


async def test_a_zone_that_is_not_one_is_refused_in_the_persons_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db, language="fr")
    user.time_zone = "America/Toronto"
    await db.commit()
    await sign_in(client, user.email)
    invalid = french("Enter a time zone name from the IANA list, like Europe/Paris")
    for data, message in (
        ({"zone": "other", "other_zone": "Mars/Olympus_Mons"}, invalid),
        ({"zone": "other", "other_zone": "America"}, invalid),  # a folder of zones
        ({"zone": "other", "other_zone": "../../etc/passwd"}, invalid),
        ({"zone": "other", "other_zone": ""}, french("Enter the name of your time zone")),
        ({"zone": "Europe/Paris"}, french("Select your time zone, or “Not set”")),
        ({}, french("Select your time zone, or “Not set”")),
        (
            {"zone": "other", "other_zone": "E" * 61},
            french("This answer must be %(n)s characters or fewer", n="60"),
        ),
    ):
        response = await post_form(client, PAGE, data, page=PAGE)
        assert response.status_code == 422, data
        assert "govuk-error-summary" in response.text
        assert message in text_of(response), data
    assert await zone_of(db, user) == "America/Toronto"
    assert (
        await count(
            db, AuditEvent, AuditEvent.action == AuditAction.ACCOUNT_TIME_ZONE_CHANGED.value
        )
        == 0
    )
