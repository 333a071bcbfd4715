"""A claimant files an appeal online, in English and in French, in a real browser.

Covered: the WCAT page's "File online", the choice of case type and "Before
you start", which asks a visitor to sign in (a real sign-in through the page)
and comes back; every step of the journey; the accessibility step done with
the keyboard alone (Tab, arrow keys, Space, typing, Enter) with focus checked
at each point; the case questions submitted empty, answered with the error
summary whose date link puts focus on the day field; a real PDF uploaded and
listed; "Check your answers" with a Change link that comes back to it; the
declaration, the confirmation panel with the case reference, "My cases", the
case page, the download (the same bytes as uploaded) and a document added
after filing, shown on the timeline. Also: a draft stopped half way resumes
from "My cases" at the first unanswered step, and an upload works without
JavaScript (a plain form post). axe-core checks every page on the way.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from playwright.async_api import Browser, Locator, Page, expect
from pypdf import PdfWriter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.casetypes.answers import read_answers
from filings.casetypes.parsing import parse_definition
from filings.demo import DEMO_CASE_TYPES
from filings.journey import services as journey_services
from filings.models import CaseType, CaseTypeVersion, VersionStatus
from tests.browser.conftest import (
    LANGUAGES,
    RESULTS_DIR,
    Checker,
    LiveServer,
    expect_language,
    new_context,
    open_page,
    switch_language,
)
from tests.browser.test_keyboard_journey import focused, tab
from tests.factories import unique
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import translate
from tribunals.services import tribunal_by_slug
from tribune import i18n
from tribune.db import create_engine
from tribune.forms import Form

pytestmark = pytest.mark.browser

APPEAL = DEMO_CASE_TYPES["wcat"][0]  # "Appeal a decision about compensation benefits"
QUESTIONS = {q["key"]: q for q in APPEAL["definition"]["questions"]}
SLOTS = {slot["key"]: slot for slot in APPEAL["definition"]["document_slots"]}
CLAIM_NUMBER = "12345678"
INTERPRETER_LANGUAGE = {"en": "Spanish", "fr": "Espagnol"}
REFERENCE = re.compile(r"^WCAT-\d{4}-\d{6}$")


def bilingual(text: dict[str, str], language: str) -> str:
    return text[language]


def write_pdf(path: Path, title: str) -> bytes:
    """Write a real one-page PDF (its title makes each file's bytes differ); return its bytes."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title})
    with path.open("wb") as file:
        writer.write(file)
    return path.read_bytes()


@contextlib.asynccontextmanager
async def live_database(live_server: LiveServer) -> AsyncIterator[AsyncSession]:
    """A session on the live server's own database, for set-up that saves a page or two."""
    engine = create_engine(live_server.database_url, **live_server.engine_options)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            yield db
    finally:
        await engine.dispose()


async def make_claimant(live_server: LiveServer, language: str) -> User:
    """A confirmed account whose saved language is the journey's."""
    async with live_database(live_server) as db:
        return await make_user(
            db,
            email=f"{unique('claimant-')}@example.org",
            name="Camille Claimant",
            language=language,
        )


async def sign_in_here(page: Page, language: str, user: User, check: Checker) -> None:
    """Fill in the sign-in page the browser is on, and press the button."""
    await expect(page.get_by_role("heading", level=1)).to_have_text(translate(language, "Sign in"))
    await check(page)
    await page.get_by_label(translate(language, "Email address")).fill(user.email)
    await page.get_by_label(translate(language, "Password"), exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=translate(language, "Sign in")).click()


async def heading(page: Page, text: str, check: Checker, state: str = "") -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(text)
    await check(page, state)


async def save_and_continue(page: Page, language: str) -> None:
    await page.get_by_role("button", name=translate(language, "Save and continue")).click()


def radio_group(page: Page, legend: str) -> Locator:
    return page.get_by_role("group", name=legend)


async def open_the_appeal(page: Page, language: str, check: Checker) -> None:
    """From the WCAT page, press "File online" and pick the appeal: "Before you start"."""
    await page.goto("/wcat/")
    await check(page)
    if language != "en":
        await switch_language(page, language, check)
    await page.get_by_role("link", name=translate(language, "File online")).click()
    await heading(page, translate(language, "What do you want to file?"), check)
    await page.get_by_role("link", name=APPEAL[f"title_{language}"]).click()
    await heading(page, APPEAL[f"title_{language}"], check)
    await expect(page.get_by_role("heading", level=2).first).to_have_text(
        translate(language, "Before you start")
    )
    # What you will need names the case type's document slots.
    await expect(page.get_by_role("main").get_by_role("listitem")).to_contain_text(
        [bilingual(SLOTS["decision"]["label"], language)]
    )


async def answer_eligibility_about_you_and_representative(
    page: Page, language: str, check: Checker
) -> None:
    await heading(page, translate(language, "Can you file this case?"), check)
    legend = translate(language, "From what you have read, can you file this case?")
    await radio_group(page, legend).get_by_label(translate(language, "Yes")).check()
    await save_and_continue(page, language)

    await heading(page, translate(language, "About you"), check)
    # The account's name, email and language are proposed.
    await expect(page.get_by_label(translate(language, "Full name"))).to_have_value(
        "Camille Claimant"
    )
    await expect(page.get_by_label(i18n.LANGUAGE_NAMES[language], exact=True).first).to_be_checked()
    await page.get_by_label(translate(language, "Address line 1"), exact=True).fill("12 Main St")
    await page.get_by_label(translate(language, "Town or city")).fill("Sudbury")
    await page.get_by_label(translate(language, "Province or territory")).select_option("ON")
    await page.get_by_label(translate(language, "Postal code")).fill("p3a 1b2")
    await page.get_by_label(translate(language, "By email")).check()
    await save_and_continue(page, language)

    await heading(page, translate(language, "Your representative"), check)
    legend = translate(language, "Does someone represent you?")
    await radio_group(page, legend).get_by_label(translate(language, "No")).check()
    await save_and_continue(page, language)


async def answer_accessibility_with_the_keyboard(page: Page, language: str, check: Checker) -> None:
    """Skip link, then Tab through the form; arrows choose a radio, Space ticks one."""
    await heading(page, translate(language, "Accessibility and accommodation"), check)
    skip_link = await tab(page)
    assert skip_link["text"] == translate(language, "Skip to main content")
    await page.keyboard.press("Enter")

    interpreter = await tab(page)
    assert (interpreter["id"], interpreter["checked"]) == ("needs_interpreter", "false")
    await page.keyboard.press("ArrowRight")  # moves to "No" and chooses it
    assert (await focused(page))["id"] == "needs_interpreter-2"
    await expect(page.locator("#needs_interpreter-2")).to_be_checked()
    await page.keyboard.press("ArrowLeft")  # back to "Yes"
    assert await focused(page) == {**interpreter, "checked": "true"}
    await expect(page.locator("#needs_interpreter-2")).not_to_be_checked()

    assert (await tab(page))["id"] == "interpreter_language"
    # Typing a name in a list chooses it.
    await page.keyboard.type(INTERPRETER_LANGUAGE[language])
    await expect(page.locator("#interpreter_language")).to_have_value("es")
    assert (await tab(page))["id"] == "interpreter_language_other"  # left empty
    sign_language = await tab(page)
    assert (sign_language["id"], sign_language["checked"]) == ("sign_language", "false")
    await page.keyboard.press("Space")  # the first choice: no sign language
    assert (await focused(page))["checked"] == "true"
    assert (await tab(page))["id"] == "other_needs"
    await page.keyboard.type("A short break every hour")
    button = await tab(page)
    assert (button["tag"], button["text"]) == ("button", translate(language, "Save and continue"))
    await page.keyboard.press("Enter")


async def empty_question_errors(language: str) -> dict[str, str]:
    """The messages the questions engine gives for an empty form, in the language."""
    definition = parse_definition(APPEAL["definition"])
    form = Form({})
    with i18n.use_language(language):
        await read_answers(definition, form, today=date.today())
    return form.errors


async def answer_questions_after_an_empty_try(page: Page, language: str, check: Checker) -> None:
    await heading(page, translate(language, "About your case"), check)
    await save_and_continue(page, language)

    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_focused()
    await expect(summary.get_by_role("heading")).to_have_text(
        translate(language, "There is a problem")
    )
    errors = await empty_question_errors(language)
    assert list(errors) == [f"q-{key}" for key in QUESTIONS]  # every question is required
    await expect(summary.get_by_role("link")).to_have_text(list(errors.values()))
    await check(page, "errors shown")
    await summary.get_by_role("link", name=errors["q-decision_date"]).click()
    day_label = translate(language, "Day")
    await expect(page.get_by_label(day_label)).to_be_focused()  # the date's first field

    decided = date.today() - timedelta(days=10)
    await page.get_by_label(day_label).fill(str(decided.day))
    await page.get_by_label(translate(language, "Month")).fill(str(decided.month))
    await page.get_by_label(translate(language, "Year")).fill(str(decided.year))
    await page.get_by_label(bilingual(QUESTIONS["claim_number"]["label"], language)).fill(
        CLAIM_NUMBER
    )
    loss_of_earnings = QUESTIONS["issue"]["choices"][1]["label"]
    await page.get_by_label(bilingual(loss_of_earnings, language)).check()
    await page.get_by_label(bilingual(QUESTIONS["reasons"]["label"], language)).fill(
        "The board did not consider my doctor's report."
    )
    await save_and_continue(page, language)


async def upload_to(page: Page, language: str, slot: str, path: Path) -> None:
    """Choose a file in a slot's section of the documents page and press its Upload button."""
    section = page.get_by_role("region", name=bilingual(SLOTS[slot]["label"], language))
    await section.locator("input[type=file]").set_input_files(path)
    await section.get_by_role("button", name=translate(language, "Upload"), exact=True).click()


def summary_row(page: Page, label: str) -> Locator:
    return page.locator(".govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key", has_text=re.compile(f"^{re.escape(label)}$"))
    )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_claimant_files_an_appeal_with_a_document(
    page: Page,
    live_server: LiveServer,
    check_accessibility: Checker,
    tmp_path: Path,
    language: str,
) -> None:
    check = check_accessibility
    claimant = await make_claimant(live_server, language)
    decision_pdf = write_pdf(tmp_path / "decision-letter.pdf", f"Decision {language}")
    doctor_pdf = write_pdf(tmp_path / "doctor-report.pdf", f"Report {language}")

    await open_the_appeal(page, language, check)
    await page.get_by_role("button", name=translate(language, "Sign in and start")).click()
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=/wcat/file/"))
    await sign_in_here(page, language, claimant, check)
    await heading(page, APPEAL[f"title_{language}"], check, "signed in")
    await expect_language(page, language)
    await page.get_by_role("button", name=translate(language, "Start now")).click()

    await answer_eligibility_about_you_and_representative(page, language, check)
    await answer_accessibility_with_the_keyboard(page, language, check)
    await answer_questions_after_an_empty_try(page, language, check)

    await heading(page, translate(language, "Upload your documents"), check)
    await page.screenshot(path=RESULTS_DIR / f"filing-documents-{language}.png", full_page=True)
    await upload_to(page, language, "decision", tmp_path / "decision-letter.pdf")
    await expect(page).to_have_url(re.compile(r"/documents\?uploaded=1$"))
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        translate(language, "Your file was uploaded")
    )
    decision_section = page.get_by_role(
        "region", name=bilingual(SLOTS["decision"]["label"], language)
    )
    await expect(decision_section.get_by_role("link")).to_have_text(["decision-letter.pdf"])
    await check(page, "uploaded")
    await page.screenshot(
        path=RESULTS_DIR / f"filing-documents-uploaded-{language}.png", full_page=True
    )
    await save_and_continue(page, language)

    await heading(page, translate(language, "Check your answers before you file"), check)
    interpreter_row = summary_row(page, translate(language, "Interpreter"))
    await expect(interpreter_row.locator(".govuk-summary-list__value")).to_have_text(
        INTERPRETER_LANGUAGE[language]
    )
    # An optional answer left empty says so, rather than showing a blank.
    phone_row = summary_row(page, translate(language, "Telephone number"))
    await expect(phone_row.locator(".govuk-summary-list__value")).to_have_text(
        translate(language, "None")
    )
    claim_label = bilingual(QUESTIONS["claim_number"]["label"], language)
    await expect(summary_row(page, claim_label)).to_contain_text(CLAIM_NUMBER)
    await expect(
        summary_row(page, bilingual(SLOTS["decision"]["label"], language))
    ).to_contain_text("decision-letter.pdf")
    await page.screenshot(path=RESULTS_DIR / f"filing-check-{language}.png", full_page=True)

    # A Change link goes to its step, and "Save and continue" comes back here.
    await page.get_by_role("link", name=f"{translate(language, 'Change')} {claim_label}").click()
    await heading(page, translate(language, "About your case"), check, "changing an answer")
    await expect(page.get_by_label(claim_label)).to_have_value(CLAIM_NUMBER)
    await page.get_by_label(claim_label).fill("87654321")
    await save_and_continue(page, language)
    await expect(page).to_have_url(re.compile(r"/check$"))
    await expect(summary_row(page, claim_label)).to_contain_text("87654321")
    await check(page, "after a change")
    await page.get_by_role("link", name=translate(language, "Continue"), exact=True).click()

    await heading(page, translate(language, "Declaration"), check)
    await page.get_by_label(
        translate(
            language,
            "I declare that the information I have given is true and complete "
            "to the best of my knowledge",
        )
    ).check()
    await page.get_by_role("button", name=translate(language, "File your case")).click()

    panel = page.locator(".govuk-panel--confirmation")
    await expect(panel.get_by_role("heading", level=1)).to_have_text(
        translate(language, "Your case has been filed")
    )
    reference = await panel.locator("strong").inner_text()
    assert REFERENCE.match(reference), reference
    await check(page)

    await page.locator("header").get_by_role("link", name=translate(language, "My cases")).click()
    await heading(page, translate(language, "My cases"), check)
    await page.get_by_role("table").get_by_role("link", name=reference).click()

    case_heading = translate(language, "Case %(reference)s", reference=reference)
    await heading(page, case_heading, check)
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="decision-letter.pdf").click()
    download = await download_info.value
    assert download.suggested_filename == "decision-letter.pdf"
    assert await anyio.Path(await download.path()).read_bytes() == decision_pdf

    # After filing, documents can still be added; the timeline shows it.
    timeline = page.locator(".tribune-timeline")
    await expect(timeline.locator("strong")).to_have_text([translate(language, "Filed online")])
    await page.get_by_role("link", name=translate(language, "Add documents")).click()
    await heading(page, translate(language, "Upload your documents"), check, "after filing")
    await upload_to(page, language, "evidence", tmp_path / "doctor-report.pdf")
    await expect(page).to_have_url(re.compile(r"/cases/[^/]+\?uploaded=1$"))
    await heading(page, case_heading, check, "document added")
    await expect(
        page.get_by_role("main").get_by_role("link", name="doctor-report.pdf")
    ).to_be_visible()
    await expect(timeline.locator("strong")).to_contain_text(
        [translate(language, "Document added")]
    )
    await page.screenshot(path=RESULTS_DIR / f"filing-case-{language}.png", full_page=True)
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="doctor-report.pdf").click()
    assert await anyio.Path(await (await download_info.value).path()).read_bytes() == doctor_pdf


