"""The sandbox provider's own worker: every 10 seconds it gives the bank's answer to late
payments, expires checkouts nobody finished, and delivers its signed notifications to the
platform over HTTP, as a real provider would (tried again with backoff until answered 2xx).

`deliver_due` takes the function that posts, so that tests deliver into the ASGI client."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import anyio.to_thread
import requests
from sqlalchemy.ext.asyncio import AsyncSession

from payments.models import SandboxNotification
from payments.providers.sandbox import SIGNATURE_HEADER
from payments.providers.signatures import signature_header
from payments.sandbox import services as sandbox
from tribune import jobs
from tribune.db import utcnow

log = logging.getLogger("tribune.payments")

SANDBOX_WORK = "payments.sandbox_work"
TIMEOUT_SECONDS = 5

jobs.recurring(SANDBOX_WORK, every=timedelta(seconds=10))

# Sends a notification's body with its headers to an address; returns the HTTP status, or
# None when nothing answered.
Poster = Callable[[str, bytes, dict[str, str]], Awaitable[int | None]]


async def post_over_http(url: str, body: bytes, headers: dict[str, str]) -> int | None:
    """POST a notification from a worker thread; return the status, or None if none came."""

    def send() -> int | None:
        try:
            response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as error:
            log.warning("sandbox notification not delivered: %s", error)
            return None
        return response.status_code

    return await anyio.to_thread.run_sync(send)


def retry_delay(attempts: int) -> timedelta:
    """Wait 20 s, 40 s, 80 s... up to an hour before trying a notification again."""
    return timedelta(seconds=min(10 * 2**attempts, 3600))


async def deliver_due(db: AsyncSession, secret: str, url: str, post: Poster, now: datetime) -> int:
    """Deliver the notifications due at `now` to the platform's address, each signed with
    `secret` when it is sent: delivered once answered 2xx, else tried again later. Return how
    many were delivered.

    The sandbox's transaction is committed before each delivery: the platform's handler
    writes to the same database and must not wait for the sandbox's locks."""
    due = [(item.id, item.body) for item in await sandbox.due_notifications(db, now)]
    await db.commit()
    delivered = 0
    for notification_id, body in due:
        raw = body.encode()
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: signature_header(secret, int(utcnow().timestamp()), raw),
        }
        status = await post(url, raw, headers)
        item = await db.get(SandboxNotification, notification_id)
        if item is None:
            continue
        item.last_status = status
        if status is not None and 200 <= status < 300:
            item.delivered_at = utcnow()
            delivered += 1
        else:
            item.attempts += 1
            item.deliver_after = now + retry_delay(item.attempts)
        await db.commit()
    return delivered


@jobs.handler(SANDBOX_WORK)
async def sandbox_work(context: jobs.JobContext) -> None:
    db = context.db
    now = utcnow()
    await sandbox.settle_due(db, now)
    await db.commit()
    await deliver_due(
        db,
        context.settings.payments.sandbox_secret,
        context.outbox.url("payments:checkout:webhook_sandbox"),
        post_over_http,
        now,
    )
