"""A fee waiver request's optional proof of income or of assistance: received through the
documents' checks (content by magic bytes, size and count, scanning, streamed to disk), stored
as a case document in the "fee_waiver_proof" slot, shown to the registry on the decision page
and to the claimant's side as their own document, never to a respondent. A refused file
answers the form again with a translated error, and nothing is stored: no waiver, no
document, no object."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.documents.forms import content_message
from filings.documents.inspection import Problem
from filings.models import CaseEvent, CaseParty, Document, PartyRole
from payments.models import FeeWaiver, WaiverState
from payments.waivers.services import PROOF_SLOT
from tests.factories.accounts import make_user
from tests.filings.conftest import DocumentStore, document_store  # noqa: F401 - a fixture
from tests.filings.test_documents import image
from tests.helpers import as_user, count, csrf_token, french, pdf_bytes, text_of, translate
from tests.payments.test_waivers import ask, decide_url, request_url, scene
from tribune import i18n
from tribune.db import utcnow

WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00" + b"\x00" * 58 + b"This program cannot be run in DOS mode"
FIELDS = {
    "household_size": "2",
    "household_income": "45000",  # above the limits: a clerk decides
    "receives_assistance": "no",
    "declared": "yes",
}


async def ask_with_proof(
    client: httpx.AsyncClient,
    url: str,
    proof: tuple[str, bytes, str] | None,
    **changes: str,
) -> httpx.Response:
    """Send the waiver form as the browser does: multipart, the token first, then the file
    input (empty when no file is selected)."""
    token = await csrf_token(client, url)
    return await client.post(
        url,
        data={"csrf_token": token, **FIELDS, **changes},
        files={"proof": proof or ("", b"", "application/octet-stream")},
    )


async def proofs(db: AsyncSession) -> list[Document]:
    return list((await db.scalars(select(Document).where(Document.slot == PROOF_SLOT.key))).all())


async def test_a_proof_is_stored_as_a_case_document_for_the_registry_and_the_claimant(
    client: httpx.AsyncClient,
    db: AsyncSession,
    document_store: DocumentStore,  # noqa: F811 - the fixture
) -> None:
    tribunal, clerk, claimant, case = await scene(db)
    respondent = await make_user(db)
    db.add(
        CaseParty(
            tribunal_id=tribunal.id,
            filing_id=case.filing.id,
            role=PartyRole.RESPONDENT,
            name="Rory Respondent",
            user_id=respondent.id,
            joined_at=utcnow(),
        )
    )
    await db.commit()
    await as_user(client, claimant)
    form = text_of(await client.get(request_url(tribunal, case)))
    assert 'enctype="multipart/form-data"' in form
    assert '<label class="govuk-label govuk-label--s" for="proof">' in form
    content = pdf_bytes()
    response = await ask_with_proof(
        client,
        request_url(tribunal, case),
        ("notice of assessment.pdf", content, "application/pdf"),
    )
    assert response.status_code == 303, response.text
    waiver = (await db.scalars(select(FeeWaiver))).one()
    assert waiver.state is WaiverState.REQUESTED
    [proof] = await proofs(db)
    assert (proof.filing_id, proof.kind, proof.size) == (case.filing.id, "pdf", len(content))
    assert proof.filename == "notice of assessment.pdf"
    assert document_store.keys() == [proof.storage_key]
    download = f"/{tribunal.slug}/documents/{proof.id}"

    # The claimant sees it among the case's documents, and downloads it.
    case_page = text_of(await client.get(f"/{tribunal.slug}/cases/{case.filing.id}"))
    assert download in case_page
    assert "notice of assessment.pdf" in case_page
    got = await client.get(download)
    assert got.status_code == 200
    assert got.content == content
    assert "attachment" in got.headers["content-disposition"]

    # The registry sees it on the decision page with a download link, and on the case page.
    await as_user(client, clerk)
    decision_page = text_of(await client.get(decide_url(tribunal, waiver)))
    assert f'href="{download}"' in decision_page
    assert "notice of assessment.pdf" in decision_page
    assert download in text_of(await client.get(f"/{tribunal.slug}/staff/cases/{case.filing.id}"))
    assert (await client.get(download)).content == content
    event = (
        await db.scalars(
            select(CaseEvent).where(
                CaseEvent.filing_id == case.filing.id, CaseEvent.kind == "document_added"
            )
        )
    ).one()
    assert not event.visible_to_parties

    # A respondent neither sees it nor downloads it.
    await as_user(client, respondent)
    respondent_page = await client.get(f"/{tribunal.slug}/cases/{case.filing.id}")
    assert respondent_page.status_code == 200
    assert download not in respondent_page.text
    assert "notice of assessment.pdf" not in respondent_page.text
    assert (await client.get(download)).status_code == 404


async def test_no_proof_is_needed_and_a_decided_waiver_keeps_its_proof(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, clerk, claimant, case = await scene(db)
    await as_user(client, claimant)
    # The form sent without a file (the empty file input): the request alone.
    response = await ask_with_proof(client, request_url(tribunal, case), None)
    assert response.status_code == 303, response.text
    assert await count(db, FeeWaiver) == 1
    assert await proofs(db) == []
    await as_user(client, clerk)
    waiver = (await db.scalars(select(FeeWaiver))).one()
    page = text_of(await client.get(decide_url(tribunal, waiver)))
    assert "No proof was sent with a fee waiver request on this case." in page


async def test_an_automatic_decision_is_made_with_its_proof_stored(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _clerk, claimant, case = await scene(db)
    await as_user(client, claimant)
    response = await ask_with_proof(
        client,
        request_url(tribunal, case),
        ("assistance.png", image("PNG"), "image/png"),
        receives_assistance="yes",
    )
    assert response.status_code == 303, response.text
    waiver = (await db.scalars(select(FeeWaiver))).one()
    await db.refresh(waiver)
    assert waiver.state is WaiverState.APPROVED
    [proof] = await proofs(db)
    assert proof.kind == "png"


async def test_a_refused_proof_answers_the_form_in_french_and_stores_nothing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    document_store: DocumentStore,  # noqa: F811 - the fixture
) -> None:
    tribunal, _clerk, claimant, case = await scene(db)
    claimant.language = "fr"
    await db.commit()
    await as_user(client, claimant)
    url = request_url(tribunal, case)
    with i18n.use_language("fr"):
        not_allowed = content_message(Problem.NOT_ALLOWED, list(PROOF_SLOT.kinds))
    assert not_allowed != content_message(Problem.NOT_ALLOWED, list(PROOF_SLOT.kinds))
    refused = {
        "a program named .pdf": (
            ("proof.pdf", WINDOWS_PROGRAM, "application/pdf"),
            not_allowed,
        ),
        "a text file": (
            ("proof.txt", b"My income is low.\n", "text/plain"),
            not_allowed,
        ),
        "a locked PDF": (
            ("locked.pdf", pdf_bytes(password="secret"), "application/pdf"),
            translate(
                "fr",
                "The PDF is protected by a password or restrictions. "
                "Print it to a new PDF, then upload that file",
            ),
        ),
    }
    for what, (proof, message) in refused.items():
        response = await ask_with_proof(client, url, proof)
        assert response.status_code == 422, (what, response.status_code)
        page = text_of(response)
        assert "govuk-error-summary" in page, what
        assert 'href="#proof"' in page, what
        assert message in page, what
        assert french("If you had selected a file, select it again.") in page, what
    tribunal.max_file_megabytes = 1
    await db.commit()
    large = await ask_with_proof(
        client, url, ("big.pdf", b"%PDF-1.7\n" + b"0" * 1_100_000, "application/pdf")
    )
    assert large.status_code == 413
    assert french("The selected file must be smaller than %(size)s MB", size="1") in (
        text_of(large)
    )
    assert 'href="#proof"' in text_of(large)
    # A form error with a good file: the form again, the file not kept.
    invalid = await ask_with_proof(
        client, url, ("proof.pdf", pdf_bytes(), "application/pdf"), household_size="0"
    )
    assert invalid.status_code == 422
    assert await count(db, FeeWaiver) == 0
    assert await count(db, Document) == 0
    assert await count(db, CaseEvent, CaseEvent.kind == "fee_waiver_requested") == 0
    assert document_store.keys() == []


async def test_a_forged_upload_is_refused_before_any_file_is_kept(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _clerk, claimant, case = await scene(db)
    await as_user(client, claimant)
    response = await client.post(
        request_url(tribunal, case),
        data={"csrf_token": "forged", **FIELDS},
        files={"proof": ("proof.pdf", pdf_bytes(), "application/pdf")},
    )
    assert response.status_code == 403
    assert await count(db, FeeWaiver) == 0
    assert await count(db, Document) == 0
    # The form without a file still works urlencoded, as before.
    assert (await ask(client, tribunal, case)).status_code == 303
