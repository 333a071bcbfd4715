"""The text message outbox and its sending job (``tribune.texts``).

Covered: quiet hours (a text written at night, or found at night by the job, waits for 08:00
in its reader's zone; a code does not wait); the outbox-only provider keeps texts for the
developer (readable on the outbox page); the GC Notify provider against a local stub of its
API (``tests/tribune/gc_notify_stub.py``): the documented request, the key never anywhere
else, a code's body removed once sent, sent once; a 429 makes the text wait (its Retry-After,
else a backoff; a daily limit until midnight UTC) and it goes once later; an outage is tried
again; a refusal is not; the per-minute budget holds texts past it; delivery receipts are
recorded without going back; the callbacks' bearer token; the settings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from tests.tribune.gc_notify_stub import API_KEY, TEMPLATE_ID, GCNotifyStub, serve
from tribune import texts
from tribune.db import Database, utcnow
from tribune.jobs import Job, JobStatus, Worker
from tribune.settings import ConfigurationError, Settings, SmsSettings, load_settings
from tribune.texts import TextMessage, TextStatus

NUMBER = "+16135550123"
TOKEN = "callback-token-0123456789abcdef"


@pytest.fixture
def stub() -> Iterator[GCNotifyStub]:
    with serve() as stub:
        yield stub


def gc_notify(settings: Settings, stub: GCNotifyStub, **changes: object) -> Settings:
    sms = SmsSettings(
        provider="gc-notify",
        gc_notify_api_url=stub.url,
        gc_notify_api_key=API_KEY,
        gc_notify_template_id=TEMPLATE_ID,
        callback_token=TOKEN,
    )
    return dataclasses.replace(settings, sms=dataclasses.replace(sms, **changes))  # type: ignore[arg-type]


async def queue_text(db: AsyncSession, **options: object) -> TextMessage:
    values: dict[str, object] = {"to": NUMBER, "language": "en", "kind": "test", "body": "Hello"}
    message = texts.queue(db, **(values | options))  # type: ignore[arg-type]
    await db.commit()
    return message


async def deliveries(db: AsyncSession, message: TextMessage) -> list[Job]:
    rows = await db.scalars(
        select(Job)
        .where(Job.kind == texts.DELIVER_JOB)
        .order_by(Job.created_at)
        .execution_options(populate_existing=True)
    )
    return [job for job in rows if job.payload == {"message_id": str(message.id)}]


async def waiting(db: AsyncSession, message: TextMessage) -> Job:
    """Return the one delivery still queued for the text."""
    queued = [job for job in await deliveries(db, message) if job.status is JobStatus.QUEUED]
    assert len(queued) == 1, queued
    return queued[0]


async def status_of(db: AsyncSession, message: TextMessage) -> TextStatus:
    """Return the text's status as the database holds it now."""
    await db.refresh(message)
    return message.status


async def make_due(db: AsyncSession, job: Job) -> None:
    await db.execute(
        update(Job).where(Job.id == job.id).values(run_after=utcnow() - timedelta(seconds=1))
    )
    await db.commit()


def night_zone(now: datetime) -> str:
    """Return a zone where it is 23:00-something now (fixed offsets cover every hour)."""
    for offset in range(-12, 15):
        zone = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
        if now.astimezone(ZoneInfo(zone)).hour == 23:
            return zone
    raise AssertionError("no zone where it is 23:00")


# -- quiet hours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "until"),
    [
        ("2027-01-12T22:00", "2027-01-13T08:00"),
        ("2027-01-12T21:00", "2027-01-13T08:00"),
        ("2027-01-13T07:59", "2027-01-13T08:00"),
        ("2027-01-13T00:30", "2027-01-13T08:00"),
        ("2027-01-13T08:00", None),
        ("2027-01-13T20:59", None),
        # The night the clocks go back: 08:00 is still 08:00 local.
        ("2027-11-06T23:00", "2027-11-07T08:00"),
    ],
)
def test_quiet_hours_end_at_eight_in_the_readers_zone(local: str, until: str | None) -> None:
    zone = ZoneInfo("America/Toronto")
    moment = datetime.fromisoformat(local).replace(tzinfo=zone)
    expected = datetime.fromisoformat(until).replace(tzinfo=zone) if until else None
    assert texts.quiet_until(moment, "America/Toronto") == expected


async def test_a_reminder_written_at_22_00_waits_until_08_00_and_a_code_does_not(
    db: AsyncSession,
) -> None:
    zone = ZoneInfo("America/Vancouver")
    at_ten = datetime(2027, 3, 2, 22, 0, tzinfo=zone)
    reminder = await queue_text(
        db, quiet_hours=True, time_zone="America/Vancouver", now=at_ten.astimezone(UTC)
    )
    code = await queue_text(db, kind="code", now=at_ten.astimezone(UTC))

    morning = datetime(2027, 3, 3, 8, 0, tzinfo=zone)
    assert reminder.send_after == morning
    assert (await waiting(db, reminder)).run_after == morning
    assert (await waiting(db, code)).run_after == at_ten


