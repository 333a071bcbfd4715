"""Staff pages built around a table use the window's whole width, so no column is cut off.

Covered, in a 1280x800 window: the docket (a clerk's) and the audit log (an
administrator's) are laid out wider than GOV.UK's 960px column; their table fits
inside the page's container, every column header is inside the window, and the
page does not scroll sideways. A page without a table keeps the 960px column.
Screenshots go to test-results/ for a look; axe checks every page.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.browser.conftest import RESULTS_DIR, Checker, LiveServer, new_context, open_page
from tests.browser.test_docket_journey import a_submitted_case
from tests.browser.test_filing_journey import heading, live_database, sign_in_here
from tests.factories import unique
from tests.factories.tribunals import make_staff
from tribunals.models import Role
from tribunals.services import tribunal_by_slug

pytestmark = pytest.mark.browser

WINDOW = {"width": 1280, "height": 800}
GOVUK_PAGE_WIDTH = 960

# Where the table and its page container are, in CSS pixels.
MEASURE = """
table => {
  const container = table.closest('.govuk-width-container');
  const box = element => element.getBoundingClientRect();
  return {
    container: {left: box(container).left, right: box(container).right},
    table: {left: box(table).left, right: box(table).right},
    tableScrollWidth: table.scrollWidth,
    tableClientWidth: table.clientWidth,
    headers: [...table.tHead.rows[0].cells].map(cell => ({
      text: cell.textContent.trim(), left: box(cell).left, right: box(cell).right,
    })),
    pageScrollWidth: document.documentElement.scrollWidth,
    windowWidth: document.documentElement.clientWidth,
  };
}
"""


async def expect_table_fits(page: Page, table_selector: str, name: str) -> None:
    await page.screenshot(path=RESULTS_DIR / f"{name}-1280x800.png", full_page=True)
    measured: dict[str, Any] = await page.locator(table_selector).evaluate(MEASURE)
    container, table = measured["container"], measured["table"]
    assert container["right"] - container["left"] > GOVUK_PAGE_WIDTH, measured
    assert table["left"] >= container["left"] - 0.5, measured
    assert table["right"] <= container["right"] + 0.5, measured
    assert measured["tableScrollWidth"] <= measured["tableClientWidth"], measured
    for header in measured["headers"]:
        assert 0 <= header["left"] < header["right"] <= measured["windowWidth"], header
    assert measured["pageScrollWidth"] <= measured["windowWidth"], measured


async def test_the_docket_and_the_audit_log_use_the_whole_window(
    browser: Browser, live_server: LiveServer, check_accessibility: Checker
) -> None:
    check = check_accessibility
    RESULTS_DIR.mkdir(exist_ok=True)
    case = await a_submitted_case(live_server)
    async with live_database(live_server) as db:
        tribunal = await tribunal_by_slug(db, case.slug)
        assert tribunal is not None
        admin = await make_staff(
            db, tribunal, Role.ADMIN, name="Ada Admin", email=f"{unique('admin-')}@example.org"
        )

    context = await new_context(browser, live_server, viewport=WINDOW)
    try:
        async with open_page(context, check) as page:
            await page.goto(f"/sign-in?next=/{case.slug}/staff/docket")
            await sign_in_here(page, "en", case.clerk, check)
            await heading(page, "Docket", check)
            await expect_table_fits(page, "#docket-results table", "docket")
            # Opening the case writes the audit log the administrator reads below.
            await page.get_by_role("link", name=case.reference).click()
            await check(page)
            # A page with no wide table keeps GOV.UK's column.
            width = await page.locator("main").evaluate(
                "main => main.closest('.govuk-width-container').getBoundingClientRect().width"
            )
            assert width <= GOVUK_PAGE_WIDTH
    finally:
        await context.close()

    context = await new_context(browser, live_server, viewport=WINDOW)
    try:
        async with open_page(context, check) as page:
            await page.goto(f"/sign-in?next=/{case.slug}/staff/audit")
            await sign_in_here(page, "en", admin, check)
            await heading(page, "Audit log", check)
            await expect_table_fits(page, "main table", "audit-log")
    finally:
        await context.close()
