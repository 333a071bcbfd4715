"""A tribunal administrator defines a service standard and publishes a quarter's figures, in
English and in French.

Covered: the workspace's links to the figures and to managing the standards; the
administrators' list; the definition form sent with a limit of zero, answered with the error
summary, whose link moves focus to the field, with what was typed kept; the form corrected and
saved (the standard's page); the staff's figures page with the new standard's chart, tables
and the link to the docket's cases at risk; the publishing page, the figures shown to check
before publishing, and the success banner after. axe-core checks every page on the way.

The French journey is the Labour Relations Board's administrator, whose saved language is
French (see `test_staff_journey`).
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from accountability.standards.periods import Quarter
from tests.browser.conftest import Checker, expect_language, switch_language
from tests.factories import unique
from tests.helpers import translate
from tribunals.commands import DEMO_PASSWORD
from tribune.db import local_today

pytestmark = pytest.mark.browser

ADMINISTRATORS = [
    pytest.param("en", "wcat", "admin@wcat.example", id="en"),
    pytest.param("fr", "lrb", "admin@lrb.example", id="fr"),
]


@pytest.mark.parametrize(("language", "slug", "email"), ADMINISTRATORS)
async def test_administrator_defines_a_standard_and_publishes_a_quarter(
    page: Page, check_accessibility: Checker, language: str, slug: str, email: str
) -> None:
    check = check_accessibility

    def t(message: str, **variables: str) -> str:
        return translate(language, message, **variables)

    await page.goto(f"/{slug}/staff")
    await check(page)
    if language != "en":
        await switch_language(page, language, check)
    await page.get_by_label(t("Email address")).fill(email)
    await page.get_by_label(t("Password"), exact=True).fill(DEMO_PASSWORD)
    await page.get_by_role("button", name=t("Sign in")).click()
    await expect(page).to_have_url(re.compile(rf"/{slug}/staff$"))
    await expect_language(page, language)
    await expect(
        page.get_by_role("link", name=t("Service standards and cases at risk"))
    ).to_have_attribute("href", f"/{slug}/staff/service-standards")
    await check(page)

    # The administrators' list, from the workspace, and a new standard.
    await page.get_by_role("link", name=t("Manage service standards")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Manage service standards"))
    await check(page)
    await page.get_by_role("link", name=t("Add a service standard")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Add a service standard"))
    await check(page)

    code = unique("decision-")
    # In force since the quarter before this one, which has ended and is not published.
    since = Quarter.containing(local_today("America/Toronto")).previous().first_day
    await page.get_by_label(t("Code")).fill(code)
    await page.get_by_label(t("Name in English")).fill("Issue the decision within 30 days")
    await page.get_by_label(t("Name in French")).fill("Rendre la décision dans les 30 jours")
    await page.get_by_label(t("Event that starts the clock")).select_option("heard")
    await page.get_by_label(t("Event that stops the clock")).select_option("decided")
    await page.get_by_label(t("Limit in days")).fill("0")
    await page.get_by_label(t("Calendar days")).check()
    await page.get_by_label(t("Target, in percent of cases within the limit")).fill("80")
    await page.locator("#effective_from").fill(str(since.day))
    await page.locator("#effective_from-month").fill(str(since.month))
    await page.locator("#effective_from-year").fill(str(since.year))
    save = page.get_by_role("button", name=t("Save the standard"))
    await save.click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_focused()
    await check(page, "errors shown")
    link = summary.get_by_role("link", name=t("Enter a limit of at least 1 day"))
    await link.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#limit_days")).to_be_focused()
    # What was typed is kept.
    await expect(page.get_by_label(t("Code"))).to_have_value(code)
    await page.locator("#limit_days").fill("30")
    await save.click()
    await expect(page).to_have_url(
        re.compile(rf"/{slug}/staff/service-standards/[0-9a-f-]+\?saved=1$")
    )
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        t("The definition is saved.")
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Issue the decision within 30 days"
        if language == "en"
        else "Rendre la décision dans les 30 jours"
    )
    await check(page, "saved")

    # The figures every member of staff sees: the new standard's chart and tables.
    await page.get_by_role("link", name=t("Back to the service standards")).click()
    await check(page)
    await page.get_by_role("link", name=t("See the figures and the cases at risk")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Service standards"))
    await expect(page.locator("svg.tribune-chart").first).to_be_visible()
    await expect(
        page.get_by_role(
            "link", name=t("Open the docket with only the cases at risk of missing a standard")
        )
    ).to_have_attribute("href", f"/{slug}/staff/docket?at_risk=yes")
    await check(page)

    # Publishing the quarter before this one: its figures checked, then published.
    await page.get_by_role("link", name=t("Manage service standards")).click()
    await check(page)
    await page.get_by_role("link", name=t("Publish each quarter’s figures")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Publish each quarter’s figures")
    )
    await check(page)
    to_publish = page.get_by_role("table", name=t("Ended quarters not yet published"))
    await to_publish.get_by_role("link").first.click()
    await expect(page).to_have_url(re.compile(r"/publishing/\d{4}-q[1-4]/publish$"))
    await check(page)
    await page.get_by_role("button", name=re.compile(re.escape(t("Publish")))).click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        t("The figures are published.")
    )
    await check(page, "published")
