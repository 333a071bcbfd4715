"""Paying a case's fee in the browser, in English and in French, on the sandbox's hosted page.

A claimant files a case of a kind with a fee (the start page says the fee), is sent after
the declaration to "Pay the fee", pays on the sandbox's hosted page with the success card,
comes back to the receipt number, opens the receipt, and the case page shows nothing left to
pay; a clerk then refunds part of that payment from the staff case page, with a reason, and
lands on the refund's receipt. Another claimant's card is declined: they are told so
plainly, try again with the success card and pay. Another asks for a fee waiver with an
income above the tribunal's automatic limits, so it waits for the registry; a clerk approves
it from the list of fee waivers to decide, and the claimant's case page shows the fee
waived. axe-core checks every page and state on the way, the hosted payment page included.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.async_api import Browser, Page, expect

from accounts.models import User
from filings.models import CaseTypeVersion, Filing
from payments.demo import load_demo_fees
from payments.fees import services as fees
from payments.money import format_money
from tests.browser.conftest import (
    Checker,
    LiveServer,
    new_context,
    open_page,
    switch_language,
)
from tests.browser.test_filing_journey import (
    heading,
    live_database,
    radio_group,
    save_and_continue,
    sign_in_here,
)
from tests.browser.test_hearing_journey import sign_in_at
from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.filings import make_case, make_case_type
from tests.factories.payments import make_fee
from tests.factories.tribunals import make_staff
from tests.helpers import translate
from tribunals.models import Role
from tribunals.services import tribunal_by_slug

pytestmark = pytest.mark.browser

FEE_CENTS = 5000
REFUND_CENTS = 2000
TITLE = {"en": "Complaint with a filing fee", "fr": "Plainte avec des droits de dépôt"}
SUCCEEDS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
RECEIPT = re.compile(r"^[A-Z]+-R-\d{4}-\d{6}$")
LANGUAGES = [pytest.param("en", "wcat", id="en"), pytest.param("fr", "lrb", id="fr")]


@dataclass
class Scene:
    slug: str
    version: CaseTypeVersion
    claimant: User
    clerk: User


async def a_scene(live_server: LiveServer, slug: str, language: str) -> Scene:
    """The demo tribunals' payment settings (income limits by household size), a kind of case
    with a $50.00 fee, a claimant and a clerk speaking the language."""
    async with live_database(live_server) as db:
        await load_demo_fees(db)  # once: the settings of the demo tribunals
        await db.commit()
        tribunal = await tribunal_by_slug(db, slug)
        assert tribunal is not None
        version = await make_case_type(
            db,
            tribunal,
            title_en=TITLE["en"],
            title_fr=TITLE["fr"],
            definition={
                "questions": [],
                "document_slots": [],
                "deadline": None,
                "fee": {"applies": True},
            },
        )
        await make_fee(db, tribunal, version, amount_cents=FEE_CENTS)
        claimant = await make_user(
            db,
            name="Camille Claimant",
            email=f"{unique('payer-')}@example.org",
            language=language,
        )
        clerk = await make_staff(
            db,
            tribunal,
            Role.CLERK,
            name="Chris Clerk",
            email=f"{unique('clerk-')}@example.org",
            language=language,
        )
        return Scene(slug, version, claimant, clerk)


async def a_charged_case(live_server: LiveServer, scene: Scene) -> Filing:
    """A case of the scene's claimant, submitted, charged its fee and awaiting payment."""
    async with live_database(live_server) as db:
        tribunal = await tribunal_by_slug(db, scene.slug)
        assert tribunal is not None
        filing = await make_case(
            db,
            tribunal,
            filer=scene.claimant,
            version=scene.version,
            name=scene.claimant.name,
            language=scene.claimant.language,
        )
        assert await fees.assess(db, tribunal, filing, scene.version) is not None
        await db.commit()
        return filing


def money(cents: int, language: str) -> str:
    return format_money(cents, "CAD", language)


# -- steps ------------------------------------------------------------------------------------


