"""Registration and email confirmation, including the bad inputs."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import AccountToken, User
from tests.factories import unique
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import count, hidden_fields, last_message, link_in, post_form
from tribune.mail import OutboxMessage

REGISTRATION = {
    "name": "Jane Doe",
    "password": PASSWORD,
    "password_confirmation": PASSWORD,
    "language": "en",
}


async def register(client: httpx.AsyncClient, email: str, **changes: str) -> httpx.Response:
    data = {**REGISTRATION, "email": email, **changes}
    return await post_form(client, "/register", data, page="/register")


async def test_newcomer_registers_confirms_and_signs_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    email = f"{unique('new-')}@example.org"
    response = await register(client, email)
    assert response.status_code == 303
    assert response.headers["location"] == "/register/check-email"
    assert "Check your email" in (await client.get("/register/check-email")).text

    message = await last_message(db, email)
    assert message.subject == "Confirm your email address"
    confirm_page = await client.get(link_in(message))
    assert confirm_page.status_code == 200
    confirmed = await client.post("/confirm-email", data=hidden_fields(confirm_page.text))
    assert confirmed.status_code == 200
    assert "Email address confirmed" in confirmed.text

    signed_in = await post_form(client, "/sign-in", {"email": email.upper(), "password": PASSWORD})
    assert signed_in.status_code == 303
    account = await client.get("/account")
    assert account.status_code == 200
    assert email in account.text


async def test_registration_in_french_sends_the_email_in_french(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    email = f"{unique('fr-')}@example.org"
    assert (await register(client, email, language="fr")).status_code == 303
    user = (await db.execute(select(User).where(User.email == email))).scalar_one()
    assert user.language == "fr"
    message = await last_message(db, email)
    assert message.language == "fr"
    assert message.subject != "Confirm your email address"


async def test_opening_the_link_does_not_use_it_up(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # Mail scanners open links: only the button press confirms.
    email = f"{unique('scan-')}@example.org"
    await register(client, email)
    link = link_in(await last_message(db, email))
    assert (await client.get(link)).status_code == 200
    assert (await client.get(link)).status_code == 200
    user = (await db.execute(select(User).where(User.email == email))).scalar_one()
    await db.refresh(user)
    assert user.email_confirmed_at is None


async def test_a_confirmation_link_works_once(client: httpx.AsyncClient, db: AsyncSession) -> None:
    email = f"{unique('once-')}@example.org"
    await register(client, email)
    page = await client.get(link_in(await last_message(db, email)))
    fields = hidden_fields(page.text)
    assert (await client.post("/confirm-email", data=fields)).status_code == 200
    again = await client.post("/confirm-email", data=fields)
    assert again.status_code == 400
    assert "This link is not valid" in again.text
    assert (await client.get(link_in(await last_message(db, email)))).status_code == 400


async def test_a_confirmation_link_expires_after_24_hours(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    email = f"{unique('late-')}@example.org"
    await register(client, email)
    link = link_in(await last_message(db, email))
    page = await client.get(link)
    user = (await db.execute(select(User).where(User.email == email))).scalar_one()
    token = (
        await db.execute(select(AccountToken).where(AccountToken.user_id == user.id))
    ).scalar_one()
    assert (
        timedelta(hours=23, minutes=59) < token.expires_at - token.created_at <= timedelta(hours=24)
    )
    await db.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id)
        .values(expires_at=token.created_at - timedelta(seconds=1))
    )
    await db.commit()
    assert (await client.get(link)).status_code == 400
    refused = await client.post("/confirm-email", data=hidden_fields(page.text))
    assert refused.status_code == 400
    await db.refresh(user)
    assert user.email_confirmed_at is None


async def test_registering_a_taken_address_looks_the_same_and_warns_its_owner(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_user(db)
    response = await register(client, owner.email.upper(), name="Someone Else")
    assert response.status_code == 303
    assert response.headers["location"] == "/register/check-email"
    assert await count(db, User, User.email == owner.email) == 1
    message = await last_message(db, owner.email)
    assert message.template == "account_exists"
    await db.refresh(owner)
    assert owner.name == "Jane Doe"


async def test_registering_again_before_confirming_resends_the_link(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    email = f"{unique('again-')}@example.org"
    await register(client, email)
    await register(client, email)
    assert await count(db, User, User.email == email) == 1
    assert await count(db, OutboxMessage, OutboxMessage.to_address == email) == 2


async def test_invalid_registration_shows_every_problem_and_keeps_the_input(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    response = await register(
        client,
        "not-an-email",
        name="",
        password="short",
        password_confirmation="short",
        language="de",
    )
    assert response.status_code == 422
    html = response.text
    assert "There is a problem" in html
    assert "Error: Create an account" in html
    for field, message in [
        ("name", "Enter your full name"),
        ("email", "Enter an email address in the correct format"),
        ("password", "at least 12 characters"),
        ("language", "Select the language"),
    ]:
        assert f'href="#{field}"' in html
        assert message in html
        assert f'id="{field}-error"' in html
    assert 'value="not-an-email"' in html
    assert "short" not in html.split("</header>", 1)[1].replace("shortly", "")


async def test_weak_passwords_are_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    email = f"{unique('weak-')}@example.org"
    local = email.split("@")[0]
    cases = {
        "password1234": "too common",
        "Sunshine2026!!": "too common",
        f"my-{local}-pass": "must not contain your email address",
        "aaaaaaaaaaaaaa": "repeat the same few characters",
        "abababababab": "repeat the same few characters",
    }
    for password, problem in cases.items():
        response = await register(client, email, password=password, password_confirmation=password)
        assert response.status_code == 422, password
        assert problem in response.text, password
    mismatch = await register(client, email, password_confirmation=PASSWORD + "x")
    assert mismatch.status_code == 422
    assert "The passwords do not match" in mismatch.text
    assert await count(db, User, User.email == email) == 0


async def test_html_in_a_name_is_shown_as_text(client: httpx.AsyncClient, db: AsyncSession) -> None:
    response = await register(client, "bad", name="<script>alert(1)</script>")
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


async def test_control_characters_are_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    email = f"{unique('ctrl-')}@example.org"
    response = await register(client, email, name="Jane\x00Doe")
    assert response.status_code == 422
    assert "control characters" in response.text
    assert await count(db, User, User.email == email) == 0


async def test_the_time_an_answer_takes_does_not_tell_whether_an_address_has_an_account(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_user(db)
    await register(client, f"{unique('warm-')}@example.org")  # the first one warms up caches

    async def seconds_to_register(email: str) -> float:
        started = time.perf_counter()
        response = await register(client, email)
        assert response.status_code == 303
        return time.perf_counter() - started

    known = [await seconds_to_register(owner.email) for _ in range(3)]
    new = [await seconds_to_register(f"{unique('new-')}@example.org") for _ in range(3)]
    # Without the same work on both paths a known address answered in a few milliseconds
    # against a tenth of a second or more (the password's hashing) for a new one.
    assert statistics.median(known) > statistics.median(new) / 2, (known, new)


async def test_registrations_from_one_address_are_limited(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    for number in range(10):
        assert (
            await register(client, f"{unique(f'many-{number}-')}@example.org")
        ).status_code == 303
    email = f"{unique('one-too-many-')}@example.org"
    refused = await register(client, email)
    assert refused.status_code == 429
    assert "Too many accounts were registered from your network" in refused.text
    assert await count(db, User, User.email == email) == 0
    assert await count(db, OutboxMessage, OutboxMessage.to_address == email) == 0
