"""The annual performance report in the browser, in English and in French.

A tribunal's administrator signs in, opens the report from the workspace by its link, looks
at the current year so far, chooses the last complete year, reads its figures (the cases
received, the service standard's year) with how each is counted, and downloads the same
figures as CSV in their language. axe-core checks every page on the way.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from datetime import date

import anyio
import pytest
from playwright.async_api import Browser, Page, expect

from accounts.models import User
from filings.models import FilingStatus
from filings.seeding import LaterEvent, seed_submitted_case
from tests.accountability.factories import local, make_standard, make_standards_tribunal
from tests.browser.conftest import Checker, LiveServer, new_context, open_page
from tests.browser.test_filing_journey import live_database
from tests.browser.test_hearing_journey import sign_in_at
from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.filings import make_case_type
from tests.factories.tribunals import make_staff
from tests.helpers import translate
from tribunals.models import Role
from tribune.db import local_today

pytestmark = pytest.mark.browser

LANGUAGES = [pytest.param("en", id="en"), pytest.param("fr", id="fr")]


@dataclass
class Scene:
    slug: str
    admin: User
    last_year: int  # the last complete fiscal year, by the year it starts in
    current_year: int


async def a_scene(live_server: LiveServer, language: str) -> Scene:
    """A tribunal with a standard (accept a filing within 5 business days, 80 %) and three
    cases in the last complete fiscal year: one accepted in 3 business days, one in 14, one
    still waiting; and its administrator, speaking the language."""
    async with live_database(live_server) as db:
        tribunal = await make_standards_tribunal(db)
        today = local_today(tribunal.time_zone)
        current = today.year if today.month >= 4 else today.year - 1
        last = current - 1
        admin = await make_staff(
            db,
            tribunal,
            Role.ADMIN,
            name="Alex Admin",
            email=f"{unique('admin-')}@example.org",
            language=language,
        )
        await make_standard(
            db,
            tribunal,
            name_en="Acknowledge a filing",
            name_fr="Accuser réception d’un dossier",
            effective_from=date(last, 4, 1),
        )
        version = await make_case_type(db, tribunal)
        timelines = [
            (local(last, 6, 2, 9), [LaterEvent("accepted", local(last, 6, 5, 9))]),
            (local(last, 9, 2, 9), [LaterEvent("accepted", local(last, 9, 22, 9))]),
            (local(last + 1, 3, 2, 9), []),
        ]
        for received, events in timelines:
            await seed_submitted_case(
                db,
                tribunal,
                version,
                await make_user(db),
                answers={"accessibility": {"needs_interpreter": False}},
                received=received,
                language=language,
                status=FilingStatus.ACCEPTED if events else FilingStatus.SUBMITTED,
                later_events=events,
            )
        await db.commit()
        return Scene(tribunal.slug, admin, last, current)


def label_of(start_year: int) -> str:
    return f"{start_year}–{(start_year + 1) % 100:02d}"


async def figure(page: Page, name: str) -> str:
    """The value of a figure of the report, by its row's heading."""
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))
    await expect(row).to_have_count(1)
    return (await row.locator("td").first.inner_text()).strip()


async def the_admin_reads_the_report(
    page: Page, scene: Scene, language: str, check: Checker
) -> None:
    t = functools.partial(translate, language)
    await sign_in_at(page, f"/{scene.slug}/staff", language, scene.admin, check)
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Staff workspace"))
    await check(page)
    await page.get_by_role("link", name=t("Annual performance report")).click()
    # The last complete year is shown first.
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Annual performance report %(year)s", year=label_of(scene.last_year))
    )
    await check(page, "default year")

    chooser = page.get_by_label(t("Fiscal year"))
    await chooser.select_option(str(scene.current_year))
    await page.get_by_role("button", name=t("Show the report")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(t("to date"))
    await expect(page.get_by_label(t("Fiscal year"))).to_have_value(str(scene.current_year))
    await check(page, "current year")

    await page.get_by_label(t("Fiscal year")).select_option(str(scene.last_year))
    await page.get_by_role("button", name=t("Show the report")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Annual performance report %(year)s", year=label_of(scene.last_year))
    )
    await check(page, "last year")
    assert await figure(page, t("Cases received")) == "3"
    assert await figure(page, t("Cases accepted")) == "2"
    assert await figure(page, t("Cases pending at the end of the year")) == "3"
    standard = page.get_by_role("table", name=re.compile(t("Acknowledge a filing")))
    if language == "fr":
        standard = page.get_by_role("table", name=re.compile("Accuser réception d’un dossier"))
    year_row = standard.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=t("Whole year"), exact=True)
    )
    # Met, missed, the share met, the target, the median and 90th percentile in days.
    await expect(year_row.locator("td")).to_have_text(
        [
            "1",
            "1",
            re.compile(r"^50\s?%$"),
            re.compile(r"^80\s?%$"),
            re.compile(r"^\d+$"),
            re.compile(r"^\d+$"),
        ]
    )
    await expect(page.get_by_text(t("How it is counted")).first).to_be_visible()
    await expect(page.locator("main")).to_contain_text(
        t(
            "Cases submitted during the year, online or on paper, each counted once however "
            "many times it was submitted."
        )
    )

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=t("Download this report as CSV")).click()
    download = await download_info.value
    assert download.suggested_filename == (
        f"annual-report-{scene.slug}-{scene.last_year}-{scene.last_year + 1}.csv"
    )
    text = (await anyio.Path(await download.path()).read_bytes()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [t("Section"), t("Figure"), t("Value"), t("How it is counted")]
    values = {row[1]: row[2] for row in rows[1:]}
    assert values[t("Cases received")] == "3"
    assert all(row[3] for row in rows[1:])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_administrator_reads_and_downloads_the_annual_report(
    browser: Browser, live_server: LiveServer, check_accessibility: Checker, language: str
) -> None:
    check = check_accessibility
    scene = await a_scene(live_server, language)
    context = await new_context(browser, live_server, accept_downloads=True)
    try:
        async with open_page(context, check) as page:
            await the_admin_reads_the_report(page, scene, language, check)
    finally:
        await context.close()
