"""A case goes through the registry: docket, return, resubmission, acceptance and a response.

Covered, in three browsers at once (a clerk, the claimant, the respondent): the clerk signs
in, opens the docket from the workspace, filters it by status and by the claimant's last
name (the GET form, swapped in by htmx) and opens the case from its reference; returns it
for completion with reasons; the claimant sees the reasons in the case page's banner,
changes an answer through a "Change" link and resubmits; the clerk accepts the case and
adds a respondent (an organisation); the respondent signs in, joins the case with the
reference and the access code from their email (with the keyboard alone), files their
response and sees it on the timeline; the clerk's case page then shows the response.
axe-core checks every page on the way.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from uuid import uuid4

import pytest
from playwright.async_api import Browser, Locator, Page, expect
from sqlalchemy import select

from accounts.models import User
from filings.demo import DEMO_CASE_TYPES
from filings.models import CaseType, CaseTypeVersion, VersionStatus
from tests.browser.conftest import Checker, LiveServer, new_context, open_page, switch_language
from tests.browser.test_filing_journey import heading, live_database, sign_in_here
from tests.browser.test_keyboard_journey import tab
from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff
from tests.helpers import last_message, translate
from tribunals.models import Role
from tribunals.services import tribunal_by_slug
from tribune import i18n

pytestmark = pytest.mark.browser

APPEAL = DEMO_CASE_TYPES["wcat"][0]  # "Appeal a decision about compensation benefits"
QUESTIONS = {q["key"]: q for q in APPEAL["definition"]["questions"]}
RESPONSE_QUESTIONS = {q["key"]: q for q in APPEAL["definition"]["response"]["questions"]}
RESPONSE_SLOTS = {s["key"]: s for s in APPEAL["definition"]["response"]["document_slots"]}
ACCESS_CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")
RETURN_REASON = "Add your board claim number and say what the decision is about."
RESPONSE_REASONS = "The worker's benefits were paid in full; the claim has no basis."


@dataclass
class Case:
    slug: str
    filing_id: str
    reference: str
    last_name: str
    clerk: User
    claimant: User
    respondent: User


async def a_submitted_case(live_server: LiveServer, language: str = "en") -> Case:
    """A new clerk of the WCAT, and a claimant's case submitted under its demo appeal.

    Everyone's account (and the case) is in the language.

    The demo tribunal and its published appeal (loaded with the live server's data, through
    `create_case_type(..., publish=True)`) are used rather than new ones: every test shares
    the live server, and a new tribunal or case type would show on the pages other journeys
    read (the list of tribunals, "What do you want to file?"). The claimant's last name is
    unique, so the docket search finds this case alone whatever else the tribunal holds.
    """
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
        last_name = "Okafor" + "".join(chr(ord("a") + int(digit, 16)) for digit in uuid4().hex[:8])
        clerk = await make_staff(
            db,
            tribunal,
            Role.CLERK,
            name="Chris Clerk",
            email=f"{unique('clerk-')}@example.org",
            language=language,
        )
        claimant = await make_user(
            db,
            name=f"Camille {last_name}",
            email=f"{unique('claimant-')}@example.org",
            language=language,
        )
        respondent = await make_user(
            db,
            name="Rita Okoye",
            email=f"{unique('respondent-')}@example.org",
            language=language,
        )
        filing = await make_case(db, tribunal, filer=claimant, version=version, language=language)
        assert filing.reference is not None
        return Case(
            tribunal.slug,
            str(filing.id),
            filing.reference,
            last_name,
            clerk,
            claimant,
            respondent,
        )


async def access_code_for(live_server: LiveServer, email: str) -> str:
    """The access code in the latest message to the address, read from the outbox."""
    async with live_database(live_server) as db:
        message = await last_message(db, email)
    match = ACCESS_CODE.search(message.body)
    assert match, message.body
    return match.group(0)


def summary_row(scope: Page | Locator, label: str) -> Locator:
    """The row of a summary list, on the page or inside a part of it, whose key is the label."""
    page = scope if isinstance(scope, Page) else scope.page
    key = page.locator(".govuk-summary-list__key", has_text=re.compile(f"^{re.escape(label)}$"))
    return scope.locator(".govuk-summary-list__row").filter(has=key)


def respondent_heading(language: str) -> str:
    """The respondent's heading on the clerk's case page: "Respondent: Northern Mining Ltd"."""
    role = translate(language, "%(label)s:", label=translate(language, "Respondent"))
    return f"{role} Northern Mining Ltd"


async def expect_status(page: Page, label: str) -> None:
    await expect(page.locator("#case-status")).to_have_text(label)


def cases_heading(language: str, number: int) -> str:
    """The docket results' heading ("1 case", "1 dossier"), as the server words it."""
    with i18n.use_language(language):
        return i18n.ngettext("%(num)s case", "%(num)s cases", number)


