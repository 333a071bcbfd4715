"""A hearing from start to decision, in English and in French, in four browsers.

Covered: a tribunal administrator sets the hearing hours and modes, adds an ASL interpreter
and gives them their weekly availability; a clerk opens an accepted case whose claimant asked
for American Sign Language, is proposed times that book an ASL interpreter, and books the
first; the claimant sees the hearing on their case page, with its time and zone named, and
downloads the calendar invite, which holds the hearing's UID; the adjudicator finds the
hearing they held yesterday under "Awaiting your outcome" in My hearings, records that it
was held, uploads the decision and issues it; the claimant reads the decision on their case
page and downloads it. axe-core checks every page on the way.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, time, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from accounts.models import User
from filings.deadlines import today_in
from filings.demo import DEMO_CASE_TYPES
from filings.models import CaseType, CaseTypeVersion, Filing, FilingStatus, VersionStatus
from hearings.calendars import services as calendar_services
from hearings.calendars.services import Resource, local_instant
from hearings.models import Hearing, HearingMode, HearingStatus, ResourceKind
from tests.browser.conftest import Checker, LiveServer, new_context, open_page, switch_language
from tests.browser.test_filing_journey import live_database, sign_in_here
from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff
from tests.helpers import pdf_bytes, translate
from tribunals.models import Role
from tribunals.services import tribunal_by_slug
from tribune import i18n
from tribune.languages import language_name

pytestmark = pytest.mark.browser

DECISION_SUMMARY = "The appeal is allowed: the benefits are restored from the date of the claim."


@dataclass
class Scene:
    slug: str
    admin: User
    clerk: User
    adjudicator: User
    claimant: User
    to_schedule: Filing  # accepted; the claimant asked for ASL
    heard_yesterday: Filing  # its hearing was yesterday and awaits its outcome


async def a_scene(live_server: LiveServer, slug: str, language: str) -> Scene:
    """New staff of a demo tribunal (each in the language), an adjudicator available every
    weekday, and a claimant with two cases of the tribunal's demo appeal: one accepted that
    needs an ASL interpreter, one whose hearing took place yesterday."""
    async with live_database(live_server) as db:
        tribunal = await tribunal_by_slug(db, slug)
        assert tribunal is not None
        version = (
            await db.execute(
                select(CaseTypeVersion)
                .join(CaseType, CaseType.id == CaseTypeVersion.case_type_id)
                .where(
                    CaseType.tribunal_id == tribunal.id,
                    CaseType.code == DEMO_CASE_TYPES[slug][0]["code"],
                    CaseTypeVersion.status == VersionStatus.PUBLISHED,
                )
            )
        ).scalar_one()

        def staff(role: Role, name: str) -> dict[str, object]:
            email = f"{unique(role.value + '-')}@example.org"
            return {"role": role, "name": name, "email": email, "language": language}

        people = {
            role: await make_staff(db, tribunal, **staff(role, name))  # type: ignore[arg-type]
            for role, name in (
                (Role.ADMIN, "Alex Admin"),
                (Role.CLERK, "Chris Clerk"),
                (Role.ADJUDICATOR, "Dana Adjudicator"),
            )
        }
        adjudicator = people[Role.ADJUDICATOR]
        await calendar_services.set_weekly_pattern(
            db,
            tribunal,
            Resource(ResourceKind.ADJUDICATOR, adjudicator.id),
            [(weekday, time(9), time(17)) for weekday in range(5)],
            actor=people[Role.ADMIN],
        )
        claimant = await make_user(
            db,
            name=f"Camille {unique('Signe')}",
            email=f"{unique('claimant-')}@example.org",
            language=language,
        )
        to_schedule = await make_case(
            db, tribunal, filer=claimant, version=version, status=FilingStatus.ACCEPTED
        )
        to_schedule.answers = {
            **to_schedule.answers,
            "accessibility": {
                "needs_interpreter": False,
                "interpreter_language": "",
                "sign_language": "asl",
                "other_needs": "",
            },
        }
        heard = await make_case(
            db, tribunal, filer=claimant, version=version, status=FilingStatus.SCHEDULED
        )
        heard.assigned_adjudicator_id = adjudicator.id
        yesterday = local_instant(
            today_in(tribunal) - timedelta(days=1), time(10), tribunal.time_zone
        ).astimezone(UTC)
        hearing = Hearing(
            tribunal_id=tribunal.id,
            filing_id=heard.id,
            starts_at=yesterday,
            ends_at=yesterday + timedelta(hours=1),
            mode=HearingMode.VIDEO,
            adjudicator_id=adjudicator.id,
            status=HearingStatus.SCHEDULED,
        )
        hearing.calendar_uid = f"hearing-{unique('e2e')}@tribune"
        db.add(hearing)
        await db.commit()
        return Scene(
            slug,
            people[Role.ADMIN],
            people[Role.CLERK],
            adjudicator,
            claimant,
            to_schedule,
            heard,
        )


async def sign_in_at(page: Page, path: str, language: str, user: User, check: Checker) -> None:
    """Open a page that asks to sign in, switch to the language, sign in."""
    await page.goto(path)
    if language != "en":
        await switch_language(page, language, check)
    await sign_in_here(page, language, user, check)


async def set_up_hearings(page: Page, scene: Scene, language: str, check: Checker) -> str:
    """The administrator sets hours and modes, adds an ASL interpreter and their availability;
    return the interpreter's name."""
    t = functools.partial(translate, language)
    await sign_in_at(page, f"/{scene.slug}/staff", language, scene.admin, check)
    await expect(page).to_have_url(re.compile(rf"/{scene.slug}/staff$"))
    await check(page)
    await page.get_by_role("link", name=t("Hearing settings")).click()
    await check(page)
    for weekday in range(5):
        await page.locator(f"#open-{weekday}").check()
        await page.locator(f"#start-{weekday}").fill("09:30")
        await page.locator(f"#end-{weekday}").fill("16:30")
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
    await page.get_by_role("button", name=t("Save the settings")).click()
    await expect(page.get_by_text(t("Your changes are saved."))).to_be_visible()
    await check(page, "saved")

    await page.get_by_role("link", name=t("Back to the workspace")).click()
    await check(page)
    await page.get_by_role("link", name=t("Interpreters"), exact=True).click()
    await check(page)
    await page.get_by_role("link", name=t("Add an interpreter")).click()
    await check(page)
    name = unique("Sam Signes ")
    await page.get_by_label(t("Full name")).fill(name)
    await page.get_by_label(t("American Sign Language (ASL)")).check()
    await page.get_by_label(t("Email address")).fill("asl@interpretes.example")
    await page.get_by_role("button", name=t("Save the interpreter")).click()
    await expect(page.get_by_text(t("Your changes are saved."))).to_be_visible()
    await check(page, "interpreter added")
    row = page.get_by_role("row").filter(has_text=name)
    await row.get_by_role("link", name=re.compile(f"^{re.escape(t('Availability'))}")).click()
    await check(page)
    for weekday in range(5):
        await page.locator(f"#start-{weekday}-1").fill("09:00")
        await page.locator(f"#end-{weekday}-1").fill("17:00")
    await page.get_by_role("button", name=t("Save the weekly availability")).click()
    await expect(page.get_by_text(t("Your changes are saved."))).to_be_visible()
    await check(page, "availability saved")
    return name