async def file_the_case(page: Page, scene: Scene, language: str, check: Checker) -> None:
    """From the kind of case's start page (which says the fee) to the declaration."""
    t = functools.partial(translate, language)
    await page.goto(f"/{scene.slug}/file/{scene.version.id}")
    await check(page)
    if language != "en":
        await switch_language(page, language, check)
    await heading(page, TITLE[language], check)
    await expect(page.locator("#fee-amount")).to_have_text(
        t("The fee to file this is %(amount)s.", amount=money(FEE_CENTS, language))
    )
    await page.get_by_role("button", name=t("Sign in and start")).click()
    await sign_in_here(page, language, scene.claimant, check)
    await heading(page, TITLE[language], check, "signed in")
    await page.get_by_role("button", name=t("Start now")).click()

    await heading(page, t("Can you file this case?"), check)
    legend = t("From what you have read, can you file this case?")
    await radio_group(page, legend).get_by_label(t("Yes")).check()
    await save_and_continue(page, language)

    await heading(page, t("About you"), check)
    await expect(page.get_by_label(t("Full name"))).to_have_value(scene.claimant.name)
    await page.get_by_label(t("Address line 1"), exact=True).fill("12 Main St")
    await page.get_by_label(t("Town or city")).fill("Sudbury")
    await page.get_by_label(t("Province or territory")).select_option("ON")
    await page.get_by_label(t("Postal code")).fill("P3A 1B2")
    await page.get_by_label(t("By email")).check()
    await save_and_continue(page, language)

    await heading(page, t("Your representative"), check)
    legend = t("Does someone represent you?")
    await radio_group(page, legend).get_by_label(t("No"), exact=True).check()
    await save_and_continue(page, language)

    await heading(page, t("Accessibility and accommodation"), check)
    await (
        radio_group(page, t("Do you need an interpreter?"))
        .get_by_label(t("No"), exact=True)
        .check()
    )
    await (
        radio_group(page, t("Do you need sign language interpretation?"))
        .get_by_label(t("No"), exact=True)
        .check()
    )
    await save_and_continue(page, language)

    await heading(page, t("About your case"), check)
    await save_and_continue(page, language)
    await heading(page, t("Upload your documents"), check)
    await save_and_continue(page, language)
    await heading(page, t("Check your answers before you file"), check)
    await page.get_by_role("link", name=t("Continue"), exact=True).click()

    await heading(page, t("Declaration"), check)
    await page.get_by_label(
        t(
            "I declare that the information I have given is true and complete "
            "to the best of my knowledge"
        )
    ).check()
    await page.get_by_role("button", name=t("File your case")).click()


async def on_the_fee_page(page: Page, language: str, check: Checker, state: str = "") -> None:
    t = functools.partial(translate, language)
    await heading(page, t("Pay the fee"), check, state)
    left = page.locator(".govuk-summary-list__row").filter(has_text=t("Left to pay"))
    await expect(left.locator(".govuk-summary-list__value")).to_have_text(
        money(FEE_CENTS, language)
    )


async def pay_on_the_sandbox(
    page: Page, language: str, card: str, check: Checker, state: str = ""
) -> None:
    """On the hosted payment page (in the payer's language), pay with a test card."""
    t = functools.partial(translate, language)
    await expect(page).to_have_url(re.compile(r"/sandbox/checkout/[^/]+$"))
    await heading(page, t("Pay by card"), check, state)
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await expect(page.get_by_role("table")).to_contain_text(card)
    await page.get_by_label(t("Card number")).fill(card)
    await page.get_by_label(t("Expiry date")).fill(f"04/{(date.today().year + 2) % 100:02d}")
    await page.get_by_label(t("Security code")).fill("123")
    await page.get_by_label(t("Name on the card")).fill("Camille Claimant")
    await page.get_by_role(
        "button", name=t("Pay %(amount)s", amount=money(FEE_CENTS, language))
    ).click()


async def paid(page: Page, language: str, check: Checker) -> str:
    """The return page says the payment was received; return the receipt's number."""
    t = functools.partial(translate, language)
    panel = page.locator(".govuk-panel--confirmation")
    await expect(panel.get_by_role("heading", level=1)).to_have_text(t("Payment received"))
    number = await panel.locator("strong").inner_text()
    assert RECEIPT.match(number), number
    await check(page, "paid")
    return number


async def case_page_shows_nothing_left(page: Page, language: str, check: Checker) -> None:
    await expect(page.locator("#fee-left")).to_have_text(money(0, language))
    await check(page, "fee settled")


