"""A newcomer's first visit, in English and in French, in a real browser.

Covered: the home page lists the demo tribunals; the search finds one, with
JavaScript (htmx swaps the results) and without it (a plain GET form); the
tribunal's page; registration, the confirmation link from the development
outbox, sign-in, the account page, the language switch while signed in (saved
to the account) and sign-out. axe-core checks every page on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

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
from tests.factories import unique
from tests.factories.accounts import PASSWORD
from tests.helpers import translate
from tribune import i18n

pytestmark = pytest.mark.browser

TRIBUNAL_NAMES = {
    "en": {
        "wcat": "Workplace Compensation Appeals Tribunal",
        "lrb": "Labour Relations Board",
    },
    "fr": {
        "wcat": "Tribunal d'appel de l'indemnisation des accidents du travail",
        "lrb": "Commission des relations de travail",
    },
}
# A word of the Labour Relations Board's name that the other demo tribunal lacks.
SEARCH_WORDS = {"en": "labour", "fr": "relations"}


async def start_in(page: Page, language: str, check: Checker) -> None:
    """Open the home page and, for French, switch with the header's button."""
    await page.goto("/")
    await expect_language(page, "en")
    await check(page)
    if language != "en":
        await switch_language(page, language, check)


async def search_for_the_board(page: Page, language: str) -> None:
    word = SEARCH_WORDS[language]
    await page.get_by_label(translate(language, "Find a tribunal")).fill(word)
    await page.get_by_role("button", name=translate(language, "Search"), exact=True).click()
    await expect(page).to_have_url(re.compile(rf"/\?q={word}$"))
    results = page.locator("#results")
    await expect(results.get_by_role("link")).to_have_text([TRIBUNAL_NAMES[language]["lrb"]])
    await expect(results.get_by_role("heading", level=2)).to_have_text(_matches(language, word))


def _matches(language: str, word: str) -> str:
    with i18n.use_language(language):
        return i18n.ngettext(
            "%(num)s tribunal matches “%(query)s”",
            "%(num)s tribunals match “%(query)s”",
            1,
            query=word,
        )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_newcomer_finds_a_tribunal_registers_and_signs_in(
    page: Page, check_accessibility: Checker, language: str
) -> None:
    check = check_accessibility
    other = i18n.other_language(language)
    email = f"{unique('newcomer-')}@example.org"

    await start_in(page, language, check)
    tribunal_links = page.locator("#results").get_by_role("link")
    await expect(tribunal_links.first).to_be_visible()
    # Every tribunal, in alphabetical order; other browser tests may have added their own to the
    # live server's database, so the demo tribunals are looked for among them.
    names = await tribunal_links.all_text_contents()
    assert names == sorted(names, key=str.casefold)
    assert set(TRIBUNAL_NAMES[language].values()) <= set(names)
    await page.screenshot(path=RESULTS_DIR / f"home-{language}.png", full_page=True)

    await search_for_the_board(page, language)
    await check(page, "search results (htmx)")

    await tribunal_links.first.click()
    await expect(page).to_have_url(re.compile(r"/lrb/$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(TRIBUNAL_NAMES[language]["lrb"])
    await expect_language(page, language)
    await check(page)

    await (
        page.locator("header")
        .get_by_role("link", name=translate(language, "Create an account"))
        .click()
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        translate(language, "Create an account")
    )
    await check(page)
    await page.get_by_label(translate(language, "Full name")).fill("Noor Newcomer")
    await page.get_by_label(translate(language, "Email address")).fill(email)
    await page.get_by_label(translate(language, "Create a password")).fill(PASSWORD)
    await page.get_by_label(translate(language, "Confirm your password")).fill(PASSWORD)
    language_choice = page.get_by_label(i18n.LANGUAGE_NAMES[language], exact=True)
    await expect(language_choice).to_be_checked()  # the page's language is proposed
    await language_choice.check()
    await page.get_by_role("button", name=translate(language, "Create account")).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        translate(language, "Check your email")
    )
    await check(page)

    await page.goto("/outbox")
    await check(page)
    message = page.locator("section.tribune-message", has_text=email).first
    await expect(message.get_by_role("heading")).to_have_text(
        translate(language, "Confirm your email address")
    )
    await message.locator("a[href*='/confirm-email?token=']").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        translate(language, "Confirm your email address")
    )
    await check(page)
    await page.get_by_role("button", name=translate(language, "Confirm email address")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        translate(language, "Email address confirmed")
    )
    await check(page)

    await page.get_by_role("main").get_by_role("link", name=translate(language, "Sign in")).click()
    await check(page)
    await page.get_by_label(translate(language, "Email address")).fill(email)
    await page.get_by_label(translate(language, "Password"), exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=translate(language, "Sign in")).click()
    account_link = page.locator("header").get_by_role(
        "link", name=translate(language, "Your account")
    )
    await expect(account_link).to_be_visible()
    await check(page)
    await account_link.click()
    await expect(page).to_have_url(re.compile(r"/account$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        translate(language, "Your account")
    )
    await expect(page.get_by_role("main")).to_contain_text(email)
    await check(page)

    # Switching while signed in is saved to the account, not only to a cookie.
    await switch_language(page, other, check)
    await expect(page.locator("dd[lang]")).to_have_text(i18n.LANGUAGE_NAMES[other])

    await page.locator("header").get_by_role("button", name=translate(other, "Sign out")).click()
    header = page.locator("header")
    await expect(header.get_by_role("link", name=translate(other, "Sign in"))).to_be_visible()
    await expect(header.get_by_role("link", name=translate(other, "Your account"))).to_have_count(0)
    await check(page)
    await page.goto("/account")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    await check(page)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_search_works_without_javascript(
    browser: Browser, live_server: LiveServer, check_accessibility: Checker, language: str
) -> None:
    context = await new_context(browser, live_server, java_script_enabled=False)
    try:
        async with open_page(context, check_accessibility, scripts=False) as page:
            await start_in(page, language, check_accessibility)
            await search_for_the_board(page, language)
            await check_accessibility(page, "search results (no JavaScript)")
    finally:
        await context.close()
