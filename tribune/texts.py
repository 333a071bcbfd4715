"""The text message outbox: every text is written here first, then sent by a job.

Services write a text already in its reader's language with ``queue``; the job
``texts.deliver`` hands it to the configured provider (``provider_for``): the outbox-only
default keeps it for the developer, who reads it on the outbox page; ``GCNotify`` sends it
through GC Notify's API. The job keeps to two limits before it calls the provider:

- quiet hours: a text marked ``quiet_hours`` (a reminder, not a code the person just asked
  for) is not sent between 21:00 and 08:00 in its reader's time zone; it waits for 08:00;
- the provider's rate: at most ``SmsSettings.per_minute`` texts are handed over in any 60
  seconds; past that the text waits for room, and a 429 from the provider makes it wait
  (its ``Retry-After``, else a backoff; a daily limit, until midnight UTC when it resets).

The provider's delivery receipts are recorded on the text (``record_receipt``): its status
is what the case's delivery log shows. This module knows nothing of people, numbers or
consent: ``accountability.texts`` decides who is texted, and cancels what waits for a number
that stopped (``cancel_queued``).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import Index, String, Text, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.requests import Request

from tribune import jobs
from tribune.db import Model, enum_by_value, utcnow
from tribune.settings import SmsSettings

if TYPE_CHECKING:
    from tribune.mail import Outbox

log = logging.getLogger("tribune.texts")

DELIVER_JOB = "texts.deliver"
REDACTED = "[removed after delivery: this message held a confirmation code]"
# No reminder is texted between these local times: it waits for the morning.
QUIET_STARTS = time(21, 0)
QUIET_ENDS = time(8, 0)
DEFAULT_ZONE = "America/Toronto"
RATE_WINDOW = timedelta(seconds=60)
# A text the provider keeps refusing for its rate (about two days at the one-hour cap) fails.
MAX_THROTTLED = 48


class TextStatus(enum.Enum):
    QUEUED = "queued"  # waiting to be sent (maybe held for quiet hours or the provider's rate)
    KEPT = "kept"  # no provider: the text stays in the outbox
    SENT = "sent"  # handed to the provider, which has not said more yet
    DELIVERED = "delivered"
    TEMPORARY_FAILURE = "temporary-failure"  # the phone was off, out of signal, full
    PERMANENT_FAILURE = "permanent-failure"  # no such number, blocked, or opted out
    TECHNICAL_FAILURE = "technical-failure"  # between the provider and the networks
    REFUSED = "refused"  # the provider refused it (a 4xx), or never had room for it
    CANCELLED = "cancelled"  # not sent: texts to the number stopped before it left


FAILED = frozenset(
    {
        TextStatus.TEMPORARY_FAILURE,
        TextStatus.PERMANENT_FAILURE,
        TextStatus.TECHNICAL_FAILURE,
        TextStatus.REFUSED,
    }
)
# The statuses after which the provider says nothing more about a text.
FINAL = FAILED | {TextStatus.DELIVERED}
# A delivery receipt's status (GC Notify's words) as a text's.
RECEIPT_STATUSES = {
    "delivered": TextStatus.DELIVERED,
    "permanent-failure": TextStatus.PERMANENT_FAILURE,
    "temporary-failure": TextStatus.TEMPORARY_FAILURE,
    "technical-failure": TextStatus.TECHNICAL_FAILURE,
    # Still on its way: "sent" is also what an international number ends at.
    "created": TextStatus.SENT,
    "sending": TextStatus.SENT,
    "pending": TextStatus.SENT,
    "sent": TextStatus.SENT,
}


class TextMessage(Model):
    """One text message to one number, in one language."""

    __tablename__ = "text_messages"
    __table_args__ = (
        Index("ix_text_messages_created_at", "created_at"),
        Index("ix_text_messages_case", "case_id", "created_at"),
        Index("ix_text_messages_sent_at", "sent_at"),
        Index("ix_text_messages_to_status", "to_number", "status"),
        Index("ix_text_messages_provider_reference", "provider_reference"),
    )

    # E.164: +16135550123.
    to_number: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    # What the text is for (a confirmation code, a hearing reminder...), named by its writer.
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    # A confirmation code: its body is removed once sent.
    sensitive: Mapped[bool] = mapped_column(default=False)
    status: Mapped[TextStatus] = mapped_column(enum_by_value(TextStatus), default=TextStatus.QUEUED)
    # Held outside 08:00 to 21:00 in ``time_zone`` (the reader's, else the tribunal's).
    quiet_hours: Mapped[bool] = mapped_column(default=False)
    time_zone: Mapped[str | None] = mapped_column(String(60))
    # Not sent before: a text held for quiet hours or the provider's rate says until when.
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # The provider's id of the text, and its last word on it (a receipt's status and details).
    provider_reference: Mapped[str | None] = mapped_column(String(64))
    provider_status: Mapped[str] = mapped_column(String(200), default="")
    status_at: Mapped[datetime | None]
    # How many times the provider answered 429 for it.
    throttled: Mapped[int] = mapped_column(default=0)
    tribunal_id: Mapped[uuid.UUID | None]
    # The case the text is about, if any: a clerk sees it in the case's delivery log.
    case_id: Mapped[uuid.UUID | None]


# -- quiet hours --------------------------------------------------------------------------------


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    # KeyError: ZoneInfoNotFoundError's base; OSError: a folder of zones; ValueError: a path.
    except (ValueError, KeyError, OSError):
        return ZoneInfo(DEFAULT_ZONE)


def quiet_until(moment: datetime, zone: str | None) -> datetime | None:
    """Return when the quiet hours around ``moment`` end (08:00 in the zone, as UTC), or None
    if ``moment`` is between 08:00 and 21:00 there."""
    where = _zone(zone)
    local = moment.astimezone(where)
    if QUIET_ENDS <= local.time() < QUIET_STARTS:
        return None
    day = local.date() if local.time() < QUIET_ENDS else local.date() + timedelta(days=1)
    # 08:00 exists on every day: clocks change at night.
    return datetime.combine(day, QUIET_ENDS, tzinfo=where).astimezone(UTC)


# -- writing a text -----------------------------------------------------------------------------


def queue(
    db: AsyncSession,
    *,
    to: str,
    language: str,
    kind: str,
    body: str,
    sensitive: bool = False,
    quiet_hours: bool = False,
    time_zone: str | None = None,
    tribunal_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> TextMessage:
    """Write a text to the outbox and queue its sending with the caller's transaction: at once,
    or with ``quiet_hours`` at 08:00 in ``time_zone`` when it is written at night. The caller
    decides that the number may be texted."""
    now = now or utcnow()
    send_after = (quiet_until(now, time_zone) if quiet_hours else None) or now
    message = TextMessage(
        to_number=to,
        language=language,
        kind=kind,
        body=body,
        sensitive=sensitive,
        quiet_hours=quiet_hours,
        time_zone=time_zone,
        send_after=send_after,
        tribunal_id=tribunal_id,
        case_id=case_id,
    )
    db.add(message)
    _plan(db, message, send_after)
    return message


def _plan(db: AsyncSession, message: TextMessage, at: datetime) -> None:
    message.send_after = at
    jobs.enqueue(db, DELIVER_JOB, {"message_id": str(message.id)}, run_after=at, max_attempts=8)


async def cancel_queued(
    db: AsyncSession, number: str, now: datetime, *, keep: uuid.UUID | None = None
) -> int:
    """Cancel every text still waiting to go to a number (but ``keep``); return how many."""
    query = (
        update(TextMessage)
        .where(TextMessage.to_number == number, TextMessage.status == TextStatus.QUEUED)
        .values(status=TextStatus.CANCELLED, status_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        query = query.where(TextMessage.id != keep)
    result = await db.execute(query)
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ReceiptRecorded:
    """A delivery receipt recorded on its text; ``changed`` is False for a repeat, or for a
    late "still sending" after a final status."""

    message: TextMessage
    changed: bool


async def record_receipt(
    db: AsyncSession, *, reference: str, provider_id: str, status: str, detail: str, now: datetime
) -> ReceiptRecorded | None:
    """Record a delivery receipt on its text, found by our reference (its id) or else by the
    provider's id; return it, or None if the text is none of ours (or not sent) or the status
    unknown. A final status (delivered, a failure) is not replaced by a later "still
    sending": receipts may arrive out of order."""
    new_status = RECEIPT_STATUSES.get(status.strip().lower())
    if new_status is None:
        return None
    conditions = []
    with contextlib.suppress(ValueError):
        conditions.append(TextMessage.id == uuid.UUID(reference))
    if provider_id:
        conditions.append(TextMessage.provider_reference == provider_id[:64])
    if not conditions:
        return None
    message = await db.scalar(select(TextMessage).where(or_(*conditions)).limit(1))
    if message is None or message.status in (TextStatus.QUEUED, TextStatus.CANCELLED):
        return None
    if message.status is new_status or (new_status is TextStatus.SENT and message.status in FINAL):
        return ReceiptRecorded(message, changed=False)
    message.status = new_status
    message.provider_status = " ".join(f"{status.strip().lower()} {detail}".split())[:200]
    message.status_at = now
    if provider_id and not message.provider_reference:
        message.provider_reference = provider_id[:64]
    return ReceiptRecorded(message, changed=True)


