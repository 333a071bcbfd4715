"""Registration and email confirmation."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import (
    PASSWORD,
    hidden_fields,
    last_message,
    link_in,
    post_form,
    unique,
)

REGISTRATION = {
    "name": "Jane Doe",
    "password": PASSWORD,
    "password_confirmation": PASSWORD,
    "language": "en",
}


async def register(client: httpx.AsyncClient, email: str, **changes: str) -> httpx.Response:
    return await post_form(
        client, "/register", {**REGISTRATION, "email": email, **changes}, page="/register"
    )


async def test_newcomer_registers_confirms_and_signs_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    email = f"{unique('new-')}@example.org"
    response = await register(client, email)
    assert response.status_code == 303
    assert response.headers["location"] == "/register/check-email"

    message = await last_message(db, email)
    assert message.subject == "Confirm your email address"
    confirm_page = await client.get(link_in(message))
    assert confirm_page.status_code == 200
    fields = hidden_fields(confirm_page.text)
    confirmed = await client.post("/confirm-email", data=fields)
    assert confirmed.status_code == 200
    assert "Email address confirmed" in confirmed.text

    signed_in = await post_form(client, "/sign-in", {"email": email.upper(), "password": PASSWORD})
    assert signed_in.status_code == 303
    account = await client.get("/account")
    assert account.status_code == 200
    assert email in account.text
