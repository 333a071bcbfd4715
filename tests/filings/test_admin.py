"""Case types, as a tribunal's administrators manage them, through the ASGI client.

Covered: an admin creates a case type (version 1, a draft asking nothing), builds
its draft without JavaScript (texts; questions and document slots added, edited,
moved and removed, the claimant's and the respondent's alike; the filing deadline and
the fee), a respondent is then asked the response questions, previews it as claimants will
see it, and publishes it. Every change is checked in full: a duplicate key, a
missing French label, a bad pattern, an unknown type, a deadline that does not count
from a date question, or a malformed choice gets 422 with the problems and changes
nothing. A published version is never edited (409): a new draft is made from it,
one at a time, and publishing that retires it, while a filing made on the old
version keeps its questions. Clerks, adjudicators, claimants and other tribunals'
admins get 404 on every page. The pages exist in French.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from filings.casetypes.services import create_case_type
from filings.casetypes.services import response_definition_of as response_definition
from filings.demo import DEMO_CASE_TYPES
from filings.models import CaseType, CaseTypeVersion, FilingStatus, VersionStatus
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import (
    ABOUT_YOU,
    add_respondent,
    as_user,
    code_sent_to,
    csrf_token,
    join,
    post_form,
    sign_in,
    text_of,
)
from tribunals.models import Role, Tribunal

# A form as posted: a value per field, a list for checkboxes.
FormData = Mapping[str, str | list[str]]

DETAILS = {
    "title_en": "Appeal a benefits decision",
    "title_fr": "Faire appel d'une décision sur les prestations",
    "description_en": "For workers who disagree with the board.",
    "description_fr": "Pour les travailleurs en désaccord avec la commission.",
    "eligibility_en": "You can appeal a final decision of the board.",
    "eligibility_fr": "Vous pouvez faire appel d'une décision définitive de la commission.",
}


def question(key: str, kind: str, english: str, french: str, **more: str) -> dict[str, str]:
    return {
        "key": key,
        "type": kind,
        "label_en": english,
        "label_fr": french,
        "required": "yes",
        **more,
    }


DECISION_DATE = question(
    "decision_date", "date", "Date of the decision", "Date de la décision", not_in_future="yes"
)
REASONS = question(
    "reasons", "long_text", "Why do you disagree?", "Pourquoi êtes-vous en désaccord?"
)
EVIDENCE: dict[str, str | list[str]] = {
    "key": "evidence",
    "label_en": "Other evidence",
    "label_fr": "Autres preuves",
    "required": "no",
    "max_files": "10",
    "kinds": ["pdf", "jpeg"],
}


@pytest.fixture
async def claimant_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser, for a claimant filing while the admin edits."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.12", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def post(
    client: httpx.AsyncClient, url: str, data: Mapping[str, str | list[str]] | None = None
) -> httpx.Response:
    """Post a form as a browser does: with the CSRF token of the visitor's pages."""
    return await client.post(url, data={**(data or {}), "csrf_token": await csrf_token(client)})


async def signed_in_admin(client: httpx.AsyncClient, db: AsyncSession) -> Tribunal:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    await sign_in(client, admin.email)
    return tribunal


def list_url(tribunal: Tribunal) -> str:
    return f"/{tribunal.slug}/staff/case-types"


async def create_draft(
    client: httpx.AsyncClient, tribunal: Tribunal, code: str = "benefits-appeal"
) -> str:
    """Create a case type through its page; return its draft's editor address."""
    response = await post(client, f"{list_url(tribunal)}/new", {"code": code, **DETAILS})
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def build(client: httpx.AsyncClient, editor: str) -> None:
    """Give a draft a date question, a long text question and an optional document slot."""
    for data in (DECISION_DATE, REASONS):
        response = await post(client, f"{editor}/add-question", data)
        assert response.status_code == 303, response.text
    response = await post(client, f"{editor}/add-slot", EVIDENCE)
    assert response.status_code == 303, response.text


def version_id(editor: str) -> uuid.UUID:
    return uuid.UUID(editor.rsplit("/", 1)[1])


