"""A person's own details: name, email address, password and language."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accounts.passwords import verify_password
from tests.factories import unique
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import hidden_fields, last_message, link_in, post_form, sign_in
from tribune.mail import OutboxMessage

NEW_PASSWORD = "another long passphrase"


async def test_the_account_page_needs_a_signed_in_person(client: httpx.AsyncClient) -> None:
    for path in (
        "/account",
        "/account/name",
        "/account/email",
        "/account/password",
        "/account/language",
    ):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in?next=")


async def test_change_name(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    empty = await post_form(client, "/account/name", {"name": "  "}, page="/account/name")
    assert empty.status_code == 422
    assert "Enter your full name" in empty.text
    done = await post_form(
        client, "/account/name", {"name": "Jeanne Tremblay"}, page="/account/name"
    )
    assert done.headers["location"] == "/account?updated=name"
    page = await client.get(done.headers["location"])
    assert "Your name has been changed" in page.text
    assert "Jeanne Tremblay" in page.text


async def test_change_language_changes_every_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    refused = await post_form(
        client, "/account/language", {"language": "es"}, page="/account/language"
    )
    assert refused.status_code == 422
    done = await post_form(
        client, "/account/language", {"language": "fr"}, page="/account/language"
    )
    assert done.status_code == 303
    page = await client.get("/account", headers={"Accept-Language": "en"})
    assert '<html lang="fr"' in page.text
    await db.refresh(user)
    assert user.language == "fr"


async def test_change_password_needs_the_current_one_and_signs_out_other_devices(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette
) -> None:
    user = await make_user(db)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other_device:
        await sign_in(other_device, user.email)
        await sign_in(client, user.email)
        data = {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
        wrong = await post_form(
            client,
            "/account/password",
            {**data, "current_password": "not it at all"},
            page="/account/password",
        )
        assert wrong.status_code == 422
        assert "Your current password is not correct" in wrong.text
        done = await post_form(
            client,
            "/account/password",
            {**data, "current_password": PASSWORD},
            page="/account/password",
        )
        assert done.headers["location"] == "/account?updated=password"
        assert (await client.get("/account")).status_code == 200
        assert (await other_device.get("/account")).status_code == 303
    await db.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)


async def test_change_email_by_confirming_the_new_address(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    old_email = user.email
    new_email = f"{unique('moved-')}@example.org"
    await sign_in(client, user.email)
    sent = await post_form(
        client,
        "/account/email",
        {"email": new_email, "current_password": PASSWORD},
        page="/account/email",
    )
    assert sent.status_code == 200
    assert "Check your email" in sent.text
    await db.refresh(user)
    assert user.email == old_email  # nothing changes until the link is followed

    page = await client.get(link_in(await last_message(db, new_email)))
    done = await client.post("/account/email/confirm", data=hidden_fields(page.text))
    assert done.headers["location"] == "/account?updated=email"
    await db.refresh(user)
    assert user.email == new_email
    assert (await last_message(db, old_email)).template == "email_changed"


async def test_change_email_to_a_taken_address_reveals_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    other = await make_user(db)
    await sign_in(client, user.email)
    response = await post_form(
        client,
        "/account/email",
        {"email": other.email, "current_password": PASSWORD},
        page="/account/email",
    )
    assert response.status_code == 200
    assert "Check your email" in response.text
    sent_there = await db.execute(
        select(OutboxMessage).where(
            OutboxMessage.to_address == other.email, OutboxMessage.template == "change_email"
        )
    )
    assert sent_there.first() is None
    await db.refresh(user)
    assert user.email != other.email


async def test_change_email_needs_the_password(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    response = await post_form(
        client,
        "/account/email",
        {"email": "fine@example.org", "current_password": ""},
        page="/account/email",
    )
    assert response.status_code == 422
    assert "Enter your current password" in response.text
    same = await post_form(
        client,
        "/account/email",
        {"email": user.email, "current_password": PASSWORD},
        page="/account/email",
    )
    assert same.status_code == 422
    assert "This is already your email address" in same.text


async def test_guessing_the_current_password_is_throttled_like_signing_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # A borrowed session must not guess the password faster than the sign-in page allows.
    user = await make_user(db)
    await sign_in(client, user.email)
    data = {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    for _ in range(5):
        wrong = await post_form(
            client,
            "/account/password",
            {**data, "current_password": "a wrong guess"},
            page="/account/password",
        )
        assert wrong.status_code == 422
    for page, fields in [
        ("/account/password", data),
        ("/account/email", {"email": f"new-{user.email}"}),
    ]:
        held = await post_form(client, page, {**fields, "current_password": PASSWORD}, page=page)
        assert held.status_code == 429, page
        assert "Too many wrong passwords" in held.text
    await db.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)
