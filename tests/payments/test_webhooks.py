"""The provider's notifications: verified over the raw body, acted on once, believed only by
asking the provider. One arriving before the payer is back settles the payment; duplicated
and reordered ones give the same final state and one receipt; a replay changes nothing;
forged, wrong-secret, stale and unsigned ones are refused and leave no trace."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payments.models import (
    Payment,
    PaymentNotification,
    PaymentState,
    Receipt,
    SandboxNotification,
)
from payments.providers.signatures import signature_header
from payments.sandbox import services as sandbox
from payments.sandbox.jobs import Poster, deliver_due
from tests.helpers import as_user, count, text_of
from tests.payments.test_checkout import (
    LATE,
    SUCCEEDS,
    charged_scene,
    path_of,
    pay_with,
    the_payment,
    to_sandbox,
)
from tribune.db import utcnow
from tribune.settings import Settings

WEBHOOK = "/webhooks/payments/sandbox"


def into(client: httpx.AsyncClient) -> Poster:
    """A poster that delivers into the ASGI client, as the sandbox's worker would over HTTP."""

    async def post(url: str, body: bytes, headers: dict[str, str]) -> int | None:
        response = await client.post(urlsplit(url).path, content=body, headers=headers)
        return response.status_code

    return post


async def deliver_all(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, *, later: int = 60
) -> int:
    """Deliver every notification the sandbox queued, copies too (due within `later` s)."""
    return await deliver_due(
        db,
        settings.payments.sandbox_secret,
        f"http://testserver{WEBHOOK}",
        into(client),
        utcnow() + timedelta(seconds=later),
    )


def signed(secret: str, body: bytes, *, at: int | None = None) -> dict[str, str]:
    moment = int(utcnow().timestamp()) if at is None else at
    return {"sandbox-signature": signature_header(secret, moment, body)}


async def test_a_notification_before_the_return_settles_the_payment(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    paid = await pay_with(client, page, SUCCEEDS)
    # The notification (and its copy) reaches the platform before the payer's browser does.
    assert await deliver_all(client, db, settings) == 2
    payment = await the_payment(db, case)
    assert payment.state is PaymentState.SUCCEEDED
    assert await count(db, Receipt) == 1
    assert await count(db, PaymentNotification) == 1  # the copy was a duplicate
    returned = await client.get(path_of(paid.headers["location"]))
    assert "Payment received" in text_of(returned)
    assert await count(db, Receipt) == 1


async def test_duplicated_and_reordered_notifications_give_one_receipt(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    accepted = await pay_with(client, page, LATE)
    # The payer closes the browser; the bank answers later.
    returned = text_of(await client.get(path_of(accepted.headers["location"])))
    assert "Your payment is being confirmed" in returned
    await sandbox.settle_due(db, utcnow() + timedelta(minutes=5))
    await db.commit()
    queued = list(
        await db.scalars(select(SandboxNotification).order_by(SandboxNotification.deliver_after))
    )
    assert len(queued) == 4  # "processing" and "paid", each twice
    secret = settings.payments.sandbox_secret
    answers = []
    for item in reversed(queued):  # the last first
        body = item.body.encode()
        response = await client.post(WEBHOOK, content=body, headers=signed(secret, body))
        answers.append((response.status_code, response.text))
    assert [status for status, _text in answers] == [200, 200, 200, 200]
    assert sorted(text for _status, text in answers) == [
        "duplicate",
        "duplicate",
        "settled",
        "settled",
    ]
    payment = await the_payment(db, case)
    assert payment.state is PaymentState.SUCCEEDED
    assert await count(db, Receipt) == 1
    assert await count(db, PaymentNotification) == 2


async def test_a_replayed_notification_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    await pay_with(client, page, SUCCEEDS)
    first = (await db.scalars(select(SandboxNotification))).first()
    assert first is not None
    body = first.body.encode()
    secret = settings.payments.sandbox_secret
    delivered = await client.post(WEBHOOK, content=body, headers=signed(secret, body))
    assert (delivered.status_code, delivered.text) == (200, "settled")
    payment = await the_payment(db, case)
    settled_at = payment.updated_at
    # Replayed later, freshly signed (a captured delivery re-sent): nothing changes.
    replay = await client.post(WEBHOOK, content=body, headers=signed(secret, body))
    assert (replay.status_code, replay.text) == (200, "duplicate")
    payment = await the_payment(db, case)
    assert payment.updated_at == settled_at
    assert await count(db, Receipt) == 1
    assert await count(db, PaymentNotification) == 1


async def test_a_notification_about_an_unknown_checkout_is_ignored(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    body = b'{"id":"sbevt_x","type":"checkout.paid","data":{"checkout":"not-ours"}}'
    response = await client.post(
        WEBHOOK, content=body, headers=signed(settings.payments.sandbox_secret, body)
    )
    assert (response.status_code, response.text) == (200, "ignored")
    assert await count(db, Payment) == 0


@pytest.mark.parametrize(
    "forgery", ["unsigned", "made up", "another secret", "stale", "body changed", "too large"]
)
async def test_forged_notifications_are_refused_and_leave_no_trace(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, forgery: str
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    page = await to_sandbox(client, tribunal, case)
    await pay_with(client, page, SUCCEEDS)
    item = (await db.scalars(select(SandboxNotification))).first()
    assert item is not None
    body = item.body.encode()
    secret = settings.payments.sandbox_secret
    headers = {
        "unsigned": {},
        "made up": {"sandbox-signature": "t=1800000000,v1=" + "0" * 64},
        "another secret": signed(secret + "-not", body),
        "stale": signed(secret, body, at=int(utcnow().timestamp()) - 3600),
        "body changed": signed(secret, body),
        "too large": signed(secret, body + b" " * 70000),
    }[forgery]
    sent = body.replace(b"checkout.paid", b"checkout.paix") if forgery == "body changed" else body
    if forgery == "too large":
        sent = body + b" " * 70000
    response = await client.post(WEBHOOK, content=sent, headers=headers)
    assert response.status_code == (413 if forgery == "too large" else 400)
    if forgery != "too large":
        assert response.text == "refused"
    assert await count(db, PaymentNotification) == 0
    payment = await the_payment(db, case)
    assert payment.state is PaymentState.PENDING
    assert await count(db, Receipt) == 0


async def test_the_stripe_address_refuses_while_the_sandbox_is_configured(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    body = b'{"id":"evt_1"}'
    response = await client.post(
        "/webhooks/payments/stripe",
        content=body,
        headers={"stripe-signature": signature_header("whatever", int(utcnow().timestamp()), body)},
    )
    assert (response.status_code, response.text) == (400, "refused")
    assert await count(db, PaymentNotification) == 0
