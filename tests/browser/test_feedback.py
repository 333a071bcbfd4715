"""Feedback and the hearing survey in the browser, in English and in French.

A visitor whose browser runs no script says a tribunal's home page helped ("Yes": thanked at
once, and back to the page), then reports a problem: the one question, its error when left
empty, and the thanks. A clerk finds the report in the list from the workspace, reads it
without the telephone number the visitor typed, answers it and marks it handled. A claimant
follows the survey link of a hearing just held, leaves a question out (the error summary),
answers, and finds the link used. axe-core checks every page and state on the way.
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from accountability.feedback.survey import send_invitations
from accounts.models import User
from filings.models import FilingStatus
from hearings.models import Hearing, HearingMode, HearingStatus
from tests.browser.conftest import Checker, LiveServer, new_context, open_page, switch_language
from tests.browser.test_filing_journey import heading, live_database, radio_group
from tests.browser.test_hearing_journey import sign_in_at
from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff
from tests.helpers import link_in, translate
from tribunals.models import Role
from tribunals.services import tribunal_by_slug
from tribune.app import build_outbox
from tribune.db import utcnow
from tribune.mail import OutboxMessage
from tribune.settings import load_settings

pytestmark = pytest.mark.browser

LANGUAGES = [pytest.param("en", "wcat", id="en"), pytest.param("fr", "lrb", id="fr")]
PHONE = "416 555 0199"


@dataclass
class Scene:
    slug: str
    clerk: User
    survey_path: str


async def a_scene(live_server: LiveServer, slug: str, language: str) -> Scene:
    """A clerk speaking the language, and a claimant of the language whose case's hearing was
    just held: return the path of the survey link they were sent."""
    async with live_database(live_server) as db:
        tribunal = await tribunal_by_slug(db, slug)
        assert tribunal is not None
        clerk = await make_staff(
            db,
            tribunal,
            Role.CLERK,
            name="Chris Clerk",
            email=f"{unique('clerk-')}@example.org",
            language=language,
        )
        adjudicator = await make_staff(
            db, tribunal, Role.ADJUDICATOR, email=f"{unique('adjudicator-')}@example.org"
        )
        claimant = await make_user(
            db, email=f"{unique('claimant-')}@example.org", language=language
        )
        case = await make_case(
            db, tribunal, filer=claimant, status=FilingStatus.HEARD, language=language
        )
        start = utcnow().replace(microsecond=0) - timedelta(hours=3)
        db.add(
            Hearing(
                tribunal_id=tribunal.id,
                filing_id=case.id,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                mode=HearingMode.VIDEO,
                adjudicator_id=adjudicator.id,
                status=HearingStatus.HELD,
                calendar_uid=f"hearing-{uuid.uuid4()}@tribune",
            )
        )
        await db.flush()
        await send_invitations(db, build_outbox(load_settings()), tribunal, case)
        await db.commit()
        message = (
            await db.scalars(
                select(OutboxMessage).where(OutboxMessage.to_address == claimant.email)
            )
        ).one()
        return Scene(slug, clerk, link_in(message))


async def feedback_from_a_visitor(page: Page, scene: Scene, language: str, check: Checker) -> None:
    t = functools.partial(translate, language)
    home = f"/{scene.slug}/"
    await page.goto(home)
    await check(page)
    if language != "en":
        await switch_language(page, language, check)
    widget = page.get_by_role("region", name=t("Was this page helpful?"))
    await widget.get_by_role("button", name=t("Yes")).click()
    await heading(page, t("Thank you for your feedback"), check, "helpful")
    await page.get_by_role("link", name=t("Go back to the page you were on")).click()
    await expect(page).to_have_url(re.compile(f"{re.escape(home)}$"))
    await check(page)

    await widget.get_by_role("link", name=t("Report a problem with this page")).click()
    await heading(page, t("Report a problem with this page"), check)
    await expect(page.locator(".govuk-warning-text")).to_contain_text(
        t(
            "Do not include personal information: no name, address, case number, social "
            "insurance number, health card number or telephone number. We cannot answer "
            "questions about a case here."
        )
    )
    await page.get_by_role("button", name=t("Send"), exact=True).click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text(t("Tell us what went wrong"))
    await check(page, "errors")
    await page.get_by_label(t("What went wrong?")).fill(
        f"The link to the hearing dates is broken. Call me at {PHONE}."
    )
    await page.get_by_label(t("Your email address (optional)")).fill("visitor@example.org")
    await page.get_by_role("button", name=t("Send"), exact=True).click()
    await heading(page, t("Thank you for your feedback"), check, "problem")


async def the_clerk_answers(page: Page, scene: Scene, language: str, check: Checker) -> None:
    t = functools.partial(translate, language)
    await sign_in_at(page, f"/{scene.slug}/staff", language, scene.clerk, check)
    await check(page)
    await page.get_by_role("link", name=t("Feedback on the tribunal's pages")).click()
    await heading(page, t("Feedback on the tribunal's pages"), check)
    row = page.locator("tbody tr").filter(has_text=t("Problem reported"))
    await expect(row).to_have_count(1)
    await row.get_by_role("link").click()
    await check(page)
    await expect(page.locator("main")).to_contain_text("The link to the hearing dates is broken")
    await expect(page.locator("main")).not_to_contain_text(PHONE)
    await page.get_by_label(t("Your answer")).fill("Thank you: the link is fixed.")
    await page.get_by_role("button", name=t("Send the answer")).click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        t("Your answer was sent.")
    )
    await check(page, "answered")
    await page.get_by_role("button", name=t("Mark as handled")).click()
    await heading(page, t("Feedback on the tribunal's pages"), check, "handled")
    await expect(page.locator("tbody tr").filter(has_text=t("Problem reported"))).to_have_count(0)


async def the_claimant_answers_the_survey(
    page: Page, scene: Scene, language: str, check: Checker
) -> None:
    t = functools.partial(translate, language)
    await page.goto(scene.survey_path)
    await check(page)
    if language != "en":
        await switch_language(page, language, check)
    await heading(page, t("How was your hearing?"), check)
    await page.get_by_label(t("Satisfied"), exact=True).check()
    await page.get_by_role("button", name=t("Send my answers")).click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        t("Select whether you could see, hear and take part in the hearing")
    )
    await check(page, "errors")
    await (
        radio_group(page, t("Could you see, hear and take part in the hearing as you needed to?"))
        .get_by_label(t("Yes"), exact=True)
        .check()
    )
    await (
        radio_group(page, t("Were the way the hearing works and the next steps explained clearly?"))
        .get_by_label(t("Partly"), exact=True)
        .check()
    )
    await page.get_by_label(t("Is there anything else you want to tell us? (optional)")).fill(
        "The sound was poor at first."
    )
    await page.get_by_role("button", name=t("Send my answers")).click()
    await heading(page, t("Thank you for your answers"), check)
    await page.goto(scene.survey_path)
    await heading(page, t("You have already answered this survey"), check, "used")


@pytest.mark.parametrize(("language", "slug"), LANGUAGES)
async def test_feedback_from_any_page_is_answered_and_the_survey_answered_once(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Checker,
    language: str,
    slug: str,
) -> None:
    check = check_accessibility
    scene = await a_scene(live_server, slug, language)
    # Without JavaScript: the widget's forms post and link like any other.
    visitor = await new_context(browser, live_server, java_script_enabled=False)
    clerk = await new_context(browser, live_server)
    claimant = await new_context(browser, live_server)
    try:
        async with open_page(visitor, check, scripts=False) as page:
            await feedback_from_a_visitor(page, scene, language, check)
        async with open_page(clerk, check) as page:
            await the_clerk_answers(page, scene, language, check)
        async with open_page(claimant, check) as page:
            await the_claimant_answers_the_survey(page, scene, language, check)
    finally:
        for context in (visitor, clerk, claimant):
            await context.close()
