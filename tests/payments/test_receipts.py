"""The receipt page: the case's payer and the tribunal's staff see it, in their language, with
what a receipt says; its viewing is audited; anyone else, and another tribunal, get 404."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payments.models import Receipt
from payments.receipts.services import receipt_label
from tests.factories.accounts import make_user
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, french, text_of
from tests.payments.test_checkout import SUCCEEDS, charged_scene, pay_and_return
from tribunals.models import Role
from tribune.audit import AuditAction, AuditEvent


async def test_the_payer_and_staff_see_the_receipt_others_get_404(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, claimant, case = await charged_scene(db)
    await as_user(client, claimant)
    await pay_and_return(client, tribunal, case, SUCCEEDS)
    receipt = (await db.scalars(select(Receipt))).one()
    url = f"/{tribunal.slug}/receipts/{receipt.id}"

    page = await client.get(url)
    assert page.status_code == 200
    text = text_of(page)
    for shown in (
        receipt_label(tribunal, receipt),
        tribunal.name_en,
        "$50.00",
        case.charge.code,
        case.filing.reference or "",
        "Card, on the payment page",
        receipt.provider_reference,
        "Print this page",
    ):
        assert shown in text, shown
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.RECEIPT_VIEWED) == 1

    clerk = await make_staff(db, tribunal, Role.CLERK, language="fr")
    await as_user(client, clerk)
    in_french = await client.get(url)
    assert in_french.status_code == 200
    assert french("Receipt %(number)s", number=receipt_label(tribunal, receipt)) in text_of(
        in_french
    )
    assert "50,00\xa0$" in text_of(in_french)

    stranger = await make_user(db)
    await as_user(client, stranger)
    assert (await client.get(url)).status_code == 404
    other = await make_tribunal(db)
    other_clerk = await make_staff(db, other, Role.CLERK)
    await as_user(client, other_clerk)
    assert (await client.get(f"/{other.slug}/receipts/{receipt.id}")).status_code == 404
    assert (await client.get(url)).status_code == 404
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.RECEIPT_VIEWED) == 2
