"""The fee on the filing pages: the start page shows the fee and how a waiver is asked for (or
that there is none), in English and French; the case pages show the balance to the claimant's
side and to staff, with their links, in a fixed number of statements; after the declaration a
case that owes its fee goes on to paying it (a clerk's paper filing, to recording a payment)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from accounts.models import User
from filings.models import Filing
from payments.fees import services as fees
from payments.models import (
    FeeWaiver,
    Payment,
    PaymentMethod,
    PaymentSettings,
    PaymentState,
    Refund,
    RefundState,
    WaiverState,
)
from tests.factories.accounts import make_user
from tests.factories.filings import make_case_type
from tests.factories.payments import ChargedCase, make_charged_case, make_fee, make_fee_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import ABOUT_YOU, as_user, french, post_form, sign_in, start, text_of
from tribunals.models import Role, Tribunal
from tribune.db import utcnow


async def test_the_start_page_shows_the_fee_and_the_waiver_in_both_languages(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    paid_kind = await make_fee_case_type(db, tribunal)
    await make_fee(db, tribunal, paid_kind, amount_cents=5000, reduced_amount_cents=1000)
    db.add(
        PaymentSettings(
            tribunal_id=tribunal.id,
            income_thresholds={"1": 2500000},
            waive_for_assistance=True,
            part_waiver_band_percent=25,
            pay_within_days=30,
        )
    )
    await db.commit()
    free_kind = await make_case_type(db, tribunal)
    says_fee_has_none = await make_fee_case_type(db, tribunal)

    page = text_of(await client.get(f"/{tribunal.slug}/file/{paid_kind.id}"))
    assert "The fee to file this is $50.00." in page
    assert "ask for a fee waiver" in page
    assert "If you receive social assistance, you do not pay the fee." in page
    assert "you pay a reduced fee of $10.00." in page
    for version in (free_kind, says_fee_has_none):
        page = text_of(await client.get(f"/{tribunal.slug}/file/{version.id}"))
        assert "There is no fee to file this." in page
        assert "fee waiver" not in page

    french_page = text_of(
        await client.get(f"/{tribunal.slug}/file/{paid_kind.id}", headers={"accept-language": "fr"})
    )
    assert french("The fee to file this is %(amount)s.", amount="50,00\u00a0$") in french_page
    free_page = text_of(
        await client.get(f"/{tribunal.slug}/file/{free_kind.id}", headers={"accept-language": "fr"})
    )
    assert french("There is no fee to file this.") in free_page


async def _file(client: httpx.AsyncClient, tribunal: Tribunal, base: str) -> httpx.Response:
    for step, data in [
        ("eligibility", {"eligible": "yes"}),
        ("about_you", ABOUT_YOU),
        ("representative", {"has_representative": "no"}),
        ("accessibility", {"needs_interpreter": "no", "sign_language": "none"}),
        ("questions", {}),
        ("documents", {}),
    ]:
        response = await post_form(client, f"{base}/{step}", data, page=f"{base}/{step}")
        assert response.status_code == 303, (step, response.text)
    return await post_form(
        client, f"{base}/declaration", {"declared": "yes"}, page=f"{base}/declaration"
    )


async def test_after_the_declaration_a_case_that_owes_its_fee_goes_on_to_paying_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    paid_kind = await make_fee_case_type(db, tribunal)
    await make_fee(db, tribunal, paid_kind)
    free_kind = await make_case_type(
        db,
        tribunal,
        definition={"questions": [], "document_slots": [], "deadline": None, "fee": None},
    )
    filer = await make_user(db)
    await sign_in(client, filer.email)

    base = (await start(client, tribunal, paid_kind)).rsplit("/", 1)[0]
    filed = await _file(client, tribunal, base)
    filing_id = base.rsplit("/", 1)[1]
    assert filed.status_code == 303
    assert filed.headers["location"] == f"/{tribunal.slug}/cases/{filing_id}/fee"
    filing = await db.get(Filing, uuid.UUID(filing_id))
    assert filing is not None
    await db.refresh(filing)
    assert filing.awaiting_payment is True

    base = (await start(client, tribunal, free_kind)).rsplit("/", 1)[0]
    filed = await _file(client, tribunal, base)
    assert filed.headers["location"].endswith("/confirmation")


async def test_a_clerks_paper_filing_goes_on_to_recording_the_payment(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    paid_kind = await make_fee_case_type(db, tribunal)
    await make_fee(db, tribunal, paid_kind)
    await as_user(client, clerk)
    new = f"/{tribunal.slug}/staff/paper-filings/new"
    started = await post_form(client, new, {"version": str(paid_kind.id)}, page=new)
    assert started.status_code == 303, started.text
    base = started.headers["location"]
    filed = await _file(client, tribunal, base)
    filing_id = base.rsplit("/", 1)[1]
    assert filed.status_code == 303
    assert filed.headers["location"] == (f"/{tribunal.slug}/staff/cases/{filing_id}/payments/new")


def _payment(case: ChargedCase, amount: int, state: PaymentState, **values: object) -> Payment:
    fields: dict[str, object] = {"method": PaymentMethod.COUNTER, "provider": "registry"}
    return Payment(
        tribunal_id=case.charge.tribunal_id,
        filing_id=case.filing.id,
        charge_id=case.charge.id,
        amount_cents=amount,
        currency="CAD",
        state=state,
        idempotency_key=f"test-{uuid.uuid4()}",
        settled_at=utcnow(),
        **(fields | values),
    )


async def test_the_claimant_sees_the_balance_and_may_pay_or_ask_for_a_waiver(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    case = await make_charged_case(db, tribunal, amount_cents=5000, reduced_amount_cents=1000)
    filer = await db.get(User, case.filing.filer_id)
    assert filer is not None
    await as_user(client, filer)
    url = f"/{tribunal.slug}/cases/{case.filing.id}"
    page = text_of(await client.get(url))
    assert "You have $50.00 left to pay." in page
    assert f'href="/{tribunal.slug}/cases/{case.filing.id}/fee"' in page
    assert f'href="/{tribunal.slug}/cases/{case.filing.id}/fee/waiver"' in page

    # A part waiver with a date to pay: spelled out.
    case.charge.waived_cents = 4000
    case.charge.pay_by = utcnow().date().replace(year=2027, month=1, day=4)
    db.add(
        FeeWaiver(
            tribunal_id=tribunal.id,
            filing_id=case.filing.id,
            charge_id=case.charge.id,
            household_size=2,
            household_income_cents=3000000,
            receives_assistance=False,
            declared_at=utcnow(),
            state=WaiverState.PART_APPROVED,
            decided_at=utcnow(),
            reason="Income just above the limit.",
            waived_cents=4000,
        )
    )
    await db.commit()
    page = text_of(await client.get(url))
    assert (
        "Your fee waiver was granted in part: $40.00 was waived. "
        "You have $10.00 left to pay by January 4, 2027." in page
    )
    assert "Income just above the limit." in page
    assert f'href="/{tribunal.slug}/cases/{case.filing.id}/fee"' in page
    # Paid: nothing to pay, no more links.
    db.add(_payment(case, 1000, PaymentState.SUCCEEDED))
    await db.commit()
    await fees.refresh_awaiting_payment(db, case.filing, case.charge)
    await db.commit()
    page = text_of(await client.get(url))
    assert "The fee is paid. Thank you." in page
    assert f"/cases/{case.filing.id}/fee" not in page


async def test_staff_see_the_balance_with_the_registrys_links(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
    case = await make_charged_case(db, tribunal, amount_cents=5000)
    paid = _payment(case, 2000, PaymentState.SUCCEEDED)
    failed = _payment(case, 5000, PaymentState.FAILED, method=PaymentMethod.CARD)
    db.add_all([paid, failed])
    waiver = FeeWaiver(
        tribunal_id=tribunal.id,
        filing_id=case.filing.id,
        charge_id=case.charge.id,
        household_size=1,
        household_income_cents=4000000,
        receives_assistance=False,
        declared_at=utcnow(),
        state=WaiverState.REQUESTED,
    )
    db.add(waiver)
    await db.commit()
    await as_user(client, clerk)
    url = f"/{tribunal.slug}/staff/cases/{case.filing.id}"
    page = text_of(await client.get(url))
    assert "Awaiting payment" in page
    assert "$30.00" in page  # left to pay
    assert f"/staff/cases/{case.filing.id}/payments/new" in page
    assert f"/staff/cases/{case.filing.id}/payments/{paid.id}/refund" in page
    assert f"/payments/{failed.id}/refund" not in page
    assert f"/staff/fee-waivers/{waiver.id}" in page
    assert "Refused by the bank" in page
    # An adjudicator reads it, without the registry's links.
    await as_user(client, adjudicator)
    page = text_of(await client.get(url))
    assert "Awaiting payment" in page
    assert "/payments/new" not in page
    assert f"/staff/fee-waivers/{waiver.id}" not in page


async def test_the_sections_take_a_fixed_number_of_statements_whatever_the_rows(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    case = await make_charged_case(db, tribunal, amount_cents=50000)
    filer = await db.get(User, case.filing.filer_id)
    assert filer is not None

    async def statements(url: str) -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            response = await client.get(url)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(seen)

    staff_url = f"/{tribunal.slug}/staff/cases/{case.filing.id}"
    parties_url = f"/{tribunal.slug}/cases/{case.filing.id}"
    await as_user(client, clerk)
    staff_before = await statements(staff_url)
    await as_user(client, filer)
    parties_before = await statements(parties_url)

    for _ in range(3):
        payment = _payment(case, 1000, PaymentState.PARTLY_REFUNDED, refunded_cents=500)
        db.add(payment)
        await db.flush()
        db.add(
            Refund(
                tribunal_id=tribunal.id,
                filing_id=case.filing.id,
                payment_id=payment.id,
                amount_cents=500,
                currency="CAD",
                reason="Paid twice",
                state=RefundState.SUCCEEDED,
                idempotency_key=f"refund-{uuid.uuid4()}",
                settled_at=utcnow(),
            )
        )
        db.add(
            FeeWaiver(
                tribunal_id=tribunal.id,
                filing_id=case.filing.id,
                charge_id=case.charge.id,
                household_size=3,
                household_income_cents=100,
                receives_assistance=True,
                declared_at=utcnow(),
                state=WaiverState.REFUSED,
                reason="Not shown",
            )
        )
    await db.commit()
    assert len((await db.scalars(select(Payment))).all()) == 3
    await as_user(client, clerk)
    assert await statements(staff_url) == staff_before
    await as_user(client, filer)
    assert await statements(parties_url) == parties_before
