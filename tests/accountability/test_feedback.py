"""Feedback on every page: "Was this page helpful? Yes / No" and "Report a problem with this
page" on public and staff pages in both languages, working without JavaScript; what is stored
(the page's path and tribunal, the language, the kind, the text without email addresses and
personal numbers, the sender's role, an optional address; never who, never their network
address); the flood limit; the registry's list, its answers by email in the feedback's
language and its marking as handled; another tribunal's feedback a 404; and bad input refused
with nothing stored."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accountability.feedback.models import (
    Feedback,
    FeedbackAnswer,
    FeedbackKind,
    SenderRole,
)
from accountability.feedback.scrubbing import scrub
from accountability.feedback.services import FEEDBACK_PER_HOUR, PAGE_SIZE
from tests.factories.accounts import make_user
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, csrf_token, french, post_form, text_of
from tribunals.models import Role, Tribunal
from tribune.audit import AuditAction, AuditEvent
from tribune.db import utcnow
from tribune.mail import OutboxMessage

QUESTION = "Was this page helpful?"
REPORT = "Report a problem with this page"
FRENCH = {"Accept-Language": "fr"}
CLIENT_ADDRESS = "203.0.113.10"  # the test client's (tests/conftest.py)


async def send(
    client: httpx.AsyncClient, data: dict[str, str], *, page: str = "/privacy", **options: object
) -> httpx.Response:
    """Post the feedback form as a browser does, with the token of the page it is on."""
    token = await csrf_token(client, page)
    return await client.post("/feedback", data={**data, "csrf_token": token}, **options)  # type: ignore[arg-type]


async def stored(db: AsyncSession) -> list[Feedback]:
    rows = list((await db.scalars(select(Feedback).order_by(Feedback.created_at))).all())
    await db.commit()
    return rows


# -- the widget on every page --------------------------------------------------------------------


def widget_of(html: str) -> str:
    match = re.search(r'<section class="tribune-feedback".*?</section>', html, re.DOTALL)
    assert match, "no feedback widget on the page"
    return match.group(0)


async def test_every_page_asks_whether_it_helped_public_and_staff_in_both_languages(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    public = [("/", "/"), ("/privacy", "/privacy"), (f"/{tribunal.slug}/", f"/{tribunal.slug}/")]
    for url, path in public:
        page = await client.get(url)
        html = widget_of(page.text)
        assert QUESTION in html
        assert REPORT in html
        # "Yes" posts at once, with the page's path; "No" and the link open the question.
        assert 'method="post" action="/feedback"' in html
        assert f'name="from_page" value="{path}"' in html
        assert 'name="feedback" value="helpful"' in html
        assert 'method="get" action="/feedback"' in html
        assert 'name="feedback" value="not_helpful"' in html
        assert "feedback=problem" in html

    french_page = await client.get(f"/{tribunal.slug}/", headers=FRENCH)
    html = text_of(french_page)
    assert french(QUESTION) in html
    assert french(REPORT) in html
    assert QUESTION not in html

    await as_user(client, clerk)
    workspace = await client.get(f"/{tribunal.slug}/staff")
    assert QUESTION in widget_of(workspace.text)
    assert f'name="from_page" value="/{tribunal.slug}/staff"' in workspace.text
    # Not on an error page.
    missing = await client.get(f"/{tribunal.slug}/no-such-page")
    assert missing.status_code == 404
    assert QUESTION not in missing.text


async def test_the_query_string_is_never_in_the_widget(client: httpx.AsyncClient) -> None:
    page = await client.get("/?q=my+name+is+jane")
    assert "jane" not in widget_of(page.text)


# -- what is stored --------------------------------------------------------------------------------


async def test_yes_is_stored_at_once_and_the_thank_you_page_links_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    home = f"/{tribunal.slug}/"
    response = await send(client, {"from_page": home, "feedback": "helpful"}, page=home)
    assert response.status_code == 303
    thanks = await client.get(response.headers["location"])
    assert thanks.status_code == 200
    assert "Thank you for your feedback" in text_of(thanks)
    assert f'href="{home}"' in thanks.text

    [feedback] = await stored(db)
    assert feedback.tribunal_id == tribunal.id
    assert feedback.path == home
    assert feedback.kind is FeedbackKind.HELPFUL
    assert feedback.language == "en"
    assert feedback.role is SenderRole.PUBLIC
    assert feedback.text == ""
    assert feedback.contact_email is None
    assert feedback.handled_at is None


async def test_no_asks_one_question_and_warns_against_personal_information(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    home = f"/{tribunal.slug}/"
    form = await client.get("/feedback", params={"from_page": home, "feedback": "not_helpful"})
    assert form.status_code == 200
    text = text_of(form)
    assert "What were you trying to do?" in text
    assert "Do not include personal information" in text
    assert "Your email address (optional)" in text
    assert QUESTION not in text  # the page about feedback does not ask about itself
    problem = await client.get("/feedback", params={"from_page": home, "feedback": "problem"})
    assert "What went wrong?" in text_of(problem)

    response = await send(
        client,
        {
            "from_page": home,
            "feedback": "not_helpful",
            "text": "I was looking for the hearing dates.",
        },
        page=f"/feedback?from_page={home}&feedback=not_helpful",
    )
    assert response.status_code == 303
    [feedback] = await stored(db)
    assert feedback.kind is FeedbackKind.NOT_HELPFUL
    assert feedback.text == "I was looking for the hearing dates."
    assert feedback.tribunal_id == tribunal.id


async def test_the_question_and_the_thanks_are_in_french(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    home = f"/{tribunal.slug}/"
    form = await client.get(
        "/feedback", params={"from_page": home, "feedback": "problem"}, headers=FRENCH
    )
    assert french("What went wrong?") in text_of(form)
    response = await send(
        client,
        {"from_page": home, "feedback": "problem", "text": "Le lien est brisé."},
        headers=FRENCH,
    )
    thanks = await client.get(response.headers["location"], headers=FRENCH)
    assert french("Thank you for your feedback") in text_of(thanks)
    [feedback] = await stored(db)
    assert feedback.language == "fr"


@pytest.mark.parametrize(
    ("written", "gone"),
    [
        ("Write to me at jane.doe+tribunal@example.org please", "jane.doe+tribunal@example.org"),
        ("My SIN is 046 454 286.", "046 454 286"),
        ("SIN:046-454-286", "046-454-286"),
        ("sin 046454286", "046454286"),
        ("Health card 1234-567-890-AB", "1234-567-890"),
        ("health card 1234 567 890 and more", "1234 567 890"),
        ("carte RAMQ TREM 1234 5678", "TREM 1234 5678"),
        ("RAMQ TREM12345678", "TREM12345678"),
        ("call (416) 555-0199 any time", "555-0199"),
        ("call +1 416 555 0199", "416 555 0199"),
        ("call 1-800-555-0199 ext. 12", "800-555-0199"),
        ("call 416.555.0199", "416.555.0199"),
        ("call 4165550199", "4165550199"),
    ],
)
def test_email_addresses_and_personal_numbers_are_removed(written: str, gone: str) -> None:
    cleaned = scrub(written, "[removed]")
    assert gone not in cleaned
    assert "[removed]" in cleaned


def test_ordinary_text_and_numbers_are_kept() -> None:
    text = "Step 3 of 5 failed on 2026-01-15 at 10:30; the fee of $125.00 shows twice."
    assert scrub(text, "[removed]") == text


async def test_the_stored_text_has_no_personal_numbers_in_any_format(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    written = (
        "I am jane@example.org, SIN 046-454-286, health card 1234 567 890 AB, RAMQ "
        "TREM 1234 5678, phone (416) 555-0199 or +1 613.555.0123, and step 2 broke."
    )
    response = await send(client, {"from_page": "/", "feedback": "problem", "text": written})
    assert response.status_code == 303
    [feedback] = await stored(db)
    for gone in ("jane@example.org", "046", "1234 567", "TREM", "555-0199", "613"):
        assert gone not in feedback.text
    assert feedback.text.count("[removed]") == 6
    assert feedback.text.endswith("and step 2 broke.")
    # In French, the marker is French too.
    await send(
        client, {"from_page": "/", "feedback": "problem", "text": "NAS 046 454 286"}, headers=FRENCH
    )
    assert (await stored(db))[-1].text == f"NAS {french('[removed]')}"


async def test_feedback_is_anonymous_with_the_senders_role_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    claimant = await make_user(db)
    elsewhere = await make_tribunal(db)
    home = f"/{tribunal.slug}/"

    await send(client, {"from_page": home, "feedback": "helpful"})
    await as_user(client, claimant)
    await send(client, {"from_page": home, "feedback": "helpful"})
    await as_user(client, clerk)
    await send(client, {"from_page": f"/{tribunal.slug}/staff", "feedback": "helpful"})
    # Staff of this tribunal are a "party" (signed in, not staff) on another tribunal's page,
    # and the platform's own pages belong to no tribunal.
    await send(client, {"from_page": f"/{elsewhere.slug}/", "feedback": "helpful"})
    await send(client, {"from_page": "/my-cases", "feedback": "helpful"})

    rows = await stored(db)
    # As a multiset: the five are stored within the same second, in no order to rely on.
    assert sorted((str(row.tribunal_id), row.role.value) for row in rows) == sorted(
        [
            (str(tribunal.id), SenderRole.PUBLIC.value),
            (str(tribunal.id), SenderRole.PARTY.value),
            (str(tribunal.id), SenderRole.STAFF.value),
            (str(elsewhere.id), SenderRole.PARTY.value),
            (str(None), SenderRole.PARTY.value),
        ]
    )
    # Nothing in the table can say who sent it, or from where.
    columns = set(Feedback.__table__.columns.keys())
    assert not {"user_id", "sender_id", "client_address", "address", "ip"} & columns
    for row in rows:
        values = [str(getattr(row, column)) for column in columns]
        assert not any(
            str(person.id) in value or CLIENT_ADDRESS in value
            for person in (clerk, claimant)
            for value in values
        )
    # The audit log, which keeps client addresses, has no entry for it either (signing in
    # has its own).
    # (Counted for this test's people and tribunals: tests that run live servers leave theirs.)
    ours = or_(
        AuditEvent.tribunal_id.in_([tribunal.id, elsewhere.id]),
        AuditEvent.actor_id.in_([clerk.id, claimant.id]),
    )
    assert await count(db, AuditEvent, AuditEvent.action.not_like("account.%"), ours) == 0


# -- limits and bad input -------------------------------------------------------------------------


async def test_a_flood_is_refused_with_429_and_nothing_stored(
    app: Starlette, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    for _ in range(FEEDBACK_PER_HOUR):
        assert (await send(client, {"from_page": "/", "feedback": "helpful"})).status_code == 303
    refused = await send(
        client, {"from_page": "/", "feedback": "problem", "text": "One more thing."}, headers=FRENCH
    )
    assert refused.status_code == 429
    assert french("You have sent a lot of feedback") in text_of(refused)
    assert len(await stored(db)) == FEEDBACK_PER_HOUR
    # Another network is not held back by this one's flood.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await send(other, {"from_page": "/", "feedback": "helpful"})).status_code == 303
    assert len(await stored(db)) == FEEDBACK_PER_HOUR + 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": ""}, "Tell us what went wrong"),
        ({"text": "   "}, "Tell us what went wrong"),
        ({"text": "x" * 1001}, "This answer must be 1000 characters or fewer"),
        ({"text": "Broken", "email": "not an address"}, "Enter an email address in the correct"),
        ({"text": "Broken\x00"}, "Remove the control characters from this answer"),
    ],
)
async def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    client: httpx.AsyncClient, db: AsyncSession, fields: dict[str, str], message: str
) -> None:
    response = await send(client, {"from_page": "/", "feedback": "problem", **fields})
    assert response.status_code == 422
    assert "govuk-error-summary" in response.text
    assert message in text_of(response)
    assert await stored(db) == []
    in_french = await send(
        client, {"from_page": "/", "feedback": "problem", **fields}, headers=FRENCH
    )
    assert in_french.status_code == 422
    assert message not in text_of(in_french)
    assert await stored(db) == []


async def test_a_no_without_text_is_refused_too(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    response = await send(client, {"from_page": "/", "feedback": "not_helpful", "text": ""})
    assert response.status_code == 422
    assert "Tell us what you were trying to do" in text_of(response)
    assert await stored(db) == []


async def test_an_unknown_kind_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    for kind in ("", "great", "HELPFUL"):
        response = await send(client, {"from_page": "/", "feedback": kind, "text": "x"})
        assert response.status_code == 400
    assert await stored(db) == []


@pytest.mark.parametrize(
    ("page", "kept"),
    [
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/privacy\r\nLocation: x", "/"),
        ("/" + "a" * 600, "/"),
        ("", "/"),
        ("/privacy?token=secret#part", "/privacy"),
    ],
)
async def test_a_forged_page_is_stored_as_the_home_page(
    client: httpx.AsyncClient, db: AsyncSession, page: str, kept: str
) -> None:
    response = await send(client, {"from_page": page, "feedback": "helpful"})
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert parse_qs(location.query)["from_page"] == [kept]
    [feedback] = await stored(db)
    assert feedback.path == kept
    assert feedback.tribunal_id is None


async def test_the_form_needs_its_csrf_token(client: httpx.AsyncClient, db: AsyncSession) -> None:
    response = await client.post("/feedback", data={"from_page": "/", "feedback": "helpful"})
    assert response.status_code == 403
    assert await stored(db) == []


# -- the registry: the list, answers and handling --------------------------------------------------


async def feedback_row(
    db: AsyncSession,
    tribunal: Tribunal | None,
    *,
    kind: FeedbackKind = FeedbackKind.PROBLEM,
    text: str = "The upload button does nothing.",
    contact: str | None = None,
    language: str = "en",
    created_at_delta: timedelta = timedelta(0),
) -> Feedback:
    row = Feedback(
        tribunal_id=tribunal.id if tribunal else None,
        path=f"/{tribunal.slug}/" if tribunal else "/",
        language=language,
        kind=kind,
        text=text,
        contact_email=contact,
        role=SenderRole.PUBLIC,
        created_at=utcnow() + created_at_delta,
    )
    db.add(row)
    await db.commit()
    return row


async def test_the_registry_answers_by_email_in_the_feedbacks_language_and_marks_it_handled(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK, name="Cleo Clerk")
    home = f"/{tribunal.slug}/"
    await send(
        client,
        {
            "from_page": home,
            "feedback": "problem",
            "text": "Le formulaire ne s’envoie pas.",
            "email": "Marie@Example.org",
        },
        headers=FRENCH,
    )
    [item] = await stored(db)
    assert item.contact_email == "marie@example.org"

    await as_user(client, clerk)
    workspace = await client.get(f"/{tribunal.slug}/staff")
    listing_url = f"/{tribunal.slug}/staff/feedback"
    assert f'href="{listing_url}"' in workspace.text
    listing = await client.get(listing_url)
    assert listing.status_code == 200
    item_url = f"{listing_url}/{item.id}"
    assert item_url in listing.text
    assert "Awaits an answer" in text_of(listing)
    page = await client.get(item_url)
    assert "Le formulaire ne s’envoie pas." in text_of(page)
    assert "marie@example.org" in page.text

    answered = await post_form(
        client,
        f"{item_url}/answer",
        {"answer": "Merci : le problème est réglé."},
        page=item_url,
    )
    assert answered.status_code == 303
    message = (
        await db.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "marie@example.org")
        )
    ).one()
    assert message.language == "fr"
    assert message.template == "feedback_answer"
    assert message.tribunal_id == tribunal.id
    assert "Merci : le problème est réglé." in message.body
    assert "Le formulaire ne s’envoie pas." in message.body
    assert french("Hello,") in message.body
    [sent] = (await db.scalars(select(FeedbackAnswer))).all()
    assert sent.answered_by_id == clerk.id
    assert sent.feedback_id == item.id
    entry = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.FEEDBACK_ANSWERED)
        )
    ).one()
    assert (entry.subject_id, entry.actor_id, entry.actor_role) == (item.id, clerk.id, "clerk")
    await db.commit()
    page = await client.get(answered.headers["location"])
    assert "Your answer was sent." in text_of(page)
    assert "By Cleo Clerk on" in text_of(page)

    handled = await post_form(client, f"{item_url}/handled", {}, page=item_url)
    assert handled.status_code == 303
    await db.refresh(item)
    assert item.handled_at is not None
    assert item.handled_by_id == clerk.id
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.FEEDBACK_HANDLED) == 1
    await db.commit()
    # New feedback is listed by default; handled feedback under its filter.
    assert item_url not in (await client.get(listing_url)).text
    assert item_url in (await client.get(listing_url, params={"status": "handled"})).text
    # Marking it again is refused and changes nothing.
    again = await post_form(client, f"{item_url}/handled", {}, page=item_url)
    assert again.status_code == 409
    assert "This feedback was already marked as handled." in text_of(again)
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.FEEDBACK_HANDLED) == 1


async def test_feedback_without_an_address_cannot_be_answered(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    item = await feedback_row(db, tribunal)
    await as_user(client, clerk)
    item_url = f"/{tribunal.slug}/staff/feedback/{item.id}"
    page = await client.get(item_url)
    assert "Answer by email" not in text_of(page)
    refused = await post_form(client, f"{item_url}/answer", {"answer": "Hello"}, page=item_url)
    assert refused.status_code == 409
    assert await count(db, FeedbackAnswer) == 0
    assert await count(db, OutboxMessage) == 0
    empty = await feedback_row(db, tribunal, contact="a@example.org")
    empty_url = f"/{tribunal.slug}/staff/feedback/{empty.id}"
    refused = await post_form(client, f"{empty_url}/answer", {"answer": " "}, page=empty_url)
    assert refused.status_code == 422
    assert "Write your answer" in text_of(refused)
    assert await count(db, FeedbackAnswer) == 0


async def test_the_list_is_newest_first_by_pages_and_filters_by_kind(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    rows = [
        await feedback_row(db, tribunal, text=f"Message {n}", created_at_delta=timedelta(minutes=n))
        for n in range(PAGE_SIZE + 2)
    ]
    helpful = await feedback_row(
        db, tribunal, kind=FeedbackKind.HELPFUL, text="", created_at_delta=timedelta(hours=-1)
    )
    await as_user(client, admin)
    url = f"/{tribunal.slug}/staff/feedback"
    first = await client.get(url)
    ids = re.findall(rf"{url}/([0-9a-f-]{{36}})", first.text)
    assert ids == [str(row.id) for row in reversed(rows)][:PAGE_SIZE]
    older = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert older
    second = await client.get(older.group(1).replace("&amp;", "&"))
    ids = re.findall(rf"{url}/([0-9a-f-]{{36}})", second.text)
    assert ids == [str(rows[1].id), str(rows[0].id), str(helpful.id)]
    only_helpful = await client.get(url, params={"kind": "helpful"})
    assert re.findall(rf"{url}/([0-9a-f-]{{36}})", only_helpful.text) == [str(helpful.id)]
    # A forged cursor or filter is a page like any other, never an error.
    for params in ({"after": "x"}, {"after": "0001-01-01T00:00:00+14:00_00"}, {"kind": "z"}):
        assert (await client.get(url, params=params)).status_code == 200


async def test_only_the_tribunals_registry_reaches_its_feedback(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    item = await feedback_row(db, tribunal, contact="a@example.org")
    platform_item = await feedback_row(db, None, contact="b@example.org")
    other_clerk = await make_staff(db, other, Role.CLERK)
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    item_url = f"/{tribunal.slug}/staff/feedback/{item.id}"

    for person in (other_clerk, adjudicator):
        await as_user(client, person)
        assert (await client.get(f"/{tribunal.slug}/staff/feedback")).status_code == 404
        assert (await client.get(item_url)).status_code == 404
        token = await csrf_token(client)
        for action in ("answer", "handled"):
            response = await client.post(
                f"{item_url}/{action}", data={"answer": "Hi", "csrf_token": token}
            )
            assert response.status_code == 404
    # Another tribunal's id, or the platform's, under this tribunal's address is a 404 too.
    await as_user(client, other_clerk)
    assert (await client.get(f"/{other.slug}/staff/feedback/{item.id}")).status_code == 404
    await as_user(client, clerk)
    assert (
        await client.get(f"/{tribunal.slug}/staff/feedback/{platform_item.id}")
    ).status_code == 404
    assert (await client.get(f"/{tribunal.slug}/staff/feedback/{uuid.uuid4()}")).status_code == 404
    assert await count(db, FeedbackAnswer) == 0
    await db.refresh(item)
    assert item.handled_at is None


async def test_the_workspace_links_the_feedback_for_admins_and_clerks_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    link = f'href="/{tribunal.slug}/staff/feedback"'
    for role, shown in ((Role.ADMIN, True), (Role.CLERK, True), (Role.ADJUDICATOR, False)):
        await as_user(client, await make_staff(db, tribunal, role))
        assert (link in (await client.get(f"/{tribunal.slug}/staff")).text) is shown, role