async def test_a_draft_resumes_at_the_first_unanswered_step(
    page: Page, live_server: LiveServer, check_accessibility: Checker
) -> None:
    check = check_accessibility
    language = "en"
    claimant = await make_claimant(live_server, language)
    await open_the_appeal(page, language, check)
    await page.get_by_role("button", name=translate(language, "Sign in and start")).click()
    await sign_in_here(page, language, claimant, check)
    await heading(page, APPEAL["title_en"], check, "signed in")
    await page.get_by_role("button", name=translate(language, "Start now")).click()
    await answer_eligibility_about_you_and_representative(page, language, check)

    # Half way: the accessibility step is open, unanswered; stop here.
    await heading(page, translate(language, "Accessibility and accommodation"), check)
    await page.get_by_role("link", name=translate(language, "Come back later")).click()
    await heading(page, translate(language, "My cases"), check)
    draft_row = page.get_by_role("row").filter(has_text=translate(language, "Draft"))
    await expect(draft_row).to_have_count(1)
    await draft_row.get_by_role("link", name=translate(language, "Continue your draft")).click()

    await expect(page).to_have_url(re.compile(r"/wcat/filings/[^/]+/accessibility$"))
    await heading(page, translate(language, "Accessibility and accommodation"), check, "resumed")
    # The answers given before stopping were kept.
    await page.get_by_role("link", name=translate(language, "Back"), exact=True).click()
    await heading(page, translate(language, "Your representative"), check, "answered")
    await expect(page.get_by_label(translate(language, "No"), exact=True)).to_be_checked()


