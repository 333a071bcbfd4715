"""Password reset by a single-use link that expires after an hour."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import AccountToken
from accounts.passwords import verify_password
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import hidden_fields, last_message, link_in, post_form, sign_in
from tribune.mail import OutboxMessage

NEW_PASSWORD = "a brand new passphrase"


async def ask_for_reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/password-reset", {"email": email}, page="/password-reset")


async def test_reset_by_link_sets_a_new_password_and_signs_out_everywhere(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    old_session = client.cookies["tribune_session"]
    response = await ask_for_reset(client, user.email)
    assert response.headers["location"] == "/password-reset/sent"

    link = link_in(await last_message(db, user.email))
    form = await client.get(link)
    assert form.status_code == 200
    fields = hidden_fields(form.text)
    done = await client.post(
        "/password-reset/new",
        data={**fields, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
    )
    assert done.status_code == 200
    assert "Your password has been changed" in done.text
    await db.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)

    client.cookies.set("tribune_session", old_session)
    assert (await client.get("/account")).status_code == 303
    assert (await sign_in(client, user.email, NEW_PASSWORD)).status_code == 303


async def test_unknown_addresses_get_the_same_answer_and_no_email(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = (await db.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
    response = await ask_for_reset(client, "nobody-here@example.org")
    assert response.status_code == 303
    assert response.headers["location"] == "/password-reset/sent"
    after = (await db.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
    assert after == before


async def test_a_reset_link_works_once(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await make_user(db)
    await ask_for_reset(client, user.email)
    link = link_in(await last_message(db, user.email))
    fields = hidden_fields((await client.get(link)).text)
    data = {**fields, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    assert (await client.post("/password-reset/new", data=data)).status_code == 200
    again = await client.post(
        "/password-reset/new",
        data={
            **fields,
            "password": "yet another passphrase",
            "password_confirmation": "yet another passphrase",
        },
    )
    assert again.status_code == 400
    assert "This link is not valid" in again.text
    await db.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)


async def test_a_reset_link_expires_after_an_hour(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    await ask_for_reset(client, user.email)
    link = link_in(await last_message(db, user.email))
    token = (
        await db.execute(select(AccountToken).where(AccountToken.user_id == user.id))
    ).scalar_one()
    assert token.expires_at - token.created_at <= timedelta(hours=1)
    await db.execute(
        update(AccountToken).where(AccountToken.id == token.id).values(expires_at=token.created_at)
    )
    await db.commit()
    assert (await client.get(link)).status_code == 400


async def test_the_new_password_must_be_strong(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await make_user(db)
    await ask_for_reset(client, user.email)
    fields = hidden_fields((await client.get(link_in(await last_message(db, user.email)))).text)
    weak = await client.post(
        "/password-reset/new",
        data={**fields, "password": "password1234", "password_confirmation": "password1234"},
    )
    assert weak.status_code == 422
    assert "too common" in weak.text
    await db.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)
    # The link was not used up by the refused attempt.
    assert (await client.get(link_in(await last_message(db, user.email)))).status_code == 200


async def test_a_forged_token_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get("/password-reset/new?token=forged")).status_code == 400
    response = await post_form(
        client,
        "/password-reset/new",
        {"token": "x" * 500, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
    )
    assert response.status_code == 400


async def test_a_reset_ends_every_other_reset_link_of_that_person(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    await ask_for_reset(client, user.email)
    first = link_in(await last_message(db, user.email))
    await ask_for_reset(client, user.email)
    second = link_in(await last_message(db, user.email))
    assert first != second
    fields = hidden_fields((await client.get(second)).text)
    done = await client.post(
        "/password-reset/new",
        data={**fields, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
    )
    assert done.status_code == 200
    # The older link can no longer set another password.
    assert (await client.get(first)).status_code == 400


async def test_a_password_change_ends_the_outstanding_reset_links(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    await ask_for_reset(client, user.email)
    link = link_in(await last_message(db, user.email))
    await sign_in(client, user.email)
    changed = await post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD,
        },
        page="/account/password",
    )
    assert changed.headers["location"] == "/account?updated=password"
    assert (await client.get(link)).status_code == 400


SEVERAL_EMAILS = (
    "We have sent several emails to this address recently. Wait an hour before asking again."
)


async def test_reset_requests_to_one_address_are_limited_whether_or_not_it_has_an_account(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    unknown = "nobody-here@example.org"
    for email in (user.email, unknown):
        answers = [await ask_for_reset(client, email) for _ in range(20)]
        assert [answer.status_code for answer in answers[:5]] == [303] * 5
        for refused in answers[5:]:
            assert refused.status_code == 429
            assert SEVERAL_EMAILS in html.unescape(refused.text)
        # The page is the same for an address with an account and one without.
    sent = await db.scalar(
        select(func.count()).where(
            OutboxMessage.to_address == user.email, OutboxMessage.template == "reset_password"
        )
    )
    assert sent == 5


async def test_one_address_asking_resets_for_many_addresses_is_limited(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    for number in range(20):
        assert (await ask_for_reset(client, f"target-{number}@example.org")).status_code == 303
    user = await make_user(db)
    refused = await ask_for_reset(client, user.email)
    assert refused.status_code == 429
    assert "You have asked us to send many emails recently" in html.unescape(refused.text)
    assert await db.scalar(select(func.count()).where(OutboxMessage.to_address == user.email)) == 0
