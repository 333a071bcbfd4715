"""An administrator gives a draft case type questions and documents for the respondent.

Covered in the browser, with axe-core on every page: the draft's editor with its "Response"
part, the page to add a question for the respondent (sent empty first: the error summary
says what is missing), then filled in; the page to add a document slot for the respondent;
the editor listing both; the preview showing the respondent's part.

The draft is made for this test (a new case type, never published), so claimants and the
other journeys, which see published versions only, never meet it.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from accounts.models import User
from filings.casetypes import services as casetype_services
from tests.browser.conftest import Checker, LiveServer
from tests.browser.test_filing_journey import heading, live_database, sign_in_here
from tests.factories import unique
from tests.factories.tribunals import make_staff
from tribunals.models import Role
from tribunals.services import tribunal_by_slug

pytestmark = pytest.mark.browser


async def a_draft_and_its_admin(live_server: LiveServer) -> tuple[str, User]:
    """A new admin of the WCAT, and a draft case type with one question for the claimant."""
    async with live_database(live_server) as db:
        tribunal = await tribunal_by_slug(db, "wcat")
        assert tribunal is not None
        admin = await make_staff(
            db, tribunal, Role.ADMIN, name="Ada Admin", email=f"{unique('admin-')}@example.org"
        )
        version = await casetype_services.create_case_type(
            db,
            tribunal,
            code=unique("response").replace("-", "_")[:30],
            title_en="Complaint about an employer",
            title_fr="Plainte contre un employeur",
            definition={
                "questions": [
                    {
                        "key": "employer",
                        "type": "text",
                        "label": {"en": "Employer's name", "fr": "Nom de l’employeur"},
                        "required": True,
                    }
                ],
                "document_slots": [],
            },
        )
        await db.commit()
        return f"/wcat/staff/case-types/versions/{version.id}", admin


async def test_an_admin_adds_the_respondents_question_and_document(
    page: Page, live_server: LiveServer, check_accessibility: Checker
) -> None:
    check = check_accessibility
    editor, admin = await a_draft_and_its_admin(live_server)
    await page.goto(editor)
    await sign_in_here(page, "en", admin, check)
    await heading(page, "Edit the draft Draft", check, "editor")
    response_questions = page.locator("#response-questions")
    await expect(response_questions).to_have_text("Questions for the respondent")

    # An empty question: the error summary lists what the definition lacks; nothing saved.
    await page.get_by_role("link", name="Add a question for the respondent").click()
    await heading(page, "Add a question for the respondent", check)
    await page.get_by_role("button", name="Save the question").click()
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("There is a problem")
    await check(page, "errors")
    await expect(page).to_have_title(re.compile(r"^Error: "))
    await expect(summary).to_contain_text("In the response: Question 1")
    await expect(summary).to_contain_text("the English label is missing")

    await page.get_by_label("Key", exact=True).fill("agrees")
    await page.get_by_role("group", name="Type of question").get_by_label("Yes or no").check()
    await page.get_by_label("Question in English").fill("Do you agree with the claim?")
    await page.get_by_label("Question in French").fill("Êtes-vous d’accord avec la demande?")
    must_answer = page.get_by_role("group", name="Must the respondent answer it?")
    await must_answer.get_by_label("Yes").check()
    await page.get_by_role("button", name="Save the question").click()
    await heading(page, "Edit the draft Draft", check)
    await expect(page).to_have_url(re.compile(rf"{editor}$"))
    await expect(page.locator("main")).to_contain_text("Do you agree with the claim?")

    await page.get_by_role("link", name="Add a document slot for the respondent").click()
    await heading(page, "Add a document slot for the respondent", check)
    await page.get_by_label("Key", exact=True).fill("payroll")
    await page.get_by_label("Name of the document in English").fill("Payroll records")
    await page.get_by_label("Name of the document in French").fill("Registres de paie")
    upload = page.get_by_role("group", name="Must the respondent upload a file here?")
    await upload.get_by_label("No").check()
    await page.get_by_role("button", name=re.compile("^Save")).click()
    await heading(page, "Edit the draft Draft", check, "with the response")
    await expect(page.locator("main")).to_contain_text("Payroll records")

    await page.goto(f"{editor}/preview")
    main = page.locator("main")
    await expect(main.get_by_role("heading", name="Respond to the case")).to_be_visible()
    await expect(main).to_contain_text("Do you agree with the claim?")
    await expect(main).to_contain_text("Payroll records")
    await check(page, "preview")