# -- providers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """What a provider says of a text it took: its id for the text ("" when kept)."""

    reference: str


class ProviderUnavailableError(Exception):
    """The provider did not answer, or answered 5xx: nothing is known to have been sent, and
    the job tries again later."""


class ProviderThrottledError(Exception):
    """The provider answered 429: it has no room now (``retry_at`` if it said when)."""

    def __init__(self, message: str, *, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class TextRefusedError(Exception):
    """The provider refused the text (a 4xx other than 429): sending it again would not help."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class TextProvider(Protocol):
    """Who sends texts. ``delivers`` is False for a provider that only keeps them."""

    name: str
    delivers: bool
    per_minute: int

    async def send(self, to: str, body: str, reference: str) -> Sent:
        """Hand a text to the provider; return what it says, or raise one of the errors above."""
        ...

    def verify_callback(self, authorization: str | None) -> bool:
        """Return whether a callback's Authorization header carries the callback token."""
        ...


def bearer_matches(expected: str, authorization: str | None) -> bool:
    """Return whether an Authorization header is ``Bearer <expected>``, compared in constant
    time; never when no token is configured."""
    if not expected or not authorization:
        return False
    scheme, _space, presented = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


class OutboxProvider:
    """The development default: texts stay in the outbox, where the developer reads them."""

    name = "outbox"
    delivers = False

    def __init__(self, settings: SmsSettings) -> None:
        self.per_minute = settings.per_minute
        self._token = settings.callback_token

    async def send(self, to: str, body: str, reference: str) -> Sent:
        return Sent(reference="")

    def verify_callback(self, authorization: str | None) -> bool:
        # With TRIBUNE_SMS_CALLBACK_TOKEN set, a developer can post the provider's callbacks
        # (a received STOP, say) by hand.
        return bearer_matches(self._token, authorization)


SMS_PATH = "/v2/notifications/sms"
TIMEOUT = (5.0, 20.0)  # connect, read (seconds)
# GC Notify's 429 for its daily limits, as against its per-minute RateLimitError.
DAILY_LIMIT_ERRORS = frozenset({"TooManyRequestsError", "TooManySMSRequestsError"})


class GCNotify:
    """GC Notify (notification.canada.ca), over HTTPS with ``requests`` in a worker thread.

    ``POST /v2/notifications/sms`` with ``Authorization: ApiKey-v1 <API key>`` and the JSON
    ``phone_number``, ``template_id``, ``personalisation`` and ``reference`` (our text's id: no
    personal information); the answer is a 201 with the notification's ``id``. Errors are
    ``{"status_code": ..., "errors": [{"error": ..., "message": ...}]}``: a 429 is
    ``RateLimitError`` (1,000 requests a minute per key type) or ``TooManyRequestsError`` /
    ``TooManySMSRequestsError`` (the daily limits, reset at midnight UTC). Every text goes
    through one template whose content is ``((body))``: the platform writes the text, in its
    reader's language, and GC Notify only sends it."""

    name = "gc-notify"
    delivers = True

    def __init__(self, settings: SmsSettings) -> None:
        self.per_minute = settings.per_minute
        self._base = settings.gc_notify_api_url.rstrip("/")
        self._key = settings.gc_notify_api_key
        self._template = settings.gc_notify_template_id
        self._token = settings.callback_token
        self._http = requests.Session()
        self._http.headers.update(
            {"Authorization": f"ApiKey-v1 {self._key}", "User-Agent": "Tribune (texts)"}
        )

    def __repr__(self) -> str:
        return f"GCNotify({self._base})"  # never the key

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "[key]") if self._key else text

    def _post(self, to: str, body: str, reference: str) -> Sent:
        payload = {
            "phone_number": to,
            "template_id": self._template,
            "personalisation": {"body": body},
            "reference": reference,
        }
        try:
            response = self._http.post(
                self._base + SMS_PATH, json=payload, timeout=TIMEOUT, allow_redirects=False
            )
        except requests.RequestException as error:
            log.warning("GC Notify did not answer: %s", type(error).__name__)
            raise ProviderUnavailableError(
                f"GC Notify did not answer ({type(error).__name__})"
            ) from None
        status = response.status_code
        try:
            answer: Any = response.json()
        except ValueError:
            answer = None
        kind, message = _first_error(answer)
        if status == 429:
            retry_at = None
            if kind in DAILY_LIMIT_ERRORS:
                tomorrow = utcnow().date() + timedelta(days=1)
                retry_at = datetime.combine(tomorrow, time(0, 1), tzinfo=UTC)
            else:
                retry_at = _retry_after(response.headers.get("Retry-After"))
            log.warning("GC Notify answered 429 %s", kind or "-")
            raise ProviderThrottledError(f"GC Notify answered 429 {kind}", retry_at=retry_at)
        if status >= 500 or not isinstance(answer, dict):
            log.warning("GC Notify answered %s", status)
            raise ProviderUnavailableError(f"GC Notify answered {status}")
        if status >= 400:
            detail = self._scrub(message)[:200]
            log.warning("GC Notify refused a text: %s %s", status, kind or "-")
            raise TextRefusedError(f"GC Notify refused the text ({status} {kind}): {detail}", kind)
        notification_id = answer.get("id")
        if status not in (200, 201) or not isinstance(notification_id, str):
            raise ProviderUnavailableError(f"GC Notify answered {status} without an id")
        return Sent(reference=notification_id)

    async def send(self, to: str, body: str, reference: str) -> Sent:
        return await asyncio.to_thread(self._post, to, body, reference)

    def verify_callback(self, authorization: str | None) -> bool:
        return bearer_matches(self._token, authorization)


