"""The registry journey of test_docket_journey.py, in French from start to end.

Everyone's account is in French, and each browser (English-speaking) switches to French with
the header's link on the sign-in page. A French clerk filters the docket ("Rôle des
dossiers") and opens the case; returns it for completion; the French claimant reads the
reason and resubmits; the clerk accepts it and adds a French-speaking respondent, who gets
the invitation in French, joins, answers, uploads a document to the response's slot on
"Vérifiez et envoyez votre réponse", sends the response and sees it with its document; the
clerk's case page then shows the response and its document. Every page checked is in French
(`html[lang="fr"]`), shows no error summary and passes axe-core.
"""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import AxeRecord, Checker, LiveServer, new_context, open_page
from tests.browser.test_docket_journey import (
    RESPONSE_SLOTS,
    Case,
    a_submitted_case,
    accept_and_add_a_respondent,
    access_code_for,
    complete_and_resubmit,
    join_and_answer,
    open_the_case_from_the_docket,
    respondent_summary,
    return_for_completion,
    send_the_response,
    the_clerk_sees_the_response,
)
from tests.browser.test_filing_journey import heading, live_database, write_pdf
from tests.helpers import last_message

pytestmark = pytest.mark.browser

FR = "fr"
RETURN_REASON = "Ajoutez votre numéro de réclamation et précisez l'objet de la décision."
EVIDENCE = RESPONSE_SLOTS["response_evidence"]["label"][FR]  # "Vos éléments de preuve…"
FILENAME = "lettre-de-l-employeur.pdf"


class FrenchChecker(Checker):
    """axe-core on each page, which must also be in French and free of form errors."""

    async def __call__(self, page: Page, state: str = "") -> None:
        await expect(page.locator("html")).to_have_attribute("lang", FR)
        await expect(page.locator(".govuk-error-summary")).to_have_count(0)
        await super().__call__(page, state)


@pytest.fixture
def check(axe_records: list[AxeRecord]) -> FrenchChecker:
    return FrenchChecker(axe_records)


async def the_invitation_is_in_french(live_server: LiveServer, case: Case) -> None:
    async with live_database(live_server) as db:
        message = await last_message(db, case.respondent.email)
    assert message.language == FR
    assert message.subject == f"Dossier {case.reference} : vous êtes intimé"
    assert message.body.startswith("Bonjour Rita Okoye,")
    assert f"Numéro de dossier : {case.reference}" in message.body
    assert "Code d’accès :" in message.body
    assert f"puis allez à : {live_server.url}/{case.slug}/join" in message.body


async def upload_evidence(page: Page, path: Path, check: Checker) -> None:
    """On "Vérifiez et envoyez votre réponse", upload a PDF to the response's evidence slot."""
    section = page.get_by_role("region", name=EVIDENCE)
    await section.get_by_label(f"Téléverser un fichier: {EVIDENCE}").set_input_files(path)
    await section.get_by_role("button", name="Téléverser", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/response/check\?uploaded=1$"))
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Votre fichier a été téléversé"
    )
    await expect(section.get_by_role("link")).to_have_text([FILENAME])
    await check(page, "uploaded")


async def the_respondent_sees_their_response(page: Page, pdf: bytes) -> None:
    """Their case page lists the response, with the document they gave."""
    responses = page.get_by_role("heading", level=2, name="Réponses")
    await expect(responses).to_be_visible()
    await expect(
        page.get_by_role("heading", name="Réponse de Northern Mining Ltd", exact=True)
    ).to_be_visible()
    await expect(
        page.get_by_role("heading", name="Documents fournis avec la réponse")
    ).to_be_visible()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=FILENAME).click()
    download = await download_info.value
    assert await anyio.Path(await download.path()).read_bytes() == pdf


async def test_a_case_goes_from_the_docket_to_a_response_in_french(
    browser: Browser, live_server: LiveServer, check: FrenchChecker, tmp_path: Path
) -> None:
    case = await a_submitted_case(live_server, FR)
    pdf = write_pdf(tmp_path / FILENAME, "Lettre de l'employeur")

    clerk_context = await new_context(browser, live_server)
    try:
        async with open_page(clerk_context, check) as page:
            # The clerk's page: workspace, "Ouvrir le rôle des dossiers", filters, the case.
            await open_the_case_from_the_docket(page, case, check, FR)
            await expect(page.get_by_role("heading", level=1)).to_have_text(
                f"Dossier {case.reference}"
            )
            await expect(page.locator("#case-status")).to_have_text("Soumis")
            await expect(page.get_by_role("heading", name="Demandeur : Camille")).to_be_visible()
            await return_for_completion(page, case, check, FR, RETURN_REASON)
            await expect(page.locator(".tribune-timeline")).to_contain_text(
                f"Motif : {RETURN_REASON}"
            )

            claimant_context = await new_context(browser, live_server)
            try:
                async with open_page(claimant_context, check) as claimant_page:
                    await complete_and_resubmit(claimant_page, case, check, FR, RETURN_REASON)
                    await expect(claimant_page.locator(".tribune-timeline strong")).to_contain_text(
                        ["Déposé en ligne", "Demande soumise de nouveau"]
                    )
            finally:
                await claimant_context.close()

            await accept_and_add_a_respondent(page, case, check, FR)
            await expect(page.locator("#case-status")).to_have_text("Accepté")
            await expect(page.locator(".tribune-timeline")).to_contain_text("Intimé ajouté")
            await expect(
                page.get_by_role("heading", name="Intimé : Northern Mining Ltd", exact=True)
            ).to_be_visible()
            await the_invitation_is_in_french(live_server, case)
            code = await access_code_for(live_server, case.respondent.email)

            respondent_context = await new_context(browser, live_server)
            try:
                async with open_page(respondent_context, check) as respondent_page:
                    await join_and_answer(respondent_page, case, code, check, FR)
                    await expect(respondent_page.get_by_role("heading", level=1)).to_have_text(
                        "Vérifiez et envoyez votre réponse"
                    )
                    await upload_evidence(respondent_page, tmp_path / FILENAME, check)
                    await send_the_response(respondent_page, case, check, FR)
                    await expect(
                        respondent_page.locator(".tribune-timeline strong")
                    ).to_contain_text(["Réponse reçue"])
                    await the_respondent_sees_their_response(respondent_page, pdf)
            finally:
                await respondent_context.close()

            # The clerk's case page shows the response, and the document given with it.
            await the_clerk_sees_the_response(page, check, FR)
            respondent_list = respondent_summary(page, FR)
            await expect(respondent_list).to_contain_text("Déposée le")
            documents = respondent_list.locator("xpath=following-sibling::*[1]")
            await expect(documents).to_have_text("Documents fournis avec la réponse")
            link = page.get_by_role("main").get_by_role("link", name=FILENAME)
            await expect(link).to_have_attribute("href", re.compile(rf"^/{case.slug}/documents/"))
            async with page.expect_download() as download_info:
                await link.click()
            download = await download_info.value
            assert await anyio.Path(await download.path()).read_bytes() == pdf

            # The docket's counts per status follow French typography too.
            await page.get_by_role("link", name="Retour à l'espace de travail").click()
            await page.get_by_role("link", name="Ouvrir le rôle des dossiers").click()
            await heading(page, "Rôle des dossiers", check, "counts")
            await expect(page.locator(".tribune-docket-counts li").first).to_have_text(
                re.compile(r"^Soumis : \d")
            )
    finally:
        await clerk_context.close()