async def sign_in_in(page: Page, language: str, user: User, check: Checker) -> None:
    """Sign in on the sign-in page the browser is on, first switching it to the language
    with the header's link (the browsers speak English)."""
    if language != "en":
        await switch_language(page, language, check)
    await sign_in_here(page, language, user, check)


async def open_the_case_from_the_docket(
    page: Page, case: Case, check: Checker, language: str = "en"
) -> None:
    """Step 1: workspace, "Open the docket", filter by status and last name, open the case."""
    t = functools.partial(translate, language)
    await page.goto(f"/{case.slug}/staff")
    await expect(page).to_have_url(re.compile(rf"/sign-in\?next=%2F{case.slug}%2Fstaff$"))
    await sign_in_in(page, language, case.clerk, check)
    await heading(page, t("Staff workspace"), check)

    await page.get_by_role("link", name=t("Open the docket")).click()
    await heading(page, t("Docket"), check)
    results = page.locator("#docket-results")
    await (
        page.get_by_role("group", name=t("Status")).get_by_label(t("Submitted"), exact=True).check()
    )
    await page.get_by_label(t("Search"), exact=True).fill(case.last_name)
    await page.get_by_role("button", name=t("Apply filters")).click()
    # htmx swaps the results in and puts the filters in the address.
    await expect(page).to_have_url(re.compile(rf"/staff/docket\?.*q={case.last_name}"))
    await expect(page).to_have_url(re.compile(r"status=submitted"))
    await expect(results.get_by_role("heading", level=2)).to_have_text(cases_heading(language, 1))
    row = results.get_by_role("row").filter(has_text=case.reference)
    await expect(row).to_contain_text(f"Camille {case.last_name}")
    await expect(row).to_contain_text(APPEAL[f"title_{language}"])
    await expect(row).to_contain_text(t("Submitted"))
    await check(page, "filtered")

    await results.get_by_role("link", name=case.reference).click()
    await expect(page).to_have_url(re.compile(rf"/{case.slug}/staff/cases/{case.filing_id}$"))
    await heading(page, t("Case %(reference)s", reference=case.reference), check)
    await expect_status(page, t("Submitted"))


async def return_for_completion(
    page: Page, case: Case, check: Checker, language: str = "en", reason: str = RETURN_REASON
) -> None:
    """Step 2: the clerk returns the case with reasons, and sees the new status."""
    t = functools.partial(translate, language)
    action = t("Return for completion")
    await page.get_by_label(t("Reasons: %(action)s", action=action)).fill(reason)
    await page.get_by_role("button", name=action).click()
    await expect(page).to_have_url(re.compile(rf"/staff/cases/{case.filing_id}$"))
    await expect_status(page, t("Returned for completion"))
    timeline = page.locator(".tribune-timeline")
    await expect(timeline).to_contain_text(t("Reason: %(reason)s", reason=reason))
    await check(page, "returned")