async def draft_at_the_documents_step(live_server: LiveServer, claimant: User) -> str:
    """Return the address of a new draft whose steps before the documents are answered."""
    async with live_database(live_server) as db:
        tribunal = await tribunal_by_slug(db, "wcat")
        assert tribunal is not None
        version = (
            await db.execute(
                select(CaseTypeVersion)
                .join(CaseType, CaseType.id == CaseTypeVersion.case_type_id)
                .where(
                    CaseType.tribunal_id == tribunal.id,
                    CaseType.code == APPEAL["code"],
                    CaseTypeVersion.status == VersionStatus.PUBLISHED,
                )
            )
        ).scalar_one()
        filing = journey_services.start_filing(db, tribunal, version, claimant)
        decided = (date.today() - timedelta(days=10)).isoformat()
        answers: dict[str, dict[str, Any]] = {
            "eligibility": {"eligible": True},
            "about_you": {"full_name": claimant.name, "email": claimant.email},
            "representative": {"has_representative": False},
            "accessibility": {"needs_interpreter": False, "sign_language": "none"},
            "questions": {"decision_date": decided, "claim_number": CLAIM_NUMBER},
        }
        for step, values in answers.items():
            journey_services.save_step(filing, step, values)
        await db.commit()
        return f"/wcat/filings/{filing.id}/documents"