async def book_the_first_proposal(page: Page, scene: Scene, language: str, check: Checker) -> str:
    """The clerk books the first time proposed; return the time as the page words it."""
    t = functools.partial(translate, language)
    await sign_in_at(
        page, f"/{scene.slug}/staff/cases/{scene.to_schedule.id}", language, scene.clerk, check
    )
    await expect(page.get_by_role("heading", name=t("Hearing"), exact=True)).to_be_visible()
    await check(page)
    await page.get_by_role("link", name=t("Schedule a hearing")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Schedule a hearing"))
    await check(page)
    with i18n.use_language(language):
        asl = language_name("ase")
    needs = t("This case needs an interpreter for %(languages)s.", languages=asl)
    await expect(page.get_by_text(needs)).to_be_visible()
    # Each proposal books an interpreter of the language.
    first = page.locator("#proposals > li").first
    await expect(first).to_contain_text(asl)
    when = (await first.get_by_role("heading", level=3).inner_text()).strip()
    await first.get_by_role("button", name=re.compile(f"^{re.escape(t('Book this time'))}")).click()
    await expect(page).to_have_url(re.compile(rf"/staff/cases/{scene.to_schedule.id}"))
    await expect(page.locator("#hearing")).to_be_visible()
    await expect(page.get_by_text(when).first).to_be_visible()
    await check(page, "booked")
    return when


async def claimant_sees_the_hearing(
    page: Page,
    scene: Scene,
    language: str,
    when: str,
    check: Checker,
    live_server: LiveServer,
    downloads: Path,
) -> None:
    t = functools.partial(translate, language)
    await sign_in_at(
        page, f"/{scene.slug}/cases/{scene.to_schedule.id}", language, scene.claimant, check
    )
    await expect(page.locator("#hearing-time")).to_have_text(when)
    await check(page)
    async with page.expect_download() as download_info:
        await page.get_by_role(
            "link", name=t("Add the hearing to your calendar (.ics file)")
        ).click()
    download = await download_info.value
    path = downloads / "invite.ics"
    await download.save_as(path)
    invite = Calendar.from_ical(path.read_bytes())
    assert invite["METHOD"] == "REQUEST"
    async with live_database(live_server) as db:
        hearing = (
            await db.execute(select(Hearing).where(Hearing.filing_id == scene.to_schedule.id))
        ).scalar_one()
    event = invite.walk("VEVENT")[0]
    assert str(event["UID"]) == hearing.calendar_uid
    assert event.decoded("DTSTART") == hearing.starts_at


async def adjudicator_decides(page: Page, scene: Scene, language: str, check: Checker) -> None:
    t = functools.partial(translate, language)
    reference = scene.heard_yesterday.reference
    await sign_in_at(page, f"/{scene.slug}/staff", language, scene.adjudicator, check)
    await expect(page).to_have_url(re.compile(rf"/{scene.slug}/staff$"))
    await check(page)
    await page.get_by_role("link", name=t("My hearings")).click()
    await expect(page.get_by_role("heading", name=t("Awaiting your outcome"))).to_be_visible()
    await check(page)
    await page.get_by_role(
        "link",
        name=t("Record the outcome of the hearing of case %(reference)s", reference=reference),
    ).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Outcome of the hearing"))
    await check(page)
    await page.get_by_label(t("The hearing was held"), exact=True).check()
    await page.get_by_role("button", name=t("Record the outcome")).click()
    await expect(page.locator("#case-status")).to_have_text(t("Heard"))
    await check(page, "heard")

    await page.get_by_role("link", name=t("Upload a decision or interim order")).click()
    await check(page)
    await (
        page.get_by_role("group", name=t("What is it?"))
        .get_by_label(t("Decision"), exact=True)
        .check()
    )
    await page.get_by_label(t("Summary")).fill(DECISION_SUMMARY)
    await page.get_by_label(t("The document")).set_input_files(
        {"name": "decision.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(pages=2)}
    )
    await page.get_by_role("button", name=t("Upload as a draft")).click()
    await expect(page.get_by_text(DECISION_SUMMARY, exact=True)).to_be_visible()
    await check(page, "draft uploaded")
    await page.get_by_role(
        "link", name=re.compile(f"^{re.escape(t('Issue'))} decision.pdf")
    ).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Issue the decision"))
    await check(page)
    await page.get_by_role("button", name=t("Issue the decision")).click()
    await expect(page.locator("#case-status")).to_have_text(t("Decided"))
    await check(page, "decided")


async def claimant_reads_the_decision(
    page: Page, scene: Scene, language: str, check: Checker, downloads: Path
) -> None:
    t = functools.partial(translate, language)
    await page.goto(f"/{scene.slug}/cases/{scene.heard_yesterday.id}")
    await expect(page.get_by_role("heading", name=t("Decisions and orders"))).to_be_visible()
    await expect(page.get_by_text(DECISION_SUMMARY, exact=True)).to_be_visible()
    await expect(page.locator("#case-status")).to_have_text(t("Decided"))
    await check(page, "decision issued")
    async with page.expect_download() as download_info:
        await page.get_by_role(
            "link", name=t("Download %(filename)s", filename="decision.pdf")
        ).click()
    download = await download_info.value
    path = downloads / "decision.pdf"
    await download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("language", "slug"), [pytest.param("en", "wcat", id="en"), pytest.param("fr", "lrb", id="fr")]
)
async def test_a_hearing_from_scheduling_to_decision(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Checker,
    tmp_path: Path,
    language: str,
    slug: str,
) -> None:
    check = check_accessibility
    scene = await a_scene(live_server, slug, language)
    contexts = [await new_context(browser, live_server) for _ in range(4)]
    try:
        admin, clerk, claimant, adjudicator = contexts
        async with open_page(admin, check) as page:
            await set_up_hearings(page, scene, language, check)
        async with open_page(clerk, check) as page:
            when = await book_the_first_proposal(page, scene, language, check)
        async with open_page(claimant, check) as page:
            await claimant_sees_the_hearing(
                page, scene, language, when, check, live_server, tmp_path
            )
        async with open_page(adjudicator, check) as page:
            await adjudicator_decides(page, scene, language, check)
        async with open_page(claimant, check) as page:
            await claimant_reads_the_decision(page, scene, language, check, tmp_path)
    finally:
        for context in contexts:
            await context.close()
