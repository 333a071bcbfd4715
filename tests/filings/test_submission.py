"""Documents and submission, end to end through the ASGI client, on both document stores."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import CaseEvent, Document, Filing, FilingStatus
from tests.factories.accounts import make_user
from tests.factories.tribunals import make_staff, make_tribunal
from tests.filings.conftest import DocumentStore
from tests.filings.test_documents import (
    ELF,
    JAVASCRIPT_ACTION,
    LAUNCH_ACTION,
    docx,
    docx_with_two_content_types,
    image,
    multi_picture_jpeg,
    pdf_with_action,
    png,
)
from tests.helpers import (
    ABOUT_YOU,
    count,
    csrf_token,
    last_message,
    new_draft,
    pdf_bytes,
    post_form,
    sign_in,
    translate,
    upload,
)
from tribunals.models import ActivePdfPolicy, Role
from tribune.audit import AuditEvent


def decision_date(days_ago: int = 10) -> dict[str, str]:
    day = date.today() - timedelta(days=days_ago)
    return {
        "q-decision_date-day": str(day.day),
        "q-decision_date-month": str(day.month),
        "q-decision_date-year": str(day.year),
    }


QUESTIONS = {
    "q-claim_number": "12345678",
    "q-issue": "entitlement",
    "q-reasons": "The board ignored my doctor's report.",
}


async def answer_steps(client: httpx.AsyncClient, base: str, *, days_ago: int = 10) -> None:
    for step, data in [
        ("eligibility", {"eligible": "yes"}),
        ("about_you", ABOUT_YOU),
        ("representative", {"has_representative": "no"}),
        ("accessibility", {"needs_interpreter": "no", "sign_language": "none"}),
        ("questions", {**QUESTIONS, **decision_date(days_ago)}),
    ]:
        response = await post_form(client, f"{base}/{step}", data, page=f"{base}/{step}")
        assert response.status_code == 303, (step, response.text)


async def test_file_an_appeal_with_a_document_and_get_a_reference(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    tribunal, base = await new_draft(client, db)
    await answer_steps(client, base)
    pdf = pdf_bytes()
    uploaded = await upload(
        client, base, "decision", [("../../etc/decision letter.pdf", pdf, "application/pdf")]
    )
    assert uploaded.status_code == 303, uploaded.text
    page = await client.get(f"{base}/documents")
    assert "decision letter.pdf" in page.text
    assert len(document_store.keys()) == 1
    document = (await db.execute(select(Document))).scalar_one()
    assert document.filename == "decision letter.pdf"
    assert document.size == len(pdf)
    assert document.kind == "pdf"
    assert "decision" not in document.storage_key
    assert "letter" not in document.storage_key

    assert (await post_form(client, f"{base}/documents", {}, page=f"{base}/documents")).headers[
        "location"
    ] == f"{base}/check"
    check = await client.get(f"{base}/check")
    assert check.status_code == 200
    assert "12345678" in check.text
    assert "decision letter.pdf" in check.text
    assert f'href="{base}/about_you?return=check"' in check.text

    filed = await post_form(
        client, f"{base}/declaration", {"declared": "yes"}, page=f"{base}/declaration"
    )
    assert filed.status_code == 303
    confirmation = await client.get(filed.headers["location"])
    year = date.today().year
    assert f"WCAT-{year}-000001" in confirmation.text
    filing = (await db.execute(select(Filing))).scalar_one()
    await db.refresh(filing)
    assert filing.status is FilingStatus.SUBMITTED
    assert filing.reference == f"WCAT-{year}-000001"
    assert (
        await count(db, CaseEvent, CaseEvent.filing_id == filing.id, CaseEvent.kind == "submitted")
        == 1
    )
    message = await last_message(db, f"filer-{tribunal.slug}@example.org")
    assert message.template == "filing_acknowledgement"
    assert f"WCAT-{year}-000001" in message.subject
    case = await client.get(f"/{tribunal.slug}/cases/{filing.id}")
    assert case.status_code == 200
    assert "Filed online" in case.text
    assert "decision letter.pdf" in case.text


async def test_submitting_twice_makes_one_case(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    _tribunal, base = await new_draft(client, db)
    await answer_steps(client, base)
    await upload(client, base, "decision", [("d.pdf", pdf_bytes(), "application/pdf")])
    await post_form(client, f"{base}/documents", {}, page=f"{base}/documents")
    token = await csrf_token(client, f"{base}/declaration")
    first = await client.post(f"{base}/declaration", data={"declared": "yes", "csrf_token": token})
    second = await client.post(f"{base}/declaration", data={"declared": "yes", "csrf_token": token})
    assert first.status_code == 303
    assert second.status_code == 303  # back to the case, not a second one
    assert await count(db, Filing, Filing.reference.is_not(None)) == 1
    assert await count(db, CaseEvent, CaseEvent.kind == "submitted") == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "setup.pdf",
            b"MZ\x90\x00" + b"\x00" * 200,
            "must be a PDF, JPEG image, PNG image or Word document (.docx)",
        ),
        ("page.pdf", b"<!doctype html><script>alert(1)</script>", "must be a PDF"),
        ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "must be a PDF"),
        ("locked.pdf", pdf_bytes(password="secret"), "protected by a password"),
        ("empty.pdf", b"", "The selected file is empty"),
        ("broken.pdf", b"%PDF-1.7\nnot really a pdf", "cannot be opened"),
    ],
)
async def test_bad_files_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    db: AsyncSession,
    document_store: DocumentStore,
    name: str,
    content: bytes,
    message: str,
) -> None:
    _tribunal, base = await new_draft(client, db)
    response = await upload(client, base, "decision", [(name, content, "application/pdf")])
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "There is a problem" in text
    assert message in text
    assert await count(db, Document) == 0
    assert document_store.keys() == []


async def test_a_file_over_the_limit_gets_a_413_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    tribunal, base = await new_draft(client, db)
    tribunal.max_file_megabytes = 1
    await db.commit()
    big = pdf_bytes() + b"\n%" + b"x" * (1024 * 1024)
    response = await upload(client, base, "decision", [("big.pdf", big, "application/pdf")])
    assert response.status_code == 413
    assert "must be smaller than 1 MB" in response.text
    assert await count(db, Document) == 0
    assert document_store.keys() == []


async def test_the_same_file_twice_is_noticed(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    _tribunal, base = await new_draft(client, db)
    pdf = pdf_bytes()
    assert (
        await upload(client, base, "decision", [("a.pdf", pdf, "application/pdf")])
    ).status_code == 303
    again = await upload(client, base, "evidence", [("copy.pdf", pdf, "application/pdf")])
    assert again.status_code == 422
    assert "You have already uploaded this file: a.pdf" in html.unescape(again.text)
    assert await count(db, Document) == 1
    assert len(document_store.keys()) == 1


async def test_an_upload_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    _tribunal, base = await new_draft(client, db)
    response = await client.post(
        f"{base}/documents/decision/upload",
        files=[("file-decision", ("a.pdf", pdf_bytes(), "application/pdf"))],
    )
    assert response.status_code == 403
    assert await count(db, Document) == 0
    assert document_store.keys() == []


async def test_a_failed_commit_leaves_no_object_behind(
    client: httpx.AsyncClient,
    db: AsyncSession,
    document_store: DocumentStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession as SessionClass

    _tribunal, base = await new_draft(client, db)
    real_commit = SessionClass.commit

    async def failing_commit(self: SessionClass) -> None:
        if any(isinstance(item, Document) for item in self.new):
            raise RuntimeError("the database went away")
        await real_commit(self)

    monkeypatch.setattr(SessionClass, "commit", failing_commit)
    transport = httpx.ASGITransport(app=client._transport.app, raise_app_exceptions=False)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=client.cookies
    ) as failing:
        response = await upload(
            failing, base, "decision", [("a.pdf", pdf_bytes(), "application/pdf")]
        )
    monkeypatch.setattr(SessionClass, "commit", real_commit)
    assert response.status_code == 500
    assert await count(db, Document) == 0
    assert document_store.keys() == []


async def test_a_photo_is_stored_without_what_follows_its_picture(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    # A motion photo's video, or a program hidden after a real picture: only the picture is
    # kept, so the stored file is an image and nothing else.
    tribunal, base = await new_draft(client, db)
    picture = image("JPEG")
    response = await upload(client, base, "evidence", [("photo.jpg", picture + ELF, "")])
    assert response.status_code == 303
    document = (await db.execute(select(Document))).scalar_one()
    assert (document.size, document.sha256) == (len(picture), hashlib.sha256(picture).hexdigest())
    downloaded = await client.get(f"/{tribunal.slug}/documents/{document.id}")
    assert downloaded.content == picture


async def test_documents_are_served_only_to_the_filer_and_the_tribunals_staff(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore, app: object
) -> None:
    tribunal, base = await new_draft(client, db)
    pdf = pdf_bytes()
    await upload(client, base, "decision", [("décision.pdf", pdf, "application/pdf")])
    document = (await db.execute(select(Document))).scalar_one()
    url = f"/{tribunal.slug}/documents/{document.id}"

    mine = await client.get(url)
    assert mine.status_code == 200
    assert mine.content == pdf
    assert mine.headers["content-type"] == "application/pdf"
    assert mine.headers["x-content-type-options"] == "nosniff"
    assert mine.headers["content-disposition"] == "attachment; filename*=UTF-8''d%C3%A9cision.pdf"
    assert await count(db, AuditEvent, AuditEvent.action == "document.downloaded") == 1

    other_tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    outsider_staff = await make_staff(db, other_tribunal, Role.ADMIN)
    stranger = await make_user(db)
    for person, expected in [(stranger, 404), (outsider_staff, 404), (clerk, 200)]:
        await post_form(client, "/sign-out", {})
        await sign_in(client, person.email)
        assert (await client.get(url)).status_code == expected, person.email
    other_url = f"/{other_tribunal.slug}/documents/{document.id}"
    assert (await client.get(other_url)).status_code == 404
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]+", document.storage_key)


async def submit(client: httpx.AsyncClient, base: str) -> None:
    await post_form(client, f"{base}/documents", {}, page=f"{base}/documents")
    filed = await post_form(
        client, f"{base}/declaration", {"declared": "yes"}, page=f"{base}/declaration"
    )
    assert filed.status_code == 303, filed.text


ACTIVE_PDF_WARNING = "This PDF contains JavaScript or actions that open other programs"


async def test_a_pdf_with_javascript_is_kept_with_a_warning_to_whoever_may_open_it(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    tribunal, base = await new_draft(client, db)
    await answer_steps(client, base)
    scripted = pdf_with_action(JAVASCRIPT_ACTION)
    uploaded = await upload(
        client,
        base,
        "decision",
        [("scripted.pdf", scripted, "application/pdf"), ("plain.pdf", pdf_bytes(), "")],
    )
    assert uploaded.status_code == 303, uploaded.text
    flagged = {d.filename: d.active_content for d in (await db.execute(select(Document))).scalars()}
    assert flagged == {"scripted.pdf": True, "plain.pdf": False}
    await submit(client, base)
    filing = (await db.execute(select(Filing))).scalar_one()

    own_page = html.unescape((await client.get(f"/{tribunal.slug}/cases/{filing.id}")).text)
    assert own_page.count(ACTIVE_PDF_WARNING) == 1
    for language in ("en", "fr"):
        clerk = await make_staff(db, tribunal, Role.CLERK, language=language)
        await post_form(client, "/sign-out", {})
        await sign_in(client, clerk.email)
        page = await client.get(f"/{tribunal.slug}/staff/cases/{filing.id}")
        warning = translate(
            language,
            "This PDF contains JavaScript or actions that open other programs; open it with care.",
        )
        assert html.unescape(page.text).count(warning) == 1, language
        # The warning sits with the scripted file's link, which points to it for screen readers.
        link = re.search(r'<a [^>]*aria-describedby="([^"]+)"[^>]*>scripted\.pdf</a>', page.text)
        assert link is not None
        assert f'id="{link.group(1)}"' in page.text
        assert re.search(r"<a [^>]*aria-describedby[^>]*>plain\.pdf</a>", page.text) is None


@pytest.mark.parametrize("action", [JAVASCRIPT_ACTION, LAUNCH_ACTION], ids=["javascript", "launch"])
async def test_a_tribunal_may_refuse_pdfs_with_javascript_or_launch_actions(
    client: httpx.AsyncClient,
    db: AsyncSession,
    document_store: DocumentStore,
    action: dict[str, str],
) -> None:
    tribunal, base = await new_draft(client, db)
    tribunal.active_pdfs = ActivePdfPolicy.REFUSE
    await db.commit()
    refused = await upload(
        client, base, "decision", [("scripted.pdf", pdf_with_action(action), "application/pdf")]
    )
    assert refused.status_code == 422
    assert (
        "scripted.pdf: The PDF contains JavaScript or actions that open other programs. "
        "Print it to a new PDF, then upload that file"
    ) in html.unescape(refused.text)
    assert await count(db, Document) == 0
    assert document_store.keys() == []
    plain = await upload(client, base, "decision", [("plain.pdf", pdf_bytes(), "")])
    assert plain.status_code == 303


async def test_ordinary_files_of_every_kind_are_accepted(
    client: httpx.AsyncClient, db: AsyncSession, document_store: DocumentStore
) -> None:
    _tribunal, base = await new_draft(client, db)
    files = [
        ("photo.jpg", image("JPEG"), "image/jpeg"),
        ("photo of both sides.jpg", multi_picture_jpeg(), "image/jpeg"),
        ("scan.png", image("PNG"), "image/png"),
        ("letter.docx", docx(), ""),
        ("decision.pdf", pdf_bytes(), "application/pdf"),
        (
            "notes.txt",
            "Zoë Tremblay <zoe@example.ca> : décision contestée, été 2026\n".encode(),
            "",
        ),
    ]
    uploaded = await upload(client, base, "evidence", files)
    assert uploaded.status_code == 303, html.unescape(uploaded.text)
    kinds = {d.filename: d.kind for d in (await db.execute(select(Document))).scalars()}
    assert kinds == {
        "photo.jpg": "jpeg",
        "photo of both sides.jpg": "jpeg",
        "scan.png": "png",
        "letter.docx": "docx",
        "decision.pdf": "pdf",
        "notes.txt": "text",
    }


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", b"\xff\xd8\xff" + ELF, "The image cannot be opened"),
        ("scan.png", png(100_000, 100_000), "up to 10,000 pixels wide and high"),
        ("notes.txt", b"<marquee onstart=alert(1)>", "contains markup"),
        ("letter.docx", docx_with_two_content_types(), "The Word document is damaged"),
    ],
    ids=["program after FF D8 FF", "huge png", "markup", "docx twice"],
)
async def test_disguised_files_are_refused_with_what_to_do(
    client: httpx.AsyncClient,
    db: AsyncSession,
    document_store: DocumentStore,
    name: str,
    content: bytes,
    message: str,
) -> None:
    _tribunal, base = await new_draft(client, db)
    response = await upload(client, base, "evidence", [(name, content, "")])
    assert response.status_code == 422
    assert f"{name}: " in html.unescape(response.text)
    assert message in html.unescape(response.text)
    assert await count(db, Document) == 0
    assert document_store.keys() == []
