"""The SMS provider's callbacks: texts people send (STOP, START) and delivery receipts.

Covered: STOP, ARRÊT, ARRET, END and UNSUBSCRIBE, in any case and with spaces around, stop
texts at once (what waits is cancelled) with one confirmation in the person's language;
START starts reminders again for whoever had consented, with a confirmation; a second STOP
sends nothing more; an unknown number or another word changes nothing (200, so the provider
does not retry); a number nobody confirmed is never sent the confirmation, and gets no code
until it says START; a callback without the bearer token, with another, or while none is
configured is refused (400) and changes nothing; a delivery receipt is recorded on its text
and shown in the case's delivery log; a permanent failure or a carrier's opt-out stops texts
to the number.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accountability.texts import services
from accountability.texts.models import (
    ConsentAction,
    ConsentChannel,
    MobileNumber,
    StopReason,
    TextConsentEvent,
)
from tests.accountability.texts_scene import (
    NUMBER,
    RECEIVED,
    STATUS,
    TOKEN,
    app_with_token,
    give_number,
    machine,
    post_callback,
    receipt,
    received_text,
    texts_to,
)
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import sign_in
from tribunals.models import Role
from tribune import texts
from tribune.app import metadata
from tribune.db import Database
from tribune.settings import Settings
from tribune.texts import TextMessage, TextStatus


@pytest.fixture
async def provider(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = app_with_token(settings, database)
    async with machine(app) as client:
        yield client


async def mobile_of(db: AsyncSession, number: MobileNumber) -> MobileNumber:
    await db.refresh(number)
    return number


async def snapshot(db: AsyncSession) -> dict[str, object]:
    """Every table's row count, and every number's state: what a callback could change."""
    state: dict[str, object] = {}
    for table in metadata.sorted_tables:
        state[table.name] = (await db.execute(select(func.count()).select_from(table))).scalar_one()
    state["numbers"] = [
        (row.number, row.stopped_at, row.consented_at)
        for row in await db.scalars(select(MobileNumber).execution_options(populate_existing=True))
    ]
    await db.commit()
    return state


@pytest.mark.parametrize(
    "word", ["STOP", "stop", "  Stop ", "ARRÊT", "arrêt", "ARRET", "Arret", "END", "unsubscribe"]
)
async def test_a_stop_word_stops_texts_at_once_with_one_confirmation(
    db: AsyncSession, provider: httpx.AsyncClient, word: str
) -> None:
    person = await make_user(db, language="fr")
    mobile = await give_number(db, person)
    waiting = texts.queue(
        db,
        to=NUMBER,
        language="fr",
        kind="hearing_reminder",
        body="TAIT : rappel",
        quiet_hours=True,
    )
    await db.commit()

    answer = await post_callback(provider, RECEIVED, received_text(word))

    assert answer.status_code == 200
    assert answer.text == "stopped"
    mobile = await mobile_of(db, mobile)
    assert not mobile.takes_reminders
    assert mobile.stop_reason is StopReason.TEXTED
    await db.refresh(waiting)
    assert waiting.status is TextStatus.CANCELLED
    [confirmation] = await texts_to(db, NUMBER, services.STOPPED_KIND)
    assert confirmation.language == "fr"
    assert confirmation.body.startswith("Tribune : vous ne recevrez plus de messages texte")
    assert confirmation.status is TextStatus.QUEUED  # the confirmation itself still goes
    [event] = await db.scalars(
        select(TextConsentEvent).where(TextConsentEvent.user_id == person.id)
    )
    assert (event.action, event.channel) == (ConsentAction.STOPPED, ConsentChannel.TEXT)

    # The same STOP again (a retried callback, or a second text) changes and sends nothing.
    again = await post_callback(provider, RECEIVED, received_text(word))
    assert again.status_code == 200
    assert again.text == "ignored"
    assert len(await texts_to(db, NUMBER, services.STOPPED_KIND)) == 1


async def test_start_starts_reminders_again_with_a_confirmation(
    db: AsyncSession, provider: httpx.AsyncClient
) -> None:
    person = await make_user(db, language="en")
    mobile = await give_number(db, person)
    await post_callback(provider, RECEIVED, received_text("STOP", source="+1 613 555 0123"))
    consented_before = (await mobile_of(db, mobile)).consented_at

    answer = await post_callback(provider, RECEIVED, received_text(" start "))

    assert answer.status_code == 200
    assert answer.text == "started"
    mobile = await mobile_of(db, mobile)
    assert mobile.takes_reminders
    assert mobile.consented_at is not None
    assert consented_before is not None
    assert mobile.consented_at >= consented_before  # START is consent again, with its time
    [confirmation] = await texts_to(db, NUMBER, services.STARTED_KIND)
    assert (
        confirmation.body
        == "Tribune: text message reminders are on again. Reply STOP to stop them."
    )
    actions = list(
        await db.scalars(
            select(TextConsentEvent.action)
            .where(TextConsentEvent.user_id == person.id)
            .order_by(TextConsentEvent.occurred_at, TextConsentEvent.created_at)
        )
    )
    assert actions == [ConsentAction.STOPPED, ConsentAction.STARTED]


async def test_start_never_turns_on_reminders_nobody_asked_for(
    db: AsyncSession, provider: httpx.AsyncClient
) -> None:
    mobile = await give_number(db, await make_user(db), consented=False)
    await post_callback(provider, RECEIVED, received_text("STOP"))
    await post_callback(provider, RECEIVED, received_text("START"))
    mobile = await mobile_of(db, mobile)
    assert mobile.stopped_at is None
    assert not mobile.takes_reminders
    assert await texts_to(db, NUMBER, services.STARTED_KIND) == []


@pytest.mark.parametrize(
    "body",
    [
        received_text("STOP", source="16135559999"),  # nobody's number
        received_text("STOP", source="442079460000"),  # not a Canadian number
        received_text("Thanks, see you then"),  # another word
        received_text("STOP please"),
    ],
)
async def test_an_unknown_number_or_another_word_changes_nothing_and_is_acknowledged(
    db: AsyncSession, provider: httpx.AsyncClient, body: dict[str, str]
) -> None:
    await give_number(db, await make_user(db))
    before = await snapshot(db)
    answer = await post_callback(provider, RECEIVED, body)
    assert answer.status_code == 200
    assert answer.text == "ignored"
    assert await snapshot(db) == before


async def test_a_number_nobody_confirmed_gets_no_confirmation_and_no_more_codes(
    db: AsyncSession, provider: httpx.AsyncClient, settings: Settings
) -> None:
    person = await make_user(db)
    mobile = await give_number(db, person, confirmed=False)

    answer = await post_callback(provider, RECEIVED, received_text("STOP"))

    assert answer.text == "stopped"
    assert await texts_to(db, NUMBER) == []  # only a code ever goes to an unconfirmed number
    with pytest.raises(services.NumberRefused) as refused:
        await services.send_code(db, settings, person, await mobile_of(db, mobile))
    assert refused.value.status_code == 409
    # Another account cannot have it texted either.
    with pytest.raises(services.NumberRefused):
        await services.set_number(db, settings, await make_user(db), NUMBER)
    assert await texts_to(db, NUMBER) == []

    await post_callback(provider, RECEIVED, received_text("START"))
    await services.send_code(db, settings, person, await mobile_of(db, mobile))
    assert len(await texts_to(db, NUMBER, services.CODE_KIND)) == 1


@pytest.mark.parametrize("path", [RECEIVED, STATUS])
@pytest.mark.parametrize(
    "authorization",
    [None, "", f"Bearer {TOKEN}-not", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer"],
)
async def test_an_unverified_callback_is_refused_and_changes_nothing(
    db: AsyncSession, provider: httpx.AsyncClient, path: str, authorization: str | None
) -> None:
    person = await make_user(db)
    await give_number(db, person)
    message = texts.queue(db, to=NUMBER, language="en", kind="test", body="Hi")
    message.status = TextStatus.SENT
    await db.commit()
    body = received_text("STOP") if path == RECEIVED else receipt(message, "permanent-failure")
    before = await snapshot(db)

    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    answer = await provider.post(path, json=body, headers=headers)

    assert answer.status_code == 400
    assert answer.text == "refused"
    assert await snapshot(db) == before


@pytest.mark.parametrize("path", [RECEIVED, STATUS])
async def test_no_callback_is_believed_while_no_token_is_configured(
    db: AsyncSession, settings: Settings, database: Database, path: str
) -> None:
    await give_number(db, await make_user(db))
    before = await snapshot(db)
    async with machine(app_with_token(settings, database, token="")) as client:
        for token in ("", TOKEN):
            answer = await post_callback(client, path, received_text("STOP"), token=token)
            assert answer.status_code == 400
    assert await snapshot(db) == before


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": 5, "message": "STOP"}', b"{}"])
async def test_a_verified_callback_that_is_not_the_documented_json_is_refused(
    db: AsyncSession, provider: httpx.AsyncClient, body: bytes
) -> None:
    await give_number(db, await make_user(db))
    before = await snapshot(db)
    for path in (RECEIVED, STATUS):
        answer = await provider.post(
            path, content=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 400
    assert await snapshot(db) == before


async def test_a_receipt_is_recorded_and_shown_in_the_cases_delivery_log(
    app: Starlette,
    client: httpx.AsyncClient,
    db: AsyncSession,
    provider: httpx.AsyncClient,
) -> None:
    tribunal = await make_tribunal(db, short_name_en="WCAT")
    clerk = await make_staff(db, tribunal, Role.CLERK)
    case = await make_case(db, tribunal)
    message = texts.queue(
        db,
        to=NUMBER,
        language="en",
        kind=services.HEARING_KIND,
        body="WCAT: reminder of your hearing",
        tribunal_id=tribunal.id,
        case_id=case.id,
    )
    message.status = TextStatus.SENT
    message.provider_reference = "7f1a0c3e-2f7b-4c5e-9d62-3b1e0f5a9c11"
    await db.commit()

    answer = await post_callback(provider, STATUS, receipt(message, "delivered"))

    assert answer.status_code == 200
    assert answer.text == "recorded"
    await db.refresh(message)
    assert message.status is TextStatus.DELIVERED
    await sign_in(client, clerk.email)
    page = await client.get(f"/{tribunal.slug}/staff/cases/{case.id}")
    assert page.status_code == 200
    assert "WCAT: reminder of your hearing" in page.text
    assert "Delivered" in page.text

    unknown = await post_callback(
        provider, STATUS, {**receipt(message, "delivered"), "reference": "x", "id": "y"}
    )
    assert unknown.status_code == 200
    assert unknown.text == "ignored"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({}, StopReason.FAILED),
        ({"provider_response": "The recipient has opted out"}, StopReason.OPTED_OUT),
    ],
)
async def test_a_permanent_failure_or_an_opt_out_stops_texts_to_the_number(
    db: AsyncSession, provider: httpx.AsyncClient, extra: dict[str, str], reason: StopReason
) -> None:
    person = await make_user(db)
    mobile = await give_number(db, person)
    sent = texts.queue(db, to=NUMBER, language="en", kind="test", body="Hi")
    sent.status = TextStatus.SENT
    waiting = texts.queue(db, to=NUMBER, language="en", kind="test", body="Later", quiet_hours=True)
    await db.commit()

    answer = await post_callback(provider, STATUS, receipt(sent, "permanent-failure", **extra))

    assert answer.status_code == 200
    mobile = await mobile_of(db, mobile)
    assert not mobile.takes_reminders
    assert mobile.stop_reason is reason
    await db.refresh(waiting)
    assert waiting.status is TextStatus.CANCELLED
    [event] = await db.scalars(
        select(TextConsentEvent).where(TextConsentEvent.user_id == person.id)
    )
    assert event.channel is ConsentChannel.PROVIDER
    # The page says why, and a failed number cannot simply be turned back on.
    if reason is StopReason.FAILED:
        with pytest.raises(services.ConsentRefused):
            services.give_consent(db, mobile)


async def test_the_callbacks_answer_nothing_but_refused_to_a_browser_form(
    db: AsyncSession, provider: httpx.AsyncClient
) -> None:
    # A page cannot forge them: no cookie or CSRF token makes up for the bearer token.
    answer = await provider.post(RECEIVED, data={"message": "STOP", "source_number": NUMBER})
    assert answer.status_code == 400
    message_count = await db.scalar(select(func.count()).select_from(TextMessage))
    assert message_count == 0
