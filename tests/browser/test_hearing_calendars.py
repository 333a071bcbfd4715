"""A tribunal administrator sets the hearing hours and adds an interpreter, in English and
in French.

Covered: the workspace links to the hearing settings; an end time before its start is
answered with the error summary, whose link moves focus to the field; hours, modes, notice
and dial-in details saved with the success banner and shown again; an interpreter of a sign
language added and listed. axe-core checks every page on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Checker, expect_language, switch_language
from tests.factories import unique
from tests.helpers import translate
from tribunals.commands import DEMO_PASSWORD

pytestmark = pytest.mark.browser

ADMINISTRATORS = [
    pytest.param("en", "wcat", "admin@wcat.example", id="en"),
    pytest.param("fr", "lrb", "admin@lrb.example", id="fr"),
]


@pytest.mark.parametrize(("language", "slug", "email"), ADMINISTRATORS)
async def test_administrator_sets_hearing_hours_and_adds_an_interpreter(
    page: Page, check_accessibility: Checker, language: str, slug: str, email: str
) -> None:
    check = check_accessibility

    def t(message: str) -> str:
        return translate(language, message)

    await page.goto(f"/{slug}/staff")
    await check(page)
    if language != "en":
        await switch_language(page, language, check)
    await page.get_by_label(t("Email address")).fill(email)
    await page.get_by_label(t("Password"), exact=True).fill(DEMO_PASSWORD)
    await page.get_by_role("button", name=t("Sign in")).click()
    await expect(page).to_have_url(re.compile(rf"/{slug}/staff$"))
    await expect_language(page, language)
    await check(page)

    await page.get_by_role("link", name=t("Hearing settings")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Hearing settings"))
    await check(page)
    for weekday in range(5):
        await page.locator(f"#open-{weekday}").check()
        await page.locator(f"#start-{weekday}").fill("09:30")
        await page.locator(f"#end-{weekday}").fill("16:30")
    await page.locator("#end-4").fill("09:00")
    for mode in ("Video", "Telephone", "In person"):
        await page.get_by_label(t(mode), exact=True).check()
    await page.get_by_label(t("Minimum notice, in business days")).fill("10")
    await page.get_by_label(
        t("How many days ahead parties may give dates they cannot attend")
    ).fill("90")
    await page.get_by_label(t("Telephone dial-in details in English")).fill(
        "Call 1 888 555 0142, code 482 915#"
    )
    await page.get_by_label(t("Telephone dial-in details in French")).fill(
        "Composez le 1 888 555 0142, code 482 915#"
    )
    save = page.get_by_role("button", name=t("Save the settings"))
    await save.click()

    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_focused()
    await check(page, "errors shown")
    link = summary.get_by_role("link").first
    await expect(link).to_have_text(t("The end time must be after the start time"))
    await link.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#end-4")).to_be_focused()
    await expect(page.locator("#start-0")).to_have_value("09:30")  # the input is kept

    await page.locator("#end-4").fill("12:00")
    await save.click()
    await expect(page.get_by_text(t("Your changes are saved."))).to_be_visible()
    await expect(page.locator("#end-4")).to_have_value("12:00")
    await expect(page.locator("#open-5")).not_to_be_checked()
    await check(page, "saved")

    await page.get_by_role("link", name=t("Back to the workspace")).click()
    await check(page)
    await page.get_by_role("link", name=t("Interpreters"), exact=True).click()
    await check(page)
    await page.get_by_role("link", name=t("Add an interpreter")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Add an interpreter"))
    await check(page)
    name = unique("Interprète ")
    await page.get_by_label(t("Full name")).fill(name)
    await page.get_by_label(t("American Sign Language (ASL)")).check()
    await page.get_by_label(t("Quebec Sign Language (LSQ)")).check()
    await page.get_by_label(t("Email address")).fill("asl.lsq@interpretes.example")
    await page.get_by_label(t("Telephone number (optional)")).fill("613 555 0184")
    await page.get_by_role("button", name=t("Save the interpreter")).click()

    await expect(page.get_by_text(t("Your changes are saved."))).to_be_visible()
    row = page.get_by_role("row").filter(has_text=name)
    await expect(row).to_contain_text(t("American Sign Language (ASL)"))
    await expect(row).to_contain_text(t("Quebec Sign Language (LSQ)"))
    await check(page, "interpreter added")
