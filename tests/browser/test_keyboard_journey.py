"""Registration with the keyboard alone, in English and in French.

Covered: the first Tab reaches the skip link, which takes the next Tab into
the form; each field, the language choice and the button are reached in order
with Tab; typing and Enter submit the form; on the errors, the summary takes
focus and its links, followed with Enter, put focus on their fields. The
language switch in the header is used with the keyboard too. axe-core checks
every page on the way.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import LANGUAGES, RESULTS_DIR, Checker, expect_language
from tests.factories.accounts import PASSWORD
from tests.helpers import translate
from tribune import i18n

pytestmark = pytest.mark.browser


async def focused(page: Page) -> dict[str, str]:
    """Return the id, class, text and checked state of the element that has focus."""
    state: dict[str, str] = await page.evaluate(
        """() => {
            const element = document.activeElement;
            return {
                id: element.id,
                tag: element.tagName.toLowerCase(),
                className: element.className,
                text: element.innerText || '',
                checked: String(element.checked === true),
            };
        }"""
    )
    return state


async def tab(page: Page, *, shift: bool = False) -> dict[str, str]:
    await page.keyboard.press("Shift+Tab" if shift else "Tab")
    return await focused(page)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_registration_errors_with_the_keyboard_alone(
    page: Page, check_accessibility: Checker, language: str
) -> None:
    check = check_accessibility
    await page.goto("/register")
    await check(page)

    if language != "en":
        # Skip link, home link, then the language switch.
        assert (await tab(page))["text"] == translate("en", "Skip to main content")
        assert (await tab(page))["text"] == "Tribune"
        switch = await tab(page)
        assert (switch["tag"], switch["text"]) == ("button", i18n.LANGUAGE_NAMES[language])
        await page.keyboard.press("Enter")
        await expect_language(page, language)
        await check(page)

    skip_link = await tab(page)
    assert skip_link["text"] == translate(language, "Skip to main content")
    await page.keyboard.press("Enter")
    assert (await tab(page))["id"] == "name"
    await page.keyboard.type("Kim Keyboard")
    assert (await tab(page))["id"] == "email"
    await page.keyboard.type("kim.keyboard.example.org")  # no @: not an email address
    assert (await tab(page))["id"] == "password"
    await page.keyboard.type(PASSWORD)
    assert (await tab(page))["id"] == "password_confirmation"
    await page.keyboard.type(PASSWORD + "s")  # does not match
    # Tab reaches the group's chosen radio: the page's language is proposed.
    radio = await tab(page)
    assert radio["id"] == ("language" if language == "en" else "language-2")
    assert radio["checked"] == "true"
    button = await tab(page)
    assert (button["tag"], button["text"]) == ("button", translate(language, "Create account"))
    await page.keyboard.press("Enter")

    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_focused()
    await expect(page).to_have_title(
        f"{translate(language, 'Error:')} {translate(language, 'Create an account')} – Tribune"
    )
    await expect(page.locator("#name")).to_have_value("Kim Keyboard")
    await page.screenshot(path=RESULTS_DIR / f"register-errors-{language}.png", full_page=True)
    await check(page, "errors shown")

    first_link = await tab(page)
    assert (first_link["tag"], first_link["text"]) == (
        "a",
        translate(language, "Enter an email address in the correct format, like name@example.com"),
    )
    await page.keyboard.press("Enter")
    assert (await focused(page))["id"] == "email"

    # Back up past the name field to the summary's last link.
    assert (await tab(page, shift=True))["id"] == "name"
    last_link = await tab(page, shift=True)
    assert (last_link["tag"], last_link["text"]) == (
        "a",
        translate(language, "The passwords do not match"),
    )
    await page.keyboard.press("Enter")
    assert (await focused(page))["id"] == "password_confirmation"
