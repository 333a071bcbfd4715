"""The outbox and its delivery job, through a real SMTP server on loopback.

Covered: a message is rendered in its recipient's language, written to the
outbox and its delivery queued in the same transaction; without an SMTP relay
it is kept in the outbox; with one it is sent once (recipient, subject, sender,
language, link), a single-use link is removed from the stored body once sent,
and running the job again sends nothing; a relay that refuses the message makes
the job retry and the message stay queued.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from jinja2 import Environment
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import unique
from tribune import mail
from tribune.db import Database, utcnow
from tribune.jobs import Job, JobStatus, Worker
from tribune.mail import MessageStatus, OutboxMessage, no_routes
from tribune.settings import Settings
from tribune.web import create_templates

LINK = "http://testserver/confirm-email?token=single-use-token-0123456789"


class Relay:
    """An SMTP handler that keeps what it accepts, or refuses everything with ``reply``."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []
        self.reply = "250 Message accepted for delivery"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.reply.startswith("250"):
            self.received.append(envelope)
        return self.reply

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
            for envelope in self.received
        ]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def relay() -> Iterator[tuple[Relay, str]]:
    handler = Relay()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


@pytest.fixture
def environment() -> Environment:
    return create_templates().env


async def queue_confirmation(
    db: AsyncSession, environment: Environment, language: str, **options: Any
) -> OutboxMessage:
    outbox = mail.Outbox(environment, "http://testserver", "Tribune <t@example.org>", no_routes)
    message = outbox.queue(
        db,
        to=f"{unique('mail-')}@example.org",
        language=language,
        template="confirm_email",
        context={"name": "Jane Doe", "url": LINK},
        **options,
    )
    await db.commit()
    return message


async def delivery_job(db: AsyncSession, message: OutboxMessage) -> Job:
    jobs = await db.execute(select(Job).where(Job.kind == mail.DELIVER_JOB))
    matching = [job for job in jobs.scalars() if job.payload == {"message_id": str(message.id)}]
    assert len(matching) == 1
    return matching[0]


async def test_a_message_is_rendered_in_its_recipients_language_and_queued(
    db: AsyncSession, environment: Environment
) -> None:
    english = await queue_confirmation(db, environment, "en")
    french = await queue_confirmation(db, environment, "fr")

    assert english.subject == "Confirm your email address"
    assert english.body.startswith("Hello Jane Doe,")
    assert french.subject != english.subject
    for message in (english, french):
        stored = await db.get_one(OutboxMessage, message.id, populate_existing=True)
        assert stored.status is MessageStatus.QUEUED
        assert LINK in stored.body
        job = await delivery_job(db, message)
        assert job.status is JobStatus.QUEUED
    assert mail.build_email(english, "a@example.org")["Content-Language"] == "en-CA"
    assert mail.build_email(french, "a@example.org")["Content-Language"] == "fr-CA"


async def test_without_a_relay_the_message_is_kept_in_the_outbox(
    database: Database, settings: Settings, db: AsyncSession, environment: Environment
) -> None:
    assert settings.smtp_url is None
    message = await queue_confirmation(db, environment, "en", sensitive=True)

    await Worker(database, settings).run_until_idle()

    await db.refresh(message)
    assert message.status is MessageStatus.KEPT
    assert message.sent_at is None
    # The developer reads the link in the outbox: it must still be there.
    assert LINK in message.body
    assert (await delivery_job(db, message)).status is JobStatus.DONE


async def test_a_message_is_sent_once_through_the_relay(
    database: Database,
    settings: Settings,
    db: AsyncSession,
    environment: Environment,
    relay: tuple[Relay, str],
) -> None:
    server, smtp_url = relay
    settings = dataclasses.replace(settings, smtp_url=smtp_url)
    message = await queue_confirmation(db, environment, "fr", sensitive=True)
    recipient, subject = message.to_address, message.subject

    await Worker(database, settings).run_until_idle()

    assert [envelope.rcpt_tos for envelope in server.received] == [[recipient]]
    sent = server.messages()[0]
    assert sent["To"] == recipient
    assert sent["Subject"] == subject
    assert sent["From"] == settings.mail_from
    assert sent["Content-Language"] == "fr-CA"
    assert LINK in sent.get_content()
    await db.refresh(message)
    assert message.status is MessageStatus.SENT
    assert message.sent_at is not None
    # A single-use link is not kept once it has left.
    assert message.body == mail.REDACTED

    # The same job run again (a worker that died before recording success) sends nothing.
    job = await delivery_job(db, message)
    assert job.status is JobStatus.DONE
    await db.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(status=JobStatus.QUEUED, run_after=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    assert await Worker(database, settings).run_until_idle() == 1
    assert len(server.received) == 1


async def test_a_message_without_links_keeps_its_body_once_sent(
    database: Database,
    settings: Settings,
    db: AsyncSession,
    environment: Environment,
    relay: tuple[Relay, str],
) -> None:
    server, smtp_url = relay
    message = await queue_confirmation(db, environment, "en", sensitive=False)

    await Worker(database, dataclasses.replace(settings, smtp_url=smtp_url)).run_until_idle()

    await db.refresh(message)
    assert message.status is MessageStatus.SENT
    assert LINK in message.body
    assert len(server.received) == 1


async def test_a_refusing_relay_makes_the_job_retry_and_the_message_wait(
    database: Database,
    settings: Settings,
    db: AsyncSession,
    environment: Environment,
    relay: tuple[Relay, str],
) -> None:
    server, smtp_url = relay
    server.reply = "550 Requested action not taken: mailbox unavailable"
    message = await queue_confirmation(db, environment, "en", sensitive=True)

    await Worker(database, dataclasses.replace(settings, smtp_url=smtp_url)).run_until_idle()

    job = await delivery_job(db, message)
    await db.refresh(job)
    assert job.status is JobStatus.QUEUED
    assert job.attempts == 1
    assert job.run_after > utcnow()
    assert job.last_error is not None
    assert "SMTPDataError" in job.last_error
    await db.refresh(message)
    assert message.status is MessageStatus.QUEUED
    assert LINK in message.body
    assert server.received == []
