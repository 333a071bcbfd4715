"""The public "Our service standards" page in the browser, in English and in French.

A visitor who is not signed in opens a tribunal's home page, switches to their language,
follows the link to the service standards, finds each standard's chart and its table of the
four quarters published (a quarter of fewer than 10 cases shown as such, with no share), and
downloads the figures as CSV, labelled in their language. axe-core checks every page.
"""

from __future__ import annotations

import csv
import functools
import io

import anyio
import pytest
from playwright.async_api import Browser, expect

from tests.accountability.test_public_standards import a_tribunal_with_figures
from tests.browser.conftest import Checker, LiveServer, new_context, open_page, switch_language
from tests.browser.test_filing_journey import heading, live_database
from tests.helpers import translate

pytestmark = pytest.mark.browser

LANGUAGES = [pytest.param("en", id="en"), pytest.param("fr", id="fr")]
NAMES = {"en": "Acknowledge a filing", "fr": "Accuser réception d’un dossier"}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_visitor_reads_the_standards_from_the_home_page_and_downloads_them(
    browser: Browser, live_server: LiveServer, check_accessibility: Checker, language: str
) -> None:
    check = check_accessibility
    t = functools.partial(translate, language)
    async with live_database(live_server) as db:
        tribunal, _made = await a_tribunal_with_figures(db)
    context = await new_context(browser, live_server)
    try:
        async with open_page(context, check) as page:
            await page.goto(f"/{tribunal.slug}/")
            await check(page)
            if language != "en":
                await switch_language(page, language, check)
            await (
                page.get_by_role("main")
                .get_by_role("link", name=t("What we promise, and how often we kept each promise"))
                .click()
            )
            await heading(page, t("Our service standards"), check)
            name = NAMES[language]
            await expect(page.get_by_role("heading", level=2, name=name)).to_be_visible()
            chart = page.get_by_role(
                "img",
                name=t("%(name)s: share of cases that met the standard, by quarter", name=name),
            )
            await expect(chart).to_be_visible()

            table = page.get_by_role("table", name=t("%(name)s: the quarters published", name=name))
            await expect(table).to_be_visible()
            headers = table.locator("thead th")
            await expect(headers).to_have_text(
                [
                    t("Quarter"),
                    t("Cases measured"),
                    t("Met"),
                    t("Missed"),
                    t("Share met"),
                    t("Target"),
                    t("Median (days)"),
                    t("90th percentile (days)"),
                    t("Open past the limit"),
                ]
            )
            rows = table.locator("tbody tr")
            await expect(rows).to_have_count(4)
            fewer = t("fewer than 10")
            first_quarter = t("Q%(number)s %(fiscal_year)s", number=1, fiscal_year="2025–26")
            second_quarter = t("Q%(number)s %(fiscal_year)s", number=2, fiscal_year="2025–26")
            await expect(rows.nth(0).locator("th")).to_have_text(first_quarter)
            await expect(rows.nth(0).locator("td").nth(0)).to_have_text("20")
            await expect(rows.nth(0).locator("td").nth(3)).to_have_text(
                t("%(percent)s%%", percent="85")
            )
            await expect(rows.nth(1).locator("th")).to_have_text(second_quarter)
            for cell in (0, 1, 2, 3):
                await expect(rows.nth(1).locator("td").nth(cell)).to_have_text(fewer)

            async with page.expect_download() as download_info:
                await page.get_by_role("link", name=t("The figures as a spreadsheet (CSV)")).click()
            download = await download_info.value
            assert download.suggested_filename == (
                f"service-standards-{tribunal.slug}-2025-26-q4.csv"
            )
            text = (await anyio.Path(await download.path()).read_text("utf-8")).lstrip("\ufeff")
            lines = list(csv.DictReader(io.StringIO(text)))
            assert [line[t("Quarter")] for line in lines] == [
                t("Q%(number)s %(fiscal_year)s", number=number, fiscal_year="2025–26")
                for number in (1, 2, 3, 4)
            ]
            assert lines[0][t("Standard")] == name
            assert lines[0][t("Cases measured")] == "20"
            assert lines[1][t("Share met (%)")] == fewer
            await check(page, "downloaded")
    finally:
        await context.close()