async def test_the_job_holds_a_reminder_it_finds_at_night_and_sends_nothing(
    database: Database, settings: Settings, db: AsyncSession, stub: GCNotifyStub
) -> None:
    zone = night_zone(utcnow())
    message = await queue_text(db, quiet_hours=True, time_zone=zone, now=utcnow())
    # Written by day elsewhere, say, and found by the job at 23:00 where its reader is.
    await make_due(db, await waiting(db, message))

    await Worker(database, gc_notify(settings, stub)).run_until_idle()

    await db.refresh(message)
    assert message.status is TextStatus.QUEUED
    assert stub.calls == []
    later = await waiting(db, message)
    assert later.run_after == texts.quiet_until(utcnow(), zone)
    assert later.run_after.astimezone(ZoneInfo(zone)).hour == 8


# -- the outbox-only provider -------------------------------------------------------------------


async def test_without_a_provider_texts_stay_in_the_outbox_for_the_developer(
    database: Database, settings: Settings, db: AsyncSession, app: Starlette
) -> None:
    assert settings.sms.provider == "outbox"
    message = await queue_text(db, kind="confirmation_code", body="Code 314159", sensitive=True)

    await Worker(database, settings).run_until_idle()

    await db.refresh(message)
    assert message.status is TextStatus.KEPT
    assert message.sent_at is None
    assert message.body == "Code 314159"  # kept: the developer reads the code on the outbox page
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as local:
        page = await local.get("/outbox")
    assert page.status_code == 200
    assert "Code 314159" in page.text
    assert NUMBER in page.text


# -- GC Notify ----------------------------------------------------------------------------------


