"""A tribunal administrator invites a member of staff, in English and in French.

Covered: a staff page asks a visitor to sign in and comes back after it; the
workspace; the staff list and invitation form; an empty submission answered
with the error summary, whose first link moves focus to its field; a valid
invitation answered with the success banner and listed as waiting. axe-core
checks every page on the way.

The French journey is the Labour Relations Board's administrator, whose
saved language is French: a saved preference outranks the header's switch,
so an English-speaking administrator would be shown English after signing in.
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
async def test_administrator_invites_a_member_of_staff(
    page: Page, check_accessibility: Checker, language: str, slug: str, email: str
) -> None:
    check = check_accessibility
    invitee = f"{unique('clerk-')}@example.org"

    await page.goto(f"/{slug}/staff")
    await expect(page).to_have_url(re.compile(rf"/sign-in\?next=%2F{slug}%2Fstaff$"))
    await check(page)
    if language != "en":
        await switch_language(page, language, check)
    await page.get_by_label(translate(language, "Email address")).fill(email)
    await page.get_by_label(translate(language, "Password"), exact=True).fill(DEMO_PASSWORD)
    await page.get_by_role("button", name=translate(language, "Sign in")).click()

    await expect(page).to_have_url(re.compile(rf"/{slug}/staff$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        translate(language, "Staff workspace")
    )
    await expect_language(page, language)
    await check(page)

    await page.get_by_role("link", name=translate(language, "Staff and invitations")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        translate(language, "Staff and invitations")
    )
    staff_table = page.get_by_role("table", name=translate(language, "Staff"))
    await expect(staff_table).to_contain_text(email)
    await check(page)

    send = page.get_by_role("button", name=translate(language, "Send invitation"))
    await send.click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary.get_by_role("heading")).to_have_text(
        translate(language, "There is a problem")
    )
    await expect(summary).to_be_focused()
    await check(page, "errors shown")
    first_link = summary.get_by_role("link").first
    await expect(first_link).to_have_text(
        translate(language, "Enter the email address of the person to invite")
    )
    await first_link.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#email")).to_be_focused()

    await page.locator("#email").fill(invitee)
    await page.get_by_label(translate(language, "Clerk"), exact=True).check()
    await send.click()
    await expect(page).to_have_url(re.compile(rf"/{slug}/staff/people\?invited=1$"))
    banner = page.locator(".govuk-notification-banner--success")
    await expect(banner).to_contain_text(
        translate(language, "Invitation sent. It expires in 7 days.")
    )
    await expect(
        page.get_by_role("table", name=translate(language, "Invitations waiting for an answer"))
    ).to_contain_text(invitee)
    await check(page, "invitation sent")