async def stored(db: AsyncSession, version: uuid.UUID | str) -> CaseTypeVersion:
    """Return a version as the database holds it now."""
    found = (
        await db.execute(
            select(CaseTypeVersion)
            .where(CaseTypeVersion.id == uuid.UUID(str(version)))
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    await db.commit()  # release the savepoint before the next request opens its own
    return found


def keys(version: CaseTypeVersion, list_name: str = "questions") -> list[str]:
    return [item["key"] for item in version.definition[list_name]]


# -- creating and editing ---------------------------------------------------------------------


async def test_an_admin_creates_a_case_type_as_an_empty_draft(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    workspace = await client.get(f"/{tribunal.slug}/staff")
    assert f'href="{list_url(tribunal)}"' in workspace.text
    empty = await client.get(list_url(tribunal))
    assert empty.status_code == 200
    assert "There are no case types yet." in empty.text
    assert "Create a case type" in empty.text

    editor = await create_draft(client, tribunal)
    version = await stored(db, version_id(editor))
    assert (version.number, version.status) == (1, VersionStatus.DRAFT)
    assert version.title_fr == DETAILS["title_fr"]
    assert version.definition == {
        "questions": [],
        "document_slots": [],
        "deadline": None,
        "fee": None,
    }
    page = await client.get(editor)
    assert page.status_code == 200
    assert "No questions yet." in page.text
    listed = text_of(await client.get(list_url(tribunal)))
    assert "benefits-appeal" in listed
    assert "Draft" in listed
    assert f'href="{editor}"' in listed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "Benefits Appeal"}, "The code can hold only lowercase letters"),
        ({"code": "benefits-appeal"}, "This tribunal already has a case type with this code"),
        ({"title_fr": ""}, "Enter the title in French"),
        ({"eligibility_fr": ""}, "Enter the eligibility guidance in French too"),
    ],
)
async def test_a_case_type_needs_a_free_code_and_its_texts_in_both_languages(
    client: httpx.AsyncClient, db: AsyncSession, changes: dict[str, str], message: str
) -> None:
    tribunal = await signed_in_admin(client, db)
    await create_draft(client, tribunal, code="benefits-appeal")
    response = await post(
        client, f"{list_url(tribunal)}/new", {**DETAILS, "code": "other", **changes}
    )
    assert response.status_code == 422
    assert message in text_of(response)
    assert 'value="Appeal a benefits decision"' in response.text  # the input is kept
    count = await db.execute(
        select(func.count()).select_from(CaseType).where(CaseType.tribunal_id == tribunal.id)
    )
    assert count.scalar_one() == 1