def _first_error(answer: Any) -> tuple[str, str]:
    """Return the name and message of the first error of a GC Notify answer, or empty ones."""
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("error") or ""), str(errors[0].get("message") or "")
    return "", ""


def _retry_after(header: str | None) -> datetime | None:
    """Return the moment a ``Retry-After: <seconds>`` header names (at most an hour away)."""
    if header and header.strip().isdigit():
        return utcnow() + timedelta(seconds=min(int(header.strip()), 3600))
    return None


@functools.lru_cache(maxsize=8)
def provider_for(settings: SmsSettings) -> TextProvider:
    """Return the configured provider: built once per configuration, by the composition root
    and by each worker (its HTTP session is reused)."""
    if settings.provider == "gc-notify":
        return GCNotify(settings)
    return OutboxProvider(settings)


def text_provider_of(request: Request) -> TextProvider:
    provider: TextProvider = request.app.state.text_provider
    return provider


# -- failures -----------------------------------------------------------------------------------

# Called when a text ends in a failure (refused when sent, or a failed delivery receipt), in the
# transaction that records it: what the text was for is not this module's to know (a reminder
# that failed goes by email instead), so the package that wrote it registers a listener.
FailureListener = Callable[[AsyncSession, "Outbox", TextMessage, datetime], Awaitable[None]]
_failure_listeners: list[FailureListener] = []


