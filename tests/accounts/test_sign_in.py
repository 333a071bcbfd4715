"""Signing in and out, sessions and their timeouts, and the sign-in throttle."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accounts import services
from accounts.models import SignInAttempt, UserSession
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import csrf_token, hidden_fields, last_message, link_in, post_form, sign_in
from tribune.app import create_app
from tribune.db import Database, utcnow
from tribune.security import hash_token
from tribune.settings import Settings


def session_cookie(response: httpx.Response) -> str:
    header = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("tribune_session=")
    )
    return header


async def test_sign_in_opens_a_session_with_a_safe_cookie(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    response = await sign_in(client, user.email)
    assert response.headers["location"] == "/"
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    token = client.cookies["tribune_session"]
    stored = (
        await db.execute(select(UserSession).where(UserSession.user_id == user.id))
    ).scalar_one()
    assert stored.token_hash != token  # only the hash is kept
    assert stored.token_hash == hash_token(token)


async def test_signing_in_again_replaces_the_session(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    first = client.cookies["tribune_session"]
    await sign_in(client, user.email)
    second = client.cookies["tribune_session"]
    assert first != second
    sessions = (
        (await db.execute(select(UserSession).where(UserSession.user_id == user.id)))
        .scalars()
        .all()
    )
    assert sorted(s.revoked_at is None for s in sessions) == [False, True]


async def test_next_takes_you_back_but_never_to_another_site(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    redirect = await client.get("/account")
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/sign-in?next=%2Faccount"
    token = await csrf_token(client, "/sign-in?next=/account/name")
    response = await client.post(
        "/sign-in",
        data={
            "email": user.email,
            "password": PASSWORD,
            "next": "/account/name",
            "csrf_token": token,
        },
    )
    assert response.headers["location"] == "/account/name"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        other = await post_form(
            client, "/sign-in", {"email": user.email, "password": PASSWORD, "next": target}
        )
        assert other.headers["location"] == "/", target


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    wrong = await post_form(
        client, "/sign-in", {"email": user.email, "password": "not my password"}
    )
    unknown = await post_form(
        client, "/sign-in", {"email": "nobody@example.org", "password": "not my password"}
    )
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "Enter the email address and password of your account" in response.text
        assert "not my password" not in response.text
    assert "tribune_session" not in client.cookies


async def test_an_unconfirmed_account_gets_a_new_link_instead(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db, confirmed=False)
    response = await post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/register/check-email"
    assert "tribune_session" not in client.cookies
    assert (await last_message(db, user.email)).template == "confirm_email"


async def test_empty_sign_in_form_is_explained(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/sign-in", {"email": "", "password": ""})
    assert response.status_code == 422
    assert "Enter your email address" in response.text
    assert "Enter your password" in response.text


async def fail_sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/sign-in", {"email": email, "password": "wrong password!"})


@contextlib.asynccontextmanager
async def browser_at(app: Starlette, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on another network: its requests come from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        yield browser


async def record_failures(
    db: AsyncSession,
    settings: Settings,
    email: str,
    count: int,
    *,
    address: str | None = None,
    ago: timedelta = timedelta(0),
) -> None:
    """Record `count` wrong passwords for an account, `ago` in the past, from one address or
    (by default) each from its own: guessing spread over many machines, without the wait."""
    for number in range(count):
        account_key, address_key = services.attempt_keys(
            settings, email, address or f"198.51.100.{number % 250}-{number}"
        )
        db.add(
            SignInAttempt(
                account_key=account_key,
                address_key=address_key,
                succeeded=False,
                created_at=utcnow() - ago,
            )
        )
    await db.commit()


async def test_repeated_failures_hold_back_that_address_for_a_while(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    for _ in range(services.PAIR_FAILURE_LIMIT):
        assert (await fail_sign_in(client, user.email)).status_code == 422
    locked = await post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many attempts to sign in. Wait 15 minutes" in locked.text
    assert "tribune_session" not in client.cookies

    # Fifteen minutes later the right password works again.
    await db.execute(
        update(SignInAttempt).values(
            created_at=utcnow() - services.THROTTLE_WINDOW - timedelta(seconds=1)
        )
    )
    await db.commit()
    assert (await sign_in(client, user.email)).status_code == 303


async def test_the_throttle_survives_a_restart(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, database: Database
) -> None:
    user = await make_user(db)
    for _ in range(services.PAIR_FAILURE_LIMIT):
        await fail_sign_in(client, user.email)
    restarted: Starlette = create_app(settings, database, inline_worker=False)
    async with browser_at(restarted, "203.0.113.10") as fresh:
        response = await post_form(fresh, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429


async def test_many_failures_from_one_address_are_throttled(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    for number in range(services.ADDRESS_FAILURE_LIMIT):
        await fail_sign_in(client, f"guess-{number}@example.org")
    response = await post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429


async def test_signing_in_to_ones_own_account_does_not_reset_the_address_count(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    # An address spraying guesses over many accounts cannot start afresh by signing in to an
    # account of its own between guesses.
    own = await make_user(db)
    for number in range(services.ADDRESS_FAILURE_LIMIT - 1):
        await record_failures(
            db, settings, f"guess-{number}@example.org", 1, address="203.0.113.10"
        )
    await sign_in(client, own.email)
    assert (await fail_sign_in(client, "one-more@example.org")).status_code == 422
    held = await fail_sign_in(client, "and-another@example.org")
    assert held.status_code == 429


async def test_guessing_from_one_address_does_not_keep_the_owner_out(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette
) -> None:
    user = await make_user(db)
    async with browser_at(app, "192.0.2.66") as attacker:
        for _ in range(services.PAIR_FAILURE_LIMIT):
            assert (await fail_sign_in(attacker, user.email)).status_code == 422
        held = await post_form(attacker, "/sign-in", {"email": user.email, "password": PASSWORD})
        assert held.status_code == 429
    # The owner, on their own network, is not held back by someone else's guesses.
    assert (await sign_in(client, user.email)).status_code == 303


async def test_guessing_from_many_addresses_never_keeps_the_owner_out(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, app: Starlette
) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)  # the owner's own address, known to the account
    client.cookies.clear()
    await record_failures(db, settings, user.email, 50)

    # Another, unknown, address is held back by the guessing...
    async with browser_at(app, "192.0.2.77") as stranger:
        held = await post_form(stranger, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert held.status_code == 429
    assert "Wait 15 minutes" in held.text
    # ...but the owner signs in from their own address at once.
    assert (await sign_in(client, user.email)).status_code == 303


async def test_the_wait_for_unknown_addresses_grows_with_the_failures(
    db: AsyncSession, settings: Settings, app: Starlette
) -> None:
    user = await make_user(db)
    await record_failures(
        db, settings, user.email, services.ACCOUNT_FREE_FAILURES, ago=timedelta(minutes=1)
    )

    async def try_from(address: str, password: str) -> httpx.Response:
        async with browser_at(app, address) as browser:
            return await post_form(browser, "/sign-in", {"email": user.email, "password": password})

    # Up to ten failures from many places, nobody waits.
    assert (await try_from("192.0.2.1", "wrong password!")).status_code == 422
    # One more, and the next address waits (two seconds: the page says a minute).
    short = await try_from("192.0.2.2", PASSWORD)
    assert short.status_code == 429
    assert "Wait 1 minute and try again" in short.text
    # Ten more, and the wait has grown to fifteen minutes (it grows no further).
    await record_failures(db, settings, user.email, 10)
    long = await try_from("192.0.2.3", PASSWORD)
    assert long.status_code == 429
    assert "Wait 15 minutes and try again" in long.text
    # Once that long has passed since the last failure, a try goes through.
    await db.execute(update(SignInAttempt).values(created_at=utcnow() - timedelta(minutes=16)))
    await db.commit()
    assert (await try_from("192.0.2.4", PASSWORD)).status_code == 303


async def test_a_completed_reset_lets_the_owner_in_from_anywhere_at_once(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    user = await make_user(db)
    await record_failures(db, settings, user.email, 50)
    await record_failures(db, settings, user.email, 5, address="203.0.113.10")
    held = await post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert held.status_code == 429

    await post_form(client, "/password-reset", {"email": user.email}, page="/password-reset")
    form = await client.get(link_in(await last_message(db, user.email)))
    new_password = "a brand new passphrase"
    done = await client.post(
        "/password-reset/new",
        data={
            **hidden_fields(form.text),
            "password": new_password,
            "password_confirmation": new_password,
        },
    )
    assert done.status_code == 200
    assert (await sign_in(client, user.email, new_password)).status_code == 303


async def test_signing_out_ends_the_session(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    token = client.cookies["tribune_session"]
    response = await post_form(client, "/sign-out", {}, page="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/signed-out"
    client.cookies.set("tribune_session", token)  # a copy of the old cookie is worthless
    assert (await client.get("/account")).status_code == 303


async def test_sign_out_of_all_devices(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette
) -> None:
    user = await make_user(db)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as phone:
        await sign_in(phone, user.email)
        await sign_in(client, user.email)
        assert (await phone.get("/account")).status_code == 200
        response = await post_form(client, "/sign-out-everywhere", {}, page="/account")
        assert response.status_code == 303
        assert (await phone.get("/account")).status_code == 303
        assert (await client.get("/account")).status_code == 303


async def test_idle_sessions_end(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    assert (await client.get("/account")).status_code == 200
    idle = timedelta(minutes=settings.session_idle_minutes)
    await db.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id)
        .values(last_seen_at=utcnow() - idle - timedelta(seconds=1))
    )
    await db.commit()
    assert (await client.get("/account")).status_code == 303


async def test_sessions_end_at_their_absolute_lifetime(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    user = await make_user(db)
    await sign_in(client, user.email)
    stored = (
        await db.execute(select(UserSession).where(UserSession.user_id == user.id))
    ).scalar_one()
    lifetime = stored.expires_at - stored.created_at
    assert abs(lifetime - timedelta(hours=settings.session_max_hours)) < timedelta(seconds=5)
    await db.execute(
        update(UserSession).where(UserSession.id == stored.id).values(expires_at=utcnow())
    )
    await db.commit()
    assert (await client.get("/account")).status_code == 303
