"""A person's mobile number on their account: given, confirmed with a texted code, reminders
turned on (consent, with its time) and off (STOP) and on again (START), removed.

Covered: the account page links to it; only Canadian mobile numbers, normalised to E.164,
anything else refused with a clear message; the code (only its hash kept) confirms the number;
a wrong, expired, reused or too-often-tried code is refused with its own message (in French
too) and confirms nothing; a few codes an hour at most; consent is refused without the box
ticked or before the number is confirmed, and recorded with its time; STOP and START from the
page; removing the number; the code readable on the development outbox page.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accountability.texts import services
from accountability.texts.forms import canadian_mobile
from accountability.texts.models import (
    ConsentAction,
    ConsentChannel,
    MobileNumber,
    StopReason,
    TextConsentEvent,
)
from accounts.models import User
from tests.accountability.texts_scene import NUMBER, code_sent_to, give_number, texts_to
from tests.factories.accounts import make_user
from tests.helpers import count, french, post_form, sign_in, text_of
from tribune import texts
from tribune.db import utcnow
from tribune.settings import Settings
from tribune.texts import TextMessage, TextStatus

PAGE = "/account/text-messages"
NUMBER_PAGE = f"{PAGE}/number"
CONFIRM = f"{PAGE}/confirm"
NEW_CODE = f"{PAGE}/new-code"
REMINDERS = f"{PAGE}/reminders"
REMOVE = f"{PAGE}/remove"


@pytest.fixture
async def person(db: AsyncSession, client: httpx.AsyncClient) -> User:
    user = await make_user(db)
    await sign_in(client, user.email)
    return user


async def number_of(db: AsyncSession, user: User) -> MobileNumber | None:
    found: MobileNumber | None = await db.scalar(
        select(MobileNumber)
        .where(MobileNumber.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    return found


async def add(client: httpx.AsyncClient, number: str, **headers: str) -> httpx.Response:
    token_page = await client.get(NUMBER_PAGE, headers=headers)
    assert token_page.status_code == 200
    return await post_form(client, NUMBER_PAGE, {"number": number}, page=NUMBER_PAGE)


async def enter(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await post_form(client, CONFIRM, {"code": code}, page=PAGE)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("613 555 0123", "+16135550123"),
        ("(613) 555-0123", "+16135550123"),
        ("+1 613.555.0123", "+16135550123"),
        ("1-613-555-0123", "+16135550123"),
        ("514\u2011555\u20110199", "+15145550199"),  # non-breaking hyphens, as phones copy them
        ("6135550123", "+16135550123"),
        ("212 555 0123", None),  # New York: not a Canadian number
        ("+44 7700 900123", None),  # another country
        ("613 155 0123", None),  # an exchange cannot start with 1
        ("613 911 0123", None),  # nor be a service code
        ("613 555 012", None),
        ("613 555 01234", None),
        ("613-555-0123 ext 4", None),
        ("six one three", None),
        ("٦١٣٥٥٥٠١٢٣", None),  # other scripts' digits
        ("", None),
    ],
)
def test_only_canadian_numbers_are_taken_written_as_e164(typed: str, expected: str | None) -> None:
    assert canadian_mobile(typed) == expected


async def test_the_account_page_links_to_text_message_reminders(
    client: httpx.AsyncClient, person: User
) -> None:
    account = await client.get("/account")
    assert f'href="{PAGE}"' in account.text
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "Add a mobile number" in page.text


async def test_a_number_is_confirmed_with_the_code_texted_to_it(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    added = await add(client, "(613) 555-0123")
    assert added.status_code == 303
    assert added.headers["location"] == CONFIRM
    mobile = await number_of(db, person)
    assert mobile is not None
    assert mobile.number == NUMBER
    assert not mobile.is_confirmed
    code = await code_sent_to(db, NUMBER)
    # Only the code's keyed hash is kept, never the code.
    assert mobile.code_hash
    assert code not in mobile.code_hash
    assert mobile.code_expires_at == mobile.code_sent_at + timedelta(minutes=10)  # type: ignore[operator]
    [text] = await texts_to(db, NUMBER)
    assert text.sensitive
    assert not text.quiet_hours
    page = await client.get(CONFIRM)
    assert "+1 613-555-0123" in page.text

    confirmed = await enter(client, f"{code[:3]} {code[3:]}")
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"{PAGE}?updated=confirmed"
    mobile = await number_of(db, person)
    assert mobile is not None
    assert mobile.is_confirmed
    # Confirmed is not consent: no reminder until the person opts in.
    assert mobile.consented_at is None
    assert not mobile.takes_reminders
    overview = text_of(await client.get(confirmed.headers["location"]))
    assert "Your mobile number is confirmed" in overview
    assert "Turn text reminders on" in overview


@pytest.mark.parametrize("typed", ["212 555 0123", "613 555", "not a number", ""])
async def test_anything_but_a_canadian_mobile_is_refused_and_nothing_is_texted(
    client: httpx.AsyncClient, db: AsyncSession, person: User, typed: str
) -> None:
    refused = await add(client, typed)
    assert refused.status_code == 422
    assert "govuk-error-summary" in refused.text
    expected = "Enter your mobile number" if not typed else "Enter a Canadian mobile number"
    assert expected in text_of(refused)
    assert await number_of(db, person) is None
    assert await count(db, TextMessage) == 0


async def test_a_wrong_code_counts_a_try_and_confirms_nothing(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await add(client, "613 555 0123")
    code = await code_sent_to(db, NUMBER)
    wrong = "000000" if code != "000000" else "111111"

    refused = await enter(client, wrong)
    assert refused.status_code == 422
    assert "This code is not right" in text_of(refused)
    assert "tries left: 4" in text_of(refused)
    mobile = await number_of(db, person)
    assert mobile is not None
    assert not mobile.is_confirmed
    assert mobile.code_tries == 1  # kept despite the refusal

    # Not six digits: refused as such, and not counted.
    letters = await enter(client, "12ab56")
    assert letters.status_code == 422
    assert "Enter the 6 digits of the code" in text_of(letters)
    assert (await number_of(db, person)).code_tries == 1  # type: ignore[union-attr]


async def test_after_five_wrong_tries_even_the_right_code_needs_a_new_one(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await add(client, "613 555 0123")
    code = await code_sent_to(db, NUMBER)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(services.MAX_CODE_TRIES - 1):
        assert (await enter(client, wrong)).status_code == 422
    fifth = await enter(client, wrong)
    assert fifth.status_code == 429
    assert "too many times" in text_of(fifth)

    right = await enter(client, code)
    assert right.status_code == 429
    assert "You have entered a wrong code too many times. Ask for a new code" in text_of(right)
    assert not (await number_of(db, person)).is_confirmed  # type: ignore[union-attr]

    # A new code works, and the old one no longer does.
    assert (await post_form(client, NEW_CODE, {}, page=CONFIRM)).status_code == 303
    new = await code_sent_to(db, NUMBER)
    if new != code:
        assert (await enter(client, code)).status_code == 422
    assert (await enter(client, new)).status_code == 303


async def test_an_expired_code_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await add(client, "613 555 0123")
    code = await code_sent_to(db, NUMBER)
    mobile = await number_of(db, person)
    assert mobile is not None
    mobile.code_expires_at = utcnow() - timedelta(seconds=1)
    await db.commit()

    refused = await enter(client, code)
    assert refused.status_code == 422
    assert "This code has expired. Ask for a new code" in text_of(refused)
    mobile = await number_of(db, person)
    assert mobile is not None
    assert not mobile.is_confirmed
    assert mobile.code_tries == 0


async def test_a_used_code_cannot_be_used_again(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await add(client, "613 555 0123")
    code = await code_sent_to(db, NUMBER)
    assert (await enter(client, code)).status_code == 303
    confirmed_at = (await number_of(db, person)).confirmed_at  # type: ignore[union-attr]

    again = await enter(client, code)
    assert again.status_code == 409
    assert "This code has already been used" in text_of(again)
    assert (await number_of(db, person)).confirmed_at == confirmed_at  # type: ignore[union-attr]


async def test_the_codes_messages_are_in_french_for_a_french_reader(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    person.language = "fr"
    await db.commit()
    await add(client, "613 555 0123")
    [text] = await texts_to(db, NUMBER)
    assert text.language == "fr"
    assert text.body.startswith("Tribune : votre code de confirmation est ")
    code = await code_sent_to(db, NUMBER)
    mobile = await number_of(db, person)
    assert mobile is not None
    mobile.code_expires_at = utcnow() - timedelta(seconds=1)
    await db.commit()
    expired = await enter(client, code)
    assert french("This code has expired. Ask for a new code") in text_of(expired)


async def test_a_few_codes_an_hour_at_most(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await add(client, "613 555 0123")  # the first code
    for _ in range(services.CODES_PER_PERSON.count - 1):
        assert (await post_form(client, NEW_CODE, {}, page=CONFIRM)).status_code == 303
    refused = await post_form(client, NEW_CODE, {}, page=CONFIRM)
    assert refused.status_code == 429
    assert "Wait an hour before asking again" in text_of(refused)
    assert len(await texts_to(db, NUMBER, "confirmation_code")) == services.CODES_PER_PERSON.count


async def test_consent_needs_the_box_ticked_and_is_recorded_with_its_time(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await give_number(db, person, consented=False)

    unticked = await post_form(client, REMINDERS, {"action": "start"}, page=PAGE)
    assert unticked.status_code == 422
    assert "Tick the box to agree" in text_of(unticked)
    assert not (await number_of(db, person)).takes_reminders  # type: ignore[union-attr]

    before = utcnow()
    ticked = await post_form(client, REMINDERS, {"action": "start", "consent": "yes"}, page=PAGE)
    assert ticked.status_code == 303
    mobile = await number_of(db, person)
    assert mobile is not None
    assert mobile.takes_reminders
    assert mobile.consented_at is not None
    assert before <= mobile.consented_at <= utcnow()
    [event] = await db.scalars(
        select(TextConsentEvent).where(TextConsentEvent.user_id == person.id)
    )
    assert (event.action, event.channel, event.number) == (
        ConsentAction.CONSENTED,
        ConsentChannel.ACCOUNT,
        NUMBER,
    )
    assert event.occurred_at == mobile.consented_at
    page = text_of(await client.get(f"{PAGE}?updated=started"))
    assert "Text message reminders are on" in page
    assert "You agreed to text reminders" in page


async def test_an_unconfirmed_number_cannot_take_reminders(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await give_number(db, person, confirmed=False)
    refused = await post_form(client, REMINDERS, {"action": "start", "consent": "yes"}, page=PAGE)
    assert refused.status_code == 409
    assert "Confirm your number before you turn text reminders on" in text_of(refused)
    assert (await number_of(db, person)).consented_at is None  # type: ignore[union-attr]


async def test_stop_and_start_from_the_account_page(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await give_number(db, person)
    # A reminder waiting for the morning is cancelled by STOP.
    waiting = texts.queue(
        db, to=NUMBER, language="en", kind="hearing_reminder", body="WCAT: reminder"
    )
    await db.commit()

    stopped = await post_form(client, REMINDERS, {"action": "stop"}, page=PAGE)
    assert stopped.status_code == 303
    mobile = await number_of(db, person)
    assert mobile is not None
    assert not mobile.takes_reminders
    assert mobile.stop_reason is StopReason.PERSON
    assert "Text message reminders are off" in text_of(
        await client.get(stopped.headers["location"])
    )
    await db.refresh(waiting)
    assert waiting.status is TextStatus.CANCELLED

    started = await post_form(client, REMINDERS, {"action": "start", "consent": "yes"}, page=PAGE)
    assert started.status_code == 303
    mobile = await number_of(db, person)
    assert mobile is not None
    assert mobile.takes_reminders
    actions = [
        event.action
        for event in await db.scalars(
            select(TextConsentEvent)
            .where(TextConsentEvent.user_id == person.id)
            .order_by(TextConsentEvent.occurred_at)
        )
    ]
    assert actions == [ConsentAction.STOPPED, ConsentAction.STARTED]

    unknown = await post_form(client, REMINDERS, {"action": "explode"}, page=PAGE)
    assert unknown.status_code == 400


async def test_a_stop_on_one_account_leaves_the_number_to_others_but_a_texted_stop_does_not(
    db: AsyncSession, settings: Settings, person: User
) -> None:
    mobile = await give_number(db, person)
    await services.stop(db, mobile)
    await db.commit()
    other = await make_user(db)
    await services.set_number(db, settings, other, NUMBER)
    assert len(await texts_to(db, NUMBER, services.CODE_KIND)) == 1

    await services.handle_received(db, NUMBER, "ARRÊT")
    with pytest.raises(services.NumberRefused) as refused:
        await services.set_number(db, settings, await make_user(db), NUMBER)
    assert "Reply START" in refused.value.message
    assert len(await texts_to(db, NUMBER, services.CODE_KIND)) == 1


async def test_removing_the_number_stops_texts_and_keeps_the_consent_history(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await give_number(db, person)
    removed = await post_form(client, REMOVE, {}, page=PAGE)
    assert removed.status_code == 303
    assert await number_of(db, person) is None
    [event] = await db.scalars(
        select(TextConsentEvent).where(TextConsentEvent.user_id == person.id)
    )
    assert event.action is ConsentAction.REMOVED
    assert "Your mobile number has been removed" in text_of(
        await client.get(removed.headers["location"])
    )


async def test_a_new_number_must_be_confirmed_and_consented_to_again(
    client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await give_number(db, person)
    changed = await add(client, "514 555 0199")
    assert changed.status_code == 303
    mobile = await number_of(db, person)
    assert mobile is not None
    assert mobile.number == "+15145550199"
    assert not mobile.is_confirmed
    assert mobile.consented_at is None
    assert await texts_to(db, NUMBER) == []
    # The same confirmed number again is not a change.
    await enter(client, await code_sent_to(db, "+15145550199"))
    same = await add(client, "514 555 0199")
    assert same.status_code == 409
    assert "This is already your confirmed number" in text_of(same)


async def test_the_code_is_readable_on_the_development_outbox_page(
    app: Starlette, client: httpx.AsyncClient, db: AsyncSession, person: User
) -> None:
    await add(client, "613 555 0123")
    code = await code_sent_to(db, NUMBER)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as local:
        outbox = await local.get("/outbox")
    assert code in outbox.text
    [text] = await texts_to(db, NUMBER)
    assert text.status is TextStatus.QUEUED  # the worker keeps it, the body stays readable
