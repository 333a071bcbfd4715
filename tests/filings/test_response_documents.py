"""A respondent's documents: uploaded with the response through the filing's own pipeline
(streamed, judged by content, size-limited, scanned), kept to the respondent's side until the
response is filed, then shown and served to the case's parties and staff, with an audit entry.

Covered on both document stores: upload to a response slot; a disguised file and an oversized
one refused with a translated message and nothing stored; a required slot blocking the filing;
other people, and other tribunals, refused (404) for upload, removal and download; the
respondent and their representative reading the filing's documents; the documents on the
parties' and the staff's case pages; nothing more accepted once filed.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.casetypes.services import create_case_type
from filings.demo import DEMO_CASE_TYPES
from filings.models import CaseParty, CaseResponse, Document, Filing, FilingStatus, PartyRole
from tests.factories.accounts import make_user
from tests.factories.filings import make_case, make_demo_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.filings.conftest import DocumentStore
from tests.helpers import (
    add_respondent,
    as_user,
    code_sent_to,
    csrf_token,
    join,
    pdf_bytes,
    post_form,
)
from tribunals.models import Role, Tribunal
from tribune.audit import AuditEvent
from tribune.db import utcnow
from tribune.storage.base import new_object_key

ANSWERS = {"q-agrees": "no", "q-reasons": "The wages were paid."}
EVIDENCE = "response_evidence"


async def responding_case(
    client: httpx.AsyncClient, db: AsyncSession, *, certification: bool = False
) -> tuple[Tribunal, Filing, User]:
    """Return an accepted case, and a respondent who joined it and saved their answers."""
    tribunal = await make_tribunal(db)
    if certification:
        version = await create_case_type(db, tribunal, **DEMO_CASE_TYPES["lrb"][1], publish=True)
        await db.commit()
    else:
        version = await make_demo_case_type(db, tribunal)
    filing = await make_case(db, tribunal, status=FilingStatus.ACCEPTED, version=version)
    await as_user(client, await make_staff(db, tribunal, Role.CLERK))
    added = await add_respondent(client, tribunal, filing, "boss@acme.example")
    assert added.status_code == 303, added.text
    code = await code_sent_to(db, "boss@acme.example")
    respondent = await make_user(db, name="Sam Boss")
    await as_user(client, respondent)
    assert (await join(client, tribunal, filing.reference or "", code)).status_code == 303
    page = response_url(tribunal, filing)
    assert (await post_form(client, page, ANSWERS, page=page)).status_code == 303
    return tribunal, filing, respondent


def response_url(tribunal: Tribunal, filing: Filing, tail: str = "") -> str:
    return f"/{tribunal.slug}/cases/{filing.id}/response{tail}"


async def upload(
    client: httpx.AsyncClient,
    tribunal: Tribunal,
    filing: Filing,
    slot: str,
    files: list[tuple[str, bytes, str]],
) -> httpx.Response:
    # The token comes from a page the person may open (their case page).
    token = await csrf_token(client, f"/{tribunal.slug}/cases/{filing.id}")
    return await client.post(
        response_url(tribunal, filing, f"/documents/{slot}/upload"),
        data={"csrf_token": token},
        files=[(f"file-{slot}", file) for file in files],
    )


async def send(client: httpx.AsyncClient, tribunal: Tribunal, filing: Filing) -> httpx.Response:
    check = response_url(tribunal, filing, "/check")
    return await post_form(client, check, {}, page=check)


async def response_documents(db: AsyncSession, filing: Filing) -> list[Document]:
    rows = await db.execute(
        select(Document).where(Document.filing_id == filing.id, Document.response_id.is_not(None))
    )
    return list(rows.scalars())


async def claimant_of(db: AsyncSession, filing: Filing) -> User:
    claimant = await db.get(User, filing.filer_id)
    assert claimant is not None
    return claimant


async def test_a_response_document_is_the_respondents_until_filed_then_the_cases(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    tribunal, filing, respondent = await responding_case(client, db)
    check = await client.get(response_url(tribunal, filing, "/check"))
    assert check.status_code == 200
    assert "Your evidence (optional)" in check.text
    assert 'for="file-response_evidence"' in check.text

    content = pdf_bytes()
    uploaded = await upload(
        client, tribunal, filing, EVIDENCE, [("../pay slips.pdf", content, "application/pdf")]
    )
    assert uploaded.status_code == 303, uploaded.text
    assert uploaded.headers["location"] == response_url(tribunal, filing, "/check?uploaded=1")
    [document] = await response_documents(db, filing)
    draft = (
        await db.execute(select(CaseResponse).where(CaseResponse.filing_id == filing.id))
    ).scalar_one()
    assert document.response_id == draft.id
    assert document.filing_id == filing.id
    assert document.filename == "pay slips.pdf"
    assert document.slot == EVIDENCE
    assert document.uploaded_by_id == respondent.id
    assert len(document_store.keys()) == 1
    assert "pay slips.pdf" in (await client.get(response_url(tribunal, filing, "/check"))).text
    download = f"/{tribunal.slug}/documents/{document.id}"
    assert (await client.get(download)).content == content

    # A draft's documents are nobody else's business: not the claimant's, not yet the staff's.
    claimant = await claimant_of(db, filing)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    for person in (claimant, clerk):
        await as_user(client, person)
        assert (await client.get(download)).status_code == 404
    assert "pay slips.pdf" not in (await client.get(f"/{tribunal.slug}/cases/{filing.id}")).text

    await as_user(client, respondent)
    sent = await send(client, tribunal, filing)
    assert sent.status_code == 303, sent.text
    late = await upload(client, tribunal, filing, EVIDENCE, [("more.pdf", pdf_bytes(pages=2), "")])
    assert late.status_code == 409
    assert "already filed" in late.text
    assert len(document_store.keys()) == 1

    # Filed: on the claimant's case page under the response, and on the staff case page.
    await as_user(client, claimant)
    case_page = await client.get(f"/{tribunal.slug}/cases/{filing.id}")
    assert "Response from Acme Ltd" in case_page.text
    assert "The wages were paid." in case_page.text
    assert f'href="{download}">pay slips.pdf</a>' in case_page.text
    served = await client.get(download)
    assert served.status_code == 200
    assert served.content == content
    downloads = (
        await db.execute(
            select(AuditEvent).where(
                AuditEvent.action == "document.downloaded", AuditEvent.subject_id == document.id
            )
        )
    ).scalars()
    assert claimant.id in {event.actor_id for event in downloads}

    await as_user(client, clerk)
    staff_page = await client.get(f"/{tribunal.slug}/staff/cases/{filing.id}")
    assert "Documents given with the response" in staff_page.text
    assert f'href="{download}">pay slips.pdf</a>' in staff_page.text
    assert (await client.get(download)).status_code == 200


async def test_disguised_and_oversized_files_are_refused_in_the_users_language(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    tribunal, filing, respondent = await responding_case(client, db)
    executable = b"MZ" + b"\x00" * 200
    refused = await upload(
        client, tribunal, filing, EVIDENCE, [("evidence.pdf", executable, "application/pdf")]
    )
    assert refused.status_code == 422
    assert "There is a problem" in refused.text
    assert "evidence.pdf: The selected file must be a" in refused.text

    respondent.language = "fr"
    tribunal.max_file_megabytes = 1
    await db.commit()
    too_big = await upload(
        client, tribunal, filing, EVIDENCE, [("big.txt", b"a" * (1024 * 1024 + 10), "text/plain")]
    )
    assert too_big.status_code == 413
    assert "Le fichier sélectionné doit faire moins de 1 Mo" in html.unescape(too_big.text)

    assert document_store.keys() == []
    assert await response_documents(db, filing) == []


async def test_a_required_slot_must_be_filled_before_the_response_is_sent(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    tribunal, filing, _respondent = await responding_case(client, db, certification=True)
    refused = await send(client, tribunal, filing)
    assert refused.status_code == 422
    assert '<a href="#file-employee_list">Upload List of employees' in refused.text
    response = (
        await db.execute(select(CaseResponse).where(CaseResponse.filing_id == filing.id))
    ).scalar_one()
    assert response.submitted_at is None
    # The slot takes PDF and Word only: a photo is refused for it.
    photo = await upload(
        client, tribunal, filing, "employee_list", [("list.pdf", b"\xff\xd8\xff\xe0", "")]
    )
    assert photo.status_code == 422
    uploaded = await upload(
        client, tribunal, filing, "employee_list", [("list.pdf", pdf_bytes(), "application/pdf")]
    )
    assert uploaded.status_code == 303
    assert (await send(client, tribunal, filing)).status_code == 303
    await db.refresh(response)
    assert response.submitted_at is not None


async def test_only_the_respondents_side_uploads_removes_or_reads_before_filing(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    tribunal, filing, respondent = await responding_case(client, db)
    assert (
        await upload(client, tribunal, filing, EVIDENCE, [("a.pdf", pdf_bytes(), "")])
    ).status_code == 303
    [document] = await response_documents(db, filing)
    download = f"/{tribunal.slug}/documents/{document.id}"
    remove = response_url(tribunal, filing, f"/documents/{document.id}/remove")
    check = response_url(tribunal, filing, "/check")

    claimant = await claimant_of(db, filing)
    outsider = await make_user(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    other_tribunal = await make_tribunal(db)
    other_clerk = await make_staff(db, other_tribunal, Role.CLERK)
    for person in (claimant, outsider, clerk):
        await as_user(client, person)
        sent = await upload(client, tribunal, filing, EVIDENCE, [("b.pdf", pdf_bytes(pages=2), "")])
        assert sent.status_code == 404, person.email
        assert (await client.get(check)).status_code == 404
        assert (await client.get(download)).status_code == 404
        case_page = f"/{tribunal.slug}/cases/{filing.id}"
        token = await csrf_token(client, case_page if person is claimant else "/")
        assert (await client.post(remove, data={"csrf_token": token})).status_code == 404
    # Another tribunal's staff, at their own tribunal's address, find nothing at all.
    await as_user(client, other_clerk)
    assert (await client.get(f"/{other_tribunal.slug}/documents/{document.id}")).status_code == 404
    assert (
        await client.get(f"/{other_tribunal.slug}/cases/{filing.id}/response/check")
    ).status_code == 404
    assert len(document_store.keys()) == 1

    # The respondent removes it from their draft; the object goes too.
    await as_user(client, respondent)
    removed = await post_form(client, remove, {}, page=check)
    assert removed.status_code == 303
    assert await response_documents(db, filing) == []
    assert document_store.keys() == []


async def test_the_respondent_and_their_representative_read_the_filing_and_respond(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore, tmp_path: Path
) -> None:
    tribunal, filing, respondent = await responding_case(client, db)
    content = pdf_bytes(pages=3)
    source = tmp_path / "decision.pdf"
    source.write_bytes(content)
    key = new_object_key()
    await document_store.storage.put_file(key, source)
    filed = Document(
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        slot="decision",
        storage_key=key,
        filename="decision.pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        kind="pdf",
    )
    db.add(filed)
    party = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.RESPONDENT
            )
        )
    ).scalar_one()
    lawyer = await make_user(db, name="Lee Counsel")
    db.add(
        CaseParty(
            tribunal_id=tribunal.id,
            filing_id=filing.id,
            role=PartyRole.REPRESENTATIVE,
            name="Lee Counsel",
            represents_id=party.id,
            authorised_at=utcnow(),
            user_id=lawyer.id,
        )
    )
    await db.commit()
    download = f"/{tribunal.slug}/documents/{filed.id}"
    for person in (respondent, lawyer):
        await as_user(client, person)
        case_page = await client.get(f"/{tribunal.slug}/cases/{filing.id}")
        assert f'href="{download}">decision.pdf</a>' in case_page.text
        served = await client.get(download)
        assert served.status_code == 200
        assert served.content == content

    # The representative gives a document for the respondent; the same bytes as the
    # claimant's document are accepted (one copy per filing, one per response).
    uploaded = await upload(client, tribunal, filing, EVIDENCE, [("copy.pdf", content, "")])
    assert uploaded.status_code == 303, uploaded.text
    [document] = await response_documents(db, filing)
    assert document.uploaded_by_id == lawyer.id
    again = await upload(client, tribunal, filing, EVIDENCE, [("again.pdf", content, "")])
    assert again.status_code == 422
    assert "You have already uploaded this file: copy.pdf" in again.text
    count = await db.scalar(
        select(func.count()).select_from(Document).where(Document.filing_id == filing.id)
    )
    assert count == 2
    # The representative's upload did not add a case event the claimant would see.
    await as_user(client, await claimant_of(db, filing))
    assert "copy.pdf" not in (await client.get(f"/{tribunal.slug}/cases/{filing.id}")).text