async def test_an_upload_works_without_javascript(
    browser: Browser, live_server: LiveServer, check_accessibility: Checker, tmp_path: Path
) -> None:
    language = "fr"
    claimant = await make_claimant(live_server, language)
    documents_page = await draft_at_the_documents_step(live_server, claimant)
    write_pdf(tmp_path / "décision.pdf", "Décision")
    context = await new_context(browser, live_server, java_script_enabled=False)
    try:
        async with open_page(context, check_accessibility, scripts=False) as page:
            await page.goto(documents_page)
            await expect(page).to_have_url(re.compile(r"/sign-in\?next="))
            await sign_in_here(page, "en", claimant, check_accessibility)
            await expect(page).to_have_url(re.compile(rf"{documents_page}$"))
            await expect_language(page, language)  # the account's saved language
            await heading(
                page, translate(language, "Upload your documents"), check_accessibility, "no JS"
            )
            await upload_to(page, language, "decision", tmp_path / "décision.pdf")
            await expect(page).to_have_url(re.compile(r"/documents\?uploaded=1$"))
            section = page.get_by_role(
                "region", name=bilingual(SLOTS["decision"]["label"], language)
            )
            await expect(section.get_by_role("link")).to_have_text(["décision.pdf"])
            await check_accessibility(page, "uploaded (no JavaScript)")
    finally:
        await context.close()