async def test_an_admin_builds_a_draft_question_by_question(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    await build(client, editor)
    choices = "entitlement | Entitlement to benefits | Droit aux prestations\r\n\r\n"
    choices += "other | Something else | Autre chose"
    for data in (
        question("issue", "single_choice", "What is it?", "De quoi s'agit-il?", choices=choices),
        question(
            "claim_number", "text", "Claim number", "Numéro de dossier", pattern="[0-9]{8}",
            max_length="8", hint_en="8 digits", hint_fr="8 chiffres", required="no",
        ),
        question("amount", "money", "Amount refused", "Montant refusé", min="10.50"),
    ):  # fmt: skip
        assert (await post(client, f"{editor}/add-question", data)).status_code == 303

    version = await stored(db, version_id(editor))
    assert keys(version) == ["decision_date", "reasons", "issue", "claim_number", "amount"]
    questions = {item["key"]: item for item in version.definition["questions"]}
    assert questions["decision_date"]["validation"] == {"not_in_future": True}
    assert questions["issue"]["choices"][1] == {
        "value": "other",
        "label": {"en": "Something else", "fr": "Autre chose"},
    }
    assert questions["claim_number"]["required"] is False
    assert questions["claim_number"]["hint"] == {"en": "8 digits", "fr": "8 chiffres"}
    assert questions["claim_number"]["validation"] == {"max_length": 8, "pattern": "[0-9]{8}"}
    assert questions["amount"]["validation"] == {"min": 1050}  # cents
    # The edit form shows a question as it was written, the amount in dollars.
    amount_form = await client.get(f"{editor}/questions/amount")
    assert 'value="10.50"' in amount_form.text
    page = text_of(await client.get(editor))
    assert "Claim number" in page
    assert "Matches the pattern [0-9]{8}" in page

    # Reorder: claim_number up twice, then decision_date down once.
    for key, direction in [
        ("claim_number", "up"),
        ("claim_number", "up"),
        ("decision_date", "down"),
    ]:
        moved = await post(client, f"{editor}/questions/{key}/move", {"direction": direction})
        assert moved.status_code == 303
    removed = await post(client, f"{editor}/questions/amount/remove")
    assert removed.status_code == 303
    version = await stored(db, version_id(editor))
    assert keys(version) == ["claim_number", "decision_date", "reasons", "issue"]

    # The deadline counts from the date; renaming the date's key carries the deadline along.
    deadline = {"has_deadline": "yes", "days": "180", "from_question": "decision_date"}
    assert (await post(client, f"{editor}/deadline", deadline)).status_code == 303
    renamed = await post(
        client,
        f"{editor}/questions/decision_date",
        {**DECISION_DATE, "key": "date_of_decision", "label_en": "When was the decision made?"},
    )
    assert renamed.status_code == 303
    assert (await post(client, f"{editor}/fee", {"fee_applies": "yes"})).status_code == 303
    details = await post(client, f"{editor}/details", {**DETAILS, "title_en": "Appeal to us"})
    assert details.status_code == 303

    # Slots: a second one, edited, moved first; then the first removed.
    decision_slot = {**EVIDENCE, "key": "decision", "label_en": "The decision", "max_files": "1"}
    assert (await post(client, f"{editor}/add-slot", decision_slot)).status_code == 303
    edited = {**decision_slot, "required": "yes", "kinds": ["pdf"]}
    assert (await post(client, f"{editor}/slots/decision", edited)).status_code == 303
    assert (
        await post(client, f"{editor}/slots/decision/move", {"direction": "up"})
    ).status_code == 303
    version = await stored(db, version_id(editor))
    assert keys(version, "document_slots") == ["decision", "evidence"]
    assert (await post(client, f"{editor}/slots/evidence/remove")).status_code == 303

    version = await stored(db, version_id(editor))
    assert version.title_en == "Appeal to us"
    assert keys(version)[1] == "date_of_decision"
    assert version.definition["deadline"] == {"days": 180, "from_question": "date_of_decision"}
    assert version.definition["fee"] == {"applies": True}
    assert version.definition["document_slots"] == [
        {
            "key": "decision",
            "label": {"en": "The decision", "fr": "Autres preuves"},
            "required": True,
            "max_files": 1,
            "kinds": ["pdf"],
        }
    ]
    page = text_of(await client.get(editor))
    assert "Within 180 days of “When was the decision made?”" in page
    assert "Other evidence" not in page


async def test_a_question_or_slot_that_is_not_there_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    assert (await client.get(f"{editor}/questions/nothing")).status_code == 404
    assert (await post(client, f"{editor}/slots/nothing/remove")).status_code == 404
    assert (await client.get(f"{list_url(tribunal)}/versions/not-an-id")).status_code == 404


# -- wrong changes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "messages"),
    [
        (
            "add-question",
            question("decision_date", "text", "Again", "Encore"),
            ['the key "decision_date" is already used by Question 1'],
        ),
        (
            "add-question",
            question("claim_number", "text", "Claim number", ""),
            ['Question 3 ("claim_number"): the French label is missing'],
        ),
        (
            "add-question",
            question("claim_number", "text", "Claim number", "Numéro", pattern="[0-9"),
            ["The pattern is not a valid regular expression (unterminated character set"],
        ),
        (
            "add-question",
            question("claim_number", "text", "Claim number", "Numéro", pattern="(a)\\1"),
            ["Patterns cannot refer back to a group (like \\1 or (?P=name))"],
        ),
        (
            "add-question",
            question("claim_number", "essay", "Claim number", "Numéro"),
            ['the type "essay" is not one of: text, long_text, date'],
        ),
        (
            "add-question",
            question("issue", "single_choice", "Issue", "Objet", choices="only | Only"),
            ["Write each choice on its own line as: value | English | Français (line 1 is not)"],
        ),
        (
            "add-question",
            question("issue", "single_choice", "Issue", "Objet", choices="only | Only | Seul"),
            ["a single_choice question needs at least 2 choices"],
        ),
        (
            "questions/decision_date",
            question("decision_date", "text", "Date of the decision", "Date de la décision"),
            [
                'The deadline: it counts from "decision_date", which is a text question, '
                "not a date question"
            ],
        ),
        (
            "deadline",
            {"has_deadline": "yes", "days": "30", "from_question": "reasons"},
            ['it counts from "reasons", which is a long_text question, not a date question'],
        ),
        (
            "questions/decision_date/remove",
            {},
            ['The deadline: it counts from "decision_date", which is not a question here'],
        ),
        (
            "add-slot",
            {**EVIDENCE, "key": "evidence"},
            ['the key "evidence" is already used by Document slot 1'],
        ),
        (
            "add-slot",
            {**EVIDENCE, "key": "decision", "kinds": ["pdf", "exe"]},
            ['unknown kinds of file: "exe"'],
        ),
        ("add-slot", {**EVIDENCE, "key": "decision", "max_files": "0"}, ['"max_files" must be']),
    ],
)
async def test_a_wrong_change_is_refused_with_its_problems_and_changes_nothing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    path: str,
    data: dict[str, Any],
    messages: list[str],
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    await build(client, editor)
    deadline = {"has_deadline": "yes", "days": "30", "from_question": "decision_date"}
    assert (await post(client, f"{editor}/deadline", deadline)).status_code == 303
    before = (await stored(db, version_id(editor))).definition

    response = await post(client, f"{editor}/{path}", data)
    assert response.status_code == 422
    text = text_of(response)
    assert "There is a problem" in text
    for message in messages:
        assert message in text
    assert (await stored(db, version_id(editor))).definition == before