async def complete_and_resubmit(
    page: Page, case: Case, check: Checker, language: str = "en", reason: str = RETURN_REASON
) -> None:
    """Step 3: the claimant reads the reasons, changes an answer and resubmits."""
    t = functools.partial(translate, language)
    await page.goto(f"/{case.slug}/cases/{case.filing_id}")
    await sign_in_in(page, language, case.claimant, check)
    await heading(page, t("Case %(reference)s", reference=case.reference), check, "returned")
    banner = page.get_by_role("region", name=t("Important"))
    await expect(banner).to_contain_text(t("The registry returned your filing for completion."))
    await expect(banner).to_contain_text(t("Reason: %(reason)s", reason=reason))
    await expect_status(page, t("Returned for completion"))

    await page.get_by_role("link", name=f"{t('Change')} {APPEAL[f'title_{language}']}").click()
    await heading(page, t("About your case"), check, "returned filing")
    claim_label = QUESTIONS["claim_number"]["label"][language]
    await page.get_by_label(claim_label).fill("87654321")
    await page.get_by_label(QUESTIONS["issue"]["choices"][1]["label"][language]).check()
    await page.get_by_label(QUESTIONS["reasons"]["label"][language]).fill(
        "The board did not consider my doctor's report."
    )
    await page.get_by_role("button", name=t("Save and continue")).click()

    await expect(page).to_have_url(re.compile(rf"/cases/{case.filing_id}\?changed=questions$"))
    await expect(summary_row(page, claim_label)).to_contain_text("87654321")
    await check(page, "answer changed")
    await page.get_by_role("button", name=t("Resubmit")).click()
    await expect(page).to_have_url(re.compile(rf"/cases/{case.filing_id}$"))
    await expect_status(page, t("Submitted"))
    await expect(page.get_by_role("region", name=t("Important"))).to_have_count(0)
    await expect(page.locator(".tribune-timeline strong")).to_contain_text(
        [t("Filed online"), t("Returned for completion"), t("Filing resubmitted")]
    )
    await check(page, "resubmitted")


async def accept_and_add_a_respondent(
    page: Page, case: Case, check: Checker, language: str = "en"
) -> None:
    """Step 4: the clerk sees the resubmission, accepts the case and adds a respondent,
    written to in the respondent's account language."""
    t = functools.partial(translate, language)
    await page.reload()
    await expect_status(page, t("Submitted"))
    await expect(summary_row(page, QUESTIONS["claim_number"]["label"][language])).to_contain_text(
        "87654321"
    )
    await check(page, "resubmitted")
    await page.get_by_role("button", name=t("Accept"), exact=True).click()
    await expect_status(page, t("Accepted"))
    await check(page, "accepted")

    await page.get_by_role("link", name=t("Add a respondent")).click()
    await heading(page, t("Add a respondent"), check)
    await page.get_by_label(t("An organisation"), exact=True).check()
    await page.get_by_label(t("Name of the person or organisation")).fill("Northern Mining Ltd")
    await page.get_by_label(t("Contact person (for an organisation)")).fill("Rita Okoye")
    await page.get_by_label(t("Email address")).fill(case.respondent.email)
    await (
        page.get_by_role("group", name=t("In which language should we write to the respondent?"))
        .get_by_label(i18n.LANGUAGE_NAMES[case.respondent.language])
        .check()
    )
    await page.get_by_role("button", name=t("Add the respondent and send the invitation")).click()

    await expect(page).to_have_url(re.compile(rf"/staff/cases/{case.filing_id}$"))
    await expect(
        page.get_by_role("heading", name=respondent_heading(language), exact=True)
    ).to_be_visible()
    await expect(page.locator(".tribune-timeline")).to_contain_text(t("Respondent added"))
    await check(page, "respondent added")


async def join_with_the_keyboard(page: Page, case: Case, code: str, language: str = "en") -> None:
    """Skip link, then Tab to each field, type, and Enter to send the form."""
    skip_link = await tab(page)
    assert skip_link["text"] == translate(language, "Skip to main content")
    await page.keyboard.press("Enter")
    assert (await tab(page))["id"] == "reference"
    await page.keyboard.type(case.reference)
    assert (await tab(page))["id"] == "code"
    await page.keyboard.type(code)
    await page.keyboard.press("Enter")


async def join_and_answer(
    page: Page, case: Case, code: str, check: Checker, language: str = "en"
) -> None:
    """Step 5a: the respondent joins with the access code and answers the response's
    questions, up to "Check and send your response"."""
    t = functools.partial(translate, language)
    await page.goto(f"/{case.slug}/join")
    await sign_in_in(page, language, case.respondent, check)
    await expect(page).to_have_url(re.compile(rf"/{case.slug}/join$"))
    await heading(page, t("Join a case"), check)
    await join_with_the_keyboard(page, case, code, language)

    await expect(page).to_have_url(re.compile(rf"/{case.slug}/cases/{case.filing_id}$"))
    await heading(page, t("Case %(reference)s", reference=case.reference), check, "joined")
    await expect_status(page, t("Accepted"))
    await page.get_by_role("link", name=t("Respond to the case")).click()
    await heading(page, t("Respond to the case"), check)
    await expect(
        page.get_by_text(t("Responding for: %(name)s", name="Northern Mining Ltd"))
    ).to_be_visible()
    agrees = RESPONSE_QUESTIONS["agrees"]["label"][language]
    await page.get_by_role("group", name=agrees).get_by_label(t("No"), exact=True).check()
    await page.get_by_label(RESPONSE_QUESTIONS["reasons"]["label"][language]).fill(RESPONSE_REASONS)
    await page.get_by_role("button", name=t("Save and continue")).click()

    # The answers are checked and documents uploaded before the response is sent.
    await heading(page, t("Check and send your response"), check)
    await expect(page.get_by_text(RESPONSE_REASONS)).to_be_visible()
    evidence = RESPONSE_SLOTS["response_evidence"]["label"][language]
    await expect(page.get_by_label(f"{t('Upload a file')}: {evidence}")).to_be_visible()


