"""The outbox: every message is written here first, then delivered by a job.

Without ``TRIBUNE_SMTP_URL`` messages stay in the outbox, where a developer
reads them in the browser. Messages are rendered in the recipient's language
from ``templates/mail/<name>.txt``, whose first line is ``Subject: ...``.
"""

from __future__ import annotations

import asyncio
import email.utils
import enum
import smtplib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment
from sqlalchemy import Index, String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tribune import i18n, jobs
from tribune.db import Model, enum_by_value, utcnow
from tribune.settings import Settings

DELIVER_JOB = "mail.deliver"
REDACTED = "[removed after delivery: this message held a single-use link]"


class MessageStatus(enum.Enum):
    QUEUED = "queued"
    SENT = "sent"
    KEPT = "kept"  # no SMTP relay configured: the message stays in the outbox


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_created_at", "created_at"),
        Index("ix_outbox_messages_case", "case_id", "created_at"),
    )

    to_address: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(2))
    template: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sensitive: Mapped[bool] = mapped_column(default=False)
    status: Mapped[MessageStatus] = mapped_column(
        enum_by_value(MessageStatus), default=MessageStatus.QUEUED
    )
    sent_at: Mapped[datetime | None]
    tribunal_id: Mapped[uuid.UUID | None]
    # The case the message is about, if any: a clerk sees the case's delivery log.
    case_id: Mapped[uuid.UUID | None]
    # An iCalendar object (RFC 5545) sent as the message's text/calendar part, with its
    # iTIP method (RFC 5546: REQUEST, CANCEL), or None.
    calendar: Mapped[str | None] = mapped_column(Text)
    calendar_method: Mapped[str | None] = mapped_column(String(20))


def render_message(
    environment: Environment, template: str, language: str, context: dict[str, Any]
) -> tuple[str, str]:
    """Return the subject and body of a message in a language."""
    with i18n.use_language(language):
        text = environment.get_template(f"mail/{template}.txt").render(**context)
    first, _newline, body = text.lstrip().partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"mail/{template}.txt must start with a Subject: line")
    return first.removeprefix("Subject:").strip(), body.strip() + "\n"


# The router's path builder: (route name, **path parameters) -> path, e.g. ``Router.url_path_for``.
PathBuilder = Callable[..., str]


def no_routes(name: str, /, **params: Any) -> str:
    """The path builder of an outbox built without the app's routes: it cannot link to a page."""
    raise LookupError(f"this outbox was built without the routes: no path for {name!r}")


@dataclass(frozen=True)
class Outbox:
    """Where services write their messages: the mail templates, the public address that links
    in messages start with, the router's path builder, and the sender. Built once by the
    composition root and by the worker, and handed to services like the storage and the
    scanner."""

    environment: Environment
    base_url: str
    sender: str
    url_path_for: PathBuilder

    @classmethod
    def from_settings(
        cls, settings: Settings, environment: Environment, url_path_for: PathBuilder
    ) -> Outbox:
        return cls(environment, settings.base_url.rstrip("/"), settings.mail_from, url_path_for)

    def url(self, name: str, /, **params: Any) -> str:
        """Return the absolute address of the route called ``name``, for a message:
        ``outbox.url("filings:journey:case", tribunal="wcat", filing_id=...)``."""
        return f"{self.base_url}{self.url_path_for(name, **params)}"

    def queue(
        self,
        db: AsyncSession,
        *,
        to: str,
        language: str,
        template: str,
        context: dict[str, Any],
        sensitive: bool = False,
        tribunal_id: uuid.UUID | None = None,
        case_id: uuid.UUID | None = None,
        calendar: str | None = None,
        calendar_method: str | None = None,
    ) -> OutboxMessage:
        """Write a message to the outbox, rendered in `language`, and queue its delivery with
        the caller's transaction. ``sensitive`` messages (single-use links) have their body
        removed once sent. ``calendar`` is an iCalendar object sent beside the text as a
        ``text/calendar`` part with its iTIP ``calendar_method`` (REQUEST, CANCEL)."""
        if (calendar is None) != (calendar_method is None):
            raise ValueError("a calendar part needs its method, and a method its calendar")
        subject, body = render_message(self.environment, template, language, context)
        message = OutboxMessage(
            to_address=to,
            language=language,
            template=template,
            subject=subject,
            body=body,
            sensitive=sensitive,
            tribunal_id=tribunal_id,
            case_id=case_id,
            calendar=calendar,
            calendar_method=calendar_method.upper() if calendar_method else None,
        )
        db.add(message)
        jobs.enqueue(db, DELIVER_JOB, {"message_id": str(message.id)}, max_attempts=8)
        return message


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to_address
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.formatdate(localtime=False)
    mail["Message-ID"] = email.utils.make_msgid(idstring=message.id.hex)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.body)
    if message.calendar is not None and message.calendar_method is not None:
        # An invitation as calendar programs expect it (RFC 6047): the text and the calendar
        # as alternatives, the calendar with its iTIP method; and the same file attached, for
        # the programs that only offer attachments.
        # As bytes, so that its lines keep the CRLF endings RFC 5545 asks for.
        calendar = message.calendar.encode("utf-8")
        mail.add_alternative(
            calendar,
            maintype="text",
            subtype="calendar",
            params={"method": message.calendar_method, "charset": "utf-8"},
        )
        mail.add_attachment(
            calendar,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
        )
    # After set_content, which clears every Content-* header already set.
    mail["Content-Language"] = "fr-CA" if message.language == "fr" else "en-CA"
    return mail


def send_smtp(smtp_url: str, mail: EmailMessage, timeout: float = 30) -> None:
    """Send through an SMTP relay: ``smtp://``, ``smtp://...?starttls=true`` or ``smtps://``."""
    parts = urlsplit(smtp_url)
    options = parse_qs(parts.query)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=timeout, context=ssl.create_default_context()
        )
    elif parts.scheme == "smtp":
        client = smtplib.SMTP(host, parts.port or 25, timeout=timeout)
    else:
        raise ValueError("TRIBUNE_SMTP_URL must start with smtp:// or smtps://")
    with client:
        if options.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(mail)


@jobs.handler(DELIVER_JOB)
async def deliver(context: jobs.JobContext) -> None:
    """Send one outbox message, or keep it in the outbox when no relay is configured."""
    message = await context.db.get(OutboxMessage, uuid.UUID(context.job.payload["message_id"]))
    if message is None or message.status is not MessageStatus.QUEUED:
        return  # already delivered by an earlier try: never send twice
    settings = context.settings
    if settings.smtp_url:
        mail = build_email(message, context.outbox.sender)
        await asyncio.to_thread(send_smtp, settings.smtp_url, mail)
        message.status = MessageStatus.SENT
        message.sent_at = utcnow()
        if message.sensitive:
            message.body = REDACTED
    else:
        message.status = MessageStatus.KEPT