async def test_gc_notify_gets_the_documented_request_and_the_text_is_sent_once(
    database: Database, settings: Settings, db: AsyncSession, stub: GCNotifyStub
) -> None:
    message = await queue_text(db, kind="confirmation_code", body="Code 271828", sensitive=True)
    configured = gc_notify(settings, stub)

    await Worker(database, configured).run_until_idle()

    [call] = stub.calls
    assert call.path == "/v2/notifications/sms"
    assert call.headers["authorization"] == f"ApiKey-v1 {API_KEY}"
    assert call.headers["content-type"] == "application/json"
    assert call.body == {
        "phone_number": NUMBER,
        "template_id": TEMPLATE_ID,
        "personalisation": {"body": "Code 271828"},
        "reference": str(message.id),
    }
    await db.refresh(message)
    assert message.status is TextStatus.SENT
    assert message.sent_at is not None
    assert message.provider_reference == stub.sent[0]["id"]
    # A code is not kept once it has left.
    assert message.body == texts.REDACTED
    assert API_KEY not in repr(texts.provider_for(configured.sms))

    # The same job run again (a worker that died before recording success) sends nothing.
    [job] = await deliveries(db, message)
    await db.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(status=JobStatus.QUEUED, run_after=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    await Worker(database, configured).run_until_idle()
    assert len(stub.calls) == 1


@pytest.mark.parametrize("retry_after", [120, None])
async def test_a_429_makes_the_text_wait_then_it_is_sent_once(
    database: Database,
    settings: Settings,
    db: AsyncSession,
    stub: GCNotifyStub,
    retry_after: int | None,
) -> None:
    stub.answers = [429]
    stub.retry_after = retry_after
    message = await queue_text(db)
    configured = gc_notify(settings, stub)

    before = utcnow()
    await Worker(database, configured).run_until_idle()

    await db.refresh(message)
    assert message.status is TextStatus.QUEUED
    assert message.throttled == 1
    later = await waiting(db, message)
    # As long as the provider asked, else the first backoff (30 seconds); never at once.
    wait = timedelta(seconds=retry_after or 30)
    assert before + wait - timedelta(seconds=2) <= later.run_after <= utcnow() + wait
    assert later.attempts == 0  # a fresh try: waiting for room is not a failure
    assert len(stub.calls) == 1
    assert stub.sent == []

    await make_due(db, later)
    await Worker(database, configured).run_until_idle()
    assert await status_of(db, message) is TextStatus.SENT
    assert len(stub.sent) == 1


async def test_a_daily_limit_makes_the_text_wait_for_midnight_utc(
    database: Database, settings: Settings, db: AsyncSession, stub: GCNotifyStub
) -> None:
    stub.answers = ["daily"]
    message = await queue_text(db)

    await Worker(database, gc_notify(settings, stub)).run_until_idle()

    later = await waiting(db, message)
    tomorrow = utcnow().date() + timedelta(days=1)
    assert later.run_after == datetime(
        tomorrow.year, tomorrow.month, tomorrow.day, 0, 1, tzinfo=UTC
    )


async def test_an_outage_is_tried_again_with_backoff_and_a_refusal_is_not(
    database: Database, settings: Settings, db: AsyncSession, stub: GCNotifyStub
) -> None:
    stub.answers = [500, 400]
    down = await queue_text(db)
    configured = gc_notify(settings, stub)

    await Worker(database, configured).run_until_idle()

    await db.refresh(down)
    assert down.status is TextStatus.QUEUED
    [job] = await deliveries(db, down)
    assert job.status is JobStatus.QUEUED
    assert job.attempts == 1
    assert "GC Notify answered 500" in (job.last_error or "")
    assert API_KEY not in (job.last_error or "")

    await make_due(db, job)
    await Worker(database, configured).run_until_idle()
    assert await status_of(db, down) is TextStatus.REFUSED
    assert down.provider_status == "BadRequestError"
    assert len(stub.calls) == 2
    assert [j.status for j in await deliveries(db, down)] == [JobStatus.DONE]


async def test_no_more_texts_than_the_per_minute_budget_go_in_a_minute(
    database: Database, settings: Settings, db: AsyncSession, stub: GCNotifyStub
) -> None:
    messages = [await queue_text(db, body=f"Text {n}") for n in range(3)]

    await Worker(database, gc_notify(settings, stub, per_minute=2)).run_until_idle()

    assert len(stub.sent) == 2
    for message in messages:
        await db.refresh(message)
    held = [message for message in messages if message.status is TextStatus.QUEUED]
    assert len(held) == 1
    oldest = min(m.sent_at for m in messages if m.sent_at is not None)
    assert (await waiting(db, held[0])).run_after == oldest + timedelta(seconds=60)


# -- receipts and callbacks ---------------------------------------------------------------------


async def test_a_receipt_is_recorded_on_its_text_and_never_goes_back(db: AsyncSession) -> None:
    message = await queue_text(db)
    message.status = TextStatus.SENT
    message.provider_reference = "notify-id-1"
    await db.commit()
    now = utcnow()

    delivered = await texts.record_receipt(
        db, reference=str(message.id), provider_id="notify-id-1", status="delivered", detail="",
        now=now,
    )  # fmt: skip
    assert delivered is not None
    assert delivered.changed
    late = await texts.record_receipt(
        db, reference="", provider_id="notify-id-1", status="sending", detail="", now=now
    )
    assert late is not None
    assert not late.changed
    assert message.status is TextStatus.DELIVERED
    again = await texts.record_receipt(
        db, reference=str(message.id), provider_id="", status="delivered", detail="", now=now
    )
    assert again is not None
    assert not again.changed

    for reference, provider_id, status in [
        ("not-ours", "", "delivered"),
        (str(message.id), "", "exploded"),
        ("", "", "delivered"),
    ]:
        assert (
            await texts.record_receipt(
                db,
                reference=reference,
                provider_id=provider_id,
                status=status,
                detail="",
                now=now,
            )
            is None
        )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer   {TOKEN}", True),
        (f"Bearer {TOKEN}x", False),
        (f"Bearer {TOKEN[:-1]}", False),
        (f"Basic {TOKEN}", False),
        (TOKEN, False),
        ("Bearer ", False),
        ("", False),
        (None, False),
    ],
)
def test_a_callback_is_believed_only_with_the_bearer_token(
    header: str | None, expected: bool
) -> None:
    assert texts.bearer_matches(TOKEN, header) is expected
    # No token configured: nothing is believed, not even an empty bearer.
    assert texts.bearer_matches("", header) is False


# -- settings -----------------------------------------------------------------------------------


def test_the_provider_is_chosen_by_the_environment() -> None:
    assert load_settings({}).sms.provider == "outbox"
    with pytest.raises(ConfigurationError, match="must be one of outbox, gc-notify"):
        load_settings({"TRIBUNE_SMS_PROVIDER": "twilio"})
    with pytest.raises(ConfigurationError, match="TRIBUNE_GC_NOTIFY_API_KEY"):
        load_settings({"TRIBUNE_SMS_PROVIDER": "gc-notify"})
    with pytest.raises(ConfigurationError, match="TRIBUNE_SMS_PER_MINUTE"):
        load_settings({"TRIBUNE_SMS_PER_MINUTE": "0"})
    configured = load_settings(
        {
            "TRIBUNE_SMS_PROVIDER": "gc-notify",
            "TRIBUNE_GC_NOTIFY_API_KEY": API_KEY,
            "TRIBUNE_GC_NOTIFY_TEMPLATE_ID": TEMPLATE_ID,
            "TRIBUNE_SMS_CALLBACK_TOKEN": TOKEN,
            "TRIBUNE_SMS_PER_MINUTE": "300",
        }
    ).sms
    assert configured.gc_notify_api_url == "https://api.notification.canada.ca"
    assert configured.per_minute == 300
    assert isinstance(texts.provider_for(configured), texts.GCNotify)