def on_failure(listener: FailureListener) -> FailureListener:
    """Register a function called with each text that ends in a failure."""
    if listener not in _failure_listeners:
        _failure_listeners.append(listener)
    return listener


async def failed(db: AsyncSession, outbox: Outbox, message: TextMessage, now: datetime) -> None:
    """Tell the registered listeners that a text ended in a failure."""
    for listener in _failure_listeners:
        await listener(db, outbox, message, now)


# -- the sending job ----------------------------------------------------------------------------


async def _room_at(db: AsyncSession, per_minute: int, now: datetime) -> datetime | None:
    """Return when the provider next has room under its per-minute budget, or None if now."""
    row = (
        await db.execute(
            select(func.count(), func.min(TextMessage.sent_at)).where(
                TextMessage.sent_at > now - RATE_WINDOW
            )
        )
    ).one()
    used, oldest = int(row[0]), row[1]
    if used < per_minute or oldest is None:
        return None
    return max(oldest + RATE_WINDOW, now + timedelta(seconds=1))


@jobs.handler(DELIVER_JOB)
async def deliver(context: jobs.JobContext) -> None:
    """Send one text (or keep it in the outbox), unless quiet hours or the provider's rate
    hold it: then it waits, and a new try is planned for when it may go."""
    db = context.db
    message = await db.get(TextMessage, uuid.UUID(context.job.payload["message_id"]))
    if message is None or message.status is not TextStatus.QUEUED:
        return  # sent by an earlier try, or cancelled: never send twice
    now = utcnow()
    if message.quiet_hours:
        morning = quiet_until(now, message.time_zone)
        if morning is not None:
            _plan(db, message, morning)
            return
    provider = provider_for(context.settings.sms)
    if provider.delivers:
        room = await _room_at(db, provider.per_minute, now)
        if room is not None:
            _plan(db, message, room)
            return
    try:
        sent = await provider.send(message.to_number, message.body, str(message.id))
    except ProviderThrottledError as throttled:
        message.throttled += 1
        if message.throttled > MAX_THROTTLED:
            message.status = TextStatus.REFUSED
            message.provider_status = "throttled"
            message.status_at = now
            await failed(db, context.outbox, message, now)
            return
        _plan(db, message, throttled.retry_at or now + jobs.backoff(message.throttled))
        return
    except TextRefusedError as refused:
        message.status = TextStatus.REFUSED
        message.provider_status = refused.code[:200]
        message.status_at = now
        await failed(db, context.outbox, message, now)
        return
    if not provider.delivers:
        message.status = TextStatus.KEPT
        return
    message.status = TextStatus.SENT
    message.sent_at = now
    message.status_at = now
    message.provider_reference = sent.reference[:64] or None
    if message.sensitive:
        message.body = REDACTED
