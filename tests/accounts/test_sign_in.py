"""Signing in and out, sessions and their timeouts, and the sign-in throttle."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accounts import services
from accounts.models import SignInAttempt, UserSession
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import csrf_token, last_message, post_form, sign_in
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


async def test_repeated_failures_lock_the_account_for_a_while(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db)
    for _ in range(services.ACCOUNT_FAILURE_LIMIT):
        assert (await fail_sign_in(client, user.email)).status_code == 422
    locked = await post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many attempts to sign in" in locked.text
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
    for _ in range(services.ACCOUNT_FAILURE_LIMIT):
        await fail_sign_in(client, user.email)
    restarted: Starlette = create_app(settings, database, inline_worker=False)
    transport = httpx.ASGITransport(app=restarted, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as fresh:
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