async def test_a_deadline_needs_a_date_question_to_count_from(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    assert (await post(client, f"{editor}/add-question", REASONS)).status_code == 303
    page = await client.get(f"{editor}/deadline")
    assert "This case type has no date question yet." in page.text
    response = await post(client, f"{editor}/deadline", {"has_deadline": "yes", "days": "30"})
    assert response.status_code == 422
    assert "Select the date the deadline counts from" in response.text
    assert (await stored(db, version_id(editor))).definition["deadline"] is None


# -- preview and publish ----------------------------------------------------------------------


async def test_the_preview_shows_the_claimants_pages_with_nothing_to_send(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    await build(client, editor)
    response = await client.get(f"{editor}/preview")
    assert response.status_code == 200
    text = text_of(response)
    assert "Preview" in text
    main = text.split('<main class="govuk-main-wrapper" id="main-content">', 1)[1]
    main = main.split("</main>", 1)[0]
    assert "<form" not in main
    # The questions as the journey draws them, the date's fields included.
    assert 'id="q-decision_date-month"' in main
    assert "Why do you disagree?" in main
    assert "Other evidence" in main
    assert "Accepted: PDF or JPEG image. Up to 10 files. Optional." in main
    assert DETAILS["eligibility_en"] in main

    switched = await post(client, "/language", {"language": "fr", "next": "/"})
    assert switched.status_code == 303
    french = text_of(await client.get(f"{editor}/preview"))
    assert "Date de la décision" in french
    assert "Aperçu" in french


async def test_publishing_a_draft_offers_it_to_claimants(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)

    # Nothing to file yet: the page says so and publishing is refused.
    empty = await client.get(f"{editor}/publish")
    assert "Add at least one question or document slot before you publish" in empty.text
    assert (await post(client, f"{editor}/publish")).status_code == 422
    assert (await stored(db, version_id(editor))).status is VersionStatus.DRAFT

    await build(client, editor)
    confirm = await client.get(f"{editor}/publish")
    assert confirm.status_code == 200
    assert "Publish version 1?" in confirm.text
    published = await post(client, f"{editor}/publish")
    assert published.status_code == 303
    listing = text_of(await client.get(published.headers["location"]))
    assert f"Version 1 of “{DETAILS['title_en']}” is published." in listing
    version = await stored(db, version_id(editor))
    assert version.status is VersionStatus.PUBLISHED
    assert version.published_at is not None
    offered = await client.get(f"/{tribunal.slug}/file")
    assert DETAILS["title_en"] in text_of(offered)


async def test_a_published_version_is_never_edited_and_has_one_draft_at_a_time(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    await build(client, editor)
    assert (await post(client, f"{editor}/publish")).status_code == 303
    before = (await stored(db, version_id(editor))).definition

    page = await client.get(editor)
    assert page.status_code == 409
    assert "This version cannot be changed" in page.text
    changes: list[tuple[str, FormData]] = [
        ("add-question", question("claim_number", "text", "Claim number", "Numéro")),
        ("questions/reasons/remove", {}),
        ("fee", {"fee_applies": "yes"}),
        ("details", {**DETAILS, "title_en": "Changed"}),
        ("publish", {}),
    ]
    for path, data in changes:
        response = await post(client, f"{editor}/{path}", data)
        assert response.status_code == 409, path
    version = await stored(db, version_id(editor))
    assert version.definition == before
    assert version.title_en == DETAILS["title_en"]

    made = await post(client, f"{editor}/new-draft")
    assert made.status_code == 303
    draft = await stored(db, version_id(made.headers["location"]))
    assert (draft.number, draft.status) == (2, VersionStatus.DRAFT)
    assert draft.definition == before
    again = await post(client, f"{editor}/new-draft")
    assert again.status_code == 409
    assert "This case type has a draft already, version 2." in text_of(again)
    count = await db.execute(
        select(func.count())
        .select_from(CaseTypeVersion)
        .where(CaseTypeVersion.tribunal_id == tribunal.id)
    )
    assert count.scalar_one() == 2


async def test_editing_a_version_keeps_the_respondents_questions(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Changing the claimant's part of a draft keeps its response section as it was."""
    tribunal = await signed_in_admin(client, db)
    demo = DEMO_CASE_TYPES["wcat"][0]
    published = await create_case_type(db, tribunal, **demo, publish=True)
    await db.commit()
    response_section = demo["definition"]["response"]
    editor = f"{list_url(tribunal)}/versions/{published.id}"

    made = await post(client, f"{editor}/new-draft")
    assert made.status_code == 303
    draft_editor = made.headers["location"]
    first = keys(await stored(db, version_id(draft_editor)))[0]
    changes: list[tuple[str, FormData]] = [
        ("add-question", question("extra", "text", "Anything else?", "Autre chose?")),
        (f"questions/{first}/move", {"direction": "down"}),
        ("questions/extra/remove", {}),
        ("fee", {"fee_applies": "yes"}),
        ("details", {**DETAILS, "title_en": "Changed"}),
    ]
    for path, data in changes:
        response = await post(client, f"{draft_editor}/{path}", data)
        assert response.status_code == 303, (path, response.text)
        draft = await stored(db, version_id(draft_editor))
        assert draft.definition["response"] == response_section, path
    assert draft.definition["fee"] == {"applies": True}
    assert keys(draft)[1] == first
    respondents_questions = response_definition(draft).questions
    assert [q.key for q in respondents_questions] == ["agrees", "reasons"]

    assert (await post(client, f"{draft_editor}/publish")).status_code == 303
    version_2 = await stored(db, version_id(draft_editor))
    assert version_2.status is VersionStatus.PUBLISHED
    assert version_2.definition["response"] == response_section


async def start_filing(client: httpx.AsyncClient, tribunal: Tribunal, version: uuid.UUID) -> str:
    """Start a filing and answer every step up to the documents; return its address."""
    page = f"/{tribunal.slug}/file/{version}"
    started = await post_form(client, page, {}, page=page)
    assert started.status_code == 303
    base = started.headers["location"].rsplit("/", 1)[0]
    decided = date.today() - timedelta(days=10)
    for step, data in [
        ("eligibility", {"eligible": "yes"}),
        ("about_you", ABOUT_YOU),
        ("representative", {"has_representative": "no"}),
        ("accessibility", {"needs_interpreter": "no", "sign_language": "none"}),
        (
            "questions",
            {
                "q-decision_date-day": str(decided.day),
                "q-decision_date-month": str(decided.month),
                "q-decision_date-year": str(decided.year),
                "q-reasons": "The board ignored my doctor's report.",
            },
        ),
        ("documents", {}),
    ]:
        response = await post(client, f"{base}/{step}", data)
        assert response.status_code == 303, (step, response.text)
    return str(base)


async def test_publishing_v2_retires_v1_and_filings_made_on_v1_keep_its_questions(
    client: httpx.AsyncClient, claimant_client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    await build(client, editor)
    assert (await post(client, f"{editor}/publish")).status_code == 303
    v1 = version_id(editor)

    claimant = await make_user(db)
    await sign_in(claimant_client, claimant.email)
    filed = await start_filing(claimant_client, tribunal, v1)
    declared = await post(claimant_client, f"{filed}/declaration", {"declared": "yes"})
    assert declared.status_code == 303
    case_page = f"/{tribunal.slug}/cases/{filed.rsplit('/', 1)[1]}"
    unfinished = await start_filing(claimant_client, tribunal, v1)

    # Version 2 asks "reasons" differently and adds a question.
    made = await post(client, f"{editor}/new-draft")
    v2_editor = made.headers["location"]
    changed = {
        **REASONS,
        "label_en": "What went wrong?",
        "label_fr": "Qu'est-ce qui n'a pas marché?",
    }
    assert (await post(client, f"{v2_editor}/questions/reasons", changed)).status_code == 303
    extra = question("claim_number", "text", "Board claim number", "Numéro de dossier")
    assert (await post(client, f"{v2_editor}/add-question", extra)).status_code == 303
    assert (await post(client, f"{v2_editor}/publish")).status_code == 303

    assert (await stored(db, v1)).status is VersionStatus.RETIRED
    assert (await stored(db, version_id(v2_editor))).status is VersionStatus.PUBLISHED
    listing = text_of(await client.get(list_url(tribunal)))
    assert "Retired" in listing
    assert "Published" in listing

    # The case filed on v1, and the draft on v1, still show v1's questions.
    case = text_of(await claimant_client.get(case_page))
    assert "Why do you disagree?" in case
    assert "What went wrong?" not in case
    check = text_of(await claimant_client.get(f"{unfinished}/check"))
    assert "Why do you disagree?" in check
    assert "What went wrong?" not in check
    questions = text_of(await claimant_client.get(f"{unfinished}/questions"))
    assert "Board claim number" not in questions
    # New filings get v2; v1 is no longer offered.
    assert (await claimant_client.get(f"/{tribunal.slug}/file/{v1}")).status_code == 404
    new = await post_form(
        claimant_client,
        f"/{tribunal.slug}/file/{version_id(v2_editor)}",
        {},
        page=f"/{tribunal.slug}/file/{version_id(v2_editor)}",
    )
    new_questions = new.headers["location"].replace("/eligibility", "/questions")
    assert "Board claim number" in text_of(await claimant_client.get(new_questions))


# -- who may see the pages --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clerk", "adjudicator", "claimant", "another tribunal's admin"])
async def test_only_the_tribunals_admins_reach_the_case_type_pages(
    client: httpx.AsyncClient, db: AsyncSession, who: str
) -> None:
    tribunal = await make_tribunal(db)
    definition = {
        "questions": [
            {"key": "reasons", "type": "long_text", "label": {"en": "Why?", "fr": "Pourquoi?"}},
            {"key": "details", "type": "text", "label": {"en": "What?", "fr": "Quoi?"}},
        ],
        "document_slots": [{"key": "evidence", "label": {"en": "Evidence", "fr": "Preuves"}}],
        "deadline": None,
        "fee": None,
        "response": {
            "questions": [
                {"key": "agrees", "type": "yes_no", "label": {"en": "Agree?", "fr": "D'accord?"}},
                {"key": "reasons", "type": "long_text", "label": {"en": "Why?", "fr": "Pourquoi?"}},
            ],
            "document_slots": [{"key": "reply", "label": {"en": "Reply", "fr": "Réplique"}}],
        },
    }
    published = await create_case_type(
        db, tribunal, code="published", title_en="P", title_fr="P", definition=definition,
        publish=True,
    )  # fmt: skip
    draft = await create_case_type(
        db, tribunal, code="draft", title_en="D", title_fr="D", definition=definition
    )
    await db.commit()
    if who == "claimant":
        person = await make_user(db)
    elif who == "another tribunal's admin":
        person = await make_staff(db, await make_tribunal(db), Role.ADMIN)
    else:
        person = await make_staff(db, tribunal, Role(who))
    await sign_in(client, person.email)

    base = list_url(tribunal)
    pages = [base, f"{base}/new"]
    posts: list[tuple[str, FormData]] = [(f"{base}/new", {"code": "x", **DETAILS})]
    for version in (published, draft):
        editor = f"{base}/versions/{version.id}"
        pages += [
            editor,
            *(f"{editor}/{tail}" for tail in ("details", "add-question", "questions/reasons")),
            *(f"{editor}/{tail}" for tail in ("add-slot", "slots/evidence", "deadline", "fee")),
            *(f"{editor}/response/{tail}" for tail in ("add-question", "questions/reasons")),
            *(f"{editor}/response/{tail}" for tail in ("add-slot", "slots/reply")),
            f"{editor}/preview",
            f"{editor}/publish",
        ]
        posts += [
            (f"{editor}/details", DETAILS),
            (f"{editor}/add-question", question("claim", "text", "Claim", "Dossier")),
            (f"{editor}/questions/reasons", REASONS),
            (f"{editor}/questions/reasons/move", {"direction": "down"}),
            (f"{editor}/questions/reasons/remove", {}),
            (f"{editor}/add-slot", {**EVIDENCE, "key": "decision"}),
            (f"{editor}/slots/evidence", EVIDENCE),
            (f"{editor}/slots/evidence/move", {"direction": "down"}),
            (f"{editor}/slots/evidence/remove", {}),
            (f"{editor}/response/add-question", question("claim", "text", "Claim", "Dossier")),
            (f"{editor}/response/questions/reasons", REASONS),
            (f"{editor}/response/questions/reasons/move", {"direction": "up"}),
            (f"{editor}/response/questions/reasons/remove", {}),
            (f"{editor}/response/add-slot", {**EVIDENCE, "key": "decision"}),
            (f"{editor}/response/slots/reply", {**EVIDENCE, "key": "reply"}),
            (f"{editor}/response/slots/reply/move", {"direction": "up"}),
            (f"{editor}/response/slots/reply/remove", {}),
            (f"{editor}/deadline", {"has_deadline": "no"}),
            (f"{editor}/fee", {"fee_applies": "yes"}),
            (f"{editor}/publish", {}),
            (f"{editor}/new-draft", {}),
        ]
    for url in pages:
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.text
    for url, data in posts:
        assert (await post(client, url, data)).status_code == 404, url

    rows = await db.execute(
        select(CaseTypeVersion.number, CaseTypeVersion.status, CaseTypeVersion.definition)
        .where(CaseTypeVersion.tribunal_id == tribunal.id)
        .order_by(CaseTypeVersion.title_en)
    )
    assert [tuple(row) for row in rows] == [
        (1, VersionStatus.DRAFT, definition),
        (1, VersionStatus.PUBLISHED, definition),
    ]
    count = await db.execute(
        select(func.count()).select_from(CaseType).where(CaseType.tribunal_id == tribunal.id)
    )
    assert count.scalar_one() == 2


# -- French -----------------------------------------------------------------------------------


async def test_the_pages_are_in_french_for_a_french_speaking_admin(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN, language="fr")
    await sign_in(client, admin.email)
    editor = await create_draft(client, tribunal)
    page = text_of(await client.get(editor))
    assert '<html lang="fr"' in page
    assert "Ajouter une question" in page
    wrong = await post(client, f"{editor}/add-question", question("x", "text", "X", ""))
    assert wrong.status_code == 422
    text = text_of(wrong)
    assert "Il y a un problème" in text
    # The definition's problems are for administrators, in English, and say so.
    assert re.search(r'<li lang="en">Question 1 \("x"\): the French label is missing</li>', text)


# -- the response: what respondents answer ---------------------------------------------------

AGREES = question("agrees", "yes_no", "Do you agree with the claim?", "Êtes-vous d'accord?")
POSITION = question("position", "long_text", "Your position", "Votre position")
REPLY_EVIDENCE: dict[str, str | list[str]] = {
    **EVIDENCE,
    "key": "reply_evidence",
    "label_en": "Your evidence",
    "label_fr": "Vos preuves",
}


def response_keys(version: CaseTypeVersion, list_name: str = "questions") -> list[str]:
    return [item["key"] for item in version.definition["response"][list_name]]


async def build_response(client: httpx.AsyncClient, editor: str) -> None:
    """Give a draft's response two questions and a document slot."""
    steps: list[tuple[str, FormData]] = [
        ("response/add-question", AGREES),
        ("response/add-question", POSITION),
        ("response/add-slot", REPLY_EVIDENCE),
    ]
    for path, data in steps:
        response = await post(client, f"{editor}/{path}", data)
        assert response.status_code == 303, (path, response.text)


async def test_an_admin_builds_the_response_that_respondents_then_see(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    await build(client, editor)
    page = text_of(await client.get(editor))
    assert "Questions for the respondent" in page
    assert "No questions for the respondent yet." in page
    assert f'href="{editor}/response/add-question"' in page
    assert f'href="{editor}/response/add-slot"' in page
    form = text_of(await client.get(f"{editor}/response/add-question"))
    assert "Add a question for the respondent" in form
    assert "Must the respondent answer it?" in form

    await build_response(client, editor)
    extra = {**REPLY_EVIDENCE, "key": "extra", "label_en": "Extra", "label_fr": "Extra"}
    assert (await post(client, f"{editor}/response/add-slot", extra)).status_code == 303
    edited = await post(
        client,
        f"{editor}/response/questions/position",
        {**POSITION, "label_en": "Tell us your side of the story", "required": "no"},
    )
    assert edited.status_code == 303
    moved = await post(client, f"{editor}/response/questions/position/move", {"direction": "up"})
    assert moved.status_code == 303
    assert moved.headers["location"].endswith("#response-questions")
    removed = await post(client, f"{editor}/response/slots/extra/remove")
    assert removed.status_code == 303
    assert removed.headers["location"].endswith("#response-document-slots")

    version = await stored(db, version_id(editor))
    assert response_keys(version) == ["position", "agrees"]
    assert response_keys(version, "document_slots") == ["reply_evidence"]
    position = version.definition["response"]["questions"][0]
    assert position["label"] == {"en": "Tell us your side of the story", "fr": "Votre position"}
    assert position["required"] is False
    # The claimant's part is untouched.
    assert keys(version) == ["decision_date", "reasons"]
    assert keys(version, "document_slots") == ["evidence"]
    edit_form = text_of(await client.get(f"{editor}/response/questions/position"))
    assert "Edit the question for the respondent" in edit_form
    assert 'value="Tell us your side of the story"' in edit_form
    page = text_of(await client.get(editor))
    assert "Tell us your side of the story" in page
    assert "Documents the respondent can provide" in page
    assert f'action="{editor}/response/questions/agrees/move"' in page
    assert f'action="{editor}/response/slots/reply_evidence/remove"' in page
    preview = text_of(await client.get(f"{editor}/preview"))
    assert "Tell us your side of the story" in preview
    assert "Your evidence" in preview

    assert (await post(client, f"{editor}/publish")).status_code == 303
    published = await stored(db, version_id(editor))
    assert [q.key for q in response_definition(published).questions] == ["position", "agrees"]

    # A respondent to a case of this version is asked the new questions, in that order.
    filing = await make_case(db, tribunal, status=FilingStatus.ACCEPTED, version=published)
    await as_user(client, await make_staff(db, tribunal, Role.CLERK))
    assert (await add_respondent(client, tribunal, filing, "boss@acme.example")).status_code == 303
    code = await code_sent_to(db, "boss@acme.example")
    await as_user(client, await make_user(db))
    assert (await join(client, tribunal, filing.reference or "", code)).status_code == 303
    respond = text_of(await client.get(f"/{tribunal.slug}/cases/{filing.id}/response"))
    assert "Tell us your side of the story" in respond
    assert respond.index("Tell us your side of the story") < respond.index(
        "Do you agree with the claim?"
    )


@pytest.mark.parametrize(
    ("path", "data", "messages"),
    [
        (
            "response/add-question",
            question("extra", "text", "", ""),
            ['In the response: Question 3 ("extra"): the English label is missing'],
        ),
        (
            "response/add-question",
            question("agrees", "text", "Again", "Encore"),
            ['In the response: Question 3 ("agrees"): the key "agrees" is already used'],
        ),
        (
            "response/questions/position",
            {**POSITION, "key": "agrees"},
            ['the key "agrees" is already used by Question 1'],
        ),
        (
            "response/add-question",
            {**AGREES, "key": "extra", "required": ""},
            ["Select yes if an answer is required"],
        ),
        (
            "response/add-slot",
            {**REPLY_EVIDENCE, "label_en": "Again"},
            ['the key "reply_evidence" is already used by Document slot 1'],
        ),
        (
            "response/add-slot",
            {**REPLY_EVIDENCE, "key": "other", "label_en": "", "label_fr": ""},
            ['In the response: Document slot 2 ("other"): the English label is missing'],
        ),
    ],
)
async def test_a_wrong_change_to_the_response_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    path: str,
    data: dict[str, Any],
    messages: list[str],
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    await build(client, editor)
    await build_response(client, editor)
    before = (await stored(db, version_id(editor))).definition

    response = await post(client, f"{editor}/{path}", data)
    assert response.status_code == 422
    text = text_of(response)
    assert "There is a problem" in text
    for message in messages:
        assert message in text
    assert (await stored(db, version_id(editor))).definition == before


async def test_a_wrong_response_change_is_explained_in_french(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN, language="fr")
    await sign_in(client, admin.email)
    editor = await create_draft(client, tribunal)
    await build_response(client, editor)
    before = (await stored(db, version_id(editor))).definition
    page = text_of(await client.get(editor))
    assert "Questions pour l’intimé" in page
    assert "Documents que l’intimé peut fournir" in page

    empty = await post(client, f"{editor}/response/add-question", {**AGREES, "required": ""})
    assert empty.status_code == 422
    text = text_of(empty)
    assert "Il y a un problème" in text
    assert "Sélectionnez oui si une réponse est obligatoire" in text
    duplicate = await post(client, f"{editor}/response/add-question", AGREES)
    assert duplicate.status_code == 422
    assert re.search(r'<li lang="en">In the response: Question 3 \("agrees"\)', text_of(duplicate))
    assert (await stored(db, version_id(editor))).definition == before


async def test_a_missing_response_question_or_slot_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    await build(client, editor)  # the filing's "reasons" and "evidence" are not the response's
    assert (await client.get(f"{editor}/response/questions/reasons")).status_code == 404
    assert (await post(client, f"{editor}/response/questions/reasons/remove")).status_code == 404
    moved = await post(client, f"{editor}/response/slots/evidence/move", {"direction": "up"})
    assert moved.status_code == 404
    assert "response" not in (await stored(db, version_id(editor))).definition


async def test_a_published_versions_response_is_never_edited(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await signed_in_admin(client, db)
    editor = await create_draft(client, tribunal)
    await build(client, editor)
    await build_response(client, editor)
    assert (await post(client, f"{editor}/publish")).status_code == 303
    before = (await stored(db, version_id(editor))).definition

    for tail in ("response/add-question", "response/questions/agrees", "response/add-slot"):
        assert (await client.get(f"{editor}/{tail}")).status_code == 409, tail
    changes: list[tuple[str, FormData]] = [
        ("response/add-question", question("extra", "text", "Extra", "Extra")),
        ("response/questions/agrees", {**AGREES, "label_en": "Changed"}),
        ("response/questions/agrees/move", {"direction": "down"}),
        ("response/questions/agrees/remove", {}),
        ("response/add-slot", {**REPLY_EVIDENCE, "key": "extra"}),
        ("response/slots/reply_evidence", {**REPLY_EVIDENCE, "label_en": "Changed"}),
        ("response/slots/reply_evidence/remove", {}),
    ]
    for path, data in changes:
        response = await post(client, f"{editor}/{path}", data)
        assert response.status_code == 409, path
        assert "This version cannot be changed" in response.text
    assert (await stored(db, version_id(editor))).definition == before