# -- the journeys -----------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "slug"), LANGUAGES)
async def test_a_claimant_files_and_pays_then_a_clerk_refunds_part(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Checker,
    language: str,
    slug: str,
) -> None:
    check = check_accessibility
    t = functools.partial(translate, language)
    scene = await a_scene(live_server, slug, language)
    claimant_context = await new_context(browser, live_server)
    clerk_context = await new_context(browser, live_server)
    try:
        async with open_page(claimant_context, check) as page:
            await file_the_case(page, scene, language, check)
            # The declaration leads on to paying the fee.
            await on_the_fee_page(page, language, check, "after the declaration")
            reference = await page.locator(".govuk-caption-l").inner_text()
            await page.get_by_role("button", name=t("Pay now by card")).click()
            await pay_on_the_sandbox(page, language, SUCCEEDS, check)
            number = await paid(page, language, check)

            await page.get_by_role("link", name=t("View and print your receipt")).click()
            await heading(page, t("Receipt %(number)s", number=number), check)
            receipt = page.locator(".govuk-summary-list")
            await expect(receipt).to_contain_text(money(FEE_CENTS, language))
            await expect(receipt).to_contain_text(reference.split()[-1])
            await page.get_by_role("link", name=t("Back to the case")).click()
            await expect(page.locator("#fee-statement")).to_have_text(
                t("The fee is paid. Thank you.")
            )
            await case_page_shows_nothing_left(page, language, check)
            filing_id = page.url.rstrip("/").split("/")[-1].split("#")[0]

        async with open_page(clerk_context, check) as page:
            case_page = f"/{slug}/staff/cases/{filing_id}"
            await sign_in_at(page, case_page, language, scene.clerk, check)
            await expect(page).to_have_url(re.compile(rf"{case_page}$"))
            await check(page, "paid case, staff")
            fee_section = page.locator("#fees")
            await fee_section.get_by_role(
                "link",
                name=t("Refund the payment of %(amount)s", amount=money(FEE_CENTS, language)),
            ).click()
            await heading(page, t("Refund a payment"), check)
            await page.get_by_role("button", name=t("Refund")).click()  # empty: refused
            summary = page.locator(".govuk-error-summary")
            await expect(summary).to_be_focused()
            await check(page, "errors shown")
            typed = {"en": "20.00", "fr": "20,00"}[language]
            await page.get_by_label(t("Amount to refund")).fill(typed)
            await page.get_by_label(t("Reason for the refund")).fill("Paid the full fee by mistake")
            await page.get_by_role("button", name=t("Refund")).click()

            await expect(page.get_by_role("heading", level=1)).to_have_text(
                re.compile(re.escape(t("Receipt %(number)s", number="")) + r"[A-Z]+-R-")
            )
            await check(page, "refund's receipt")
            receipt = page.locator(".govuk-summary-list")
            await expect(receipt).to_contain_text(money(REFUND_CENTS, language))
            refund_number = await receipt.locator(".govuk-summary-list__value").first.inner_text()
            assert RECEIPT.match(refund_number), refund_number
            assert refund_number != number

            await page.goto(case_page)
            await expect(page.locator("#fees").get_by_role("table").nth(1)).to_contain_text(
                "Paid the full fee by mistake"
            )
            await check(page, "part refunded, staff")
    finally:
        await claimant_context.close()
        await clerk_context.close()


@pytest.mark.parametrize(("language", "slug"), LANGUAGES)
async def test_a_declined_card_then_a_payment(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Checker,
    language: str,
    slug: str,
) -> None:
    check = check_accessibility
    t = functools.partial(translate, language)
    scene = await a_scene(live_server, slug, language)
    filing = await a_charged_case(live_server, scene)
    context = await new_context(browser, live_server)
    try:
        async with open_page(context, check) as page:
            await sign_in_at(page, f"/{slug}/cases/{filing.id}", language, scene.claimant, check)
            await expect(page.locator("#fee-statement")).to_have_text(
                t("You have %(left)s left to pay.", left=money(FEE_CENTS, language))
            )
            await check(page, "awaiting payment")
            await page.locator("#fees").get_by_role("link", name=t("Pay the fee")).click()
            await on_the_fee_page(page, language, check)
            await page.get_by_role("button", name=t("Pay now by card")).click()
            await pay_on_the_sandbox(page, language, DECLINED, check)

            await heading(page, t("Your payment did not go through"), check, "declined")
            await expect(page.get_by_role("main")).to_contain_text(
                t("Your card was declined. Try another card, or contact your bank.")
            )
            await expect(page.get_by_role("main")).to_contain_text(
                t("Nothing was taken from your card.")
            )
            await page.get_by_role("button", name=t("Try again")).click()
            await pay_on_the_sandbox(page, language, SUCCEEDS, check, "second try")
            await paid(page, language, check)

            await page.get_by_role("link", name=t("Go to your case")).click()
            await expect(page.locator("#fee-statement")).to_have_text(
                t("The fee is paid. Thank you.")
            )
            await case_page_shows_nothing_left(page, language, check)
            # The declined attempt is listed, and no second payment was taken.
            states = page.locator("#fees").get_by_role("table").first
            await expect(states).to_contain_text(t("Refused by the bank"))
            await expect(states.get_by_text(t("Paid"), exact=True)).to_have_count(1)
    finally:
        await context.close()


