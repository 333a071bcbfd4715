"""The document settings page: what a tribunal does with PDFs holding JavaScript or launch
actions. Covered: only administrators open it (clerks and adjudicators get 404, as for other
tribunals' staff), the choice is saved and audited, a forged or missing choice is refused with
a message and changes nothing, and the page in French."""

from __future__ import annotations

import html

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import count, french, post_form, sign_in
from tribunals.models import ActivePdfPolicy, Role
from tribune.audit import AuditEvent


def settings_path(slug: str) -> str:
    return f"/{slug}/staff/settings/documents"


async def test_an_administrator_chooses_to_refuse_pdfs_with_javascript(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    await sign_in(client, admin.email)
    workspace = await client.get(f"/{tribunal.slug}/staff")
    assert f'href="{settings_path(tribunal.slug)}"' in workspace.text

    page = await client.get(settings_path(tribunal.slug))
    assert page.status_code == 200
    assert 'value="flag" checked' in page.text  # the default

    saved = await post_form(
        client, settings_path(tribunal.slug), {"active_pdfs": "refuse"}, page=page.url.path
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == settings_path(tribunal.slug) + "?saved=1"
    await db.refresh(tribunal)
    assert tribunal.active_pdfs is ActivePdfPolicy.REFUSE
    event = (
        await db.execute(
            select(AuditEvent).where(AuditEvent.action == "tribunal.active_pdfs_changed")
        )
    ).scalar_one()
    assert (event.actor_id, event.tribunal_id) == (admin.id, tribunal.id)
    shown = await client.get(saved.headers["location"])
    assert "The setting is saved." in shown.text
    assert 'value="refuse" checked' in shown.text


@pytest.mark.parametrize("value", ["", "allow"])
async def test_a_missing_or_unknown_choice_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, value: str
) -> None:
    tribunal = await make_tribunal(db)
    await sign_in(client, (await make_staff(db, tribunal, Role.ADMIN)).email)
    response = await post_form(
        client, settings_path(tribunal.slug), {"active_pdfs": value}, page=f"/{tribunal.slug}/staff"
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "There is a problem" in text
    assert "Select what to do with PDFs that contain JavaScript or launch actions" in text
    await db.refresh(tribunal)
    assert tribunal.active_pdfs is ActivePdfPolicy.FLAG
    assert await count(db, AuditEvent, AuditEvent.action == "tribunal.active_pdfs_changed") == 0


@pytest.mark.parametrize("role", [Role.CLERK, Role.ADJUDICATOR])
async def test_only_administrators_change_the_document_settings(
    client: httpx.AsyncClient, db: AsyncSession, role: Role
) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    for person in (await make_staff(db, tribunal, role), await make_staff(db, other, Role.ADMIN)):
        await post_form(client, "/sign-out", {})
        await sign_in(client, person.email)
        assert (await client.get(settings_path(tribunal.slug))).status_code == 404
        refused = await post_form(client, settings_path(tribunal.slug), {"active_pdfs": "refuse"})
        assert refused.status_code == 404
    await db.refresh(tribunal)
    assert tribunal.active_pdfs is ActivePdfPolicy.FLAG


async def test_the_document_settings_are_in_french(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    await sign_in(client, (await make_staff(db, tribunal, Role.ADMIN, language="fr")).email)
    text = html.unescape((await client.get(settings_path(tribunal.slug))).text)
    assert french("Document settings") in text
    assert french("PDFs that contain JavaScript or actions that open other programs") in text
