"""Decisions and interim orders: uploaded through the documents' checks (a draft seen by staff
only, never among the parties' documents), issued to the parties (their case page, a
download, an email each in their language; a decision moves the case to "decided", an
interim order does not), corrected by a new document with its reason (both kept, the first
marked as corrected), and who may do each (the case's adjudicator, the registry on their
behalf; not another adjudicator, a party, or another tribunal's staff). On the local folder
and on S3 (moto) alike."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.jobs import SWEEP_ORPHANS
from filings.models import CaseEvent, CaseParty, Document, FilingStatus, PartyRole
from hearings.models import DecisionKind, DecisionStatus, HearingDecision, HearingStatus
from tests.factories.accounts import make_user
from tests.factories.tribunals import make_staff, make_tribunal
from tests.filings.conftest import DocumentStore, document_store  # noqa: F401 - a fixture
from tests.hearings.outcomes import Scene, add_hearing, make_scene
from tests.helpers import as_user, count, csrf_token, french, pdf_bytes, text_of
from tribunals.models import Role
from tribune import jobs
from tribune.app import build_outbox
from tribune.audit import AuditAction, AuditEvent
from tribune.db import Database
from tribune.jobs import Worker
from tribune.mail import OutboxMessage
from tribune.settings import Settings
from tribune.storage.base import new_object_key
from tribune.storage.local import LocalFolderStorage

SUMMARY = "The appeal is allowed: benefits are restored from 1 March."
DECISION_PDF = pdf_bytes()
CORRECTION_PDF = pdf_bytes(pages=2)


@pytest.fixture
async def heard(db: AsyncSession) -> Scene:
    """A heard case whose claimant reads French, its hearing held by the adjudicator."""
    scene = await make_scene(db, FilingStatus.HEARD, claimant_language="fr")
    hearing = await add_hearing(db, scene)
    hearing.status = HearingStatus.HELD
    await db.commit()
    return scene


async def upload(
    client: httpx.AsyncClient,
    scene: Scene,
    files: list[tuple[str, bytes, str]] | None = None,
    *,
    path: str = "/decisions/new",
    **fields: str,
) -> httpx.Response:
    token = await csrf_token(client, scene.staff_case)
    chosen = [("decision.pdf", DECISION_PDF, "application/pdf")] if files is None else files
    return await client.post(
        scene.staff_case + path,
        data={"csrf_token": token, "kind": "decision", "summary": SUMMARY, **fields},
        files=[("file", file) for file in chosen],
    )


async def issue(
    client: httpx.AsyncClient, scene: Scene, decision: HearingDecision
) -> httpx.Response:
    url = f"{scene.staff_case}/decisions/{decision.id}/issue"
    page = await client.get(url)
    assert page.status_code == 200, page.text
    return await client.post(url, data={"csrf_token": await csrf_token(client, url)})


async def decisions(db: AsyncSession) -> list[HearingDecision]:
    rows = await db.execute(select(HearingDecision).order_by(HearingDecision.created_at))
    found = list(rows.scalars())
    for decision in found:
        await db.refresh(decision)
    return found


def party_file(scene: Scene, decision: HearingDecision) -> str:
    return f"{scene.party_case}/decisions/{decision.id}/file"


async def messages(db: AsyncSession) -> list[OutboxMessage]:
    rows = await db.execute(
        select(OutboxMessage)
        .where(OutboxMessage.template == "decision_issued")
        .order_by(OutboxMessage.to_address)
    )
    return list(rows.scalars())


# -- a decision, from draft to the parties ------------------------------------------------------


async def test_a_decision_is_uploaded_as_a_draft_then_issued_to_the_parties(
    client: httpx.AsyncClient,
    db: AsyncSession,
    heard: Scene,
    document_store: DocumentStore,  # noqa: F811 - the fixture
) -> None:
    scene = heard
    await as_user(client, scene.adjudicator)
    assert (await client.get(f"{scene.staff_case}/decisions/new")).status_code == 200
    uploaded = await upload(client, scene)
    assert uploaded.status_code == 303, uploaded.text
    [decision] = await decisions(db)
    assert decision.status is DecisionStatus.DRAFT
    assert decision.kind is DecisionKind.DECISION
    assert decision.summary == SUMMARY
    assert decision.language == "fr"
    assert decision.sha256 == hashlib.sha256(DECISION_PDF).hexdigest()
    assert document_store.keys() == [decision.storage_key]
    # Not one of the case's documents: nothing lists or serves it with them.
    assert await count(db, Document, Document.filing_id == scene.case.id) == 0
    staff_file = f"{scene.staff_case}/decisions/{decision.id}/file"
    staff_copy = await client.get(staff_file)
    assert staff_copy.status_code == 200
    assert staff_copy.content == DECISION_PDF

    # A draft: the parties neither see it nor download it, and nobody was told.
    await as_user(client, scene.claimant)
    page = await client.get(scene.party_case)
    assert SUMMARY not in text_of(page)
    assert str(decision.id) not in page.text
    assert (await client.get(party_file(scene, decision))).status_code == 404
    assert await messages(db) == []

    await as_user(client, scene.adjudicator)
    issued = await issue(client, scene, decision)
    assert issued.status_code == 303, issued.text
    [decision] = await decisions(db)
    await db.refresh(scene.case)
    assert decision.status is DecisionStatus.ISSUED
    assert decision.issued_by_id == scene.adjudicator.id
    assert scene.case.status is FilingStatus.DECIDED
    decided = (
        await db.execute(
            select(CaseEvent).where(
                CaseEvent.filing_id == scene.case.id, CaseEvent.kind == "decided"
            )
        )
    ).scalar_one()
    assert decided.details["reason"] == SUMMARY
    entry = (
        await db.execute(select(AuditEvent).where(AuditEvent.action == AuditAction.DECISION_ISSUED))
    ).scalar_one()
    assert entry.subject_id == decision.id
    assert entry.actor_role == "adjudicator"

    # Each party and the acting representative, once, in their own language, with the link.
    sent = await messages(db)
    assert sorted(m.to_address for m in sent) == sorted(
        {scene.claimant.email, scene.respondent.email, *await representative_emails(db, scene)}
    )
    to_claimant = next(m for m in sent if m.to_address == scene.claimant.email)
    assert to_claimant.language == "fr"
    assert to_claimant.subject == french(
        "Case %(reference)s: the decision was issued", reference=scene.case.reference or ""
    )
    assert SUMMARY in to_claimant.body
    assert f"{scene.party_case}#decisions" in to_claimant.body
    to_respondent = next(m for m in sent if m.to_address == scene.respondent.email)
    assert to_respondent.subject == f"Case {scene.case.reference}: the decision was issued"

    # The parties read it and download it; each download is audited.
    await as_user(client, scene.claimant)
    body = text_of(await client.get(scene.party_case))
    assert french("Decisions and orders") in body
    assert SUMMARY in body
    download = await client.get(party_file(scene, decision))
    assert download.status_code == 200
    assert download.content == DECISION_PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["cache-control"] == "private, no-store"
    downloads = await count(
        db,
        AuditEvent,
        AuditEvent.action == AuditAction.DECISION_DOWNLOADED,
        AuditEvent.actor_id == scene.claimant.id,
    )
    assert downloads == 1


async def representative_emails(db: AsyncSession, scene: Scene) -> list[str]:
    rows = await db.execute(
        select(CaseParty.email).where(
            CaseParty.filing_id == scene.case.id, CaseParty.role == PartyRole.REPRESENTATIVE
        )
    )
    return list(rows.scalars())


async def test_only_the_cases_parties_download_an_issued_decision(
    client: httpx.AsyncClient, db: AsyncSession, heard: Scene
) -> None:
    scene = heard
    await as_user(client, scene.clerk)  # the registry, on the adjudicator's behalf
    assert (await upload(client, scene)).status_code == 303
    [decision] = await decisions(db)
    assert (await issue(client, scene, decision)).status_code == 303
    entry = (
        await db.execute(select(AuditEvent).where(AuditEvent.action == AuditAction.DECISION_ISSUED))
    ).scalar_one()
    assert entry.actor_role == "clerk"
    assert entry.details["on_behalf_of"] == str(scene.adjudicator.id)

    stranger = await make_user(db)
    await as_user(client, stranger)
    assert (await client.get(party_file(scene, decision))).status_code == 404
    # Staff use their own address; the parties' one is for parties only.
    await as_user(client, scene.adjudicator)
    assert (await client.get(party_file(scene, decision))).status_code == 404
    # Another case's address with this decision's id finds nothing.
    other = await make_scene(db, FilingStatus.HEARD)
    await as_user(client, other.claimant)
    assert (await client.get(party_file(other, decision))).status_code == 404


# -- interim orders and corrections -------------------------------------------------------------


async def test_an_interim_order_is_issued_without_moving_the_case(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    scene = await make_scene(db, FilingStatus.SCHEDULED)
    await add_hearing(db, scene)
    await as_user(client, scene.adjudicator)
    page = await client.get(f"{scene.staff_case}/decisions/new")
    assert 'name="kind"' not in page.text  # before the hearing, only an interim order
    # A decision is not taken before the hearing was held: whatever is sent, an interim order.
    uploaded = await upload(client, scene, kind="decision")
    assert uploaded.status_code == 303
    [order] = await decisions(db)
    assert order.kind is DecisionKind.INTERIM_ORDER
    assert (await issue(client, scene, order)).status_code == 303
    await db.refresh(scene.case)
    assert scene.case.status is FilingStatus.SCHEDULED
    event = (
        await db.execute(
            select(CaseEvent).where(
                CaseEvent.filing_id == scene.case.id, CaseEvent.kind == "interim_order_issued"
            )
        )
    ).scalar_one()
    assert event.visible_to_parties
    sent = await messages(db)
    assert sent
    assert all(m.subject.endswith("an interim order was issued") for m in sent)
    await as_user(client, scene.claimant)
    page = await client.get(scene.party_case)
    assert "Interim order" in text_of(page)
    assert (await client.get(party_file(scene, order))).status_code == 200


async def test_a_correction_is_a_new_document_and_both_are_kept(
    client: httpx.AsyncClient,
    db: AsyncSession,
    heard: Scene,
    document_store: DocumentStore,  # noqa: F811 - the fixture
) -> None:
    scene = heard
    await as_user(client, scene.adjudicator)
    assert (await upload(client, scene)).status_code == 303
    [decision] = await decisions(db)
    assert (await issue(client, scene, decision)).status_code == 303
    correct = f"/decisions/{decision.id}/correct"
    assert (await client.get(scene.staff_case + correct)).status_code == 200

    # The same file again is not a correction.
    same = await upload(client, scene, path=correct, correction_reason="A wrong date.")
    assert same.status_code == 422
    assert "You have already uploaded this file: decision.pdf" in text_of(same)
    no_reason = await upload(
        client, scene, [("corrected.pdf", CORRECTION_PDF, "application/pdf")], path=correct
    )
    assert no_reason.status_code == 422
    assert "Enter the reason for the correction" in text_of(no_reason)
    assert len(await decisions(db)) == 1

    corrected = await upload(
        client,
        scene,
        [("corrected.pdf", CORRECTION_PDF, "application/pdf")],
        path=correct,
        correction_reason="The date benefits restart was wrong: 1 April.",
        summary="The appeal is allowed: benefits are restored from 1 April.",
    )
    assert corrected.status_code == 303, corrected.text
    first, correction = await decisions(db)
    assert correction.corrects_id == first.id
    assert correction.kind is DecisionKind.DECISION
    assert correction.status is DecisionStatus.DRAFT
    assert (await issue(client, scene, correction)).status_code == 303

    first, correction = await decisions(db)
    assert first.status is DecisionStatus.ISSUED  # kept as it was
    assert first.summary == SUMMARY
    assert correction.status is DecisionStatus.ISSUED
    await db.refresh(scene.case)
    assert scene.case.status is FilingStatus.DECIDED
    assert sorted(document_store.keys()) == sorted([first.storage_key, correction.storage_key])
    assert await count(db, CaseEvent, CaseEvent.kind == "decision_corrected") == 1
    to_claimant = next(
        m
        for m in await messages(db)
        if m.to_address == scene.claimant.email and "1 April" in m.body
    )
    assert "The date benefits restart was wrong: 1 April." in to_claimant.body
    assert to_claimant.language == "fr"

    # The original cannot be corrected twice; the correction can be corrected in turn.
    again = await client.get(scene.staff_case + correct)
    assert again.status_code == 409
    staff_page = await client.get(scene.staff_case)
    assert f"/decisions/{correction.id}/correct" in staff_page.text
    assert f"/decisions/{first.id}/correct" not in staff_page.text

    await as_user(client, scene.claimant)
    page = text_of(await client.get(scene.party_case))
    assert SUMMARY in page
    assert "benefits are restored from 1 April" in page
    assert "The date benefits restart was wrong: 1 April." in page
    assert french("Reason for the correction") in page
    for issued in (first, correction):
        assert (await client.get(party_file(scene, issued))).status_code == 200


async def test_an_issued_document_is_issued_once_and_never_removed(
    client: httpx.AsyncClient, db: AsyncSession, heard: Scene
) -> None:
    scene = heard
    await as_user(client, scene.adjudicator)
    assert (await upload(client, scene)).status_code == 303
    [decision] = await decisions(db)
    assert (await issue(client, scene, decision)).status_code == 303
    told = len(await messages(db))
    url = f"{scene.staff_case}/decisions/{decision.id}"
    token = await csrf_token(client, scene.staff_case)
    twice = await client.post(f"{url}/issue", data={"csrf_token": token})
    assert twice.status_code == 409
    removed = await client.post(f"{url}/remove", data={"csrf_token": token})
    assert removed.status_code == 409
    assert "never removed" in text_of(removed)
    assert len(await decisions(db)) == 1
    assert len(await messages(db)) == told  # nobody was told twice


async def test_a_draft_can_be_removed_with_its_file(
    client: httpx.AsyncClient,
    db: AsyncSession,
    heard: Scene,
    document_store: DocumentStore,  # noqa: F811 - the fixture
) -> None:
    scene = heard
    await as_user(client, scene.adjudicator)
    assert (await upload(client, scene)).status_code == 303
    [decision] = await decisions(db)
    token = await csrf_token(client, scene.staff_case)
    removed = await client.post(
        f"{scene.staff_case}/decisions/{decision.id}/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 303
    assert await decisions(db) == []
    assert document_store.keys() == []
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.DECISION_REMOVED) == 1


# -- bad uploads --------------------------------------------------------------------------------


async def test_bad_uploads_are_refused_by_the_document_checks_and_nothing_is_kept(
    client: httpx.AsyncClient,
    db: AsyncSession,
    heard: Scene,
    document_store: DocumentStore,  # noqa: F811 - the fixture
) -> None:
    scene = heard
    await as_user(client, scene.adjudicator)
    cases = [
        (
            [("decision.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")],
            {},
            "The selected file must be a PDF or Word document (.docx)",
        ),
        (
            [("locked.pdf", pdf_bytes(password="secret"), "application/pdf")],
            {},
            "The PDF is protected by a password",
        ),
        (
            [("notes.txt", b"Plain notes.\n", "text/plain")],
            {},
            "The selected file must be a PDF or Word document (.docx)",
        ),
        # A browser sends the empty file input as a part without a name or bytes.
        ([("", b"", "application/octet-stream")], {}, "Select a file"),
        (None, {"summary": ""}, "Enter a short summary"),
        (None, {"summary": "x" * 1001}, "This answer must be 1000 characters or fewer"),
    ]
    for files, fields, message in cases:
        response = await upload(client, scene, files, **fields)
        assert response.status_code == 422, (message, response.status_code)
        body = text_of(response)
        assert "govuk-error-summary" in body
        assert message in body, message
    two = await upload(
        client,
        scene,
        [
            ("a.pdf", DECISION_PDF, "application/pdf"),
            ("b.pdf", CORRECTION_PDF, "application/pdf"),
        ],
    )
    assert two.status_code == 413
    scene.tribunal.max_file_megabytes = 1
    await db.commit()
    large = await upload(
        client, scene, [("big.pdf", b"%PDF-1.7\n" + b"0" * 1_100_000, "application/pdf")]
    )
    assert large.status_code == 413
    assert "The selected file must be smaller than 1 MB" in text_of(large)
    assert await decisions(db) == []
    assert document_store.keys() == []


# -- who may upload and issue -------------------------------------------------------------------


async def test_another_adjudicator_a_party_and_another_tribunal_cannot_upload_or_issue(
    client: httpx.AsyncClient, db: AsyncSession, heard: Scene
) -> None:
    scene = heard
    await as_user(client, scene.adjudicator)
    assert (await upload(client, scene)).status_code == 303
    [draft] = await decisions(db)
    issue_url = f"{scene.staff_case}/decisions/{draft.id}/issue"

    await as_user(client, scene.other_adjudicator)
    assert (await client.get(f"{scene.staff_case}/decisions/new")).status_code == 403
    assert (
        await upload(client, scene, [("other.pdf", CORRECTION_PDF, "application/pdf")])
    ).status_code == 403
    assert (await client.get(issue_url)).status_code == 403
    token = await csrf_token(client, scene.staff_case)
    assert (await client.post(issue_url, data={"csrf_token": token})).status_code == 403
    # They may read the draft, as the tribunal's staff, but see no action on it.
    page = await client.get(scene.staff_case)
    assert f"/decisions/{draft.id}/file" in page.text
    assert issue_url not in page.text

    await as_user(client, scene.claimant)
    assert (await client.get(issue_url)).status_code == 404
    assert (await client.get(f"{scene.staff_case}/decisions/{draft.id}/file")).status_code == 404

    elsewhere = await make_tribunal(db)
    outsider = await make_staff(db, elsewhere, Role.ADMIN)
    await as_user(client, outsider)
    theirs = f"/{elsewhere.slug}/staff/cases/{scene.case.id}/decisions/{draft.id}"
    assert (await client.get(f"{theirs}/issue")).status_code == 404
    assert (await client.get(f"{theirs}/file")).status_code == 404

    await db.refresh(draft)
    await db.refresh(scene.case)
    assert draft.status is DecisionStatus.DRAFT
    assert scene.case.status is FilingStatus.HEARD
    assert await messages(db) == []


# -- the stored files outlive the sweep ---------------------------------------------------------


async def test_the_sweep_of_unreferenced_objects_keeps_the_decisions_files(
    db: AsyncSession, database: Database, settings: Settings, heard: Scene, tmp_path: Path
) -> None:
    storage = LocalFolderStorage(tmp_path / "documents")
    kept, orphan = new_object_key(), new_object_key()
    for key in (kept, orphan):
        await storage.put(key, b"%PDF-1.7 a decision")
        written = time.time() - 48 * 3600
        os.utime(storage.root / key, (written, written))
    db.add(
        HearingDecision(
            tribunal_id=heard.tribunal.id,
            filing_id=heard.case.id,
            kind=DecisionKind.DECISION,
            storage_key=kept,
            filename="decision.pdf",
            size=19,
            sha256="0" * 64,
            file_kind="pdf",
            summary=SUMMARY,
            language="en",
        )
    )
    jobs.enqueue(db, SWEEP_ORPHANS, {})
    await db.commit()
    worker = Worker(database, settings, storage=storage, outbox=build_outbox(settings))
    await worker.run_until_idle()
    assert [key async for key in storage.list_keys()] == [kept]
