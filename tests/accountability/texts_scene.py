"""What the text message tests share: a person's number in a given state, the code texted to a
number, an app whose SMS callbacks are believed with a token, and callbacks as the provider
posts them."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accountability.texts.models import MobileNumber
from accounts.models import User
from tribune.app import create_app
from tribune.db import Database, utcnow
from tribune.settings import Settings
from tribune.texts import TextMessage

TOKEN = "gc-notify-callback-token-0123456789"
NUMBER = "+16135550123"
RECEIVED = "/webhooks/text-messages/received"
STATUS = "/webhooks/text-messages/status"


async def give_number(
    db: AsyncSession,
    user: User,
    number: str = NUMBER,
    *,
    confirmed: bool = True,
    consented: bool = True,
) -> MobileNumber:
    """Give the person a number: confirmed, and taking reminders, unless told otherwise."""
    now = utcnow()
    mobile = MobileNumber(
        user_id=user.id,
        number=number,
        confirmed_at=now if confirmed else None,
        consented_at=now if consented and confirmed else None,
    )
    db.add(mobile)
    await db.commit()
    return mobile


async def texts_to(db: AsyncSession, number: str, kind: str | None = None) -> list[TextMessage]:
    """Return the texts to a number (of a kind), oldest first."""
    query = select(TextMessage).where(TextMessage.to_number == number)
    if kind is not None:
        query = query.where(TextMessage.kind == kind)
    rows = await db.scalars(
        query.order_by(TextMessage.created_at, TextMessage.id).execution_options(
            populate_existing=True
        )
    )
    return list(rows)


async def code_sent_to(db: AsyncSession, number: str) -> str:
    """Return the last confirmation code texted to a number, as the person reads it."""
    sent = await texts_to(db, number, "confirmation_code")
    assert sent, f"no code was texted to {number}"
    match = re.search(r"\b(\d{6})\b", sent[-1].body)
    assert match, sent[-1].body
    return match.group(1)


def app_with_token(settings: Settings, database: Database, token: str = TOKEN) -> Starlette:
    """Return the app with the provider's callback token configured."""
    sms = dataclasses.replace(settings.sms, callback_token=token)
    return create_app(dataclasses.replace(settings, sms=sms), database, inline_worker=False)


def machine(app: Starlette) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 443))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def post_callback(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], token: str | None = TOKEN
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post(path, content=json.dumps(body), headers=headers)


def received_text(message: str, source: str = "16135550123") -> dict[str, str]:
    """A received text as GOV.UK Notify documents it (and GC Notify, its fork, posts it)."""
    return {
        "id": str(uuid.uuid4()),
        "source_number": source,
        "destination_number": "16135550199",
        "message": message,
        "date_received": "2027-01-12T15:15:30.000000Z",
    }


def receipt(message: TextMessage, status: str, **extra: str) -> dict[str, str | None]:
    """A delivery receipt as GC Notify documents it."""
    return {
        "id": message.provider_reference or str(uuid.uuid4()),
        "reference": str(message.id),
        "to": message.to_number,
        "status": status,
        "created_at": "2027-01-12T15:15:30.000000Z",
        "completed_at": "2027-01-12T15:15:40.000000Z",
        "sent_at": "2027-01-12T15:15:31.000000Z",
        "notification_type": "sms",
        **extra,
    }