@pytest.mark.parametrize(("language", "slug"), LANGUAGES)
async def test_a_fee_waiver_the_registry_approves(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Checker,
    language: str,
    slug: str,
) -> None:
    check = check_accessibility
    t = functools.partial(translate, language)
    scene = await a_scene(live_server, slug, language)
    filing = await a_charged_case(live_server, scene)
    claimant_context = await new_context(browser, live_server)
    clerk_context = await new_context(browser, live_server)
    case_page = f"/{slug}/cases/{filing.id}"
    try:
        async with (
            open_page(claimant_context, check) as claimant,
            open_page(clerk_context, check) as clerk,
        ):
            await sign_in_at(claimant, case_page, language, scene.claimant, check)
            await check(claimant, "awaiting payment")
            await claimant.locator("#fees").get_by_role("link", name=t("Pay the fee")).click()
            await on_the_fee_page(claimant, language, check)
            await claimant.get_by_role("link", name=t("Ask for a fee waiver")).click()
            await heading(claimant, t("Ask for a fee waiver"), check)
            # A household of two well above the demo's limit ($31,000.00, or $38,750.00 for a
            # part waiver): the rules cannot decide, the registry does.
            await claimant.get_by_label(t("How many people live in your household?")).fill("2")
            await claimant.get_by_label(
                t("What is your household's yearly income, before tax?")
            ).fill("52000")
            await (
                radio_group(claimant, t("Does your household receive social assistance?"))
                .get_by_label(t("No"), exact=True)
                .check()
            )
            await claimant.get_by_label(
                t(
                    "I declare that the information I gave is true and complete. "
                    "I understand the tribunal may ask for proof."
                )
            ).check()
            await claimant.get_by_role("button", name=t("Ask for the fee waiver")).click()
            await expect(claimant.locator("#fee-statement")).to_have_text(
                t(
                    "You asked for a fee waiver. The registry will decide and tell you by "
                    "email. Until then, you do not have to pay."
                )
            )
            await check(claimant, "waiver waiting")

            await sign_in_at(clerk, f"/{slug}/staff", language, scene.clerk, check)
            await expect(clerk).to_have_url(re.compile(rf"/{slug}/staff$"))
            await check(clerk)
            await clerk.get_by_role("link", name=t("Fee waivers to decide")).click()
            await heading(clerk, t("Fee waivers to decide"), check)
            await clerk.get_by_role(
                "link", name=t("Decide the fee waiver of %(reference)s", reference=filing.reference)
            ).click()
            await heading(clerk, t("Decide a fee waiver"), check)
            await clerk.get_by_label(t("Grant in full: nothing to pay")).check()
            await clerk.get_by_label(t("Reason for the decision")).fill(
                "Rent and childcare take most of the household's income."
            )
            await clerk.get_by_role("button", name=t("Decide")).click()
            await expect(clerk).to_have_url(re.compile(rf"/{slug}/staff/cases/{filing.id}"))
            await expect(clerk.locator("#awaiting-payment")).to_have_count(0)
            await check(clerk, "waiver approved, staff")

            await claimant.reload()
            await expect(claimant.locator("#fee-statement")).to_have_text(
                t("Your fee waiver was granted: you have nothing to pay.")
            )
            waived = claimant.locator("#fee-balance .govuk-summary-list__row").filter(
                has_text=t("Waived")
            )
            await expect(waived.locator(".govuk-summary-list__value")).to_have_text(
                money(FEE_CENTS, language)
            )
            # The waivers asked for: the decision and what it waived.
            decision = t(
                "%(decision)s: %(amount)s waived",
                decision=t("Granted"),
                amount=money(FEE_CENTS, language),
            )
            await expect(claimant.locator("#fees").get_by_role("table")).to_contain_text(decision)
            await case_page_shows_nothing_left(claimant, language, check)
    finally:
        await claimant_context.close()
        await clerk_context.close()