async def send_the_response(page: Page, case: Case, check: Checker, language: str = "en") -> None:
    """Step 5b: the respondent sends the response and sees it on the case's timeline."""
    t = functools.partial(translate, language)
    await page.get_by_role("button", name=t("Send the response")).click()

    await expect(page).to_have_url(re.compile(rf"/cases/{case.filing_id}$"))
    await expect(page.locator(".tribune-timeline strong")).to_contain_text([t("Response received")])
    await expect(page.get_by_role("link", name=t("Respond to the case"))).to_have_count(0)
    await check(page, "response sent")

    # The case is now among the respondent's own, with their role in it.
    await page.locator("header").get_by_role("link", name=t("My cases")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("My cases"))
    row = page.get_by_role("row").filter(has_text=case.reference)
    await expect(row).to_contain_text(t("Your role: %(role)s", role=t("Respondent")))
    await check(page, "my cases")
    await row.get_by_role("link", name=case.reference).click()
    await expect(page).to_have_url(re.compile(rf"/cases/{case.filing_id}$"))


async def join_and_respond(page: Page, case: Case, code: str, check: Checker) -> None:
    """Step 5: the respondent joins with the access code and files their response."""
    await join_and_answer(page, case, code, check)
    await send_the_response(page, case, check)


def respondent_summary(page: Page, language: str = "en") -> Locator:
    """The summary list under the respondent's heading on the clerk's case page."""
    heading = page.get_by_role("heading", name=respondent_heading(language), exact=True)
    return heading.locator("xpath=following-sibling::dl[1]")


async def the_clerk_sees_the_response(page: Page, check: Checker, language: str = "en") -> None:
    """Step 6: the clerk's case page shows the response."""
    t = functools.partial(translate, language)
    await page.reload()
    respondent_list = respondent_summary(page, language)
    # The dates' wording without the date: "Filed on", "Déposée le".
    await expect(summary_row(respondent_list, t("Response"))).to_contain_text(
        t("Filed on %(date)s", date="").strip()
    )
    await expect(summary_row(respondent_list, t("Joined online"))).to_contain_text(
        t("Yes, on %(date)s", date="").strip()
    )
    await expect(
        summary_row(respondent_list, RESPONSE_QUESTIONS["agrees"]["label"][language])
    ).to_contain_text(t("No"))
    await expect(
        summary_row(respondent_list, RESPONSE_QUESTIONS["reasons"]["label"][language])
    ).to_contain_text(RESPONSE_REASONS)
    await expect(page.locator(".tribune-timeline")).to_contain_text(t("Response received"))
    await check(page, "response received")


async def test_a_case_goes_from_the_docket_to_a_response(
    browser: Browser, page: Page, live_server: LiveServer, check_accessibility: Checker
) -> None:
    check = check_accessibility
    case = await a_submitted_case(live_server)

    # `page` is the clerk's; the claimant and the respondent have browsers of their own.
    await open_the_case_from_the_docket(page, case, check)
    await return_for_completion(page, case, check)

    claimant_context = await new_context(browser, live_server)
    try:
        async with open_page(claimant_context, check) as claimant_page:
            await complete_and_resubmit(claimant_page, case, check)
    finally:
        await claimant_context.close()

    await accept_and_add_a_respondent(page, case, check)
    code = await access_code_for(live_server, case.respondent.email)

    respondent_context = await new_context(browser, live_server)
    try:
        async with open_page(respondent_context, check) as respondent_page:
            await join_and_respond(respondent_page, case, code, check)
    finally:
        await respondent_context.close()

    await the_clerk_sees_the_response(page, check)
